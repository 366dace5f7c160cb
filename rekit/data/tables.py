"""Read one CSV table of the package into a typed DataFrame, collecting every problem on the way.

Nothing is dropped silently: a row that cannot be read is named in a Problem, and the caller
decides whether to refuse the data. Byte-order marks and Windows line endings are read as usual.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from pathlib import Path

import pandas as pd

from rekit.data.files import UnsafeFileError, clip, cut, read_capped, resource_path
from rekit.data.problems import WHOLE_FILE, WHOLE_ROW, Problem
from rekit.data.schema import Resource

ROW = "csv_row"  # the record number in the file (header = 1), kept while validating
MAX_TABLE_BYTES = 50_000_000  # the bundled tables are under 1 MB together

#: Characters no cell may hold: every control character (Unicode category Cc: NUL, tab, line
#: breaks, escape, DEL, C1) and the bidirectional overrides and isolates that make text display
#: in another order than it is stored ("Trojan Source", CVE-2021-42574). A quote or a note is one
#: line of plain text; a tab or a line break in a cell is invisible in most viewers and breaks the
#: one-row-a-line reading of the files.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # Cc is exactly U+0000-001F and U+007F-009F
_NAMES = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE"}


def control_character(text: str) -> str | None:
    """The first control character of `text` as U+XXXX with its name, or None."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    ch = m.group()
    return f"U+{ord(ch):04X} ({_NAMES.get(ch) or unicodedata.name(ch, 'a control character')})"


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
    """Read `res` from `folder`: columns typed by the schema, a `_row` column, and the problems found.

    The resource path must stay inside `folder` and name a regular file (rekit.data.files): any
    other is a problem, and nothing is read. Messages quote a cell at most, cut to 80 characters.
    """
    name = cut(res.path, 160)
    problems: list[Problem] = []
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in [*res.columns, ROW]})
    try:
        path = resource_path(folder, res.path)
        raw = read_capped(path, MAX_TABLE_BYTES, "table")
    except UnsafeFileError as exc:
        return empty, [Problem(name, 0, WHOLE_FILE, exc.reason)]
    try:
        records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    except UnicodeDecodeError as exc:
        return empty, [Problem(name, 0, WHOLE_FILE, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except csv.Error as exc:
        return empty, [Problem(name, 0, WHOLE_FILE, f"not a readable CSV file ({clip(exc, 120)})")]
    records = [r for r in records if any(cell.strip() for cell in r)] if records else []
    if not records:
        cols = ", ".join(res.columns)
        return empty, [Problem(name, 1, WHOLE_FILE, f"the file is empty: expected a header row with the columns {cols}")]

    header = [h.strip() for h in records[0]]
    known = set(res.columns)
    for h in header:
        if h not in known:
            shown = "(blank)" if not h else h if len(h) <= 40 and h.isprintable() else clip(h, 40)
            problems.append(Problem(name, 1, shown, f"unknown column; the columns of {name} are: {', '.join(res.columns)}"))
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(name, 1, h if len(h) <= 40 and h.isprintable() else clip(h, 40), "column appears twice in the header"))
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
        if _CONTROL.search("".join(rec)) is None:  # the usual case: one search a row
            continue
        for col, cell in zip(header, rec, strict=True):
            if (bad := control_character(cell)) is not None:
                problems.append(Problem(name, i, col if col in known else WHOLE_ROW,
                                        f"holds the control character {bad}: a cell is one line of plain text"))

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
    for cell, row in zip(cells, rows, strict=True):
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
                problems.append(Problem(name, row, fld.name, f"{clip(cell)} is not a number{hint}"))
            values.append(x)
            continue
        if fld.enum is not None and cell not in fld.enum:
            problems.append(Problem(name, row, fld.name, f"{clip(cell)} is not allowed; allowed: {', '.join(fld.enum)}"))
        elif pattern is not None and not pattern.fullmatch(cell):
            problems.append(Problem(name, row, fld.name, f"{clip(cell)} does not match the pattern {cut(fld.pattern, 80)}"))
        if fld.format == "uri" and not re.match(r"^https?://\S+$", cell):
            problems.append(Problem(name, row, fld.name, f"{clip(cell)} is not a web address (http:// or https://)"))
        if fld.unique:
            if cell in first_seen:
                problems.append(Problem(name, row, fld.name, f"duplicate {clip(cell)} (first at row {first_seen[cell]})"))
            else:
                first_seen[cell] = row
        values.append(cell)
    dtype = "float64" if fld.type in ("number", "integer") else "string"
    series = pd.Series([v if v is not None else (float("nan") if dtype == "float64" else pd.NA) for v in values], dtype=dtype)
    return series, problems
