"""Load the curated dataset: observations, sources, indicators and events as typed DataFrames.

`load()` is what every notebook calls first. It is quick (the schema-driven read and the
domain's rules, no heavy validator) and still refuses data that would give wrong numbers,
raising a DataError that names every bad cell by file, row and column.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rekit.data.conflicts import find_conflicts
from rekit.data.periods import parse_period
from rekit.data.problems import DataError
from rekit.data.tables import ROW
from rekit.data.schema import data_version
from rekit.data.validate import read_tables
from rekit.paths import data_dir

ACTUAL = ("reported", "estimate")  # figures that describe what happened, as opposed to targets (withdrawn rows never)


def _with_periods(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Add `<column>_start`/`_end` timestamps and the period kind parsed from `column`."""
    parsed = [parse_period(t) for t in df[column]]
    prefix = "period" if column == "period" else column
    df = df.copy()
    df[f"{prefix}_kind"] = pd.Series([p.kind for p in parsed], dtype="string", index=df.index)
    df[f"{prefix}_start"] = pd.to_datetime([p.start for p in parsed])
    df[f"{prefix}_end"] = pd.to_datetime([p.end for p in parsed])
    return df


@dataclass(frozen=True)
class Dataset:
    """The dataset: typed tables and the helpers a researcher reaches for (series, citations, conflicts)."""

    observations: pd.DataFrame
    sources: pd.DataFrame
    events: pd.DataFrame
    indicators: pd.DataFrame
    path: Path
    resolutions: pd.DataFrame | None = None
    version: str = "?"  # `version` of datapackage.json: cite it with a figure, print it with every output

    def _first_row(self, table: str, column: str, key: str) -> pd.Series | None:
        """The first row of `table` whose `column` equals `key`, or None, through a lookup built once per
        table (rebuilt if the table is replaced or changes length): every chart cites its sources
        (`cite`), in reports and at each update of the explorer, and a boolean mask over the table
        each time costs about 10x the lookup (0.74 against 0.07 ms a source here)."""
        df = getattr(self, table)
        cache = self.__dict__.setdefault("_lookups", {})  # frozen dataclass: a cache outside the fields
        stamp = (id(df), len(df))
        entry = cache.get((table, column))
        if entry is None or entry[0] != stamp:
            positions: dict = {}
            for i, v in enumerate(df[column].tolist()):
                positions.setdefault(v, i)
            entry = cache[(table, column)] = (stamp, positions)
        i = entry[1].get(key)
        return None if i is None else df.iloc[i]

    def source(self, source_id: str) -> pd.Series:
        """The row of sources.csv for `source_id` (KeyError naming the known ids if absent)."""
        row = self._first_row("sources", "source_id", source_id)
        if row is None:
            close = difflib.get_close_matches(str(source_id), list(self.sources["source_id"]), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown source {source_id!r}{hint} (the {len(self.sources)} sources are in {self.path / 'sources.csv'})")
        return row

    def obs(self, obs_id: str) -> pd.Series:
        """One observation by its id."""
        row = self._first_row("observations", "id", obs_id)
        if row is None:
            raise KeyError(f"unknown observation id {obs_id!r}")
        return row

    def value(self, obs_id: str) -> float:
        """The central value of one observation, in its unit."""
        return float(self.obs(obs_id)["value"])

    def series(self, indicator: str, entity: str | None = None, partner: str | None = None,
               status: str | tuple[str, ...] | None = None) -> pd.DataFrame:
        """Rows of one indicator (optionally one entity, partner, status), sorted by period, with source titles."""
        if indicator not in set(self.indicators["indicator"]):
            raise KeyError(f"unknown indicator {indicator!r}; known: {', '.join(self.indicators['indicator'])}")
        o = self.observations
        mask = o["indicator"] == indicator
        if entity is not None:
            mask &= o["entity"] == entity
        if partner is not None:
            mask &= o["partner"] == partner
        if status is not None:
            mask &= o["status"].isin([status] if isinstance(status, str) else list(status))
        rows = o[mask.fillna(False)].merge(self.sources[["source_id", "title", "publisher", "date", "tier"]], on="source_id", how="left")
        return rows.sort_values(["period_start", "id"]).reset_index(drop=True)

    def cite(self, source_id: str, style: str = "text") -> str:
        """A citation for a source: `text` (full, for a reference list) or `short` (title, publisher, date: under a chart)."""
        s = self.source(source_id)
        via = f", reporting {s['reports_on']}" if pd.notna(s["reports_on"]) else ""
        tier = s.get("tier")
        if style == "short":
            return f"{s['title']} ({s['publisher']}{via}, {s['date']}; {tier})"
        if style != "text":
            raise ValueError(f"unknown citation style {style!r}; allowed: text, short")
        parts = [f"{s['publisher']} ({s['date']}). {s['title']}."]
        if via:
            parts.append(f"Reporting {s['reports_on']}.")
        if pd.notna(s["url"]):
            parts.append(str(s["url"]))
        if pd.notna(s["accessed"]):
            parts.append(f"(accessed {s['accessed']})")
        if pd.notna(tier):
            parts.append(f"[{tier}]")
        return " ".join(parts)

    def conflicts(self, rel_tol: float = 0.01) -> pd.DataFrame:
        """Pairs of figures that measure the same thing and disagree beyond their ranges, with the kit's resolution.

        See rekit.data.conflicts: rows are compared within one indicator, entity, partner, unit,
        period basis and scope_key; a republished wire story counts once; withdrawn rows never.
        """
        return find_conflicts(self.observations, self.sources, self.resolutions, rel_tol)

    def tier(self, source_id: str) -> str:
        """The tier of a source (primary, official-secondary, news, wire-republished, industry, vendor, academic)."""
        return str(self.source(source_id)["tier"])

    def usable(self) -> pd.DataFrame:
        """Observations a model may take as a default: every row but the withdrawn ones."""
        return self.observations[self.observations["status"] != "withdrawn"].reset_index(drop=True)


def load(path: str | os.PathLike | None = None) -> Dataset:
    """Load and check the dataset in `path` (default: the bundled data/); raise DataError listing every problem."""
    folder = Path(path) if path is not None else data_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"no data folder at {folder}")
    tables, _, problems = read_tables(folder)
    if problems:
        raise DataError(problems)
    obs = _with_periods(tables["observations"], "period").drop(columns=ROW)
    events = _with_periods(tables["events"], "date").drop(columns=ROW)
    events = events.sort_values("date_start").reset_index(drop=True)
    return Dataset(
        observations=obs,
        sources=tables["sources"].drop(columns=ROW),
        events=events,
        indicators=tables["indicators"].drop(columns=ROW),
        path=folder,
        resolutions=tables["resolutions"].drop(columns=ROW) if "resolutions" in tables else None,
        version=data_version(folder),
    )
