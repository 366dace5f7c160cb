"""The grid's shortcuts give the numbers of the long way, bit for bit (np.array_equal, not close):

- recycling runs its chain only for the deals whose recycling_share is above 0 in some draw; a deal
  with the lever off gets zeros, as the chain gives it (no capacity: nothing processed);
- the magnets in use (the stock model) are computed once per demand path and reused by every run
  with that path;
- the traced origin of the magnets reuses, across demand bases, the terms no demand flow enters.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from rekit.model import recycling
from rekit.model.conversions import ELEMENTS, ND_PER_ND2O3, PR_PER_PR6O11
from rekit.model.deals import load_deals
from rekit.model.scenarios import demand_dependent
from rekit.model.simulation import METRICS, end_use_mix, simulate, simulate_demands
from rekit.model.stocks_in_use import Lifetime, inflow_driven

# the scheme with recycling off (the default share 0) beside it with the lever on (0.5-2% of the scheme)
DEALS = ["repm_scheme", "repm_scheme_recycling", "status_quo"]


@lru_cache(maxsize=1)
def book():
    return load_deals()


def chain_on_every_deal(fl, yrs, mix) -> dict[str, np.ndarray]:
    """secondary_feed as it ran before the shortcut: the stock model, then recycle() on every deal's rows."""
    shares = np.array([m[1] for m in mix])
    dem = np.asarray(fl["demand"])[0]
    inflow = dem.T[:, None, :] * shares[None, :, None]
    eol, stock = np.empty_like(inflow), np.empty_like(inflow)
    for kind in sorted({m[2] for m in mix}):
        idx = [i for i, m in enumerate(mix) if m[2] == kind]
        lt = Lifetime.of(kind, np.array([mix[i][3] for i in idx]), np.array([mix[i][4] for i in idx]))
        res = inflow_driven(inflow[:, idx], lt, yrs)
        eol[:, idx], stock[:, idx] = res.outflow, res.stock

    def first(key):
        a = np.asarray(fl[key], dtype=float)
        return np.broadcast_to(a[:, 0, :], (a.shape[0], dem.shape[1]))

    D = fl["recycling_share"].shape[0]
    share, ramp_y = first("recycling_share"), first("recycling_ramp_years")
    col, dis, rec = first("recycling_collection"), first("recycling_dismantling"), first("recycling_recovery")
    p, w = first("pr_share"), first("w_ndpr")
    c_nd, c_pr = (1 - p) * ND_PER_ND2O3, p * PR_PER_PR6O11
    f_ox = c_nd + c_pr
    content = {"Nd": w * c_nd / f_ox, "Pr": w * c_pr / f_ox, "Dy": first("w_dy"), "Tb": first("w_tb")}
    shape = (D, dem.shape[1])
    names = [m[0] for m in mix]
    r = recycling.recycle(np.broadcast_to(eol, (D, *eol.shape)), names, yrs,
                          {e: np.broadcast_to(c, shape)[..., None] for e, c in content.items()},
                          {u: np.broadcast_to(col, shape) for u in names}, np.broadcast_to(dis, shape)[..., None],
                          {e: np.broadcast_to(rec, shape)[..., None] for e in ELEMENTS},
                          recycling.recycling_capacity(yrs, share, ramp_y))
    return {"eol": eol.sum(axis=1).T[None], "use_stock": stock.sum(axis=1).T[None],
            "sec_oxide": r.ndpr_oxide().transpose(0, 2, 1), "sec_dy": r.recovered["Dy"].transpose(0, 2, 1),
            "sec_tb": r.recovered["Tb"].transpose(0, 2, 1),
            "recycling_capacity": recycling.recycling_capacity(yrs, share, ramp_y).transpose(0, 2, 1)}


def test_recycling_off_gives_the_chains_zeros_and_the_lever_on_its_numbers():
    b = book()
    res = simulate(b, DEALS, years=(2024, 2040), draws=30, seed=2)
    fl, yrs = res.flows, np.arange(2024, 2041)
    assert not fl["recycling_share"][0].any() and fl["recycling_share"][1].min() > 0  # off, on
    mix = end_use_mix(b, b.demand(res.demand))
    got = recycling.secondary_feed(fl, yrs, mix)
    want = chain_on_every_deal(fl, yrs, mix)
    assert set(got) == set(want)
    for k in want:
        assert np.array_equal(np.broadcast_to(got[k], want[k].shape), want[k]), k
    # the lever off: no capacity, so nothing recovered (0 t NdPr oxide, 0 t Dy, 0 t Tb in every year and draw)
    for k in ("sec_oxide", "sec_dy", "sec_tb", "recycling_capacity"):
        assert not got[k][0].any() and not got[k][2].any(), k
    assert got["sec_oxide"][1].max() > 0  # the lever on recovers oxide once the scrap comes


def test_a_deal_with_recycling_off_gives_the_same_frame_alone_or_beside_one_with_it_on():
    """Every metric of repm_scheme and status_quo is the same whether the run holds a recycling deal or not."""
    b = book()
    both = simulate_demands(b, DEALS, list(b.demands), years=(2024, 2040), draws=30, seed=2)
    alone = simulate_demands(b, ["repm_scheme", "status_quo"], list(b.demands), years=(2024, 2040), draws=30, seed=2)
    for r2, r1 in zip(both, alone, strict=True):
        for m in METRICS:
            a2, a1 = np.broadcast_to(r2.arrays[m], (3, 17, 30)), np.broadcast_to(r1.arrays[m], (2, 17, 30))
            assert np.array_equal(a2[[0, 2]], a1), (r1.demand, m)


def test_the_traced_origin_shares_its_demand_free_terms_across_demand_bases():
    """Every traced share under each demand basis equals its own simulate()'s; the oxide, metal and heavy stages
    read no demand flow (so the grid reads their quantiles once), the magnets (imports M follow demand) do."""
    b = book()
    deals = ["toll_japan", "repm_scheme", "china_suspension_lapse"]
    traced = [m for m in METRICS if m.endswith("_traced")]
    got = simulate_demands(b, deals, list(b.demands), years=(2027, 2036), draws=25, seed=3)
    assert len({id(r.flows.origin_shared) for r in got}) == 1
    for r in got:
        want = simulate(b, deals, years=(2027, 2036), draws=25, seed=3, demand=r.demand)
        assert want.flows.origin_shared is not r.flows.origin_shared
        for m in traced:
            assert np.array_equal(r.arrays[m], want.arrays[m]), (r.demand, m)
    dependent = demand_dependent(b, deals, traced, (2027, 2036))
    assert dependent == {"china_share_magnet_traced"}


def test_the_use_only_check_of_recycled_flows_still_catches_a_broken_use_balance():
    """Recycling and another demand basis change the magnets' use alone, so their flows check that process
    alone; a tonne of imported magnet from nowhere still fails it, named as the full check names it."""
    import pytest

    from rekit.model.flows import MassBalanceError
    from rekit.model.simulation import balance_residuals, check_mass_balance

    res = simulate(book(), ["repm_scheme_recycling"], years=(2024, 2030), draws=5)
    fl = res.flows
    assert "G_sec" in fl
    check_mass_balance(fl, res.deals, res.years, use_only=True)
    fl["magnet_imports"] = fl["magnet_imports"] + 1.0
    assert np.abs(balance_residuals(fl)["use"]).min() == pytest.approx(1.0)  # 1 t magnet in every year and draw
    with pytest.raises(MassBalanceError, match="deal 'repm_scheme_recycling', year 2024, element .*process 'use'"):
        check_mass_balance(fl, res.deals, res.years, use_only=True)


def test_the_magnets_in_use_are_computed_once_per_demand_path_and_reused():
    """Two production bases, one demand path: the second run reads the first's magnets in use (the same arrays,
    read-only), equal to the stock model run afresh on that path; another demand basis gets its own."""
    b = book()
    runs = [simulate(b, DEALS, years=(2024, 2040), draws=30, seed=5, basis=p) for p in ("output", "capacity")]
    assert runs[0].flows["use_stock"] is runs[1].flows["use_stock"]
    assert not runs[0].flows["use_stock"].flags.writeable
    want = chain_on_every_deal(runs[1].flows, np.arange(2024, 2041), end_use_mix(b, b.demand(runs[1].demand)))
    for k in ("eol", "use_stock"):
        assert np.array_equal(runs[1].flows[k], want[k]), k
    other = next(d for d in b.demands if d != runs[0].demand)
    theirs = simulate(b, DEALS, years=(2024, 2040), draws=30, seed=5, demand=other).flows["use_stock"]
    assert theirs is not runs[0].flows["use_stock"] and not np.array_equal(theirs, runs[0].flows["use_stock"])
