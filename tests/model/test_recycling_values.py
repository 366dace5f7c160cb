"""Recycling's functions called one by one on small inputs worked by hand: the rate check, the ramps, the
scheme's capacity, recycle() with draws, per-end-use rates and a binding capacity, the balances it checks,
the secondary feed of a run (its kept paths too), the stocks by end use and the NdPr chain, and every
refusal's message in full.

The lifetimes are chosen so that the stock model's outflows are exact: normal, mean 1 year and std 0.001
(every magnet leaves in the year after it enters: survival 1 at age ½, 0 at age 1½), and Weibull scale
2 years and shape 1000 (every magnet leaves two years after it enters). Rates and contents are mostly
powers of two, so that the arithmetic is exact and the balances hold to 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from rekit.model import recycling
from rekit.model.recycling import (RECYCLING_SCHEME, Recycled, RecyclingScheme, check_rate, ndpr_chain,
                                   ndpr_oxide_equivalent, ramp, recycle, recycling_capacity, scheme_capacity,
                                   secondary_feed, stocks_by_end_use)
from rekit.model.stocks_in_use import ModelError

#: t Nd per t Nd2O3 and t Pr per t Pr6O11 from the atomic weights (Nd 144.242, Pr 140.90766, O 15.999):
#: 2·144.242 / (2·144.242 + 3·15.999) and 6·140.90766 / (6·140.90766 + 11·15.999).
ND = 288.484 / 336.481
PR = 845.44596 / 1021.43496

SHARE = "allowed: a share from 0 to 1"


def refused(message: str, fn, *args, **kw) -> None:
    with pytest.raises(ModelError) as e:
        fn(*args, **kw)
    assert str(e.value) == message


# ------------------------------------------------------------------------------------------------
# check_rate
# ------------------------------------------------------------------------------------------------

def test_check_rate_takes_0_and_1_and_gives_floats():
    for v in (0, 1, 0.5, [0, 1], np.array([[1, 0]])):
        arr = check_rate(v, "r")
        assert arr.dtype == np.float64
        assert np.array_equal(arr, np.asarray(v, dtype=float))
    # an exact fraction comes back as the float it is
    assert check_rate(Fraction(1, 4), "r") == 0.25 and check_rate(Fraction(1, 4), "r").dtype == np.float64


@pytest.mark.parametrize("value, given", [
    (1.5, "1.5"), (-0.25, "-0.25"), (float("nan"), "nan"), (float("inf"), "inf"),
    # an array: the first bad value in order
    ([0.5, 2.0, -3.0], "2.0"), (np.array([[0.0, 1.0], [1.25, 7.0]]), "1.25"),
])
def test_check_rate_names_the_value_and_the_range(value, given):
    refused(f"collection rate of wind: {given} is not allowed; {SHARE}", check_rate, value, "collection rate of wind")


# ------------------------------------------------------------------------------------------------
# ramp and scheme_capacity
# ------------------------------------------------------------------------------------------------

def test_ramp_by_hand():
    # points given out of order: {2030: 500, 2026: 0}; 2024 flat at 0 before, 2026 its first year: 0,
    # 2027: 1/4 of 500 = 125, 2028: 250, 2030 its last year: 500, 2035 flat after: 500
    cap = ramp([2024, 2026, 2027, 2028, 2030, 2035], {2030: 500, 2026: 0})
    assert cap.tolist() == [0.0, 0.0, 125.0, 250.0, 500.0, 500.0]
    # one point: flat; a point of 0 is allowed
    assert ramp([2020, 2040], {2030: 80}).tolist() == [80.0, 80.0]
    assert ramp([2020], {2030: 0}).tolist() == [0.0]
    # falling too: 2026 → 400, 2028 → 0; 2027 halfway: 200
    assert ramp([2027], {2026: 400, 2028: 0}).tolist() == [200.0]
    # exact fractions are read as the numbers they are: 2027 halfway from 0 to 1/2: 0.25
    assert ramp([2027], {2026: Fraction(0), 2028: Fraction(1, 2)}).tolist() == [0.25]
    assert ramp([], {2026: 1}).shape == (0,)


def test_ramp_refusals():
    refused("capacity: no points given; give {year: t magnet a year}", ramp, [2030], {})
    refused("scrap line: no points given; give {year: t magnet a year}", ramp, [2030], {}, "scrap line")
    refused("capacity: -5.0 t a year is not allowed; allowed: a finite number ≥ 0", ramp, [2030], {2026: -5})
    # the first bad value by year, whatever the order given
    refused("line: inf t a year is not allowed; allowed: a finite number ≥ 0", ramp, [2030],
            {2031: -1.0, 2027: float("inf"), 2026: 0.0}, "line")
    refused("line: nan t a year is not allowed; allowed: a finite number ≥ 0", ramp, [2030], {2026: float("nan")}, "line")


def test_scheme_capacity_by_hand():
    # RECYCLING_SCHEME: 0 in 2025, rising to share · 270 kt by 2031 (6 years), flat after;
    # share 1: 2024 → 0, 2025 → 0, 2026 → 1/6 · 270,000 = 45,000, 2031 → 270,000, 2032 → 270,000
    cap = scheme_capacity([2024, 2025, 2026, 2031, 2032], 1)
    np.testing.assert_allclose(cap, [0, 0, 45_000, 270_000, 270_000], rtol=1e-12)
    assert scheme_capacity([2031], 0).tolist() == [0.0]
    # shares over draws: shape (draws, years); 0.5 of 270 kt in 2031 = 135,000 t
    cap = scheme_capacity([2025, 2031], np.array([0.0, 0.5, 1.0]))
    assert cap.shape == (3, 2)
    np.testing.assert_allclose(cap, [[0, 0], [0, 135_000], [0, 270_000]], rtol=1e-12)
    # a later start moves the whole ramp: 0 in 2027, full (0.1 · 270,000 = 27,000) 6 years later in 2033,
    # 2030 halfway: 13,500; 2026 (before): 0
    cap = scheme_capacity([2026, 2027, 2030, 2033, 2040], 0.1, start_year=2027)
    np.testing.assert_allclose(cap, [0, 0, 13_500, 27_000, 27_000], rtol=1e-12)


def test_scheme_capacity_of_another_scheme():
    # FY2030-31 … FY2032-33: calendar years 2030 … 2033, 3 years; 2 kt expected; share 0.5: 1,000 t at full
    # 2031: 1/3 · 1,000 = 333.33; 2032: 666.67; start 2031: 2032 → 333.33, 2034 → 1,000
    s = RecyclingScheme(outlay_crore_inr=1.0, first_fy="FY2030-31", last_fy="FY2032-33", expected_capacity_kt=2.0,
                        expected_production_kt=1.0, capex_subsidy=0.1, eligible_feedstock=("e-waste",), eligibility="any")
    assert s.years == (2030, 2033)
    np.testing.assert_allclose(scheme_capacity([2029, 2030, 2031, 2032, 2033, 2040], 0.5, scheme=s),
                               [0, 0, 1000 / 3, 2000 / 3, 1000, 1000], rtol=1e-12)
    np.testing.assert_allclose(scheme_capacity([2031, 2032, 2034], 0.5, start_year=2031, scheme=s),
                               [0, 1000 / 3, 1000], rtol=1e-12)


def test_scheme_capacity_refuses_a_share_outside_0_1():
    refused(f"ndfeb_share of the recycling scheme's capacity: -0.5 is not allowed; {SHARE}", scheme_capacity,
            [2030], -0.5)


def test_recycling_capacity_by_hand():
    # share 0.01 of 270,000 t = 2,700 t at full; ramp 4 years from the start of 2025, at mid-year:
    # 2024: (−0.5) → 0; 2025: 0.5/4 · 2,700 = 337.5; 2026: 1.5/4 → 1,012.5; 2028: 3.5/4 → 2,362.5; 2029: 1 → 2,700
    cap = recycling_capacity([2024, 2025, 2026, 2028, 2029, 2035], 0.01, 4.0)
    np.testing.assert_allclose(cap, [0, 337.5, 1012.5, 2362.5, 2700, 2700], rtol=1e-12)
    # a ramp of 0 years: full from the scheme's start (mid-2025 on; 2024's mid-year is before it)
    np.testing.assert_allclose(recycling_capacity([2024, 2025, 2030], 0.01, 0.0), [0, 2700, 2700], rtol=1e-12)
    # the start itself (t = 0, a year given as 2024.5) is full already with no ramp, and 0 with one
    assert recycling_capacity([2024.5], 1.0, 0).tolist() == [270_000.0]
    assert recycling_capacity([2024.5], 1.0, 2).tolist() == [0.0]
    # share and ramp broadcast: (deals, draws) = (2, 3) → (2, 3, years); ramps 0, 1 and 2 years, shares 0.01 and 0.02
    cap = recycling_capacity([2025, 2026], np.array([[0.01], [0.02]]), np.array([0.0, 1.0, 2.0]))
    assert cap.shape == (2, 3, 2)
    # ramp 0: full; ramp 1: 2025 at 0.5 → half; 2026 full; ramp 2: 0.25 and 0.75
    np.testing.assert_allclose(cap[0], [[2700, 2700], [1350, 2700], [675, 2025]], rtol=1e-12)
    np.testing.assert_allclose(cap[1], [[5400, 5400], [2700, 5400], [1350, 4050]], rtol=1e-12)


def test_recycling_capacity_of_another_scheme():
    # first year 2030, 2 kt: share 0.5 → 1,000 t at full; ramp 2 years: 2030 at 0.5/2 → 250; 2031 at 1.5/2 → 750
    s = RecyclingScheme(outlay_crore_inr=1.0, first_fy="FY2030-31", last_fy="FY2032-33", expected_capacity_kt=2.0,
                        expected_production_kt=1.0, capex_subsidy=0.1, eligible_feedstock=("e-waste",), eligibility="any")
    np.testing.assert_allclose(recycling_capacity([2029, 2030, 2031, 2032], 0.5, 2, scheme=s), [0, 250, 750, 1000],
                               rtol=1e-12)


def test_recycling_capacity_over_less_than_a_year():
    # a ramp of half a year is full by mid-2025 already: (0.5 / 0.5) → 1; 2024: 0
    np.testing.assert_allclose(recycling_capacity([2024, 2025], 0.01, 0.5), [0, 2700], rtol=1e-12)


@pytest.mark.parametrize("ramp_years, given", [
    (-1.0, "-1.0"), (float("inf"), "inf"), (float("nan"), "nan"), (np.array([[2.0, -3.0], [-4.0, 1.0]]), "-3.0"),
    # 0 and half a year are allowed: the first value refused is −1
    (np.array([0.5, 0.0, -1.0]), "-1.0"),
])
def test_recycling_capacity_refuses_a_bad_ramp(ramp_years, given):
    refused(f"recycling_ramp_years: {given} is not allowed; allowed: a number of years >= 0", recycling_capacity,
            [2030], 0.5, ramp_years)


def test_recycling_capacity_refuses_a_bad_share():
    refused("recycling_share (the share of the recycling scheme's capacity that takes NdFeB magnets): 1.5 is not "
            f"allowed; {SHARE}", recycling_capacity, [2030], 1.5, 2.0)


# ------------------------------------------------------------------------------------------------
# ndpr_oxide_equivalent
# ------------------------------------------------------------------------------------------------

def test_ndpr_oxide_equivalent_by_hand():
    # 288.484 t Nd is in 336.481 t Nd2O3; 845.44596 t Pr in 1021.43496 t Pr6O11
    assert ndpr_oxide_equivalent(288.484, 0) == pytest.approx(336.481, rel=1e-12)
    assert ndpr_oxide_equivalent(0, 845.44596) == pytest.approx(1021.43496, rel=1e-12)
    np.testing.assert_allclose(ndpr_oxide_equivalent([288.484, 0], [845.44596, 0]), [336.481 + 1021.43496, 0],
                               rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# recycle
# ------------------------------------------------------------------------------------------------

USES = ("a", "b")
YEARS = [2030, 2031, 2032]
# (draws 2, end uses a b, years 2030 2031 2032), t magnet leaving use
EOL = np.array([[[10.0, 20.0, 40.0], [0.0, 10.0, 20.0]],
                [[8.0, 0.0, 4.0], [4.0, 0.0, 0.0]]])
CONTENT = {"Nd": 0.25, "Pr": np.array([0.0625, 0.125]), "Dy": np.array([0.03125, 0.0]), "Tb": 1 / 128}
RECOVERY = {"Nd": 0.5, "Pr": 0.75, "Dy": 1.0, "Tb": 0.0}
COLLECTION = {"a": np.array([0.5, 1.0]), "b": 0.25}  # a: one rate per draw
DISMANTLING = np.array([1.0, 0.5])  # per end use
CAPACITY = np.array([[100.0, 5.625, 0.0], [4.25, 0.0, 100.0]])  # per draw and year


def worked(**kw):
    args = dict(eol=EOL, end_uses=USES, years=YEARS, content=CONTENT, collection=COLLECTION, dismantling=DISMANTLING,
                recovery=RECOVERY, capacity=CAPACITY, route="magnet_to_magnet")
    return recycle(**{**args, **kw})


def test_recycle_with_draws_rates_per_end_use_and_a_binding_capacity():
    r = worked(tol=0.0)  # every number below is exact in binary: the balances hold to 0
    assert isinstance(r, Recycled) and r.route == "magnet_to_magnet" and r.end_uses == USES
    assert r.years.tolist() == YEARS
    # collected: draw 0 a ×0.5 [5, 10, 20], b ×0.25 [0, 2.5, 5]; draw 1 a ×1 [8, 0, 4], b ×0.25 [1, 0, 0]
    assert r.collected.tolist() == [[[5, 10, 20], [0, 2.5, 5]], [[8, 0, 4], [1, 0, 0]]]
    assert r.not_collected.tolist() == [[[5, 10, 20], [0, 7.5, 15]], [[0, 0, 0], [3, 0, 0]]]
    # liberated: a ×1, b ×0.5: draw 0 a [5, 10, 20], b [0, 1.25, 2.5]; draw 1 a [8, 0, 4], b [0.5, 0, 0]
    assert r.dismantling_loss.tolist() == [[[0, 0, 0], [0, 1.25, 2.5]], [[0, 0, 0], [0.5, 0, 0]]]
    # totals: draw 0 [5, 11.25, 22.5] against capacity [100, 5.625, 0] → shares taken [1, 0.5, 0];
    # draw 1 [8.5, 0, 4] against [4.25, 0, 100] → [0.5, 1 (nothing to take, none taken), 1]
    assert r.processed.tolist() == [[[5, 5, 0], [0, 0.625, 0]], [[4, 0, 4], [0.25, 0, 0]]]
    assert r.over_capacity.tolist() == [[[0, 5, 20], [0, 0.625, 2.5]], [[4, 0, 0], [0.25, 0, 0]]]
    # Nd: 0.25 of the processed [5, 5.625, 0] and [4.25, 0, 4] = [1.25, 1.40625, 0], [1.0625, 0, 1]; half recovered
    assert r.recovered["Nd"].tolist() == [[0.625, 0.703125, 0], [0.53125, 0, 0.5]]
    assert r.process_loss["Nd"].tolist() == [[0.625, 0.703125, 0], [0.53125, 0, 0.5]]
    # Pr: a·0.0625 + b·0.125 = draw 0 [0.3125, 0.3125 + 0.078125, 0], draw 1 [0.25 + 0.03125, 0, 0.25]; ×0.75 and ×0.25
    assert r.recovered["Pr"].tolist() == [[0.234375, 0.29296875, 0], [0.2109375, 0, 0.1875]]
    assert r.process_loss["Pr"].tolist() == [[0.078125, 0.09765625, 0], [0.0703125, 0, 0.0625]]
    # Dy: a·0.03125 only, all recovered (rate 1): [0.15625, 0.15625, 0], [0.125, 0, 0.125]
    assert r.recovered["Dy"].tolist() == [[0.15625, 0.15625, 0], [0.125, 0, 0.125]]
    assert r.process_loss["Dy"].tolist() == [[0, 0, 0], [0, 0, 0]]
    # Tb: processed / 128, none recovered (rate 0): [5/128, 5.625/128, 0], [4.25/128, 0, 4/128]
    assert r.recovered["Tb"].tolist() == [[0, 0, 0], [0, 0, 0]]
    assert r.process_loss["Tb"].tolist() == [[0.0390625, 0.0439453125, 0], [0.033203125, 0, 0.03125]]
    # as NdPr oxide: Nd / ND + Pr / PR
    np.testing.assert_allclose(r.ndpr_oxide(), [[0.625 / ND + 0.234375 / PR, 0.703125 / ND + 0.29296875 / PR, 0],
                                                [0.53125 / ND + 0.2109375 / PR, 0, 0.5 / ND + 0.1875 / PR]], rtol=1e-12)


def test_recycle_without_a_capacity_limit_and_with_one_per_year():
    # no limit: everything liberated is processed, over_capacity 0
    r = worked(capacity=None, route="hydrometallurgical")
    assert r.route == "hydrometallurgical"
    assert r.processed.tolist() == [[[5, 10, 20], [0, 1.25, 2.5]], [[8, 0, 4], [0.5, 0, 0]]]
    assert not r.over_capacity.any()
    # one capacity for every draw, (years,): [100, 100, 2.25]; 2032: draw 0 22.5 → 0.1 of each, draw 1 4 → 2.25/4
    r = worked(capacity=[100.0, 100.0, 2.25])
    np.testing.assert_allclose(r.processed[..., 2], [[2.0, 0.25], [2.25, 0.0]], rtol=1e-12)


def test_recycle_scalar_rates_on_one_end_use():
    # one end use, one year, 2-D eol: 64 t, all collected (1), half liberated, content 0.25 Nd, 0 of the others
    r = recycle([[64.0]], ["x"], [2030], {"Nd": 0.25, "Pr": 0, "Dy": 0, "Tb": 0}, {"x": 1}, 0.5,
                {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1}, tol=0.0)
    assert r.processed.tolist() == [[32.0]] and r.not_collected.tolist() == [[0.0]]
    assert r.recovered["Nd"].tolist() == [8.0] and r.recovered["Pr"].tolist() == [0.0]
    # nothing collected (rate 0): everything is not collected
    r = recycle([[64.0]], ["x"], [2030], {"Nd": 0.25, "Pr": 0, "Dy": 0, "Tb": 0}, {"x": 0}, 0.5,
                {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1})
    assert r.not_collected.tolist() == [[64.0]] and r.recovered["Nd"].tolist() == [0.0]


def test_recycle_with_no_years():
    r = recycle(np.zeros((2, 0)), USES, [], CONTENT, {"a": 0.5, "b": 0.5}, 1.0, RECOVERY, capacity=np.zeros(0))
    assert r.processed.shape == (2, 0) and r.recovered["Nd"].shape == (0,)


def test_recycle_tolerance_of_a_negative_flow():
    # a negative outflow leaves a negative flow, refused beyond tol · max(1, largest outflow) = 1e-9 t:
    # −2e-9 t collected at 0.5 leaves −1e-9 t not collected, exactly at the limit: passed
    recycle([[-2e-9]], ["x"], [2030], {"Nd": 0, "Pr": 0, "Dy": 0, "Tb": 0}, {"x": 0.5}, 1.0,
            {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1})
    # −3e-9 t leaves −1.5e-9 t: refused
    refused("recycling: not_collected negative (-1.5e-09 t magnet)", recycle, [[-3e-9]], ["x"], [2030],
            {"Nd": 0, "Pr": 0, "Dy": 0, "Tb": 0}, {"x": 0.5}, 1.0, {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1})
    # the limit grows with the largest outflow: 1e-9 · 4000 t = 4e-6 t; −4e-6 t passes next to 4000 t
    recycle([[4000.0, -8e-6]], ["x"], [2030, 2031], {"Nd": 0, "Pr": 0, "Dy": 0, "Tb": 0}, {"x": 0.5}, 1.0,
            {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1})


@pytest.mark.parametrize("collection, dismantling, capacity, message", [
    # all collected: the negative outflow is collected, and half of it "lost" in dismantling
    (1.0, 0.5, None, "recycling: dismantling_loss negative (-5 t magnet)"),
    # all collected and liberated: processed negative
    (1.0, 1.0, None, "recycling: processed negative (-10 t magnet)"),
    # 20 − 10 = 10 t liberated against 5 t of capacity: half of each processed, −5 t "over capacity"
    (1.0, 1.0, [5.0], "recycling: over_capacity negative (-5 t magnet)"),
])
def test_recycle_names_the_negative_flow(collection, dismantling, capacity, message):
    refused(message, recycle, [[20.0], [-10.0]], ["x", "y"], [2030], {"Nd": 0, "Pr": 0, "Dy": 0, "Tb": 0},
            {"x": collection, "y": collection}, dismantling, {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1}, capacity)


@pytest.mark.parametrize("kw, message", [
    (dict(eol=[1.0, 2.0, 3.0]), "end-of-life outflow: expected shape (..., 2 end uses, 3 years); got (3,)"),
    (dict(eol=np.zeros((3, 2))), "end-of-life outflow: expected shape (..., 2 end uses, 3 years); got (3, 2)"),
    (dict(eol=np.zeros((2, 2, 4))), "end-of-life outflow: expected shape (..., 2 end uses, 3 years); got (2, 2, 4)"),
    (dict(eol=5.0), "end-of-life outflow: expected shape (..., 2 end uses, 3 years); got ()"),
    (dict(content={**CONTENT, "Ce": 0.1}), "unknown element 'Ce'; allowed: Nd, Pr, Dy, Tb"),
    (dict(recovery={**RECOVERY, "Fe": 0.1}), "unknown element 'Fe'; allowed: Nd, Pr, Dy, Tb"),
    (dict(content={"Nd": 0.25, "Pr": 0.05, "Tb": 0.01}), "content: no value for Dy; give one for each of Nd, Pr, Dy, Tb"),
    (dict(content={**CONTENT, "Nd": 1.5}), f"content of Nd (t Nd per t magnet): 1.5 is not allowed; {SHARE}"),
    (dict(content={**CONTENT, "Pr": np.array([0.1, -0.2])}),
     f"content of Pr (t Pr per t magnet): -0.2 is not allowed; {SHARE}"),
    (dict(recovery={**RECOVERY, "Tb": 2.0}), f"recovery rate of Tb (magnet_to_magnet): 2.0 is not allowed; {SHARE}"),
    (dict(collection={"a": np.array([0.5, 1.5]), "b": 0.25}), f"collection rate of a: 1.5 is not allowed; {SHARE}"),
    (dict(dismantling=np.array([1.0, -0.5])), f"dismantling rate: -0.5 is not allowed; {SHARE}"),
    (dict(capacity=[1.0, -1.0, 1.0]), "capacity: a finite number of t magnet a year ≥ 0 for every year"),
    (dict(capacity=[1.0, float("inf"), 1.0]), "capacity: a finite number of t magnet a year ≥ 0 for every year"),
    (dict(capacity=[1.0, float("nan"), 1.0]), "capacity: a finite number of t magnet a year ≥ 0 for every year"),
    (dict(route="pyro"), "route 'pyro' is not a recycling route; allowed: hydrometallurgical, magnet_to_magnet"),
])
def test_recycle_refusals(kw, message):
    refused(message, worked, **kw)


def test_recycle_one_outflow_against_a_capacity_per_draw():
    # one outflow (end uses a b × 1 year): 8 t and 4 t, all collected and liberated; capacity 6 t in draw 0,
    # 24 t in draw 1: draw 0 takes half of each (6 / 12), draw 1 all
    r = recycle([[8.0], [4.0]], USES, [2030], {"Nd": 0.25, "Pr": 0, "Dy": 0, "Tb": 0}, {"a": 1, "b": 1}, 1.0,
                {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1}, capacity=[[6.0], [24.0]])
    assert r.processed.tolist() == [[[4.0], [2.0]], [[8.0], [4.0]]]
    assert r.recovered["Nd"].tolist() == [[1.5], [3.0]]


def test_exact_fractions_are_read_as_the_numbers_they_are():
    # fractions.Fraction amounts and years give float flows, as their floats would
    q = Fraction(1, 4)
    r = recycle([[Fraction(8)], [Fraction(4)]], USES, [2030], {"Nd": q, "Pr": 0, "Dy": 0, "Tb": 0}, {"a": 1, "b": 1},
                1, {"Nd": 1, "Pr": 1, "Dy": 1, "Tb": 1}, capacity=[Fraction(6)])
    assert r.processed.dtype == np.float64 and r.processed.tolist() == [[4.0], [2.0]]
    assert r.recovered["Nd"].dtype == np.float64 and r.recovered["Nd"].tolist() == [1.5]
    cap = ramp([Fraction(2027)], {Fraction(2026): 0, Fraction(2028): 500})
    assert cap.dtype == np.float64 and cap.tolist() == [250.0]
    # share 0.01 (2,700 t at full), ramp 2 years: mid-2025 is a quarter of the way: 675 t
    cap = recycling_capacity([Fraction(2025)], 0.01, Fraction(2))
    assert cap.dtype == np.float64
    np.testing.assert_allclose(cap, [675.0], rtol=1e-12)
    out = secondary_feed(feed_inputs(), FEED_YEARS, (("ev_4w", Fraction(3, 4), "normal", 1.0, 1e-3),
                                                     ("wind", Fraction(1, 4), "weibull", 2.0, 1000.0)), recover=False)
    assert out["eol"].dtype == np.float64 and out["use_stock"].dtype == np.float64
    assert out["eol"][0].T.tolist() == [[0, 0, 75, 175], [0, 0, 30, 10]]


def test_recycle_takes_a_capacity_of_0():
    r = worked(capacity=[0.0, 0.0, 0.0])
    assert not r.processed.any() and np.array_equal(r.over_capacity, r.collected - r.dismantling_loss)


# ------------------------------------------------------------------------------------------------
# _check: the balances and their messages, on flows made by hand
# ------------------------------------------------------------------------------------------------

def flows(eol=((10.0,),), not_collected=((2.0,),), dismantling_loss=((1.0,),), over_capacity=((3.0,),),
          processed=((4.0,),), recovered=None, process_loss=None):
    # one end use, one year; content 0.5 of each element: 4 t processed hold 2 t, 1.5 recovered, 0.5 lost
    rec = recovered or {e: np.array([1.5]) for e in ("Nd", "Pr", "Dy", "Tb")}
    loss = process_loss or {e: np.array([0.5]) for e in ("Nd", "Pr", "Dy", "Tb")}
    r = Recycled(np.array([2030]), ("x",), "hydrometallurgical", np.array([[8.0]]), np.array(not_collected),
                 np.array(dismantling_loss), np.array(over_capacity), np.array(processed), rec, loss)
    return r, np.array(eol), {e: np.array(0.5) for e in ("Nd", "Pr", "Dy", "Tb")}


def test_check_passes_balanced_flows():
    recycling._check(*flows(), tol=0.0)
    # 1e-9 · 1000 t = 1e-6 t allowed: a magnet balance off by 5e-7 t passes
    r, _, content = flows(not_collected=((992.0 - 5e-7,),))
    recycling._check(r, np.array([[1000.0]]), content, 1e-9)


def test_check_messages():
    # 10 − 2 − 1 − 3 − 3 = 1 t unaccounted
    refused("recycling: magnet balance fails by 1 t magnet", recycling._check, *flows(processed=((3.0,),),
            recovered={e: np.array([1.0]) for e in ("Nd", "Pr", "Dy", "Tb")}), tol=1e-9)
    # 1e-9 · max(1, 1000 t) = 1e-6 t allowed: 2e-6 t is refused
    r, _, content = flows(not_collected=((992.0 - 2e-6,),))
    refused("recycling: magnet balance fails by 2e-06 t magnet", recycling._check, r, np.array([[1000.0]]), content,
            1e-9)
    # each flow that is negative is named, in the order not collected, dismantling loss, over capacity, processed
    refused("recycling: not_collected negative (-1 t magnet)", recycling._check,
            *flows(not_collected=((-1.0,),), over_capacity=((6.0,),)), tol=1e-9)
    refused("recycling: dismantling_loss negative (-1 t magnet)", recycling._check,
            *flows(dismantling_loss=((-1.0,),), over_capacity=((5.0,),)), tol=1e-9)
    refused("recycling: over_capacity negative (-1 t magnet)", recycling._check,
            *flows(over_capacity=((-1.0,),), not_collected=((6.0,),)), tol=1e-9)
    # each element's balance: Nd right, Pr off by 0.25 t (2 held, 1.5 + 0.75 accounted)
    loss = {"Nd": np.array([0.5]), "Pr": np.array([0.75]), "Dy": np.array([0.5]), "Tb": np.array([0.5])}
    refused("recycling: Pr balance fails by 0.25 t Pr", recycling._check, *flows(process_loss=loss), tol=1e-9)
    loss = {"Nd": np.array([0.5]), "Pr": np.array([0.5]), "Dy": np.array([0.5]), "Tb": np.array([0.0])}
    refused("recycling: Tb balance fails by 0.5 t Tb", recycling._check, *flows(process_loss=loss), tol=1e-9)


def test_check_processed_negative_and_elements_with_content_per_end_use():
    refused("recycling: processed negative (-2 t magnet)", recycling._check,
            *flows(processed=((-2.0,),), over_capacity=((9.0,),), recovered={e: np.array([-1.5]) for e in "ab"}),
            tol=1e-9)
    # two end uses, content per end use [0.5, 0.25]: 4 t and 8 t processed hold 2 + 2 = 4 t; 3 recovered + 1 lost
    r = Recycled(np.array([2030]), ("x", "y"), "hydrometallurgical", np.array([[4.0], [8.0]]), np.zeros((2, 1)),
                 np.zeros((2, 1)), np.zeros((2, 1)), np.array([[4.0], [8.0]]),
                 {e: np.array([3.0]) for e in ("Nd", "Pr", "Dy", "Tb")}, {e: np.array([1.0]) for e in ("Nd", "Pr", "Dy", "Tb")})
    content = {e: np.array([0.5, 0.25]) for e in ("Nd", "Pr", "Dy", "Tb")}
    recycling._check(r, np.array([[4.0], [8.0]]), content, 0.0)
    content["Dy"] = np.array([0.25, 0.5])  # 1 + 4 = 5 t held: off by 1 t
    refused("recycling: Dy balance fails by 1 t Dy", recycling._check, r, np.array([[4.0], [8.0]]), content, 1e-9)


# ------------------------------------------------------------------------------------------------
# secondary_feed
# ------------------------------------------------------------------------------------------------

#: ev_4w leaves one year after entering, wind two (see the module's docstring)
MIX = (("ev_4w", 0.75, "normal", 1.0, 1e-3), ("wind", 0.25, "weibull", 2.0, 1000.0))
FEED_YEARS = np.array([2024, 2025, 2026, 2027])
# demand (1, years, draws 2): draw 0 [0, 100, 200, 400], draw 1 [0, 40, 0, 80] t magnet entering use
DEMAND = np.array([[[0.0, 0.0], [100.0, 40.0], [200.0, 0.0], [400.0, 80.0]]])


@pytest.fixture(autouse=True)
def _fresh_paths():
    """The kept paths start empty in each test (a path kept from another test would hide the computation)."""
    recycling._IN_USE.clear()
    yield
    recycling._IN_USE.clear()


def by_year(first, later, deals=1):
    """A parameter (deals, years, draws 2): `first` in the first year (per deal: a list), `later` after it."""
    a = np.full((deals, 4, 2), float(later))
    a[:, 0, :] = np.asarray(first, dtype=float).reshape(-1, 1 if np.ndim(first) < 2 else 2)
    return a


def feed_inputs(**kw):
    one = np.ones((1, 1, 1))
    inp = {"demand": DEMAND,
           # deal 0 no capacity; deal 1 1e-4 of 270 kt = 27 t at full in both draws; deal 2: draw 0 none,
           # draw 1 2e-4 → 54 t; the later years' values (0.5) are not read
           "recycling_share": by_year([[0.0, 0.0], [1e-4, 1e-4], [0.0, 2e-4]], 0.5, deals=3),
           "recycling_ramp_years": 2.0 * one,
           "recycling_collection": by_year([0.8, 0.8, 0.5], 0.1, deals=3),
           "recycling_dismantling": by_year(0.5, 0.25),
           "recycling_recovery": by_year([0.9, 0.9, 0.6], 0.1, deals=3),
           "pr_share": 0.25 * one, "w_ndpr": 0.3 * one, "w_dy": 0.04 * one, "w_tb": 0.01 * one}
    return {**inp, **kw}


def test_secondary_feed_magnets_in_use_and_leaving_use():
    # entering use: ev 0.75 of demand, wind 0.25. draw 0: ev [0, 75, 150, 300], wind [0, 25, 50, 100];
    # leaving: ev a year later [0, 0, 75, 150], wind two years later [0, 0, 0, 25] → [0, 0, 75, 175]
    # in use at year end: ev [0, 75, 150, 300], wind [0, 25, 75, 150] → [0, 100, 225, 450]
    # draw 1: ev [0, 30, 0, 60] → leaving [0, 0, 30, 0]; wind [0, 10, 0, 20] → [0, 0, 0, 10]: [0, 0, 30, 10];
    # in use ev [0, 30, 0, 60], wind [0, 10, 10, 20] → [0, 40, 10, 80]
    out = secondary_feed(feed_inputs(), FEED_YEARS, MIX, recover=False)
    assert set(out) == {"eol", "use_stock"}
    assert out["eol"].shape == (1, 4, 2)
    assert out["eol"][0].T.tolist() == [[0, 0, 75, 175], [0, 0, 30, 10]]
    assert out["use_stock"][0].T.tolist() == [[0, 100, 225, 450], [0, 40, 10, 80]]
    # kept for every run with this path: read-only
    assert not out["eol"].flags.writeable and not out["use_stock"].flags.writeable


def test_secondary_feed_by_hand():
    out = secondary_feed(feed_inputs(), FEED_YEARS, MIX)
    assert set(out) == {"eol", "use_stock", "sec_oxide", "sec_dy", "sec_tb", "recycling_capacity"}
    assert out["eol"][0].T.tolist() == [[0, 0, 75, 175], [0, 0, 30, 10]]
    assert out["use_stock"][0].T.tolist() == [[0, 100, 225, 450], [0, 40, 10, 80]]
    for k in ("sec_oxide", "sec_dy", "sec_tb", "recycling_capacity"):
        assert out[k].shape == (3, 4, 2), k
    # capacity: ramp 2 years from 2025 at mid-year: 2024 → 0, 2025 → 0.25, 2026 → 0.75, 2027 → 1
    # deal 0: 0; deal 1: 27 t · [0, 0.25, 0.75, 1] = [0, 6.75, 20.25, 27]; deal 2: draw 0: 0, draw 1 54 t · ...
    cap = out["recycling_capacity"]
    np.testing.assert_allclose(cap[0], 0)
    np.testing.assert_allclose(cap[1].T, [[0, 6.75, 20.25, 27], [0, 6.75, 20.25, 27]], rtol=1e-12)
    np.testing.assert_allclose(cap[2].T, [[0, 0, 0, 0], [0, 13.5, 40.5, 54]], rtol=1e-12)
    # deal 1, collected 0.8 and liberated 0.5 of the leaving magnets: draw 0 ev [0, 0, 30, 60], wind [0, 0, 0, 10]:
    # 2026: 30 t against 20.25 t → 20.25 t processed; 2027: 70 t against 27 t → 27 t;
    # draw 1 ev [0, 0, 12, 0], wind [0, 0, 0, 4]: under capacity, all processed. Processed [0, 0, 20.25, 27], [0, 0, 12, 4]
    # Dy: processed · 0.04 · 0.9 = 0.036 of it; Tb 0.01 · 0.9 = 0.009
    np.testing.assert_allclose(out["sec_dy"][1].T, [[0, 0, 0.729, 0.972], [0, 0, 0.432, 0.144]], rtol=1e-12)
    np.testing.assert_allclose(out["sec_tb"][1].T, [[0, 0, 0.18225, 0.243], [0, 0, 0.108, 0.036]], rtol=1e-12)
    # NdPr oxide: processed · 0.3 t NdPr per t magnet · 0.9 / f_ox, f_ox = 0.75 · ND + 0.25 · PR (t NdPr per t oxide)
    f_ox = 0.75 * ND + 0.25 * PR
    np.testing.assert_allclose(out["sec_oxide"][1].T, np.array([[0, 0, 20.25, 27], [0, 0, 12, 4]]) * 0.27 / f_ox,
                               rtol=1e-12)
    # deal 2, collected 0.5 and liberated 0.5: draw 0 has no capacity: nothing; draw 1 ev [0, 0, 7.5, 0], wind
    # [0, 0, 0, 2.5] under 54 t: all processed; recovery 0.6: Dy 0.024 of it, Tb 0.006, oxide 0.18 / f_ox
    np.testing.assert_allclose(out["sec_dy"][2].T, [[0, 0, 0, 0], [0, 0, 0.18, 0.06]], rtol=1e-12)
    np.testing.assert_allclose(out["sec_tb"][2].T, [[0, 0, 0, 0], [0, 0, 0.045, 0.015]], rtol=1e-12)
    np.testing.assert_allclose(out["sec_oxide"][2].T, [[0, 0, 0, 0], [0, 0, 7.5 * 0.18 / f_ox, 2.5 * 0.18 / f_ox]],
                               rtol=1e-12)
    # deal 0: no capacity, nothing recovered
    for k in ("sec_oxide", "sec_dy", "sec_tb"):
        assert not out[k][0].any(), k


def test_secondary_feed_nd_and_pr_apart():
    # one deal, everything recovered, Pr share 1: the oxide is all Pr6O11: processed · w_ndpr / PR;
    # Pr share 0: all Nd2O3, processed · w_ndpr / ND. draw 0's processed: [0, 0, 30, 70] (capacity not binding:
    # share 1 of 270 kt, ramp 0)
    one = np.ones((1, 1, 1))
    for p, f in ((1.0, PR), (0.0, ND)):
        inp = feed_inputs(recycling_share=one, recycling_ramp_years=0 * one, recycling_collection=0.8 * one,
                          recycling_recovery=one, pr_share=p * one)
        out = secondary_feed(inp, FEED_YEARS, MIX)
        assert out["sec_oxide"].shape == (1, 4, 2)
        np.testing.assert_allclose(out["sec_oxide"][0, :, 0], np.array([0, 0, 30, 70]) * 0.3 / f, rtol=1e-12)


def test_secondary_feed_keeps_the_last_paths():
    first = secondary_feed(feed_inputs(), FEED_YEARS, MIX)
    again = secondary_feed(feed_inputs(), FEED_YEARS, MIX, recover=False)
    assert again["eol"] is first["eol"] and again["use_stock"] is first["use_stock"]
    # another mix on the same demand is another path: all ev, one year
    ev = secondary_feed(feed_inputs(), FEED_YEARS, (("ev_4w", 1.0, "normal", 1.0, 1e-3),), recover=False)
    assert ev["eol"][0].T.tolist() == [[0, 0, 100, 200], [0, 0, 40, 0]]
    # another demand of the same bytes but another type is another path too
    ints = np.array([[[0, 0], [100, 40], [200, 0], [400, 80]]], dtype=np.int64)
    floats = ints.view(np.float64)  # the same bytes read as floats: tiny numbers (1e-322 and so on)
    secondary_feed(feed_inputs(demand=ints), FEED_YEARS, MIX, recover=False)
    tiny = secondary_feed(feed_inputs(demand=floats), FEED_YEARS, MIX, recover=False)
    assert tiny["use_stock"].max() < 1e-300
    # 8 paths are kept, the oldest leaves first: 8 more paths (demand 1 … 8 t a year) push out the first
    keep = {}
    for k in range(1, 9):
        keep[k] = secondary_feed(feed_inputs(demand=np.full((1, 4, 2), float(k))), FEED_YEARS, MIX, recover=False)
    assert len(recycling._IN_USE) == 8
    assert secondary_feed(feed_inputs(demand=np.full((1, 4, 2), 1.0)), FEED_YEARS, MIX, recover=False)["eol"] \
        is keep[1]["eol"]
    assert secondary_feed(feed_inputs(), FEED_YEARS, MIX, recover=False)["eol"] is not first["eol"]


def test_secondary_feed_parameters_broadcast_from_one_deal():
    # any parameter may name the deals, the others hold for every deal (deals or 1). Only the recovery names 2
    # deals; share 1 ramp 0: no binding capacity. Deal 0 recovers 0.5, deal 1 1.0:
    # draw 0's processed [0, 0, 30, 70] (0.8 · 0.5 of what leaves): Dy 0.04 of it × recovery
    one = np.ones((1, 1, 1))
    inp = feed_inputs(recycling_share=one, recycling_ramp_years=0 * one, recycling_collection=0.8 * one,
                      recycling_recovery=np.array([0.5, 1.0]).reshape(2, 1, 1))
    out = secondary_feed(inp, FEED_YEARS, MIX)
    assert out["sec_dy"].shape == (2, 4, 2)
    np.testing.assert_allclose(out["sec_dy"][:, :, 0], [[0, 0, 0.6, 1.4], [0, 0, 1.2, 2.8]], rtol=1e-12)
    # full capacity from 2025 on (ramp 0), 0 in 2024
    np.testing.assert_allclose(out["recycling_capacity"][:, :2, 0], [[0, 270_000], [0, 270_000]], rtol=1e-12)
    # only the ramp names 2 deals: 0 and 2 years, share 1e-4 (27 t at full), collected 0.8, recovered 0.9:
    # deal 0 has 27 t from mid-2025 on: draw 0's [0, 0, 30, 70] t → [0, 0, 27, 27] processed, draw 1's [0, 0, 12, 4] all;
    # deal 1's capacity [0, 6.75, 20.25, 27]: draw 0 [0, 0, 20.25, 27], draw 1 all. Dy: 0.04 · 0.9 = 0.036 of it
    inp = feed_inputs(recycling_share=1e-4 * one, recycling_ramp_years=np.array([0.0, 2.0]).reshape(2, 1, 1),
                      recycling_collection=0.8 * one, recycling_recovery=0.9 * one)
    out = secondary_feed(inp, FEED_YEARS, MIX)
    assert out["sec_dy"].shape == (2, 4, 2) and out["recycling_capacity"].shape == (2, 4, 2)
    np.testing.assert_allclose(out["sec_dy"][0].T, [[0, 0, 0.972, 0.972], [0, 0, 0.432, 0.144]], rtol=1e-12)
    np.testing.assert_allclose(out["sec_dy"][1].T, [[0, 0, 0.729, 0.972], [0, 0, 0.432, 0.144]], rtol=1e-12)


@pytest.mark.parametrize("kw, message", [
    # every deal's rates are checked, a deal without capacity too (deal 0 here)
    (dict(recycling_collection=by_year([1.5, 0.8, 0.5], 0.1, deals=3)), f"collection rate: 1.5 is not allowed; {SHARE}"),
    (dict(recycling_dismantling=by_year(-0.5, 0.25)), f"dismantling rate: -0.5 is not allowed; {SHARE}"),
    (dict(recycling_recovery=by_year([2.0, 0.9, 0.6], 0.1, deals=3)), f"recovery rate: 2.0 is not allowed; {SHARE}"),
    (dict(w_dy=1.5 * np.ones((1, 1, 1))), f"content of Dy (t Dy per t magnet): 1.5 is not allowed; {SHARE}"),
    (dict(w_tb=-0.25 * np.ones((1, 1, 1))), f"content of Tb (t Tb per t magnet): -0.25 is not allowed; {SHARE}"),
    # all NdPr, all Nd: 1.5 t Nd per t magnet; all Pr: 2 t Pr per t magnet
    (dict(w_ndpr=1.5 * np.ones((1, 1, 1)), pr_share=np.zeros((1, 1, 1))),
     f"content of Nd (t Nd per t magnet): 1.5 is not allowed; {SHARE}"),
    (dict(w_ndpr=2.0 * np.ones((1, 1, 1)), pr_share=np.ones((1, 1, 1))),
     f"content of Pr (t Pr per t magnet): 2.0 is not allowed; {SHARE}"),
    (dict(recycling_ramp_years=-2.0 * np.ones((1, 1, 1))),
     "recycling_ramp_years: -2.0 is not allowed; allowed: a number of years >= 0"),
    # −1 t of demand in 2024: ev's 0.75 of it is the first value refused
    (dict(demand=-DEMAND - 1), "magnets entering use: -0.75 t in 2024 is not allowed; allowed: a finite number ≥ 0"),
])
def test_secondary_feed_refusals(kw, message):
    refused(message, secondary_feed, feed_inputs(**kw), FEED_YEARS, MIX)


def test_secondary_feed_refuses_a_bad_mix():
    refused("recycling: no demand basis gives the end uses' mix (rekit.model.demand); recycling needs one",
            secondary_feed, feed_inputs(), FEED_YEARS, ())
    refused("recycling: the end uses' shares sum to 1.5; they must be >= 0 and sum to 1", secondary_feed,
            feed_inputs(), FEED_YEARS, (("ev_4w", 0.75, "normal", 1.0, 1e-3), ("wind", 0.75, "weibull", 2.0, 1000.0)))
    refused("recycling: the end uses' shares sum to 1.0; they must be >= 0 and sum to 1", secondary_feed,
            feed_inputs(), FEED_YEARS, (("ev_4w", 1.25, "normal", 1.0, 1e-3), ("wind", -0.25, "weibull", 2.0, 1000.0)))
    # the lifetime of the end uses of one kind, named together
    refused("lifetime of ev_4w, wind: normal lifetime mean -1.0 years is not allowed; allowed: a finite number above 0",
            secondary_feed, feed_inputs(), FEED_YEARS,
            (("ev_4w", 0.5, "normal", 1.0, 1e-3), ("wind", 0.5, "normal", -1.0, 1e-3)))


def test_secondary_feed_an_end_use_of_share_0():
    # wind gets nothing: all ev, leaving a year later
    out = secondary_feed(feed_inputs(), FEED_YEARS,
                         (("ev_4w", 1.0, "normal", 1.0, 1e-3), ("wind", 0.0, "weibull", 2.0, 1000.0)), recover=False)
    assert out["eol"][0].T.tolist() == [[0, 0, 100, 200], [0, 0, 40, 0]]


# ------------------------------------------------------------------------------------------------
# stocks_by_end_use
# ------------------------------------------------------------------------------------------------

def test_stocks_by_end_use_by_hand():
    # demand [100, 200, 400]: ev 0.75 [75, 150, 300] leaves a year later [0, 75, 150], in use [75, 150, 300];
    # wind 0.25 [25, 50, 100] leaves two years later [0, 0, 25], in use [25, 75, 150]
    t = stocks_by_end_use([100.0, 200.0, 400.0], [2025, 2026, 2027], MIX)
    assert list(t.columns) == ["end_use", "year", "inflow", "in_use", "end_of_life"]
    assert list(t.index) == [0, 1, 2, 3, 4, 5]
    assert t["end_use"].tolist() == ["ev_4w"] * 3 + ["wind"] * 3
    assert t["year"].tolist() == [2025, 2026, 2027] * 2
    assert t["inflow"].tolist() == [75, 150, 300, 25, 50, 100]
    assert t["in_use"].tolist() == [75, 150, 300, 25, 75, 150]
    assert t["end_of_life"].tolist() == [0, 75, 150, 0, 0, 25]


def test_stocks_by_end_use_refusals():
    refused("lifetime of wind: weibull lifetime shape 0.0 is not allowed; allowed: a finite number above 0",
            stocks_by_end_use, [1.0, 2.0], [2025, 2026], (("wind", 1.0, "weibull", 2.0, 0.0),))
    refused("magnets entering use (ev_4w): -1.0 t in 2026 is not allowed; allowed: a finite number ≥ 0",
            stocks_by_end_use, [1.0, -1.0], [2025, 2026], (("ev_4w", 1.0, "normal", 1.0, 1e-3),))


# ------------------------------------------------------------------------------------------------
# ndpr_chain
# ------------------------------------------------------------------------------------------------

def test_ndpr_chain_by_hand():
    # 1000 t magnet · 0.3 = 300 t NdPr; collected 0.5: 150; liberated 0.8: 120; capacity 1000 t magnet · 0.3 = 300:
    # 120 processed; recovered 0.9: 108; magnets made 200 t magnet · 0.3 = 60 t NdPr from it; 48 not used
    t = ndpr_chain(1000.0, 0.5, 0.8, 1000.0, 0.9, 0.3, 0.8, 200.0)
    assert list(t.columns) == ["from", "to", "t_ndpr", "t_ndpr_oxide"]
    assert list(zip(t["from"], t["to"], strict=True)) == [
        ("end-of-life magnets", "not collected"), ("end-of-life magnets", "collected"),
        ("collected", "lost in dismantling"), ("collected", "processed"), ("collected", "beyond recycling capacity"),
        ("processed", "recovered NdPr oxide"), ("processed", "process loss"),
        ("recovered NdPr oxide", "magnets made in India"), ("recovered NdPr oxide", "not used in India")]
    np.testing.assert_allclose(t["t_ndpr"], [150, 150, 30, 120, 0, 108, 12, 60, 48], rtol=1e-12, atol=1e-12)
    # as oxide (÷ 0.8) on the links into and out of the recovered oxide only: 135, 75, 60
    np.testing.assert_allclose(t["t_ndpr_oxide"], [np.nan] * 5 + [135, np.nan, 75, 60], rtol=1e-12)


def test_ndpr_chain_with_a_binding_capacity():
    # capacity 200 t magnet · 0.3 = 60 t NdPr of the 120 liberated: 60 beyond; recovered 0.9: 54; magnets made
    # 500 t · 0.3 = 150 t NdPr wanted, 54 there: 54 made, 0 not used
    t = ndpr_chain(1000.0, 0.5, 0.8, 200.0, 0.9, 0.3, 0.8, 500.0)
    np.testing.assert_allclose(t["t_ndpr"], [150, 150, 30, 60, 60, 54, 6, 54, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args, name", [
    ((1.5, 0.8, 0.9, 0.3), "collection"), ((0.5, -0.8, 0.9, 0.3), "dismantling"), ((0.5, 0.8, 1.9, 0.3), "recovery"),
    ((0.5, 0.8, 0.9, 2.5), "w_ndpr"),
])
def test_ndpr_chain_refusals(args, name):
    collection, dismantling, recovery, w_ndpr = args
    given = {"collection": 1.5, "dismantling": -0.8, "recovery": 1.9, "w_ndpr": 2.5}[name]
    refused(f"{name}: {given} is not allowed; {SHARE}", ndpr_chain, 1000.0, collection, dismantling, 1000.0, recovery,
            w_ndpr, 0.8, 200.0)


def test_scheme_is_unchanged():
    assert RECYCLING_SCHEME.years == (2025, 2031) and RECYCLING_SCHEME.expected_capacity_kt == 270.0
