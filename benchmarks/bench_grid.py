"""Speed of the structural grid and its envelope, and of summary()'s quantiles, against the plain way, in the same run.

Run: .venv/bin/python benchmarks/bench_grid.py [--draws 2000] [--repeat 3]
Prints medians in seconds for:
  - the grid (rekit.model.scenarios.run_grid): every preset x every production basis x every demand
    basis (framing chain; then both framings) x 2024-2050 x N draws, each scenario's p05/p50/p95 of
    every metric (target: under 5 s for the bases x demand bases);
  - the same with the envelope (the pooled draws of every scenario);
  - the plain way: a Python loop calling simulate() per scenario and numpy.percentile per metric;
  - simulate() alone and summary() on its result (every preset, 2024-2050, 10,000 draws, as
    benchmarks/bench_model.py), and summary()'s quantiles the way they were read before (a
    partition at the six order statistics three quantiles need) against a full sort.
No timed assertion: the ratios are what to read.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import median_ms


def plain_grid(book, deals, years, draws, scenarios, metrics) -> dict:
    """The plain way: one simulate() per scenario, numpy.percentile per metric."""
    from rekit.model.simulation import simulate

    out = {}
    for sc in scenarios:
        res = simulate(book, deals, years=years, draws=draws, seed=0, basis=sc.production, demand=sc.demand, framing=sc.framing)
        for m in metrics:
            out[(sc, m)] = np.percentile(res.arrays[m], [5, 50, 95], axis=-1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from rekit.model.deals import load_deals
    from rekit.model.scenarios import run_grid, scenarios
    from rekit.model.simulation import METRICS, simulate

    book = load_deals()
    deals = list(book.deals)
    span = (2024, 2050)
    metrics = list(METRICS)
    chain = dict(framings=["chain"])
    n_chain, n_all = len(scenarios(book, **chain)), len(scenarios(book))
    s = lambda ms: ms / 1000  # noqa: E731
    grid_chain = s(median_ms(lambda: run_grid(book, deals, span, args.draws, 0, keep_envelope=False, **chain), args.repeat))
    plain_chain = s(median_ms(lambda: plain_grid(book, deals, span, args.draws, scenarios(book, **chain), metrics), args.repeat))
    env_chain = s(median_ms(lambda: run_grid(book, deals, span, args.draws, 0, **chain), args.repeat))
    grid_all = s(median_ms(lambda: run_grid(book, deals, span, args.draws, 0, keep_envelope=False), args.repeat))
    plain_all = s(median_ms(lambda: plain_grid(book, deals, span, args.draws, scenarios(book), metrics), args.repeat))
    env_all = s(median_ms(lambda: run_grid(book, deals, span, args.draws, 0), args.repeat))
    # the two ways give the same quantiles
    g = run_grid(book, deals, span, args.draws, 0, keep_envelope=False, productions=["capacity"], demands=["imports"],
                 framings=["chain"], metrics=["own_feedstock_coverage"])
    p = plain_grid(book, deals, span, args.draws, g.scenarios, ["own_feedstock_coverage"])
    assert np.allclose(g.quantiles[0, 0], p[(g.scenarios[0], "own_feedstock_coverage")])

    print(f"{len(deals)} presets x {span[0]}-{span[1]} x {args.draws:,} draws x {len(metrics)} metrics "
          f"({len(book.bases)} production bases, {len(book.demands)} demand bases)")
    print(f"  grid, framing chain ({n_chain} scenarios):      {grid_chain:6.2f} s   (target 5 s; plain way {plain_chain:6.2f} s, "
          f"{plain_chain / grid_chain:.1f}x)")
    print(f"    with the envelope:                      {env_chain:6.2f} s")
    print(f"  grid, both framings ({n_all} scenarios):       {grid_all:6.2f} s   (plain way {plain_all:6.2f} s, "
          f"{plain_all / grid_all:.1f}x)")
    print(f"    with the envelope:                      {env_all:6.2f} s")

    draws = 10_000
    sim = s(median_ms(lambda: simulate(book, deals, years=span, draws=draws), args.repeat))

    def summary_only():
        res = simulate(book, deals, years=span, draws=draws)
        for m in METRICS:  # the metrics are computed when first read: read them before the clock starts
            res.arrays[m]
        return res

    results = [summary_only() for _ in range(args.repeat + 1)]
    summ = s(median_ms(lambda: results.pop().summary(), args.repeat))
    res = summary_only()
    arrays = [res.arrays[m] for m in METRICS]
    n = arrays[0].shape[-1]
    kth = sorted({min(int(np.floor(q * (n - 1))) + j, n - 1) for q in (0.05, 0.5, 0.95) for j in (0, 1)})
    part = s(median_ms(lambda: [np.partition(a, kth, axis=-1) for a in arrays], args.repeat))
    full = s(median_ms(lambda: [np.sort(a, axis=-1) for a in arrays], args.repeat))
    print(f"every preset x {span[0]}-{span[1]} x {draws:,} draws:")
    print(f"  simulate():                               {sim:6.2f} s")
    print(f"  summary() (metrics already computed):     {summ:6.2f} s   ({summ / sim:.2f}x simulate; target <= 1x)")
    print(f"  the quantiles' order statistics, {len(arrays)} metrics: partition at {len(kth)} {part:6.2f} s, "
          f"full sort {full:6.2f} s ({part / full:.1f}x)")


if __name__ == "__main__":
    main()
