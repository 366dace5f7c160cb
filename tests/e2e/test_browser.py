"""Real-browser tests: the deal explorer in JupyterLab, and the HTML reports opened from disk.

Headless Debian Chromium driven by Playwright (see tests/e2e/browser_fixtures.py). Skipped, with the
reason, when /usr/bin/chromium (or REKIT_CHROMIUM) or the playwright package is missing. Every
wait has a timeout. With REKIT_SCREENSHOTS=1 the screenshots are copied to docs/images/.

Run alone: .venv/bin/python -m pytest tests/e2e/test_browser.py -v
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from browser_fixtures import LOCAL_SCHEMES, offline_context, save_screenshot

WAIT = 60_000  # ms: the longest any one step may take on a slow 2-core machine
DEAL = "toll_japan"
# every line of the chart, as drawn: changes when any trace's data changes
JS_LINES = ("() => Array.from(document.querySelectorAll('.rekit-explorer-figure .scatterlayer path.js-line'))"
            ".map(p => p.getAttribute('d')).join('|')")
JS_HEADLINE = ("([deal, want]) => { const el = document.querySelector(`.rekit-headline[data-status='ok'] "
               ".rekit-ssr[data-deal='${deal}']`); return !!el && Math.abs(Number(el.dataset.value) - want) < 1e-4; }")


def _expected_ssr(deals: list[str], year: int, **overrides: float) -> float:
    """The headline self-sufficiency the explorer should show, computed in this process by the same functions."""
    from rekit.model.deals import load_deals
    from rekit.explore import State, compute, headline

    state = State(deals=tuple(deals), years=(2024, 2035), headline_year=year, overrides=overrides)
    table = headline(compute(state, load_deals()), year)
    return float(table.set_index("deal").loc[DEAL, "self_sufficiency"])


def _notebook_deals() -> list[str]:
    from rekit.parameters.registry import defaults

    from browser_fixtures import NOTEBOOKS
    return list(defaults(NOTEBOOKS / "explorer.ipynb")["deals"])


def test_explorer_in_jupyterlab(browser, jupyter_lab, screenshot_dir):
    """Open explorer.ipynb in JupyterLab, run all cells, move the retained-share slider with the keyboard:
    the chart's lines and the headline number follow, and the number is the model's."""
    ctx, requests, blocked = offline_context(browser, allowed_hosts=(jupyter_lab.host,), height=1500)
    ctx.set_default_timeout(WAIT)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{jupyter_lab.url}/lab/tree/explorer.ipynb?token={jupyter_lab.token}", timeout=WAIT)
        page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=WAIT)  # kernel "Python (rekit) | Idle"
        page.keyboard.press("Control+b")  # hide the file browser: room for the explorer
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator('li[data-command="runmenu:run-all"]').click()

        head = page.locator(".rekit-headline")
        page.locator(f".rekit-headline[data-status='ok'] .rekit-ssr[data-deal='{DEAL}']").wait_for(timeout=WAIT)
        page.locator(".rekit-explorer-figure.js-plotly-plot .main-svg").first.wait_for(timeout=WAIT)
        page.wait_for_function(f"() => ({JS_LINES})().length > 0", timeout=WAIT)

        deals = _notebook_deals()
        year = int(head.get_attribute("data-year"))
        before = float(page.locator(f".rekit-ssr[data-deal='{DEAL}']").get_attribute("data-value"))
        assert before == pytest.approx(_expected_ssr(deals, year), abs=1e-4)
        lines_before = page.evaluate(JS_LINES)
        readout = page.locator(".rekit-retained-share .widget-readout")
        start = float(readout.inner_text())

        handle = page.locator(".rekit-retained-share .noUi-handle")
        handle.focus()
        for _ in range(10):  # ten steps of 0.01 to the right
            handle.press("ArrowRight")
        target = round(start + 0.10, 2)
        want = _expected_ssr(deals, year, retained_share=target)
        page.wait_for_function(JS_HEADLINE, arg=[DEAL, want], timeout=WAIT)

        assert float(readout.inner_text()) == pytest.approx(target)
        after = float(page.locator(f".rekit-ssr[data-deal='{DEAL}']").get_attribute("data-value"))
        assert after < before, "the partner keeps more magnets, so India's self-sufficiency must fall"
        page.wait_for_function(f"prev => ({JS_LINES})() !== prev", arg=lines_before, timeout=WAIT)
        assert "retained_share" in page.locator(".rekit-overrides").inner_html()
        assert page.locator(".rekit-sources li").count() > 0

        shot = save_screenshot(page.locator(".rekit-explorer"), "explorer", screenshot_dir)
        assert shot.stat().st_size > 10_000

        # a demand of 0 cannot be computed: a message in the panel, and the chart stays as it was
        lines_good = page.evaluate(JS_LINES)
        demand = page.locator(".rekit-demand-base .widget-readout")
        demand.click()
        page.keyboard.press("Control+a")
        page.keyboard.type("0")
        page.keyboard.press("Enter")
        page.locator(".rekit-headline[data-status='error'] .rekit-message").wait_for(timeout=WAIT)
        assert "demand" in page.locator(".rekit-message").inner_text()
        assert page.evaluate(JS_LINES) == lines_good
        assert float(page.locator(f".rekit-ssr[data-deal='{DEAL}']").get_attribute("data-value")) == pytest.approx(after)
        assert not blocked, f"requests that would have left the machine: {blocked}"
        assert not errors, f"errors in the page: {errors}"
    finally:
        ctx.close()


def _open_offline(browser, url: str):
    ctx, requests, blocked = offline_context(browser)
    ctx.set_default_timeout(WAIT)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, timeout=WAIT, wait_until="load")
    return ctx, page, requests, blocked, errors


def _assert_chart_drawn(page) -> None:
    page.locator(".js-plotly-plot svg.main-svg").first.wait_for(timeout=WAIT)
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() > 0


def _assert_offline(requests: list[str], blocked: list[str]) -> None:
    assert requests, "no requests were recorded at all"
    assert not blocked, f"requests that would have left the machine: {blocked}"
    outside = [u for u in requests if not u.startswith(LOCAL_SCHEMES)]
    assert not outside, f"requests other than file:, data:, blob:, about: {outside}"


def test_report_renders_offline(browser, built_reports, screenshot_dir):
    """A report built by `rekit run`, opened from disk: the chart draws and nothing is fetched from the network."""
    page_path: Path = built_reports["page"]
    assert page_path.exists(), f"{built_reports['how']} did not write {page_path}"
    ctx, page, requests, blocked, errors = _open_offline(browser, page_path.as_uri())
    try:
        _assert_chart_drawn(page)
        page.wait_for_load_state("networkidle", timeout=WAIT)
        _assert_offline(requests, blocked)
        assert not errors, f"errors in the page: {errors}"
        shot = save_screenshot(page, "report", screenshot_dir)
        assert shot.stat().st_size > 10_000
    finally:
        ctx.close()


def test_report_index_links(browser, built_reports):
    """index.html from `rekit reports`: every link to a report opens a page whose chart draws, offline."""
    index: Path = built_reports["index"]
    assert index.exists(), f"{built_reports['how']} wrote no {index}"
    ctx, page, requests, blocked, errors = _open_offline(browser, index.as_uri())
    try:
        hrefs = page.locator("a[href$='.html']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        reports = sorted({h for h in hrefs if not h.startswith(("http:", "https:")) and h not in ("index.html", "methods.html")})
        assert len(reports) >= 2, f"expected two reports in the index, got {reports}"
        for href in reports:
            link = page.locator(f"a[href='{href}']").first
            link.click()
            page.wait_for_url(urljoin(index.as_uri(), href), timeout=WAIT)
            _assert_chart_drawn(page)
            page.go_back(timeout=WAIT)
            page.locator("a[href$='.html']").first.wait_for(timeout=WAIT)
        page.wait_for_load_state("networkidle", timeout=WAIT)
        _assert_offline(requests, blocked)
        assert not errors, f"errors in the pages: {errors}"
    finally:
        ctx.close()


# ---------------------------------------------------------------------------------------------
# Reports v2: downloads, citation, landing page, alt text, no render-blocking script, escaped data
# ---------------------------------------------------------------------------------------------

STORY = {
    "title": "# Self-sufficiency in brief",
    "parameters": 'deals = ["toll_japan", "repm_scheme"]  # deals to compare; names from data/deals.yml\n'
                  "draws = 100  # Monte Carlo draws; 1..100000",
    "code": "from rekit.parameters.registry import check\nfrom rekit.data.dataset import load\nfrom rekit.model.deals import load_deals\n"
            "from rekit.model.simulation import simulate\nfrom rekit.figures import charts, headlines\n\n"
            'p = check({"deals": deals, "draws": draws})\nds = load()\nbook = load_deals(ds=ds)\n'
            'result = simulate(book, p["deals"], years=(2024, 2035), draws=p["draws"])\n'
            'headlines.finding(headlines.reaching_sentence(result, "self_sufficiency", 0.5, 2030))',
    "charts": "charts.self_sufficiency_chart(result, ds, book)",
    "charts2": "charts.mine_production_chart(ds)",
}


@pytest.fixture(scope="module")
def story_reports(tmp_path_factory):
    """A two-chart story notebook built by the batch runner: its report folder and the report's path."""
    import nbformat
    from rekit.reports.runner import run_batch

    base = tmp_path_factory.mktemp("story")
    nbs = base / "notebooks"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(STORY["title"]),
                nbformat.v4.new_code_cell(STORY["parameters"], metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(STORY["code"]), nbformat.v4.new_code_cell(STORY["charts"]),
                nbformat.v4.new_code_cell(STORY["charts2"])]
    nb.metadata["kernelspec"] = {"name": "rekit", "display_name": "Python (rekit)", "language": "python"}
    nbformat.write(nb, nbs / "brief.ipynb")
    (nbs / "batch.yml").write_text("all_notebooks: true\n", encoding="utf-8")
    out = base / "reports"
    res = run_batch(nbs / "batch.yml", out, jobs=1, progress=False)
    assert res.ok, [r.describe_failure() for r in res.failures]
    return {"out": out, "page": out / "brief.html"}


def test_report_downloads_alt_text_citation_and_deferred_script(browser, story_reports, screenshot_dir):
    ctx, page, requests, blocked, errors = _open_offline(browser, story_reports["page"].as_uri())
    try:
        _assert_chart_drawn(page)
        # no render-blocking script: every external script in <head> is deferred or async
        blocking = page.evaluate("() => Array.from(document.querySelectorAll('head script[src]'))"
                                 ".filter(s => !s.defer && !s.async).map(s => s.src)")
        assert blocking == []
        # alt text: one labelled image per chart, its label the chart's description
        labels = page.locator("[role=img][aria-label]").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
        assert len(labels) == 2 and labels[0].startswith("India's neodymium self-sufficiency") and "In 2030" in labels[0]
        assert "World" in labels[1]
        # download links: each chart's CSV and the executed notebook, present beside the page
        hrefs = page.locator("a[download]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert {"brief.chart-1.csv", "brief.chart-2.csv", "brief.ipynb"} <= set(hrefs)
        for h in set(hrefs):
            assert (story_reports["out"] / h).is_file(), h
        with page.expect_download(timeout=WAIT) as dl:
            page.locator("a[href='brief.chart-2.csv']").first.click()
        text = Path(dl.value.path()).read_text(encoding="utf-8")
        assert text.startswith("country,year,production,unit") and "China" in text  # a tidy table, no # lines
        # citation block with the kit's and the data's versions
        import rekit
        from rekit.reports.citation import data_version

        cite = page.locator("#rekit-cite").inner_text()
        assert f"rekit {rekit.__version__}" in cite and f"data version {data_version()}" in cite and "commit" in cite
        # sources: numbered, only http(s) links
        links = page.locator("#rekit-sources a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert links and all(h.startswith(("https://", "http://")) for h in links)
        assert page.locator("figcaption a[href^='#src-']").count() > 0
        _assert_offline(requests, blocked)
        assert not errors, errors
        save_screenshot(page, "report-v2", screenshot_dir)
    finally:
        ctx.close()


def test_landing_page_has_a_card_per_story(browser, story_reports, screenshot_dir):
    ctx, page, requests, blocked, errors = _open_offline(browser, (story_reports["out"] / "index.html").as_uri())
    try:
        cards = page.locator("li.card")
        assert cards.count() == 1
        card = cards.first
        assert card.locator("h3 a").get_attribute("href") == "brief.html"
        assert re.match(r"Under toll_japan the median self-sufficiency (reaches|does not reach) 0.5", card.locator(".finding").inner_text())
        from rekit.figures.images import find_browser

        if find_browser():
            img = card.locator("img")
            assert img.get_attribute("alt").startswith("First chart of the report")
            assert page.evaluate("() => document.querySelector('li.card img').naturalWidth") > 100
        assert page.locator("text=Build").count() > 0 and page.locator("table").count() == 1
        assert not errors, errors
        save_screenshot(page, "index", screenshot_dir)
    finally:
        ctx.close()


def _one_chart_report(folder: Path, stem: str, heading: str, title: str):
    """(notebook, Job) of a report with a markdown heading and the mine-production chart, as the kit renders it,
    from the data REKIT_DATA names (the bundled data by default)."""
    import nbformat
    from rekit.data.dataset import load
    from rekit.figures import charts
    from rekit.figures.render import RekitRenderer
    from rekit.reports.jobs import Job

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("chart")
    bundle = RekitRenderer().to_mimebundle(charts.mine_production_chart(load()).to_dict())
    cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    nb.cells = [nbformat.v4.new_markdown_cell(heading), cell]
    (folder / f"{stem}.ipynb").write_text("{}")
    return nb, Job(notebook=folder / f"{stem}.ipynb", name=stem, params={}, effective={}, title=title, stem=stem)


def test_a_source_title_holding_script_is_never_executed(browser, tmp_path, monkeypatch):
    """A report whose source title is `<img src=x onerror=alert(1)>`: shown as text, no dialog opens."""
    import csv
    import shutil as sh

    from rekit.paths import BUNDLED_DATA
    from rekit.reports import html as H

    data = tmp_path / "data"
    sh.copytree(BUNDLED_DATA, data)
    rows = list(csv.DictReader((data / "sources.csv").open(encoding="utf-8")))
    for r in rows:
        if r["source_id"] == "usgs_mcs_2026":
            r["title"] = "<img src=x onerror=alert(1)>"
    with (data / "sources.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    monkeypatch.setenv("REKIT_DATA", str(data))
    nb, job = _one_chart_report(tmp_path, "h", "# Hostile", "<script>alert(2)</script>")
    out = tmp_path / "out"
    out.mkdir()
    H.write_assets(out)
    H.write_report(out, H.render_report(nb, job, show_input=False, built="2026-11-30"), job)
    ctx, page, requests, blocked, errors = _open_offline(browser, (out / "h.html").as_uri())
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.reload(wait_until="load")
        _assert_chart_drawn(page)
        assert "<img src=x onerror=alert(1)>" in page.locator("#rekit-sources").inner_text()
        assert "<script>alert(2)</script>" in page.locator("#rekit-cite").inner_text()
        assert dialogs == []
    finally:
        ctx.close()


def test_self_contained_page_works_copied_alone(browser, tmp_path):
    """`--self-contained`: the page copied alone into an empty folder still draws its chart and styles, offline."""
    from rekit.reports import html as H

    nb, job = _one_chart_report(tmp_path, "a", "# Alone", "Alone")
    alone = tmp_path / "alone"
    alone.mkdir()
    page = H.render_report(nb, job, show_input=False, built="2026-11-30", self_contained=True, downloads_too=False).page
    (alone / "a.html").write_text(page, encoding="utf-8")
    assert sorted(p.name for p in alone.iterdir()) == ["a.html"]
    ctx, pg, requests, blocked, errors = _open_offline(browser, (alone / "a.html").as_uri())
    try:
        _assert_chart_drawn(pg)
        assert pg.evaluate("() => getComputedStyle(document.querySelector('.rekit-report-footer')).maxWidth") != "none"
        _assert_offline(requests, blocked)
        assert not errors, errors
    finally:
        ctx.close()


def test_skips_cleanly_without_chromium(monkeypatch):
    """The fixture that finds Chromium skips (never hangs or errors) when the browser is absent."""
    import browser_fixtures

    assert math.isfinite(browser_fixtures.free_port())
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        browser_fixtures.find_chromium()
