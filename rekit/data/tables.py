"""Read one CSV table of the package into a typed DataFrame, collecting every problem on the way.

Nothing is dropped silently: a row that cannot be read is named in a Problem, and the caller
decides whether to refuse the data. Byte-order marks and Windows line endings are read as usual.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pandas as pd

from rekit.data.problems import WHOLE_FILE, WHOLE_ROW, Problem
from rekit.data.schema import Resource

ROW = "csv_row"  # the record number in the file (header = 1), kept while validating


_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(text: str) -> float | None:
    """A float from a cell, or None if the cell is not a plain ASCII decimal number.

    Python's float() also takes '2_900', full-width digits ('２９００'), 'nan' and 'inf'; none of
    those is a number in a CSV file of this package, so the cell must match a plain pattern first.
    """
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_table(folder: Path, res: Resource) -> tuple[pd.DataFrame, list[Problem]]:
    """Read `res` from `folder`: columns typed by the schema, a `_row` column, and the problems found."""
    path = Path(folder) / res.path
    name = res.path
    problems: list[Problem] = []
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in [*res.columns, ROW]})
    if not path.exists():
        return empty, [Problem(name, 0, WHOLE_FILE, "file not found")]
    if not path.is_file():
        return empty, [Problem(name, 0, WHOLE_FILE, "is a folder (or not a regular file), not a CSV file")]
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            records = list(csv.reader(f))
    except UnicodeDecodeError as exc:
        return empty, [Problem(name, 0, WHOLE_FILE, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except csv.Error as exc:
        return empty, [Problem(name, 0, WHOLE_FILE, f"not a readable CSV file ({exc})")]
    records = [r for r in records if any(cell.strip() for cell in r)] if records else []
    if not records:
        cols = ", ".join(res.columns)
        return empty, [Problem(name, 1, WHOLE_FILE, f"the file is empty: expected a header row with the columns {cols}")]

    header = [h.strip() for h in records[0]]
    known = set(res.columns)
    for h in header:
        if h not in known:
            problems.append(Problem(name, 1, h or "(blank)", f"unknown column; the columns of {name} are: {', '.join(res.columns)}"))
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(name, 1, h, "column appears twice in the header"))
        seen.add(h)
    for col in res.columns:
        if col not in header:
            problems.append(Problem(name, 1, col, "missing column"))
    if len(records) == 1:
        problems.append(Problem(name, 2, WHOLE_FILE, "the file has a header but no rows"))

    rows: list[list[str]] = []
    numbers: list[int] = []
    for i, rec in enumerate(records[1:], start=2):
        if len(rec) != len(header):
            problems.append(Problem(name, i, WHOLE_ROW, f"has {len(rec)} cells but the header has {len(header)}"))
            continue
        rows.append([c.strip() for c in rec])
        numbers.append(i)

    raw = pd.DataFrame(rows, columns=header, dtype="object") if rows else pd.DataFrame(columns=header, dtype="object")
    out: dict[str, pd.Series] = {}
    for fld in res.fields:
        if fld.name not in raw.columns:
            out[fld.name] = pd.Series([None] * len(raw), dtype="object")
            continue
        cells = raw[fld.name]
        if isinstance(cells, pd.DataFrame):  # duplicated header
            cells = cells.iloc[:, 0]
        typed, field_problems = _check_field(name, fld, cells.tolist(), numbers)
        problems += field_problems
        out[fld.name] = typed
    df = pd.DataFrame(out)
    df[ROW] = numbers
    return df, problems


def _check_field(name: str, fld, cells: list[str], rows: list[int]) -> tuple[pd.Series, list[Problem]]:
    """Type one column and check its constraints; return the typed column and its problems."""
    problems: list[Problem] = []
    values: list = []
    pattern = re.compile(fld.pattern) if fld.pattern else None
    first_seen: dict[str, int] = {}
    for cell, row in zip(cells, rows):
        if cell == "":
            if fld.required:
                problems.append(Problem(name, row, fld.name, "required, but empty"))
            values.append(None)
            continue
        if fld.type in ("number", "integer"):
            x = _number(cell)
            if x is None:
                hint = " (write numbers without thousands separators)" if re.fullmatch(r"[0-9,]+(\.[0-9]+)?", cell) else ""
                if "_" in cell:
                    hint = " (write numbers without '_' separators)"
                elif any(not c.isascii() for c in cell):
                    hint = " (write digits 0-9 only: full-width or other non-ASCII digits are refused)"
                problems.append(Problem(name, row, fld.name, f"{cell!r} is not a number{hint}"))
            values.append(x)
            continue
        if fld.enum is not None and cell not in fld.enum:
            problems.append(Problem(name, row, fld.name, f"{cell!r} is not allowed; allowed: {', '.join(fld.enum)}"))
        elif pattern is not None and not pattern.fullmatch(cell):
            problems.append(Problem(name, row, fld.name, f"{cell!r} does not match the pattern {fld.pattern}"))
        if fld.format == "uri" and not re.match(r"^https?://\S+$", cell):
            problems.append(Problem(name, row, fld.name, f"{cell!r} is not a web address (http:// or https://)"))
        if fld.unique:
            if cell in first_seen:
                problems.append(Problem(name, row, fld.name, f"duplicate {cell!r} (first at row {first_seen[cell]})"))
            else:
                first_seen[cell] = row
        values.append(cell)
    dtype = "float64" if fld.type in ("number", "integer") else "string"
    series = pd.Series([v if v is not None else (float("nan") if dtype == "float64" else pd.NA) for v in values], dtype=dtype)
    return series, problems
