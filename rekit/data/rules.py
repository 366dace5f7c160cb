"""The domain's rules, beyond the schema: bounds by unit, ranges, periods, keys and provenance.

Each rule takes the typed tables (with their `_row` column) and returns Problems; none stops at
the first. These are the rules that keep wrong numbers out, so `load()` runs all of them.
"""

from __future__ import annotations

import pandas as pd

from rekit.data.periods import PeriodError, parse_period
from rekit.data.problems import Problem
from rekit.data.schema import Resource
from rekit.data.tables import ROW
from rekit.data.units import bounds

NEEDS_QUOTE = ("reported", "estimate", "target")


def _rows(df: pd.DataFrame, mask: pd.Series):
    """Iterate over the rows of `df` where `mask` holds, as plain tuples with named fields."""
    return df[mask.fillna(False).astype(bool)].itertuples(index=False)


def foreign_keys(tables: dict[str, pd.DataFrame], schema: dict[str, Resource]) -> list[Problem]:
    """Every foreign key resolves (source_id to sources.csv, indicator to indicators.csv)."""
    out = []
    for res in schema.values():
        df = tables.get(res.name)
        if df is None:
            continue
        for fk in res.foreign_keys:
            target = tables.get(fk.resource)
            if target is None:
                continue
            known = set(target[fk.reference].dropna())
            col = df[fk.field]
            bad = col.notna() & ~col.isin(known)
            for row, value in zip(df.loc[bad, ROW], col[bad]):
                out.append(Problem(res.path, row, fk.field, f"{value!r} is not a {fk.reference} in {schema[fk.resource].path}"))
    return out


def bounded_values(obs: pd.DataFrame, file: str) -> list[Problem]:
    """Values, lows and highs within their unit's bounds; low <= value <= high."""
    out = []
    for r in obs.itertuples(index=False):
        unit = r.unit
        if pd.isna(unit):
            continue
        try:
            lo, hi = bounds(unit)
        except KeyError:  # not a controlled unit: the schema's enum check reports it
            continue
        what = "a share must lie in [0, 1]" if hi == 1.0 else f"a value in {unit} cannot be negative"
        for col in ("value", "low", "high"):
            x = getattr(r, col)
            if pd.notna(x) and not lo <= x <= hi:
                out.append(Problem(file, getattr(r, ROW), col, f"{x:g} is out of bounds: {what}"))
        v, low, high = r.value, r.low, r.high
        if pd.notna(low) and pd.notna(high) and low > high:
            out.append(Problem(file, getattr(r, ROW), "low", f"low {low:g} is above high {high:g}"))
        if pd.notna(low) and pd.notna(v) and low > v:
            out.append(Problem(file, getattr(r, ROW), "low", f"low {low:g} is above value {v:g}"))
        if pd.notna(high) and pd.notna(v) and v > high:
            out.append(Problem(file, getattr(r, ROW), "high", f"high {high:g} is below value {v:g}"))
    return out


def periods(df: pd.DataFrame, column: str, file: str) -> list[Problem]:
    """Every period (or date) parses."""
    out = []
    for row, text in zip(df[ROW], df[column]):
        if pd.isna(text):
            continue
        try:
            parse_period(text)
        except PeriodError as exc:
            out.append(Problem(file, row, column, str(exc)))
    return out


def provenance(obs: pd.DataFrame, file: str) -> list[Problem]:
    """Reported, estimated and target rows quote their source; derived rows name their inputs; assumptions explain themselves."""
    out = []
    ids = set(obs["id"].dropna())
    for r in _rows(obs, obs["status"].isin(NEEDS_QUOTE) & obs["quote"].isna()):
        out.append(Problem(file, getattr(r, ROW), "quote", f"a {r.status} figure needs the words of its source"))
    for r in _rows(obs, obs["status"] == "derived"):
        row = getattr(r, ROW)
        if pd.isna(r.derived_from):
            out.append(Problem(file, row, "derived_from", "a derived figure must name the ids of the rows it comes from"))
        else:
            for ref in str(r.derived_from).split():
                if ref == r.id:
                    out.append(Problem(file, row, "derived_from", f"{ref!r} is this row itself"))
                elif ref not in ids:
                    out.append(Problem(file, row, "derived_from", f"{ref!r} is not an id in {file}"))
        if pd.isna(r.note):
            out.append(Problem(file, row, "note", "a derived figure must state its arithmetic in note"))
    for r in _rows(obs, (obs["status"] == "assumption") & obs["note"].isna()):
        out.append(Problem(file, getattr(r, ROW), "note", "an assumption must say what it assumes and why in note"))
    return out


def sources_used(sources: pd.DataFrame, users: list[pd.DataFrame], file: str) -> list[Problem]:
    """Every source is cited by at least one observation or event."""
    used = set().union(*(set(u["source_id"].dropna()) for u in users))
    return [
        Problem(file, row, "source_id", f"{sid!r} is cited by no observation or event")
        for row, sid in zip(sources[ROW], sources["source_id"])
        if pd.notna(sid) and sid not in used
    ]


def check(tables: dict[str, pd.DataFrame], schema: dict[str, Resource]) -> list[Problem]:
    """All domain rules over the typed tables."""
    obs, src, ev = tables["observations"], tables["sources"], tables["events"]
    f_obs, f_src, f_ev = (schema[n].path for n in ("observations", "sources", "events"))
    return [
        *foreign_keys(tables, schema),
        *bounded_values(obs, f_obs),
        *periods(obs, "period", f_obs),
        *periods(src, "date", f_src),
        *periods(ev, "date", f_ev),
        *provenance(obs, f_obs),
        *sources_used(src, [obs, ev], f_src),
    ]
