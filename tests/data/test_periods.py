"""Periods: calendar and fiscal years are never confused."""

from datetime import date

import pytest

from rekit.data.periods import PeriodError, fiscal_year, parse_period


@pytest.mark.parametrize(
    "text, kind, start, end",
    [
        ("2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("FY2024-25", "fiscal_year", date(2024, 4, 1), date(2025, 3, 31)),
        ("FY1999-00", "fiscal_year", date(1999, 4, 1), date(2000, 3, 31)),
        ("2025-06", "month", date(2025, 6, 1), date(2025, 6, 30)),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-04-04", "date", date(2025, 4, 4), date(2025, 4, 4)),
        ("2009/2014", "interval", date(2009, 1, 1), date(2014, 12, 31)),
        ("2025-04/2025-09", "interval", date(2025, 4, 1), date(2025, 9, 30)),
        ("FY2022-23/FY2024-25", "interval", date(2022, 4, 1), date(2025, 3, 31)),
    ],
)
def test_parse(text, kind, start, end):
    p = parse_period(text)
    assert (p.kind, p.start, p.end) == (kind, start, end)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("FY2024-26", "FY2024-25"),
        ("FY24-25", "is not a year"),
        ("2025-13", "month 13"),
        ("2025-02-30", "not a calendar date"),
        ("2026/2024", "ends before it starts"),
        ("", "empty period"),
        ("Q1 2025", "is not a year"),
    ],
)
def test_bad_periods_say_what_is_allowed(text, fragment):
    with pytest.raises(PeriodError, match=fragment):
        parse_period(text)


def test_fiscal_year_label():
    assert fiscal_year(2025) == "FY2025-26"
    assert parse_period(fiscal_year(2025)).start == date(2025, 4, 1)


def test_mid_year_of_fiscal_year_is_later_than_calendar():
    assert parse_period("FY2024-25").mid_year > parse_period("2024").mid_year
