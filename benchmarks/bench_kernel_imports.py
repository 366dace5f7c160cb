"""What a notebook kernel pays to import nbformat, plotly's renderers and pandas, with rekit's deferred
IRI grammar and the plain way, in the same run.

Run: .venv/bin/python benchmarks/bench_kernel_imports.py [--repeat N]
Each import line runs N times (default 7) as a fresh process, round-robin, and the medians of wall
and CPU time are printed with the ratio plain / rekit. The plain way imports the libraries as
any kernel does: jsonschema (imported by nbformat) then compiles the rfc3987-syntax grammar for
its "iri" format checks. With `import rekit` first, that grammar waits until an IRI is checked
(rekit/__init__.py), which no notebook here does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from bench_cli import run_once

PY = sys.executable
LINES = [
    ("plain: import nbformat, plotly.io, pandas", [PY, "-c", "import nbformat, plotly.io, pandas"]),
    ("rekit: import rekit, then the same", [PY, "-c", "import rekit, nbformat, plotly.io, pandas"]),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs of each line (default 7)")
    args = ap.parse_args()
    note = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start"
    for _, argv in LINES:  # one untimed run each: files in the page cache, .pyc written
        run_once(argv, 0)
    walls: dict[str, list[float]] = {name: [] for name, _ in LINES}
    cpus: dict[str, list[float]] = {name: [] for name, _ in LINES}
    for _ in range(args.repeat):
        for name, argv in LINES:
            w, c = run_once(argv, 0)
            walls[name].append(w)
            cpus[name].append(c)
    print(f"median of {args.repeat} runs each ({note})")
    print(f"{'imports':<44} {'wall ms':>8} {'CPU ms':>8}")
    for name, _ in LINES:
        print(f"{name:<44} {statistics.median(walls[name]):8.0f} {statistics.median(cpus[name]):8.0f}")
    (pw, rw), (pc, rc) = ([statistics.median(d[n]) for n, _ in LINES] for d in (walls, cpus))
    print(f"plain / rekit: {pw / rw:.1f}x wall, {pc / rc:.1f}x CPU")


if __name__ == "__main__":
    main()
