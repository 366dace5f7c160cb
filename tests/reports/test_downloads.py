"""A report's downloads, built by the real command (``rekit run``): each chart's tidy CSV read by a bare
``pandas.read_csv``, the metadata beside it, the one zip, and the page in a browser. (That a ``--self-contained``
page is the one file written is checked by tests/hostile/test_html_payloads.py, on its real run.)"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from hostile.cases import expect, run_rekit
from rekit.figures.render import MIME

DEALS = ["toll_japan", "repm_scheme"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("downloads")
    proc = run_rekit(["run", "self_sufficiency", "-p", "deals", json.dumps(DEALS), "-p", "draws", "20", "--out", out],
                     timeout=600)
    expect(proc, 0, "wrote")
    (page,) = [p for p in out.glob("*.html") if p.name not in ("index.html", "methods.html")]
    return out, page.name.removesuffix(".html")


def test_every_csv_reads_with_a_bare_read_csv_one_row_per_deal_year_and_metric(built):
    out, stem = built
    csvs = sorted(out.glob(f"{stem}.*.csv"))
    assert csvs and all(not p.read_text(encoding="utf-8").startswith("#") for p in csvs)
    chart = pd.read_csv(out / f"{stem}.chart-1.csv")
    assert list(chart.columns)[:7] == ["deal", "year", "metric", "unit", "p05", "p50", "p95"]
    assert {"production_basis", "demand_basis"} <= set(chart.columns)
    # two deals x each modelled year x one metric, each once: no grey comparison rows repeated per panel
    years = sorted(chart["year"].unique())
    assert set(chart["deal"]) == set(DEALS) and set(chart["metric"]) == {"self_sufficiency"}
    assert len(chart) == 2 * len(years) and not chart.duplicated(["deal", "year", "metric"]).any()
    assert (chart["p05"] <= chart["p50"]).all() and (chart["p50"] <= chart["p95"]).all()
    for p in csvs:  # every table has its metadata beside it
        assert (out / (p.name.removesuffix(".csv") + ".metadata.json")).is_file(), p.name


def test_the_csv_holds_the_numbers_the_chart_draws(built):
    """The medians in the file are the median line of each deal's panel in the executed notebook's figure."""
    out, stem = built
    nb = nbformat.read(out / f"{stem}.ipynb", as_version=4)
    fig = next(o["data"][MIME] for c in nb.cells for o in c.get("outputs", []) if MIME in o.get("data", {}))
    chart = pd.read_csv(out / f"{stem}.chart-1.csv")
    for deal in DEALS:
        line = next(t for t in fig["data"] if t.get("name") == deal and t.get("legendgroup") == deal)
        rows = chart[chart["deal"] == deal].sort_values("year")
        assert rows["year"].tolist() == list(line["x"]) and rows["p50"].tolist() == pytest.approx(list(line["y"]), abs=1e-12)


def test_the_metadata_names_title_units_sources_parameters_versions_and_licence(built):
    out, stem = built
    meta = json.loads((out / f"{stem}.chart-1.metadata.json").read_text(encoding="utf-8"))
    data_version = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))["version"]
    assert meta["title"] == "India's neodymium self-sufficiency under partner deals"
    assert meta["columns"]["p50"]["unit"] == "ratio" and meta["file"] == f"{stem}.chart-1.csv"
    assert meta["parameters"]["deals"] == DEALS and meta["parameters"]["draws"] == 20
    assert meta["data_version"] == data_version and meta["rekit_version"] and meta["commit"]
    assert meta["sources"] and all(s["id"] and s["citation"] for s in meta["sources"])
    assert meta["licence"]["code"] == "MIT" and "CC-BY-4.0" in meta["licence"]["data"]


def test_one_zip_holds_the_csvs_their_metadata_a_readme_and_the_executed_notebook(built):
    out, stem = built
    page = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert f'href="{stem}.zip"' in page
    with zipfile.ZipFile(out / f"{stem}.zip") as z:
        names = set(z.namelist())
        beside = {p.name for p in out.iterdir() if p.name.startswith(f"{stem}.") and p.suffix in (".csv", ".json", ".ipynb")}
        assert names == beside | {"README.md"}
        assert z.read(f"{stem}.chart-1.csv") == (out / f"{stem}.chart-1.csv").read_bytes()
        readme = z.read("README.md").decode("utf-8")
    assert "## Cite" in readme and "## Licence" in readme and "## Caveats" in readme and "CC-BY-4.0" in readme


def test_in_a_browser_the_page_offers_its_contents_and_zip_offline(built, browser):
    """The report opened from disk in Chromium: the table of contents jumps to its sections, the zip
    downloads whole, and nothing is fetched from the network."""
    from browser_fixtures import LOCAL_SCHEMES, offline_context

    out, stem = built
    ctx, requests, blocked = offline_context(browser)
    try:
        page = ctx.new_page()
        page.goto((out / f"{stem}.html").as_uri(), wait_until="load")
        toc = page.locator("nav.rekit-toc a")
        labels = toc.all_inner_texts()
        assert labels[0] == "The headline" and {"Sources", "Cite this", "Downloads"} <= set(labels)
        page.locator("nav.rekit-toc a", has_text="Cite this").click()
        assert page.evaluate("() => location.hash") == "#rekit-cite-h"
        with page.expect_download() as dl:
            page.locator(f"a[href='{stem}.zip']").first.click()
        assert Path(dl.value.path()).read_bytes() == (out / f"{stem}.zip").read_bytes()
        assert not blocked and all(u.startswith(LOCAL_SCHEMES) for u in requests), blocked
    finally:
        ctx.close()
