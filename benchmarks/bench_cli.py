"""How fast the `rekit` command starts, against importing pandas, in the same run.

Run: .venv/bin/python benchmarks/bench_cli.py [--repeat N]
Runs each command N times (default 7) as a fresh process, round-robin (so a busy spell of the
machine hits every command alike), and prints per command the median wall time and the median CPU
time (user + system of the process), in ms and as a ratio to `python -c "import pandas"`.

Targets: `rekit data check` (the full check, with the Frictionless validator) within 3x of the
CPU of importing pandas, `rekit --help` under 0.5x; a refused `rekit run self_sufficiency -p draws
-5` under 1.5 s. The row "collector on" is `rekit data check` with CPython's garbage collector left
at its defaults. The rows "without the stand-in" are the same commands with jsonschema's format
packages (rfc3987-syntax, rfc3986-validator) imported first, as they are when rekit does not put
its stand-in in their place (rekit._defer): the difference is what the stand-in saves.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

PY = sys.executable
# The same command through rekit.cli.app.main, as the `rekit` executable ran it before it paused
# CPython's cyclic collector (see rekit.cli.main): the collector on, at its default thresholds.
PLAIN = "import sys; from rekit.cli.app import main; sys.exit(main(sys.argv[1:]))"
# The `rekit` command with jsonschema's format packages loaded first, so rekit._defer leaves them be.
NO_STAND_IN = "import rfc3987_syntax, rfc3986_validator, runpy; runpy.run_module('rekit.cli', run_name='__main__')"
COMMANDS: list[tuple[str, list[str], int]] = [
    ('python -c "import pandas"', [PY, "-c", "import pandas"], 0),
    ("rekit --help", [PY, "-m", "rekit.cli", "--help"], 0),
    ("rekit data check", [PY, "-m", "rekit.cli", "data", "check"], 0),
    ("rekit data check --quick", [PY, "-m", "rekit.cli", "data", "check", "--quick"], 0),
    ("rekit data check, collector on (the plain way)", [PY, "-c", PLAIN, "data", "check"], 0),
    ("rekit data check, without the stand-in", [PY, "-c", NO_STAND_IN, "data", "check"], 0),
    ('python -c "import rekit, nbformat"', [PY, "-c", "import rekit, nbformat"], 0),
    ('python -c "import rekit, nbformat", without the stand-in',
     [PY, "-c", "import rfc3987_syntax, rfc3986_validator, rekit, nbformat"], 0),
    ("rekit simulate --deal toll_japan --draws 100", [PY, "-m", "rekit.cli", "simulate", "--deal", "toll_japan", "--draws", "100"], 0),
    ("rekit run self_sufficiency -p draws -5 (refused)", [PY, "-m", "rekit.cli", "run", "self_sufficiency", "-p", "draws", "-5"], 2),
]


def run_once(argv: list[str], expect: int) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run of `argv` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = (time.perf_counter() - t) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != expect:
        sys.exit(f"{' '.join(argv)}: exit {out.returncode}, expected {expect}\n{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def medians(commands: list[tuple[str, list[str], int]], repeat: int) -> dict[str, tuple[float, float]]:
    """Name -> (median wall ms, median CPU ms) of `repeat` runs of each (name, argv, expected exit)
    command, round-robin (a busy spell of the machine hits every command alike), after one untimed
    run each (files in the page cache, .pyc written)."""
    for _, argv, expect in commands:
        run_once(argv, expect)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in commands}
    for _ in range(repeat):
        for name, argv, expect in commands:
            runs[name].append(run_once(argv, expect))
    return {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in runs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs of each command (default 7)")
    args = ap.parse_args()
    env_note = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start"
    times = medians(COMMANDS, args.repeat)
    base_w, base_c = times[COMMANDS[0][0]]
    print(f"median of {args.repeat} runs each ({env_note})")
    print(f"{'command':<52} {'wall ms':>8} {'x pandas':>8} {'CPU ms':>8} {'x pandas':>8}")
    for name, _, _ in COMMANDS:
        w, c = times[name]
        print(f"{name:<52} {w:8.0f} {w / base_w:8.2f} {c:8.0f} {c / base_c:8.2f}")


if __name__ == "__main__":
    main()
