"""Speed of the structural grid and its envelope, and of summary()'s quantiles, against the plain way, in the same run.

Run: .venv/bin/python benchmarks/bench_grid.py [--draws 2000] [--repeat 3]
Prints medians in seconds for:
  - the grid (rekit.model.scenarios.run_grid): every preset x every production basis x every demand
    basis (framing chain; then both framings) x 2024-2050 x N draws, each scenario's p05/p50/p95 of
    every metric (target: under 5 s for the bases x demand bases), at the default partner alternative
    (then with every partner alternative: the deals with partners run once more for each);
  - the same with the envelope (the pooled draws of every scenario);
  - the plain way: a Python loop calling simulate() per scenario and numpy.percentile per metric;
  - the previous way (before the flows were shared across demand bases): simulate() per scenario and the
    grid's own sorted quantiles, which is what the plain way costs less numpy.percentile's extra time;
  - simulate() alone and summary() on its result (every preset, 2024-2050, 10,000 draws, as
    benchmarks/bench_model.py), and summary()'s quantiles the way they were read before (a
    partition at the six order statistics three quantiles need) against a full sort.
Each is timed twice: wall time (what a user waits) and CPU time of the process (time.process_time, every
thread summed: what the work costs, much less sensitive to other programs sharing the 2 cores).
No timed assertion: the ratios are what to read.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def median_s(fn, repeat: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds of this process) of `fn()` over `repeat` calls, after one untimed call."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def fmt(t: tuple[float, float]) -> str:
    return f"{t[0]:6.2f} s wall, {t[1]:6.2f} s CPU"


def plain_grid(book, deals, years, draws, scenarios, metrics) -> dict:
    """The plain way: one simulate() per scenario, numpy.percentile per metric."""
    from rekit.model.simulation import simulate

    out = {}
    for sc in scenarios:
        res = simulate(book, deals, years=years, draws=draws, seed=0, basis=sc.production, demand=sc.demand, framing=sc.framing)
        for m in metrics:
            out[(sc, m)] = np.percentile(res.arrays[m], [5, 50, 95], axis=-1)
    return out


def previous_grid(book, deals, years, draws, scenarios, metrics) -> dict:
    """The grid as it ran before: one simulate() per scenario (demand bases not shared), each metric sorted once."""
    from rekit.model.scenarios import QUANTILES
    from rekit.model.simulation import simulate, sorted_quantiles

    out = {}
    for sc in scenarios:
        res = simulate(book, deals, years=years, draws=draws, seed=0, basis=sc.production, demand=sc.demand, framing=sc.framing)
        for m in metrics:
            a = np.broadcast_to(res.arrays[m], (len(deals), years[1] - years[0] + 1, max(draws, 1)))
            lo, hi = a.min(axis=-1), a.max(axis=-1)
            q = np.empty((3, *lo.shape))
            q[:] = lo  # rows whose draws are all equal are their own quantiles; the others sorted once
            vary = lo != hi
            rows = a[vary]
            rows.sort(axis=-1)
            q[:, vary] = sorted_quantiles(rows, list(QUANTILES))
            out[(sc, m)] = q
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from rekit.data.dataset import load
    from rekit.model.deals import load_deals
    from rekit.model.scenarios import run_grid, scenarios
    from rekit.model.simulation import METRICS, simulate

    ds = load()  # loaded before the clock starts, as a session (or the command line) has it
    book = load_deals(ds=ds)
    deals = list(book.deals)
    span = (2024, 2050)
    metrics = list(METRICS)
    chain = dict(framings=["chain"])
    plants = dict(partners=["plants"], ds=ds)
    n_chain, n_all = len(scenarios(book, **chain)), len(scenarios(book))
    r = args.repeat
    grid_chain = median_s(lambda: run_grid(book, deals, span, args.draws, 0, keep_envelope=False, **chain, **plants), r)
    prev_chain = median_s(lambda: previous_grid(book, deals, span, args.draws, scenarios(book, **chain), metrics), r)
    plain_chain = median_s(lambda: plain_grid(book, deals, span, args.draws, scenarios(book, **chain), metrics), r)
    partners_chain = median_s(lambda: run_grid(book, deals, span, args.draws, 0, keep_envelope=False, ds=ds, **chain), r)
    env_chain = median_s(lambda: run_grid(book, deals, span, args.draws, 0, **chain, **plants), r)
    grid_all = median_s(lambda: run_grid(book, deals, span, args.draws, 0, keep_envelope=False, **plants), r)
    plain_all = median_s(lambda: plain_grid(book, deals, span, args.draws, scenarios(book), metrics), r)
    env_all = median_s(lambda: run_grid(book, deals, span, args.draws, 0, **plants), r)
    # the ways give the same quantiles (bit for bit against the previous way; numpy.percentile's arithmetic differs in the last bits)
    g = run_grid(book, deals, span, args.draws, 0, keep_envelope=False, productions=["capacity"], framings=["chain"],
                 metrics=["own_feedstock_coverage"], **plants)
    p = plain_grid(book, deals, span, args.draws, g.scenarios, ["own_feedstock_coverage"])
    q = previous_grid(book, deals, span, args.draws, g.scenarios, ["own_feedstock_coverage"])
    for s, sc in enumerate(g.scenarios):
        assert np.allclose(g.quantiles[s, 0], p[(sc, "own_feedstock_coverage")])
        assert np.array_equal(g.quantiles[s, 0], q[(sc, "own_feedstock_coverage")])

    def ratio(plain, ours, what: str = "plain way") -> str:
        return f"{what} {plain[0]:.2f} s wall, {plain[1]:.2f} s CPU: {plain[0] / ours[0]:.1f}x, {plain[1] / ours[1]:.1f}x CPU"

    print(f"{len(deals)} presets x {span[0]}-{span[1]} x {args.draws:,} draws x {len(metrics)} metrics "
          f"({len(book.bases)} production bases, {len(book.demands)} demand bases)")
    print(f"  grid, framing chain ({n_chain} scenarios): {fmt(grid_chain)}  (target 5 s; {ratio(plain_chain, grid_chain)}; "
          f"{ratio(prev_chain, grid_chain, 'previous way')})")
    print(f"    every partner alternative too:    {fmt(partners_chain)}")
    print(f"    with the envelope:                {fmt(env_chain)}")
    print(f"  grid, both framings ({n_all} scenarios):  {fmt(grid_all)}  ({ratio(plain_all, grid_all)})")
    print(f"    with the envelope:                {fmt(env_all)}")

    draws = 10_000
    sim = median_s(lambda: simulate(book, deals, years=span, draws=draws), r)

    def with_metrics():
        res = simulate(book, deals, years=span, draws=draws)
        for m in METRICS:  # the metrics are computed when first read: read them before the clock starts
            res.arrays[m]
        return res

    results = [with_metrics() for _ in range(r + 1)]
    summ = median_s(lambda: results.pop().summary(), r)
    res = with_metrics()
    arrays = [res.arrays[m] for m in METRICS]
    n = arrays[0].shape[-1]
    kth = sorted({min(int(np.floor(q * (n - 1))) + j, n - 1) for q in (0.05, 0.5, 0.95) for j in (0, 1)})
    part = median_s(lambda: [np.partition(a, kth, axis=-1) for a in arrays], r)
    full = median_s(lambda: [np.sort(a, axis=-1) for a in arrays], r)
    print(f"every preset x {span[0]}-{span[1]} x {draws:,} draws:")
    print(f"  simulate():                           {fmt(sim)}")
    print(f"  summary() (metrics already computed): {fmt(summ)}  ({summ[0] / sim[0]:.2f}x simulate, "
          f"{summ[1] / sim[1]:.2f}x CPU; target <= 1x)")
    print(f"  the quantiles' order statistics of {len(arrays)} metrics: partition at {len(kth)} {fmt(part)}; "
          f"full sort {fmt(full)} ({part[1] / full[1]:.1f}x CPU)")


if __name__ == "__main__":
    main()
