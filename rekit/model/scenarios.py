"""The structural choices as a grid of scenarios, and the envelope across them.

The ranged parameters give the band within one scenario (p05–p95 over the Monte Carlo draws).
Four choices the sources leave open are not ranges but alternatives, and each becomes a
dimension of a grid:

- production: IREL's output path (the book's production bases, t NdPr oxide a year);
- demand: India's magnet demand (the book's demand bases, t magnet a year: finished-magnet
  imports of about 700 t against the official requirement of about 4,000 t in 2025);
- framing: magnets per tonne of oxide, the physical chain (stoichiometry and yields, about
  2.15 t magnet per t NdPr oxide) or the officials' "roughly three tonnes" (simulate's `framing`);
- partner: a tolling partner's capacity (t magnet/yr), as the data allow it to be read
  (`partner_alternatives`): `plants`, the named companies' plants summed company by company (the
  default, as deals.yml gives it); `home`, only their plants in their home country (a group's home
  plant alone, against home plus plants abroad); `national`, the partner country's national NdFeB
  alloy output where observations.csv holds one (Japan's 12,400 t of 2020, output of alloy, not
  magnet capacity: the stand-in before partners were named). A deal without partners has the one
  value `none`. The first three are the book's (DIMENSIONS, every deal has them); the fourth
  depends on the deal.

`run_grid()` runs every combination with the same seed (so the ranged parameters take the same
draws in every scenario: common random numbers) and reads the quantiles of each: `grid()` gives
a tidy frame deal, year, metric, unit, production, demand, framing, partner, p05, p50, p95.
Demand enters a run only at its last stage (rekit.model.simulation.DEMAND_FLOWS), so the flows
are run once per production basis × framing × partner alternative and every demand basis's
metrics are derived from them (simulate_demands); a metric that reads no demand flow (found by
`demand_dependent`) is computed and sorted once for all demand bases. The numbers are those of
one simulate() per scenario, bit for bit (tests/model/test_grid_demand.py).

`envelope()` pools the draws of every scenario of a deal with equal weight (each scenario has the
same number of draws, so pooling is concatenation) and gives, per deal × year × metric, the 5th
and 95th percentiles of the pool (`envelope_p05`, `envelope_p95`), and the scenarios whose
medians are lowest and highest (`low_scenario`, `high_scenario`; ALIKE where no choice moves the
median). A deal with partners pools its partner alternatives too.

Quantiles are numpy's default ("linear", Hyndman & Fan 1996 type 7), read off draws sorted
once per metric (rows whose draws are all equal need no sort): the same numbers as
numpy.percentile, in a fraction of its time (benchmarks/bench_grid.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rekit.model.deals import FRAMINGS, PARAMS, DealBook, DealError
from rekit.model.quantities import Quantity, Schedule, highest
from rekit.model.simulation import (DEMAND_FLOWS, DERIVED, METRICS, MIN_THREAD_ELEMENTS, THREADS, Arrays, Flows, ModelError,
                                    check_metrics, check_years, simulate, simulate_demands, sorted_quantiles)

#: The structural dimensions every deal has (the book's), in the order of the grid's columns.
DIMENSIONS = ("production", "demand", "framing")
#: Every dimension of the grid: the book's and the partner alternative (which depends on the deal).
GRID_DIMENSIONS = (*DIMENSIONS, "partner")
#: The partner alternatives, in the order the grid runs them, and what each reads as the partner's capacity.
PARTNER_CHOICES = {
    "plants": "the named companies' plants, each capacity sourced and dated, summed company by company (deals.yml; the default)",
    "home": "only the named companies' plants in their home country (plants abroad left out)",
    "national": "the partner country's national NdFeB alloy output (observations.csv; output of alloy, not magnet capacity)",
}
#: The default partner alternative: the deal as deals.yml gives it.
DEFAULT_PARTNER = "plants"
#: The one partner value of a deal that names no partner.
NO_PARTNER = "none"
#: observations.csv indicators that give a country's national total for the `national` alternative.
NATIONAL_INDICATORS = ("ndfeb_alloy_production",)
#: The quantiles of the within-scenario band.
QUANTILES = (0.05, 0.5, 0.95)
#: What low_scenario and high_scenario say where every scenario has the same median.
ALIKE = "all scenarios alike"
#: Medians closer than this (relative, or absolute below 1) count as alike in low_scenario/high_scenario.
ALIKE_RTOL = 1e-9
#: The pooled draws of the envelope are held in float32 (7 significant digits, more than any
#: table prints): half the memory, and fresh memory is what the envelope spends its time on.
POOL_DTYPE = np.float32
#: Peak bytes of one model run per (deal, year, draw) (rekit.cli.model.PEAK_BYTES_PER_CELL, measured
#: with tracemalloc); a group of the grid holds one run and each further demand basis's flows and metrics.
RUN_BYTES_PER_CELL = 700


@dataclass(frozen=True)
class Scenario:
    """One structural scenario: a production basis, a demand basis, a framing and a partner alternative."""

    production: str
    demand: str
    framing: str
    partner: str = DEFAULT_PARTNER

    @property
    def label(self) -> str:
        """'production=targets demand=imports framing=chain': how tables name the scenario (for a deal with
        partners, ' partner=home' after it: see label_for)."""
        return f"production={self.production} demand={self.demand} framing={self.framing}"

    def label_for(self, has_partner: bool) -> str:
        """The label, with ' partner=NAME' where the deal has partners (a deal without has no such choice)."""
        return f"{self.label} partner={self.partner}" if has_partner else self.label

    @classmethod
    def from_label(cls, label: str, book: DealBook) -> Scenario | None:
        """The scenario a label (label or label_for) names, or None where it is not one of this book's."""
        pieces = [p.partition("=") for p in str(label).split(" ")]
        parts = {k: v for k, _, v in pieces}
        if len(parts) != len(pieces) or not all(sep and v for _, sep, v in pieces):  # a key twice, or without a value
            return None
        if set(parts) not in ({"production", "demand", "framing"}, set(GRID_DIMENSIONS)):
            return None
        sc = cls(parts["production"], parts["demand"], parts["framing"], parts.get("partner", DEFAULT_PARTNER))
        known = sc.production in book.bases and sc.demand in book.demands and sc.framing in FRAMINGS
        return sc if known and sc.partner in PARTNER_CHOICES else None


@dataclass(frozen=True)
class PartnerAlternative:
    """One reading of a deal's partner capacity: its name (PARTNER_CHOICES), the schedule (t magnet/yr), and how it is made."""

    name: str
    capacity: Schedule
    description: str


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
    """Every combination of the book's choices (default: all of each), production slowest, at the default
    partner alternative; unknown names refused. `partner_alternatives` gives a deal's fourth dimension."""
    prods = _pick(productions, list(book.bases), "production basis")
    dems = _pick(demands, list(book.demands), "demand basis")
    frs = _pick(framings, FRAMINGS, "framing")
    return [Scenario(p, d, f) for p in prods for d in dems for f in frs]


def _summed(terms: list[tuple[str, str, Quantity]], note: str) -> Schedule:
    """Capacities summed (value, low and high each), t magnet/yr, their sources kept."""
    qs = [q for _, _, q in terms]
    listed = " + ".join(f"{p}/{k} {q.value:g}" for p, k, q in terms)
    return Schedule.constant(Quantity(sum(q.value for q in qs), sum(q.low for q in qs), sum(q.high for q in qs),
                                      PARAMS["partner_capacity"].unit, " ".join(dict.fromkeys(q.source for q in qs)),
                                      f"{note}: {listed}"))


def partner_alternatives(book: DealBook, deal: str, ds: Any = None) -> dict[str, PartnerAlternative]:
    """The readings of `deal`'s partner capacity the data support, by name (PARTNER_CHOICES order):

    - `plants`: the deal's partner_capacity as deals.yml gives it (its named plants summed);
    - `home`: the named plants whose place (Plant.where) names their company's country, where that
      differs from `plants` and leaves at least one plant (Star Group's Korean and Chinese plants count
      as home: the source gives them together);
    - `national`: with the dataset `ds`, the latest national total (NATIONAL_INDICATORS) of the one
      country every named company is from, where observations.csv holds one.

    A deal without partners has the one alternative `none` (its partner_capacity, as given). No figure
    is made up: an alternative the data cannot give is left out.
    """
    d = book.get(deal)
    cap = d.params["partner_capacity"]
    if not d.partner_plants:
        return {NO_PARTNER: PartnerAlternative(NO_PARTNER, cap, "not applicable: the deal names no partner company")}
    out = {DEFAULT_PARTNER: PartnerAlternative(DEFAULT_PARTNER, cap, f"the named plants summed ({cap.quantities[0].note})")}
    terms = [(p, k, pl) for p, k, pl in book.partner_capacity_terms(deal)]
    home = [(p, k, pl.capacity) for p, k, pl in terms if book.partners[p].country.lower() in pl.where.lower()]
    if home and len(home) < len(terms):
        s = _summed(home, "home plants only")
        out["home"] = PartnerAlternative("home", s, s.quantities[0].note)
    countries = {book.partners[p].country for p, _, _ in terms}
    if ds is not None and len(countries) == 1:
        country = next(iter(countries))
        obs = ds.observations
        rows = obs[obs["indicator"].isin(NATIONAL_INDICATORS) & (obs["entity"] == country) & (obs["status"] != "withdrawn")]
        if len(rows):
            r = rows.sort_values("period").iloc[-1]
            lo, hi = (r["low"] if r["low"] == r["low"] else r["value"]), (r["high"] if r["high"] == r["high"] else r["value"])
            note = (f"{country}'s {r['indicator'].replace('_', ' ')} in {r['period']} ({r['value']:,.0f} {r['unit']}), "
                    "read as the partners' capacity")
            q = Quantity(float(r["value"]), float(lo), float(hi), PARAMS["partner_capacity"].unit, f"obs:{r['id']}", note)
            out["national"] = PartnerAlternative("national", Schedule.constant(q), note)
    return out


def with_partner(book: DealBook, deals: Iterable[str], alternative: str, ds: Any = None) -> DealBook:
    """The book with each of `deals` that has the partner `alternative` (PARTNER_CHOICES) reading its partner
    capacity so, the others as they are; ModelError for an unknown name (with a hint) or one no deal has."""
    name = _pick([alternative], list(PARTNER_CHOICES), "partner alternative")[0]
    names, _ = _check(book, deals, [])
    if ds is None and name == "national":
        from rekit.data.dataset import load

        ds = load()
    alts = {d: partner_alternatives(book, d, ds) for d in names}
    caps = {d: a[name].capacity for d, a in alts.items() if name in a}
    if not caps:
        have = "; ".join(f"{d}: {', '.join(a)}" for d, a in alts.items())
        raise ModelError(f"partner alternative {name!r} applies to none of the deals ({have})")
    return _with_capacities(book, caps)


def _with_capacities(book: DealBook, caps: dict[str, Schedule]) -> DealBook:
    """The book with some deals' partner_capacity replaced (everything else shared)."""
    if not caps:
        return book
    deals = dict(book.deals)
    for name, cap in caps.items():
        deals[name] = dataclasses.replace(deals[name], params={**deals[name].params, "partner_capacity": cap})
    return dataclasses.replace(book, deals=deals)


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


class _Watched(Flows):
    """Flows that note the name of every flow read, derived flows computed afresh from what they read."""

    def __init__(self, flows: dict, seen: set[str]):
        super().__init__(flows)
        self.seen = seen

    def __getitem__(self, key: str) -> np.ndarray:
        self.seen.add(key)
        return super().__getitem__(key)


def _recycling_high(book: DealBook, deals: Sequence[str]) -> float:
    """The highest recycling_share (share of end-of-life magnets' capacity, 0-1) any of `deals` allows in any year."""
    return max((highest(book.get(n).params["recycling_share"]) for n in deals), default=0.0)


def demand_dependent(book: DealBook, deals: Sequence[str], metrics: Sequence[str], years: tuple[int, int]) -> set[str]:
    """The metrics that read a flow the demand basis decides (DEMAND_FLOWS), directly or through other flows
    and metrics: each metric computed once, on its own, from the flows of a central run (draws=0) of the
    same deals and years, noting every flow it reads. The others are the same under every demand basis.

    Which flows a run holds depends on one value: recycling's flows (which follow the demand) are there only
    when some deal's recycling_share is above 0. A deal whose share is 0 at its central value but above it
    in its range recycles in its draws, so the central run is then made with the share at the highest any
    deal allows (`_recycling_high`): the flows its draws can hold, not only those of its central value."""
    high = _recycling_high(book, deals)
    res = simulate(book, deals, years=years, draws=0, check=False,
                   overrides={"recycling_share": high} if high > 0 else None)
    base = {k: v for k, v in res.flows.items() if k not in DERIVED}
    out = set()
    for m in metrics:
        seen: set[str] = set()
        Arrays(_Watched(base, seen))[m]
        if seen.intersection(DEMAND_FLOWS):
            out.add(m)
    return out


def _group(book: DealBook, names: Sequence[str], years: tuple[int, int], draws: int, seed: int, production: str,
           framing: str, demands: Sequence[str], metrics: Sequence[str], dependent: set[str],
           keep: Callable[[int, int, np.ndarray], None] | None = None) -> np.ndarray:
    """One production basis × framing (× partner alternative, in `book`) under every demand basis: the quantiles
    (len(demands), len(metrics), 3, deals, years); `keep(i, j, draws)` gets each demand basis's (i) metric (j) draws."""
    results = simulate_demands(book, names, list(demands), years=years, draws=draws, seed=seed, basis=production, framing=framing)
    D, Y, n = len(names), len(results[0].years), max(int(draws), 1)
    quant = np.empty((len(demands), len(metrics), 3, D, Y))

    def one(j: int) -> None:
        m = metrics[j]
        shared = np.broadcast_to(results[0].arrays[m], (D, Y, n))
        for i, res in enumerate(results):
            if i and m not in dependent:  # the same array under every demand basis: its quantiles too
                a = shared
                quant[i, j] = quant[0, j]
            else:
                a = shared if i == 0 else np.broadcast_to(res.arrays[m], (D, Y, n))
                quant[i, j] = _row_quantiles(a, QUANTILES)
            if keep is not None:
                keep(i, j, a)

    # metrics side by side, as Result.summary() reads them (numpy's sorts and arithmetic release the GIL; a metric
    # another needs may be computed twice at once, to the same numbers)
    if THREADS > 1 and D * n >= 2 * MIN_THREAD_ELEMENTS:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="rekit-grid") as pool:
            list(pool.map(one, range(len(metrics))))
    else:
        for j in range(len(metrics)):
            one(j)
    return quant


def grid_group(book: DealBook, names: Sequence[str], years: tuple[int, int], draws: int, seed: int, production: str,
               framing: str, demands: Sequence[str], metrics: Sequence[str], dependent: set[str]) -> np.ndarray:
    """A job of the grid on an executor (rekit.run): one production basis × framing × partner alternative under every
    demand basis, its quantiles (len(demands), len(metrics), 3, deals, years); module-level, so a worker imports it."""
    return _group(book, names, years, draws, seed, production, framing, demands, metrics, dependent)


@dataclass(frozen=True)
class Grid:
    """The quantiles of every scenario and, if kept, the envelope: arrays over (scenario, metric, quantile, deal, year).

    `applies[s, d]` says whether scenario s is one of deal d's (a partner alternative applies to the deals that
    have it); its quantiles are NaN where not."""

    deals: tuple[str, ...]
    years: np.ndarray
    metrics: list[str]
    scenarios: list[Scenario]
    quantiles: np.ndarray  # (S, M, 3, D, Y): p05, p50, p95 of each scenario
    envelope: np.ndarray | None  # (M, 2, D, Y): p05 and p95 of the pooled draws
    applies: np.ndarray | None = None  # (S, D) bool; None: every scenario is every deal's
    has_partner: tuple[bool, ...] = ()  # per deal: does it name partners (its rows say partner=NAME, else none)

    def _applies(self) -> np.ndarray:
        return np.ones((len(self.scenarios), len(self.deals)), bool) if self.applies is None else self.applies

    def _partners(self) -> tuple[bool, ...]:
        return self.has_partner or (False,) * len(self.deals)

    def frame(self) -> pd.DataFrame:
        """Tidy: deal, year, metric, unit, production, demand, framing, partner, p05, p50, p95; one row a scenario × deal
        × year × metric (only the scenarios of each deal)."""
        S, M, _, D, Y = self.quantiles.shape
        s, m, d, y = (a.ravel() for a in np.meshgrid(np.arange(S), np.arange(M), np.arange(D), np.arange(Y), indexing="ij"))
        keep = self._applies()[s, d]
        s, m, d, y = s[keep], m[keep], d[keep], y[keep]
        partner = np.array([[sc.partner if p else NO_PARTNER for p in self._partners()] for sc in self.scenarios], dtype=object)
        out = pd.DataFrame({
            "deal": np.array(self.deals, dtype=object)[d],
            "year": self.years[y],
            "metric": np.array(self.metrics, dtype=object)[m],
            "unit": np.array([METRICS[k][0] for k in self.metrics], dtype=object)[m],
            **{dim: np.array([getattr(sc, dim) for sc in self.scenarios], dtype=object)[s] for dim in DIMENSIONS},
            "partner": partner[s, d],
        })
        q = self.quantiles.transpose(0, 1, 3, 4, 2).reshape(-1, 3)[keep]
        for i, p in enumerate(QUANTILES):
            out[f"p{round(p * 100):02d}"] = q[:, i]
        return out

    def envelope_frame(self) -> pd.DataFrame:
        """deal, year, metric, unit, envelope_p05, envelope_p95, low_scenario, high_scenario; one row a deal × year × metric."""
        if self.envelope is None:
            raise ModelError("this grid was run without its envelope (keep_envelope=False)")
        S, M, _, D, Y = self.quantiles.shape
        m, d, y = (a.ravel() for a in np.meshgrid(np.arange(M), np.arange(D), np.arange(Y), indexing="ij"))
        medians = np.where(self._applies()[:, None, :, None], self.quantiles[:, :, 1], np.nan)  # (S, M, D, Y)
        labels = np.array([[sc.label_for(p) for p in self._partners()] for sc in self.scenarios], dtype=object)  # (S, D)
        hi, lo = np.nanmax(medians, axis=0), np.nanmin(medians, axis=0)
        # No choice moves the median (to ALIKE_RTOL of its size: sums taken in another order differ in the last
        # digits): no end to name.
        alike = (hi - lo <= ALIKE_RTOL * np.maximum(1.0, np.abs(hi))).ravel()
        low = np.where(alike, ALIKE, labels[np.nanargmin(medians, axis=0).ravel(), d])
        high = np.where(alike, ALIKE, labels[np.nanargmax(medians, axis=0).ravel(), d])
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


def grid_bytes(deals: int, years: tuple[int, int], draws: int, scenarios: int, metrics: int, demands: int,
               keep_envelope: bool = True) -> int:
    """Bytes a grid takes at its peak, about: one group's runs (RUN_BYTES_PER_CELL per deal × year from 2024 × draw, once
    per demand basis, a bound) and, with the envelope, the pooled draws (4 bytes × metrics × deals × years × draws ×
    scenarios). E.g. 12 deals, 2024–2050, 2,000 draws, 12 scenarios of 3 demand bases, 44 metrics: 1.36 GB + 1.37 GB."""
    cells = deals * (years[1] - 2024 + 1) * max(int(draws), 1)
    run = cells * RUN_BYTES_PER_CELL * max(demands, 1)
    pool = np.dtype(POOL_DTYPE).itemsize * metrics * deals * (years[1] - years[0] + 1) * max(int(draws), 1) * scenarios
    return int(run + (pool if keep_envelope else 0))


def run_grid(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000,
             seed: int = 0, productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
             framings: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
             keep_envelope: bool = True, partners: Iterable[str] | None = None, ds: Any = None,
             mapper: Callable[..., Iterable[np.ndarray]] | None = None) -> Grid:
    """Run every scenario of the grid and read its quantiles (and, with `keep_envelope`, the pooled envelope).

    The flows are run once per production basis × framing × partner alternative (a group), every deal that has
    the alternative and every draw at once, the same seed in each; each demand basis's metrics come from them
    (simulate_demands). `partners` limits the partner alternatives (PARTNER_CHOICES; a deal without partners
    always has its one, `none`); `ds` (the dataset) gives the `national` alternative, and is loaded when
    None and a deal has partners. `mapper` (an executor's ``map``, rekit.run) runs the groups as jobs, with
    the same numbers as here; not with the envelope, whose pooled draws stay in this process. Memory: grid_bytes.
    """
    names, mets = _check(book, deals, metrics)
    if not mets:  # an empty list is not "all": a grid of no metric
        raise ModelError("metrics: none given; give at least one (rekit simulate --list-metrics lists them), or None for all")
    base = scenarios(book, productions, demands, framings)
    prods, dems, frs = (list(dict.fromkeys(getattr(sc, k) for sc in base)) for k in DIMENSIONS)
    chosen = _pick(partners, list(PARTNER_CHOICES), "partner alternative")
    if mapper is not None and keep_envelope:
        raise ModelError("the envelope pools every scenario's draws in this process: run it without an executor")
    has_partner = tuple(bool(book.get(d).partner_plants) for d in names)
    if ds is None and any(has_partner):
        from rekit.data.dataset import load

        ds = load()
    alts = {d: partner_alternatives(book, d, ds) for d in names}
    applicable: dict[str, list[str]] = {}
    for d, has in zip(names, has_partner, strict=True):
        if not has:
            applicable[d] = [DEFAULT_PARTNER]  # shown as `none`
            continue
        applicable[d] = [a for a in chosen if a in alts[d]]
        if not applicable[d]:
            raise ModelError(f"partner alternative {', '.join(map(repr, chosen))}: not one applies to deal {d!r}, whose "
                             f"alternatives are {', '.join(alts[d])}")
    order = [a for a in PARTNER_CHOICES if any(a in applicable[d] for d in names)]
    grid_ = [Scenario(p, dm, f, a) for p in prods for dm in dems for f in frs for a in order]
    S, M, D = len(grid_), len(mets), len(names)
    index = {(sc.production, sc.demand, sc.framing, sc.partner): i for i, sc in enumerate(grid_)}
    applies = np.array([[sc.partner in applicable[d] for d in names] for sc in grid_])
    yrs = check_years(*years)
    n = max(int(draws), 1)
    quant = np.full((S, M, 3, D, len(yrs)), np.nan)
    dependent = demand_dependent(book, names, mets, years) if len(dems) > 1 else set(mets)

    jobs = []  # (group book, deal indices, production, framing, partner)
    for a in order:
        idx = [i for i, d in enumerate(names) if a in applicable[d]]
        caps = {names[i]: alts[names[i]][a].capacity for i in idx if a != DEFAULT_PARTNER}
        gbook = _with_capacities(book, caps)
        for p in prods:
            for f in frs:
                jobs.append((gbook, idx, p, f, a))

    # the envelope's pools: deals with the same scenarios share one, (deals, years, their scenarios x draws) a metric
    pools: dict[tuple[str, ...], tuple[list[int], list[int], list[np.ndarray]]] = {}
    if keep_envelope:
        for i, d in enumerate(names):
            key = tuple(applicable[d])
            if key not in pools:
                own = [s for s, sc in enumerate(grid_) if sc.partner in key]
                pools[key] = ([], own, [])
            pools[key][0].append(i)
        for rows, own, arrs in pools.values():
            arrs.extend(np.empty((len(rows), len(yrs), len(own) * n), dtype=POOL_DTYPE) for _ in mets)

    def store(job: tuple, q: np.ndarray) -> None:
        _, idx, p, f, a = job
        for i, dm in enumerate(dems):
            quant[index[(p, dm, f, a)]][:, :, idx] = q[i]

    if mapper is not None:
        args = [(gb, [names[i] for i in idx], years, draws, seed, p, f, dems, mets, dependent) for gb, idx, p, f, a in jobs]
        for job, q in zip(jobs, mapper(grid_group, *zip(*args, strict=True)), strict=True):
            store(job, q)
        return Grid(names, yrs, mets, grid_, quant, None, applies, has_partner)

    for job in jobs:
        gbook, idx, p, f, a = job
        keep = None
        if keep_envelope:
            targets = []  # per run deal: (pool arrays, row in the pool, slot offset per demand basis)
            for k, i in enumerate(idx):
                key = tuple(applicable[names[i]])
                rows, own, arrs = pools[key]
                slots = [own.index(index[(p, dm, f, a)]) for dm in dems]
                targets.append((k, arrs, rows.index(i), slots))

            def keep(i: int, j: int, a_: np.ndarray, targets=targets) -> None:
                for k, arrs, r, slots in targets:
                    arrs[j][r, :, slots[i] * n:(slots[i] + 1) * n] = a_[k]

        quant_g = _group(gbook, [names[i] for i in idx], years, draws, seed, p, f, dems, mets, dependent, keep)
        store(job, quant_g)

    env = None
    if keep_envelope:
        env = np.empty((M, 2, D, len(yrs)))
        for rows, _, arrs in pools.values():
            for j in range(M):
                env[j][:, rows] = _row_quantiles(arrs[j], (0.05, 0.95))
                arrs[j] = None  # type: ignore[call-overload]  # freed as soon as read
    return Grid(names, yrs, mets, grid_, quant, env, applies, has_partner)


def grid(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000, seed: int = 0,
         productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
         framings: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
         partners: Iterable[str] | None = None, ds: Any = None,
         mapper: Callable[..., Iterable[np.ndarray]] | None = None) -> pd.DataFrame:
    """Tidy frame of every scenario: deal, year, metric, unit, production, demand, framing, partner, p05, p50, p95."""
    return run_grid(book, deals, years, draws, seed, productions, demands, framings, metrics, keep_envelope=False,
                    partners=partners, ds=ds, mapper=mapper).frame()


def envelope(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000,
             seed: int = 0, productions: Iterable[str] | None = None, demands: Iterable[str] | None = None,
             framings: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
             partners: Iterable[str] | None = None, ds: Any = None) -> pd.DataFrame:
    """Per deal × year × metric: envelope_p05, envelope_p95 over the pooled draws of every scenario, and the
    scenarios with the lowest and highest median (low_scenario, high_scenario)."""
    return run_grid(book, deals, years, draws, seed, productions, demands, framings, metrics, partners=partners,
                    ds=ds).envelope_frame()


__all__ = ["ALIKE", "DEFAULT_PARTNER", "DIMENSIONS", "FRAMINGS", "GRID_DIMENSIONS", "Grid", "NO_PARTNER", "PARTNER_CHOICES",
           "PartnerAlternative", "Scenario", "demand_dependent", "envelope", "grid", "grid_bytes", "grid_group",
           "partner_alternatives", "run_grid", "scenarios", "with_partner"]
