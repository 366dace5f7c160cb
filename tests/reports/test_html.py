"""Report pages without a kernel: templates escape data, charts carry descriptions, numbered sources
and a CSV of exactly what they draw, reports end with sources, parameters, methods and "Cite this",
the landing page has a card per story, and citations come in text, short and BibTeX forms."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil

import nbformat
import pytest

from rekit.data.dataset import load
from rekit.figures import charts
from rekit.figures.render import RekitRenderer
from rekit.model.deals import load_deals
from rekit.model.simulation import simulate
from rekit.paths import BUNDLED_DATA
from rekit.reports import citation, downloads
from rekit.reports import html as H
from rekit.reports.jobs import Job, ReportResult

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory):
    """A copy of the data where a source's title holds HTML (the data check already refuses non-web urls)."""
    folder = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(BUNDLED_DATA, folder)
    path = folder / "sources.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        if r["source_id"] == "usgs_mcs_2026":
            r["title"] = XSS
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder


def executed(figs, finding: str = "") -> nbformat.NotebookNode:
    """A notebook as papermill would leave it: one code cell per figure, output as the rekit renderer emits it."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A story"))
    for fig in figs:
        cell = nbformat.v4.new_code_cell("chart()")
        cell.outputs = [nbformat.v4.new_output("display_data", data=RekitRenderer().to_mimebundle(fig.to_dict()))]
        nb.cells.append(cell)
    if finding:
        cell = nbformat.v4.new_code_cell("finding()")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": finding, "text/plain": finding},
                                               metadata={"rekit": {"finding": finding}})]
        nb.cells.append(cell)
    return nb


def job(tmp_path, params=None, effective=None) -> Job:
    nb = tmp_path / "story.ipynb"
    nb.write_text("{}")
    return Job(notebook=nb, name="story", params=params or {}, effective=effective or {"deals": ["toll_japan"], "basis": "reported"},
               title="A story <b>bold</b>", stem="story")


def test_a_source_title_holding_html_is_shown_as_text(hostile_data, tmp_path, monkeypatch):
    monkeypatch.setenv("REKIT_DATA", str(hostile_data))
    ds = load()
    fig = charts.mine_production_chart(ds)
    r = H.render_report(executed([fig]), job(tmp_path), show_input=False, built="2026-11-30 12:00:00 UTC")
    assert XSS not in r.page and "&lt;img src=x onerror=alert(1)&gt;" in r.page
    assert "&lt;b&gt;bold&lt;/b&gt;" in r.page  # the title is escaped in the header and citation too
    assert "<b>bold</b>" not in r.page.split("<body", 1)[1]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    ds = load()
    book = load_deals(ds=ds)
    res = simulate(book, ["toll_japan", "repm_scheme"], years=(2024, 2032), draws=100)
    figs = [charts.self_sufficiency_chart(res, ds, book), charts.mine_production_chart(ds)]
    tmp = tmp_path_factory.mktemp("page")
    j = job(tmp, params={"deals": ["toll_japan", "repm_scheme"]}, effective={"deals": ["toll_japan", "repm_scheme"], "basis": "reported"})
    r = H.render_report(executed(figs, "under repm_scheme, the median reaches 0.5 in 2028"), j, show_input=False,
                        built="2026-11-30 12:00:00 UTC")
    return {"r": r, "figs": figs, "job": j, "ds": ds, "tmp": tmp}


def test_each_chart_gets_a_description_numbered_sources_and_its_csv(rendered):
    r, figs = rendered["r"], rendered["figs"]
    page = r.page
    assert page.count('role="img"') == 2
    pairs = re.findall(r'role="img"[^>]*aria-label="([^"]*)"|aria-label="([^"]*)"[^>]*role="img"', page)
    labels = [html.unescape(a) for pair in pairs for a in pair if a]
    assert figs[0].layout.meta["alt"] in labels and figs[1].layout.meta["alt"] in labels
    assert re.search(r'download="" href="story.chart-1.csv"', page) and re.search(r'download="" href="story.chart-2.csv"', page)
    assert '<a href="#src-1">[1]</a>' in page
    assert re.search(r'<script data-rekit-plotly="" defer="" src="plotly.min.js">', page)
    assert set(r.files) == {"story.chart-1.csv", "story.chart-2.csv", "story.chart-1.metadata.json", "story.chart-2.metadata.json",
                            "story.ipynb", "story.zip"}


def test_the_csv_holds_exactly_the_numbers_drawn_with_provenance(rendered):
    r, figs = rendered["r"], rendered["figs"]
    rows = downloads.read_figure_csv(r.files["story.chart-2.csv"])
    head = json.loads(r.files["story.chart-2.metadata.json"])
    assert head["title"] == "World rare-earth mine production and its concentration"
    assert head["data_version"] == json.loads((BUNDLED_DATA / "datapackage.json").read_text())["version"]
    assert head["commit"] and head["rekit_version"] and head["parameters"]["basis"] == "reported"
    assert head["sources"] and head["sources"][0]["citation"]
    bars = [t for t in figs[1].data if t.type == "bar"]
    other = [row for row in rows if row["country"] == bars[-1].name]
    # one row per bar drawn and year; the values are the bar heights
    assert [float(row["production"]) for row in other] == pytest.approx(list(bars[-1].y))
    n_points = sum(len(t.x) for t in figs[1].data if t.type == "bar")
    assert len([row for row in rows if row["country"] != "World (USGS)"]) == n_points


def test_report_ends_with_sources_parameters_methods_and_cite_this(rendered):
    page = rendered["r"].page
    for anchor in ("rekit-sources", "rekit-parameters", "rekit-methods", "rekit-cite"):
        assert f'id="{anchor}"' in page
    assert 'href="methods.html"' in page
    info = citation.kit_info()
    assert f"data version {info['data_version']}" in page and f"rekit {info['rekit_version']}" in page
    assert "@software{" in page
    # the model inputs table names each deal's parameters with their unit
    assert "<code>repm_scheme</code>" in page and "domestic_capacity" in page and "t magnet/yr" in page
    assert rendered["r"].finding == "under repm_scheme, the median reaches 0.5 in 2028"


def test_sources_are_numbered_in_order_of_first_use(rendered):
    page = rendered["r"].page
    ds = rendered["ds"]
    first = rendered["figs"][0].layout.meta["sources"][0]
    i = page.index('<li id="src-1">')
    assert ds.source(first)["publisher"] in page[i:i + 400]


def test_self_contained_page_inlines_plotly_and_css(tmp_path):
    ds = load()
    r = H.render_report(executed([charts.mine_production_chart(ds)]), job(tmp_path), show_input=False,
                        built="2026-11-30", self_contained=True, downloads_too=False)
    assert 'src="plotly.min.js"' not in r.page and "rekit-lab.css" not in r.page
    assert re.search(r"<script data-rekit-plotly(?:=\"\")?>", r.page) and len(r.page) > 3_000_000
    assert r.files == {}


def test_landing_page_has_a_card_per_story_with_its_finding(rendered, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    j = rendered["job"]
    H.write_report(out, rendered["r"], j)
    res = ReportResult(j, "ok", 1.0, "2026-11-30 12:00:00 UTC", path=out / j.file)
    index = H.write_index(out, [j], {j.stem: res}, {}, thumbnails=False).read_text()
    assert '<li class="card">' in index and "under repm_scheme, the median reaches 0.5 in 2028" in index
    assert f'<a href="{j.file}">A story &lt;b&gt;bold&lt;/b&gt;</a>' in index
    assert "<h2>Build</h2>" in index
    assert (out / "story.chart-1.csv").exists() and (out / "story.ipynb").exists()


# (Citing a source or the kit, refusals and web links: tests/reports/test_citation_values.py, hand-written
# sources; `rekit cite` on the bundled data: tests/reports/test_cli_v2.py and tests/cli/test_bad_input.py.)


def test_citation_cff_names_the_kit_and_its_version():
    import rekit
    from rekit.paths import ROOT

    text = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in text and f"version: {rekit.__version__}" in text
