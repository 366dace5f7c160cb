"""The peak memory of one model run per (deal, year, draw) cell, against the estimate the command
line refuses a run by (rekit.cli.model.PEAK_BYTES_PER_CELL, 700 bytes).

Run: .venv/bin/python benchmarks/bench_memory.py [--draws N]
For each shape, one simulate() and its summary() under tracemalloc, each in a fresh interpreter (so
no earlier run's caches count); prints the peak in MB and in bytes a cell, and the margin to the
estimate. The number depends on numpy and the model, so it is measured here, not asserted in the
tests: tests/cli/test_app.py checks only that a real run stays under the estimate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

SHAPES = [  # (deals, years); draws from the command line
    (["toll_japan", "repm_scheme"], (2024, 2035)),
    (["status_quo", "export_halt", "toll_japan", "toll_korea", "repm_scheme", "partner_plant_india"], (2024, 2050)),
]

ONE_RUN = """
import json, sys, tracemalloc
from rekit.data.dataset import load
from rekit.model.deals import load_deals
from rekit.model.simulation import simulate
deals, years, draws = json.loads(sys.argv[1])
book = load_deals(None, ds=load())
tracemalloc.start()
simulate(book, deals, years=tuple(years), draws=draws, seed=1).summary()
print(tracemalloc.get_traced_memory()[1])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=3000, help="draws a run (default 3,000)")
    args = parser.parse_args()
    from rekit.cli.model import PEAK_BYTES_PER_CELL

    print(f"estimate: {PEAK_BYTES_PER_CELL} bytes a (deal, year, draw) cell")
    print(f"{'deals':>5} {'years':>5} {'draws':>6} {'peak MB':>8} {'bytes/cell':>10} {'of estimate':>11}")
    for deals, years in SHAPES:
        spec = json.dumps([deals, list(years), args.draws])
        out = subprocess.run([sys.executable, "-c", ONE_RUN, spec], capture_output=True, text=True, check=True)
        peak = int(out.stdout.split()[-1])
        cells = len(deals) * (years[1] - years[0] + 1) * args.draws
        per = peak / cells
        print(f"{len(deals):>5} {years[1] - years[0] + 1:>5} {args.draws:>6} {peak / 1e6:>8.1f} {per:>10.0f} "
              f"{per / PEAK_BYTES_PER_CELL:>10.0%}")


if __name__ == "__main__":
    main()
