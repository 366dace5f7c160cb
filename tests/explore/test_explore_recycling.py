"""The explorer's recycling section: the bottom-up demand basis among the choices and the end uses it leaves
out, the recycling lever's sliders, secondary beside primary own-feedstock coverage, the NdPr oxide and Dy
recovered in 2035 and 2050, and the chart of the magnets in use. Expected values come from the model's public
functions (rekit.model.simulation.simulate, rekit.model.demand.bottom_up) for the same inputs, or by hand."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rekit.explore.panel import recycling_html
from rekit.explore.state import (RECYCLING_LEVER, State, explain, magnets_in_use, not_reported_end_uses, recycling_run,
                                 recycling_table)
from rekit.explore.widget import explore
from rekit.model.demand import bottom_up
from rekit.model.simulation import simulate

DEALS = ("status_quo", "repm_scheme_recycling")
LEVER = {"recycling_collection": 0.4, "recycling_recovery": 0.9, "recycling_share": 0.02}


@pytest.fixture(scope="module")
def ex(ds, book):
    return explore(list(DEALS), ds=ds, book=book, demand="bottom_up")


def _cell(html: str, cls: str, deal: str, year: int | None = None) -> float:
    at = f' data-year="{year}"' if year is not None else ""
    m = re.search(rf'class="{cls}" data-deal="{deal}"{at} data-value="([^"]+)"', html)
    assert m, f"no {cls} cell for {deal} {year or ''} in the recycling section"
    return float(m.group(1))


def test_the_demand_choice_has_bottom_up_and_the_section_lists_what_it_leaves_out(ex, ds):
    assert "bottom_up" in ex.controls["demand"].options
    assert ex.state.demand == "bottom_up"
    left = bottom_up(ds.path).not_reported  # the model's own list, with its words
    assert left and not_reported_end_uses(ds) == left
    html = ex.recycling_panel.value
    listed = re.findall(r'<li data-end-use="([^"]+)">', html)
    assert listed == list(left)
    for use, why in left.items():
        assert f"{use}: {why}" in html
    # the end uses it counts are named too, by their titles
    for title in bottom_up(ds.path).by_end_use["title"]:
        assert title in html


def test_recycling_numbers_are_the_models_for_the_same_inputs(book):
    state = State(deals=DEALS, demand="bottom_up", overrides=LEVER, headline_year=2030)
    table = recycling_table(recycling_run(state, book), 2030).set_index("deal")
    run = simulate(book, DEALS, years=(2024, 2050), draws=0, demand="bottom_up", overrides=LEVER)
    for deal in DEALS:
        for metric in ("own_feedstock_coverage", "secondary_coverage"):
            assert table.at[deal, metric] == pytest.approx(float(run.at(metric, deal, 2030)[0]), rel=1e-12, abs=1e-15)
        for y in (2035, 2050):
            assert table.at[deal, f"oxide_recovered_{y}"] == pytest.approx(float(run.at("oxide_recovered", deal, y)[0]), rel=1e-12)
            assert table.at[deal, f"dy_recovered_{y}"] == pytest.approx(float(run.at("dy_recovered", deal, y)[0]), rel=1e-12)
    # a moved slider overrides every deal shown: status_quo gets the same share of the scheme's capacity, so the same
    # scrap and the same lever recover the same tonnes (its secondary coverage differs: it has no magnet plant to use them)
    for col in ("oxide_recovered_2035", "oxide_recovered_2050", "dy_recovered_2035", "dy_recovered_2050"):
        assert table.at["status_quo", col] == pytest.approx(table.at["repm_scheme_recycling", col], rel=1e-12)
    assert table.at["repm_scheme_recycling", "oxide_recovered_2050"] > table.at["repm_scheme_recycling", "oxide_recovered_2035"] > 0
    # as sourced, status_quo has no share of the scheme's capacity (recycling_share 0): nothing is recovered
    plain = recycling_table(recycling_run(State(deals=DEALS, demand="bottom_up"), book), 2030).set_index("deal")
    assert plain.loc["status_quo", ["secondary_coverage", "oxide_recovered_2035", "dy_recovered_2050"]].tolist() == [0, 0, 0]
    assert plain.at["repm_scheme_recycling", "oxide_recovered_2035"] > 0


def test_recovered_oxide_and_dy_scale_with_collection_and_recovery_below_capacity(book):
    # recovered_e = Σ_u eol_u · collection · dismantling · min(1, K / liberated) · content_e · recovery, so while the
    # capacity K does not bind (0.02 × 270,000 = 5,400 t magnet a year from 2031, against tens to hundreds of t of
    # scrap collected), doubling collection (0.2 -> 0.4) or recovery (0.45 -> 0.9) doubles every recovered tonne.
    def at(**lever):
        s = State(deals=("repm_scheme_recycling",), demand="bottom_up", overrides={**LEVER, **lever})
        return recycling_table(recycling_run(s, book), 2030).iloc[0]

    base, half_c, half_r = at(), at(recycling_collection=0.2), at(recycling_recovery=0.45)
    for col in ("oxide_recovered_2035", "oxide_recovered_2050", "dy_recovered_2035", "dy_recovered_2050"):
        assert base[col] > 0
        assert base[col] == pytest.approx(2 * half_c[col], rel=1e-9)
        assert base[col] == pytest.approx(2 * half_r[col], rel=1e-9)
    assert at(recycling_collection=0.0)["oxide_recovered_2050"] == 0.0


def test_magnets_in_use_are_the_stock_models_and_balance(book):
    state = State(deals=DEALS, demand="bottom_up")
    stocks = magnets_in_use(state, book)
    run = simulate(book, DEALS[:1], years=(2024, 2050), draws=0, demand="bottom_up")
    by_year = stocks.groupby("year")[["inflow", "in_use", "end_of_life"]].sum()
    assert list(by_year.index) == list(range(2024, 2051))
    np.testing.assert_allclose(by_year["inflow"], run.arrays["magnet_demand"][0, :, 0], rtol=1e-12)
    np.testing.assert_allclose(by_year["in_use"], run.arrays["magnets_in_use"][0, :, 0], rtol=1e-9)
    np.testing.assert_allclose(by_year["end_of_life"], run.arrays["magnets_end_of_life"][0, :, 0], rtol=1e-9, atol=1e-9)
    # mass balance by hand: what is in use at the end of a year is all that entered since 2024 less all that left
    gap = by_year["inflow"].cumsum() - by_year["end_of_life"].cumsum() - by_year["in_use"]
    assert np.abs(gap).max() <= 1e-9 * by_year["inflow"].sum()
    assert (stocks[["in_use", "end_of_life"]] >= 0).all().all()


def test_the_lever_sliders_drive_the_section_and_the_chart_follows_the_demand_basis(ds, book):
    e = explore(list(DEALS), ds=ds, book=book, demand="bottom_up")
    for name in RECYCLING_LEVER:
        assert "rekit-" + name.replace("_", "-") in e.controls[name]._dom_classes
    assert "rekit-recycling-section" in e.recycling._dom_classes
    e.set(**LEVER)
    assert e.state.overrides == LEVER
    run = simulate(book, DEALS, years=(2024, 2050), draws=0, demand="bottom_up", overrides=LEVER)
    html = e.recycling_panel.value
    deal = "repm_scheme_recycling"
    assert _cell(html, "rekit-secondary", deal) == pytest.approx(float(run.at("secondary_coverage", deal, 2030)[0]), rel=1e-5)
    assert _cell(html, "rekit-primary", deal) == pytest.approx(float(run.at("own_feedstock_coverage", deal, 2030)[0]), rel=1e-5)
    for y in (2035, 2050):
        assert _cell(html, "rekit-oxide-recovered", deal, y) == pytest.approx(float(run.at("oxide_recovered", deal, y)[0]), rel=1e-5)
        assert _cell(html, "rekit-dy-recovered", deal, y) == pytest.approx(float(run.at("dy_recovered", deal, y)[0]), rel=1e-5)
    for label in ("t NdPr oxide", "t Dy", "% of magnet demand"):
        assert label in html
    # the chart: in use and end-of-life by end use, its table the stock model's, its title the demand basis
    fig = e.stock_figure
    assert "bottom_up" in fig.layout.title.text
    table = fig.layout.meta["table"]
    in_use = run.arrays["magnets_in_use"][0, :, 0]  # the same for every deal: the demand enters use whatever the deal
    assert len(fig.data) == 2 * e.stocks["end_use"].nunique()
    traces = [t for t in fig.data if t.stackgroup == "in_use"]
    np.testing.assert_allclose(np.sum([np.asarray(t.y) for t in traces], axis=0), in_use, rtol=1e-9)
    assert table is not None
    # the page shows the same figure through plotly's mime type (an ipywidgets Output, no second FigureWidget)
    (shown,) = e.stock_view.outputs
    drawn = shown["data"]["application/vnd.plotly.v1+json"]
    assert [t["name"] for t in drawn["data"]] == [t.name for t in fig.data] and "bottom_up" in drawn["layout"]["title"]["text"]
    assert "rekit-stock-figure" in e.stock_view._dom_classes
    e.set(demand="industry")
    assert "industry" in fig.layout.title.text
    other = simulate(book, DEALS[:1], years=(2024, 2050), draws=0, demand="industry", overrides=LEVER)
    traces = [t for t in fig.data if t.stackgroup == "in_use"]
    np.testing.assert_allclose(np.sum([np.asarray(t.y) for t in traces], axis=0),
                               other.arrays["magnets_in_use"][0, :, 0], rtol=1e-9)
    assert 'data-demand="industry"' in e.recycling_panel.value
    assert "industry" in e.stock_view.outputs[0]["data"]["application/vnd.plotly.v1+json"]["layout"]["title"]["text"]


def test_the_section_escapes_every_value():
    import pandas as pd

    row = {"deal": "<script>x</script>", "year": 2030, "own_feedstock_coverage": 0.5, "own_feedstock_coverage_p05": 0.4,
           "own_feedstock_coverage_p95": 0.6, "secondary_coverage": 0.01, "secondary_coverage_p05": 0.0,
           "secondary_coverage_p95": 0.02, "oxide_recovered_2035": 12.34, "dy_recovered_2035": 0.5,
           "oxide_recovered_2050": 1234.5, "dy_recovered_2050": 20.0}
    html = recycling_html(pd.DataFrame([row]), 2030, draws=0, demand="<b>", not_reported={"<i>use": "a & <b>"},
                          counted=["<u>t"], message="bad <img src=x>")
    assert "<script>" not in html and "<img" not in html and "<i>use" not in html and "<u>t" not in html
    assert "&lt;script&gt;" in html and "a &amp; &lt;b&gt;" in html and 'data-demand="&lt;b&gt;"' in html
    # the units are named and the tonnes written as worked by hand: 1234.5 -> "1,234.5 t", 0.01 -> "1.0%"
    assert "1,234.5 t" in html and "1.0%" in html and "t NdPr oxide" in html and "t Dy" in html


def test_a_lever_message_names_the_recycling_section():
    msg = explain("recycling_collection: 1.5 is not allowed; allowed: 0 to 1")
    assert msg.startswith("recycling_collection (the recycling section): 1.5")
