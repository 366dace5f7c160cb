"""Speed of the partner-deal model: the full Monte Carlo and the single no-draw call a slider needs.

Run: .venv/bin/python benchmarks/bench_model.py [--draws 10000] [--repeat 10]
Prints medians in milliseconds for:
  - every preset x 2024-2050 x N draws: simulate() alone, and simulate() + summary() quantiles;
  - one deal, no draws (central values), 2024-2050: simulate() per call;
  - the plain way for comparison: the same no-draw run with a Python loop over years.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import median_ms



def loop_per_year(book, deal: str, years: range) -> list[float]:
    """The plain way: one simulate() per year (what a naive model would do), for the ratio."""
    from rekit.model.simulation import simulate

    return [float(simulate(book, [deal], years=(y, y), draws=0).arrays["self_sufficiency"][0, 0, 0]) for y in years]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()

    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate

    book = load_deals()
    deals = list(book.deals)
    span = (2024, 2050)
    full = median_ms(lambda: simulate(book, deals, years=span, draws=args.draws), args.repeat)
    full_q = median_ms(lambda: simulate(book, deals, years=span, draws=args.draws).summary(), max(3, args.repeat // 3))
    one = median_ms(lambda: simulate(book, ["toll_japan"], years=span, draws=0), 200)
    plain = median_ms(lambda: loop_per_year(book, "toll_japan", range(span[0], span[1] + 1)), 20)
    cells = len(deals) * (span[1] - span[0] + 1) * args.draws
    print(f"{len(deals)} presets x {span[0]}-{span[1]} x {args.draws:,} draws = {cells:,} cells")
    print(f"  simulate():                       {full:8.1f} ms")
    print(f"  simulate() + summary() quantiles: {full_q:8.1f} ms")
    print("one deal, no draws, 2024-2050 (slider):")
    print(f"  simulate():                       {one:8.2f} ms per call")
    print(f"  plain way, one call per year:     {plain:8.2f} ms   (ratio {plain / one:.1f}x)")
    check = simulate(book, ["toll_japan"], years=span, draws=0).arrays["self_sufficiency"][0, :, 0]
    assert np.allclose(check, loop_per_year(book, "toll_japan", range(span[0], span[1] + 1)))


if __name__ == "__main__":
    main()
