"""A chunked Sobol analysis at N = 2^14 over every year: wall time and peak memory on the executor,
and both ways (in one go and in chunks) at a smaller N, in the same run.

Run: .venv/bin/python benchmarks/bench_executor.py [--n 16384] [--jobs 2] [--deal toll_japan]
Each way runs as a fresh process (`rekit sensitivity ... --format csv`), so its peak resident
memory (ru_maxrss) is its own: "one go" is the kit's default (the design evaluated here, in
rekit.model.sensitivity.evaluate's internal chunks); "--jobs N" splits the design into chunks of
rekit.run.chunks.CHUNK_ROWS rows run on N spawned processes. The peak of the caller and of the
largest worker are given apart (RUSAGE_CHILDREN of the caller's process is the largest of its
children). The two tables are compared byte for byte.

Design size: Sobol without second order runs N x (k + 2) rows; the caller holds the design
(rows x k floats) and the results (rows x years floats), each 8 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

WORKER_PEAK = """
import json, resource, runpy, sys
sys.argv = ["rekit"] + sys.argv[1:]
try:
    runpy.run_module("rekit.cli", run_name="__main__")
except SystemExit as e:
    code = e.code
print(json.dumps({"self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}), file=sys.stderr)
"""


def run(args: list[str]) -> dict:
    """Run `rekit` with `args` in a fresh process: wall s, CPU s, peak MB of the caller and of its largest worker."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WORKER_PEAK, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"rekit {' '.join(args)}: exit {out.returncode}\n{out.stderr[-3000:]}")
    peaks = json.loads(out.stderr.strip().splitlines()[-1])
    return {"wall": wall, "stdout": out.stdout, **peaks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2 ** 14, help="the chunked run's N (default 2^14)")
    ap.add_argument("--compare-n", type=int, default=2 ** 11, help="the N both ways run at, to compare (default 2^11)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--deal", default="toll_japan")
    ap.add_argument("--years", default="2024-2050")
    args = ap.parse_args()
    print(f"Sobol of {args.deal}, {args.years} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start)")
    print(f"{'way':<34} {'wall s':>8} {'caller peak MB':>15} {'largest worker MB':>18}")
    runs = [(f"N = {args.compare_n:,}, one go", args.compare_n, []),
            (f"N = {args.compare_n:,}, --jobs {args.jobs}", args.compare_n, ["--jobs", str(args.jobs)]),
            (f"N = {args.n:,}, --jobs {args.jobs}", args.n, ["--jobs", str(args.jobs)])]
    out = {}
    for name, n, extra in runs:
        base = ["sensitivity", "--deal", args.deal, "--n", str(n), "--years", args.years, "--format", "csv"]
        r = out[name] = run(base + extra)
        worker = f"{r['children_mb']:18.0f}" if extra else f"{'-':>18}"
        print(f"{name:<34} {r['wall']:8.1f} {r['self_mb']:15.0f} {worker}")
    print(f"N = {args.compare_n:,}: tables identical:", out[runs[0][0]]["stdout"] == out[runs[1][0]]["stdout"])
    print(f"(one go at N = {args.n:,} over these years is refused by the command line's memory check)")


if __name__ == "__main__":
    main()
