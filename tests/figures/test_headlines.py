"""Headline tables as real HTML tables whose text form stays df.to_string(), every text in them
escaped, and sentences that state results taken from the computed numbers.

Expected values are written out by hand (the events of a small events.csv written here, the USGS
figures of the bundled data), never computed with the function under test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rekit.data.dataset import load
from rekit.figures import headlines
from rekit.model.deals import load_deals
from rekit.model.simulation import METRICS, Result, simulate
from conftest import read_rows, write_rows

PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def test_table_html_has_units_in_headers_formatted_numbers_and_scrolls_and_text_is_unchanged():
    df = pd.DataFrame({"share": [0.3448, 0.5], "hhi": [5054.2, 4874.0]}, index=pd.Index(["2024", "2025"], name="year"))
    t = headlines.table(df, units={"share": "share of output"}, formats={"share": "{:.1%}"})
    bundle, meta = t._repr_mimebundle_()
    assert bundle["text/plain"] == df.to_string()
    # the report's download of it: the row labels as a first column, the numbers as given (not as shown)
    assert meta == {"rekit": {"table": {"columns": ["year", "share", "hhi"], "data": [["2024", 0.3448, 5054.2], ["2025", 0.5, 4874.0]],
                                        "units": {"share": "share of output"}, "caption": ""}}}
    html = bundle["text/html"]
    # 0.3448 as {:.1%} = 34.5%; 5054.2 with the default {:,.0f} for values of 1000 and more = 5,054
    assert "share (share of output)" in html and "34.5%" in html and "5,054" in html
    assert "overflow-x:auto" in html
    assert html == headlines.table(df, units={"share": "share of output"}, formats={"share": "{:.1%}"}).to_html()  # stable ids


@pytest.mark.parametrize("where", ["cell", "column", "index", "index name", "unit", "caption"])
def test_table_html_escapes_markup_wherever_it_comes_from(where):
    cell = PAYLOAD if where == "cell" else "ok"
    column = PAYLOAD if where == "column" else "title"
    label = PAYLOAD if where == "index" else "2024"
    index_name = PAYLOAD if where == "index name" else "year"
    units = {"t": PAYLOAD} if where == "unit" else {"t": "t Nd"}
    caption = PAYLOAD if where == "caption" else "a caption"
    df = pd.DataFrame({column: [cell], "t": [1.5]}, index=pd.Index([label], name=index_name))
    html = headlines.table(df, units=units, caption=caption).to_html()
    assert ESCAPED in html
    assert "<img src=x" not in html
    assert headlines.table(df).__repr__() == df.to_string()  # the text form shows the value as it is


def test_table_html_escapes_quotes_and_script_and_objects_in_cells():
    df = pd.DataFrame({"a": ['"><svg onload=alert(3)>', "<script>alert(2)</script>", ["<b>"]]})
    html = headlines.table(df).to_html()
    assert "<svg" not in html and "<script>" not in html and "<b>" not in html
    assert "&gt;&lt;svg onload=alert(3)&gt;" in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html  # the list ['<b>'] is shown as its text


def test_finding_markdown_renders_as_its_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = f"Under {PAYLOAD} [a link](javascript:alert(4)) the median reaches 0.5 in 2031 (34.5%, status_quo)."
    bundle, meta = headlines.finding(text)._repr_mimebundle_()
    assert bundle["text/plain"] == text and meta["rekit"]["finding"] == text
    html = markdown2html_mistune(bundle["text/markdown"])
    assert html == ("<p>Under &lt;img src=x onerror=alert(1)&gt; [a link](javascript:alert(4)) the median reaches 0.5 "
                    "in 2031 (34.5%, status_quo).</p>\n")


def known_result() -> Result:
    """A result written by hand: two deals, 2030-2033, three identical draws a year (so each median
    is the value itself); self-sufficiency 0.10, 0.20, 0.35, 0.50 under `scheme`, 0 under `none`."""
    years = np.arange(2030, 2034)
    arrays = {m: np.zeros((2, len(years), 3)) for m in METRICS}
    arrays["self_sufficiency"][0] = np.array([0.10, 0.20, 0.35, 0.50])[:, None]
    return Result(deals=("scheme", "none"), years=years, arrays=arrays, basis="output", draws=3, seed=0)


def test_reaching_sentence_comes_from_the_result():
    res = known_result()
    # scheme's medians 0.10, 0.20, 0.35, 0.50: the first at or above 0.3 is 2032's 0.35
    assert headlines.first_year_reaching(res, "self_sufficiency", 0.3).to_dict() == {"scheme": "2032", "none": "not by 2033"}
    s = headlines.reaching_sentence(res, "self_sufficiency", 0.3, 2031)
    assert s == ("Under scheme the median self-sufficiency reaches 0.3 in 2032 (0.20 in 2031); "
                 "under none the median self-sufficiency does not reach 0.3 by 2033 (0.00 in 2031).")
    bundle, meta = headlines.finding(s)._repr_mimebundle_()
    assert meta["rekit"]["finding"] == s and bundle["text/plain"] == s and bundle["text/markdown"] == s
    # 2031 is the second year: scheme 0.20, none 0.00, rounded to 2 digits
    assert headlines.metric_table(res, "self_sufficiency", 2031).to_dict("index") == {
        "scheme": {"p05": 0.2, "median": 0.2, "p95": 0.2}, "none": {"p05": 0.0, "median": 0.0, "p95": 0.0}}
    assert headlines.share_sentence(res, "self_sufficiency", 2033) == \
        "In 2033 the median self sufficiency is 50.0% under scheme; 0.0% under none."


def test_table_with_a_repeated_index_renders():
    # IREL's observed export share has two figures for the same period (two sources)
    df = pd.DataFrame({"share": [0.333, 0.345]}, index=pd.Index(["FY2024-25", "FY2024-25"], name="period"))
    assert "33.3%" in headlines.table(df, formats={"share": "{:.1%}"}).to_html()


EVENTS = [  # written in no particular order: events_table sorts by date
    {"id": "late", "date": "2026-03-20", "actor": "India", "kind": "tender", "title": "A tender <b>issued</b>",
     "description": "d", "source_id": "seed_2025_06_outlook_business", "quote": ""},
    {"id": "old", "date": "2012", "actor": "IREL", "kind": "agreement", "title": "An old agreement",
     "description": "d", "source_id": "seed_2025_06_outlook_business", "quote": ""},
    {"id": "mid", "date": "2025-06-13", "actor": "India", "kind": "directive", "title": "A directive",
     "description": "d", "source_id": "seed_2025_06_outlook_business", "quote": ""},
]


@pytest.fixture
def three_events(data_copy):
    """The bundled events moved to 1990 (they stay, as the sources they cite must be cited), and three
    events of our own after 2000."""
    rows = read_rows(data_copy / "events.csv")
    for r in rows:
        r["date"] = "1990"
    write_rows(data_copy / "events.csv", rows + [{k: e.get(k, "") for k in rows[0]} for e in EVENTS])
    return load(data_copy)


def test_events_table_lists_the_events_since_a_date_in_date_order(three_events):
    expected = pd.DataFrame({"actor": ["India", "India"], "kind": ["directive", "tender"],
                             "title": ["A directive", "A tender <b>issued</b>"]},
                            index=pd.Index(["2025-06-13", "2026-03-20"], name="date"))
    got = headlines.events_table(three_events, "2025")
    assert got.to_dict("split") == expected.to_dict("split") and got.index.name == "date"
    assert list(headlines.events_table(three_events, "2000").index) == ["2012", "2025-06-13", "2026-03-20"]
    assert headlines.events_table(three_events, "2026-04").empty


def test_events_sentence_counts_and_names_the_latest(three_events):
    # two events fall on or after 1 Jan 2025 (2025-06-13 and 2026-03-20); the latest is the tender
    assert headlines.events_sentence(three_events, "2025") == \
        "2 events since 2025; the latest: A tender <b>issued</b> (2026-03-20)."
    assert headlines.events_sentence(three_events, "2000") == \
        "3 events since 2000; the latest: A tender <b>issued</b> (2026-03-20)."
    assert headlines.events_sentence(three_events, "2026-04") == "No events since 2026-04."


def test_finding_sentences_take_their_numbers_from_the_data():
    ds = load()
    s = headlines.concentration_sentence(ds)
    # USGS MCS 2026, 2025: China 270,000 of World 390,000 t = 69.2%; top three China + United States 51,000
    # + Australia 29,000 = 350,000 / 390,000 = 89.7%
    assert s.startswith("In 2025 (usgs_mcs_2026), China mined 69% of world rare-earth mine production; the top three 90%")
    book = load_deals(ds=ds)
    res = simulate(book, ["export_halt"], years=(2024, 2030), draws=50)
    # export_halt stops every export from 2025: the median share is 0
    assert headlines.share_sentence(res, "export_share", 2030) == "In 2030 the median export share is 0.0% under export_halt."
