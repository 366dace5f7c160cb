"""Global sensitivity analysis of the deal model with SALib: which inputs move a metric, and how much.

Every ranged input of a run is one factor on [0, 1]: the probability at which its triangular
distribution is read (rekit.model.quantities.Quantity.ppf), so a factor's uniform sample maps to
exactly the distribution simulate() draws from. A schedule (a parameter given by year) is one
factor: its points move together. The factors are: each ranged deal parameter, each ranged
share, IREL's production path and capacity under the chosen basis, and the demand basis's
base and growth.

Methods (SALib, Herman & Usher 2017, doi:10.21105/joss.00097; Iwanaga et al. 2022,
doi:10.18174/sesmo.18155):
- "morris": elementary-effects screening (Morris 1991, Technometrics 33:161; μ* of Campolongo
  et al. 2007, Environ. Model. Softw. 22:1509), with bootstrap confidence of μ*;
- "sobol": first-order S1 and total ST indices (Sobol' 2001; Saltelli et al. 2010, Comput.
  Phys. Commun. 181:259, the estimators SALib uses), with bootstrap confidence intervals.

`groups=True` gathers inputs that move together by construction (yields, composition, the
partner's terms, China shares, demand, production) into one factor each (SALib's groups).
The output may be one deal's metric in a year, or the difference between two deals (`compare`),
whose shared inputs take the same values (as common random numbers do in simulate()).
The same seed gives the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rekit.model.deals import DEMAND_PARAMS, PARAMS, SHARE_KEYS, DealBook, DealError
from rekit.model.quantities import Schedule
from rekit.model.simulation import ModelError, build_inputs, check_metrics, check_years, metric_array, run_system

METHODS = ("sobol", "morris")


def factors(book: DealBook, deals: list[str], basis: str, demand: str | None) -> list[tuple[str, str, Schedule]]:
    """The ranged inputs of a run: (key as simulate() samples it, group, schedule); one per key."""
    out: dict[str, tuple[str, Schedule]] = {}
    b = book.basis(basis)
    dem = book.demand(demand)

    def add(key: str, group: str, s: Schedule | None) -> None:
        if s is not None and any(q.uncertain for q in s.quantities) and key not in out:
            out[key] = (group, s)

    add(f"production:{basis}", "production", b.schedule)
    add(f"capacity:{basis}", "production", b.capacity)
    add("demand_base", "demand", dem.base)
    add("demand_growth", "demand", dem.growth)
    for name in deals:
        d = book.get(name)
        for k in SHARE_KEYS:
            add(f"share:{k}", "shares", d.shares[k])
        for p in PARAMS:
            if p not in DEMAND_PARAMS:
                add(p, PARAMS[p].group, d.params[p])
    return [(k, g, s) for k, (g, s) in out.items()]


def sensitivity(book: DealBook, deal: str, metric: str = "self_sufficiency", year: int = 2030, method: str = "sobol",
                n: int = 1024, seed: int = 0, basis: str = "reported", demand: str | None = None,
                compare: str | None = None, groups: bool = False, start: int = 2024,
                num_resamples: int = 100) -> pd.DataFrame:
    """Rank the inputs of one deal's `metric` in `year` (or of deal − compare) by their influence.

    Returns one row per input (or group), most influential first: `parameter`, `group`, and for
    Sobol `S1`, `S1_conf`, `ST`, `ST_conf` (95% bootstrap half-widths); for Morris `mu_star`,
    `mu_star_conf`, `mu`, `sigma`. `n` is the base sample (Sobol: n·(k + 2) runs, a power of 2
    is best; Morris: n trajectories). Inputs are checked before anything runs.
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
        book.basis(basis)
        book.demand(demand)
    except DealError as exc:
        raise ModelError(str(exc)) from None
    yrs = check_years(start, year)
    facs = factors(book, names, basis, demand)
    if not facs:
        raise ModelError(f"deal {deal!r}: no input has a range; there is nothing to analyse")
    problem = {"num_vars": len(facs), "names": [k for k, _, _ in facs], "bounds": [[0.0, 1.0]] * len(facs)}
    if groups:
        problem["groups"] = [g for _, g, _ in facs]
    if method == "sobol":
        from SALib.sample import sobol as sampler

        X = sampler.sample(problem, int(n), calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris as sampler

        X = sampler.sample(problem, int(n), num_levels=4, seed=seed)
    Y = evaluate(book, names, basis, demand, yrs, metric, facs, X)
    if float(np.var(Y)) == 0.0:  # a metric the inputs cannot move (say, no tolling): every index is zero
        keys = sorted(set(problem.get("groups") or problem["names"]), key=(problem.get("groups") or problem["names"]).index)
        cols = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "mu", "sigma")
        return pd.DataFrame({"parameter": keys, "group": [_group_of(k, facs, groups) for k in keys],
                             **{c: 0.0 for c in cols}})
    if method == "sobol":
        from SALib.analyze import sobol

        # SALib's sobol.analyze seeds its bootstrap only for a truthy seed (`if seed:`): 0 would mean
        # unseeded, so the bootstrap is given seed + 1 and the same seed always gives the same intervals
        Si = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=num_resamples, seed=seed + 1)
        keys = list(dict.fromkeys(problem.get("groups") or problem["names"]))
        out = pd.DataFrame({"parameter": keys, "group": [_group_of(k, facs, groups) for k in keys],
                            "S1": Si["S1"], "S1_conf": Si["S1_conf"], "ST": Si["ST"], "ST_conf": Si["ST_conf"]})
        out = out.sort_values(["ST", "S1"], ascending=False, kind="stable")
    else:
        from SALib.analyze import morris

        Si = morris.analyze(problem, X, Y, num_resamples=num_resamples, num_levels=4, seed=seed)
        keys = list(Si["names"])
        out = pd.DataFrame({"parameter": keys, "group": [_group_of(k, facs, groups) for k in keys],
                            "mu_star": Si["mu_star"], "mu_star_conf": Si["mu_star_conf"], "mu": Si["mu"], "sigma": Si["sigma"]})
        out = out.sort_values("mu_star", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def _group_of(key: str, facs, grouped: bool) -> str:
    if grouped:
        return key
    return next(g for k, g, _ in facs if k == key)


def evaluate(book: DealBook, names: list[str], basis: str, demand: str | None, yrs: np.ndarray, metric: str,
             facs, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """The metric in the last year for each row of the design X (factors' probabilities), deal − compare if two."""
    col = {k: j for j, (k, _, _) in enumerate(facs)}
    chosen = [book.get(d) for d in names]
    out = np.empty(len(X))
    for lo in range(0, len(X), chunk):
        U = X[lo: lo + chunk]
        width = len(U)

        def sample(key: str, s: Schedule, years: np.ndarray = yrs) -> np.ndarray:
            if key in col:
                return s.from_u(U[:, col[key]], years)
            return np.broadcast_to(s.draw(key, 0, 0, years), (max(1, s.draw(key, 0, 0, years).shape[0]), width))

        inp = build_inputs(book, chosen, basis, demand, yrs, width, sample)
        fl = run_system(inp, len(yrs), check=(lo == 0), names=tuple(names), years=yrs)
        y = metric_array(metric, fl)[:, -1, :]  # (deals, width), the last year
        out[lo: lo + width] = y[0] - y[1] if len(names) == 2 else y[0]
    return out


__all__ = ["METHODS", "evaluate", "factors", "sensitivity"]
