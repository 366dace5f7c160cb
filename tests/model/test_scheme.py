"""India's magnet scheme beneficiary by beneficiary (rekit.model.simulation.scheme_capacity), worked by hand."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from rekit.data.dataset import load
from rekit.model.deals import DealError, load_deals
from rekit.model.simulation import SCHEME_BIDS_OPENED, ramp_integral, scheme_capacity, simulate

#: t magnet per t NdPr oxide at central values along the chain (tests/model/test_model_v3.py: 2.15248).
Q_CHAIN = 2.15248


@lru_cache(maxsize=1)
def ds():
    return load()


def assumption(x):
    return {"value": x, "source": "assumption: test"}


def c(x):
    return np.full((1, 1, 1), float(x))


def scheme_deal(**params) -> dict:
    """All of IREL's oxide offered to the scheme from 2024, nothing exported, plus the scheme's parameters given."""
    deal = {"description": "the scheme, by hand",
            "shares": {"export": assumption(0), "toll": assumption(0), "domestic": assumption(1), "stock": "rest"}}
    deal.update({k: assumption(v) for k, v in params.items()})
    return {"deals": {"scheme_by_hand": deal}}


def test_the_ramp_by_hand():
    # first sale at 0, a 2-year linear ramp: the integral is y^2 / 4 up to 2, then 1 + (y - 2)
    np.testing.assert_allclose(ramp_integral(np.array([0.0, 1.0, 2.0, 3.0]), 0.0, 2.0), [0, 0.25, 1.0, 2.0])
    # so the year means are 0.25, 0.75, then 1
    # no ramp: a step at the first sale, here 0.5 into the year -> that year's mean is 0.5
    assert float(ramp_integral(1.0, 0.5, 0.0) - ramp_integral(0.0, 0.5, 0.0)) == 0.5


def test_capacity_beneficiary_by_beneficiary_by_hand():
    # three beneficiaries with plants, the first two get IREL's oxide; a fourth slot empty.
    # years t = 2028, 2029 relative to T0 = 2026.49315:
    #   L1: 1,000 t x 0.8, first sale 1.50685 (at 2028.0), ramp 1 -> 2028: mean 0.5 -> 400; 2029: 1 -> 800
    #   L2: 600 t x 1.0, first sale 2.50685 (at 2029.0), ramp 0 -> 2028: 0; 2029: 600
    #   L3: 1,200 t x 0.5, first sale 0 (at 2026.49), ramp 0 -> 600 both years (not an oxide beneficiary)
    #   L4: drawn but no plant (beneficiaries = 3)
    first = [2028 - SCHEME_BIDS_OPENED, 2029 - SCHEME_BIDS_OPENED, 0.0, 0.0]
    ox, other = scheme_capacity(np.array([2028, 2029]), c(3), c(2), [c(1000), c(600), c(1200), c(900)],
                                [c(f) for f in first], [c(1), c(0), c(0), c(0)], [c(0.8), c(1.0), c(0.5), c(1.0)])
    np.testing.assert_allclose(ox.ravel(), [400, 800 + 600])
    np.testing.assert_allclose(other.ravel(), [600, 600])


def test_irel_oxide_goes_to_the_oxide_beneficiaries_only_up_to_the_assured_quantity():
    # capacity basis: IREL makes 400 t NdPr oxide a year, all offered; two plants of 1,200 t at full use from the
    # first sale 0 years after the bids (2026.49): in 2030 both at 1,200 t. One gets IREL's oxide, 100 t assured.
    # No imports: magnets = 100 t x 2.15248 = 215.248 t, and the other 300 t a year is stocked.
    book = load_deals(scheme_deal(scheme_beneficiaries=2, scheme_oxide_beneficiaries=1, scheme_allocation=1200,
                                  scheme_assured_oxide=100, scheme_first_sale=0, scheme_ramp_years=0,
                                  scheme_utilisation=1), ds=ds())
    res = simulate(book, ["scheme_by_hand"], years=(2029, 2030), draws=0, basis="capacity")
    assert res.at("magnets_india", "scheme_by_hand", 2030)[0] == pytest.approx(100 * Q_CHAIN, rel=1e-5)
    assert res.at("oxide_stock", "scheme_by_hand", 2030)[0] - res.at("oxide_stock", "scheme_by_hand", 2029)[0] == \
        pytest.approx(400 - 100, rel=1e-9)
    # with 200 t of oxide imported a year the two plants make (100 + 200) x 2.15248 = 645.74 t
    book = load_deals(scheme_deal(scheme_beneficiaries=2, scheme_oxide_beneficiaries=1, scheme_allocation=1200,
                                  scheme_assured_oxide=100, scheme_first_sale=0, scheme_ramp_years=0,
                                  scheme_utilisation=1, oxide_import_cap=200), ds=ds())
    res = simulate(book, ["scheme_by_hand"], years=(2030, 2030), draws=0, basis="capacity")
    assert res.at("magnets_india", "scheme_by_hand", 2030)[0] == pytest.approx(300 * Q_CHAIN, rel=1e-5)


def test_sales_may_start_before_gestation_ends():
    # first sale 1.5 years after the bids (at 2027.99315), half a year before the two-year gestation from the bids
    # ends; one plant of 1,000 t at 0.8, a 2-year ramp, fed by 400 t of IREL's oxide (assured 500: not binding).
    # 2028: y runs 0.00685 -> 1.00685: (1.00685^2 - 0.00685^2) / 4 = 0.253425 -> 1000 x 0.8 x 0.253425 = 202.74 t,
    # below the 400 x 2.15248 = 861 t the oxide can make
    book = load_deals(scheme_deal(scheme_beneficiaries=1, scheme_oxide_beneficiaries=1, scheme_allocation=1000,
                                  scheme_assured_oxide=500, scheme_first_sale=1.5, scheme_ramp_years=2,
                                  scheme_utilisation=0.8), ds=ds())
    res = simulate(book, ["scheme_by_hand"], years=(2027, 2028), draws=0, basis="capacity")
    y1, y0 = 2029 - (SCHEME_BIDS_OPENED + 1.5), 2028 - (SCHEME_BIDS_OPENED + 1.5)
    # 2027: the last 0.00685 of the year: 1000 x 0.8 x 0.00685^2 / 4 = 0.0094 t
    assert res.at("magnets_india", "scheme_by_hand", 2027)[0] == pytest.approx(1000 * 0.8 * y0 ** 2 / 4, rel=1e-9)
    assert res.at("magnets_india", "scheme_by_hand", 2028)[0] == pytest.approx(1000 * 0.8 * (y1 ** 2 - y0 ** 2) / 4, rel=1e-9)
    assert res.at("magnets_india", "scheme_by_hand", 2028)[0] == pytest.approx(202.74, abs=0.01)


def test_the_scheme_preset_runs_per_beneficiary_with_independent_draws():
    book = load_deals(ds=ds())
    d = book.get("repm_scheme")
    assert d.params["scheme_beneficiaries"].quantities[0].value == 5
    assert d.params["scheme_oxide_beneficiaries"].quantities[0].value == 3
    assert d.params["scheme_assured_oxide"].quantities[0].value == 500
    res = simulate(book, ["repm_scheme"], years=(2035, 2035), draws=2000, seed=1)
    made = res.at("magnets_india", "repm_scheme", 2035)
    # never above five allocations of 1,200 t at 90% use: 5,400 t
    assert made.max() <= 5 * 1200 * 0.9 + 1e-9
    # every flow balanced (the run checks it) and the draws vary
    assert made.std() > 0


def test_a_count_outside_the_scheme_is_refused():
    with pytest.raises(DealError, match=r"scheme_beneficiaries.*6.*outside \[0, 5\]"):
        load_deals(scheme_deal(scheme_beneficiaries=6), ds=ds())
    with pytest.raises(DealError, match=r"scheme_allocation.*1500.*outside \[0, 1200\]"):
        load_deals(scheme_deal(scheme_allocation=1500), ds=ds())
