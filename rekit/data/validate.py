"""Validation of a data folder: the quick pass that `load()` runs, and the full pass of `rekit data check`.

The quick pass types every table from the schema and applies the domain's rules (rekit.rules).
The full pass adds the Frictionless Data validator, the reference implementation of the
standard, and reports whatever it finds that the quick pass did not, in the same form.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rekit.data import rules
from rekit.data.files import UnsafeFileError, cut, resource_path
from rekit.data.jsonfile import JsonFileError, read_json
from rekit.data.problems import WHOLE_FILE, Problem
from rekit.data.schema import DESCRIPTOR, MAX_DESCRIPTOR_BYTES, Resource, SchemaError, read_schema
from rekit.data.tables import read_table
from rekit.paths import BUNDLED_DATA



def schema_folder(folder: Path) -> Path:
    """Where the descriptor for `folder` lives: the folder itself, or the bundled data's if it has none."""
    return folder if (folder / DESCRIPTOR).exists() else BUNDLED_DATA


def read_tables(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Resource], list[Problem]]:
    """Every table of the package in `folder`, typed, with the schema used and the problems found."""
    try:
        schema = read_schema(schema_folder(folder))
    except SchemaError as exc:
        return {}, {}, [Problem(DESCRIPTOR, 0, WHOLE_FILE, str(exc))]
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, res in schema.items():
        tables[name], found = read_table(folder, res)
        problems += found
    unreadable = sorted({p.file for p in problems if p.row == 0})
    if unreadable:  # the domain's rules cross tables: with one missing, they would only echo its absence
        return tables, schema, problems
    problems += rules.check(tables, schema)
    return tables, schema, problems


def quick(folder: Path) -> list[Problem]:
    """The checks `load()` runs: schema types and constraints, keys, and the domain's rules."""
    return sorted(set(read_tables(Path(folder))[2]))


def _frictionless(folder: Path) -> list[Problem]:
    """Problems the Frictionless validator finds, as Problems (imported here: it takes about a second).

    Frictionless is given the package only when the kit's own checks pass on the descriptor and on
    every resource path (inside the folder, a regular file: rekit.data.files.resource_path), so it
    never opens a file outside the package, a FIFO or a device; the quick pass names those.
    Its notes are cut short, as they may quote a cell.
    """
    try:
        descriptor = read_json(schema_folder(folder) / DESCRIPTOR, "data package descriptor", cap=MAX_DESCRIPTOR_BYTES)
        schema = read_schema(schema_folder(folder))
        for res in schema.values():
            resource_path(folder, res.path)
    except (JsonFileError, SchemaError, UnsafeFileError):
        return []  # the quick pass has named the descriptor's or the path's problem
    from frictionless import FrictionlessException, Package

    paths = {r.name: r.path for r in schema.values()}
    for res in descriptor["resources"]:  # columns are matched by name; missing/extra ones are the quick pass's to report
        res["schema"]["fieldsMatch"] = "subset"
    try:
        report = Package(descriptor, basepath=str(folder)).validate()
    except FrictionlessException as exc:
        return [Problem(DESCRIPTOR, 0, WHOLE_FILE, cut(exc, 300))]
    out = []
    for task in report.tasks:
        file = paths.get(task.name, task.name)
        for e in task.errors:
            column = getattr(e, "field_name", None) or WHOLE_FILE
            if e.type == "foreign-key":  # the note names the field: 'for "source_id": values ...'
                column = e.note.split('"')[1] if '"' in e.note else column
            if e.type == "primary-key":
                pk = [f.name for f in schema[task.name].fields if f.unique]
                column = pk[0] if pk else column
            out.append(Problem(file, getattr(e, "row_number", None) or 0, column, f"{e.title.lower()}: {cut(e.note, 160)}"))
    for e in report.errors:
        out.append(Problem(DESCRIPTOR, 0, WHOLE_FILE, cut(e.message, 300)))
    return out


def full(folder: Path, quick_problems: list[Problem] | None = None) -> list[Problem]:
    """Quick checks plus the Frictionless validator; a cell already named by the quick pass is not named twice.

    `quick_problems`: the quick pass's problems when the caller has run it already (as `load()` does).
    """
    folder = Path(folder)
    ours = quick(folder) if quick_problems is None else sorted(set(quick_problems))
    seen = {(p.file, p.row, p.column) for p in ours}
    seen_rows = {(p.file, p.row) for p in ours if p.row > 0}
    broken = {p.file for p in ours if p.row <= 1}  # structure already reported: the validator's view of it adds noise
    extra = []
    for p in _frictionless(folder):
        if p.file in broken or (p.file, p.row, p.column) in seen or (p.column == WHOLE_FILE and (p.file, p.row) in seen_rows):
            continue
        extra.append(p)
    return sorted(set(ours + extra))
