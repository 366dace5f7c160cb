"""The explorer as a Voilà web app, driven in a real browser: `rekit explore --serve` on a free port of
127.0.0.1, opened in the session's headless Chromium (tests/e2e/browser_fixtures.py); a deal is ticked and
the demand basis changed, and the chart and the panel follow; then Ctrl-C (SIGINT) stops it and no
process it started is left.

Run alone: .venv/bin/python -m pytest tests/e2e/test_app_browser.py -v
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

import pytest

from browser_fixtures import BIN, ROOT, free_port, offline_context
from conftest import alive, as_foreground

WAIT = 90_000  # ms: the longest one step may take on a slow 2-core machine (the first one starts a kernel)
DEALS = ("toll_japan", "repm_scheme")
JS_LINES = ("() => Array.from(document.querySelectorAll('.rekit-explorer-figure .scatterlayer path.js-line'))"
            ".map(p => p.getAttribute('d')).join('|')")
JS_SSR = ("([deal, want]) => { const el = document.querySelector(`.rekit-headline[data-status='ok'] "
          ".rekit-ssr[data-deal='${deal}']`); return !!el && Math.abs(Number(el.dataset.value) - want) < 1e-4; }")


def _children() -> dict[int, list[int]]:
    """{pid: its children's pids}, read from /proc (field 4 of /proc/PID/stat is the parent's pid)."""
    out: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            out.setdefault(ppid, []).append(int(d.name))
    return out


def _descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _read_address(proc: subprocess.Popen, timeout: float = 180) -> str:
    """The app's address, from the line `rekit explore --serve` prints once the server answers."""
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        if not sel.select(timeout=1):
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "running at http://127.0.0.1:" in line:
            return line.split("running at ", 1)[1].strip()
    proc.kill()
    err = proc.stderr.read() if proc.stderr else ""
    raise AssertionError(f"no address from rekit explore --serve; stdout: {''.join(seen)}; stderr: {err}")


def _model_ssr(deals: tuple[str, ...], demand: str, deal: str, year: int) -> float:
    """Own-feedstock coverage of `deal` in `year` from the model itself (central values: draws = 0)."""
    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate

    res = simulate(load_deals(), deals, years=(2024, 2035), draws=0, demand=demand)
    return float(res.at("self_sufficiency", deal, year)[0])


def _left_out() -> dict[str, str]:
    """The end uses the bottom-up demand basis leaves out, from the model (rekit.model.demand.bottom_up)."""
    from rekit.data.dataset import load
    from rekit.model.demand import bottom_up

    return bottom_up(load().path).not_reported


def test_the_app_follows_a_deal_and_a_basis_and_stops_cleanly(browser, tmp_path):
    port = free_port()
    home = tmp_path / "home"
    env = dict(os.environ, JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_CONFIG_DIR=str(home / "config"), IPYTHONDIR=str(home / "ipython"), PYTHONUNBUFFERED="1")
    cmd = [str(BIN / "rekit"), "explore", "--serve", "--port", str(port)]
    for d in DEALS:
        cmd += ["--deal", d]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=as_foreground)
    started: list[int] = []
    try:
        url = _read_address(proc)
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        ctx, requests, blocked = offline_context(browser, allowed_hosts=(f"127.0.0.1:{port}",), height=1400)
        ctx.set_default_timeout(WAIT)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(url, timeout=WAIT)
            head = page.locator(".rekit-headline[data-status='ok']")
            head.wait_for(timeout=WAIT)
            page.wait_for_function(f"() => ({JS_LINES})().length > 0", timeout=WAIT)
            started = _descendants(proc.pid)  # Voilà and the kernel it started for this page
            assert len(started) >= 2, started

            # no code: the notebook's source is stripped from the page
            assert "explore(**options)" not in page.content()
            assert page.locator(".rekit-choices li[data-choice='demand']").get_attribute("data-value") == "official"
            assert head.get_attribute("data-deals") == " ".join(DEALS)
            assert head.get_attribute("data-kind") == "central"

            # tick a deal: it joins the panel and the chart
            lines = page.evaluate(JS_LINES)
            page.locator(".rekit-deal-toll-korea input[type='checkbox']").check()
            page.locator(".rekit-headline[data-status='ok'][data-deals='toll_japan repm_scheme toll_korea']").wait_for(timeout=WAIT)
            page.wait_for_function(f"prev => ({JS_LINES})() !== prev", arg=lines, timeout=WAIT)
            shown = ("toll_japan", "repm_scheme", "toll_korea")

            # a demand basis: the choice is listed and the numbers are the model's under that basis
            lines = page.evaluate(JS_LINES)
            want = _model_ssr(shown, "imports", "toll_japan", 2030)
            assert want != pytest.approx(_model_ssr(shown, "official", "toll_japan", 2030), abs=1e-3)
            page.locator(".rekit-demand select").select_option("imports")
            page.locator(".rekit-choices li[data-choice='demand'][data-value='imports']").wait_for(timeout=WAIT)
            page.wait_for_function(JS_SSR, arg=["toll_japan", want], timeout=WAIT)
            page.wait_for_function(f"prev => ({JS_LINES})() !== prev", arg=lines, timeout=WAIT)

            # the structural envelope stands beside the number, with the choice that gives each end
            env_cell = page.locator(".rekit-envelope[data-deal='toll_japan'][data-metric='self_sufficiency']")
            low, high = float(env_cell.get_attribute("data-low")), float(env_cell.get_attribute("data-high"))
            assert 0 <= low < high
            assert "production" in env_cell.get_attribute("title")

            # the recycling section follows the demand basis, lists the end uses the bottom-up basis leaves out (as
            # the model names them) and draws the magnets in use
            page.locator(".rekit-recycling[data-status='ok'][data-demand='imports']").wait_for(timeout=WAIT)
            assert page.locator(".rekit-not-reported li[data-end-use]").count() == len(_left_out())
            page.wait_for_function("() => document.querySelectorAll('.rekit-stock-figure .scatterlayer .trace').length > 0",
                                   timeout=WAIT)
            assert not errors, f"errors in the page: {errors}"
            assert not blocked, f"requests that would have left the machine: {blocked}"
        finally:
            ctx.close()
    finally:
        started = started or _descendants(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as a terminal sends it to the command
        try:
            out, err = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            for pid in started:  # Voilà and its kernel lead a session of their own: the group kill misses them
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError("rekit explore --serve did not stop within 90 s of Ctrl-C") from None
    assert proc.returncode == 0, out + err
    assert "The deal explorer has stopped." in out
    deadline = time.monotonic() + 30  # the server's kernels end as it stops; wait for the last to go
    while time.monotonic() < deadline and any(alive(p) for p in started):
        time.sleep(0.5)
    left = [p for p in started if alive(p)]
    assert not left, f"processes left after Ctrl-C: {left}"
