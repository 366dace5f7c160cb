"""Bad input: each problem is named by file, row and column, never a traceback, never a silent drop."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import first_row, read_rows, set_cell, write_rows
from rekit.data import validate
from rekit.data.dataset import load
from rekit.data.problems import DataError


def problems_at(folder, file, row, column):
    found = validate.quick(folder)
    return [p for p in found if (p.file, p.row, p.column) == (file, row, column)], found


def assert_named(folder, file, row, column, fragment):
    """The quick check names this cell with a message containing `fragment`, and load() refuses the data."""
    hits, found = problems_at(folder, file, row, column)
    assert hits, f"expected a problem at {file}:{row}: {column}; got {[str(p) for p in found]}"
    assert any(fragment in p.message for p in hits), [p.message for p in hits]
    with pytest.raises(DataError) as exc:
        load(folder)
    assert f"{file}:{row}: {column}:" in str(exc.value)


def test_bundled_data_passes():
    """The one place that checks the bundled data passes: the full check in-process, `rekit data check`
    (exit 0, one line "ok: ..."), and the standard's own validator, as a user would run it
    (`frictionless validate data/datapackage.json`)."""
    from conftest import DATA, ROOT

    assert validate.full(DATA) == []
    out = subprocess.run([sys.executable, "-m", "rekit.cli", "data", "check"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("ok:") and len(out.stdout.strip().splitlines()) == 1
    assert "full check passed" in out.stdout and "Traceback" not in out.stderr
    exe = Path(sys.executable).with_name("frictionless")
    out = subprocess.run([str(exe), "validate", "data/datapackage.json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:]
    assert "VALID" in out.stdout and "INVALID" not in out.stdout


def test_missing_column(data_copy):
    path = data_copy / "observations.csv"
    rows = read_rows(path)
    for r in rows:
        del r["scope"]
    write_rows(path, rows)
    assert_named(data_copy, "observations.csv", 1, "scope", "missing column")


def test_extra_unknown_column(data_copy):
    path = data_copy / "observations.csv"
    rows = read_rows(path)
    for r in rows:
        r["colour"] = "red"
    write_rows(path, rows)
    assert_named(data_copy, "observations.csv", 1, "colour", "unknown column")


def test_non_numeric_value(data_copy):
    row = set_cell(data_copy, "observations.csv", 3, "value", "about 500")
    assert_named(data_copy, "observations.csv", row, "value", "'about 500' is not a number")


def test_thousands_separator_gets_a_hint(data_copy):
    row = set_cell(data_copy, "observations.csv", 3, "value", "1,000")
    assert_named(data_copy, "observations.csv", row, "value", "without thousands separators")


def test_negative_tonnage(data_copy):
    i = first_row(data_copy, "observations.csv", unit="t REO")
    row = set_cell(data_copy, "observations.csv", i, "value", "-5")
    assert_named(data_copy, "observations.csv", row, "value", "cannot be negative")


def test_share_above_one(data_copy):
    i = first_row(data_copy, "observations.csv", unit="share")
    row = set_cell(data_copy, "observations.csv", i, "value", "1.5")
    assert_named(data_copy, "observations.csv", row, "value", "a share must lie in [0, 1]")


def test_low_above_high(data_copy):
    i = first_row(data_copy, "observations.csv", unit="t Nd")
    set_cell(data_copy, "observations.csv", i, "low", "600")
    row = set_cell(data_copy, "observations.csv", i, "high", "500")
    assert_named(data_copy, "observations.csv", row, "low", "above high")


def test_unknown_source_id(data_copy):
    row = set_cell(data_copy, "observations.csv", 0, "source_id", "nowhere_2025")
    assert_named(data_copy, "observations.csv", row, "source_id", "'nowhere_2025' is not a source_id in sources.csv")


def test_duplicate_id(data_copy):
    first = read_rows(data_copy / "observations.csv")[0]["id"]
    row = set_cell(data_copy, "observations.csv", 4, "id", first)
    assert_named(data_copy, "observations.csv", row, "id", "duplicate")


def test_unparseable_period(data_copy):
    row = set_cell(data_copy, "observations.csv", 2, "period", "FY2024-26")
    assert_named(data_copy, "observations.csv", row, "period", "fiscal year runs April 2024 to March 2025")
    row = set_cell(data_copy, "observations.csv", 5, "period", "last year")
    assert_named(data_copy, "observations.csv", row, "period", "is not a year (2024)")


def test_unknown_unit(data_copy):
    row = set_cell(data_copy, "observations.csv", 1, "unit", "tonnes")
    assert_named(data_copy, "observations.csv", row, "unit", "'tonnes' is not allowed")


def test_empty_file(data_copy):
    (data_copy / "sources.csv").write_text("")
    assert_named(data_copy, "sources.csv", 1, "(file)", "the file is empty")


def test_reported_row_without_quote(data_copy):
    i = first_row(data_copy, "observations.csv", status="reported")
    row = set_cell(data_copy, "observations.csv", i, "quote", "")
    assert_named(data_copy, "observations.csv", row, "quote", "needs the words of its source")


def test_derived_row_with_unknown_input(data_copy):
    i = first_row(data_copy, "observations.csv", status="derived")
    row = set_cell(data_copy, "observations.csv", i, "derived_from", "no_such_row")
    assert_named(data_copy, "observations.csv", row, "derived_from", "'no_such_row' is not an id")


def test_unused_source(data_copy):
    path = data_copy / "sources.csv"
    rows = read_rows(path)
    rows.append({**rows[0], "source_id": "orphan_2020"})
    write_rows(path, rows)
    assert_named(data_copy, "sources.csv", len(rows) + 1, "source_id", "cited by no observation or event")


def test_row_with_too_many_cells_is_named_not_dropped(data_copy):
    path = data_copy / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_named(data_copy, "observations.csv", 4, "(row)", "cells but the header has")


def test_every_problem_is_reported_not_just_the_first(data_copy):
    set_cell(data_copy, "observations.csv", 1, "unit", "tonnes")
    set_cell(data_copy, "observations.csv", 2, "value", "x")
    set_cell(data_copy, "observations.csv", 3, "period", "soon")
    with pytest.raises(DataError) as exc:
        load(data_copy)
    rows = {(p.row, p.column) for p in exc.value.problems}
    assert {(3, "unit"), (4, "value"), (5, "period")} <= rows


def test_bom_and_windows_line_endings_read_correctly(data_copy):
    reference = load(data_copy)
    for name in ("observations.csv", "sources.csv", "events.csv", "indicators.csv"):
        path = data_copy / name
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    again = load(data_copy)
    assert validate.full(data_copy) == []
    assert list(again.observations["id"]) == list(reference.observations["id"])
    assert again.observations["value"].equals(reference.observations["value"])
    assert list(again.observations.columns) == list(reference.observations.columns)


def test_full_check_adds_frictionless_findings_once(data_copy):
    """The Frictionless pass runs, and a cell the quick pass named is not named twice."""
    row = set_cell(data_copy, "observations.csv", 2, "value", "abc")
    found = validate.full(data_copy)
    at = [p for p in found if (p.row, p.column) == (row, "value")]
    assert len(at) == 1
    url_row = set_cell(data_copy, "sources.csv", 0, "url", "not a url")
    assert any((p.file, p.row, p.column) == ("sources.csv", url_row, "url") for p in validate.full(data_copy))


def test_full_check_reports_a_broken_descriptor(data_copy):
    """The Frictionless pass checks the descriptor itself, which the quick pass takes on trust."""
    # Data Package v2 lets a package's name be any text, so the break is one its profile refuses:
    # `contributors` must be a list of objects, here a bare string
    path = data_copy / "datapackage.json"
    text, n = re.subn(r'"contributors": \[.*?\n  \]', '"contributors": "everyone"', path.read_text(), count=1, flags=re.S)
    assert n == 1
    path.write_text(text)
    assert validate.quick(data_copy) == []
    found = validate.full(data_copy)
    assert any(p.file == "datapackage.json" and "'everyone' is not of type 'array'" in p.message for p in found), \
        [str(p) for p in found]


def test_unsupported_field_type_in_descriptor_is_a_problem_not_a_crash(data_copy):
    path = data_copy / "datapackage.json"
    path.write_text(path.read_text().replace('"name": "value", "type": "number"', '"name": "value", "type": "numbr"'))
    hits = [p for p in validate.quick(data_copy) if p.file == "datapackage.json"]
    assert hits and "numbr" in hits[0].message


@pytest.mark.parametrize("column", ["number", "scope", "status"])
def test_an_export_control_without_its_number_scope_or_status_is_named(data_copy, column):
    row = set_cell(data_copy, "events.csv", first_row(data_copy, "events.csv", id="china_announcement_61_2025"), column, "")
    assert_named(data_copy, "events.csv", row, column, "export control 'china_announcement_61_2025' has no " + column)


def test_an_export_control_status_outside_the_allowed_words_is_named(data_copy):
    row = set_cell(data_copy, "events.csv", first_row(data_copy, "events.csv", id="china_announcement_61_2025"), "status", "paused")
    hits, found = problems_at(data_copy, "events.csv", row, "status")
    assert hits, [str(p) for p in found]


def test_an_event_that_is_not_a_measure_needs_no_number(data_copy):
    # irel_seeks_japan_korea_partners is a partnership: its number, scope and status are empty and that is fine
    i = first_row(data_copy, "events.csv", id="irel_seeks_japan_korea_partners")
    assert read_rows(data_copy / "events.csv")[i]["number"] == ""
    assert validate.quick(data_copy) == []
