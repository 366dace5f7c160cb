"""Shared fixtures: a writable copy of the bundled data, and a helper to edit one cell of it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data folder that a test may break."""
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    return dest


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def set_cell(folder: Path, file: str, index: int, column: str, value: str) -> int:
    """Set one cell (data row `index`, 0-based) and return the row number a problem should name (header = 1)."""
    path = folder / file
    rows = read_rows(path)
    rows[index][column] = value
    write_rows(path, rows)
    return index + 2


def first_row(folder: Path, file: str, **where: str) -> int:
    """Index of the first data row whose cells equal `where`."""
    for i, r in enumerate(read_rows(folder / file)):
        if all(r[k] == v for k, v in where.items()):
            return i
    raise LookupError(f"no row in {file} with {where}")
