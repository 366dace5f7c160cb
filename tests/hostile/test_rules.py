"""Data rules a stranger's data folder can break, each refused by name.

Every row edits one cell of a copy of the bundled data (or its descriptor), runs ``rekit data
check`` (quick and full; in the test's process, hostile.cases.run_rekit), and names the exit
status and a fragment of the message, which names the file, the row and the column. The rules
live in rekit.data.rules (names in ASCII, real calendar days, a source read after it is
published, a reported figure not later than its source), rekit.data.tables (no control characters in any cell) and rekit.data.schema (a
version, every resource and field the kit reads, with its type).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import first_row, read_rows, set_cell
from hostile.cases import expect, run_rekit


CYRILLIC_E = "\u0415"  # CYRILLIC CAPITAL LETTER IE, drawn as the Latin E


def cell(file: str, where: dict[str, str] | int, column: str, value: str):
    """An edit: set `column` of the row of `file` matched by `where` (cells, or a 0-based index) to `value`;
    returns the row number a problem names (header = 1)."""
    def edit(folder: Path) -> int:
        index = where if isinstance(where, int) else first_row(folder, file, **where)
        return set_cell(folder, file, index, column, value)
    return edit


def first_reported(folder: Path) -> int:
    return first_row(folder, "observations.csv", status="reported")


def reported_in_2099(folder: Path) -> int:
    """The first reported figure moved to 2099 (its source was published decades before)."""
    return set_cell(folder, "observations.csv", first_reported(folder), "period", "2099")


def published_after_accessed(folder: Path) -> int:
    """A source published on 2026-12-31, read on its `accessed` day before that."""
    rows = read_rows(folder / "sources.csv")
    index = next(i for i, r in enumerate(rows) if r["accessed"] and r["accessed"] < "2026-12-31")
    return set_cell(folder, "sources.csv", index, "date", "2026-12-31")


CELL_CASES = [  # (name, edit, file, column, fragment)
    ("cyrillic entity", cell("observations.csv", {"entity": "IREL"}, "entity", f"IR{CYRILLIC_E}L"),
     "observations.csv", "entity", "holds U+0415 (Cyrillic Capital Letter Ie): names and ids are written in ASCII letters, "
                                   "digits and punctuation; did you mean 'IREL'?"),
    ("greek partner", cell("observations.csv", {"partner": "Japan"}, "partner", "J\u03b1pan"),
     "observations.csv", "partner", "did you mean 'Japan'?"),
    ("full-width actor", cell("events.csv", 0, "actor", "\uff29\uff32\uff25\uff2c"),
     "events.csv", "actor", "did you mean 'IREL'?"),
    ("cyrillic source id", cell("observations.csv", 0, "source_id", f"s{CYRILLIC_E}ed"),
     "observations.csv", "source_id", "is not a source_id in sources.csv"),
    ("accessed 2026-02-30", cell("sources.csv", 0, "accessed", "2026-02-30"),
     "sources.csv", "accessed", "'2026-02-30': not a calendar date (day is out of range for month)"),
    ("decided 2025-13-45", cell("resolutions.csv", 0, "decided", "2025-13-45"),
     "resolutions.csv", "decided", "'2025-13-45': not a calendar date (month must be in 1..12)"),
    ("event on 2025-02-30", cell("events.csv", 0, "date", "2025-02-30"),
     "events.csv", "date", "'2025-02-30': not a calendar date"),
    ("source date 2025-02-29", cell("sources.csv", 0, "date", "2025-02-29"),
     "sources.csv", "date", "'2025-02-29': not a calendar date"),
    ("published after accessed", published_after_accessed,
     "sources.csv", "date", "published 2026-12-31, after it was accessed on"),
    ("reported for 2099", reported_in_2099,
     "observations.csv", "period", "a reported figure for 2099 starts after its source"),
    ("NUL in a note", cell("observations.csv", 0, "note", "ok\x00hidden"),
     "observations.csv", "note", "holds the control character U+0000 (NUL)"),
    ("tab in a quote", cell("observations.csv", 0, "quote", "a\tb"),
     "observations.csv", "quote", "holds the control character U+0009 (TAB)"),
    ("line break in a title", cell("events.csv", 0, "title", "a\nb"),
     "events.csv", "title", "holds the control character U+000A (LINE FEED)"),
    ("escape in a publisher", cell("sources.csv", 0, "publisher", "\x1b[31mred"),
     "sources.csv", "publisher", "holds the control character U+001B"),
    ("bidi override in a scope", cell("observations.csv", 0, "scope", "abc\u202edcb"),
     "observations.csv", "scope", "holds the control character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("a long bad number is cut short", cell("observations.csv", 0, "value", "9" * 5000 + "x"),
     "observations.csv", "value", "'" + "9" * 78 + "…"),
]


@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
@pytest.mark.parametrize("case, edit, file, column, fragment", CELL_CASES, ids=[c[0] for c in CELL_CASES])
def test_a_cell_that_breaks_a_rule_is_named(data_copy, quick, case, edit, file, column, fragment):
    row = edit(data_copy)
    proc = run_rekit(["data", "check", *(["--quick"] if quick else []), data_copy], process=False)
    expect(proc, 1, f"{file}:{row}: {column}: ")
    expect(proc, 1, fragment)
    assert len(proc.stdout + proc.stderr) < 20_000  # a 5,000-character cell is not echoed whole


def test_the_cyrillic_entity_no_longer_drops_silently_from_a_filter(data_copy):
    """The issue's case: `IRЕL` was a second entity that `data show --entity IREL` left out, exit 0."""
    row = cell("observations.csv", {"entity": "IREL", "indicator": "re_exports"}, "entity", f"IR{CYRILLIC_E}L")(data_copy)
    expect(run_rekit(["data", "show", "re_exports", "--entity", "IREL", "--data", data_copy], process=False), 1,
           f"observations.csv:{row}: entity: ")


# --- the descriptor ------------------------------------------------------------------------------


def edit_descriptor(folder: Path, change) -> None:
    path = folder / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    change(desc)
    path.write_text(json.dumps(desc, indent=1), encoding="utf-8")


def resource(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def field(desc: dict, res: str, name: str) -> dict:
    return next(f for f in resource(desc, res)["schema"]["fields"] if f["name"] == name)


DESCRIPTOR_CASES = [  # (name, change to the descriptor, fragment)
    ("no version", lambda d: d.pop("version"), "the package has no version"),
    ("version not text", lambda d: d.update(version=[1, 2]), "version '[1, 2]' is not a version"),
    ("value retyped to string", lambda d: field(d, "observations", "value").update(type="string"),
     "resource 'observations', field 'value' has type 'string'; the kit reads it as 'number'"),
    ("period retyped to number", lambda d: field(d, "observations", "period").update(type="number"),
     "resource 'observations', field 'period' has type 'number'; the kit reads it as 'string'"),
    ("no observations", lambda d: d.update(resources=[r for r in d["resources"] if r["name"] != "observations"]),
     "there is no resource 'observations'"),
    ("a field dropped", lambda d: resource(d, "sources")["schema"].update(
        fields=[f for f in resource(d, "sources")["schema"]["fields"] if f["name"] != "date"]),
     "resource 'sources' declares no field 'date'"),
    ("fields not a list", lambda d: resource(d, "events")["schema"].update(fields="id,date"),
     "resource 'events', schema, fields is str: expected a JSON list"),
    ("a bad pattern", lambda d: field(d, "events", "id")["constraints"].update(pattern="(["),
     "resource 'events', field 'id', constraints, pattern '([' is not a regular expression"),
    ("a foreign key to nothing", lambda d: resource(d, "events")["schema"]["foreignKeys"][0]["reference"].update(resource="nowhere"),
     "resource 'events': the foreign key on 'source_id' names 'nowhere'"),
    ("resources not a list", lambda d: d.update(resources={"a": 1}), "resources is dict: expected a JSON list"),
]


@pytest.mark.parametrize("command", [["data", "check"], ["data", "check", "--quick"]], ids=["full", "quick"])
@pytest.mark.parametrize("case, change, fragment", DESCRIPTOR_CASES, ids=[c[0] for c in DESCRIPTOR_CASES])
def test_a_descriptor_the_kit_cannot_read_is_named(data_copy, command, case, change, fragment):
    edit_descriptor(data_copy, change)
    expect(run_rekit([*command, data_copy], process=False), 1, f"datapackage.json:0: (file): {fragment}")


@pytest.mark.parametrize("case, change, fragment", DESCRIPTOR_CASES[:5], ids=[c[0] for c in DESCRIPTOR_CASES[:5]])
def test_simulate_refuses_the_same_descriptor(data_copy, case, change, fragment):
    edit_descriptor(data_copy, change)
    expect(run_rekit(["simulate", "--draws", "10", "--years", "2024-2025", "--data", data_copy], process=False), 1, fragment)


def test_a_data_folder_without_deals_uses_the_bundled_ones_and_says_so(data_copy):
    (data_copy / "deals.yml").unlink()
    proc = run_rekit(["simulate", "--draws", "10", "--years", "2024-2025", "--data", data_copy], process=False)
    expect(proc, 0, f"rekit: note: {data_copy} has no deals.yml: using the bundled deals")
    assert "has no deals.yml" in proc.stderr and "has no deals.yml" not in proc.stdout


def test_the_bundled_data_folder_gives_no_such_note():
    proc = run_rekit(["simulate", "--draws", "10", "--years", "2024-2025"], process=False)
    expect(proc, 0, "")
    assert "has no deals.yml" not in proc.stderr
