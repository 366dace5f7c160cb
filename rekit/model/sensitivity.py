"""Global sensitivity analysis of the deal model with SALib: which inputs move a metric, year by year, and how much.

Two kinds of input are factors, each on [0, 1]:

- ranged inputs: the probability at which the input's triangular distribution is read
  (rekit.model.quantities.Quantity.ppf), so a factor's uniform sample maps to exactly the
  distribution simulate() draws from. A schedule (a parameter given by year) is one factor: its
  points move together. They are: each ranged deal parameter and share, IREL's production path
  (`production`) and capacity (`capacity`) under whichever production basis a run uses, the t Nd
  to t NdPr oxide factor where a basis is given in t Nd, the officials' magnets per oxide,
  the demand basis's base and growth (`demand_base`, `demand_growth`), and the date the exports to
  Toyotsu Rare Earths India stop (`export_halt`, a ranged date);
- structural choices, as categorical factors: `production_basis` (the book's production bases),
  `demand_basis` (its demand bases), `framing` (chain or officials) and, for a deal that names
  partner companies, `partner_alternative` (the readings of their capacity the data support:
  rekit.model.scenarios.partner_alternatives; a deal lacking one keeps its own). A categorical factor
  with k choices maps its uniform draw u to choice number min(floor(u·k), k − 1) in the book's
  order, so each choice has probability 1/k (equal weight, as the envelope pools them;
  rekit.model.scenarios). SALib sees a uniform factor on [0, 1] like any other; the mapping
  happens in the model (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, §1.2.3,
  on triggers for model structure). A choice given by name (`basis`, `demand`, `framing`) is held
  fixed and is not a factor.

Each row of the design runs the system once over every year from the model's start, so the
indices come per year from the same runs (`years` chooses the years reported; `year` one).

Methods (SALib, Herman & Usher 2017, doi:10.21105/joss.00097; Iwanaga et al. 2022,
doi:10.18174/sesmo.18155):
- "sobol": first-order S1 and total ST indices (Sobol' 2001; Saltelli et al. 2010, Comput.
  Phys. Commun. 181:259, the estimators SALib uses), with 95% bootstrap half-widths. Rank
  robustness: SALib keeps each bootstrap resample's ST (`keep_resamples`); `top3_share` is the
  share of resamples in which the input's ST is among the three largest;
- "morris": elementary-effects screening (Morris 1991, Technometrics 33:161; μ* of Campolongo
  et al. 2007, Environ. Model. Softw. 22:1509), with bootstrap confidence of μ* (no resamples
  are kept: `top3_share` is empty).

`source` says what an input rests on: `structural` (a choice), `assumption` (every ranged value
of it has a source that is an assumption), `partly assumption` (a source names an assumption
beside an observation) or `sourced`. `flag` marks an input among the top three of a year (by ST,
or μ*) that rests wholly or partly on an assumption: the ranking leans on a guess.

Parameters that act only through a mechanism none of the deals has (the scheme's plants, a tolling
partner, a China shock: GATED) are not factors of that run: a non-scheme deal's analysis does not
sample `scheme_*`. The table's ``attrs["not_applicable"]`` names them with the reason.

`groups=True` gathers inputs that move together by construction (yields, composition, the
partner's terms, China shares, demand, production) into one factor each (SALib's groups).
The output may be one deal's metric, or the difference between two deals (`compare`), whose
shared inputs take the same values (as common random numbers do in simulate()).
The same seed gives the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from rekit.model.conversions import ND_AS_NDPR_OXIDE
from rekit.model.deals import DEMAND_PARAMS, FRAMINGS, PARAMS, SHARE_KEYS, YEARS, DealBook, DealError
from rekit.model.quantities import Schedule, highest
from rekit.model.scenarios import DEFAULT_PARTNER, PARTNER_CHOICES, partner_alternatives
from rekit.model.simulation import (ModelError, build_inputs, check_metrics, check_years, end_use_mix, metric_array, run_system,
                                    with_recycling)

METHODS = ("sobol", "morris")
#: The structural dimensions as categorical factors: factor name -> what it chooses.
STRUCTURAL = {"production_basis": "production basis", "demand_basis": "demand basis", "framing": "framing",
              "partner_alternative": "partner alternative"}
#: The years reported when none are given: the model's start to the README's horizon.
DEFAULT_YEARS = (YEARS[0], 2035)


@dataclass(frozen=True)
class Factor:
    """One factor: its name, its group, and either the schedules it reads (ranged) or its choices (structural)."""

    name: str
    group: str
    schedules: tuple[Schedule, ...] = ()
    choices: tuple[str, ...] = ()
    #: the `partner_alternative` factor's: per deal, its partner_capacity under each choice (None: it lacks the choice, keeps its own)
    capacities: tuple[tuple[str, tuple[Schedule | None, ...]], ...] = ()

    @property
    def structural(self) -> bool:
        return bool(self.choices)

    def pick(self, u: np.ndarray) -> np.ndarray:
        """The choice index of each uniform draw: min(floor(u·k), k − 1)."""
        k = len(self.choices)
        return np.minimum((np.asarray(u) * k).astype(int), k - 1)

    @property
    def source(self) -> str:
        if self.structural:
            return "structural"
        srcs = [q.source for s in self.schedules for q in s.quantities if q.uncertain]
        if srcs and all(s.strip().startswith("assumption") for s in srcs):
            return "assumption"
        return "partly assumption" if any("assumption" in s for s in srcs) else "sourced"


def _key(key: str) -> str:
    """The factor a sampled key belongs to: every basis's path is the factor `production` (its capacity
    `capacity`), and each of the scheme's plants draws its own `scheme_*:L1`…`:L5` of the one factor
    `scheme_*` (in the analysis the five plants move together: a factor is a parameter, not a plant)."""
    head, sep, tail = key.partition(":")
    if head in ("production", "capacity"):
        return head
    if sep and head.startswith("scheme_") and tail.startswith("L") and tail[1:].isdigit():
        return head
    return key


def partner_factor(book: DealBook, deals: list[str], ds: Any = None) -> Factor | None:
    """The structural factor `partner_alternative` (the grid's `partner`, rekit.model.scenarios): the partner
    alternatives of the deals that name partners (PARTNER_CHOICES order), None where fewer than two. `ds` (the
    dataset) gives the `national` alternative; loaded when None and needed."""
    named = [d for d in deals if book.get(d).partner_plants]
    if not named:
        return None
    if ds is None:
        from rekit.data.dataset import load

        ds = load()
    alts = {d: partner_alternatives(book, d, ds) for d in named}
    choices = tuple(a for a in PARTNER_CHOICES if any(a in x for x in alts.values()))
    if len(choices) < 2:
        return None
    caps = tuple((d, tuple(alts[d][a].capacity if a in alts[d] else None for a in choices)) for d in named)
    return Factor("partner_alternative", "partner_alternative", choices=choices, capacities=caps)


def factors(book: DealBook, deals: list[str], basis: str | None = None, demand: str | None = None,
            framing: str | None = None, ds: Any = None) -> list[Factor]:
    """The factors of a run: structural choices not fixed by name, then every ranged input (one per key)."""
    bases = [book.basis(basis)] if basis is not None else list(book.bases.values())
    dems = [book.demand(demand)] if demand is not None else list(book.demands.values())
    frs = [book.framing(framing)] if framing is not None else [book.framing(f) for f in FRAMINGS]
    out: dict[str, Factor] = {}
    if basis is None and len(bases) > 1:
        out["production_basis"] = Factor("production_basis", "production_basis", choices=tuple(b.name for b in bases))
    if demand is None and len(dems) > 1:
        out["demand_basis"] = Factor("demand_basis", "demand_basis", choices=tuple(d.name for d in dems))
    if framing is None and len(frs) > 1:
        out["framing"] = Factor("framing", "framing", choices=tuple(f.name for f in frs))
    partner = partner_factor(book, deals, ds)
    if partner is not None:
        out["partner_alternative"] = partner
    ranged: dict[str, tuple[str, list[Schedule]]] = {}

    def add(key: str, group: str, s: Schedule | None) -> None:
        if s is None:
            return
        g, ss = ranged.setdefault(key, (group, []))
        if s not in ss:
            ss.append(s)

    for b in bases:
        add("production", "production", b.schedule)
        add("capacity", "production", b.capacity)
        if b.in_nd:
            add("nd_as_ndpr_oxide", "production", Schedule.constant(ND_AS_NDPR_OXIDE))
    for f in frs:
        add("magnets_per_oxide", "composition", f.magnets_per_oxide)
    for dem in dems:
        add("demand_base", "demand", dem.base)
        add("demand_growth", "demand", dem.growth)
    idle = not_applicable(book, deals)
    for name in deals:
        d = book.get(name)
        for k in SHARE_KEYS:
            add(f"share:{k}", "shares", d.shares[k])
        add("export_halt", "shares", d.params.get("export_halt_year"))  # when the exports stop (a ranged date)
        for p in PARAMS:
            if p not in DEMAND_PARAMS and p not in idle:
                add(p, PARAMS[p].group, d.params[p])
    for key, (group, ss) in ranged.items():
        if any(q.uncertain for s in ss for q in s.quantities):
            out[key] = Factor(key, group, tuple(ss))
    return list(out.values())


#: Parameters that act only through a mechanism a deal may lack, and what switches the mechanism on:
#: the scheme's plants (scheme_beneficiaries > 0), a tolling partner (partner_capacity > 0 and a share
#: tolled) and a China shock (china_shock.start). In a run whose deals all lack it they are not factors.
GATED = {
    **{p: "scheme" for p in ("scheme_oxide_beneficiaries", "scheme_allocation", "scheme_assured_oxide", "scheme_first_sale",
                             "scheme_ramp_years", "scheme_utilisation")},
    **{p: "partner" for p in ("retained_share", "partner_spare", "partner_lead_months", "partner_heavy_china")},
    **{p: "shock" for p in ("shock_months", "shock_cut_heavy", "shock_cut_oxide", "shock_cut_metal", "shock_cut_magnet")},
}
_GATE_WHY = {"scheme": "no deal has a scheme plant (scheme_beneficiaries is 0)",
             "partner": "no deal tolls oxide to a partner with capacity (partner_capacity or the toll share is 0)",
             "shock": "no deal has a China shock (china_shock)"}


def not_applicable(book: DealBook, deals: list[str]) -> dict[str, str]:
    """Parameter -> why it cannot move any of `deals`' outputs (GATED): such a parameter is not sampled.

    A scheme parameter is inert unless some deal has a scheme plant (the highest scheme_beneficiaries
    is above 0); a partner's terms unless some deal has partner capacity and tolls a share of its
    oxide; a shock's length and cuts unless some deal has a china_shock. Sampling them anyway would
    list them with zero indices beside the inputs that matter (and cost runs).
    """
    ds = [book.get(n) for n in deals]
    on = {"scheme": any(highest(d.params["scheme_beneficiaries"]) > 0 for d in ds),
          "partner": any(highest(d.params["partner_capacity"]) > 0
                     and (d.rest == "toll" or highest(d.shares["toll"]) > 0) for d in ds),
          "shock": any(d.shock_start is not None for d in ds)}
    return {p: _GATE_WHY[g] for p, g in GATED.items() if not on[g]}


def sensitivity(book: DealBook, deal: str, metric: str = "self_sufficiency", year: int | None = None,
                method: str = "sobol", n: int = 1024, seed: int = 0, basis: str | None = None,
                demand: str | None = None, compare: str | None = None, groups: bool = False,
                years: tuple[int, int] | None = None, framing: str | None = None,
                num_resamples: int = 100, evaluator=None, ds: Any = None) -> pd.DataFrame:
    """Rank the inputs of one deal's `metric` (or of deal − compare) by their influence, year by year.

    Returns one row per year and input (or group), each year's most influential first: `year`,
    `parameter`, `group`, `kind` (structural or ranged), for Sobol `S1`, `S1_conf`, `ST`,
    `ST_conf` (95% bootstrap half-widths), for Morris `mu_star`, `mu_star_conf`, `mu`, `sigma`;
    then `rank` (1 = most influential that year), `top3_share` (share of bootstrap resamples in
    which the input is in the top three; Sobol only), `source` and `flag` (see the module).
    `year` reports one year; `years` (START, END) a span (default DEFAULT_YEARS). The runs
    always start at the model's first year. `n` is the base sample (Sobol: n·(k + 2) runs, a
    power of 2 is best; Morris: n trajectories). Inputs are checked before anything runs.
    `evaluator` computes the design (default `evaluate`, here, in one go); it has `evaluate`'s
    signature: rekit.run.chunks gives one that splits the rows over an executor, one that saves
    the design to a file and one that reads results computed elsewhere. `ds` (the dataset) gives
    the partner alternative `national` (loaded when None and a deal names partners).
    """
    if method not in METHODS:
        raise ModelError(f"method {method!r} is not allowed; allowed: {', '.join(METHODS)}")
    check_metrics([metric])
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ModelError(f"n: {n!r} is not allowed; give a whole number >= 2 (a power of 2 for Sobol)")
    names = [deal] + ([compare] if compare else [])
    if compare == deal:
        raise ModelError(f"compare: {compare!r} is the deal itself; give another deal")
    try:
        for d in names:
            book.get(d)
        if basis is not None:
            basis = book.basis(basis).name
        if demand is not None:
            demand = book.demand(demand).name
        if framing is not None:
            book.framing(framing)
    except DealError as exc:
        raise ModelError(str(exc)) from None
    span = (int(year), int(year)) if year is not None else (years or DEFAULT_YEARS)
    check_years(*span)
    run_years = check_years(YEARS[0], span[1])
    facs = factors(book, names, basis, demand, framing, ds)
    if not facs:
        raise ModelError(f"deal {deal!r}: no input has a range and no choice is left open; there is nothing to analyse")
    problem: dict = {"num_vars": len(facs), "names": [f.name for f in facs], "bounds": [[0.0, 1.0]] * len(facs)}
    if groups:
        problem["groups"] = [f.group for f in facs]
    if method == "sobol":
        from SALib.sample import sobol as sampler

        X = sampler.sample(problem, int(n), calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris as sampler

        X = sampler.sample(problem, int(n), num_levels=4, seed=seed)
    Y = (evaluator or evaluate)(book, names, facs, X, run_years, metric, basis=basis, demand=demand, framing=framing)
    keys = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    by_key = {k: [f for f in facs if (f.group if groups else f.name) == k] for k in keys}
    tables = []
    for t, y in enumerate(run_years):
        if y < span[0]:
            continue
        tables.append(_one_year(problem, method, X, Y[:, t], keys, by_key, seed, num_resamples).assign(year=int(y)))
    out = pd.concat(tables, ignore_index=True)
    first = ["year", "parameter", "group", "kind"]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs["not_applicable"] = not_applicable(book, names)  # parameters left out, and why
    return out


def _one_year(problem, method, X, y, keys, by_key, seed, num_resamples) -> pd.DataFrame:
    """The indices of one year's output, ranked, with rank robustness and the assumption flag."""
    group = [by_key[k][0].group if len(by_key[k]) == 1 else k for k in keys]
    kind = ["structural" if any(f.structural for f in by_key[k]) else "ranged" for k in keys]
    srcs = [_source(by_key[k]) for k in keys]
    base = pd.DataFrame({"parameter": keys, "group": group, "kind": kind})
    top3 = np.full(len(keys), np.nan)
    if float(np.var(y)) == 0.0:  # a metric the inputs cannot move this year (say, no tolling): every index is zero
        zeros = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "mu", "sigma")
        out = base.assign(**{c: 0.0 for c in zeros})
        out["rank"] = np.arange(1, len(keys) + 1)
        out["top3_share"] = 0.0 if method == "sobol" else np.nan
        out["source"] = srcs
        out["flag"] = False
        return out
    if method == "sobol":
        from SALib.analyze import sobol

        # SALib's sobol.analyze seeds its bootstrap only for a truthy seed (`if seed:`): 0 would mean
        # unseeded, so the bootstrap is given seed + 1 and the same seed always gives the same intervals
        Si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples, seed=seed + 1,
                           keep_resamples=True)
        out = base.assign(S1=Si["S1"], S1_conf=Si["S1_conf"], ST=Si["ST"], ST_conf=Si["ST_conf"])
        res = np.asarray(Si["ST_conf_all"])  # (resamples, inputs): the bootstrap estimates of ST
        order = np.argsort(-res, axis=1, kind="stable")[:, :3]
        top3 = np.array([(order == j).any(axis=1).mean() for j in range(len(keys))])
        sort_cols = ["ST", "S1"]
    else:
        from SALib.analyze import morris

        Si = morris.analyze(problem, X, y, num_resamples=num_resamples, num_levels=4, seed=seed)
        out = base.assign(mu_star=np.asarray(Si["mu_star"]), mu_star_conf=np.asarray(Si["mu_star_conf"]),
                          mu=np.asarray(Si["mu"]), sigma=np.asarray(Si["sigma"]))
        sort_cols = ["mu_star"]
    out["top3_share"] = top3
    out["source"] = srcs
    out = out.sort_values(sort_cols, ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out["flag"] = (out["rank"] <= 3) & out["source"].isin(["assumption", "partly assumption"])
    cols = [c for c in out.columns if c not in ("rank", "top3_share", "source", "flag")]
    return out[cols + ["rank", "top3_share", "source", "flag"]]


def _source(facs: list[Factor]) -> str:
    kinds = {f.source for f in facs}
    if kinds == {"structural"}:
        return "structural"
    if kinds <= {"assumption"}:
        return "assumption"
    return "partly assumption" if kinds & {"assumption", "partly assumption"} else "sourced"


def evaluate(book: DealBook, names: list[str], facs: list[Factor], X: np.ndarray, years: np.ndarray, metric: str,
             basis: str | None = None, demand: str | None = None, framing: str | None = None,
             chunk: int = 8192) -> np.ndarray:
    """The metric in every year for each row of the design X (factors' values on [0, 1]): array (rows, years),
    deal − compare if two deals. Rows are run in groups that share their structural choices."""
    col = {f.name: j for j, f in enumerate(facs)}
    chosen = [book.get(d) for d in names]
    cats = {f.name: f for f in facs if f.structural}
    default = {"production_basis": basis or book.basis(None).name, "demand_basis": demand or book.demand(None).name,
               "framing": framing or FRAMINGS[0], "partner_alternative": DEFAULT_PARTNER}
    idx = {name: f.pick(X[:, col[name]]) for name, f in cats.items()}
    combos = np.stack([idx[name] for name in cats], axis=1) if cats else np.zeros((len(X), 0), dtype=int)
    out = np.empty((len(X), len(years)))
    first = True
    for combo in np.unique(combos, axis=0) if len(X) else []:
        rows = np.flatnonzero((combos == combo).all(axis=1)) if cats else np.arange(len(X))
        pick = dict(default)
        for name, i in zip(cats, combo, strict=True):
            pick[name] = cats[name].choices[int(i)]
        run_deals = chosen
        if "partner_alternative" in cats:  # each deal that has the alternative reads its partner capacity so
            alt = cats["partner_alternative"]
            k = alt.choices.index(pick["partner_alternative"])
            caps: dict[str, Schedule] = {}
            for deal, per in alt.capacities:
                cap = per[k]
                if cap is not None:
                    caps[deal] = cap
            run_deals = [replace(d, params={**d.params, "partner_capacity": caps[d.name]}) if d.name in caps else d
                         for d in chosen]
        for lo in range(0, len(rows), chunk):
            r = rows[lo: lo + chunk]
            U = X[r]
            width = len(r)

            def sample(key: str, s: Schedule, years_: np.ndarray = years, U: np.ndarray = U, width: int = width) -> np.ndarray:
                # U and width bound now (build_inputs calls this before the loop moves on)
                k = _key(key)
                if k in col and not facs[col[k]].structural:
                    return s.from_u(U[:, col[k]], years_)
                central = s.draw(key, 0, 0, years_)
                return np.broadcast_to(central, (max(1, central.shape[0]), width))

            inp = build_inputs(book, run_deals, pick["production_basis"], pick["demand_basis"], years, width, sample,
                               framing=pick["framing"])
            fl = run_system(inp, len(years), check=first, names=tuple(names), years=years)
            # magnets in use, their scrap and what a deal's recycling makes of it (as simulate() adds them)
            fl = with_recycling(fl, years, end_use_mix(book, book.demand(pick["demand_basis"])))
            first = False
            y = np.broadcast_to(metric_array(metric, fl), (len(names), len(years), width))  # (deals, years, rows)
            out[r] = (y[0] - y[1]).T if len(names) == 2 else y[0].T
    return out


__all__ = ["DEFAULT_YEARS", "Factor", "GATED", "METHODS", "STRUCTURAL", "evaluate", "factors", "not_applicable", "partner_factor",
           "sensitivity"]
