"""The grid runs the flows once per production basis x framing x partner alternative and derives every
demand basis from them (rekit.model.simulation.simulate_demands, with_demand): the same numbers as one
simulate() per scenario, bit for bit, for every metric; and the metrics it shares across demand bases
read no demand flow."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from rekit.model.deals import load_deals
from rekit.model.scenarios import demand_dependent, run_grid
from rekit.model.simulation import METRICS, magnet_use, simulate, simulate_demands, with_demand

# every preset with something moving: the scheme (stock draw, imports), tolling (pipeline), a China shock
DEALS = ["status_quo", "toll_japan", "repm_scheme", "japan_bridge_then_repm", "china_suspension_lapse"]


@lru_cache(maxsize=1)
def book():
    return load_deals()


@pytest.mark.parametrize("basis, framing", [("output", "chain"), ("plan_2030", "officials")])
def test_simulate_demands_equals_one_simulate_per_demand_basis_bit_for_bit(basis, framing):
    b = book()
    got = simulate_demands(b, DEALS, list(b.demands), years=(2026, 2036), draws=40, seed=4, basis=basis, framing=framing)
    assert [r.demand for r in got] == list(b.demands)
    for r in got:
        want = simulate(b, DEALS, years=(2026, 2036), draws=40, seed=4, basis=basis, demand=r.demand, framing=framing)
        for m in METRICS:
            assert np.array_equal(r.arrays[m], want.arrays[m]), (r.demand, m)


def test_the_grid_equals_one_simulate_per_scenario_bit_for_bit():
    """Each scenario's p05, p50, p95 from the grid against the summary() of its own simulate() (the plain
    way): equal, not close, for every metric, deal and year."""
    b = book()
    g = run_grid(b, DEALS, years=(2028, 2032), draws=30, seed=6, productions=["output", "capacity"], framings=["chain"],
                 partners=["plants"], keep_envelope=False)
    assert len(g.scenarios) == 2 * len(b.demands)
    frame = g.frame().set_index(["production", "demand", "deal", "metric", "year"]).sort_index()
    for sc in g.scenarios:
        res = simulate(b, DEALS, years=(2028, 2032), draws=30, seed=6, basis=sc.production, demand=sc.demand,
                       framing=sc.framing)
        want = res.summary().set_index(["deal", "metric", "year"])[["p05", "p50", "p95"]].sort_index()
        got = frame.loc[(sc.production, sc.demand)][["p05", "p50", "p95"]].sort_index()
        assert np.array_equal(got.to_numpy(), want.to_numpy()), sc.label


def test_metrics_shared_across_demand_bases_do_not_move_with_demand():
    """Under the imports basis (700 t in 2025) and the official one (4,010 t) the shared metrics are the
    same arrays; the metrics found to read demand include the ones that divide by it."""
    b = book()
    dep = demand_dependent(b, DEALS, list(METRICS), (2024, 2035))
    assert {"magnet_demand", "own_feedstock_coverage", "magnet_self_sufficiency", "magnet_imports", "oxide_gap",
            "stock_cover_years"} <= dep
    assert not {"oxide_production", "oxide_stock", "magnets_returned", "oxide_tolled"} & dep
    imports, official = simulate_demands(b, DEALS, ["imports", "official"], years=(2024, 2035), draws=20, seed=1)
    for m in set(METRICS) - dep:
        assert np.array_equal(imports.arrays[m], official.arrays[m]), m
    assert not np.array_equal(imports.arrays["magnet_demand"], official.arrays["magnet_demand"])


def test_magnet_use_by_hand():
    """supply 300 t, demand 1,000 t, 80% of imports let through: gap 700, imports 0.8 x 700 = 560, short 140,
    exports 0; supply 1,200 t against 1,000 t: exports 200, nothing imported or short."""
    imp, exp, short = magnet_use(np.array([300.0, 1200.0]), np.array([1000.0, 1000.0]), 0.8)
    assert imp.tolist() == [560.0, 0.0] and exp.tolist() == [0.0, 200.0] and short.tolist() == [140.0, 0.0]


def test_with_demand_shares_every_flow_but_the_demand_ones():
    b = book()
    res = simulate(b, ["toll_japan"], years=(2024, 2030), draws=5, seed=2)
    fl = with_demand(res.flows, res.flows["demand"] * 2)
    assert fl["G"] is res.flows["G"] and fl["S"] is res.flows["S"]
    assert np.array_equal(fl["demand"], res.flows["demand"] * 2)


def test_a_deal_that_recycles_only_in_its_draws_moves_with_demand_in_the_grid():
    """A recycling share of 0 at its central value and up to 2% in the draws: the central run has no
    recycling, yet every draw recycles, and what is recycled follows the demand (the magnets in use).
    The grid gives each demand basis the numbers of its own simulate(), not the first basis's."""
    mine = {"deals": {"recycles_in_draws": {
        "extends": "repm_scheme",
        "recycling_share": {"value": 0, "low": 0, "high": 0.02, "source": "assumption: a test"}}}}
    b = load_deals(mine, name="test")
    g = run_grid(b, ["recycles_in_draws"], years=(2034, 2035), draws=20, seed=0, productions=["output"],
                 framings=["chain"], metrics=["magnets_secondary", "magnets_india"],
                 keep_envelope=False)
    frame = g.frame().set_index(["demand", "metric", "year"]).sort_index()
    for demand in ("official", "industry"):
        res = simulate(b, ["recycles_in_draws"], years=(2034, 2035), draws=20, seed=0, demand=demand)
        want = res.summary(metrics=["magnets_secondary", "magnets_india"]).set_index(["metric", "year"]).sort_index()
        got = frame.loc[demand][["p05", "p50", "p95"]].sort_index()
        assert np.array_equal(got.to_numpy(), want[["p05", "p50", "p95"]].to_numpy()), demand
    # and the two bases differ: the industry outlook's demand is lower, so fewer magnets leave use
    assert frame.loc[("official", "magnets_secondary", 2035), "p50"] != frame.loc[("industry", "magnets_secondary", 2035), "p50"]
