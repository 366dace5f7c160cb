"""The controlled units of the data and what values each admits.

Units travel with the data (long format, as in pyam); the list itself is the `unit` enum
in data/datapackage.json. Here each unit gets a kind, which sets its bounds: a `share` is a
fraction in [0, 1]; everything else in this dataset (tonnages, prices, money, counts,
durations, dimensionless ratios) is non-negative.
"""

from __future__ import annotations

import math

SHARE = "share"


def unit_kind(unit: str) -> str:
    """Kind of a unit: share, ratio, price, money, count, duration or mass (tonnes and kg, per period or per year)."""
    if unit == "share":
        return SHARE
    if unit == "ratio":
        return "ratio"
    if unit in ("USD/kg", "INR/kg"):
        return "price"
    if unit == "INR crore":
        return "money"
    if unit == "count":
        return "count"
    if unit == "years":
        return "duration"
    if unit.split(" ", 1)[0].split("/", 1)[0] in ("t", "kg"):
        return "mass"
    raise KeyError(f"unit {unit!r} has no kind: add it to rekit.units.unit_kind")


def bounds(unit: str) -> tuple[float, float]:
    """(lowest, highest) value allowed for a unit: [0, 1] for a share, [0, inf) otherwise."""
    return (0.0, 1.0) if unit_kind(unit) == SHARE else (0.0, math.inf)
