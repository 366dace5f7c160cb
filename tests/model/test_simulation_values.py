"""The model's small functions against values worked by hand: quantiles of sorted draws, the years and
values a run accepts, overrides, the scheme's ramp and capacity, the year shift, the negative-flow check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rekit.model.deals import PARAMS, Deal, Param
from rekit.model.flows import MassBalanceError
from rekit.model.quantities import Quantity, Schedule
from rekit.model.simulation import (
    NONNEGATIVE, SCHEME_BIDS_OPENED, ModelError, NegativeFlowError, _prev, _yr, apply_overrides, canonical,
    check_metrics, check_nonnegative, check_value, check_years, ramp_integral, scheme_capacity, sorted_quantiles,
)


# --- names --------------------------------------------------------------------------------------

def test_canonical_maps_the_old_names_and_leaves_the_others():
    assert canonical("self_sufficiency") == "own_feedstock_coverage"
    assert canonical("ssr_magnet") == "magnet_self_sufficiency"
    assert canonical("ssr_oxide") == "ssr_oxide"


def test_check_metrics_returns_the_names_and_refuses_an_unknown_one():
    assert check_metrics(iter(["ssr_oxide", "exports"])) == ["ssr_oxide", "exports"]
    with pytest.raises(ModelError) as caught:
        check_metrics(["exports", "ssr_oxyde"])
    assert str(caught.value).startswith("metric 'ssr_oxyde' is not known (did you mean 'ssr_oxide'?); allowed: production, exports, ")
    with pytest.raises(ModelError) as caught:
        check_metrics(["qqqq"])
    assert str(caught.value).startswith("metric 'qqqq' is not known; allowed: production, exports, ")


# --- quantiles ----------------------------------------------------------------------------------

def test_sorted_quantiles_interpolate_linearly_between_order_statistics():
    draws = np.array([[0.0, 10.0, 20.0, 30.0, 40.0], [1.0, 2.0, 3.0, 4.0, 5.0]])  # n = 5: position q * 4
    out = sorted_quantiles(draws, [0.0, 0.1, 0.5, 0.875, 1.0])
    assert out.shape == (5, 2)
    # q 0.1: position 0.4, 0 * 0.6 + 10 * 0.4 = 4 (and 1 * 0.6 + 2 * 0.4 = 1.4); q 0.875: position 3.5, 35 (4.5)
    np.testing.assert_allclose(out[:, 0], [0.0, 4.0, 20.0, 35.0, 40.0])
    np.testing.assert_allclose(out[:, 1], [1.0, 1.4, 3.0, 4.5, 5.0])
    np.testing.assert_allclose(out, np.quantile(draws, [0.0, 0.1, 0.5, 0.875, 1.0], axis=-1))  # numpy's linear method


def test_sorted_quantiles_of_one_draw_is_that_draw():
    np.testing.assert_allclose(sorted_quantiles(np.array([7.0]), [0.05, 0.5, 0.95]), [7.0, 7.0, 7.0])


# --- years and values ---------------------------------------------------------------------------

def test_check_years_gives_the_years_inclusive_within_2024_2050():
    assert check_years(2024, 2026).tolist() == [2024, 2025, 2026]
    assert check_years(2050, 2050).tolist() == [2050]
    assert len(check_years(2024, 2050)) == 27  # 2050 - 2024 + 1


@pytest.mark.parametrize("start, end, message", [
    (2030, 2029, "years: 2030-2029 is reversed; write START-END with START <= END"),
    (2023, 2030, "years: 2023-2030 is outside the data's reach, 2024-2050"),
    (2030, 2051, "years: 2030-2051 is outside the data's reach, 2024-2050"),
])
def test_check_years_refuses_reversed_and_out_of_reach(start, end, message):
    with pytest.raises(ModelError) as caught:
        check_years(start, end)
    assert str(caught.value) == message


OPEN = Param("ratio", ("ratio",), 0, 1, True, "a yield")
CLOSED = Param("t", ("mass",), 2, 10, False, "a mass")
UNBOUNDED = Param("t magnet/yr", ("mass",), 0, float("inf"), False, "a capacity")


def test_check_value_accepts_numbers_within_the_bounds_as_floats():
    for value, p, expected in [(1, OPEN, 1.0), (0.5, OPEN, 0.5), (2, CLOSED, 2.0), (10.0, CLOSED, 10.0),
                               (np.int64(3), CLOSED, 3.0), (np.float32(0.25), OPEN, 0.25)]:
        got = check_value("k", value, p)
        assert got == expected and type(got) is float


@pytest.mark.parametrize("value, p, message", [
    (0, OPEN, "k: 0 is outside (0, 1] (a yield)"),
    (1.5, OPEN, "k: 1.5 is outside (0, 1] (a yield)"),
    (1.999, CLOSED, "k: 1.999 is outside [2, 10] (a mass)"),
    (10.01, CLOSED, "k: 10.01 is outside [2, 10] (a mass)"),
    (True, CLOSED, "k: True is not a number"),
    ("3", CLOSED, "k: '3' is not a number"),
    (None, CLOSED, "k: None is not a number"),
    (float("nan"), CLOSED, "k: nan is not a number"),
    (float("inf"), UNBOUNDED, "k: inf is not a finite number"),  # within [0, inf]; 0 x inf = nan in the model
    (-np.inf, UNBOUNDED, "k: -inf is not a finite number"),
])
def test_check_value_refuses_what_is_out_of_bounds_or_not_a_number(value, p, message):
    with pytest.raises(ModelError) as caught:
        check_value("k", value, p)
    assert str(caught.value) == message


# --- overrides ----------------------------------------------------------------------------------

def a_deal(**extra) -> Deal:
    q = Quantity(0.9, 0.8, 1.0, "ratio", "assumption: x")
    return Deal("d", "a deal", ("a",), "jp", {"export": None}, "export", {"eta_metal": Schedule.constant(q)},
                2025, "file", "2027-01-01", "2028-03-01", "ev1", **extra)


def test_no_overrides_give_the_deal_itself():
    d = a_deal()
    assert apply_overrides(d, None) is d and apply_overrides(d, {}) is d


def test_an_override_fixes_the_parameter_as_a_point_from_the_user():
    d = a_deal()
    out = apply_overrides(d, {"eta_metal": 0.95, "w_dy": 0})
    assert out.params["eta_metal"] == Schedule.constant(Quantity.point(0.95, "ratio", "user override"))
    assert out.params["w_dy"] == Schedule.constant(Quantity.point(0.0, "ratio", "user override"))
    assert d.params["eta_metal"].quantities[0].value == 0.9  # the deal given is left alone
    assert (out.name, out.description, out.assumptions, out.partner, out.shares, out.rest) == \
        ("d", "a deal", ("a",), "jp", {"export": None}, "export")
    assert (out.demand_base_year, out.origin, out.export_halt, out.shock_start, out.shock_event) == \
        (2025, "file", "2027-01-01", "2028-03-01", "ev1")


def test_an_override_keeps_every_other_field_of_the_deal():
    d = a_deal(partner_plants=(("jp", "p1"),), shock_events=("ev1", "ev2"), export_halt_latest="2028-01-01")
    out = apply_overrides(d, {"eta_metal": 0.95})
    assert (out.partner_plants, out.shock_events, out.export_halt_latest) == ((("jp", "p1"),), ("ev1", "ev2"), "2028-01-01")


def test_an_override_is_checked_like_the_file():
    with pytest.raises(ModelError) as caught:
        apply_overrides(a_deal(), {"eta_metl": 0.9})
    assert str(caught.value).startswith("override 'eta_metl': not a deal parameter (did you mean 'eta_metal'?); allowed: eta_metal, ")
    with pytest.raises(ModelError) as caught:
        apply_overrides(a_deal(), {"zzzzzz": 0.9})
    assert str(caught.value).startswith("override 'zzzzzz': not a deal parameter; allowed: eta_metal, ")
    with pytest.raises(ModelError) as caught:
        apply_overrides(a_deal(), {"eta_metal": 0})
    assert str(caught.value) == f"eta_metal: 0 is outside (0, 1] ({PARAMS['eta_metal'].doc})"


# --- the scheme's ramp and capacity -------------------------------------------------------------

def test_ramp_integral_by_hand():
    # first 0, ramp 2 years: y^2 / 4 up to y = 2, then 1 + (y - 2)
    np.testing.assert_allclose(ramp_integral(np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 5.5]), 0.0, 2.0),
                               [0.0, 0.0, 0.25, 1.0, 2.0, 4.5])
    # shifted: first 2030, ramp 4: at 2032 y = 2, 4 / 8 = 0.5; at 2036 y = 6, 2 + 2 = 4
    np.testing.assert_allclose(ramp_integral(np.array([2029.0, 2032.0, 2036.0]), 2030.0, 4.0), [0.0, 0.5, 4.0])
    # ramp 0 is a step: the integral of 1 beyond `first`
    np.testing.assert_allclose(ramp_integral(np.array([0.5, 1.0, 2.5]), 1.0, 0.0), [0.0, 0.0, 1.5])
    # a ramp per draw (broadcast): ramps 1 and 4 at y = 2: 1/2 + 1 = 1.5; 4 / 8 = 0.5
    np.testing.assert_allclose(ramp_integral(2.0, 0.0, np.array([1.0, 4.0])), [1.5, 0.5])
    # a ramp shorter than a year, 0.5: at y = 0.25, 0.0625 / 1 = 0.0625; at y = 1, 0.25 + 0.5 = 0.75
    np.testing.assert_allclose(ramp_integral(np.array([0.25, 1.0]), 0.0, 0.5), [0.0625, 0.75])


def test_ramp_integral_gives_floats_for_any_real_numbers():
    from fractions import Fraction

    # first 0, ramp 2, x 3: 2^2 / 4 + 1 = 2 (exact inputs, a float out)
    for out in (ramp_integral(Fraction(3), 0, 2), ramp_integral(3, 0, Fraction(2)), ramp_integral([3, 1], 0, [2, 2]),
                ramp_integral([Fraction(3), Fraction(1)], 0, 2), ramp_integral([3.0, 1.0], 0, [Fraction(2), Fraction(2)])):
        assert np.asarray(out).dtype == np.float64
    np.testing.assert_allclose(ramp_integral([3, 1], 0, [2, 2]), [2.0, 0.25])


def test_scheme_capacity_by_hand():
    yrs = np.array([2026, 2027, 2028])
    first = 2027 - SCHEME_BIDS_OPENED  # years from the bids (30 June 2026) to 1 January 2027
    col = lambda *v: np.array(v, dtype=float).reshape(-1, 1, 1)  # noqa: E731 - one value per deal
    # deal 0: 1.6 -> 2 plants, 0.6 -> 1 of them on IREL's oxide; deal 1: no plant
    ox, other = scheme_capacity(
        yrs, col(1.6, 0.0), col(0.6, 0.0),
        allocation=[col(1000, 1000), col(500, 500), col(999, 999)],
        first_sale=[col(first, first), col(first, first), col(first, first)],
        ramp=[col(0, 0), col(1, 1), col(0, 0)],
        utilisation=[col(0.8, 0.8), col(0.5, 0.5), col(1, 1)])
    assert ox.shape == other.shape == (2, 3, 1)
    # plant 1 (oxide): a step on 1 January 2027, 1000 t x 0.8 = 800 t a year from 2027
    np.testing.assert_allclose(ox[0, :, 0], [0.0, 800.0, 800.0])
    # plant 2 (own oxide): ramp of a year from 2027: mean 1/2 in 2027, 1 after; 500 x 0.5 = 250 t at full ramp
    np.testing.assert_allclose(other[0, :, 0], [0.0, 125.0, 250.0])
    # the third slot has no plant (2 plants), the second deal none at all
    assert not ox[1].any() and not other[1].any()


def test_scheme_capacity_with_no_plant_anywhere_is_zero():
    z = np.zeros((2, 1, 1))
    ox, other = scheme_capacity(np.array([2026, 2027]), z, z, [z + 900], [z], [z], [z + 1])
    assert ox.shape == other.shape == (2, 2, 1) and not ox.any() and not other.any()


# --- arrays and the negative-flow check ---------------------------------------------------------

def test_prev_shifts_one_year_later_with_the_year_before_first():
    a = np.arange(12.0).reshape(2, 3, 2)  # deal x year x draw
    out = _prev(a, np.array([[100.0, 101.0], [102.0, 103.0]]))
    np.testing.assert_array_equal(out[0], [[100, 101], [0, 1], [2, 3]])
    np.testing.assert_array_equal(out[1], [[102, 103], [6, 7], [8, 9]])
    np.testing.assert_array_equal(_prev(a, np.array(-1.0))[:, 0], [[-1, -1], [-1, -1]])  # a scalar for every deal and draw


def test_yr_reads_one_year_of_an_array():
    a = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(_yr(a, 1), [[2, 3], [8, 9]])
    two = np.arange(8.0).reshape(2, 2, 2)  # two years: year 1 is the second
    np.testing.assert_array_equal(_yr(two, 1), [[2, 3], [6, 7]])
    one = np.arange(4.0).reshape(2, 1, 2)  # one year: every year's value
    np.testing.assert_array_equal(_yr(one, 2), [[0, 1], [2, 3]])
    flat = np.array([[5.0, 6.0]])  # (D, N) already
    np.testing.assert_array_equal(_yr(flat, 0), flat)
    assert _yr(3.0, 1) == 3.0


def nonnegative_flows():
    return {k: np.zeros((2, 3, 2)) for k in NONNEGATIVE}


def test_check_nonnegative_tolerates_rounding_below_zero():
    fl = nonnegative_flows()
    fl["G"][1, 2, 1] = -0.9e-6  # tolerance 1e-9 x 1000 t = 1e-6 t
    check_nonnegative(fl, ["a", "b"], [2024, 2025, 2026], scale=1000.0)
    fl["G"][1, 2, 1] = -1e-9 * 1000.0  # exactly at the tolerance: still accepted
    check_nonnegative(fl, ["a", "b"], [2024, 2025, 2026], scale=1000.0)


def test_check_nonnegative_names_the_first_negative_flow_deal_year_and_draw():
    fl = nonnegative_flows()
    fl["G"][1, 2, 1] = -1.1e-6
    fl["shortfall"][0, 0, 0] = -5.0  # later in NONNEGATIVE's order than G
    with pytest.raises(NegativeFlowError) as caught:
        check_nonnegative(fl, ["a", "b"], [2024, 2025, 2026], scale=1000.0)
    assert str(caught.value) == "deal 'b', year 2026: flow 'G' is negative (-1.1e-06 t in draw 1); every flow must be >= 0"
    assert isinstance(caught.value, MassBalanceError) and isinstance(caught.value, ModelError)
    fl["G"][1, 2, 1] = 0.0
    fl["shortfall"][0, 1, 0] = math.nan
    with pytest.raises(NegativeFlowError, match="deal 'a', year 2024: flow 'shortfall' is negative \\(-5 t in draw 0\\)"):
        check_nonnegative(fl, ["a", "b"], [2024, 2025, 2026], scale=1.0)
    fl["shortfall"][0, 0, 0] = 0.0
    with pytest.raises(NegativeFlowError, match="deal 'a', year 2025: flow 'shortfall' is negative \\(nan t in draw 0\\)"):
        check_nonnegative(fl, ["a", "b"], [2024, 2025, 2026], scale=1.0)


# --- the metrics' mapping and the deals' stack --------------------------------------------------

def test_arrays_read_an_old_name_as_its_metric_once():
    from rekit.model.simulation import METRICS, Arrays

    fl = {"c_nd": np.array(0.6), "u1": np.zeros((1, 2, 1)), "u2": np.zeros((1, 2, 1)), "q": np.array(2.0),
          "demand": np.array([100.0, 200.0]).reshape(1, 2, 1), "G": np.array([25.0, 150.0]).reshape(1, 2, 1)}
    arrays = Arrays(fl)
    # G / D: 25 / 100 = 0.25, 150 / 200 = 0.75
    np.testing.assert_allclose(arrays["ssr_magnet"][0, :, 0], [0.25, 0.75])
    assert arrays["ssr_magnet"] is arrays["magnet_self_sufficiency"]  # computed once, the alias reads the same array
    assert len(arrays) == len(METRICS) and list(arrays) == list(METRICS)
    with pytest.raises(KeyError) as caught:
        arrays["not_a_metric"]
    assert caught.value.args == ("not_a_metric",)


def test_stack_gives_deal_year_draw_with_axes_only_where_needed():
    from rekit.model.simulation import _stack

    parts = {"a": np.array([[1.0]]), "b": np.arange(6.0).reshape(3, 2)}  # (1, 1) and (years 3, draws 2)
    out = _stack(["a", "b"], lambda d: parts[d])
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[0], np.ones((3, 2)))
    np.testing.assert_array_equal(out[1], parts["b"])
    shared = np.array([[5.0, 6.0]])
    same = _stack(["a", "b", "c"], lambda d: shared)  # one shared draw: a view of it for every deal
    assert same.shape == (3, 1, 2) and np.shares_memory(same, shared)
    np.testing.assert_array_equal(same[2], shared)


def test_div_is_zero_where_the_divisor_is_and_broadcasts_both_ways():
    from rekit.model.simulation import _div

    out = _div(np.array([[1.0], [2.0]]), np.array([2.0, 0.0, 4.0]))  # (2, 1) over (3,): (2, 3)
    np.testing.assert_array_equal(out, [[0.5, 0.0, 0.25], [1.0, 0.0, 0.5]])
    out = _div(np.array([3.0, 6.0]), np.array([[3.0], [0.0]]))  # (2,) over (2, 1): (2, 2)
    np.testing.assert_array_equal(out, [[1.0, 2.0], [0.0, 0.0]])


def test_stack_of_one_deal():
    from rekit.model.simulation import _stack

    part = np.array([[1.0, 2.0]])
    out = _stack(["only"], lambda d: part)
    assert out.shape == (1, 1, 2)
    np.testing.assert_array_equal(out[0], part)


def test_scheme_capacity_by_year_and_draw_for_the_second_deal():
    """Deal 0 has no plant; deal 1 has one (rint 1.2 = 1) and two oxide beneficiaries, more than its plants: only
    the plant counts. Its allocation is given by year (1000, 1000, 600 t), its utilisation by draw (0.5, 1):
    a step on 1 January 2027, so K = allocation x utilisation from 2027, nothing in 2026."""
    yrs = np.array([2026, 2027, 2028])
    first = np.full((2, 1, 1), 2027 - SCHEME_BIDS_OPENED)
    plants = np.array([[[0.0, 0.0]], [[1.2, 0.8]]])  # (D, 1, N = 2): rint gives 1 plant in either draw
    ox_plants = np.array([[[0.0, 0.0]], [[2.0, 2.0]]])  # (D, 1, N = 2)
    alloc = np.array([1000.0, 1000.0, 600.0]).reshape(1, 3, 1)  # by year, the same for both deals
    util = np.array([0.5, 1.0]).reshape(1, 1, 2)  # by draw
    ox, other = scheme_capacity(yrs, plants, ox_plants, [alloc, alloc], [first, first], [np.zeros((1, 1, 1))] * 2,
                                [util, util])
    assert ox.shape == other.shape == (2, 3, 2)
    assert not ox[0].any() and not other.any()
    np.testing.assert_allclose(ox[1], [[0.0, 0.0], [500.0, 1000.0], [300.0, 600.0]])  # 1000 x 0.5, 1000 x 1; 600 x 0.5, 600 x 1


def test_scheme_capacity_of_a_single_year():
    # one plant, a step on 1 January 2027: 1000 t x 0.8 in 2027 (the year's own integral, 1, not two years')
    first = np.full((1, 1, 1), 2027 - SCHEME_BIDS_OPENED)
    one = np.ones((1, 1, 1))
    ox, other = scheme_capacity(np.array([2027]), one, one, [one * 1000], [first], [one * 0], [one * 0.8])
    assert ox.shape == (1, 1, 1) and ox[0, 0, 0] == pytest.approx(800.0) and other[0, 0, 0] == 0.0
