"""First paint of a report page in headless Chromium: plotly.js deferred (as reports are written) against
the same page with a render-blocking <script src="plotly.min.js"> in its head (as they were).

    .venv/bin/python benchmarks/bench_first_paint.py reports/self_sufficiency.html [--repeat 7]

Copies the page (and a blocking twin) beside itself, loads each `--repeat` times from disk in a fresh
browser context (no cache) and prints the median first-contentful-paint from the Paint Timing API.
No assertions: the figure depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
from pathlib import Path

CHROMIUM = os.environ.get("REKIT_CHROMIUM", "/usr/bin/chromium")
FCP = "() => new Promise(r => { const f = () => { const e = performance.getEntriesByName('first-contentful-paint')[0]; " \
      "e ? r(e.startTime) : setTimeout(f, 20); }; f(); })"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page", type=Path)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    text = a.page.read_text(encoding="utf-8")
    blocking = re.sub(r"<script([^>]*?)\sdefer(?:=\"\")?([^>]*)>", r"<script\1\2>", text, count=1)
    assert blocking != text, "no deferred script found in the page"
    twin = a.page.with_name(f".{a.page.stem}.blocking.html")
    twin.write_text(blocking, encoding="utf-8")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            res = {}
            for label, path in (("deferred (now)", a.page), ("render-blocking (before)", twin)):
                times = []
                for _ in range(a.repeat):
                    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = ctx.new_page()
                    page.goto(path.resolve().as_uri(), wait_until="commit")
                    times.append(page.evaluate(FCP))
                    ctx.close()
                res[label] = times
            browser.close()
    finally:
        twin.unlink()
    for label, times in res.items():
        print(f"{label:26s} first contentful paint: median {statistics.median(times):6.0f} ms "
              f"(min {min(times):.0f}, max {max(times):.0f}, n={len(times)})")


if __name__ == "__main__":
    main()
