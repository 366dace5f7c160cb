"""Speed of the global sensitivity analysis: Sobol with N = 1024 over every ranged input of one deal.

Run: .venv/bin/python benchmarks/bench_sensitivity.py [--deal repm_scheme] [--metric self_sufficiency] [--year 2030] [--n 1024]
Prints the number of model runs (N x (k + 2), k ranged inputs), the wall time (target: under 15 s)
and the five most influential inputs.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deal", default="repm_scheme")
    ap.add_argument("--metric", default="self_sufficiency")
    ap.add_argument("--year", type=int, default=2030)
    ap.add_argument("--n", type=int, default=1024)
    args = ap.parse_args()

    import SALib.analyze.sobol  # noqa: F401  (imported before the clock starts, as a session would have)
    import SALib.sample.sobol  # noqa: F401

    from rekit.model.deals import load_deals
    from rekit.model.sensitivity import factors, sensitivity

    book = load_deals()
    k = len(factors(book, [args.deal], "reported", None))
    t = time.perf_counter()
    table = sensitivity(book, args.deal, args.metric, args.year, method="sobol", n=args.n, seed=0)
    took = time.perf_counter() - t
    print(f"Sobol, {args.deal}, {args.metric} {args.year}: N = {args.n}, k = {k} ranged inputs, "
          f"{args.n * (k + 2):,} model runs x {args.year - 2023} years: {took:.2f} s (target 15 s)")
    print(table.head(5).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
