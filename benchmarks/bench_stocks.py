"""Speed of the dynamic stock model of magnets in use (rekit.model.stocks_in_use) against the plain way.

Run: .venv/bin/python benchmarks/bench_stocks.py [--draws 10000] [--plain-draws 20] [--repeat 3]
Prints medians in seconds for 1950-2050 (101 years) x 8 end uses x N draws:
  - inflow_driven() with lifetimes per end use (the matrix-product path; target: under 1 s);
  - inflow_driven() with lifetimes drawn per draw and end use (the FFT path);
  - the plain way: a Python loop per draw, per end use and per cohort, adding each cohort's
    survivors and leavers year by year (timed on --plain-draws draws and scaled linearly to N);
  - flodym's InflowDrivenDSM on one draw (8 end uses), scaled linearly to N, when flodym is installed.
No timed assertion: the ratios are what to read.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import median_ms


def plain(inflow: np.ndarray, scale: np.ndarray, shape: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per draw, per end use, per cohort: survival at ages a + 1/2, stock and outflow added year by year."""
    import math

    d, u, n = inflow.shape
    stock = np.zeros_like(inflow)
    out = np.zeros_like(inflow)
    for i in range(d):
        for j in range(u):
            lam, k = float(scale[i, j]), float(shape[i, j])
            surv = [math.exp(-((a + 0.5) / lam) ** k) for a in range(n)]
            for c in range(n):
                x = inflow[i, j, c]
                prev = 1.0
                for t in range(c, n):
                    s = surv[t - c]
                    stock[i, j, t] += x * s
                    out[i, j, t] += x * (prev - s)
                    prev = s
    return stock, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--plain-draws", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from rekit.model.stocks_in_use import Lifetime, inflow_driven

    years = np.arange(1950, 2051)
    n, uses = len(years), 8
    rng = np.random.default_rng(0)
    inflow = rng.uniform(0, 100, (args.draws, uses, n))
    scale_u, shape_u = rng.uniform(6, 25, uses), rng.uniform(1.5, 4, uses)
    scale_d, shape_d = rng.uniform(6, 25, (args.draws, uses)), rng.uniform(1.5, 4, (args.draws, uses))
    s = lambda ms: ms / 1000  # noqa: E731

    per_use = s(median_ms(lambda: inflow_driven(inflow, Lifetime.weibull(scale_u, shape_u), years), args.repeat))
    per_draw = s(median_ms(lambda: inflow_driven(inflow, Lifetime.weibull(scale_d, shape_d), years), args.repeat))
    k = args.plain_draws
    plain_k = s(median_ms(lambda: plain(inflow[:k], scale_d[:k], shape_d[:k]), 1, warmup=False))
    plain_n = plain_k * args.draws / k
    # the two ways give the same numbers
    ref_stock, ref_out = plain(inflow[:2], scale_d[:2], shape_d[:2])
    res = inflow_driven(inflow[:2], Lifetime.weibull(scale_d[:2], shape_d[:2]), years)
    agree = max(np.abs(res.stock - ref_stock).max(), np.abs(res.outflow - ref_out).max())

    print(f"stock model, 1950-2050 x {uses} end uses x {args.draws} draws (median of {args.repeat})")
    print(f"  lifetimes per end use (matmul):         {per_use:8.3f} s")
    print(f"  lifetimes per draw and end use (FFT):   {per_draw:8.3f} s")
    print(f"  plain Python loop per draw and cohort:  {plain_n:8.1f} s (measured on {k} draws: {plain_k:.2f} s)")
    print(f"  ratio plain / per end use:              {plain_n / per_use:8.0f} x")
    print(f"  ratio plain / per draw:                 {plain_n / per_draw:8.0f} x")
    print(f"  largest difference from the plain loop: {agree:.2e} t magnet")
    try:
        import flodym
    except ImportError:
        print("  flodym not installed: pip install -e '.[dev]'")
        return
    dims = flodym.DimensionSet(dim_list=[flodym.Dimension(name="time", letter="t", items=[int(y) for y in years]),
                                         flodym.Dimension(name="end use", letter="u", items=list(range(uses)))])

    def one_flodym():
        lt = flodym.WeibullLifetime(dims=dims, weibull_scale=np.tile(scale_u, (n, 1)), weibull_shape=np.tile(shape_u, (n, 1)))
        dsm = flodym.InflowDrivenDSM(dims=dims, lifetime_model=lt,
                                     inflow=flodym.StockArray(dims=dims, values=np.ascontiguousarray(inflow[0].T)))
        dsm.compute()

    fl = s(median_ms(one_flodym, args.repeat))
    print(f"  flodym InflowDrivenDSM, one draw:       {fl:8.3f} s (x {args.draws} draws: {fl * args.draws:.0f} s)")


if __name__ == "__main__":
    main()
