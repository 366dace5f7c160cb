"""A user's deals file reaches the reports: the `deals_file` parameter, `run_one(deals=...)` and
`run_batch(deals=...)` (`--deals FILE`) and a batch file's `deals_file`; a missing or invalid file is
refused, before anything runs, with the file's name and the problem. No kernel runs here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rekit.parameters import registry as P
from rekit.reports import runner as R
from rekit.reports.jobs import ReportError, jobs_from_batch
from rekit.paths import BUNDLED_NOTEBOOKS

MY_DEALS = """\
deals:
  halt_then_stock:
    description: "Exports stop and the oxide is stocked (a user's deal)"
    shares:
      export: {value: 0, source: "assumption: halt"}
      toll: {value: 0, source: "assumption: no tolling"}
      domestic: {value: 0, source: "assumption: no domestic magnets"}
      stock: rest
"""


@pytest.fixture()
def deals_file(tmp_path) -> Path:
    p = tmp_path / "my_deals.yml"
    p.write_text(MY_DEALS, encoding="utf-8")
    return p


def test_a_users_deal_name_is_allowed_with_its_deals_file(deals_file):
    got = P.check({"deals": ["halt_then_stock", "toll_japan"], "deals_file": str(deals_file)})
    assert got["deals"] == ["halt_then_stock", "toll_japan"] and got["deals_file"] == str(deals_file.resolve())
    with pytest.raises(P.ParameterError, match="halt_then_stock"):
        P.check({"deals": ["halt_then_stock"]})  # without the file the name is unknown


def test_missing_or_invalid_deals_file_names_the_file_and_the_problem(tmp_path):
    with pytest.raises(P.ParameterError, match=r"deals_file': .*nope\.yml: no such file"):
        P.check({"deals_file": str(tmp_path / "nope.yml")})
    bad = tmp_path / "bad.yml"
    bad.write_text("deals:\n  x: {shares: {export: {value: 2, source: 'assumption: y'}}}\n", encoding="utf-8")
    with pytest.raises(P.ParameterError, match=r"bad\.yml: "):
        P.check({"deals_file": str(bad)})
    with pytest.raises(ReportError, match=r"--deals: .*nope\.yml: no such file"):
        R.run_batch(None, tmp_path / "out", deals=tmp_path / "nope.yml", progress=False)
    with pytest.raises(ReportError, match=r"--deals: .*bad\.yml: "):
        R.run_one("self_sufficiency", out_dir=tmp_path / "out", deals=bad)


def test_run_batch_passes_the_deals_file_to_notebooks_that_take_one(deals_file, tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name in ("self_sufficiency", "supply_concentration"):
        shutil.copy(BUNDLED_NOTEBOOKS / f"{name}.ipynb", folder / f"{name}.ipynb")
    (folder / "batch.yml").write_text(f"deals_file: {deals_file.name}\nall_notebooks: true\n", encoding="utf-8")
    shutil.copy(deals_file, folder / deals_file.name)
    jobs, _ = jobs_from_batch(folder / "batch.yml", None, None)
    by = {j.name: j for j in jobs}
    assert by["self_sufficiency"].params["deals_file"] == str((folder / deals_file.name).resolve())
    assert "deals_file" not in by["supply_concentration"].params  # takes no deals file
    (folder / "batch.yml").write_text("deals_file: missing.yml\nall_notebooks: true\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"deals_file: .*missing\.yml: no such file"):
        jobs_from_batch(folder / "batch.yml", None, None)


def test_a_notebook_without_deals_refuses_deals(deals_file, tmp_path):
    with pytest.raises(ReportError, match="takes no deals file"):
        R.run_one("supply_concentration", out_dir=tmp_path / "out", deals=deals_file)


def test_self_contained_refused_when_plotly_cannot_be_inlined(monkeypatch, tmp_path):
    import plotly.offline

    monkeypatch.setattr(plotly.offline, "get_plotlyjs", lambda: "")
    with pytest.raises(ReportError, match="--self-contained: plotly.js"):
        R.run_one("supply_concentration", out_dir=tmp_path / "out", self_contained=True)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.html"))
