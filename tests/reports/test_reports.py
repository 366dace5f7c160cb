"""The report runner: parameters, notebooks run for real with papermill (no mocks), offline HTML, the index.

The fixture notebooks are in tests/fixtures/notebooks: `sample` (parameters n and deals, a printed
table, a plotly chart) and `broken` (raises). One batch builds three reports and most tests read
its output; the command-line tests that refuse bad input run nothing.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from rekit.reports import runner as R
from rekit.cli.app import main as cli
from rekit.reports.html import make_offline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"

PREVIOUS_GOOD = "<!DOCTYPE html><html><body>previous good report</body></html>\n"
EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    for name in ("sample.ipynb", "broken.ipynb"):  # the other fixtures serve tests/reports/test_batch_safety.py
        shutil.copy(NOTEBOOKS / name, folder / name)
    (folder / "batch.yml").write_text(
        "reports:\n"
        "  - notebook: sample\n"
        "  - notebook: sample\n"
        "    parameters: {n: 5, deals: toll_korea}\n"
        "    title: Sample with the Korea deal\n"
        "  - notebook: broken\n"
    )
    return folder


@pytest.fixture(scope="module")
def batch(notebooks, tmp_path_factory):
    """`rekit reports` on the three-report batch; broken.html holds an earlier good report."""
    out = tmp_path_factory.mktemp("reports")
    (out / "broken.html").write_text(PREVIOUS_GOOD)
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        code = cli(["reports", "--batch", str(notebooks / "batch.yml"), "--out", str(out), "--jobs", "2",
                    "--quiet"])
    return {"out": out, "code": code, "stderr": err.getvalue(), "stdout": std.getvalue()}


def run_cli(args, capsys):
    code = cli(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# ---------------------------------------------------------------------------------------------
# rendering and naming (no kernel)
# ---------------------------------------------------------------------------------------------


def test_renderer_emits_plotly_json_and_offline_html_with_stable_ids():
    import plotly.graph_objects as go
    import plotly.io as pio

    from rekit.figures import render

    before = pio.renderers.default
    try:
        render.activate(force=True)  # outside a kernel the default stays plotly's own
        assert pio.renderers.default == "rekit"
    finally:
        pio.renderers.default = before
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], uid="trace-uid-123"), layout_title_text="T")
    one, two = render.RekitRenderer().to_mimebundle(fig.to_dict()), render.RekitRenderer().to_mimebundle(fig.to_dict())
    assert set(one) == {"application/vnd.plotly.v1+json", "text/html", "text/plain"}
    assert "uid" not in json.dumps(one["application/vnd.plotly.v1+json"]) and "trace-uid-123" not in one["text/html"]
    ids = [re.search(r'id="(rekit-[0-9a-f]{12}(?:-\d+)?)"', b["text/html"]).group(1) for b in (one, two)]
    assert ids[1] == ids[0] + "-2"  # same figure, same hash; a repeat gets a suffix
    assert "window.Plotly" in one["text/html"] and "plotly.min.js" in one["text/html"]
    assert not re.search(r"https?://", one["text/html"])
    assert one["text/plain"] == "<Figure 'T': 1 bar>"


def test_report_names():
    assert R.report_stem("sample", {}) == "sample"
    assert R.report_stem("sample", {"n": 5, "deals": ["toll_korea"]}) == "sample--deals-toll_korea_n-5"
    assert R.report_stem("teaching/intro", {}) == "teaching.intro"
    long = R.report_stem("sample", {"deals": ["a_very_long_deal_name"] * 3, "n": 1})
    assert len(long) < 70 and re.fullmatch(r"sample--[\w.+=-]+-[0-9a-f]{8}", long)


def test_make_offline_removes_what_would_be_fetched():
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/x.css">'
            '<img src="http://example.org/a.png"><a href="https://example.org">a source</a><script src="plotly.min.js"></script>')
    out, removed = make_offline(page)
    assert not EXTERNAL.search(out)
    assert '<a href="https://example.org">a source</a>' in out and '<script src="plotly.min.js"></script>' in out
    assert removed == ["https://cdn.example/x.js", "//cdn.example/x.css", "http://example.org/a.png"]


# ---------------------------------------------------------------------------------------------
# the batch (three real papermill runs)
# ---------------------------------------------------------------------------------------------


def test_batch_reports_a_failure_and_exits_non_zero(batch):
    assert batch["code"] == 1
    assert "built 3 reports" in batch["stdout"] and "2 ok, 1 failed" in batch["stdout"]
    assert ("rekit: error: notebook 'broken' failed in cell 5 (first line: if fail:): ValueError: supply went negative in 2031; "
            "the last good report is kept:") in batch["stderr"]


def test_default_and_parameterised_reports(batch):
    out = batch["out"]
    default, other = out / "sample.html", out / "sample--deals-toll_korea_n-5.html"
    assert default.exists() and other.exists()
    assert "Squares of 1..3" in default.read_text() and "Squares of 1..5" in other.read_text()
    executed = nbformat.read(out / "sample--deals-toll_korea_n-5.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "toll_korea" in printed and "status_quo" not in printed


def test_report_html_is_offline_small_and_draws_the_chart(batch):
    out = batch["out"]
    assert (out / "plotly.min.js").stat().st_size > 1_000_000 and (out / R.CSS_NAME).exists()
    for page in (out / "sample.html", out / "sample--deals-toll_korea_n-5.html"):
        text = page.read_text()
        assert 'class="plotly-graph-div rekit-figure"' in text
        # plotly.js from the folder, deferred: it never blocks the first paint
        assert re.search(r'<script(?=[^>]*\bdefer\b)(?=[^>]*\bsrc="plotly.min.js")[^>]*>', text)  # either order
        assert f'href="{R.CSS_NAME}"' in text
        assert not EXTERNAL.search(text), EXTERNAL.search(text)
        assert "cdnjs" not in text and "require.min.js" not in text and "mathjax" not in text.lower()
        assert page.stat().st_size < 300_000
        assert "jp-InputArea-editor" not in text  # input cells hidden by default


def test_failed_report_keeps_the_last_good_one(batch):
    out = batch["out"]
    assert (out / "broken.html").read_text() == PREVIOUS_GOOD
    failed = (out / "broken.failed.html").read_text()
    assert "supply went negative in 2031" in failed
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_index_lists_every_report_with_parameters_status_and_errors(batch):
    raw = (batch["out"] / "index.html").read_text()
    index = html.unescape(raw)
    for name in ("sample.html", "sample--deals-toll_korea_n-5.html", "broken.html"):
        assert name in index
    assert "Sample with the Korea deal" in index
    assert 'deals = ["toll_korea"]' in index and "n = 5" in index and 'deals = ["status_quo", "toll_japan"]' in index
    assert index.count('class="ok"') == 2 and index.count('class="failed"') == 1
    assert "ValueError: supply went negative in 2031" in index
    assert 'last good report: <a href="broken.html">' in index and 'href="broken.failed.html"' in index
    assert not EXTERNAL.search(raw)


def test_one_report_alone_gives_the_batchs_outputs(batch, notebooks, tmp_path):
    """`run_one` (one job on one process) and the batch (two processes) run the same notebook alike."""
    r = R.run_one(notebooks / "sample.ipynb", {"n": 5, "deals": ["toll_korea"]}, tmp_path)
    assert r.ok
    texts = []
    for path in (batch["out"] / "sample--deals-toll_korea_n-5.ipynb", tmp_path / "sample--deals-toll_korea_n-5.ipynb"):
        nb = nbformat.read(path, as_version=4)
        texts.append([(o.get("text"), o.get("data", {}).get("text/plain"), o.get("data", {}).get("text/html"))
                      for c in nb.cells for o in c.get("outputs", [])])
    assert texts[0] == texts[1]


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["-p", "n", "11"], "rekit: error: parameter 'n': got 11; allowed: an integer from 1 to 10"),
    (["-p", "n", "three"], "rekit: error: parameter 'n': got 'three'; allowed: an integer from 1 to 10"),
    (["-p", "nn", "3"], "rekit: error: unknown parameter 'nn' for notebook 'sample'; its parameters: n, deals"),
    # the full list of deals is checked in test_params.py; here, that the refusal reaches the command line
    (["-p", "deals", "toll_mars"], "rekit: error: parameter 'deals': got 'toll_mars'; allowed: a list of one or more of 'status_quo', "),
])
def test_run_refuses_bad_parameters_and_writes_nothing(args, message, notebooks, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(["run", str(notebooks / "sample.ipynb"), *args, "--out", str(out)], capsys)
    assert code == 2
    assert err.startswith(message) and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_run_unknown_notebook_lists_the_notebooks(notebooks, tmp_path, capsys):
    code, _, err = run_cli(["run", "nosuch", "--notebooks", str(notebooks), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert err.strip() == "rekit: error: unknown notebook 'nosuch'; the notebooks are: broken, sample"


def test_unwritable_output_folder_is_a_clear_error(notebooks, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run_cli(["run", "sample", "--notebooks", str(notebooks), "--out", str(blocker / "reports")], capsys)
    assert code == 2
    assert err.startswith(f"rekit: error: cannot write reports to {blocker / 'reports'}:")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_reports_refuses_a_bad_batch_before_running_anything(notebooks, tmp_path, capsys):
    bad = tmp_path / "batch.yml"
    shutil.copy(notebooks / "sample.ipynb", tmp_path / "sample.ipynb")
    bad.write_text("reports:\n  - notebook: sample\n    parameters: {n: 0}\n  - notebook: nosuch\n")
    code, _, err = run_cli(["reports", "--batch", str(bad), "--out", str(tmp_path / "out"), "-q"], capsys)
    assert code == 2
    assert "batch.yml, report 1: parameter 'n': got 0; allowed: an integer from 1 to 10" in err
    assert "batch.yml, report 2: unknown notebook 'nosuch'" in err
    assert not (tmp_path / "out").exists()
    code, _, err = run_cli(["reports", "--batch", str(notebooks / "batch.yml"), "--only", "nosuch", "-q",
                            "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "--only nosuch: not in batch.yml; its notebooks are: broken, sample" in err


def test_run_writes_one_report(notebooks, tmp_path, capsys):
    code, out, err = run_cli(["run", str(notebooks / "sample.ipynb"), "-p", "deals", "toll_japan", "-p", "deals", "toll_korea",
                              "--show-input", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    page = tmp_path / "sample--deals-toll_japan+toll_korea.html"
    assert out.strip().startswith("wrote ") and out.strip().split()[1] == os.path.relpath(page)
    text = page.read_text()
    assert "jp-InputArea-editor" in text  # --show-input
    assert (tmp_path / "plotly.min.js").exists()


# ---------------------------------------------------------------------------------------------
# one folder, one index: reports built alone, notebooks gone, batch files anywhere
# ---------------------------------------------------------------------------------------------


def test_a_report_built_alone_joins_the_index_and_goes_with_its_notebook(batch, notebooks, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batch["out"], out)
    extra = tmp_path / "extra.ipynb"
    shutil.copy(notebooks / "sample.ipynb", extra)
    assert R.run_one(extra, {"n": 2}, out).ok
    index = html.unescape((out / "index.html").read_text())
    assert 'href="extra--n-2.html"' in index and "sample--deals-toll_korea_n-5.html" in index
    assert json.loads((out / ".rekit-reports.json").read_text())["extra--n-2"]["status"] == "ok"
    extra.unlink()  # its notebook is gone: the next run removes the report, its files and its entry
    R.run_batch(notebooks / "batch.yml", out, only="sample", progress=False)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(("extra", ".extra"))) == []
    assert "extra--n-2" not in (out / "index.html").read_text()
    assert "extra--n-2" not in json.loads((out / ".rekit-reports.json").read_text())


def test_a_batch_file_anywhere_names_the_kits_notebooks(tmp_path):
    """A batch file in an empty folder: `supply_concentration` is the kit's; `nosuch` is in neither place."""
    from rekit.paths import notebooks_dir
    from rekit.reports.jobs import jobs_from_batch

    (tmp_path / "batch.yml").write_text("reports:\n  - notebook: supply_concentration\n")
    jobs, _ = jobs_from_batch(tmp_path / "batch.yml", None, None)
    assert [(j.name, j.notebook) for j in jobs] == [("supply_concentration", notebooks_dir() / "supply_concentration.ipynb")]
    (tmp_path / "batch.yml").write_text("reports:\n  - notebook: nosuch\n")
    with pytest.raises(R.ReportError, match=r"^batch.yml, report 1: unknown notebook 'nosuch': it is neither beside the "
                                            r"batch file \(.*: no notebooks\) nor one of the kit's \(.*supply_concentration"):
        jobs_from_batch(tmp_path / "batch.yml", None, None)


def test_a_deals_file_counts_by_its_name_in_file_names_and_by_name_and_hash_on_pages(tmp_path):
    from rekit.reports.html import deals_file_label

    one, two = tmp_path / "a" / "my_deals.yml", tmp_path / "b" / "my_deals.yml"
    for p in (one, two):
        p.parent.mkdir()
        p.write_text("deals: {}\n")
    assert R.report_stem("nd_flows", {"deals_file": str(one)}) == R.report_stem("nd_flows", {"deals_file": str(two)}) \
        == "nd_flows--deals_file-my_deals.yml"
    # sha256 of the 10 bytes "deals: {}\n", its first 12 hex digits (`printf 'deals: {}\n' | sha256sum`)
    assert deals_file_label(one) == "my_deals.yml (sha256 ad9891b949a7)"
    assert str(tmp_path) not in deals_file_label(one)
