"""India's neodymium under partner deals: flows by year, with uncertainty carried to bands.

One basis inside the model: tonnes of Nd content. For each deal k, year t and draw i:

    P            IREL's output (t Nd), from the chosen production basis
    E = e·P      exported under the old agreement
    T = min(τ·P, C_partner·w/η)   sent to a tolling partner (capped by the partner's capacity)
    M = min(d·P, K·w/η)           sent to domestic magnet making (capped by India's capacity K)
    S = s·P + (τ·P − T) + (d·P − M)   stocked (including what the capacities could not take)
    η = η_metal·η_magnet          yield from oxide to finished magnet (Nd in magnets / Nd in)
    returned magnets  = (1 − r)·T·η / w     (t magnet; the partner keeps r as payment)
    domestic magnets  = M·η / w
    losses            = (T + M)·(1 − η)     (t Nd lost in metal making and machining)
    demand D(t)       = D0 · Π(1 + g)       (t magnet, from demand_base in its year)

Metrics (rekit.metrics): export share E/P; self-sufficiency (returned + domestic magnets) / D
(FAO form; may exceed 1); import dependency 1 − SSR. Mass balance, checked every run:
P = E + T + M + S and T + M = Nd in magnets (returned, kept, domestic) + losses.
Arrays are (deals, years, draws): numpy does every year and draw at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from rekit.model import metrics
from rekit.model.deals import PARAMS, SHARE_KEYS, YEARS, Deal, DealBook, Param
from rekit.model.quantities import Quantity, Schedule
from rekit.errors import RekitError

QUANTILES = (0.05, 0.5, 0.95)

#: metric -> (unit, description); the order of the output.
METRICS: dict[str, tuple[str, str]] = {
    "production": ("t Nd", "IREL's neodymium output"),
    "exports": ("t Nd", "exported as oxide under the old agreement"),
    "tolled": ("t Nd", "sent to a tolling partner"),
    "domestic": ("t Nd", "used by magnet makers in India"),
    "stocked": ("t Nd", "stocked, including what capacities could not take"),
    "losses": ("t Nd", "lost in metal making and magnet machining"),
    "magnets_returned": ("t magnet", "magnets the partner returns to India"),
    "magnets_kept_by_partner": ("t magnet", "magnets the partner keeps as payment"),
    "magnets_domestic": ("t magnet", "magnets made in India from IREL's oxide"),
    "magnets_own": ("t magnet", "magnets India gets from its own oxide"),
    "magnet_demand": ("t magnet", "India's NdFeB magnet demand"),
    "export_share": ("share", "exports / production"),
    "self_sufficiency": ("ratio", "magnets from own oxide / magnet demand (FAO SSR; may exceed 1)"),
    "import_dependency": ("ratio", "1 − self-sufficiency (FAO IDR; negative for a net exporter)"),
}


class ModelError(RekitError, ValueError):
    """Inputs the model cannot compute: the message names the parameter and the value."""


class MassBalanceError(ModelError):
    """The flows do not add up: names the deal and the first year where they fail."""


@dataclass(frozen=True)
class Result:
    """Model output: arrays (deals, years, draws) per metric, and the inputs that made them."""

    deals: tuple[str, ...]
    years: np.ndarray
    arrays: dict[str, np.ndarray]
    basis: str
    draws: int
    seed: int

    def summary(self, quantiles: Iterable[float] = QUANTILES) -> pd.DataFrame:
        """Tidy table: deal, year, metric, unit, mean and one column per quantile (p05, p50, p95).

        The default table is computed once per result (notebooks, headlines and charts all read
        it); each call returns a copy, so a caller may change it freely.
        """
        qs = tuple(quantiles)
        if qs == QUANTILES:
            if "_summary" not in self.__dict__:  # frozen dataclass: cache through __dict__
                self.__dict__["_summary"] = self._summarise(qs)
            return self.__dict__["_summary"].copy()
        return self._summarise(qs)

    def _summarise(self, qs: tuple[float, ...]) -> pd.DataFrame:
        """Sort the draws once and read every quantile off them (see sorted_quantiles)."""
        names = list(self.arrays)
        stack = np.stack([self.arrays[m] for m in names])  # (metrics, deals, years, draws)
        q = sorted_quantiles(np.sort(stack, axis=-1), list(qs))  # (quantiles, metrics, deals, years)
        mean = stack.mean(axis=-1)
        m_idx, d_idx, y_idx = np.meshgrid(np.arange(len(names)), np.arange(len(self.deals)), np.arange(len(self.years)), indexing="ij")
        out = pd.DataFrame({
            "deal": np.array(self.deals, dtype=object)[d_idx.ravel()],
            "year": self.years[y_idx.ravel()],
            "metric": np.array(names, dtype=object)[m_idx.ravel()],
            "unit": np.array([METRICS[m][0] for m in names], dtype=object)[m_idx.ravel()],
            "mean": mean.ravel(),
        })
        for i, p in enumerate(qs):
            out[f"p{round(p * 100):02d}"] = q[i].ravel()
        order = {d: i for i, d in enumerate(self.deals)}
        out = out.sort_values(["deal", "metric", "year"], key=lambda c: c.map(order) if c.name == "deal" else c, kind="stable")
        return out.reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        """Every draw: deal, year, draw, and one column per metric (long in draws, wide in metrics)."""
        d, y, n = np.meshgrid(np.arange(len(self.deals)), np.arange(len(self.years)), np.arange(self.arrays["production"].shape[-1]), indexing="ij")
        out = pd.DataFrame({"deal": np.array(self.deals, dtype=object)[d.ravel()], "year": self.years[y.ravel()], "draw": n.ravel()})
        for m, a in self.arrays.items():
            out[m] = a.ravel()
        return out

    def at(self, metric: str, deal: str, year: int) -> np.ndarray:
        """The draws of one metric for one deal and year."""
        return self.arrays[metric][self.deals.index(deal), int(np.searchsorted(self.years, year))]


def sorted_quantiles(sorted_draws: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles along the last axis of already-sorted draws, by numpy's default (linear) method.

    One sort serves every quantile; it is several times faster than np.quantile on large stacks.
    """
    n = sorted_draws.shape[-1]
    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        frac = pos - lo
        out.append(sorted_draws[..., lo] * (1 - frac) + sorted_draws[..., hi] * frac)
    return np.stack(out)


def check_years(start: int, end: int) -> np.ndarray:
    """The model years start..end inclusive, within the data's reach."""
    if start > end:
        raise ModelError(f"years: {start}-{end} is reversed; write START-END with START <= END")
    if start < YEARS[0] or end > YEARS[1]:
        raise ModelError(f"years: {start}-{end} is outside the data's reach, {YEARS[0]}-{YEARS[1]}")
    return np.arange(start, end + 1)


def apply_overrides(deal: Deal, overrides: Mapping[str, float] | None) -> Deal:
    """A copy of `deal` with some parameters fixed to a value (the explorer's sliders); checked like the file."""
    if not overrides:
        return deal
    params = dict(deal.params)
    for key, value in overrides.items():
        if key not in PARAMS:
            raise ModelError(f"override {key!r}: not a deal parameter; allowed: {', '.join(PARAMS)}")
        p: Param = PARAMS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or np.isnan(value):
            raise ModelError(f"{key}: {value!r} is not a number")
        below = value <= p.lo if p.open_lo else value < p.lo
        if below or value > p.hi:
            raise ModelError(f"{key}: {value:g} is outside {'(' if p.open_lo else '['}{p.lo:g}, {p.hi:g}] ({p.doc})")
        params[key] = Schedule.constant(Quantity.point(float(value), p.unit, "user override"))
    return Deal(deal.name, deal.description, deal.assumptions, deal.partner, deal.shares, deal.rest, params,
                deal.demand_base_year, deal.origin)


def simulate(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000,
             seed: int = 0, basis: str = "reported", overrides: Mapping[str, float] | None = None,
             production_scale: float = 1.0) -> Result:
    """Run the deals over the years; `draws=0` uses every central value once (what a slider needs).

    `overrides` fixes parameters for every deal (e.g. {"retained_share": 0.3}); `production_scale`
    multiplies IREL's output path (1 = the basis as sourced).
    """
    names = tuple(deals)
    if not names:
        raise ModelError("deals: give at least one deal")
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0:
        raise ModelError(f"draws: {draws!r} is not allowed; give a whole number >= 1 (or 0 for central values only)")
    if production_scale < 0:
        raise ModelError(f"production_scale: {production_scale:g} cannot be negative")
    yrs = check_years(*years)
    chosen = [apply_overrides(book.get(n), overrides) for n in names]
    n = int(draws)
    width = max(n, 1)
    D, Y = len(chosen), len(yrs)

    P = book.basis(basis).schedule.draw(f"production:{basis}", seed, n, yrs)[None] * production_scale  # (1, Y, N)
    P = np.broadcast_to(P, (1, Y, width))

    def stack(draw_one) -> np.ndarray:
        """(D, 1, N) when no deal varies by year, else (D, Y, N)."""
        parts = [draw_one(d) for d in chosen]
        rows = max(p.shape[0] for p in parts)
        return np.stack([np.broadcast_to(p, (rows, width)) for p in parts])

    zero = np.zeros((1, width))
    shares = {k: stack(lambda d, k=k: zero if d.shares[k] is None else d.shares[k].draw(f"share:{k}", seed, n, yrs))
              for k in SHARE_KEYS}
    for k in SHARE_KEYS:
        takes_rest = np.array([d.rest == k for d in chosen])
        if takes_rest.any():
            others = [j for j in SHARE_KEYS if j != k]
            rest = shares[others[0]] + shares[others[1]]
            rest = rest + shares[others[2]] if rest.shape != (D, Y, width) else np.add(rest, shares[others[2]], out=rest)
            np.subtract(1.0, rest, out=rest)
            shares[k] = rest if takes_rest.all() else np.where(takes_rest[:, None, None], rest, shares[k])
    par = {p: stack(lambda d, p=p: d.params[p].draw(p, seed, n, yrs)) for p in PARAMS}

    w, r = par["w_nd"], par["retained_share"]
    eta = par["eta_metal"] * par["eta_magnet"]
    nd_to_magnet = eta / w  # t magnet per t Nd sent
    E = shares["export"] * P
    T_want, M_want = shares["toll"] * P, shares["domestic"] * P
    T = np.minimum(T_want, par["partner_capacity"] / nd_to_magnet)
    M = np.minimum(M_want, par["domestic_capacity"] / nd_to_magnet)
    S = shares["stock"] * P
    S += T_want
    S -= T
    S += M_want
    S -= M
    magnets_tolled = T * nd_to_magnet
    kept = r * magnets_tolled
    returned = magnets_tolled - kept
    domestic_magnets = M * nd_to_magnet
    losses = T + M
    losses *= 1 - eta
    demand = _demand(chosen, seed, n, yrs)
    own = returned + domestic_magnets
    with np.errstate(divide="ignore", invalid="ignore"):
        ssr = metrics.self_sufficiency(own, demand)
    xshare = np.divide(E, P, out=np.zeros_like(E), where=P > 0)  # rekit.metrics.export_share, guarded for P = 0
    arrays = {
        "production": np.broadcast_to(P, E.shape), "exports": E, "tolled": T, "domestic": M, "stocked": S, "losses": losses,
        "magnets_returned": returned, "magnets_kept_by_partner": kept, "magnets_domestic": domestic_magnets,
        "magnets_own": own, "magnet_demand": demand, "export_share": xshare,
        "self_sufficiency": ssr, "import_dependency": 1.0 - ssr,
    }
    _check_inputs(names, yrs, demand, shares)
    check_mass_balance(names, yrs, arrays, w)
    return Result(names, yrs, arrays, basis, n, seed)


def _demand(chosen: list[Deal], seed: int, n: int, yrs: np.ndarray) -> np.ndarray:
    """D(t) = D0 · Π_{s=b+1..t} (1 + g_s) from the base year b forward, divided back before it. Shape (D, Y, N).

    Growth is drawn over a span that always contains the base year, so a window of years that
    excludes it (say 2030 alone) gets the same demand as the long run does.
    """
    out = np.empty((len(chosen), len(yrs), max(n, 1)))
    for i, d in enumerate(chosen):  # per deal: base year and span differ; years and draws stay vectorised
        span = np.arange(min(yrs[0], d.demand_base_year), max(yrs[-1], d.demand_base_year) + 1)
        growth = np.broadcast_to(d.params["demand_growth"].draw("demand_growth", seed, n, span), (len(span), max(n, 1)))
        cum = np.cumprod(1.0 + growth, axis=0)  # Π_{s<=t} (1 + g_s)
        base = d.params["demand_base"].draw("demand_base", seed, n, span[:1])[0]
        window = cum[yrs[0] - span[0]: yrs[-1] - span[0] + 1]
        np.multiply(window, base / cum[d.demand_base_year - span[0]], out=out[i])
    return out


def _check_inputs(names, yrs, demand, shares) -> None:
    if not demand.min() > 0:
        i, t = np.argwhere((demand <= 0).any(axis=-1))[0]
        raise ModelError(f"deal {names[i]!r}, year {yrs[t]}: magnet demand is zero; self-sufficiency divides by it")
    for k, a in shares.items():
        if a.min() < -1e-9 or a.max() > 1 + 1e-9:
            i, t = np.argwhere(((a < -1e-9) | (a > 1 + 1e-9)).any(axis=-1))[0]
            raise ModelError(f"deal {names[i]!r}, year {yrs[t]}: share {k!r} leaves [0, 1]")


def check_mass_balance(names, yrs, a: dict[str, np.ndarray], w: np.ndarray, rtol: float = 1e-9) -> None:
    """Raise MassBalanceError unless P = E + T + M + S and T + M = Nd in magnets + losses, every year and draw.

    Each identity is checked as one residual computed in place, against `rtol` times the largest output.
    """
    P = a["production"]
    tol = rtol * max(1.0, float(P.max()))
    alloc = P - a["exports"]
    alloc -= a["tolled"]
    alloc -= a["domestic"]
    alloc -= a["stocked"]
    process = a["tolled"] + a["domestic"]
    process -= a["losses"]
    process -= (a["magnets_returned"] + a["magnets_kept_by_partner"] + a["magnets_domestic"]) * w
    for label, residual in (("production = exports + tolled + domestic + stocked", alloc),
                            ("tolled + domestic = Nd in magnets + losses", process)):
        np.abs(residual, out=residual)
        if not residual.max() <= tol:  # also catches NaN
            i, t, j = np.argwhere(~(residual <= tol))[0]
            raise MassBalanceError(f"deal {names[i]!r}, year {yrs[t]}: mass balance fails: {label}: off by {residual[i, t, j]:.3g} t Nd")
