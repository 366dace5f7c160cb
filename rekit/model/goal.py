"""The inverse question: how much of one lever would a deal need to reach a target?

`goal(book, deal, metric, target, year, lever)` finds the smallest value of one lever at which
the metric reaches the target in that year: first for the median of the draws (p50), then for
the two ends of the band (the values at which p05 and p95 reach it). A lever is held at its
value in every model year; everything else stays as the deal and the bases set it. The levers:

- `irel_output`: IREL's NdPr oxide output and capacity, as a multiple of the production basis
  (simulate's `production_scale`; 1 = the basis as sourced). The answer also gives the oxide
  output that multiple means in the target year (t NdPr oxide, median of the draws);
- `partner_free_capacity`: the partner's sintered-magnet capacity free for India's oxide,
  t magnet a year (sets `partner_capacity` to the value and `partner_spare` to 1);
- `scheme_utilisation`: the output of each of the magnet scheme's plants at full ramp, as a share
  of its allocation (`scheme_utilisation`, 0 to 1): the scheme's utilisation;
- `domestic_capacity`: sintered NdFeB magnet-making capacity in India beside the scheme's plants,
  t magnet a year (`domestic_capacity`);
- `oxide_imports`: NdPr oxide India's magnet makers can import, t NdPr oxide a year
  (`oxide_import_cap`).

Method: bisection on the lever (Burden & Faires, Numerical Analysis, ch. 2.1), each step one
vectorised simulate() of every draw with the same seed, so every draw sees the same inputs at
every lever value (common random numbers) and a quantile of a metric that moves one way with
the lever moves one way too. The direction (does the metric rise or fall with the lever?) is
read from the lever's two ends; "reaches" means at or above the target for a rising metric and
at or below it for a falling one. The bracket is doubled from a first guess until the target is
reached or the lever's largest value (LEVERS) is passed; a target out of reach says so, with
the most the metric gets to and which other levers would move it further (what limits it).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rekit.model.deals import DEFAULT_BASIS, YEARS, DealBook, DealError
from rekit.model.simulation import METRICS, ModelError, check_metrics, check_years, simulate


@dataclass(frozen=True)
class Lever:
    """One lever: its unit, a first guess for the bracket, the largest value tried, and what it sets."""

    unit: str
    first: float
    most: float
    doc: str


LEVERS: dict[str, Lever] = {
    "irel_output": Lever("x the production basis", 1.0, 1_000.0,
                         "IREL's NdPr oxide output and capacity, as a multiple of the production basis"),
    "partner_free_capacity": Lever("t magnet/yr", 1_000.0, 1_000_000.0, "the partner's sintered-magnet capacity free for India's oxide"),
    "scheme_utilisation": Lever("share of each plant's allocation", 0.25, 1.0,
                                "the output of each of the magnet scheme's plants at full ramp"),
    "domestic_capacity": Lever("t magnet/yr", 1_000.0, 1_000_000.0,
                               "sintered NdFeB magnet-making capacity in India beside the scheme's plants"),
    "oxide_imports": Lever("t NdPr oxide/yr", 500.0, 1_000_000.0, "NdPr oxide India's magnet makers can import a year"),
}

#: Metrics that may be negative (a stock drawn down, a surplus of oxide).
SIGNED = ("stocked", "oxide_gap")
#: Metrics that are at most 1 and may be negative (JRC import reliance of a net exporter).
AT_MOST_ONE = ("import_reliance",)


def metric_range(metric: str) -> tuple[float, float]:
    """The values a metric can take: shares [0, 1]; JRC import reliance (−inf, 1]; stock changes and gaps
    any real number; every other quantity or ratio (coverage, self-sufficiency, import dependency) [0, inf)."""
    unit = METRICS[metric][0]
    if metric in SIGNED:
        return -math.inf, math.inf
    if metric in AT_MOST_ONE:
        return -math.inf, 1.0
    if unit == "share":
        return 0.0, 1.0
    return 0.0, math.inf


@dataclass(frozen=True)
class Goal:
    """The answer: the lever's value at which the median (and each end of the band) reaches the target.

    `at_p50`, `at_p05`, `at_p95`: the smallest lever value at which the metric's p50, p05, p95
    reach the target (None where no value up to the lever's largest does); `baseline`: the
    metric's median with the deal as it is; `best`: its median at the lever's largest value;
    `output_t` (irel_output only): IREL's oxide output in the year at `at_p50`, t NdPr oxide.
    """

    deal: str
    metric: str
    unit: str
    target: float
    year: int
    lever: str
    lever_unit: str
    rising: bool
    baseline: float
    best: float
    at_p50: float | None
    at_p05: float | None
    at_p95: float | None
    output_t: float | None = None
    limit: str = ""
    runs: int = field(default=0, compare=False)

    @property
    def reached(self) -> bool:
        return self.at_p50 is not None

    def frame(self) -> pd.DataFrame:
        """One row: deal, metric, unit, target, year, lever, lever_unit, at_p05, at_p50, at_p95, baseline, best, limit."""
        return pd.DataFrame([{k: getattr(self, k) for k in (
            "deal", "metric", "unit", "target", "year", "lever", "lever_unit", "at_p05", "at_p50", "at_p95",
            "baseline", "best", "output_t", "limit")}])

    def sentence(self) -> str:
        """The answer in words."""
        way = "at least" if self.rising else "at most"
        head = f"{self.metric} of {self.deal} in {self.year} {way} {self.target:g} ({self.unit})"
        if not self.reached:
            return f"{head}: out of reach by {self.lever} alone. {self.limit}"
        band = ", ".join(f"p{q} reaches it at {_fmt(v)}" if v is not None else f"p{q} does not reach it"
                         for q, v in (("95" if self.rising else "05", self.at_p95 if self.rising else self.at_p05),
                                      ("05" if self.rising else "95", self.at_p05 if self.rising else self.at_p95)))
        extra = f" (IREL's output {self.output_t:,.0f} t NdPr oxide in {self.year})" if self.output_t is not None else ""
        return (f"{head}: {self.lever} of {_fmt(self.at_p50)} {self.lever_unit}{extra} for the median "
                f"(now {self.baseline:.3g}); {band}")


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def _settings(lever: str, value: float) -> tuple[dict[str, float], float]:
    """(overrides, production_scale) that hold `lever` at `value`."""
    if lever == "irel_output":
        return {}, float(value)
    if lever == "partner_free_capacity":
        return {"partner_capacity": float(value), "partner_spare": 1.0}, 1.0
    if lever in ("scheme_utilisation", "domestic_capacity"):
        return {lever: float(value)}, 1.0
    return {"oxide_import_cap": float(value)}, 1.0


def check_lever(lever: str) -> str:
    """The lever, or ModelError naming it, the closest one and every lever."""
    if lever not in LEVERS:
        close = difflib.get_close_matches(str(lever), list(LEVERS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ModelError(f"lever {lever!r} is not known{hint}; allowed: {', '.join(LEVERS)}")
    return lever


def goal(book: DealBook, deal: str, metric: str, target: float, year: int, lever: str, draws: int = 1000,
         seed: int = 0, basis: str | None = None, demand: str | None = None, framing: str = "chain",
         rel_tol: float = 1e-3) -> Goal:
    """The smallest value of `lever` at which `metric` of `deal` in `year` reaches `target` (see the module)."""
    metric = check_metrics([metric])[0]
    lever = check_lever(lever)
    if isinstance(target, bool) or not isinstance(target, (int, float, np.integer, np.floating)) or not math.isfinite(target):
        raise ModelError(f"target: {target!r} is not a finite number")
    lo_m, hi_m = metric_range(metric)
    if not lo_m <= target <= hi_m:
        raise ModelError(f"target: {target:g} is outside the range of {metric} ({METRICS[metric][0]}), "
                         f"[{lo_m:g}, {hi_m:g}]; give a target in it")
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or not YEARS[0] <= year <= YEARS[1]:
        raise ModelError(f"year: {year!r} is outside the model's span, {YEARS[0]}-{YEARS[1]}")
    check_years(YEARS[0], int(year))
    try:
        book.get(deal)
    except DealError as exc:
        raise ModelError(str(exc)) from None
    spec = LEVERS[lever]
    runs = 0
    basis = basis if basis is not None else DEFAULT_BASIS  # simulate()'s own default

    seen: dict[tuple[float, str], np.ndarray] = {}  # the draws read at each lever value: doublings serve all three quantiles

    def run(value: float, which: str = metric) -> np.ndarray:
        nonlocal runs
        if (value, which) not in seen:
            runs += 1
            overrides, scale = _settings(lever, value)
            res = simulate(book, [deal], years=(YEARS[0], int(year)), draws=draws, seed=seed, demand=demand,
                           framing=framing, overrides=overrides, production_scale=scale, basis=basis)
            seen[(value, which)] = np.array(res.at(which, deal, int(year)))  # a copy: the run itself is let go
        return seen[(value, which)]

    def q(draws_: np.ndarray) -> dict[str, float]:
        p05, p50, p95 = np.percentile(draws_, [5, 50, 95])
        return {"p05": float(p05), "p50": float(p50), "p95": float(p95)}

    baseline = float(np.median(simulate(book, [deal], years=(YEARS[0], int(year)), draws=draws, seed=seed,
                                        demand=demand, framing=framing, basis=basis).at(metric, deal, int(year))))
    runs += 1
    at_zero, at_most = q(run(0.0)), q(run(spec.most))
    rising = at_most["p50"] >= at_zero["p50"]

    def reaches(v: float) -> bool:
        return v >= target - 1e-12 * max(1.0, abs(target)) if rising else v <= target + 1e-12 * max(1.0, abs(target))

    found: dict[str, float | None] = {}
    for key in ("p50", "p05", "p95"):
        if reaches(at_zero[key]):
            found[key] = 0.0
            continue
        if not reaches(at_most[key]):
            found[key] = None
            continue
        lo, hi = 0.0, spec.first
        while hi < spec.most and not reaches(q(run(hi))[key]):
            lo, hi = hi, min(hi * 2, spec.most)
        while hi - lo > rel_tol * hi:
            mid = 0.5 * (lo + hi)
            if reaches(q(run(mid))[key]):
                hi = mid
            else:
                lo = mid
        found[key] = hi
    output_t = None
    if lever == "irel_output" and found["p50"] is not None:
        output_t = float(np.median(run(found["p50"], "oxide_production")))
    limit = "" if found["p50"] is not None else _limit(book, deal, metric, year, lever, spec, at_most["p50"], rising,
                                                       draws, seed, demand, framing, basis)
    return Goal(deal, metric, METRICS[metric][0], float(target), int(year), lever, spec.unit, rising, baseline,
                at_most["p50"], found["p50"], found["p05"], found["p95"], output_t, limit, runs)


def _limit(book, deal, metric, year, lever, spec, best, rising, draws, seed, demand, framing, basis) -> str:
    """What stops the metric: the most it reaches, and the other levers that move it further from there."""
    overrides, scale = _settings(lever, spec.most)
    movers = []
    for other, ospec in LEVERS.items():
        if other == lever:
            continue
        o2, s2 = _settings(other, ospec.most)
        res = simulate(book, [deal], years=(YEARS[0], int(year)), draws=draws, seed=seed, demand=demand,
                       framing=framing, overrides={**overrides, **o2}, production_scale=scale * s2, basis=basis)
        m = float(np.median(res.at(metric, deal, int(year))))
        if (m > best * (1 + 1e-6) + 1e-9) if rising else (m < best * (1 - 1e-6) - 1e-9):
            movers.append(f"{other} ({ospec.doc})")
    most = f"{'at most' if rising else 'at least'} {best:.4g} (median) however large {lever} is (tried up to {_fmt(spec.most)} {spec.unit})"
    if movers:
        return (f"The metric gets to {most}; what limits it is what other levers supply: raising "
                + " or ".join(movers) + " moves it further.")
    return (f"The metric gets to {most}; no other lever moves it further either: the deal's own terms (its shares, "
            "the partner's retained share, demand) bound it.")


__all__ = ["Goal", "LEVERS", "Lever", "check_lever", "goal", "metric_range"]
