"""A second `rekit reports` with nothing changed against a full build (incremental builds, rekit.reports.freeze).

    .venv/bin/python benchmarks/bench_reports_incremental.py                      # notebooks/batch.yml
    .venv/bin/python benchmarks/bench_reports_incremental.py --only supply_concentration --only export_share

Builds the batch into a temporary folder (a full build), then again with nothing changed (every
report unchanged: none is rebuilt, no kernel is started), then once more with --force. Prints the
wall-clock times and the ratio full / unchanged. No assertions: the figure depends on the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rekit.reports.runner import run_batch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", default=None, help="batch file (default: notebooks/batch.yml)")
    ap.add_argument("--only", action="append", default=None, help="build only this notebook or report (repeatable)")
    ap.add_argument("--jobs", type=int, default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rekit-bench-") as tmp:
        out = Path(tmp) / "reports"
        t = time.perf_counter()
        full = run_batch(a.batch, out, jobs=a.jobs, only=a.only, progress=False)
        t_full = time.perf_counter() - t
        t = time.perf_counter()
        again = run_batch(a.batch, out, jobs=a.jobs, only=a.only, progress=False)
        t_again = time.perf_counter() - t
    for r in full.failures:
        print(f"failed: {r.describe_failure()}")
    n = len(full.results)
    print(f"full build:        {t_full:7.2f} s  ({n} reports, {len(full.failures)} failed)")
    print(f"nothing changed:   {t_again:7.2f} s  ({len(again.results)} rebuilt, {len(again.skipped)} unchanged)")
    print(f"ratio:             {t_full / t_again:7.1f}x faster")


if __name__ == "__main__":
    main()
