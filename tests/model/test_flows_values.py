"""check_balance with hand-made residuals: the tolerance, its floor, NaN, and the cell it names."""

from __future__ import annotations

import numpy as np
import pytest

from rekit.model.flows import FLOWS, PROCESSES, STOCKS, MassBalanceError, check_balance

NAMES = ["a", "b"]
YEARS = [2024, 2025, 2026]


def zeros():
    return np.zeros((2, 3, 4))  # deal x year x draw


def test_zero_and_small_residuals_pass():
    r = zeros()
    r[1, 2, 3] = 0.9e-3  # within 1e-3 * max(1, 1) = 1e-3
    check_balance({("oxide", "Nd"): zeros(), ("use", "Pr"): r}, NAMES, YEARS, scale=1.0, rtol=1e-3)


def test_a_residual_exactly_at_the_tolerance_passes_and_just_above_fails():
    r = zeros()
    r[0, 0, 0] = 0.5  # tol = 1e-3 * 500 t = 0.5 t: |0.5| <= 0.5 passes
    check_balance({("oxide", "Nd"): r}, NAMES, YEARS, scale=500.0, rtol=1e-3)
    r[0, 0, 0] = 0.5001
    with pytest.raises(MassBalanceError, match="fails by 0.5 t"):
        check_balance({("oxide", "Nd"): r}, NAMES, YEARS, scale=500.0, rtol=1e-3)


def test_the_tolerance_scales_with_the_largest_flow():
    r = zeros()
    r[0, 1, 2] = 2.0  # tol = 1e-3 * 4000 t = 4 t: passes; at scale 1000 t, tol = 1 t: fails
    check_balance({("magnets", "Dy"): r}, NAMES, YEARS, scale=4000.0, rtol=1e-3)
    with pytest.raises(MassBalanceError):
        check_balance({("magnets", "Dy"): r}, NAMES, YEARS, scale=1000.0, rtol=1e-3)


def test_the_tolerance_has_a_floor_of_rtol_times_one_tonne():
    r = zeros()
    r[0, 0, 0] = 0.8e-3  # scale 0.01 t, but tol = 1e-3 * max(1, 0.01) = 1e-3 t: passes
    check_balance({("oxide", "Nd"): r}, NAMES, YEARS, scale=0.01, rtol=1e-3)
    r[0, 0, 0] = 1.2e-3  # above the floor: fails
    with pytest.raises(MassBalanceError):
        check_balance({("oxide", "Nd"): r}, NAMES, YEARS, scale=0.01, rtol=1e-3)


def test_the_default_rtol_is_one_in_a_billion():
    r = zeros()
    r[0, 0, 0] = 0.9  # default tol = 1e-9 * 1e9 t = 1 t
    check_balance({("oxide", "Nd"): r}, NAMES, YEARS, scale=1e9)
    r[0, 0, 0] = 1.1
    with pytest.raises(MassBalanceError):
        check_balance({("oxide", "Nd"): r}, NAMES, YEARS, scale=1e9)


def test_a_negative_residual_fails_like_a_positive_one():
    r = zeros()
    r[1, 1, 0] = -3.0
    with pytest.raises(MassBalanceError, match="fails by -3 t"):
        check_balance({("partner", "Tb"): r}, NAMES, YEARS, scale=10.0, rtol=1e-3)


def test_nan_fails():
    r = zeros()
    r[0, 2, 1] = np.nan
    with pytest.raises(MassBalanceError, match="deal 'a', year 2026, element Nd: mass balance of process 'reduction' fails by nan t"):
        check_balance({("reduction", "Nd"): r}, NAMES, YEARS, scale=1.0)


def test_the_message_names_the_first_failing_deal_year_and_process_word_for_word():
    r = zeros()
    r[1, 2, 3] = 12345.0  # deal 'b', year 2026; .3g of 12345 is 1.23e+04
    r[1, 1, 2] = 0.25  # deal 'b', year 2025: first in (deal, year, draw) order
    msg = "deal 'b', year 2025, element Pr: mass balance of process 'use' fails by 0.25 t"
    with pytest.raises(MassBalanceError) as caught:
        check_balance({("oxide", "Nd"): zeros(), ("use", "Pr"): r}, NAMES, YEARS, scale=1.0, rtol=1e-3)
    assert str(caught.value) == msg
    r[1, 1, 2] = 0.0
    with pytest.raises(MassBalanceError) as caught:
        check_balance({("use", "Pr"): r}, NAMES, YEARS, scale=1.0, rtol=1e-3)
    assert str(caught.value) == "deal 'b', year 2026, element Pr: mass balance of process 'use' fails by 1.23e+04 t"


def test_a_mass_balance_error_is_a_value_error():
    assert issubclass(MassBalanceError, ValueError)


def test_every_flow_and_stock_joins_named_processes():
    for f in FLOWS:
        assert f.origin in PROCESSES and f.target in PROCESSES and f.origin != f.target, f
    for s in STOCKS:
        assert s.process in PROCESSES, s
    assert len({f.name for f in FLOWS}) == len(FLOWS) == 19  # 18, and the flow to Toyotsu Rare Earths India (data 0.5.0)
