"""Recycling of end-of-life NdFeB magnets in India: collection, dismantling, a capacity with its own
ramp, and recovery of Nd, Pr, Dy and Tb as secondary own feedstock, kept apart from primary oxide.

From the end-of-life outflow of the stock model (rekit.model.stocks_in_use), t magnet a year by
end use (shape (..., end use, year)), for every year t and end use u:

    collected[u, t]   = eol[u, t] · collection[u]                        (t magnet)
    liberated[u, t]   = collected[u, t] · dismantling[u]                 (t magnet taken out of the product)
    processed[u, t]   = liberated[u, t] · f[t],  f[t] = min(1, K[t] / Σ_u liberated[u, t])
                        (capacity K[t], t magnet a year, shared pro rata across end uses; no cap: f = 1)
    recovered_e[t]    = Σ_u processed[u, t] · content_e[u] · recovery_e  (t element e, e in Nd Pr Dy Tb)

and what is not recovered is named: not collected, lost in dismantling, beyond capacity (all t
magnet), and the process loss of each element. Both balances are checked (ModelError):
eol = not_collected + dismantling_loss + over_capacity + processed (t magnet), and
Σ_u processed · content_e = recovered_e + process_loss_e (t element).

Routes (Sprecher et al. 2014, Environ. Sci. Technol. 48:3951 name them): "hydrometallurgical"
(long loop: leach, separate, back to oxide) and "magnet_to_magnet" (short loop: hydrogen
decrepitation of sorted magnets, back to alloy powder). The model carries the recovered rare
earths in t element; `ndpr_oxide_equivalent` converts Nd and Pr to t NdPr oxide (Nd2O3 and
Pr6O11 by their stoichiometric factors, rekit.model.conversions), the form in which the
hydrometallurgical route returns them to India's magnet making.

The 2025 recycling incentive scheme (RECYCLING_SCHEME) is read as a capacity lever: its expected
capacity covers every critical mineral and feedstock, and the share of it that would take NdFeB
magnets is not reported (as of 2026-12-03), so that share is the caller's labelled assumption.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rekit.model.conversions import ELEMENTS, ND_PER_ND2O3, PR_PER_PR6O11
from rekit.model.stocks_in_use import ModelError

__all__ = ["FEED_KEYS", "ROUTES", "RECYCLING_SCHEME", "recycling_capacity", "secondary_feed", "RecyclingScheme", "Recycled",
           "check_rate", "ramp", "recycle", "stocks_by_end_use", "ndpr_chain",
           "ndpr_oxide_equivalent", "scheme_capacity"]

#: The recovery routes the model knows.
ROUTES = ("hydrometallurgical", "magnet_to_magnet")


@dataclass(frozen=True)
class RecyclingScheme:
    """The terms of India's incentive scheme for recycling critical minerals, as its approval states them.

    Money in crore INR (1 crore = 10⁷ INR); capacities in kt a year; the period in Indian fiscal
    years (April to March). `sources` names the observations (data/observations.csv) each term is read from.
    """

    outlay_crore_inr: float
    first_fy: str
    last_fy: str
    expected_capacity_kt: float
    expected_production_kt: float
    capex_subsidy: float
    eligible_feedstock: tuple[str, ...]
    eligibility: str
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def years(self) -> tuple[int, int]:
        """The calendar years the scheme's fiscal years reach into: FY2025-26 … FY2030-31 → 2025 … 2031."""
        return int(self.first_fy[2:6]), int(self.last_fy[2:6]) + 1


#: Approved by the Union Cabinet on 3 September 2025 (Ministry of Mines statement, as PTI reports it).
RECYCLING_SCHEME = RecyclingScheme(
    outlay_crore_inr=1500.0,
    first_fy="FY2025-26",
    last_fy="FY2030-31",
    expected_capacity_kt=270.0,
    expected_production_kt=40.0,
    capex_subsidy=0.20,
    eligible_feedstock=("e-waste", "lithium-ion battery scrap",
                        "scrap other than e-waste and LIB scrap, e.g. catalytic converters in end-of-life vehicles"),
    eligibility="the recycling value chain involved in actual extraction of critical minerals, not only black mass "
                "production; new units and the expansion, modernisation and diversification of existing units",
    sources={"outlay": "obs:recycling_scheme_outlay_2025_09_pti", "period": "obs:recycling_scheme_duration_2025_09_pti",
             "capacity": "obs:recycling_scheme_capacity_2025_09_pti",
             "production": "obs:recycling_scheme_production_2025_09_pti",
             "capex_subsidy": "obs:recycling_scheme_capex_subsidy_2025_09_ndtv_profit",
             "ndfeb_share": "not reported as of 2026-12-03"},
)


def check_rate(value, name: str) -> np.ndarray:
    """A share in [0, 1] (number or array), else ModelError naming the rate and the value given."""
    arr = np.asarray(value, dtype=float)
    bad = ~((arr >= 0) & (arr <= 1))  # NaN fails too
    if bad.any():
        given = float(arr[bad].flat[0]) if arr.ndim else float(arr)
        raise ModelError(f"{name}: {given!r} is not allowed; allowed: a share from 0 to 1")
    return arr


def ramp(years: Sequence[int], points: Mapping[int, float], name: str = "capacity") -> np.ndarray:
    """A capacity by year, t magnet a year: linear between the given years, flat beyond them.

    `points` maps years to capacities ≥ 0, e.g. {2026: 0, 2031: 500}. Shape (len(years),).
    """
    if not points:
        raise ModelError(f"{name}: no points given; give {{year: t magnet a year}}")
    xs = np.array(sorted(points), dtype=float)
    ys = np.array([points[int(x)] for x in xs], dtype=float)
    if not (np.isfinite(ys) & (ys >= 0)).all():
        raise ModelError(f"{name}: {float(ys[~(np.isfinite(ys) & (ys >= 0))][0])!r} t a year is not allowed; "
                         f"allowed: a finite number ≥ 0")
    return np.interp(np.asarray(years, dtype=float), xs, ys)


def scheme_capacity(years: Sequence[int], ndfeb_share, start_year: int | None = None,
                    scheme: RecyclingScheme = RECYCLING_SCHEME) -> np.ndarray:
    """NdFeB recycling capacity from the scheme, t magnet a year: 0 in its first year, rising linearly to
    ndfeb_share × its expected capacity (270 kt a year) by the year its last fiscal year ends, flat after.

    `ndfeb_share` (share of the scheme's capacity that takes NdFeB magnets) is an assumption: the
    approval does not split the capacity by feedstock. `start_year` moves the start (default: the
    scheme's first year, 2025); broadcasting `ndfeb_share` over draws gives shape (..., year).
    """
    share = check_rate(ndfeb_share, "ndfeb_share of the recycling scheme's capacity")
    first, last = scheme.years
    start = first if start_year is None else int(start_year)
    shape = ramp(years, {start: 0.0, start + (last - first): 1.0}, "scheme capacity")
    return np.asarray(share)[..., None] * shape * scheme.expected_capacity_kt * 1000.0


@dataclass(frozen=True)
class Recycled:
    """The recycling flows: magnets in t magnet, shape (..., end use, year); elements in t element, (..., year)."""

    years: np.ndarray
    end_uses: tuple[str, ...]
    route: str
    collected: np.ndarray
    not_collected: np.ndarray
    dismantling_loss: np.ndarray
    over_capacity: np.ndarray
    processed: np.ndarray
    recovered: Mapping[str, np.ndarray]
    process_loss: Mapping[str, np.ndarray]

    def ndpr_oxide(self) -> np.ndarray:
        """Recovered Nd and Pr as t NdPr oxide, (..., year): secondary own feedstock, apart from primary."""
        return ndpr_oxide_equivalent(self.recovered["Nd"], self.recovered["Pr"])


def ndpr_oxide_equivalent(nd, pr) -> np.ndarray:
    """t NdPr oxide holding `nd` t Nd and `pr` t Pr: nd / 0.8574 + pr / 0.8277 (t Nd per t Nd2O3,
    t Pr per t Pr6O11; rekit.model.conversions)."""
    return np.asarray(nd) / ND_PER_ND2O3 + np.asarray(pr) / PR_PER_PR6O11


def recycle(eol, end_uses: Sequence[str], years: Sequence[int] | np.ndarray, content: Mapping[str, object],
            collection: Mapping[str, object], dismantling, recovery: Mapping[str, object],
            capacity=None, route: str = "hydrometallurgical", tol: float = 1e-9) -> Recycled:
    """Recycle end-of-life magnets (see the module's equations).

    eol: t magnet a year, shape (..., len(end_uses), len(years)) (StocksInUse.outflow with end uses
    on the second-last axis). content: element → t element per t magnet, a number or one per end
    use (shape (len(end_uses),)), Nd, Pr, Dy and Tb all given. collection: end use → share of its
    end-of-life magnets collected (every end use given, no other). dismantling: share of collected
    magnet mass liberated (a number, or per end use). recovery: element → share recovered by the
    route. capacity: t magnet a year the recyclers can take, shape (len(years),) or (..., len(years)),
    or None for no limit. Every share must lie in [0, 1] (ModelError naming it).
    """
    if route not in ROUTES:
        raise ModelError(f"route {route!r} is not a recycling route; allowed: {', '.join(ROUTES)}")
    end_uses = tuple(end_uses)
    yrs = np.asarray(years)
    x = np.asarray(eol, dtype=float)
    if x.ndim < 2 or x.shape[-2:] != (len(end_uses), len(yrs)):
        raise ModelError(f"end-of-life outflow: expected shape (..., {len(end_uses)} end uses, {len(yrs)} years); "
                         f"got {x.shape}")
    unknown = [u for u in collection if u not in end_uses]
    if unknown:
        raise ModelError(f"collection: unknown end use {unknown[0]!r}; allowed: {', '.join(end_uses)}")
    missing = [u for u in end_uses if u not in collection]
    if missing:
        raise ModelError(f"collection: no rate given for end use {missing[0]!r}; give one for each of {', '.join(end_uses)}")
    for e in list(content) + list(recovery):
        if e not in ELEMENTS:
            raise ModelError(f"unknown element {e!r}; allowed: {', '.join(ELEMENTS)}")
    for what, given in (("content", content), ("recovery", recovery)):
        lacking = [e for e in ELEMENTS if e not in given]
        if lacking:
            raise ModelError(f"{what}: no value for {lacking[0]}; give one for each of {', '.join(ELEMENTS)}")
    col = np.stack([np.broadcast_to(check_rate(collection[u], f"collection rate of {u}"), x.shape[:-2])
                    for u in end_uses], axis=-1)[..., None]
    dis = np.asarray(check_rate(dismantling, "dismantling rate"))
    dis = dis[..., None] if dis.ndim else dis
    rec = {e: check_rate(recovery[e], f"recovery rate of {e} ({route})") for e in ELEMENTS}
    cont = {e: check_rate(content[e], f"content of {e} (t {e} per t magnet)") for e in ELEMENTS}

    collected = x * col
    liberated = collected * dis
    if capacity is None:
        processed = liberated
    else:
        cap = np.asarray(capacity, dtype=float)
        if not (np.isfinite(cap) & (cap >= 0)).all():
            raise ModelError("capacity: a finite number of t magnet a year ≥ 0 for every year")
        total = liberated.sum(axis=-2)
        f = np.ones(np.broadcast_shapes(total.shape, cap.shape))
        np.divide(cap, total, out=f, where=total > cap)
        processed = liberated * f[..., None, :]
    not_collected = x - collected
    dismantling_loss = collected - liberated
    over_capacity = liberated - processed
    recovered, loss = {}, {}
    for e in ELEMENTS:
        c = cont[e]
        held = (processed * (c[..., None] if c.ndim else c)).sum(axis=-2)
        recovered[e] = held * rec[e]
        loss[e] = held - recovered[e]
    out = Recycled(yrs, end_uses, route, collected, not_collected, dismantling_loss, over_capacity, processed,
                   recovered, loss)
    _check(out, x, cont, tol)
    return out


def _check(r: Recycled, eol: np.ndarray, content: Mapping[str, np.ndarray], tol: float) -> None:
    """Magnet and element balances of the recycling chain; every flow ≥ 0 (to rounding)."""
    scale = tol * max(1.0, float(np.max(eol, initial=0.0)))
    res = eol - r.not_collected - r.dismantling_loss - r.over_capacity - r.processed
    if np.abs(res).max(initial=0.0) > scale:
        raise ModelError(f"recycling: magnet balance fails by {np.abs(res).max():.3g} t magnet")
    for name in ("not_collected", "dismantling_loss", "over_capacity", "processed"):
        if getattr(r, name).min(initial=0.0) < -scale:
            raise ModelError(f"recycling: {name} negative ({getattr(r, name).min():.3g} t magnet)")
    for e in ELEMENTS:
        c = content[e]
        held = (r.processed * (c[..., None] if c.ndim else c)).sum(axis=-2)
        gap = np.abs(held - r.recovered[e] - r.process_loss[e]).max(initial=0.0)
        if gap > scale:
            raise ModelError(f"recycling: {e} balance fails by {gap:.3g} t {e}")


#: The magnets in use depend on the demand path, the end-use mix and the years alone (not on production, framing,
#: partner or deal), so secondary_feed computes them once per path and reuses them in every run with it (a grid runs
#: each demand basis's path once per production basis): the last IN_USE_KEPT paths are kept, keyed by their bytes.
IN_USE_KEPT = 8
_IN_USE: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_IN_USE_LOCK = threading.Lock()

#: The arrays secondary_feed adds to a run's inputs, (deals or 1, years, draws).
FEED_KEYS = ("eol", "use_stock", "sec_oxide", "sec_dy", "sec_tb", "recycling_capacity")


def recycling_capacity(years, share, ramp_years, scheme: RecyclingScheme = RECYCLING_SCHEME) -> np.ndarray:
    """NdFeB recycling capacity in India, t magnet a year, shape (..., year): `share` of the scheme's expected
    capacity (270 kt a year, every critical mineral) reached linearly over `ramp_years` from the start of the
    scheme's first year (2025), evaluated at mid-year: share · 270,000 · clip((t + ½ − 2025) / ramp, 0, 1).
    `share` and `ramp_years` broadcast (e.g. (deals, draws)); a ramp of 0 years is full capacity at once."""
    s = check_rate(share, "recycling_share (the share of the recycling scheme's capacity that takes NdFeB magnets)")
    r = np.asarray(ramp_years, dtype=float)
    if not (np.isfinite(r) & (r >= 0)).all():
        raise ModelError(f"recycling_ramp_years: {float(r[~(np.isfinite(r) & (r >= 0))].flat[0])!r} is not allowed; "
                         f"allowed: a number of years >= 0")
    t = np.asarray(years, dtype=float) + 0.5 - scheme.years[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(r[..., None] > 0, np.clip(t / np.where(r > 0, r, 1.0)[..., None], 0.0, 1.0), (t >= 0) * 1.0)
    return s[..., None] * frac * scheme.expected_capacity_kt * 1000.0


def secondary_feed(inp: Mapping[str, np.ndarray], years, mix, recover: bool = True) -> dict[str, np.ndarray]:
    """What recycling gives a run, arrays (deals or 1, years, draws), from its inputs (rekit.model.simulation):

    - demand (1, Y, N) t magnet enters use each year, split over the end uses of `mix` ((end use,
      share, lifetime kind, a, b), shares summing to 1); the stock model (rekit.model.stocks_in_use)
      gives the magnets in use (`use_stock`, t magnet at year end) and leaving use (`eol`, t magnet a year);
      magnets in use before the run's first year are not counted (their inflows are not reported);
    - recycle() collects (recycling_collection), dismantles (recycling_dismantling) and processes them
      up to recycling_capacity(...), and recovers recycling_recovery of each rare earth;
    - `sec_oxide` t NdPr oxide = Nd / 0.8574 + Pr / 0.8277 recovered: with the magnet's Nd and Pr
      in the model's composition (w_ndpr, pr_share) it is processed · w_ndpr · recovery / f_ox;
      `sec_dy`, `sec_tb` t Dy and Tb recovered (not fed back: reported apart).

    The deal parameters are read at the run's first year (a schedule gives that year's value).
    `recover=False` gives the magnets in use and leaving use only (no deal recycles).
    """
    from rekit.model.stocks_in_use import Lifetime, inflow_driven

    yrs = np.asarray(years)
    if not mix:
        raise ModelError("recycling: no demand basis gives the end uses' mix (rekit.model.demand); recycling needs one")
    shares = np.array([m[1] for m in mix], dtype=float)
    if not (abs(shares.sum() - 1) < 1e-9 and (shares >= 0).all()):
        raise ModelError(f"recycling: the end uses' shares sum to {float(shares.sum())!r}; they must be >= 0 and sum to 1")
    dem = np.asarray(inp["demand"])[0]  # (Y, N)
    key = (tuple(mix), yrs.tobytes(), dem.shape, dem.dtype.str, dem.tobytes())
    with _IN_USE_LOCK:
        hit = _IN_USE.get(key)
    if hit is None:
        inflow = dem.T[:, None, :] * shares[None, :, None]  # (N, U, Y) t magnet entering use
        eol = np.empty_like(inflow)
        stock = np.empty_like(inflow)
        for kind in sorted({m[2] for m in mix}):
            idx = [i for i, m in enumerate(mix) if m[2] == kind]
            lt = Lifetime.of(kind, np.array([mix[i][3] for i in idx]), np.array([mix[i][4] for i in idx]),
                             name=f"lifetime of {', '.join(mix[i][0] for i in idx)}")
            res = inflow_driven(inflow[:, idx], lt, yrs, name="magnets entering use")
            eol[:, idx], stock[:, idx] = res.outflow, res.stock
        hit = (eol, eol.sum(axis=1).T[None], stock.sum(axis=1).T[None])
        for h in hit:
            h.setflags(write=False)  # shared by every run with this demand path: read, never written
        with _IN_USE_LOCK:
            _IN_USE[key] = hit
            while len(_IN_USE) > IN_USE_KEPT:
                del _IN_USE[next(iter(_IN_USE))]  # the oldest first
    eol, eol_total, stock_total = hit

    if not recover:
        return {"eol": eol_total, "use_stock": stock_total}

    def first(key: str) -> np.ndarray:  # (D, N) at the first year
        a = np.asarray(inp[key], dtype=float)
        return np.broadcast_to(a[:, 0, :], (a.shape[0], dem.shape[1]))

    D = max(np.shape(inp[k])[0] for k in ("recycling_share", "recycling_ramp_years", "recycling_collection",
                                          "recycling_dismantling", "recycling_recovery", "pr_share", "w_ndpr", "w_dy", "w_tb"))
    share, ramp_y = first("recycling_share"), first("recycling_ramp_years")
    col, dis, rec = first("recycling_collection"), first("recycling_dismantling"), first("recycling_recovery")
    p, w = first("pr_share"), first("w_ndpr")
    c_nd, c_pr = (1 - p) * ND_PER_ND2O3, p * PR_PER_PR6O11
    f_ox = c_nd + c_pr
    content = {"Nd": w * c_nd / f_ox, "Pr": w * c_pr / f_ox, "Dy": first("w_dy"), "Tb": first("w_tb")}
    shape = (D, dem.shape[1])
    names = [m[0] for m in mix]
    capacity = recycling_capacity(yrs, np.broadcast_to(share, shape), ramp_y)  # (D, N, Y), checks every deal's share and ramp
    # A deal whose recycling_share is 0 in every draw has no capacity: nothing is processed and every recovered
    # flow is 0 (recycle() gives f = 0 or, with no scrap, f = 1 on 0 t). Only the deals with capacity go through
    # the chain, row by row as before (its arithmetic is elementwise in the deal), the others get those zeros.
    on = np.broadcast_to(share > 0, shape).any(axis=-1)
    rows = np.flatnonzero(on)

    def pick(a) -> np.ndarray:  # the rows of the deals with capacity, (len(rows), N)
        return np.broadcast_to(a, shape)[rows]

    for what, a in (("collection rate", col), ("dismantling rate", dis), ("recovery rate", rec), *content.items()):
        check_rate(a, what if what not in content else f"content of {what} (t {what} per t magnet)")  # every deal's, as recycle() does
    sec = {k: np.zeros((D, len(yrs), dem.shape[1])) for k in ("sec_oxide", "sec_dy", "sec_tb")}
    if rows.size:
        x = np.broadcast_to(eol, (rows.size, *eol.shape))  # (deals with capacity, N, U, Y)
        # shares per (deal, draw) carry a trailing axis so that they line up with (deal, draw, end use, year)
        r = recycle(x, names, yrs, {e: pick(c)[..., None] for e, c in content.items()}, {u: pick(col) for u in names},
                    pick(dis)[..., None], {e: pick(rec)[..., None] for e in ELEMENTS}, capacity[rows])
        sec["sec_oxide"][rows] = r.ndpr_oxide().transpose(0, 2, 1)
        sec["sec_dy"][rows] = r.recovered["Dy"].transpose(0, 2, 1)
        sec["sec_tb"][rows] = r.recovered["Tb"].transpose(0, 2, 1)
    out = {"eol": eol_total, "use_stock": stock_total, **sec,
           "recycling_capacity": capacity.transpose(0, 2, 1)}
    return out


def stocks_by_end_use(demand, years, mix) -> pd.DataFrame:
    """The magnets in use and leaving use by end use, for one demand path (t magnet a year, shape (len(years),)):
    tidy rows end_use, year, inflow, in_use (t magnet at year end), end_of_life (t magnet a year)."""
    from rekit.model.stocks_in_use import Lifetime, inflow_driven

    yrs = np.asarray(years)
    d = np.asarray(demand, dtype=float)
    rows = []
    for name, share, kind, a, b in mix:
        res = inflow_driven(d * share, Lifetime.of(kind, a, b, name=f"lifetime of {name}"), yrs, name=f"magnets entering use ({name})")
        rows.append(pd.DataFrame({"end_use": name, "year": yrs, "inflow": res.inflow, "in_use": res.stock,
                                  "end_of_life": res.outflow}))
    return pd.concat(rows, ignore_index=True)


def ndpr_chain(eol: float, collection: float, dismantling: float, capacity: float, recovery: float, w_ndpr: float,
               f_ox: float, magnets_made: float) -> pd.DataFrame:
    """One year's recycling chain in t Nd+Pr (the metal they hold), for a Sankey: from, to, t_ndpr, and the
    t NdPr oxide recovered on its link. eol t magnet, capacity t magnet a year, magnets_made t magnet made from
    the recovered oxide (G_sec); shares as in recycle(). Each node's links add up to what enters it."""
    for v, name in ((collection, "collection"), (dismantling, "dismantling"), (recovery, "recovery"), (w_ndpr, "w_ndpr")):
        check_rate(v, name)
    scrap = eol * w_ndpr
    collected = scrap * collection
    liberated = collected * dismantling
    processed = min(liberated, capacity * w_ndpr)
    recovered = processed * recovery
    made = min(magnets_made * w_ndpr, recovered)
    links = [("end-of-life magnets", "not collected", scrap - collected), ("end-of-life magnets", "collected", collected),
             ("collected", "lost in dismantling", collected - liberated), ("collected", "processed", processed),
             ("collected", "beyond recycling capacity", liberated - processed),
             ("processed", "recovered NdPr oxide", recovered), ("processed", "process loss", processed - recovered),
             ("recovered NdPr oxide", "magnets made in India", made),
             ("recovered NdPr oxide", "not used in India", recovered - made)]
    out = pd.DataFrame(links, columns=["from", "to", "t_ndpr"])
    out["t_ndpr_oxide"] = np.where(out["from"] == "recovered NdPr oxide", out["t_ndpr"] / f_ox,
                                   np.where(out["to"] == "recovered NdPr oxide", out["t_ndpr"] / f_ox, np.nan))
    return out
