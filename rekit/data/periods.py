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

_YEAR = re.compile(r"^(\d{4})$")
_FISCAL = re.compile(r"^FY(\d{4})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class PeriodError(RekitError, ValueError):
    """A period string that does not follow one of the allowed forms."""


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
        y = int(m[1])
        return Period(text, "year", date(y, 1, 1), date(y, 12, 31))
    if m := _FISCAL.match(text):
        y, tail = int(m[1]), int(m[2])
        if tail != (y + 1) % 100:
            raise PeriodError(f"{text!r}: a fiscal year runs April {y} to March {y + 1}, so it is FY{y}-{(y + 1) % 100:02d}")
        return Period(text, "fiscal_year", date(y, 4, 1), date(y + 1, 3, 31))
    if m := _MONTH.match(text):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(f"{text!r}: month {mo} is not 01 to 12")
        return Period(text, "month", date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]))
    if m := _DATE.match(text):
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
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


def fiscal_year(year: int) -> str:
    """The fiscal-year label that starts in April of `year` (2025 -> 'FY2025-26')."""
    return f"FY{year}-{(year + 1) % 100:02d}"
