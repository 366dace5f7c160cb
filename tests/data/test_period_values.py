"""Periods at their edges: the first and last allowed year and month, the exact messages, the basis.

Each case here was written against a mutant of rekit/data/periods.py that the broader tests in
test_periods.py let through (tools/mutation.py): a bound moved by one, a month read for a day,
the text of the period lost, an error message without the value it names.
"""

from datetime import date

import pytest

from rekit.data.periods import FIRST_YEAR, LAST_YEAR, PeriodError, basis, parse_period


@pytest.mark.parametrize("text", ["1900", "2100", "FY1900-01", "FY2100-01", "1900-01", "2100-12", "1900-01-01", "2100-12-31"])
def test_the_first_and_last_allowed_years_parse(text):
    assert (FIRST_YEAR, LAST_YEAR) == (1900, 2100)
    assert parse_period(text).text == text


@pytest.mark.parametrize(
    "text, message",
    [
        ("1899", "'1899': year 1899 is outside 1900-2100"),
        ("2101", "'2101': year 2101 is outside 1900-2100"),
        ("FY1899-00", "'FY1899-00': year 1899 is outside 1900-2100"),
        ("2101-01", "'2101-01': year 2101 is outside 1900-2100"),
        # a date's year is checked inside the calendar-date check, which quotes its reason
        ("0000-01-01", "'0000-01-01': not a calendar date ('0000-01-01': year 0000 is outside 1900-2100)"),
        # a fiscal year starting in 2024 ends in March 2025: FY2024-25
        ("FY2024-26", "'FY2024-26': a fiscal year runs April 2024 to March 2025, so it is FY2024-25"),
        ("2025-00", "'2025-00': month 0 is not 01 to 12"),
        ("2025-13", "'2025-13': month 13 is not 01 to 12"),
    ],
)
def test_each_refusal_names_the_text_and_the_value(text, message):
    with pytest.raises(PeriodError) as info:
        parse_period(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2025-01", date(2025, 1, 1), date(2025, 1, 31)),     # the first month is allowed
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),   # and the last
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),     # 2023 is not a leap year: 28 days
        ("2025-04-07", date(2025, 4, 7), date(2025, 4, 7)),   # month 4 and day 7 are not confused
        ("2025-11-03", date(2025, 11, 3), date(2025, 11, 3)),
    ],
)
def test_months_and_days(text, start, end):
    p = parse_period(text)
    assert (p.text, p.start, p.end) == (text, start, end)


@pytest.mark.parametrize("text, kind", [("2024", "year"), ("FY2024-25", "fiscal_year"), ("2025-06", "month"),
                                        ("2025-04-04", "date"), ("2009/2014", "interval")])
def test_the_period_keeps_its_own_text(text, kind):
    p = parse_period(f"  {text} ")  # surrounding spaces are dropped
    assert (p.text, p.kind) == (text, kind)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("FY2024-25", "fiscal"),
        ("FY2022-23/FY2024-25", "fiscal"),
        ("2024", "calendar"),
        ("2009/2014", "calendar"),
        ("2025-06", "calendar"),
        ("2025-04-04", "calendar"),
    ],
)
def test_basis(text, expected):
    assert basis(parse_period(text)) == expected


def test_mid_year_in_a_common_and_a_leap_year():
    # 2025: 1 January + 364 days / 2 = 2 July 2025, day 183 of 365 -> 2025 + 182/365 = 2025.49863
    assert parse_period("2025").mid_year == pytest.approx(2025 + 182 / 365, abs=1e-12)
    # 2024: 1 January + 365 days / 2 = 1 July 2024 12:00 -> day 183 of 366 -> 2024 + 182/366 = 2024.49727
    assert parse_period("2024").mid_year == pytest.approx(2024 + 182 / 366, abs=1e-12)
