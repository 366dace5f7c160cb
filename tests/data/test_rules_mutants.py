"""The data rules one by one, on tables of a few rows built here (no data folder, no loader).

Each rule is given rows that break it, rows on its boundary that do not, and rows it must leave
to another rule; the expected problems are written out whole (file, row, column, message). The
end-to-end form, a broken cell of a copy of the bundled data named by `load()`, is in
tests/data/test_data_validation.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from rekit.data import rules
from rekit.data.problems import Problem
from rekit.data.schema import Field, ForeignKey, Resource

NA = None
OBS = "observations.csv"
SRC = "sources.csv"
EV = "events.csv"


def table(columns: str, *rows: tuple, first_row: int = 2) -> pd.DataFrame:
    """A typed table as the loader makes it (rekit.data.tables): `columns` space-separated, one tuple
    a row; value, low and high as float64 (NaN when empty), every other column as pandas' "string"
    dtype (pd.NA when empty); and the csv_row column counting records as a spreadsheet does (the
    header is row 1, so the first record is row 2)."""
    names = columns.split()
    df = pd.DataFrame([list(r) for r in rows], columns=names, dtype=object)
    for c in names:
        df[c] = df[c].astype(float) if c in ("value", "low", "high") else df[c].astype("string")
    df["csv_row"] = list(range(first_row, first_row + len(rows)))
    return df


def P(file: str, row: int, column: str, message: str) -> Problem:
    return Problem(file, row, column, message)


# -- _rows -------------------------------------------------------------------------------------


def test_rows_takes_a_missing_mask_value_as_false():
    df = table("id", ("a",), ("b",), ("c",))
    mask = pd.Series([True, pd.NA, False], dtype="boolean")
    assert [r.id for r in rules._rows(df, mask)] == ["a"]
    assert list(rules._rows(df, pd.Series([False, False, False]))) == []


# -- foreign_keys ------------------------------------------------------------------------------


def test_a_foreign_key_names_the_value_missing_from_its_target_and_skips_absent_tables():
    schema = {
        "events": Resource("events", EV, (), (ForeignKey("source_id", "sources", "source_id"),)),  # no events table
        "observations": Resource("observations", OBS, (), (
            ForeignKey("indicator", "indicators", "indicator"),  # no indicators table: not checked
            ForeignKey("source_id", "sources", "source_id"),
        )),
        "sources": Resource("sources", SRC, (), ()),
    }
    tables = {
        "observations": table("indicator source_id", ("x", "s1"), ("y", "s9"), ("z", NA), ("w", "s2")),
        "sources": table("source_id", ("s1",), ("s2",), (NA,)),
    }
    assert rules.foreign_keys(tables, schema) == [P(OBS, 3, "source_id", "'s9' is not a source_id in sources.csv")]


# -- bounded_values ----------------------------------------------------------------------------

BOUNDS_COLUMNS = "unit value low high"


def test_values_lows_and_highs_outside_their_units_bounds_are_named_with_the_bound():
    obs = table(BOUNDS_COLUMNS,
                (NA, -5, NA, NA),               # 2: no unit: the schema reports that
                ("furlong", -5, NA, NA),        # 3: not a controlled unit: the schema's enum reports it
                ("share", 1.5, NA, NA),         # 4
                ("share", 0.5, -0.1, NA),       # 5
                ("t REO", -5, NA, NA),          # 6
                ("t REO", 2e12, NA, NA),        # 7: above the mass bound 1e12
                ("ratio", 10, NA, 2e6),         # 8: above the ratio bound 1e6
                ("share", 0.0, 0.0, 1.0),       # 9: on the bounds: fine
                ("t REO", 1e12, 0.0, 1e12),     # 10: on the bounds: fine
                )
    assert rules.bounded_values(obs, OBS) == [
        P(OBS, 4, "value", "1.5 is out of bounds: a share must lie in [0, 1]"),
        P(OBS, 5, "low", "-0.1 is out of bounds: a share must lie in [0, 1]"),
        P(OBS, 6, "value", "-5 is out of bounds: a value in t REO cannot be negative"),
        P(OBS, 7, "value", "2e+12 is out of bounds: a value in t REO must not exceed 1e+12 (a typing error?)"),
        P(OBS, 8, "high", "2e+06 is out of bounds: a value in ratio must not exceed 1e+06 (a typing error?)"),
    ]


def test_low_value_and_high_are_in_order():
    obs = table(BOUNDS_COLUMNS,
                ("t REO", NA, 5, 3),      # 2: low above high
                ("t REO", 4, 5, NA),      # 3: low above value
                ("t REO", 4, NA, 3),      # 4: value above high
                ("t REO", 4, 4, 4),       # 5: all equal: fine
                ("t REO", 4, 3, 5),       # 6: in order: fine
                ("t REO", NA, NA, NA),    # 7: nothing to compare
                )
    assert rules.bounded_values(obs, OBS) == [
        P(OBS, 2, "low", "low 5 is above high 3"),
        P(OBS, 3, "low", "low 5 is above value 4"),
        P(OBS, 4, "high", "high 3 is below value 4"),
    ]


# -- periods and days --------------------------------------------------------------------------


def test_a_period_that_does_not_parse_is_named_and_a_long_cell_is_not_echoed_whole():
    forty = "x" * 40   # parsed: the parser's own message
    forty_one = "y" * 41  # not parsed: no period is that long
    df = table("period", (NA,), ("2024",), ("2024Q1",), (forty,), (forty_one,), ("FY2024-25",), ("2024-13",))
    got = rules.periods(df, "period", OBS)
    assert [(p.file, p.row, p.column) for p in got] == [(OBS, 4, "period"), (OBS, 5, "period"), (OBS, 6, "period"),
                                                        (OBS, 8, "period")]
    assert got[0].message.startswith("'2024Q1' is not a year (2024), a fiscal year (FY2024-25)")
    assert got[1].message.startswith(f"'{forty}' is not a year (2024)")
    assert got[2].message == f"'{forty_one}' is not a period"


def test_a_day_column_takes_only_real_calendar_days():
    forty = "2" * 40
    forty_one = "3" * 41
    df = table("accessed", (NA,), ("2024-03-05",), ("2026-02-30",), ("2024",), ("2024-03",), (forty,), (forty_one,))
    got = rules.days(df, "accessed", SRC)
    assert got[:4] == [
        P(SRC, 4, "accessed", "'2026-02-30': not a calendar date (day is out of range for month)"),
        P(SRC, 5, "accessed", "'2024' is not a calendar day (YYYY-MM-DD)"),
        P(SRC, 6, "accessed", "'2024-03' is not a calendar day (YYYY-MM-DD)"),
        P(SRC, 7, "accessed", f"'{forty}' is not a year (2024), a fiscal year (FY2024-25), a month (2025-06), "
                              "a date (2025-04-04), or START/END of these"),
    ]
    assert got[4:] == [P(SRC, 8, "accessed", f"'{forty_one}' is not a calendar day (YYYY-MM-DD)")]


# -- ascii names -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, ascii_text", [
    ("IR\u0415L", "IREL"),                  # Cyrillic capital Ie
    ("\uff29\uff32\uff25\uff2c", "IREL"),    # full-width letters
    ("Caf\u00e9", "Cafe"),                   # an accent folded
    ("\u0391\u0392", "AB"),                  # Greek capitals Alpha, Beta
    ("IREL", None),                          # already ASCII
    ("\u4e2d\u56fd", None),                  # no ASCII spelling
])
def test_the_ascii_spelling_of_a_name(text, ascii_text):
    assert rules.ascii_spelling(text) == ascii_text


def test_a_name_with_a_non_ascii_letter_is_named_with_the_letter_and_a_suggestion():
    df = table("entity actor", ("IREL", NA), ("IR\u0415L", "A"), (NA, "B"), ("\u4e2d\u56fd", "C"), ("x\ue000", "D"),
               ("a\u0415b", "E"))
    tail = ": names and ids are written in ASCII letters, digits and punctuation"
    assert rules.ascii_names(df, ("missing", "actor", "entity"), OBS) == [
        P(OBS, 3, "entity", "'IR\u0415L' holds U+0415 (Cyrillic Capital Letter Ie)" + tail + "; did you mean 'IREL'?"),
        P(OBS, 5, "entity", "'\u4e2d\u56fd' holds U+4E2D (Cjk Unified Ideograph-4E2D)" + tail),
        P(OBS, 6, "entity", "'x\\ue000' holds U+E000 (a non-ASCII character)" + tail),  # no name; repr escapes it
        P(OBS, 7, "entity", "'a\u0415b' holds U+0415 (Cyrillic Capital Letter Ie)" + tail + "; did you mean 'aEb'?"),
    ]


# -- dates of sources --------------------------------------------------------------------------


def test_a_source_is_not_published_after_it_was_accessed():
    src = table("date accessed",
                ("2024-03-06", "2024-03-05"),  # 2: a day late
                ("2024-03-05", "2024-03-05"),  # 3: the same day: fine
                ("2024", "2024-06-01"),        # 4: a year that began before: fine
                ("2024-03", "2024-03-01"),     # 5: a month that began on that day: fine
                ("2024-03-15", "2024-03"),     # 6: accessed some day of March: fine
                ("2024Q1", "2020-01-01"),      # 7: unparseable: the periods rule names it
                (NA, "2020-01-01"),            # 8
                ("2025", NA),                  # 9
                )
    assert rules.read_after_published(src, SRC) == [
        P(SRC, 2, "date", "published 2024-03-06, after it was accessed on 2024-03-05: a source is read on or after its publication date"),
    ]


def test_a_reported_figure_has_begun_by_its_sources_date():
    src = table("source_id date", ("s1", "2024-06-01"), ("s2", "2024"), ("s3", "bad"))
    obs = table("status period source_id",
                ("estimate", "2030", "s1"),    # 2: an estimate may be of the future
                ("reported", "2025", "s1"),    # 3: after 2024-06-01
                ("reported", "2024", "s1"),    # 4: began 2024-01-01: fine
                ("reported", "2024-06-01", "s1"),  # 5: the same day: fine
                ("reported", "2024-06", "s2"),  # 6: within the source's year: fine
                ("reported", "2030", "s3"),    # 7: the source's date does not parse
                ("reported", "2030", "s4"),    # 8: no such source: foreign_keys names it
                ("reported", "2025-01", "s2"),  # 9: after the year 2024
                )
    later = ": a figure for a later period is a target or an estimate"
    assert rules.reported_in_time(obs, src, OBS) == [
        P(OBS, 3, "period", "a reported figure for 2025 starts after its source s1 was published (2024-06-01)" + later),
        P(OBS, 9, "period", "a reported figure for 2025-01 starts after its source s2 was published (2024)" + later),
    ]


# -- provenance and withdrawals ----------------------------------------------------------------

PROV = "id status quote derived_from note"


def test_each_status_carries_its_provenance():
    obs = table(PROV,
                ("r1", "reported", NA, NA, NA),          # 2
                ("e1", "estimate", NA, NA, NA),          # 3
                ("t1", "target", NA, NA, NA),            # 4
                ("r2", "reported", "words", NA, NA),     # 5: fine
                ("a1", "assumption", NA, NA, NA),        # 6: no quote needed, but a note
                ("a2", "assumption", NA, NA, "why"),     # 7: fine
                ("d1", "derived", NA, NA, NA),           # 8: no inputs, no note
                ("d2", "derived", NA, "r2 d2 zz", "r2 x 2"),  # 9: itself, an unknown id
                ("d3", "derived", NA, "r2 a2", "sum"),   # 10: fine
                )
    assert rules.provenance(obs, OBS) == [
        P(OBS, 2, "quote", "a reported figure needs the words of its source"),
        P(OBS, 3, "quote", "a estimate figure needs the words of its source"),
        P(OBS, 4, "quote", "a target figure needs the words of its source"),
        P(OBS, 8, "derived_from", "a derived figure must name the ids of the rows it comes from"),
        P(OBS, 8, "note", "a derived figure must state its arithmetic in note"),
        P(OBS, 9, "derived_from", "'d2' is this row itself"),
        P(OBS, 9, "derived_from", "'zz' is not an id in observations.csv"),
        P(OBS, 6, "note", "an assumption must say what it assumes and why in note"),
    ]


def test_only_a_withdrawn_row_has_a_revision_and_it_keeps_its_quote():
    obs = table("status quote revision",
                ("withdrawn", "old words", NA),         # 2: no revision
                ("withdrawn", NA, "2025-01-02: retracted"),  # 3: no quote
                ("reported", "words", "a revision"),   # 4: not withdrawn
                ("withdrawn", "old words", "2025-01-02: retracted"),  # 5: fine
                ("reported", "words", NA),              # 6: fine
                )
    assert rules.withdrawals(obs, OBS) == [
        P(OBS, 2, "revision", "a withdrawn row must quote the source's retraction or revised text (with its date) in revision"),
        P(OBS, 3, "quote", "a withdrawn row keeps the words it was first taken from"),
        P(OBS, 4, "revision", "only a withdrawn row has a revision; this row is 'reported'"),
    ]


def test_a_wire_republished_source_names_its_original_publisher():
    src = table("tier reports_on", ("wire-republished", NA), ("wire-republished", "Reuters"), ("primary", NA))
    assert rules.tiers(src, SRC) == [
        P(SRC, 2, "reports_on", "a wire-republished source must name the original publisher (e.g. Reuters)"),
    ]


# -- world totals and origin shares ------------------------------------------------------------

WORLD = "indicator entity source_id period unit value"


def test_no_country_mines_more_than_the_world_total_of_the_same_source_period_and_unit():
    obs = table(WORLD,
                ("mine_production", "China", "s1", "2024", "t REO", 120),  # 2: above 100
                ("mine_production", "World", "s1", "2024", "t REO", 100),  # 3
                ("mine_production", "India", "s1", "2024", "t REO", 100),  # 4: equal: fine
                ("mine_production", "China", "s2", "2024", "t REO", 500),  # 5: another source: no total
                ("mine_production", "China", "s1", "2023", "t REO", 500),  # 6: another period
                ("mine_production", "China", "s1", "2024", "t", 500),      # 7: another unit
                ("reserves", "China", "s1", "2024", "t REO", 500),         # 8: another indicator
                (NA, "China", "s1", "2024", "t REO", 500),                 # 9: no indicator
                ("mine_production", "World", "s2", "2024", "t REO", NA),   # 10: a World row without a value
                ("mine_production", "X" * 90, "s1", "2024", "t REO", 101),  # 11: a long name, cut
                ("mine_production", "World", "s3", "2024", "t REO", 100),  # 12: two World rows for s3:
                ("mine_production", "World", "s3", "2024", "t REO", 90),   # 13: the last is the total, never a country
                )
    assert rules.world_totals(obs, OBS) == [
        P(OBS, 2, "value", "China's 120 t REO exceeds the World total 100 of s1 for 2024"),
        P(OBS, 11, "value", "X" * 79 + "…'s 101 t REO exceeds the World total 100 of s1 for 2024"),
    ]


SHARES = "indicator entity period scope_key partner status value"
TOO_MUCH = ": shares of one flow must sum to at most 1"


def test_origin_shares_take_each_partners_lowest_share_and_sum_to_at_most_one():
    obs = table(SHARES,
                ("import_share_magnets", "India", "2024", NA, "China", "reported", 0.6),  # 2
                ("import_share_magnets", "India", "2024", NA, "China", "reported", 0.5),  # 3: the lower China share
                ("import_share_magnets", "India", "2024", NA, "Japan", "reported", 0.6),  # 4: 0.5 + 0.6 = 1.1
                ("import_share_magnets", "India", "2024", NA, "Korea", "withdrawn", 0.9),  # 5: withdrawn: not counted
                ("import_share_magnets", "India", "2024", NA, "Korea", "reported", NA),   # 6: no value
                ("import_share_magnets", "India", "2024", "k2", "China", "reported", 0.7),  # 7: another scope
                ("import_share_magnets", "India", "2024", "k2", "Japan", "reported", 0.3),  # 8: 0.7 + 0.3 = 1.0: fine
                ("import_share_oxide", "India", "2024", NA, "China", "reported", 1.2),  # 9: one partner: bounded_values' job
                ("imports", "India", "2024", NA, "China", "reported", 0.9),             # 10: not a share
                ("imports", "India", "2024", NA, "Japan", "reported", 0.9),             # 11
                (NA, "India", "2024", NA, "Japan", "reported", 0.9),                    # 12
                )
    assert rules.origin_shares(obs, OBS) == [
        P(OBS, 4, "value", "the origin shares of India's import_share_magnets for 2024 sum to 1.1 (China 0.5, Japan 0.6)" + TOO_MUCH),
    ]


def test_origin_shares_name_the_last_counted_row_and_an_unnamed_partner():
    obs = table(SHARES,
                ("import_share_x", "India", "2024", NA, "China", "reported", 0.5),  # 2: the first of two equal China shares
                ("import_share_x", "India", "2024", NA, NA, NA, 0.7),               # 3: no partner, no status
                ("import_share_x", "India", "2024", NA, "China", "estimate", 0.5),  # 4: equal: the first one counts
                ("import_share_y", "India", "2024", NA, "China", "reported", 0.6),  # 5
                ("import_share_y", "India", "2024", NA, "Japan", "reported", 0.4000000001),  # 6: 1 + 1e-10: within 1e-9
                )
    assert rules.origin_shares(obs, OBS) == [
        # 0.7 + 0.5 = 1.2; rows counted: 3 (none) and 2 (China), the last is 3
        P(OBS, 3, "value", "the origin shares of India's import_share_x for 2024 sum to 1.2 ((none) 0.7, China 0.5)" + TOO_MUCH),
    ]


# -- duplicates, resolutions, sources used, export controls ------------------------------------


def test_origin_shares_allow_a_sum_of_one_and_1e_9_and_cut_long_names():
    long_partner, long_entity = "P" * 45, "E" * 45
    obs = table(SHARES,
                ("import_share_x", "India", "2024", NA, "A", "reported", 1.0),   # 2
                ("import_share_x", "India", "2024", NA, "B", "reported", 1e-9),  # 3: 1.0 + 1e-9, exactly the limit
                ("import_share_x", long_entity, "2024", NA, long_partner, "reported", 0.6),  # 4
                ("import_share_x", long_entity, "2024", NA, "B", "reported", 0.6),           # 5: 1.2
                )
    # names are cut to 40 characters: 39 and an ellipsis
    assert rules.origin_shares(obs, OBS) == [
        P(OBS, 5, "value", f"the origin shares of {'E' * 39}…'s import_share_x for 2024 sum to 1.2 (B 0.6, {'P' * 39}… 0.6)"
                           + TOO_MUCH),
    ]


def test_an_exact_duplicate_under_a_new_id_is_named_with_the_first_row():
    obs = table("id entity value note",
                ("a", "India", 1.0, NA),      # 2
                ("b", "India", 1.0, None),    # 3: the same (None and NaN are both empty)
                ("c", "India", 1.0, pd.NA),   # 4: the same again: repeats row 2, not row 3
                ("d", "India", 2.0, NA),      # 5: another value
                ("e", "China", 1.0, NA),      # 6: another entity
                )
    obs["value"] = obs["value"].astype(object)
    obs.loc[1, "value"] = 1  # an int equal to the float 1.0 is the same figure
    obs["note"] = pd.Series([float("nan"), None, pd.NA, float("nan"), float("nan")], dtype=object)
    assert rules.duplicates(obs, OBS) == [
        P(OBS, 3, "id", "'b' repeats row 2 ('a') in every other column: an exact duplicate under a new id"),
        P(OBS, 4, "id", "'c' repeats row 2 ('a') in every other column: an exact duplicate under a new id"),
    ]


def test_a_resolution_names_existing_rows_and_its_decision_is_consistent():
    obs = table("id", ("a",), ("b",), ("c",), (NA,))
    res = table("rows decision preferred",
                ("a", "range", NA),         # 2: one row only
                ("a zz", "range", NA),      # 3: an unknown id
                (NA, "range", NA),          # 4: no rows: the schema's required check names it
                ("a b", "prefer", NA),      # 5: prefer without a preferred row
                ("a b", "prefer", "c"),     # 6: preferred not among the rows
                ("a b", "range", "a"),      # 7: range with a preferred row
                ("a b", "prefer", "b"),     # 8: fine
                ("a b c", "range", NA),     # 9: fine
                )
    f = "resolutions.csv"
    assert rules.resolutions(res, obs, f, OBS) == [
        P(f, 2, "rows", "a disagreement needs two or more observation ids, separated by spaces"),
        P(f, 3, "rows", "'zz' is not an id in observations.csv"),
        P(f, 5, "preferred", "decision 'prefer' must name the preferred row"),
        P(f, 6, "preferred", "'c' is not one of this resolution's rows"),
        P(f, 7, "preferred", "decision 'range' keeps both: leave preferred empty"),
    ]


def test_every_source_is_cited_by_an_observation_or_an_event():
    src = table("source_id", ("s1",), ("s2",), ("s3",), (NA,))
    obs = table("source_id", ("s1",), (NA,))
    ev = table("source_id", ("s2",))
    assert rules.sources_used(src, [obs, ev], SRC) == [P(SRC, 4, "source_id", "'s3' is cited by no observation or event")]


def test_an_export_control_gives_its_number_scope_and_status():
    ev = table("id kind number scope status",
               ("e1", "export_control", "", "rare earths", "in force"),   # 2: empty number
               ("e2", "export_control", "No. 18", "  ", NA),              # 3: blank scope, no status
               ("e3", "deal", NA, NA, NA),                                # 4: not a measure
               ("e4", "export_control", "No. 61", "magnets", "not reported as of 2025-10-09"),  # 5: fine
               )
    fix = "; write it, or 'not reported as of DATE' where no source gives it"
    assert rules.control_measures(ev, EV) == [
        P(EV, 2, "number", "export control 'e1' has no number" + fix),
        P(EV, 3, "scope", "export control 'e2' has no scope" + fix),
        P(EV, 3, "status", "export control 'e2' has no status" + fix),
    ]
    # an older package without the columns, or without kinds, is left alone
    assert rules.control_measures(ev[["id", "kind", "csv_row"]], EV) == []
    assert rules.control_measures(ev[["id", "number", "csv_row"]], EV) == []
    assert rules.control_measures(ev[["id", "kind", "status", "csv_row"]], EV) == [
        P(EV, 3, "status", "export control 'e2' has no status" + fix),
    ]


# -- check: every rule, over every table -------------------------------------------------------


def field(name: str, pattern: str | None = None) -> Field:
    return Field(name, "string", pattern=pattern)


def test_check_runs_every_rule_and_names_each_tables_own_file():
    schema = {
        "observations": Resource("observations", "data/obs.csv", tuple(field(n, r"^[a-z0-9_]+$" if n == "id" else None) for n in (
            "id", "indicator", "entity", "partner", "source_id", "derived_from", "scope_key", "status", "quote",
            "note", "revision", "period", "unit", "value", "low", "high")), (ForeignKey("source_id", "sources", "source_id"),)),
        "sources": Resource("sources", "data/src.csv",
                            tuple(field(n) for n in ("source_id", "date", "accessed", "tier", "reports_on")), ()),
        "events": Resource("events", "data/ev.csv", tuple(field(n) for n in ("id", "date", "kind", "actor", "source_id", "number")), ()),
        "indicators": Resource("indicators", "data/ind.csv", (field("indicator"),), ()),
        "resolutions": Resource("resolutions", "data/res.csv", tuple(field(n) for n in ("resolution_id", "rows", "decision",
                                                                                       "preferred", "decided")), ()),
    }
    obs = table("id indicator entity partner source_id derived_from scope_key status quote note revision period unit value low high",
                ("o\u0430", "mine_production", "IR\u0415L", NA, "s1", NA, NA, "reported", "w", NA, NA, "2024", "t REO", 5, NA, NA),
                ("o2", "mine_production", "World", NA, "s1", NA, NA, "reported", "w", NA, NA, "2024", "t REO", 4, NA, NA),
                ("o3", "mine_production", "India", NA, "s9", NA, NA, "assumption", NA, NA, "r", "2024Q1", "share", 2, NA, NA),
                ("o4", "import_share_x", "India", "A", "s1", NA, NA, "reported", "w", NA, NA, "2024", "share", 0.6, NA, NA),
                ("o5", "import_share_x", "India", "B", "s1", NA, NA, "reported", "w", NA, NA, "2024", "share", 0.6, NA, NA),
                ("o6", "import_share_x", "India", "B", "s1", NA, NA, "reported", "w", NA, NA, "2024", "share", 0.6, NA, NA),
                ("o7", "reserves", "India", NA, "s1", NA, NA, "reported", "w", NA, NA, "2030", "t REO", 1, NA, NA))
    src = table("source_id date accessed tier reports_on",
                ("s1", "2024-06-01", "2024-05-01", "wire-republished", NA),
                ("s2", "2024-06", "2024-13-45", "primary", NA),
                ("s3", "2024Q9", "2024-01-01", "primary", NA))
    ev = table("id date kind actor source_id number",
               ("e1", "2024-02-30", "export_control", "MOFCOM", "s1", " "))
    ind = table("indicator", ("mine_production",))
    res = table("resolution_id rows decision preferred decided", ("r\u0440", "o2", "range", NA, "2024"),
                ("r2", "o2 zz", "range", NA, "2024-01-01"))
    tables = {"observations": obs, "sources": src, "events": ev, "indicators": ind, "resolutions": res}
    got = rules.check(tables, schema)
    assert P("data/res.csv", 3, "rows", "'zz' is not an id in data/obs.csv") in got
    expected = sorted([
        ("data/res.csv", 3, "rows"),            # resolutions: an unknown id
        ("data/res.csv", 2, "rows"),            # resolutions: one row only
        ("data/res.csv", 2, "resolution_id"),   # ascii names of resolutions (no pattern here)
        ("data/res.csv", 2, "decided"),         # days: a year is not a day
        ("data/obs.csv", 2, "entity"),          # ascii names: IRЕL; the id's Cyrillic а is left to its pattern
        ("data/src.csv", 3, "accessed"),        # days: month 13
        ("data/src.csv", 2, "date"),            # read_after_published
        ("data/obs.csv", 8, "period"),          # reported_in_time: 2030 after 2024-06-01
        ("data/obs.csv", 4, "revision"),        # withdrawals: only a withdrawn row has a revision
        ("data/src.csv", 2, "reports_on"),      # tiers
        ("data/obs.csv", 2, "value"),           # world_totals: 5 > 4
        ("data/obs.csv", 7, "id"),              # duplicates: o6 repeats o5
        ("data/obs.csv", 4, "source_id"),       # foreign_keys: s9
        ("data/obs.csv", 4, "value"),           # bounded_values: share 2
        ("data/obs.csv", 6, "value"),           # origin_shares: A 0.6 + B 0.6 = 1.2, B's first row (o5) counts
        ("data/obs.csv", 4, "period"),          # periods of observations
        ("data/ev.csv", 2, "date"),             # periods of events: 30 February
        ("data/obs.csv", 4, "note"),            # provenance: an assumption without a note
        ("data/src.csv", 3, "source_id"),       # sources_used: s2
        ("data/ev.csv", 2, "number"),           # control_measures
        ("data/src.csv", 4, "date"),            # periods of sources: 2024Q9
        ("data/src.csv", 4, "source_id"),       # sources_used: s3
    ])
    assert sorted((p.file, p.row, p.column) for p in got) == expected
    # a package without resolutions: the same, less theirs
    del tables["resolutions"], schema["resolutions"]
    got = rules.check(tables, schema)
    assert sorted((p.file, p.row, p.column) for p in got) == [e for e in expected if e[0] != "data/res.csv"]
    # a source cited only by another table that has a source_id column (end_use_units.csv and the like) is used:
    # s2 is no longer named; s3 still is
    tables["units"] = table("end_use source_id", ("aa", "s2"))
    schema["units"] = Resource("units", "data/units.csv", (field("end_use"), field("source_id")), ())
    got = rules.check(tables, schema)
    assert sorted((p.file, p.row, p.column) for p in got) == [
        e for e in expected if e[0] != "data/res.csv" and e != ("data/src.csv", 3, "source_id")]
