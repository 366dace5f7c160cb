"""Recycling in the simulation: the secondary feed worked by hand, primary flows apart from secondary ones,
the use balance closed, and bad recycling parameters refused with a named message."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rekit.model.deals import load_deals
from rekit.model.recycling import recycling_capacity, secondary_feed
from rekit.model.simulation import ModelError, balance_residuals, simulate
from rekit.model.stocks_in_use import ModelError as StockModelError


def test_secondary_feed_by_hand():
    years = np.array([2025, 2026])
    one = np.ones((1, 1, 1))
    inp = {"demand": np.full((1, 2, 1), 1000.0), "recycling_share": 0.01 * one, "recycling_ramp_years": 0 * one,
           "recycling_collection": 0.5 * one, "recycling_dismantling": 0.8 * one, "recycling_recovery": 0.9 * one,
           "pr_share": 0.22 * one, "w_ndpr": 0.3 * one, "w_dy": 0.01 * one, "w_tb": 0.002 * one}
    # one end use, exponential lifetime (Weibull shape 1, scale 1 year), inflows at mid-year:
    # 2025: 1000 · (1 − e^−0.5) = 393.4693 t leave; 2026: 1000 · (e^−0.5 − e^−1.5) + 1000 · (1 − e^−0.5) = 1000 · (1 − e^−1.5) = 776.8698 t
    out = secondary_feed(inp, years, (("ev_2w", 1.0, "weibull", 1.0, 1.0),))
    eol = np.array([1000 * (1 - math.exp(-0.5)), 1000 * (1 - math.exp(-1.5))])
    assert out["eol"][0, :, 0] == pytest.approx(eol)
    # in use at year end: 1000 e^−0.5 = 606.5307; 2026: 606.5307 + 1000 e^−0.5 · ... = 2000 − 393.4693 − 776.8698 = 829.6609
    assert out["use_stock"][0, :, 0] == pytest.approx([1000 * math.exp(-0.5), 2000 - eol.sum()])
    # processed = eol · 0.5 collected · 0.8 liberated (capacity 0.01 · 270,000 = 2,700 t, not binding);
    # NdPr oxide = processed · 0.3 t NdPr per t magnet · 0.9 recovered / f_ox, f_ox = 0.78 · 0.857356 + 0.22 · 0.827704 = 0.850833
    f_ox = 0.78 * 0.857356 + 0.22 * 0.827704
    assert out["sec_oxide"][0, :, 0] == pytest.approx(eol * 0.4 * 0.27 / f_ox, rel=1e-6)
    # Dy: processed · 0.01 · 0.9 = 393.4693 · 0.4 · 0.009 = 1.41649
    assert out["sec_dy"][0, :, 0] == pytest.approx(eol * 0.4 * 0.009)
    assert out["recycling_capacity"][0, :, 0] == pytest.approx([2700.0, 2700.0])


def test_capacity_ramps_from_the_schemes_start():
    # share 0.02 of 270,000 t = 5,400 t at full ramp; 6 years from 2025 at mid-year: 2024 → 0, 2025 → 0.5/6 · 5,400 = 450,
    # 2027 → 2.5/6 · 5,400 = 2,250, 2031 and after → 5,400
    cap = recycling_capacity(np.array([2024, 2025, 2027, 2031, 2040]), np.array(0.02), np.array(6.0))
    assert cap == pytest.approx([0, 450, 2250, 5400, 5400])


@pytest.fixture(scope="module")
def runs():
    book = load_deals()
    return simulate(book, ["repm_scheme", "repm_scheme_recycling"], years=(2024, 2050), draws=40, seed=3)


def test_secondary_is_apart_from_primary_and_closes_the_use_balance(runs):
    a = runs.arrays
    # the primary chain is the same under both deals (the recycling preset changes recycling only)
    assert np.array_equal(a["own_feedstock_coverage"][0], a["own_feedstock_coverage"][1])
    assert np.array_equal(a["oxide_production"][0], a["oxide_production"][1])
    # magnets made in India = primary + secondary; none secondary without recycling
    assert np.allclose(a["magnets_india"][1], a["magnets_india"][0] + a["magnets_secondary"][1])
    assert not a["magnets_secondary"][0].any() and a["magnets_secondary"][1, -1].max() > 0
    # magnets made from recovered oxide never exceed what the oxide makes (q t magnet per t oxide)
    fl = runs.flows
    assert (fl["G_sec"] <= fl["sec_oxide"] * fl["q"] + 1e-9).all()
    for k in ("G_sec", "eol", "use_stock", "sec_oxide", "sec_dy", "magnet_imports", "shortfall"):
        assert (np.asarray(fl[k]) >= 0).all(), k
    assert np.abs(balance_residuals(fl)["use"]).max() < 1e-6
    # secondary coverage = magnets_secondary / demand
    assert np.allclose(a["secondary_coverage"][1], a["magnets_secondary"][1] / a["magnet_demand"][1])


@pytest.mark.parametrize("key, value, message", [
    # the value given and the range allowed, as written in the parameter table (a share in [0, 1]; at most 20 years)
    ("recycling_collection", 1.5, r"recycling_collection: 1.5 is outside \[0, 1\]"),
    ("recycling_recovery", -0.1, r"recycling_recovery: -0.1 is outside \[0, 1\]"),
    ("recycling_ramp_years", -1.0, r"recycling_ramp_years: -1 is outside \[0, 20\]"),
])
def test_bad_recycling_parameters_are_refused(key, value, message):
    with pytest.raises((ModelError, StockModelError), match=message):
        simulate(load_deals(), ["repm_scheme_recycling"], years=(2030, 2030), draws=5, overrides={key: value})


def test_recycling_under_several_demand_bases_is_that_of_one_run_each():
    from rekit.model.simulation import simulate_demands

    book = load_deals()
    both = simulate_demands(book, ["repm_scheme_recycling"], ["official", "bottom_up"], years=(2040, 2045), draws=8, seed=2)
    for res in both:
        alone = simulate(book, ["repm_scheme_recycling"], years=(2040, 2045), draws=8, seed=2, demand=res.demand)
        for m in ("magnets_secondary", "magnets_in_use", "dy_recovered", "magnet_imports", "magnets_india"):
            assert np.array_equal(res.arrays[m], alone.arrays[m]), (res.demand, m)
    # more magnets enter use under the official basis (4,010 t in 2025) than the bottom-up one (848 t in 2024)
    assert (both[0].arrays["magnets_in_use"] > both[1].arrays["magnets_in_use"]).all()


def test_ndpr_chain_by_hand():
    from rekit.model.recycling import ndpr_chain

    # 1,000 t magnet of scrap at 0.3 t Nd+Pr per t: 300 t Nd+Pr; 30% collected = 90 (210 not); 80% liberated = 72
    # (18 lost); capacity 100 t magnet = 30 t Nd+Pr, so 30 processed and 42 beyond capacity; 90% recovered = 27
    # (3 process loss) = 27 / 0.85 = 31.765 t NdPr oxide; 50 t magnet made from it hold 15 t Nd+Pr, 12 not used
    c = ndpr_chain(1000, 0.3, 0.8, 100, 0.9, 0.3, 0.85, 50).set_index(["from", "to"])["t_ndpr"]
    assert c[("end-of-life magnets", "not collected")] == pytest.approx(210)
    assert c[("end-of-life magnets", "collected")] == pytest.approx(90)
    assert c[("collected", "lost in dismantling")] == pytest.approx(18)
    assert c[("collected", "processed")] == pytest.approx(30)
    assert c[("collected", "beyond recycling capacity")] == pytest.approx(42)
    assert c[("processed", "recovered NdPr oxide")] == pytest.approx(27)
    assert c[("processed", "process loss")] == pytest.approx(3)
    assert c[("recovered NdPr oxide", "magnets made in India")] == pytest.approx(15)
    assert c[("recovered NdPr oxide", "not used in India")] == pytest.approx(12)
    with pytest.raises(StockModelError, match=r"collection: 1.2 is not allowed; allowed: a share from 0 to 1"):
        ndpr_chain(1000, 1.2, 0.8, 100, 0.9, 0.3, 0.85, 50)


def test_sensitivity_sees_recycling():
    from rekit.model.sensitivity import sensitivity

    # the recycling preset's collection rate (0.1-0.5) moves its secondary coverage in 2045: the analysis runs the
    # stock model and recycling as simulate() does (before, secondary coverage was 0 in every one of its runs)
    table = sensitivity(load_deals(), "repm_scheme_recycling", metric="secondary_coverage", years=(2045, 2045), n=32, seed=1)
    names = set(table["parameter"])
    assert {"recycling_collection", "recycling_share", "recycling_recovery", "recycling_dismantling"} <= names
    assert table.set_index("parameter").loc["recycling_collection", "ST"] > 0
