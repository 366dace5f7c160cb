"""India's NdFeB magnet demand from the bottom up: units of each end use sold a year × kg magnet per unit.

For every end use e of data/end_uses.csv that has both its units (data/end_use_units.csv, India's
fiscal years) and its kg NdFeB per unit (data/magnet_content.csv):

    units_e(Y)   = 0.25 · FY_e(Y − 1) + 0.75 · FY_e(Y)        calendar year Y from the fiscal years
                   that start in Y − 1 and Y (April to March; rekit.model.conversions' weighting)
    D_e(Y)       = units_e(Y) · k_e / 1000                     t magnet; k_e kg magnet per unit (low, central, high)
    D(Y)         = Σ_e D_e(Y)                                  t magnet, the bottom-up total in BASE_YEAR

End uses without units or without kg per unit are left out of the total, and `not_reported`
says which and why ("not reported as of 2026-12-03"): the total is the demand of the end uses the
sources cover, a floor under India's whole demand, never a guess at the rest.

Projection (data/demand_outlooks.csv): from BASE_YEAR to 2030 the total grows each year at a rate
drawn between the latest year's growth of all EV sales (low; JMK Research, 15.6% in FY2024-25)
and the Economic Survey 2022-23's path to one crore (10,000,000) EVs sold in 2030 (high:
(10,000,000 / 2,000,000)^(1/6) − 1 = 0.3077 a year from the 2,000,000 EVs of FY2024-25), central
the middle of the two; after 2030 3-8% a year (5% central), the kit's assumption shared with the
top-down bases (no source projects beyond 2030). The basis is `bottom_up` in the book's demand
bases (rekit.model.deals), so simulate(demand="bottom_up"), the grid and `rekit simulate
--demand bottom_up` take it like the top-down ones.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rekit.errors import RekitError
from rekit.model.quantities import Quantity

__all__ = ["BASE_YEAR", "BASIS", "DemandError", "BottomUp", "bottom_up", "calendar_units", "check_periods",
           "not_reported"]

#: The demand basis's name among the book's demand bases.
BASIS = "bottom_up"
#: The calendar year the bottom-up total is built for (from FY2023-24 and FY2024-25).
BASE_YEAR = 2024
#: The date the kit's reading of the sources stands at.
AS_OF = "2026-12-03"
#: After 2030: the same labelled assumption as the top-down bases (data/deals.yml).
LATE_GROWTH = Quantity(0.05, 0.03, 0.08, "ratio", "assumption: growth slows after 2030; no source projects beyond it")


class DemandError(RekitError, ValueError):
    """A table of the bottom-up demand is missing, incomplete or inconsistent (exit 2, named file, row and column)."""


@dataclass(frozen=True)
class BottomUp:
    """The bottom-up demand basis: base (t magnet in `base_year`) and growth points (year → ratio a year).

    `by_end_use` gives each covered end use's t magnet in the base year (low, central, high);
    `not_reported` each left-out end use with the reason.
    """

    description: str
    base: Quantity
    base_year: int
    growth: tuple[tuple[int, Quantity], ...]
    by_end_use: pd.DataFrame
    not_reported: dict[str, str]
    #: (end use, share of the base-year total, lifetime kind, a, b): how the demand splits over the end uses and
    #: how long their magnets stay in use (data/end_uses.csv), for the stock model and recycling
    mix: tuple[tuple[str, float, str, float, float], ...] = ()


_FY = re.compile(r"^FY(\d{4})-(\d{2})$")


def _fy_start(period: str, where: str) -> int:
    m = _FY.match(period)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise DemandError(f"{where}: period {period!r} is not an Indian fiscal year; allowed: FYYYYY-YY, e.g. FY2024-25")
    return int(m.group(1))


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise DemandError(f"{path}: missing; the bottom-up demand needs it (see data/datapackage.json)")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_periods(starts: dict[str, list[int]], file: str = "end_use_units.csv") -> None:
    """Refuse a sales series with gaps: each end use's fiscal years must follow one another, naming the missing ones."""
    for use, ys in starts.items():
        ys = sorted(ys)
        missing = [y for y in range(ys[0], ys[-1] + 1) if y not in ys]
        if missing:
            names = ", ".join(f"FY{y}-{(y + 1) % 100:02d}" for y in missing)
            raise DemandError(f"{file}: the sales series of {use!r} has gaps in {names}; give a row for every fiscal "
                              f"year from FY{ys[0]}-{(ys[0] + 1) % 100:02d} to FY{ys[-1]}-{(ys[-1] + 1) % 100:02d}")


def calendar_units(fy: dict[int, float], year: int, use: str) -> float:
    """Units in calendar `year` = 0.25 · FY(year − 1) + 0.75 · FY(year), FY keyed by the year it starts."""
    need = [y for y in (year - 1, year) if y not in fy]
    if need:
        names = ", ".join(f"FY{y}-{(y + 1) % 100:02d}" for y in need)
        raise DemandError(f"end_use_units.csv: {use!r} has no units for {names}, which calendar {year} needs")
    return 0.25 * fy[year - 1] + 0.75 * fy[year]


def not_reported(units: dict[str, dict[int, float]], content: dict[str, tuple[float, float, float]],
                 titles: dict[str, str]) -> dict[str, str]:
    """The end uses left out of the bottom-up total, each with what is not reported."""
    out = {}
    for use in titles:
        lacking = [w for w, ok in (("units sold a year", use in units), ("kg NdFeB per unit", use in content)) if not ok]
        if lacking:
            out[use] = f"{' and '.join(lacking)} not reported as of {AS_OF}"
    return out


def bottom_up(data_dir: Path | str, year: int = BASE_YEAR) -> BottomUp:
    """The bottom-up demand basis from a data folder's end_uses.csv, end_use_units.csv,
    magnet_content.csv and demand_outlooks.csv (DemandError naming file, row and column on bad input)."""
    d = Path(data_dir)
    end_uses = _read(d / "end_uses.csv")
    titles = {r["end_use"]: r["title"] for r in end_uses}
    units: dict[str, dict[int, float]] = {}
    unit_sources: dict[str, set[str]] = {}
    for i, r in enumerate(_read(d / "end_use_units.csv"), start=2):
        where = f"end_use_units.csv, row {i}"
        if r["end_use"] not in titles:
            raise DemandError(f"{where}, column end_use: unknown end use {r['end_use']!r}; allowed: {', '.join(titles)}")
        units.setdefault(r["end_use"], {})[_fy_start(r["period"], f"{where}, column period")] = _number(r, "units", where)
        unit_sources.setdefault(r["end_use"], set()).add(r["source_id"])
    check_periods({u: list(fy) for u, fy in units.items()})
    content: dict[str, tuple[float, float, float]] = {}
    content_sources: dict[str, str] = {}
    for i, r in enumerate(_read(d / "magnet_content.csv"), start=2):
        where = f"magnet_content.csv, row {i}"
        if r["end_use"] not in titles:
            raise DemandError(f"{where}, column end_use: unknown end use {r['end_use']!r}; allowed: {', '.join(titles)}")
        lo, mid, hi = (_number(r, c, where) for c in ("low", "kg_per_unit", "high"))
        if not (0 < lo <= mid <= hi):
            raise DemandError(f"{where}: kg per unit low {lo}, central {mid}, high {hi}; allowed: 0 < low <= central <= high")
        content[r["end_use"]] = (lo, mid, hi)
        content_sources[r["end_use"]] = r["source_id"]
    outlooks = {r["outlook"]: r for r in _read(d / "demand_outlooks.csv")}
    missing = [k for k in ("ev_sales_fy2024_25", "ev_sales_growth_fy2024_25", "ev_sales_2030_economic_survey") if k not in outlooks]
    if missing:
        raise DemandError(f"demand_outlooks.csv: no row {missing[0]!r}; the bottom-up projection needs it")

    rows = []
    for use in titles:
        if use in units and use in content:
            n = calendar_units(units[use], year, use)
            lo, mid, hi = content[use]
            rows.append({"end_use": use, "title": titles[use], "year": year, "units": n,
                         "low": n * lo / 1000, "t_magnet": n * mid / 1000, "high": n * hi / 1000})
    by_use = pd.DataFrame(rows, columns=["end_use", "title", "year", "units", "low", "t_magnet", "high"])
    if by_use.empty:
        raise DemandError("the data give no end use with both units sold and kg magnet per unit; the bottom-up demand is empty")
    sources = sorted({s for u in by_use["end_use"] for s in (*unit_sources[u], content_sources[u])})
    base = Quantity(float(by_use["t_magnet"].sum()), float(by_use["low"].sum()), float(by_use["high"].sum()), "t magnet",
                    " ".join(sources), f"Σ units × kg per unit / 1000 over {', '.join(by_use['end_use'])}, calendar {year}")
    low_g = _number(outlooks["ev_sales_growth_fy2024_25"], "value", "demand_outlooks.csv")
    start = _number(outlooks["ev_sales_fy2024_25"], "value", "demand_outlooks.csv")
    target = _number(outlooks["ev_sales_2030_economic_survey"], "value", "demand_outlooks.csv")
    last = int(outlooks["ev_sales_2030_economic_survey"]["period"])
    high_g = (target / start) ** (1 / (last - year)) - 1
    if not low_g <= high_g:
        raise DemandError(f"demand_outlooks.csv: the latest growth {low_g} exceeds the Economic Survey's path {high_g:.4f}")
    g_src = " ".join(sorted({outlooks[k]["source_id"] for k in ("ev_sales_fy2024_25", "ev_sales_growth_fy2024_25",
                                                                "ev_sales_2030_economic_survey")}))
    g = Quantity((low_g + high_g) / 2, low_g, high_g, "ratio", g_src,
                 f"low: EV sales' growth in FY2024-25; high: ({target:,.0f} / {start:,.0f})^(1/{last - year}) − 1 to the "
                 f"Economic Survey's {last}")
    left = not_reported(units, content, titles)
    desc = (f"From the bottom up: units sold × kg NdFeB per unit for {', '.join(by_use['title'].str.lower())} "
            f"({base.value:,.0f} t in {year}, {base.low:,.0f}-{base.high:,.0f}), growing to {last} between EV sales' latest "
            f"growth and the Economic Survey's one crore EVs, then 3-8% a year; {len(left)} end uses not reported as of {AS_OF} "
            f"are left out")
    life = {r["end_use"]: r for r in end_uses}
    for i, r in enumerate(end_uses, start=2):  # the stock model needs lifetimes above 0 (mean or scale, spread or shape)
        for col in ("lifetime_a", "lifetime_b"):
            if r["end_use"] in set(by_use["end_use"]) and not _positive(r[col]):
                raise DemandError(f"end_uses.csv, row {i}, column {col}: {r[col]!r} for {r['end_use']!r} is not allowed; "
                                  f"allowed: a number above 0 (a {r['lifetime_distribution']} lifetime's parameter)")
    mix = tuple((u, float(t) / base.value, life[u]["lifetime_distribution"], float(life[u]["lifetime_a"]),
                 float(life[u]["lifetime_b"])) for u, t in zip(by_use["end_use"], by_use["t_magnet"], strict=True))
    return BottomUp(desc, base, year, ((year + 1, g), (last, g), (last + 1, LATE_GROWTH)), by_use, left, mix)


def _number(row: dict[str, str], column: str, where: str) -> float:
    text = (row.get(column) or "").strip()
    try:
        v = float(text)
    except ValueError:
        raise DemandError(f"{where}, column {column}: {text!r} is not a number") from None
    if not (v >= 0 and v < float("inf")):
        raise DemandError(f"{where}, column {column}: {text!r}; allowed: a finite number >= 0")
    return v


def _positive(text: str) -> bool:
    """True for a finite number above 0 written as text."""
    try:
        v = float(text)
    except (TypeError, ValueError):
        return False
    return 0 < v < float("inf")
