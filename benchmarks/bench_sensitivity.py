"""Speed of the global sensitivity analysis: Sobol with the structural choices as factors, N = 1024, every year.

Run: .venv/bin/python benchmarks/bench_sensitivity.py [--deal repm_scheme] [--metric own_feedstock_coverage] [--n 1024]
                                                   [--years 2024-2050] [--repeat 1]
Prints the number of factors (k, the structural choices among them) and model runs (N x (k + 2),
each over every year from 2024), the wall time of the whole analysis (target: under 15 s for every
year), the time of the plain way for the same design (one SALib analysis per year, each running
the model again to that year only; timed for the first, middle and last years and scaled to all of them, as
a run's cost grows linearly with its last year), and the most influential inputs of the last year.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deal", default="repm_scheme")
    ap.add_argument("--metric", default="own_feedstock_coverage")
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--years", default="2024-2050")
    args = ap.parse_args()
    first, last = (int(x) for x in args.years.split("-"))

    import SALib.analyze.sobol  # noqa: F401  (imported before the clock starts, as a session would have)
    import SALib.sample.sobol  # noqa: F401

    from rekit.model.deals import load_deals
    from rekit.model.sensitivity import factors, sensitivity

    book = load_deals()
    facs = factors(book, [args.deal])
    k, structural = len(facs), [f.name for f in facs if f.structural]
    t = time.perf_counter()
    table = sensitivity(book, args.deal, args.metric, years=(first, last), method="sobol", n=args.n, seed=0)
    took = time.perf_counter() - t
    # the plain way: one analysis per year, each its own runs (what a loop over --year would do)
    t = time.perf_counter()
    plain_years = sorted({first, (first + last) // 2, last})  # a run's cost grows linearly with its last year: their mean is the mean
    for y in plain_years:
        sensitivity(book, args.deal, args.metric, year=y, method="sobol", n=args.n, seed=0)
    plain = (time.perf_counter() - t) / len(plain_years) * (last - first + 1)
    print(f"Sobol, {args.deal}, {args.metric}, {first}-{last}: N = {args.n}, k = {k} factors ({len(structural)} structural: "
          f"{', '.join(structural)}), {args.n * (k + 2):,} model runs x {last - 2023} years")
    print(f"  every year from one design: {took:6.2f} s (target 15 s)")
    print(f"  plain way, one analysis a year: {plain:6.2f} s (timed for {', '.join(map(str, plain_years))}, scaled; "
          f"{plain / took:.1f}x)")
    print(table[table["year"] == last].head(5).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
