"""Incremental builds: `rekit reports` skips a report whose notebook, parameters, data and code are
unchanged since its last good build, says so, and rebuilds it when one of them changes or when forced.
Runs the fixture notebook `sample` for real (papermill, a kernel)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rekit.reports import freeze
from rekit.reports import runner as R

NOTEBOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("nbs")
    shutil.copy(NOTEBOOKS / "sample.ipynb", f / "sample.ipynb")
    (f / "batch.yml").write_text("reports:\n  - notebook: sample\n    parameters: {n: 4}\n")
    return f


def test_second_build_skips_unchanged_reports_and_says_so(folder, tmp_path, capsys):
    out = tmp_path / "out"
    first = R.run_batch(folder / "batch.yml", out, jobs=1, progress=False)
    assert first.ok and [r.job.stem for r in first.results] == ["sample--n-4"] and first.skipped == []
    page = (out / "sample--n-4.html").stat().st_mtime_ns
    assert "sample--n-4" in freeze.load(out)
    # one record per folder serves the index and the incremental build: no second file
    assert sorted(p.name for p in out.glob(".rekit-*.json")) == [".rekit-reports.json"]
    entry = json.loads((out / ".rekit-reports.json").read_text())["sample--n-4"]
    assert entry["status"] == "ok" and entry["fingerprint"].startswith("sha256:") and len(entry["fingerprint"]) == 7 + 64

    second = R.run_batch(folder / "batch.yml", out, jobs=1, progress=True)
    assert second.results == [] and [j.stem for j in second.skipped] == ["sample--n-4"]
    assert (out / "sample--n-4.html").stat().st_mtime_ns == page  # not rewritten
    assert "unchanged since its last good build" in capsys.readouterr().err
    assert "unchanged since its last good build: not rebuilt" in (out / "index.html").read_text()

    forced = R.run_batch(folder / "batch.yml", out, jobs=1, progress=False, force=True)
    assert [r.job.stem for r in forced.results] == ["sample--n-4"]


def test_a_changed_notebook_or_parameter_changes_the_fingerprint(folder, tmp_path):
    from rekit.reports.jobs import make_job

    job = make_job("sample", {"n": 4}, folder=folder)
    same = make_job("sample", {"n": 4}, folder=folder)
    other = make_job("sample", {"n": 5}, folder=folder)
    assert freeze.fingerprint(job) == freeze.fingerprint(same) != freeze.fingerprint(other)
    copy = tmp_path / "nb"
    copy.mkdir()
    text = (folder / "sample.ipynb").read_text()
    (copy / "sample.ipynb").write_text(text.replace('"# ', '"# Changed: ', 1))
    assert freeze.fingerprint(make_job("sample", {"n": 4}, folder=copy)) != freeze.fingerprint(job)
