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
import sys

from bench_cli import medians

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
    times = medians([(name, argv, 0) for name, argv in LINES], args.repeat)
    print(f"median of {args.repeat} runs each ({note})")
    print(f"{'imports':<44} {'wall ms':>8} {'CPU ms':>8}")
    for name, _ in LINES:
        print(f"{name:<44} {times[name][0]:8.0f} {times[name][1]:8.0f}")
    (pw, pc), (rw, rc) = (times[name] for name, _ in LINES)
    print(f"plain / rekit: {pw / rw:.1f}x wall, {pc / rc:.1f}x CPU")


if __name__ == "__main__":
    main()
