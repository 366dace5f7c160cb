"""Periods as the data writes them: calendar year, Indian fiscal year, month, date, or an interval.

`2024` is January to December 2024; `FY2024-25` is the Indian fiscal year, April 2024 to
March 2025; `2025-06` a month; `2025-04-04` a day; `START/END` an interval of those forms
(`2009/2014`, `2025-04/2025-09`). Fiscal and calendar years are never confused: each
period parses to its first and last day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rekit.errors import RekitError

FORMS = "a year (2024), a fiscal year (FY2024-25), a month (2025-06), a date (2025-04-04), or START/END of these"

_YEAR = re.compile(r"^([0-9]{4})$")
_FISCAL = re.compile(r"^FY([0-9]{4})-([0-9]{2})$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


FIRST_YEAR, LAST_YEAR = 1900, 2100  # a sane span for this dataset: anything outside is a typing error


class PeriodError(RekitError, ValueError):
    """A period string that does not follow one of the allowed forms."""


def _year(text: str, y: int) -> int:
    """`y` if it lies in the sane span, else a PeriodError naming it (also keeps date() from failing on 0000 or 9999+1)."""
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise PeriodError(f"{text!r}: year {y:04d} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return y


@dataclass(frozen=True)
class Period:
    """A parsed period: its text, its kind and its first and last day (inclusive)."""

    text: str
    kind: str  # year | fiscal_year | month | date | interval
    start: date
    end: date

    @property
    def mid_year(self) -> float:
        """Decimal year at the middle of the period (FY2024-25 -> about 2024.75)."""
        mid = self.start + (self.end - self.start) / 2
        return mid.year + (mid.timetuple().tm_yday - 1) / (366 if calendar.isleap(mid.year) else 365)


def _single(text: str) -> Period:
    if m := _YEAR.match(text):
        y = _year(text, int(m[1]))
        return Period(text, "year", date(y, 1, 1), date(y, 12, 31))
    if m := _FISCAL.match(text):
        y, tail = _year(text, int(m[1])), int(m[2])
        if tail != (y + 1) % 100:
            raise PeriodError(f"{text!r}: a fiscal year runs April {y} to March {y + 1}, so it is FY{y}-{(y + 1) % 100:02d}")
        return Period(text, "fiscal_year", date(y, 4, 1), date(y + 1, 3, 31))
    if m := _MONTH.match(text):
        y, mo = _year(text, int(m[1])), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(f"{text!r}: month {mo} is not 01 to 12")
        return Period(text, "month", date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]))
    if m := _DATE.match(text):
        try:
            d = date(_year(text, int(m[1])), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise PeriodError(f"{text!r}: not a calendar date ({exc})") from None
        return Period(text, "date", d, d)
    raise PeriodError(f"{text!r} is not {FORMS}")


@lru_cache(maxsize=4096)
def parse_period(text: str) -> Period:
    """Parse a period string; raise PeriodError naming the allowed forms if it does not parse."""
    if not isinstance(text, str) or not text.strip():
        raise PeriodError(f"empty period: expected {FORMS}")
    text = text.strip()
    if "/" in text:
        first, _, last = text.partition("/")
        a, b = _single(first), _single(last)
        if b.end < a.start:
            raise PeriodError(f"{text!r}: the interval ends before it starts")
        return Period(text, "interval", a.start, b.end)
    return _single(text)


def basis(period: Period) -> str:
    """'fiscal' if the period is (or is bounded by) Indian fiscal years, else 'calendar'.

    Figures on a fiscal basis are compared only with fiscal ones: FY2024-25 and 2024 share nine
    months but are not the same quantity.
    """
    if period.kind == "fiscal_year" or (period.kind == "interval" and "FY" in period.text):
        return "fiscal"
    return "calendar"


def fiscal_year(year: int) -> str:
    """The fiscal-year label that starts in April of `year` (2025 -> 'FY2025-26')."""
    return f"FY{year}-{(year + 1) % 100:02d}"
