"""Headline tables as real HTML tables whose text form stays df.to_string(), and sentences that state
results taken from the computed numbers."""

from __future__ import annotations

import pandas as pd

from rekit.figures import headlines
from rekit.model.simulation import simulate
from rekit.data.dataset import load
from rekit.model.deals import load_deals


def test_table_html_has_units_in_headers_formatted_numbers_and_scrolls_and_text_is_unchanged():
    df = pd.DataFrame({"share": [0.3448, 0.5], "hhi": [5054.2, 4874.0]}, index=pd.Index(["2024", "2025"], name="year"))
    t = headlines.table(df, units={"share": "share of output"}, formats={"share": "{:.1%}"})
    bundle = t._repr_mimebundle_()
    assert bundle["text/plain"] == df.to_string()
    html = bundle["text/html"]
    assert "share (share of output)" in html and "34.5%" in html and "5,054" in html
    assert "overflow-x:auto" in html
    assert html == headlines.table(df, units={"share": "share of output"}, formats={"share": "{:.1%}"}).to_html()  # stable ids


def test_reaching_sentence_comes_from_the_result():
    ds = load()
    book = load_deals(ds=ds)
    res = simulate(book, ["status_quo", "repm_scheme"], years=(2024, 2035), draws=200)
    s = headlines.reaching_sentence(res, "self_sufficiency", 0.3, 2030)
    first = headlines.first_year_reaching(res, "self_sufficiency", 0.3)
    assert first["repm_scheme"] != "not by 2035"  # the scheme's plants pass 0.3 of the official demand
    assert f"repm_scheme the median self-sufficiency reaches 0.3 in {first['repm_scheme']}" in s
    assert "status_quo the median self-sufficiency does not reach 0.3 by 2035" in s  # status quo makes no magnets
    bundle, meta = headlines.finding(s)._repr_mimebundle_()
    assert meta["rekit"]["finding"] == s and bundle["text/markdown"] == s


def test_table_with_a_repeated_index_renders():
    # IREL's observed export share has two figures for the same period (two sources)
    df = pd.DataFrame({"share": [0.333, 0.345]}, index=pd.Index(["FY2024-25", "FY2024-25"], name="period"))
    assert "33.3%" in headlines.table(df, formats={"share": "{:.1%}"}).to_html()


def test_finding_sentences_take_their_numbers_from_the_data():
    ds = load()
    s = headlines.concentration_sentence(ds)
    # USGS MCS 2026, 2025: China 270,000 of World 390,000 t = 69.2%; top three China + United States 51,000
    # + Australia 29,000 = 350,000 / 390,000 = 89.7%
    assert s.startswith("In 2025 (usgs_mcs_2026), China mined 69% of world rare-earth mine production; the top three 90%")
    t = headlines.events_table(ds, "2025")
    assert headlines.events_sentence(ds, "2025").startswith(f"{len(t)} events since 2025; the latest: {t.iloc[-1]['title']}")
    book = load_deals(ds=ds)
    res = simulate(book, ["export_halt"], years=(2024, 2030), draws=50)
    # export_halt stops every export from 2025: the median share is 0
    assert headlines.share_sentence(res, "export_share", 2030) == "In 2030 the median export share is 0.0% under export_halt."
