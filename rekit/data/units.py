"""The controlled units of the data and what values each admits.

Units travel with the data (long format, as in pyam); the list itself is the `unit` enum
in data/datapackage.json. Here each unit gets a kind, which sets its bounds: a `share` is a
fraction in [0, 1]; everything else in this dataset (tonnages, prices, money, counts,
durations, dimensionless ratios) is non-negative and below a sane ceiling for its kind.
"""

from __future__ import annotations

import math
from functools import lru_cache

SHARE = "share"


@lru_cache(maxsize=256)
def unit_kind(unit: str) -> str:
    """Kind of a unit: share, ratio, price, money, count, duration or mass (tonnes and kg, per period or per year)."""
    if unit == "share":
        return SHARE
    if unit == "ratio":
        return "ratio"
    if unit in ("USD/kg", "INR/kg"):
        return "price"
    if unit in ("INR crore", "USD million"):
        return "money"
    if unit == "count":
        return "count"
    if unit == "years":
        return "duration"
    if unit.split(" ", 1)[0].split("/", 1)[0] in ("t", "kg"):
        return "mass"
    raise KeyError(f"unit {unit!r} has no kind: add it to rekit.units.unit_kind")


# Sane upper bounds by kind: far above any real figure (world reserves are about 1e8 t REO), far
# below what only a typing error gives (1e300). A value above them is refused, not capped.
SANE_MAX = {"ratio": 1e6, "price": 1e7, "money": 1e9, "count": 1e10, "duration": 1000.0, "mass": 1e12}
#: The largest bound of any unit (1e12): no number the kit reads from a user's file, in a table, a
#: deal or a descriptor, is larger in size than this.
LARGEST = max(SANE_MAX.values())


def bounds(unit: str) -> tuple[float, float]:
    """(lowest, highest) value allowed for a unit: [0, 1] for a share, [0, SANE_MAX[kind]] otherwise."""
    kind = unit_kind(unit)
    return (0.0, 1.0) if kind == SHARE else (0.0, SANE_MAX.get(kind, math.inf))
