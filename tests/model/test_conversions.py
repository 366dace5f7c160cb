"""Calendar rules of the model: the share of a year before a date (leap and common years) and the
fiscal-to-calendar split."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from rekit.model.conversions import (element_in_oxide, fiscal_to_calendar, nd2o3_to_nd, nd_to_nd2o3, ndpr_oxide_split,
                                     year_fraction_before)


@pytest.mark.parametrize(
    "date, year, before",
    [
        # 2024 is a leap year: 1 January to 29 February is 31 + 29 = 60 days, so 306 of 366 are left
        ("2024-03-01", 2024, 60 / 366),
        # 2025 is not: 31 + 28 = 59 days before 1 March, 306 of 365 left
        ("2025-03-01", 2025, 59 / 365),
        # 13 June 2025: 31 + 28 + 31 + 30 + 31 + 12 = 163 days before it
        ("2025-06-13", 2025, 163 / 365),
        # 31 December 2024: 365 of 2024's 366 days lie before it
        ("2024-12-31", 2024, 365 / 366),
        ("2025-01-01", 2025, 0.0),   # on the first day: nothing before
        ("2026-01-01", 2025, 1.0),   # the next year's first day: the whole year before
        ("2025-06-13", 2024, 1.0),   # a later year's date: all of 2024 lies before it
        ("2025-06-13", 2026, 0.0),   # an earlier year's date: none of 2026 does
    ],
)
def test_share_of_a_year_before_a_date(date, year, before):
    assert year_fraction_before(date, year) == pytest.approx(before, abs=1e-15)
    assert year_fraction_before(dt.date.fromisoformat(date), year) == pytest.approx(before, abs=1e-15)


def test_the_share_left_in_leap_and_common_years():
    assert 1 - year_fraction_before("2024-03-01", 2024) == pytest.approx(306 / 366, abs=1e-15)
    assert 1 - year_fraction_before("2025-03-01", 2025) == pytest.approx(306 / 365, abs=1e-15)


def test_fiscal_to_calendar():
    # CY2025 = 0.25 * FY2024-25 + 0.75 * FY2025-26 = 0.25 * 400 + 0.75 * 800 = 100 + 600 = 700
    assert fiscal_to_calendar(400.0, 800.0) == 700.0
    np.testing.assert_allclose(fiscal_to_calendar(np.array([0.0, 400.0]), np.array([100.0, 0.0])), [75.0, 100.0])


def test_oxide_and_metal_round_trip():
    # 100 t Nd2O3 hold 100 * 288.484 / 336.481 = 85.736 t Nd
    assert nd2o3_to_nd(100.0) == pytest.approx(100 * 288.484 / 336.481)
    assert nd_to_nd2o3(85.736) == pytest.approx(85.736 * 336.481 / 288.484)


@pytest.mark.parametrize(
    "element, expected",
    [
        ("Nd", 288.484 / 336.481),           # Nd2O3: 2 x 144.242 / (2 x 144.242 + 3 x 15.999) = 0.85736
        ("Pr", 845.44596 / 1021.43496),      # Pr6O11: 6 x 140.90766 / (6 x 140.90766 + 11 x 15.999) = 0.82770
        ("Dy", 325.0 / 372.997),             # Dy2O3: 2 x 162.5 / (2 x 162.5 + 3 x 15.999) = 0.87132
        ("Tb", 635.701416 / 747.694416),     # Tb4O7: 4 x 158.925354 / (4 x 158.925354 + 7 x 15.999) = 0.85022
    ],
)
def test_element_in_its_oxide(element, expected):
    assert element_in_oxide(element) == pytest.approx(expected, rel=1e-12)


def test_the_named_factors_are_the_elements_in_their_oxides():
    from rekit.model import conversions as c

    # the same hand-worked ratios as above, to 4 digits: 0.8574, 0.8277, 0.8713, 0.8502
    assert [round(f, 4) for f in (c.ND_PER_ND2O3, c.PR_PER_PR6O11, c.DY_PER_DY2O3, c.TB_PER_TB4O7)] == \
        [0.8574, 0.8277, 0.8713, 0.8502]
    assert c.ND_PER_ND2O3 == pytest.approx(288.484 / 336.481, rel=1e-12)
    assert c.PR_PER_PR6O11 == pytest.approx(845.44596 / 1021.43496, rel=1e-12)


def test_ndpr_oxide_split():
    # 22% Pr6O11 by mass: Nd 0.78 x 0.85736 = 0.66874 t, Pr 0.22 x 0.82770 = 0.18209 t per t oxide
    nd, pr = ndpr_oxide_split(0.22)
    assert nd == pytest.approx(0.78 * 288.484 / 336.481, rel=1e-12)
    assert pr == pytest.approx(0.22 * 845.44596 / 1021.43496, rel=1e-12)
    # all Nd2O3, all Pr6O11
    assert ndpr_oxide_split(0.0) == pytest.approx((288.484 / 336.481, 0.0))
    assert ndpr_oxide_split(1.0) == pytest.approx((0.0, 845.44596 / 1021.43496))
