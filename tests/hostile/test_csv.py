"""Formula injection: every CSV the kit writes goes through one rule (rekit.csvcells).

Each payload is written through each writer (the command line's ``--format csv`` for ``simulate``
and ``data show``, a report's chart CSV built by ``rekit run``, the gradebook, the disagreement
register) and the file is read back with Python's `csv` module: no cell begins with a character
a spreadsheet would run (=, +, -, @, tab, carriage return) unless it is a plain number, and the
numbers are still numbers. The rule itself is tested first with values picked by hand.
"""

from __future__ import annotations

import csv
import datetime
import io
import shutil

import numpy as np
import pandas as pd
import pytest

from rekit import csvcells
from rekit.reports import downloads
from hostile.cases import DATA, expect, run_rekit

#: The payloads of the issue, each a text a spreadsheet would run as a formula.
PAYLOADS = ['=HYPERLINK("http://evil.example/","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
#: A source title that would start a second cell, beginning =HYPERLINK(, were the line not quoted.
TITLE = 'a,"=HYPERLINK(1)'


def unsafe_cells(text: str) -> list[str]:
    """The cells of CSV `text` a spreadsheet would run: starting with = + - @ TAB CR and neither a
    plain number (float() reads it, ASCII) nor a lone '-'."""
    bad = []
    for record in csv.reader(io.StringIO(text, newline="")):
        for cell in record:
            if not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == "-":
                continue
            try:
                float(cell)
                if cell.isascii():
                    continue
            except ValueError:
                pass
            bad.append(cell)
    return bad


# --- the rule, with values picked by hand ----------------------------------------------------


@pytest.mark.parametrize("given, written", [
    ('=HYPERLINK("http://evil.example/","x")', '\'=HYPERLINK("http://evil.example/","x")'),
    ("+1+1", "'+1+1"),
    ("-2+3", "'-2+3"),  # a formula, though it starts like a number
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("=", "'="),
    ("-inf", "'-inf"),  # float() reads it; it is not a plain decimal number
    ("-３", "'-３"),  # a full-width digit is not a plain ASCII number
    ("-1,5", "'-1,5"),
])
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(given, written):
    assert csvcells.neutralise(given) == written


@pytest.mark.parametrize("value", [
    "-3.5", "+2", "-1e-3", ".5",  # plain numbers written as text: read as numbers, nothing runs
    "-",  # the usual mark for "none"; one character is no formula
    "", "plain", "a=b", "'=already quoted", " =1",  # text not starting with a formula character
    -3.5, 2, np.float64(-2.0), np.int64(-7), True, None, float("nan"),  # numbers and None
    datetime.date(2024, 1, 1),
])
def test_numbers_plain_number_text_and_safe_text_are_left_as_they_are(value):
    got = csvcells.neutralise(value)
    assert got is value or got == value
    assert type(got) is type(value)


def test_an_object_is_judged_by_the_text_the_writer_will_write():
    class Formula:
        def __str__(self) -> str:
            return "=1+1"

    assert csvcells.neutralise(Formula()) == "'=1+1"


def test_the_writer_quotes_a_cell_with_a_comma_or_a_quote_and_neutralises_every_cell():
    # the title's quote is doubled and the cell quoted, so its comma starts no second cell
    assert csvcells.csv_text([[TITLE]]) == '"a,""=HYPERLINK(1)"\n'
    assert csvcells.csv_text([["=1", -2.5, "-2.5", None]]) == "'=1,-2.5,-2.5,\n"
    # a carriage return inside a cell is quoted, and read back as one cell
    text = csvcells.csv_text([["\r=1", 1]])
    assert text == "\"'\r=1\",1\n"
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["'\r=1", "1"]]


def test_the_check_of_this_file_can_fail():
    assert unsafe_cells("=1,2\n") == ["=1"] and unsafe_cells('"a,""=H()",-3.5,-\n') == []
    assert unsafe_cells("a,=H()\n") == ["=H()"]  # what an unquoted header line with a comma gave


# --- chart downloads: cells, and the metadata beside them --------------------------------------


def payload_figure() -> dict:
    """A plotly figure (as a dict) whose every text is a payload: trace names, x categories, hover extras."""
    return {
        "data": [{"type": "bar", "name": p, "x": [p, "plain"], "y": [-3.5, 2.0], "customdata": [[p], ["-1"]]}
                 for p in PAYLOADS],
        "layout": {"title": {"text": "=1+1"}, "yaxis": {"title": {"text": TITLE}}, "meta": {"note": "@x"}},
    }


def test_a_chart_csv_neutralises_cells_and_its_metadata_keeps_the_text_whole():
    fig = payload_figure()
    text = downloads.figure_csv(fig)
    assert unsafe_cells(text) == []
    # a bare read_csv reads it: one header line, then 6 traces x 2 bars, the numbers still numbers
    table = pd.read_csv(io.StringIO(text))
    assert list(table.columns) == ["series", "x", "y", "detail_1"] and len(table) == 12
    assert table["y"].tolist() == [-3.5, 2.0] * 6
    # the titles, sources and parameters move to the metadata (JSON, not a spreadsheet): kept as given
    import json

    meta = json.loads(downloads.metadata_json(downloads.figure_metadata(
        fig, [{"id": "s1", "citation": TITLE}, {"id": "s2", "citation": "-2+3"}], {"deals": PAYLOADS}, {"commit": "abc"},
        report="=cmd|' /C calc'!A0")))
    assert meta["sources"][0] == {"id": "s1", "citation": 'a,"=HYPERLINK(1)'} and meta["axes"]["yaxis"] == TITLE
    assert meta["report"] == "=cmd|' /C calc'!A0" and meta["title"] == "=1+1" and meta["parameters"]["deals"] == PAYLOADS
    assert meta["commit"] == "abc" and meta["method"] == "@x"
    rows = downloads.read_figure_csv(text)
    assert rows[0]["series"] == "'" + PAYLOADS[0] and rows[0]["x"] == "'" + PAYLOADS[0]
    assert [float(r["y"]) for r in rows[:2]] == [-3.5, 2.0] and rows[1]["detail_1"] == "-1"


def test_a_chart_csv_gives_back_the_characters_escaped_for_plotly():
    """Data text goes into a figure escaped (rekit.figures.charts.plain: '&' as '&amp;', '<' as '&lt;');
    the download gives the reader the characters themselves, still neutralised where a spreadsheet
    would run them. The kit's own '<br>' becomes a space."""
    fig = {"data": [{"type": "bar", "name": "A &amp; B &lt;img src=x&gt;", "x": ["=1+1&lt;2"], "y": [1.5],
                     "customdata": [["line one<br>line two &amp; more"]]}],
           "layout": {"title": {"text": "Tolling &amp; the scheme"}}}
    rows = downloads.read_figure_csv(downloads.figure_csv(fig))
    assert downloads.figure_metadata(fig)["title"] == "Tolling & the scheme"
    assert rows == [{"series": "A & B <img src=x>", "x": "'=1+1<2", "y": "1.5", "detail_1": "line one line two & more"}]


def test_a_chart_csv_has_a_column_for_every_detail_of_the_longest_hover_row():
    # the first point carries one detail, the second two: 3 + 2 = 5 columns; the detail columns used
    # to be counted from the first row only, so the second row's "r" had no column (6 cells under 5 names)
    fig = {"data": [{"type": "scatter", "name": "a", "x": [1, 2], "y": [3, 4], "customdata": [["p"], ["q", "r"]]}]}
    records = list(csv.reader(io.StringIO(downloads.figure_csv(fig), newline="")))
    assert records == [["series", "x", "y", "detail_1", "detail_2"], ["a", "1", "3", "p", ""], ["a", "2", "4", "q", "r"]]
    rows = downloads.read_figure_csv(downloads.figure_csv(fig))
    assert rows[1] == {"series": "a", "x": "2", "y": "4", "detail_1": "q", "detail_2": "r"}


# --- each writer, through the command line and the report runner --------------------------------

DEAL_TEMPLATE = """\
  {name}:
    description: "a payload deal"
    shares:
      export: {{value: 0, source: "assumption: halt"}}
      toll: {{value: 0, source: "assumption: no tolling"}}
      domestic: {{value: 0, source: "assumption: no domestic magnets"}}
      stock: rest
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A deals file with one deal named after each payload, and a copy of the data whose every source
    title is TITLE and whose nd_production notes are payloads (those without control characters)."""
    folder = tmp_path_factory.mktemp("csv")
    deals = folder / "evil.yml"
    deals.write_text("deals:\n" + "".join(DEAL_TEMPLATE.format(name=json_text(p)) for p in PAYLOADS), encoding="utf-8")
    data = folder / "data"
    shutil.copytree(DATA, data)
    edit_rows(data / "sources.csv", lambda i, r: r.update(title=f"{TITLE} {i}"))
    payloads = iter(p for p in PAYLOADS if p.isprintable())
    edit_rows(data / "observations.csv",
              lambda i, r: r.update(note=next(payloads, r["note"])) if r["indicator"] == "nd_production" else None)
    return {"deals": deals, "data": data, "folder": folder}


def json_text(text: str) -> str:
    """`text` as a double-quoted YAML (JSON) scalar."""
    import json

    return json.dumps(text)


def edit_rows(path, change) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for i, r in enumerate(rows):
        change(i, r)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def test_simulate_csv_neutralises_every_payload_deal(hostile):
    args = ["simulate", "--deals", hostile["deals"], "--years", "2024-2025", "--draws", "5", "--format", "csv"]
    for p in PAYLOADS:
        args += ["--deal", p]
    proc = run_rekit(args)
    expect(proc, 0, "deal,year,metric")
    assert unsafe_cells(proc.stdout) == []
    table = pd.read_csv(io.StringIO(proc.stdout), keep_default_na=False)
    # every payload deal is there, with its quote (the output is read as text, so its carriage return
    # arrives as a line feed: inside its quoted cell, as the one-row-each count shows); numbers stay numbers
    assert set(table["deal"]) == {"'" + p.replace("\r", "\n") for p in PAYLOADS}
    assert len(table) == len(PAYLOADS) * len(set(table["metric"])) * 2
    assert all(pd.api.types.is_numeric_dtype(table[c]) for c in ("year", "mean", "p05", "p50", "p95"))


def test_data_show_csv_neutralises_payload_notes(hostile):
    proc = run_rekit(["data", "show", "nd_production", "--format", "csv", "--data", hostile["data"]])
    expect(proc, 0, "note")
    assert unsafe_cells(proc.stdout) == []
    table = pd.read_csv(io.StringIO(proc.stdout), keep_default_na=False)
    printable = [p for p in PAYLOADS if p.isprintable()]
    assert {"'" + p for p in printable} <= set(table["note"])
    assert pd.api.types.is_numeric_dtype(table["value"])


def test_a_reports_chart_csv_neutralises_payload_deals_and_quotes_payload_source_titles(hostile):
    """A real `rekit run`: the deals a user may pick (the parameter check strips names, so the tab
    and carriage-return deals are left to the tests above) and source titles with a comma and a quote."""
    picked = [p for p in PAYLOADS if p.isprintable()]
    out = hostile["folder"] / "out"
    proc = run_rekit(["run", "self_sufficiency", "--deals", hostile["deals"], "-p", "deals", json_text_list(picked),
                      "-p", "draws", "20", "--out", out], env={"REKIT_DATA": str(hostile["data"])}, timeout=600)
    expect(proc, 0, "wrote")
    charts = sorted(out.glob("*.chart-*.csv")) + sorted(out.glob("*.table-*.csv"))
    assert charts, sorted(p.name for p in out.iterdir())
    for path in charts:
        text = path.read_text(encoding="utf-8")
        assert unsafe_cells(text) == [], path.name
        assert not text.startswith("#"), path.name  # a bare read_csv reads it
    rows = downloads.read_figure_csv(charts[0].read_text(encoding="utf-8"))
    # the source titles came back whole, in the metadata beside the CSV
    import json

    meta = json.loads(charts[0].with_name(charts[0].name.removesuffix(".csv") + ".metadata.json").read_text(encoding="utf-8"))
    assert any(TITLE in s["citation"] for s in meta["sources"])
    # one row per payload deal and year, each deal's name neutralised (a deal column, not a drawn series)
    assert {r["deal"] for r in rows} == {"'" + p for p in picked}
    assert all(float(r["p50"]) >= 0 for r in rows)  # a share of demand, read as a number


def json_text_list(items: list[str]) -> str:
    import json

    return json.dumps(items)


def test_the_gradebook_csv_neutralises_every_payload():
    from rekit.teaching import grading

    rows = [{c: "" for c in grading.COLUMNS} | {"student": p, "feedback": p, "exercise": "01.1", "points": -1.5,
                                                "max_points": 2, "credit": -0.75} for p in PAYLOADS]
    text = grading.format_gradebook(pd.DataFrame(rows, columns=grading.COLUMNS), "csv")
    assert unsafe_cells(text) == []
    back = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["student"] for r in back] == ["'" + p for p in PAYLOADS]  # one row each: no line was split
    assert {r["points"] for r in back} == {"-1.5"} and {r["credit"] for r in back} == {"-0.75"}


def test_the_disagreement_register_csv_neutralises_payload_cells():
    from rekit.data.conflicts import COLUMNS, conflicts_csv

    row = {c: "" for c in COLUMNS} | {"entity": PAYLOADS[0], "scope_key": "\r=1", "value_a": -2.0, "value_b": 3.0,
                                      "resolution": None, "reason": "-2+3"}
    text = conflicts_csv(pd.DataFrame([row], columns=COLUMNS))
    assert unsafe_cells(text) == []
    back = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(back) == 1 and back[0]["entity"] == "'" + PAYLOADS[0] and back[0]["scope_key"] == "'\r=1"
    assert back[0]["value_a"] == "-2.0" and back[0]["state"] == "unresolved"


def test_no_module_writes_csv_but_through_the_one_rule():
    """Every CSV writer of the kit goes through rekit.csvcells: no other module calls pandas' to_csv or
    the csv module's writers (the headline tables hash a table's CSV text for an id; nothing is written)."""
    import re
    from pathlib import Path

    package = Path(csvcells.__file__).parent
    allowed = {"csvcells.py": "", "figures/headlines.py": "hashlib.sha1(df.to_csv()"}
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.to_csv\(|csv\.(writer|DictWriter)\(", line) and not (
                    rel in allowed and allowed[rel] in line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == [], "\n".join(found)
