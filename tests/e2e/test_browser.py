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

from browser_fixtures import *  # noqa: F401,F403  (fixtures: browser, jupyter_lab, built_reports, screenshot_dir)
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
    from rekit.reports.params import defaults

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
        reports = sorted({h for h in hrefs if not h.startswith(("http:", "https:")) and "index.html" not in h})
        assert len(reports) >= 2 or built_reports["how"].startswith("fallback"), f"expected two reports in the index, got {reports}"
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


def test_skips_cleanly_without_chromium(monkeypatch):
    """The fixture that finds Chromium skips (never hangs or errors) when the browser is absent."""
    import browser_fixtures

    assert math.isfinite(browser_fixtures.free_port())
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        browser_fixtures.find_chromium()
