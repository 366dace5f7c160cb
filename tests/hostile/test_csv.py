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
from hostile.conftest import DATA, expect, run_rekit

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


# --- chart downloads: cells and header lines -------------------------------------------------


def payload_figure() -> dict:
    """A plotly figure (as a dict) whose every text is a payload: trace names, x categories, hover extras."""
    return {
        "data": [{"type": "bar", "name": p, "x": [p, "plain"], "y": [-3.5, 2.0], "customdata": [[p], ["-1"]]}
                 for p in PAYLOADS],
        "layout": {"title": {"text": "=1+1"}, "yaxis": {"title": {"text": TITLE}}, "meta": {"note": "@x"}},
    }


def test_a_chart_csv_neutralises_cells_and_quotes_header_lines():
    text = downloads.figure_csv(payload_figure(), sources=[TITLE, "-2+3"], parameters={"deals": PAYLOADS},
                                provenance={"commit": "abc"}, report="=cmd|' /C calc'!A0")
    assert unsafe_cells(text) == []
    records = list(csv.reader(io.StringIO(text, newline="")))
    # every header line is one cell, however many commas and quotes its text holds
    heads = [r for r in records if r and r[0].startswith("# ")]
    assert all(len(r) == 1 for r in heads) and '# source [1]: a,"=HYPERLINK(1)' in [r[0] for r in heads]
    head, rows = downloads.read_figure_csv(text)
    assert head["source [1]"] == 'a,"=HYPERLINK(1)' and head["yaxis"] == 'a,"=HYPERLINK(1)'
    assert head["report"] == "=cmd|' /C calc'!A0" and head["title"] == "=1+1"  # the '# ' keeps them safe
    # 6 traces x 2 bars; the names and categories neutralised, the numbers still numbers
    assert len(rows) == 12
    assert rows[0]["series"] == "'" + PAYLOADS[0] and rows[0]["x"] == "'" + PAYLOADS[0]
    assert [float(r["y"]) for r in rows[:2]] == [-3.5, 2.0] and rows[1]["detail_1"] == "-1"
