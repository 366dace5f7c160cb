"""How long `rekit.data.load()` takes (what every notebook calls first), against the full check.

Run: .venv/bin/python benchmarks/bench_load.py [--repeat N]
Prints: the import of rekit.data in a fresh interpreter, load() warm (median of N), and the full
validation with Frictionless (median of a few), in milliseconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from timing import median_ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="repetitions of load() (default 20)")
    args = ap.parse_args()

    cold = subprocess.run([sys.executable, "-c",
                           "import time; t=time.perf_counter(); from rekit.data.dataset import load; i=time.perf_counter(); load(); "
                           "print((i-t)*1000, (time.perf_counter()-i)*1000)"], capture_output=True, text=True, check=True)
    import_ms, first_load_ms = map(float, cold.stdout.split())

    from rekit.data import validate
    from rekit.data.dataset import load
    from rekit.paths import data_dir

    warm = median_ms(load, args.repeat)
    full = median_ms(lambda: validate.full(data_dir()), 3)
    print(f"import rekit.data (fresh interpreter, pandas included): {import_ms:7.1f} ms")
    print(f"first load() in that interpreter:                       {first_load_ms:7.1f} ms")
    print(f"load() warm, median of {args.repeat}:                          {warm:7.1f} ms")
    print(f"full check (Frictionless + rules), median of 3:         {full:7.1f} ms")
    print(f"ratio full check / load():                              {full / warm:7.1f} x")


if __name__ == "__main__":
    main()
