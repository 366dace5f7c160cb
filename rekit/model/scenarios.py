"""The structural choices as a grid of scenarios, and the envelope across them.

The ranged parameters give the band within one scenario (p05–p95 over the Monte Carlo draws).
Three choices the sources leave open are not ranges but alternatives, and each becomes a
dimension of a grid:

- production: IREL's output path (the book's production bases, t NdPr oxide a year);
- demand: India's magnet demand (the book's demand bases, t magnet a year: finished-magnet
  imports of about 700 t against the official requirement of about 4,000 t in 2025);
- framing: magnets per tonne of oxide, the physical chain (stoichiometry and yields, about
  2.15 t magnet per t NdPr oxide) or the officials' "roughly three tonnes" (simulate's `framing`).

`grid()` runs every combination, one `simulate()` a scenario with the same seed (so the ranged
parameters take the same draws in every scenario: common random numbers), and returns the
quantiles of each: a tidy frame deal, year, metric, unit, production, demand, framing, p05,
p50, p95. `envelope()` pools the draws of every scenario with equal weight (each scenario has
the same number of draws, so pooling is concatenation) and gives, per deal × year × metric,
the 5th and 95th percentiles of the pool (`envelope_p05`, `envelope_p95`), and the scenarios
whose medians are lowest and highest (`low_scenario`, `high_scenario`; ALIKE where no choice
moves the median).

Quantiles are numpy's default ("linear", Hyndman & Fan 1996 type 7), read off draws sorted
once per metric (rows whose draws are all equal need no sort): the same numbers as
numpy.percentile, in a fraction of its time (benchmarks/bench_grid.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from rekit.model.deals import FRAMINGS, DealBook, DealError
from rekit.model.simulation import METRICS, THREADS, ModelError, check_metrics, check_years, simulate, sorted_quantiles

#: The structural dimensions, in the order of the grid's columns.
DIMENSIONS = ("production", "demand", "framing")
#: The quantiles of the within-scenario band.
QUANTILES = (0.05, 0.5, 0.95)
#: What low_scenario and high_scenario say where every scenario has the same median.
ALIKE = "all scenarios alike"
#: The pooled draws of the envelope are held in float32 (7 significant digits, more than any
#: table prints): half the memory, and fresh memory is what the envelope spends its time on.
POOL_DTYPE = np.float32


@dataclass(frozen=True)
class Scenario:
    """One structural scenario: a production basis, a demand basis and a framing."""

    production: str
    demand: str
    framing: str

    @property
    def label(self) -> str:
        """'production=targets demand=imports framing=chain': how tables name the scenario."""
        return f"production={self.production} demand={self.demand} framing={self.framing}"


def _pick(given: Iterable[str] | None, allowed: Sequence[str], what: str) -> list[str]:
    import difflib

    if given is None:
        return list(allowed)
    out = []
    for name in given:
        if name not in allowed:
            close = difflib.get_close_matches(str(name), list(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ModelError(f"unknown {what} {name!r}{hint}; allowed: {', '.join(allowed)}")
        if name not in out:
            out.append(name)
    if not out:
        raise ModelError(f"{what}: give at least one of {', '.join(allowed)}")
    return out


def scenarios(book: DealBook, productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
              framings: Iterable[str] | None = None) -> list[Scenario]:
    """Every combination of the given choices (default: all of each), production slowest; unknown names refused."""
    prods = _pick(productions, list(book.bases), "production basis")
    dems = _pick(demands, list(book.demands), "demand basis")
    frs = _pick(framings, FRAMINGS, "framing")
    return [Scenario(p, d, f) for p in prods for d in dems for f in frs]


def _check(book: DealBook, deals: Iterable[str], metrics: Iterable[str] | None) -> tuple[tuple[str, ...], list[str]]:
    names = tuple(deals)
    if not names:
        raise ModelError("deals: give at least one deal")
    try:
        for n in names:
            book.get(n)
    except DealError as exc:
        raise ModelError(str(exc)) from None
    return names, (list(METRICS) if metrics is None else check_metrics(metrics))


def _row_quantiles(a: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles along the last axis, (len(qs), *a.shape[:-1]): a row whose draws are all equal (zeros, fixed
    values; about 45% of rows) is its own quantile; the other rows are sorted once (numpy's sort is faster
    than np.partition at the order statistics needed) and read with numpy's linear method."""
    lo, hi = a.min(axis=-1), a.max(axis=-1)
    out = np.empty((len(qs), *lo.shape))
    out[:] = lo
    vary = lo != hi
    if vary.any():
        rows = a[vary]  # a copy already: sorted in place, not copied again
        rows.sort(axis=-1)
        out[:, vary] = sorted_quantiles(rows, list(qs))
    return out


@dataclass(frozen=True)
class Grid:
    """The quantiles of every scenario and, if kept, the envelope: arrays over (scenario, metric, quantile, deal, year)."""

    deals: tuple[str, ...]
    years: np.ndarray
    metrics: list[str]
    scenarios: list[Scenario]
    quantiles: np.ndarray  # (S, M, 3, D, Y): p05, p50, p95 of each scenario
    envelope: np.ndarray | None  # (M, 2, D, Y): p05 and p95 of the pooled draws

    def frame(self) -> pd.DataFrame:
        """Tidy: deal, year, metric, unit, production, demand, framing, p05, p50, p95; one row a scenario × deal × year × metric."""
        S, M, _, D, Y = self.quantiles.shape
        s, m, d, y = np.meshgrid(np.arange(S), np.arange(M), np.arange(D), np.arange(Y), indexing="ij")
        s, m, d, y = s.ravel(), m.ravel(), d.ravel(), y.ravel()
        out = pd.DataFrame({
            "deal": np.array(self.deals, dtype=object)[d],
            "year": self.years[y],
            "metric": np.array(self.metrics, dtype=object)[m],
            "unit": np.array([METRICS[k][0] for k in self.metrics], dtype=object)[m],
            **{dim: np.array([getattr(sc, dim) for sc in self.scenarios], dtype=object)[s] for dim in DIMENSIONS},
        })
        q = self.quantiles.transpose(0, 1, 3, 4, 2).reshape(-1, 3)
        for i, p in enumerate(QUANTILES):
            out[f"p{round(p * 100):02d}"] = q[:, i]
        return out

    def envelope_frame(self) -> pd.DataFrame:
        """deal, year, metric, unit, envelope_p05, envelope_p95, low_scenario, high_scenario; one row a deal × year × metric."""
        if self.envelope is None:
            raise ModelError("this grid was run without its envelope (keep_envelope=False)")
        _, M, _, D, Y = self.quantiles.shape
        m, d, y = (a.ravel() for a in np.meshgrid(np.arange(M), np.arange(D), np.arange(Y), indexing="ij"))
        medians = self.quantiles[:, :, 1]  # (S, M, D, Y)
        labels = np.array([sc.label for sc in self.scenarios], dtype=object)
        alike = (medians.max(axis=0) == medians.min(axis=0)).ravel()  # no choice moves the median: no end to name
        low = np.where(alike, ALIKE, labels[medians.argmin(axis=0).ravel()])
        high = np.where(alike, ALIKE, labels[medians.argmax(axis=0).ravel()])
        return pd.DataFrame({
            "deal": np.array(self.deals, dtype=object)[d],
            "year": self.years[y],
            "metric": np.array(self.metrics, dtype=object)[m],
            "unit": np.array([METRICS[k][0] for k in self.metrics], dtype=object)[m],
            "envelope_p05": self.envelope[:, 0].ravel(),
            "envelope_p95": self.envelope[:, 1].ravel(),
            "low_scenario": low,
            "high_scenario": high,
        })


def run_grid(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000,
             seed: int = 0, productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
             framings: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
             keep_envelope: bool = True) -> Grid:
    """Run every scenario of the grid and read its quantiles (and, with `keep_envelope`, the pooled envelope).

    One simulate() per scenario, every deal and draw at once; the same seed in each. Memory: the pooled
    draws take 4 bytes × metrics × deals × years × draws × scenarios (POOL_DTYPE), beside one run's arrays.
    """
    names, mets = _check(book, deals, metrics)
    grid = scenarios(book, productions, demands, framings)
    S, M, D = len(grid), len(mets), len(names)
    yrs = check_years(*years)
    n = max(int(draws), 1)
    quant = np.empty((S, M, 3, D, len(yrs)))
    pooled = [np.empty((D, len(yrs), S * n), dtype=POOL_DTYPE) for _ in mets] if keep_envelope else []

    def run(i: int) -> None:
        sc = grid[i]
        res = simulate(book, names, years=years, draws=draws, seed=seed, basis=sc.production, demand=sc.demand,
                       framing=sc.framing)
        for j, m in enumerate(mets):
            a = np.broadcast_to(res.arrays[m], (D, len(yrs), n))
            quant[i, j] = _row_quantiles(a, QUANTILES)
            if keep_envelope:
                pooled[j][..., i * n:(i + 1) * n] = a

    for i in range(S):  # one after the other: two side by side in threads were no faster, measured on these shared 2 cores
        run(i)
    env = None
    if keep_envelope:
        env = np.empty((M, 2, D, len(yrs)))

        def one(j: int) -> None:
            env[j] = _row_quantiles(pooled[j], (0.05, 0.95))
            pooled[j] = None  # type: ignore[call-overload]  # freed as soon as read

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="rekit-envelope") as pool:  # numpy sorts release the GIL
            list(pool.map(one, range(M)))
    return Grid(names, yrs, mets, grid, quant, env)


def grid(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000, seed: int = 0,
         productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
         framings: Iterable[str] | None = None, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """Tidy frame of every scenario: deal, year, metric, unit, production, demand, framing, p05, p50, p95."""
    return run_grid(book, deals, years, draws, seed, productions, demands, framings, metrics, keep_envelope=False).frame()


def envelope(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000,
             seed: int = 0, productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
             framings: Iterable[str] | None = None, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """Per deal × year × metric: envelope_p05, envelope_p95 over the pooled draws of every scenario, and the
    scenarios with the lowest and highest median (low_scenario, high_scenario)."""
    return run_grid(book, deals, years, draws, seed, productions, demands, framings, metrics).envelope_frame()


__all__ = ["ALIKE", "DIMENSIONS", "FRAMINGS", "Grid", "Scenario", "envelope", "grid", "run_grid", "scenarios"]
