"""Short reports in plain words: the one finding built from the numbers, the parameter table with shared
inputs once, tables that round nothing to zero, negative Sobol indices drawn as 0 with a note, a table
of contents, and a landing page that opens with the self-sufficiency story."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from rekit.figures import charts, headlines
from rekit.model.simulation import simulate
from rekit.reports import html as H
from rekit.reports.jobs import Job, ReportResult


@pytest.mark.parametrize("value, shown", [
    (0.067, "0.067"),  # the nd_flows value that showed as 0: three significant figures
    (5054.2, "5,054"),  # whole from 1,000
    (12.345, "12.3"),
    (0.0, "0"),
    (float("nan"), ""),
])
def test_a_table_number_never_rounds_to_zero(value, shown):
    assert headlines.number(value) == shown


@pytest.mark.parametrize("share, shown", [(0.345, "34.5%"), (0.00067, "0.067%"), (0.0, "0%"), (1.12, "112.0%")])
def test_a_share_shows_as_a_percentage_with_sensible_precision(share, shown):
    assert headlines.percent(share) == shown


def test_a_table_with_a_unit_column_shows_share_rows_as_percentages_and_small_flows_as_they_are():
    df = pd.DataFrame({"unit": ["t Nd", "ratio"], "p05": [0.067, 0.31], "median": [5054.2, 0.5]},
                      index=pd.Index(["tolled", "self_sufficiency"], name="metric"))
    page = headlines.table(df).to_html()
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    # row 1: tolled, t Nd, 0.067 (not 0), 5,054; row 2: self_sufficiency, ratio, 0.31 -> 31.0%, 0.5 -> 50.0%
    assert [c.strip() for c in cells] == ["tolled", "t Nd", "0.067", "5,054", "self_sufficiency", "ratio", "31.0%", "50.0%"]


def test_the_finding_is_one_sentence_built_from_the_medians(book):
    r = simulate(book, ["status_quo", "toll_japan", "repm_scheme"], years=(2024, 2035), draws=20, seed=0)
    text = headlines.headline_sentence(r, "own_feedstock_coverage", 2030, 0.5)
    t = r.summary()
    med = t[(t["metric"] == "own_feedstock_coverage") & (t["year"] == 2030)].set_index("deal")["p50"]
    hi, lo = med.idxmax(), med.idxmin()
    assert text.startswith(f"In 2030 the median own-feedstock coverage is highest under {hi}, {med[hi] * 100:.1f}%")
    assert f"lowest under {lo}," in text and text.count(".") >= 1 and text.endswith(".")
    assert text.count(" under ") == 2  # one sentence, not a clause per deal


def test_shared_inputs_are_listed_once_and_each_deal_lists_only_what_it_changes(ds, book):
    deals = ["toll_japan", "toll_korea", "status_quo"]
    rows = H.assumptions(book, deals, None, H.Sources(ds))
    shared = {(r["id"], r["year"]): r["value"] for r in rows if r["owner"] == H.SHARED}
    assert ("eta_metal", "all") in shared  # a yield every deal takes from the defaults
    assert all(r["name"] != r["id"] for r in rows if r["id"] == "eta_metal")  # a plain-words name beside the id
    own = [r for r in rows if r["owner"] != H.SHARED]
    assert own and len(rows) < 3 * len({(r["id"], r["year"]) for r in rows})
    for r in own:  # a deal's own row differs from the shared value, where there is one
        assert shared.get((r["id"], r["year"])) != r["value"] or r["range"] or r["text"], r
    # every deal's every input is shown: under its name, or shared
    for d in deals:
        deal = book.get(d)
        for name in deal.params:
            assert any(r["id"] == name and r["owner"] in (d, H.SHARED) for r in rows), (d, name)


def test_negative_sobol_indices_are_drawn_as_zero_with_a_note_and_kept_in_the_download(ds, book):
    table = pd.DataFrame({"parameter": ["eta_metal", "w_ndpr"], "S1": [0.8, -0.03], "S1_conf": [0.05, 0.04],
                          "ST": [0.9, 0.01], "ST_conf": [0.05, 0.02]})
    fig = charts.sobol_chart(table, ds, book, deal="toll_japan", metric="own_feedstock_coverage", year=2030)
    s1 = next(t for t in fig.data if t.name == "first order S1")
    assert list(s1.y) == [0.8, 0.0]  # -0.03 drawn at 0
    assert s1.x[1].startswith("Nd + Pr in a") and "w_ndpr" not in s1.x[1]  # the input in plain words, not its id
    assert charts.NEGATIVE_NOTE in fig.layout.meta["note"]
    assert fig.layout.meta["table"]["data"][1][:6] == ["toll_japan", 2030, "own_feedstock_coverage", "w_ndpr",
                                                   "Nd + Pr in a finished sintered NdFeB magnet", -0.03]  # the estimate kept


def _job(tmp_path, name: str, params: dict | None = None) -> Job:
    nb = tmp_path / f"{name}.ipynb"
    nb.write_text("{}")
    stem = name + ("--x" if params else "")
    return Job(notebook=nb, name=name, params=params or {}, effective=params or {}, title=f"The {stem} story", stem=stem)


def test_the_landing_page_opens_with_the_self_sufficiency_story(tmp_path):
    jobs = [_job(tmp_path, "supply_concentration"), _job(tmp_path, "self_sufficiency", {"deals": ["toll_japan"]}),
            _job(tmp_path, "self_sufficiency")]
    results = {j.stem: ReportResult(j, "ok", 1.0, "2026-11-30 12:00:00 UTC") for j in jobs}
    page = H.write_index(tmp_path, jobs, results, {}, thumbnails=False).read_text(encoding="utf-8")
    cards = re.findall(r'<li class="(card[^"]*)">.*?<h3>([^<]*)</h3>', page, re.S)
    # the default self-sufficiency report first, as the lead card; its variant next; then the batch's order
    assert cards == [("card lead", "The self_sufficiency story"), ("card", "The self_sufficiency--x story"),
                     ("card", "The supply_concentration story")]


def test_a_long_page_gets_a_table_of_contents_and_a_short_one_does_not():
    head = '<header class="rekit-report-header">h</header>'
    sections = "".join(f'<h2 id="s{i}">Part &lt;{i}&gt;<a class="anchor-link" href="#s{i}">¶</a></h2>' for i in range(4))
    page = H.add_contents(f"<body>{head}{sections}</body>")
    nav = re.search(r'<nav class="rekit-toc".*?</nav>', page).group(0)
    assert re.findall(r'<a href="#(s\d)">([^<]*)</a>', nav) == [("s0", "Part &lt;0&gt;"), ("s1", "Part &lt;1&gt;"),
                                                                 ("s2", "Part &lt;2&gt;"), ("s3", "Part &lt;3&gt;")]
    three = sections[:sections.index('<h2 id="s3"')]
    short = f"<body>{head}{three}</body>"
    assert H.add_contents(short) == short


def test_the_self_sufficiency_notebook_states_its_finding_once():
    from rekit.paths import ROOT

    nb = nbformat.read(ROOT / "notebooks" / "self_sufficiency.ipynb", as_version=4)
    found = [o["metadata"]["rekit"]["finding"] for c in nb.cells for o in c.get("outputs", [])
             if "finding" in (o.get("metadata") or {}).get("rekit", {})]
    assert len(found) == 1 and found[0].count(" under ") == 2 and "does not reach" not in found[0]


def test_a_column_of_ratios_shows_as_percentages_under_a_percent_header():
    df = pd.DataFrame({"median": [0.069, 1.12]}, index=pd.Index(["toll_japan", "repm_scheme"], name="deal"))
    page = headlines.table(df, units={"median": "ratio"}).to_html()
    assert "median (%)" in page and "median (ratio)" not in page
    cells = [c.strip() for c in re.findall(r"<td[^>]*>([^<]*)</td>", page)]
    assert cells == ["toll_japan", "6.9%", "repm_scheme", "112.0%"]  # 0.069 x 100 = 6.9; 1.12 x 100 = 112.0


def test_a_card_without_a_stated_finding_quotes_its_chart_description():
    nb = nbformat.v4.new_notebook()
    alt = "Sankey diagram of IREL's neodymium in 2030 under toll_korea (model medians, t Nd): IREL output to stock 40 t Nd."
    assert H._finding(nb, alt) == alt  # one sentence: the whole of it
    assert H._finding(nb, "Own magnets. In 2030: 6.9%.") == "In 2030: 6.9%."  # the numbers after the title
    long = "A chart of " + "many " * 60 + "words."  # 11 + 300 + 6 characters: cut at a word, 240 at most
    assert H._finding(nb, long).endswith("many…") and len(H._finding(nb, long)) <= 240
