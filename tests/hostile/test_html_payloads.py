"""Script in a report: no text from the data, a deals file, a batch file or a parameter ever runs in
a page the kit writes (a report, the index, the explorer's panel).

A copy of the data and a deals file get a script payload in every text field they have: event
titles, descriptions, actors and quotes; source titles, publishers, notes, "reports on" and a
`javascript:` URL; indicator titles and descriptions; observation entities, partners, scopes, quotes,
notes and units; deal names, descriptions, assumptions, partners, source texts and notes; batch
titles and parameters. Where a field has a pattern or an enum that the data rules enforce, the
payload is refused when the data loads: the test records each refusal (the rule is then the
protection) and checks that it names its file, row and column. When this file was written the
refusals were the observation `unit` (an enum of units naming the material) and a source `url` that is
not a plain http(s) address (`javascript:alert(4)`, and an https address holding `">` and a tag); the
event `kind`, source `kind`/`tier`, the ids and the dates are patterns or enums and take no payload.

Reports are built with `rekit reports` from a batch file, in a real process, then every page, the
index and the explorer's panel are opened in Chromium (the session's browser from
tests/e2e/browser_fixtures.py). A page fails on any dialog, any element with an ``on…`` event
attribute, any ``<script>`` that is not the kit's own (plotly.js, ``data-rekit-plotly``, and the
figure scripts, ``data-rekit-figure``: rekit.figures.render writes both attributes), any
``javascript:`` link, or when the payload does not show as text (the test would then prove nothing).
The figures' plotly JSON is checked too: plotly.js reads its text as a small HTML dialect, so no
string in it may hold a tag other than the kit's own ``<br>``, ``<b>`` and ``<extra>``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from hostile.cases import DATA, ROOT, expect, run_rekit

from browser_fixtures import offline_context  # the fixtures (browser, chromium_path) are the session's, a plugin (pyproject.toml)

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
JS_URL = "javascript:alert(4)"
HTTP_URL = f"https://example.org/?q={SVG}"  # an http(s) address that would close the link's attribute
PAYLOADS = (IMG, SCRIPT, SVG)
WAIT = 60_000  # ms: the longest one step may take on a slow shared machine
DRAWS = 100  # Monte Carlo draws of every report here: enough to draw bands, quick to run

#: A deal whose name, description, assumptions, partner, source texts and notes are payloads.
DEAL = IMG
DEAL_FALLBACK = "hostile_deal"  # used only if the deal rules refuse the payload as a name

# ---------------------------------------------------------------------------------------------
# the hostile data folder and deals file
# ---------------------------------------------------------------------------------------------


def _read(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _edits(folder: Path) -> list[tuple[str, int, str, str]]:
    """(file, data row index, column, payload) for every text field the reports can show."""
    edits: list[tuple[str, int, str, str]] = []
    events = _read(folder / "events.csv")
    for i, payloads in ((0, (IMG, SCRIPT, SVG, IMG)), (len(events) - 1, (SVG, IMG, SCRIPT, SVG))):
        for column, p in zip(("title", "description", "actor", "quote"), payloads, strict=True):
            edits.append(("events.csv", i, column, p))
    cited_first, cited_last = events[0]["source_id"], events[-1]["source_id"]
    obs = _read(folder / "observations.csv")
    export_rows = [i for i, r in enumerate(obs) if r["indicator"] == "re_export_share" and r["entity"] == "IREL"]
    export_sources = {obs[i]["source_id"] for i in export_rows}
    sources = _read(folder / "sources.csv")
    for i, r in enumerate(sources):
        if r["source_id"] in (cited_first, cited_last) or r["source_id"] in export_sources:
            edits += [("sources.csv", i, "title", IMG), ("sources.csv", i, "publisher", SVG),
                      ("sources.csv", i, "note", SCRIPT), ("sources.csv", i, "reports_on", IMG),
                      ("sources.csv", i, "url", JS_URL if r["source_id"] == cited_first else HTTP_URL)]
    for i, r in enumerate(_read(folder / "indicators.csv")):
        if r["indicator"] in ("re_export_share", "mine_production"):
            edits += [("indicators.csv", i, "title", IMG), ("indicators.csv", i, "description", SCRIPT)]
    for i in export_rows:
        edits += [("observations.csv", i, "note", IMG), ("observations.csv", i, "quote", SVG),
                  ("observations.csv", i, "scope", SCRIPT), ("observations.csv", i, "partner", IMG)]
    edits.append(("observations.csv", export_rows[0], "unit", IMG))  # an enum: refused
    for i, r in enumerate(obs):  # a country of USGS's mine production, in every row that names it
        if r["indicator"] == "mine_production" and r["entity"] == "Australia":
            edits.append(("observations.csv", i, "entity", SVG))
    return edits


def _apply(folder: Path, edits, originals: dict) -> None:
    by_file: dict[str, list] = {}
    for e in edits:
        by_file.setdefault(e[0], []).append(e)
    for file, es in by_file.items():
        rows = _read(folder / file)
        for _, i, column, p in es:
            originals.setdefault((file, i, column), rows[i][column])
            rows[i][column] = p
        _write(folder / file, rows)


def hostile_data(folder: Path) -> tuple[list, list]:
    """Put every payload into the data copy at `folder`; payloads the data rules refuse are put back.

    Returns (accepted edits, refused edits with the problem that refused each)."""
    from rekit.data.dataset import load
    from rekit.data.problems import DataError

    edits = _edits(folder)
    originals: dict = {}
    _apply(folder, edits, originals)
    refused = []
    for _ in range(4):
        try:
            load(folder)
            break
        except DataError as exc:
            problems = exc.problems
        hit = [e for e in edits if any(p.file == e[0] and p.row == e[1] + 2 and p.column == e[2] for p in problems)]
        stray = [p for p in problems if not any(p.file == e[0] and p.row == e[1] + 2 and p.column == e[2] for e in edits)]
        assert hit and not stray, f"problems not named by the payload's own file, row and column: {stray or problems}"
        for e in hit:
            edits.remove(e)
            refused.append((e, [str(p) for p in problems if p.file == e[0] and p.row == e[1] + 2 and p.column == e[2]]))
            rows = _read(folder / e[0])
            rows[e[1]][e[2]] = originals[(e[0], e[1], e[2])]
            _write(folder / e[0], rows)
    else:
        pytest.fail("the payload data still does not load after putting back every refused cell")
    return edits, refused


def hostile_deals(path: Path, ds) -> str:
    """Write a deals file whose every text is a payload; returns the deal's name (the payload, unless
    the deal rules refuse it as a name: then their message must name it, and a plain name is used)."""
    from rekit.errors import RekitError
    from rekit.model.deals import load_deals

    def doc(name: str) -> dict:
        return {"version": 2, "deals": {name: {
            "description": SCRIPT, "assumptions": [SVG, IMG], "partner": SVG,
            "shares": {
                "export": {"value": 0.3, "low": 0.2, "high": 0.4, "source": f"assumption: {IMG}", "note": SCRIPT},
                "toll": {"value": 0, "source": f"assumption: {SVG}"},
                "domestic": {"value": 0.1, "low": 0, "high": 0.2, "source": f"assumption: {SCRIPT}", "note": IMG},
                "stock": "rest"}}}}

    path.write_text(yaml.safe_dump(doc(DEAL), allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        load_deals(str(path), ds=ds).get(DEAL)
        return DEAL
    except RekitError as exc:
        assert DEAL in str(exc), f"a refused deal name must be named in the message: {exc}"
    path.write_text(yaml.safe_dump(doc(DEAL_FALLBACK), allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_deals(str(path), ds=ds).get(DEAL_FALLBACK)
    return DEAL_FALLBACK


STORIES = ("self_sufficiency", "export_controls_timeline", "export_share", "nd_flows", "supply_concentration")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The payload data, deals file and batch file, and the reports `rekit reports` built from them."""
    from rekit.data.dataset import load

    base = tmp_path_factory.mktemp("hostile")
    data = base / "data"
    shutil.copytree(DATA, data)
    accepted, refused = hostile_data(data)
    ds = load(data)
    deals_file = base / "evil.yml"
    deal = hostile_deals(deals_file, ds)
    nbs = base / "notebooks"
    nbs.mkdir()
    for name in STORIES:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", nbs / f"{name}.ipynb")
    batch = {"reports": [
        {"notebook": "self_sufficiency", "parameters": {"deals": [deal, "status_quo"], "draws": DRAWS},
         "title": f"Self-sufficiency {IMG}"},
        {"notebook": "export_controls_timeline", "title": f"Timeline {SVG}"},
        {"notebook": "export_share", "parameters": {"deals": [deal], "draws": DRAWS}, "title": f"Export share {SCRIPT}"},
        {"notebook": "nd_flows", "parameters": {"deal": deal, "draws": DRAWS}, "title": f"Flows {IMG}"},
        {"notebook": "supply_concentration", "title": f"Concentration {SVG}"},
    ]}
    (nbs / "batch.yml").write_text(yaml.safe_dump(batch, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = base / "out"
    proc = run_rekit(["reports", "--batch", nbs / "batch.yml", "--deals", deals_file, "--out", out, "--quiet",
                      "-j", "2"], env={"REKIT_DATA": str(data)}, cwd=ROOT, timeout=900)
    expect(proc, 0, "")
    pages = sorted(p for p in out.glob("*.html") if not p.name.endswith(".failed.html"))
    return {"data": data, "ds": ds, "deal": deal, "deals_file": deals_file, "out": out, "pages": pages,
            "accepted": accepted, "refused": refused, "base": base}


# ---------------------------------------------------------------------------------------------
# what a page may hold
# ---------------------------------------------------------------------------------------------

#: Run in the page once it has loaded: everything that would run or link script.
JS_AUDIT = r"""() => {
  const out = {handlers: [], scripts: [], jsLinks: [], frames: []};
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = (a.value || '').replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) out.handlers.push(`<${el.localName} ${a.name}="${a.value}">`);
      if (['href', 'xlink:href', 'src', 'action', 'formaction', 'data'].includes(name) && value.startsWith('javascript:'))
        out.jsLinks.push(`<${el.localName} ${a.name}="${a.value}">`);
    }
    if (['iframe', 'object', 'embed', 'frame'].includes(el.localName)) out.frames.push(el.outerHTML.slice(0, 200));
  }
  for (const s of document.querySelectorAll('script')) {
    const src = s.getAttribute('src');
    const plotly = s.hasAttribute('data-rekit-plotly') && (src === null || src === 'plotly.min.js');
    const figure = s.hasAttribute('data-rekit-figure') && src === null;
    if (!plotly && !figure) out.scripts.push(s.outerHTML.slice(0, 300));
  }
  out.text = document.documentElement.textContent;
  return out;
}"""


def audit_page(browser, path: Path) -> tuple[dict, list[str]]:
    """Open `path` offline, let its charts draw, and return (JS_AUDIT's findings, dialogs opened)."""
    ctx, _requests, blocked = offline_context(browser)
    ctx.set_default_timeout(WAIT)
    dialogs: list[str] = []
    try:
        page = ctx.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message or "(empty)"), d.dismiss()))
        page.goto(path.as_uri(), wait_until="load", timeout=WAIT)
        n = page.locator(".rekit-figure").count()
        if n:  # every chart drawn (its text is where plotly reads tags), then a moment for late handlers
            page.wait_for_function(f"document.querySelectorAll('.rekit-figure .main-svg').length >= {n}", timeout=WAIT)
        page.wait_for_timeout(300)
        found = page.evaluate(JS_AUDIT)
        assert not blocked, f"{path.name}: requests that would have left the machine: {blocked}"
    finally:
        ctx.close()
    return found, dialogs


def assert_clean(path: Path, found: dict, dialogs: list[str]) -> None:
    where = path.name
    assert dialogs == [], f"{where}: {len(dialogs)} dialog(s) opened: {dialogs}"
    assert found["handlers"] == [], f"{where}: elements with event handler attributes: {found['handlers']}"
    assert found["scripts"] == [], f"{where}: scripts that are not the kit's own: {found['scripts']}"
    assert found["jsLinks"] == [], f"{where}: javascript: links: {found['jsLinks']}"
    assert found["frames"] == [], f"{where}: frames or embedded objects: {found['frames']}"


#: Tags plotly.js may meet in a figure's text: only those the kit writes itself.
KIT_TAGS = re.compile(r"</?(br|b|extra)\s*/?>", re.I)
TAG = re.compile(r"<\s*/?\s*[A-Za-z!?]")


def plotly_markup(fig: dict) -> list[str]:
    """Strings of a plotly figure (as JSON) that hold a tag other than the kit's own, outside
    ``layout.meta`` (plain text the pages escape) and ``legendgroup`` (an id, never shown)."""
    bad: list[str] = []

    def walk(v, path: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if path == "layout" and k == "meta" or k == "legendgroup":
                    continue
                walk(x, f"{path}.{k}" if path else k)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{path}[{i}]")
        elif isinstance(v, str) and TAG.search(KIT_TAGS.sub("", v)):
            bad.append(f"{path}: {v[:120]!r}")

    walk(fig, "")
    return bad


# ---------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------


def test_payload_data_loads_and_every_refusal_names_its_cell(hostile):
    assert len(hostile["accepted"]) >= 20, f"too few payloads reached the data: {hostile['accepted']}"
    for (file, i, column, _), problems in hostile["refused"]:
        assert problems and all(f"{file}:{i + 2}: {column}:" in p for p in problems), problems
    refused = {(f, c) for (f, _, c, _), _ in hostile["refused"]}
    assert ("observations.csv", "unit") in refused  # units come from a fixed list that names the material
    # a source's url must be a web address: javascript: never reaches a page from the data
    assert any(e[2] == "url" and e[3] == JS_URL for e, _ in hostile["refused"])


def test_every_report_and_the_index_run_no_script(browser, hostile):
    pages = hostile["pages"]
    names = [p.name for p in pages]
    assert "index.html" in names and len(pages) >= len(STORIES) + 1, names
    texts = {}
    for path in pages:
        found, dialogs = audit_page(browser, path)
        assert_clean(path, found, dialogs)
        texts[path.name] = found["text"]
    # the payloads reached the pages, shown as text: the index (batch titles), the self-sufficiency
    # report (the deal's name, its source texts), the timeline (event titles, the javascript: URL as text)
    assert f"Self-sufficiency {IMG}" in texts["index.html"] and f"Timeline {SVG}" in texts["index.html"]
    self_page = next(n for n in names if n.startswith("self_sufficiency--"))
    assert f"assumption: {IMG}" in texts[self_page] or f"{IMG}" in texts[self_page]
    assert hostile["deal"] in texts[self_page]
    timeline = next(n for n in names if n.startswith("export_controls_timeline"))
    assert IMG in texts[timeline] and SVG in texts[timeline]
    if any(e[2] == "url" and e[3] == HTTP_URL for e in hostile["accepted"]):  # shown as text, never as a link
        assert HTTP_URL in texts[timeline]


def test_no_figure_text_carries_markup_for_plotly(hostile):
    from rekit.figures.render import MIME

    notebooks = sorted(hostile["out"].glob("*.ipynb"))
    assert len(notebooks) >= len(STORIES)
    figures = 0
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                fig = (out.get("data") or {}).get(MIME)
                if fig:
                    figures += 1
                    assert plotly_markup(fig) == [], f"{path.name}: markup plotly would read: {plotly_markup(fig)}"
    assert figures >= len(STORIES)


def test_every_chart_keeps_payload_text_as_text(hostile):
    """Every chart of rekit.figures.charts, built from the payload data and deal (those no report above
    builds too: the tornado and Sobol charts, with payload parameter names): no markup for plotly."""
    import pandas as pd

    from rekit.figures import charts
    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate

    ds, deal = hostile["ds"], hostile["deal"]
    book = load_deals(str(hostile["deals_file"]), ds=ds)
    res = simulate(book, [deal, "status_quo"], years=(2024, 2032), draws=20)
    table = pd.DataFrame({"parameter": [IMG, SVG], "S1": [0.5, 0.2], "S1_conf": [0.1, 0.1], "ST": [0.6, 0.3],
                          "ST_conf": [0.1, 0.1]})
    figures = {
        "self_sufficiency": charts.self_sufficiency_chart(res, ds, book),
        "export_share": charts.export_share_chart(ds, book, res),
        "mine_production": charts.mine_production_chart(ds),
        "timeline": charts.timeline_chart(ds),
        "sankey": charts.flows_sankey(res, deal, 2030, ds, book),
        "tornado": charts.tornado_chart(table, ds, book, deal=deal, metric="self_sufficiency", year=2030, vs="status_quo"),
        "sobol": charts.sobol_chart(table, ds, book, deal=deal, metric="self_sufficiency", year=2030),
    }
    for name, fig in figures.items():
        d = fig.to_dict()
        assert plotly_markup(d) == [], f"{name}: {plotly_markup(d)}"
    # the payloads are in the charts, escaped: plotly shows them as the characters they are
    assert charts.plain(deal) in figures["sankey"].layout.title.text
    assert charts.plain(IMG) in figures["tornado"].data[0].y
    assert any(charts.plain(IMG) in str(y) for t in figures["timeline"].data for y in t.y)


def test_pages_hold_no_payload_outside_scripts(hostile):
    """As written to disk: every payload is escaped wherever it is HTML (only inside the figures'
    script elements, as JSON text, does it keep its characters)."""
    for path in hostile["pages"]:
        text = re.sub(r"<script\b[^>]*>.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S | re.I)
        for p in PAYLOADS:
            assert p not in text, f"{path.name}: {p!r} is written unescaped"
        assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", text, re.I), f"{path.name}: a javascript: link"


def test_explorer_panel_runs_no_script(browser, hostile, tmp_path):
    import pandas as pd

    from rekit.explore.panel import panel_html
    from rekit.figures.render import write_plotlyjs

    deal = hostile["deal"]
    table = pd.DataFrame({"deal": [deal], "year": [2030], "self_sufficiency": [0.25], "self_sufficiency_p05": [0.1],
                          "self_sufficiency_p95": [0.4], "export_share": [0.3], "export_share_p05": [0.2],
                          "export_share_p95": [0.35]})
    html = panel_html(table, 2030, sources=[("evil_source", f"{IMG} {SVG}", JS_URL),
                                             ("evil_http", SCRIPT, f"https://example.org/{SVG}"),
                                             ("good", "A good source", "https://example.org/page")],
                      message=f"cannot compute {SCRIPT}", draws=100, basis=SVG,
                      descriptions={deal: f"{SCRIPT} {IMG}"}, updates=1)
    for p in PAYLOADS:
        assert p not in html
    page = tmp_path / "panel.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>panel</title></head><body>{html}</body></html>",
                    encoding="utf-8")
    found, dialogs = audit_page(browser, page)
    assert_clean(page, found, dialogs)
    for p in (IMG, SVG, SCRIPT, f"cannot compute {SCRIPT}"):
        assert p in found["text"]

    # the explorer itself, as a static page (its chart and panel), with the payload deal and data
    from rekit.explore import explore

    ex = explore(deals=[deal], deals_file=str(hostile["deals_file"]), ds=hostile["ds"], draws=0)
    write_plotlyjs(tmp_path)
    static = tmp_path / "explorer.html"
    static.write_text("<!doctype html><html><head><meta charset='utf-8'><title>explorer</title></head><body>"
                      f"{ex.static_html()}</body></html>", encoding="utf-8")
    found, dialogs = audit_page(browser, static)
    assert_clean(static, found, dialogs)
    assert deal in found["text"]  # the deal's name, drawn as text in the chart's legend and the panel


def test_run_one_report_with_a_payload_deal(browser, hostile, tmp_path):
    """The reproduction as a user would type it: `rekit run` with the payload deal on the command line
    (as one self-contained page: plotly.js inlined, the kit's own script)."""
    out = tmp_path / "out"
    proc = run_rekit(["run", "self_sufficiency", "--deals", hostile["deals_file"], "-p", "deals", hostile["deal"],
                      "-p", "deals", "status_quo", "-p", "draws", str(DRAWS), "--out", out, "--self-contained"],
                     env={"REKIT_DATA": str(hostile["data"])}, cwd=ROOT, timeout=600)
    expect(proc, 0, "wrote")
    pages = [p for p in out.glob("*.html") if p.name != "methods.html"]
    assert len(pages) == 1, pages
    # a self-contained page is the one file written: no plotly.min.js, CSS, downloads or notebook beside it
    # (the folder's record and lock are hidden bookkeeping files)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [pages[0].name]
    found, dialogs = audit_page(browser, pages[0])
    assert_clean(pages[0], found, dialogs)
    assert hostile["deal"] in found["text"]


# ---------------------------------------------------------------------------------------------
# units: the places HTML is made, each with a payload
# ---------------------------------------------------------------------------------------------

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.mark.parametrize("where", ["cell", "column", "index", "caption", "unit"])
def test_headline_table_escapes_a_payload(where):
    import pandas as pd

    from rekit.figures.headlines import Table

    df = pd.DataFrame({IMG if where == "column" else "title": [IMG if where == "cell" else "x"], "t": [1.0]},
                      index=pd.Index([IMG if where == "index" else "2024"], name="year"))
    html = Table(df, units={"t": IMG if where == "unit" else "t Nd"}, caption=IMG if where == "caption" else "").to_html()
    assert ESCAPED in html
    assert "<img src=x" not in html


def test_plain_keeps_plotly_text_as_text():
    from rekit.figures.charts import plain, wrapped

    assert plain(IMG) == ESCAPED
    assert plain("A & B <b>") == "A &amp; B &lt;b&gt;"  # plotly decodes &amp; &lt; &gt; back to & < >
    # wrapping first, then escaping each line: an entity is never cut by a line break
    assert wrapped("<b>bold</b> and more words", 12) == "&lt;b&gt;bold&lt;/b&gt;<br>and more<br>words"


def test_finding_markdown_has_no_markup():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from rekit.figures.headlines import finding

    bundle, meta = finding(f"Under {IMG} see [this](javascript:alert(4)) and <https://example.org>.")._repr_mimebundle_()
    html = markdown2html_mistune(bundle["text/markdown"])
    assert "<img" not in html and ESCAPED in html
    assert "javascript:" not in re.sub(r"\[this\]\(javascript:alert\(4\)\)", "", html)  # shown as text, never a link
    hrefs = re.findall(r'<a href="([^"]*)"', html)
    assert all(h.startswith("https://example.org") for h in hrefs), hrefs  # a bare address may link: only http(s)


def test_figure_html_refuses_a_size_or_id_that_would_leave_the_attribute():
    from rekit.figures.render import figure_html

    fig = json.dumps({"data": [], "layout": {"height": '1px;"><img src=x onerror=alert(1)>', "width": 700}})
    html = figure_html(fig, "rekit-abc")
    assert 'style="height:450px; width:700px;"' in html  # the bad height falls back to the default 450 px
    assert "data-rekit-figure" in html
    with pytest.raises(ValueError, match="plain HTML id"):
        figure_html(fig, 'x"><img src=x>')


def test_citation_of_a_title_that_is_not_text():
    from rekit.reports.citation import cite_kit

    assert "123. In: rekit" in cite_kit("text", title=123, built="2026-01-01")
    assert "@software{rekit2026123," in cite_kit("bibtex", title=123, built="2026-01-01")
