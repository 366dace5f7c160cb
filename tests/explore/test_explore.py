"""The deal explorer: its plain functions (compute, series, headline_table, figure, panel) and the widget
itself, instantiated in-process with real objects: set controls, watch the FigureWidget and the panel."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest

from rekit.errors import RekitError
from rekit.model.deals import PARAMS, YEARS, load_deals
import rekit.explore
from rekit.explore.figure import ENVELOPE_NAME, METRICS_SHOWN, make_figure, trace_index, update_figure
from rekit.explore.panel import panel_html, web_url
from rekit.explore.state import (
    ALL_PARAMS, ENVELOPE_DRAWS, MASS_FLOOR, MASS_HEADROOM, OVERRIDABLE, PARAM_SLIDERS, RECYCLING_LEVER, SLIDERS, ExploreError,
    State,
    central_values, coincident, compute, explain, group_title, headline_table, scenario_words, series, slider,
)
from rekit.explore.widget import BAND_DRAWS, LEVER_LABELS, DealPicker, Explorer, explore
from rekit.model.scenarios import envelope
from rekit.model.simulation import ModelError, simulate

ROOT = Path(__file__).resolve().parents[2]
DEALS = ("status_quo", "toll_japan", "repm_scheme")


@pytest.fixture
def ex(ds, book) -> Explorer:
    return explore(list(DEALS), ds=ds, book=book)


def _mid(ex: Explorer, deal: str, panel: int = 0):
    return ex.figure.data[trace_index(ex.deal_names)[(panel, deal, "mid")]]


def _value(panel: str, deal: str, cls: str = "rekit-ssr") -> float:
    m = re.search(rf'class="{cls}" data-deal="{deal}" data-value="([^"]+)"', panel)
    assert m, f"no {cls} cell for {deal} in the panel"
    return float(m.group(1))


# --- plain functions --------------------------------------------------------------------------


CENTRAL_DEALS = """version: 2
deals:
  ramp:
    description: a plant that ramps up, tolling through a partner
    partner: Japan
    shares:
      export: {value: 0, source: "assumption: no exports"}
      toll: {value: 0.5, source: "assumption: half to the partner"}
      domestic: {value: 0.2, source: "assumption: a fifth made in India"}
      stock: rest
    retained_share: {value: 0.3, low: 0.2, high: 0.4, source: "assumption: test"}
    partner_capacity: {value: 900, source: "assumption: test"}
    domestic_capacity:
      2026: {value: 0, source: "assumption: plant not yet built"}
      2030: {value: 1200, low: 600, high: 1200, source: "assumption: plant size"}
  still:
    description: no partner, a smaller plant
    shares:
      export: {value: 0, source: "assumption: no exports"}
      toll: {value: 0, source: "assumption: none tolled"}
      domestic: {value: 0.2, source: "assumption: a fifth made in India"}
      stock: rest
    retained_share: {value: 0, source: "assumption: no partner"}
    partner_capacity: {value: 0, source: "assumption: no partner"}
    domestic_capacity: {value: 400, source: "assumption: test"}
"""


def test_central_values_come_from_the_deals(ds, tmp_path):
    path = tmp_path / "central.yml"
    path.write_text(CENTRAL_DEALS, encoding="utf-8")
    b = load_deals(path, ds=ds)
    # a deal's central value in a year: the mode of a ranged value (0.3, not the 0.2-0.4 range's ends),
    # a schedule read linearly: 2028 lies halfway from 2026 (0 t) to 2030 (1,200 t): 600 t
    one = central_values(b, ["ramp"], 2028)
    assert (one["retained_share"], one["partner_capacity"], one["domestic_capacity"]) == (0.3, 900.0, pytest.approx(600.0))
    assert central_values(b, ["ramp"], 2035)["domestic_capacity"] == 1200.0     # flat after the last year
    # where deals differ, the largest: the tolling deal's 0.3 retained and 900 t capacity, not the 0 of the
    # deal without a partner; in 2027 the still plant's 400 t beats the ramp's 300 t (a quarter of the way to 1,200)
    both = central_values(b, ["ramp", "still"], 2027)
    assert (both["retained_share"], both["partner_capacity"], both["domestic_capacity"]) == (0.3, 900.0, 400.0)
    assert central_values(b, ["still"], 2027)["retained_share"] == 0.0


def test_compute_is_the_model(book):
    state = State(deals=DEALS, years=(2024, 2035), overrides={"retained_share": 0.5}, production_scale=1.5)
    res = compute(state, book)
    ref = simulate(book, DEALS, years=(2024, 2035), draws=0, overrides={"retained_share": 0.5}, production_scale=1.5)
    np.testing.assert_allclose(res.arrays["self_sufficiency"], ref.arrays["self_sufficiency"])


@pytest.mark.parametrize("state, error, words", [
    (State(deals=()), ExploreError, "no deal selected"),
    (State(deals=DEALS, years=(2030, 2030)), ExploreError, "zero length"),
    (State(deals=DEALS, years=(2024, 2028), headline_year=2030), ExploreError, "outside the years"),
    (State(deals=DEALS, production_scale=0), ExploreError, "above 0"),
    (State(deals=DEALS, overrides={"eta_metal": 0.0}), ModelError, "eta_metal"),
    (State(deals=DEALS, overrides={"demand_base": 0.0}), ModelError, "demand is zero"),
])
def test_compute_refuses_bad_combinations(book, state, error, words):
    with pytest.raises(error, match=words):
        compute(state, book)


def test_explain_names_the_slider():
    assert explain("eta_metal: 0 is outside (0, 1]").startswith(SLIDERS["eta_metal"].label)
    assert SLIDERS["demand_base"].label in explain("deal 'x', year 2025: magnet demand is zero; ...")
    # a slider under "all deal parameters": its name, and the section to open
    assert explain("w_ndpr: 0 is outside (0, 1] (Nd + Pr)") == (
        f"w_ndpr ({ALL_PARAMS} › {group_title('composition')}): 0 is outside (0, 1] (Nd + Pr)")


def test_series_and_headline_table(book):
    res = compute(State(deals=DEALS, draws=200), book)
    bands = series(res, "self_sufficiency")
    assert set(bands) == set(DEALS)
    for q in bands.values():
        assert q.shape == (3, len(res.years))
        assert np.all(q[0] <= q[1] + 1e-12) and np.all(q[1] <= q[2] + 1e-12)
    table = headline_table(res, 2030)
    assert list(table["deal"]) == list(DEALS)
    for r in table.itertuples():
        draws = res.at("self_sufficiency", r.deal, 2030)
        assert r.self_sufficiency == pytest.approx(np.median(draws))
        assert r.self_sufficiency_p05 <= r.self_sufficiency <= r.self_sufficiency_p95
    central = compute(State(deals=DEALS), book)
    q = series(central, "export_share")["status_quo"]
    np.testing.assert_array_equal(q[0], q[2])  # draws = 0: the band collapses onto the line
    with pytest.raises(ExploreError):
        headline_table(central, 2040)


def test_figure_restyled_in_place(book):
    fig = make_figure(book)
    n = len(fig.data)
    assert n == len(METRICS_SHOWN) * (3 * len(book.deals) + 2)  # per panel: 3 traces a deal, the marker, the envelope
    res = compute(State(deals=("toll_japan",)), book)
    update_figure(fig, res, 2030, list(book.deals))
    assert len(fig.data) == n
    idx = trace_index(list(book.deals))
    mid = fig.data[idx[(0, "toll_japan", "mid")]]
    assert mid.visible is True
    np.testing.assert_allclose(mid.y, res.arrays["self_sufficiency"][0, :, 0])
    assert fig.data[idx[(0, "status_quo", "mid")]].visible is False
    marker = fig.data[idx[(0, "", "marker")]]
    assert list(marker.x) == [2030]


def test_panel_html_hooks_and_escaping(book, ds):
    res = compute(State(deals=DEALS), book)
    page = panel_html(headline_table(res, 2030), 2030, [("x", "A <b>title</b> & co")], overrides={"retained_share": 0.5},
                      deal_values={"retained_share": 0.3}, updates=7)
    assert 'class="rekit-headline" data-status="ok" data-year="2030"' in page
    assert 'data-updates="7"' in page
    assert _value(page, "toll_japan") == pytest.approx(res.at("self_sufficiency", "toll_japan", 2030)[0], rel=1e-5)
    assert "A &lt;b&gt;title&lt;/b&gt; &amp; co" in page
    assert 'data-param="retained_share"' in page
    err = panel_html(None, 2030, message="bad <input>")
    assert 'data-status="error"' in err and "bad &lt;input&gt;" in err


def test_panel_escapes_every_value_and_links_only_web_addresses(book):
    res = compute(State(deals=("toll_japan",)), book)
    sources = [("s1", "Report <script>alert(1)</script>", "https://example.org/a?x=1&y=2"),
               ("s2", "Plain", "javascript:alert(1)"), ("s3", "No address", None), ("s4\"><b>", "Odd id", "ftp://x")]
    page = panel_html(headline_table(res, 2030), 2030, sources, message='"quoted" <i>message</i>',
                      descriptions={"toll_japan": 'a "quote" & <tag>'})
    assert "<script>" not in page and "Report &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://example.org/a?x=1&amp;y=2"' in page
    assert page.count("<a ") == 1 and "javascript:" not in page and "ftp://" not in page
    assert 'data-source="s4&#34;&gt;&lt;b&gt;"' in page
    assert 'title="a &#34;quote&#34; &amp; &lt;tag&gt;"' in page
    assert "&#34;quoted&#34; &lt;i&gt;message&lt;/i&gt;" in page
    assert [web_url(u) for u in ("https://a.b", "HTTP://a.b", " http://a.b ", "file:///etc", "", None)] == [
        "https://a.b", "HTTP://a.b", "http://a.b", None, None, None]


def test_the_package_names_notebooks_use():
    assert rekit.explore.headline is headline_table and rekit.explore.explore is explore
    assert {"explore", "State", "compute", "headline", "make_figure", "update_figure"} <= set(rekit.explore.__all__)


# --- the widget -------------------------------------------------------------------------------


def test_controls_start_at_the_deals_values(ex, book):
    c = ex.controls
    assert c["deals"].value == DEALS
    assert c["basis"].options == tuple(book.bases)
    assert c["years"].value == (2024, 2035) and (c["years"].min, c["years"].max) == (2024, 2050)
    assert c["draws"].value == 0
    expected = central_values(book, DEALS, c["headline_year"].value)
    for p in OVERRIDABLE:
        assert c[p].value == pytest.approx(expected[p], abs=slider(p).step / 2)
    assert c["production_scale"].value == 1.0
    assert ex.state.overrides == {} and ex.error is None
    for name, ctl in c.items():
        assert "rekit-" + name.replace("_", "-") in ctl._dom_classes
    assert "rekit-explorer" in ex._dom_classes
    assert "rekit-explorer-figure" in ex.figure._dom_classes and "rekit-panel" in ex.panel._dom_classes
    assert isinstance(ex.figure, go.FigureWidget)


def test_slider_updates_figure_and_headline_in_place(ex):
    fig, traces = ex.figure, len(ex.figure.data)
    y0 = np.array(_mid(ex, "toll_japan").y, dtype=float)
    v0 = _value(ex.panel.value, "toll_japan")
    ex.controls["retained_share"].value = 0.6
    assert ex.figure is fig and len(fig.data) == traces  # the same widget and traces: updated, not rebuilt
    y1 = np.array(_mid(ex, "toll_japan").y, dtype=float)
    assert not np.allclose(y0, y1) and y1[-1] < y0[-1]
    v1 = _value(ex.panel.value, "toll_japan")
    assert v1 < v0
    assert v1 == pytest.approx(float(ex.result.at("self_sufficiency", "toll_japan", 2030)[0]), rel=1e-5)
    assert ex.state.overrides == {"retained_share": pytest.approx(0.6)}
    assert 'data-param="retained_share"' in ex.panel.value
    # status_quo has no tolling: the retained share does not move it
    np.testing.assert_allclose(_mid(ex, "status_quo").y, 0.0)


def test_bad_input_shows_a_message_and_keeps_the_last_good_chart(ex):
    for bad, words in [({"demand_base": 0.0}, "demand is zero"), ({"eta_metal": 0.0}, "oxide→metal yield"),
                       ({"eta_magnet": 0.0}, "metal→magnet yield"), ({"years": (2030, 2030)}, "zero length"),
                       ({"deals": ()}, "no deal selected")]:
        good_y = np.array(_mid(ex, "toll_japan").y, dtype=float)
        good_result = ex.result
        ex.set(**bad)
        assert ex.error and words in ex.error, (bad, ex.error)
        assert 'data-status="error"' in ex.panel.value and html.escape(words) in ex.panel.value
        assert "Traceback" not in ex.panel.value
        assert ex.result is good_result
        np.testing.assert_array_equal(np.array(_mid(ex, "toll_japan").y, dtype=float), good_y)
        ex.set(**{"demand_base": ex.defaults["demand_base"], "eta_metal": ex.defaults["eta_metal"],
                  "eta_magnet": ex.defaults["eta_magnet"], "years": (2024, 2035), "deals": DEALS})
        assert ex.error is None and 'data-status="ok"' in ex.panel.value


def test_deal_selection_basis_draws_and_reset(ex, book):
    # toll_japan: Japan's spare capacity does not bind, so IREL's output path (the basis) moves the line
    # (toll_korea's does bind: Korea's spare capacity caps its tolled magnets under every basis)
    ex.controls["deals"].value = ("toll_japan",)
    assert _mid(ex, "toll_japan").visible is True and _mid(ex, "toll_korea").visible is False
    assert 'data-deals="toll_japan"' in ex.panel.value
    before = np.array(_mid(ex, "toll_japan").y, dtype=float)
    ex.controls["basis"].value = "plan_2030"
    assert not np.allclose(before, np.array(_mid(ex, "toll_japan").y, dtype=float))
    ex.controls["draws"].value = 100
    idx = trace_index(ex.deal_names)
    high, low = (ex.figure.data[idx[(0, "toll_japan", p)]] for p in ("high", "low"))
    assert high.visible and low.visible and np.any(np.array(high.y) > np.array(low.y))
    ex.set(retained_share=0.9, demand_growth=0.2)
    assert set(ex.state.overrides) == {"retained_share", "demand_growth"}
    ex.reset()
    assert ex.state.overrides == {}
    assert ex.controls["retained_share"].value == pytest.approx(ex.defaults["retained_share"])


# --- every deal parameter -----------------------------------------------------------------------

#: Deals of the tests below: with and without a tolling partner (so deals differ in partner_capacity),
#: the REPM scheme (India's oxide stock matters) and the China shock of 2030 (the shock_* parameters act).
EVERY = ("status_quo", "toll_japan", "toll_korea", "repm_scheme", "china_shock_2030")
YEARS_SHOWN = (2024, 2035)


def _run(book, deals=EVERY, **overrides):
    return simulate(book, deals, years=YEARS_SHOWN, draws=0, overrides=overrides)


@pytest.fixture
def every(ds, book) -> Explorer:
    return explore(list(EVERY), ds=ds, book=book)


def _descendants(box) -> list:
    out = []
    for child in getattr(box, "children", ()):
        out += [child, *_descendants(child)]
    return out


def test_every_deal_parameter_has_a_slider(every, book):
    c = every.controls
    assert set(OVERRIDABLE) == set(PARAMS) and set(SLIDERS) | set(PARAM_SLIDERS) >= set(PARAMS)
    yrs = np.arange(YEARS[0], YEARS[1] + 1)
    for name, p in PARAMS.items():
        ctl = c[name]
        assert isinstance(ctl, widgets.FloatSlider), name
        assert "rekit-" + name.replace("_", "-") in ctl._dom_classes
        assert ctl.min <= every.defaults[name] <= ctl.max and ctl.value == pytest.approx(every.defaults[name])
        if name in SLIDERS:
            continue
        assert p.doc in ctl.tooltip and p.unit in ctl.tooltip
        assert ctl.description == LEVER_LABELS.get(name, name)
        if np.isfinite(p.hi):
            assert (ctl.min, ctl.max) == (p.lo, p.hi), name
        else:  # an unbounded mass: room above every deal's central value in every year
            top = max(float(d.params[name].draw(name, 0, 0, yrs).max()) for d in book.deals.values())
            assert ctl.min == p.lo and ctl.max >= max(MASS_HEADROOM * top, MASS_FLOOR), name
    # the curated sliders stay in view; every other one is in its group's section of "all deal parameters"
    acc = every.all_params
    assert isinstance(acc, widgets.Accordion) and acc.titles == (ALL_PARAMS,) and acc.selected_index is None
    assert "rekit-all-params" in acc._dom_classes
    sections = acc.children[0]
    assert sections.selected_index is None
    inside = {x.description: x for x in _descendants(acc) if isinstance(x, widgets.FloatSlider)}
    # the recycling lever's sliders are in the recycling section instead
    assert set(inside) == set(PARAM_SLIDERS) - set(RECYCLING_LEVER) and not set(inside) & set(SLIDERS)
    lever = [x for x in _descendants(every.recycling) if isinstance(x, widgets.FloatSlider)]
    assert lever == [c[n] for n in RECYCLING_LEVER]
    for title, box in zip(sections.titles, sections.children, strict=True):
        names = [x.description for x in box.children]
        assert names and {group_title(PARAMS[n].group) for n in names} == {title}


@pytest.mark.parametrize("name, value, deals", [
    ("partner_spare", 0.05, ("status_quo", "toll_japan", "toll_korea")),     # the partner's free capacity binds
    ("stock_initial", 0.0, ("status_quo", "repm_scheme")),                    # no oxide reserve (a larger one cannot
                                                                              # help: the scheme takes IREL's 500 t assured)
    ("shock_cut_heavy", 0.0, ("status_quo", "china_shock_2030")),            # Dy and Tb not cut in the shock
    ("partner_capacity", 1000.0, ("toll_japan", "toll_korea")),              # a mass the deals differ in
])
def test_a_slider_under_all_deal_parameters_overrides_as_the_model_says(ds, book, name, value, deals):
    ex = explore(list(deals), ds=ds, book=book)
    assert name in PARAM_SLIDERS and ex.state.overrides == {}
    n = ex.updates
    ex.controls[name].value = value
    assert ex.updates == n + 1 and ex.error is None
    assert ex.state.overrides == {name: pytest.approx(value)}
    expected, unmoved = _run(book, deals, **{name: value}), _run(book, deals)
    for metric in ("self_sufficiency", "export_share", "magnets_own"):
        np.testing.assert_allclose(ex.result.arrays[metric], expected.arrays[metric], err_msg=metric)
    assert not np.allclose(expected.arrays["self_sufficiency"], unmoved.arrays["self_sufficiency"])
    for deal in deals:
        assert _value(ex.panel.value, deal) == pytest.approx(float(expected.at("self_sufficiency", deal, 2030)[0]),
                                                             rel=1e-5, abs=1e-9)
        np.testing.assert_allclose(np.array(_mid(ex, deal).y, dtype=float),
                                   expected.arrays["self_sufficiency"][deals.index(deal), :, 0])
    item = re.search(rf'<li data-param="{name}">([^<]*)</li>', ex.panel.value)
    assert item and item.group(1).startswith(f"{name} = {value:{slider(name).fmt}}")
    assert f"(deals: {ex.defaults[name]:{slider(name).fmt}})" in html.unescape(item.group(1))


def test_a_slider_left_alone_makes_no_override(every, book):
    assert every.state.overrides == {} and every.error is None
    unmoved = _run(book)
    for metric in ("self_sufficiency", "export_share", "magnets_own"):
        np.testing.assert_allclose(every.result.arrays[metric], unmoved.arrays[metric], err_msg=metric)
    # the test can fail: demand_growth's slider starts at one year's growth of the demand basis;
    # applied as an override it would hold that rate in every year, where the basis changes its rate
    # after 2030, and so change every deal's answer
    start = every.controls["demand_growth"].value
    assert not np.allclose(_run(book, demand_growth=start).arrays["self_sufficiency"],
                           unmoved.arrays["self_sufficiency"])
    # moving another slider leaves the untouched ones out, and a nudge within half a step is no move
    every.set(stock_initial=every.defaults["stock_initial"] + 0.4 * slider("stock_initial").step)
    assert every.state.overrides == {}
    every.controls["partner_spare"].value = 0.5
    assert set(every.state.overrides) == {"partner_spare"}


def test_untouched_sliders_follow_the_deals_and_moved_ones_stay(every, book):
    every.controls["stock_initial"].value = 800.0
    n = every.updates
    every.controls["deals"].value = ("toll_korea",)
    assert every.updates == n + 1  # all the sliders that follow, one update
    korea = central_values(book, ("toll_korea",), 2030)
    assert every.controls["partner_capacity"].value == pytest.approx(korea["partner_capacity"])
    assert korea["partner_capacity"] < central_values(book, EVERY, 2030)["partner_capacity"]  # it did move
    assert every.controls["stock_initial"].value == 800.0
    assert every.state.overrides == {"stock_initial": 800.0}


def test_reset_clears_every_override(every, book):
    moved = {}
    for name in OVERRIDABLE:  # every slider, halfway towards its top (or its bottom, when it starts there)
        ctl, own = every.controls[name], every.defaults[name]
        moved[name] = (own + ctl.max) / 2 if ctl.max - own > 2 * slider(name).step else own / 2
    n = every.updates
    every.set(**moved)
    assert every.updates == n + 1
    assert set(every.state.overrides) == set(OVERRIDABLE)
    every.set(production_scale=2.0)
    every.reset()
    assert every.updates == n + 3
    assert every.state.overrides == {} and every.state.production_scale == 1.0 and every.error is None
    for name in OVERRIDABLE:
        assert every.controls[name].value == pytest.approx(every.defaults[name]), name
    assert "rekit-overrides" not in every.panel.value
    np.testing.assert_allclose(every.result.arrays["self_sufficiency"], _run(book).arrays["self_sufficiency"])


@pytest.mark.parametrize("name", [n for n, p in PARAMS.items() if p.open_lo])
def test_an_open_lower_bound_at_zero_gives_a_message(ex, name):
    assert ex.controls[name].min == 0.0  # the slider reaches 0, which the model refuses
    good = ex.result
    ex.set(**{name: 0.0})  # no exception
    assert ex.error and name in ex.error and "outside (0" in ex.error
    assert 'data-status="error"' in ex.panel.value and html.escape(ex.error) in ex.panel.value
    assert "Traceback" not in ex.panel.value
    assert ex.result is good
    ex.reset()
    assert ex.error is None and 'data-status="ok"' in ex.panel.value


def test_headline_year_follows_the_years(ex):
    ex.controls["years"].value = (2026, 2029)
    hy = ex.controls["headline_year"]
    assert (hy.min, hy.max, hy.value) == (2026, 2029, 2029)
    assert ex.error is None and 'data-year="2029"' in ex.panel.value
    hy.value = 2027
    assert 'data-year="2027"' in ex.panel.value
    with pytest.raises(KeyError, match="unknown control"):
        ex.set(nonsense=1)


def test_display_bundle_has_widget_and_static_fallback(ex):
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.model_id
    assert "rekit-explorer-static" in bundle["text/html"] and "rekit-headline" in bundle["text/html"]
    # the recycling section too: its numbers as the panel shows them, and its chart of the magnets in use
    assert "rekit-recycling-static" in bundle["text/html"] and ex.recycling_panel.value in bundle["text/html"]
    assert 'id="rekit-stock-static-' in bundle["text/html"]
    assert bundle["text/plain"].startswith("<rekit deal explorer: status_quo, toll_japan, repm_scheme")
    # synced for a view created later: the state ipywidgets sends a new view holds every trace
    assert len(ex.figure.get_state()["_widget_data"]) == len(ex.figure.data) > 0


def test_figure_widget_sync_is_still_done_by_plotly_display_hook():
    """rekit.explore.widget.sync_figure_widget relies on plotly's FigureWidget display hook to
    copy the figure into the state a new view starts from; a plotly release that stops doing so
    fails here (the explorer's chart would open empty inside its box)."""
    import plotly.graph_objects as go

    from rekit.explore.widget import sync_figure_widget

    fig = go.FigureWidget()
    fig.add_scatter(y=[3, 1, 2])  # added after the widget was made: not yet in its view state
    fig.update_layout(title="after")
    assert fig.get_state()["_widget_data"] == []  # the trace is not in the state before the sync
    sync_figure_widget(fig)
    state = fig.get_state()
    assert [list(t["y"]) for t in state["_widget_data"]] == [[3, 1, 2]]
    assert state["_widget_layout"]["title"]["text"] == "after"


def test_unknown_deal_or_basis_is_refused(ds, book):
    from rekit.model.deals import DealError

    with pytest.raises(DealError, match="unknown deal"):
        explore(["nope"], ds=ds, book=book)
    with pytest.raises(DealError, match="basis"):
        explore(["toll_japan"], basis="nope", ds=ds, book=book)
    with pytest.raises(ExploreError, match="years"):
        explore(["toll_japan"], years=(2035, 2024), ds=ds, book=book)


# --- the notebook -----------------------------------------------------------------------------


def test_explorer_notebook_is_thin_and_runs(ds, book, monkeypatch):
    """Title, parameters, check, one explore() call; output-free; the code runs and gives an Explorer."""
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "explorer.ipynb", as_version=4)
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert "parameters" in cells[1].metadata.get("tags", [])
    assert "check(" in cells[2].source
    call = cells[3]
    assert "explore(" in call.source
    assert {"nbval-ignore-output", "skip-execution"} <= set(call.metadata.get("tags", []))
    assert all(not c.get("outputs") for c in cells if c.cell_type == "code"), "explorer.ipynb stores no outputs"
    monkeypatch.chdir(ROOT / "notebooks")  # where the notebook runs: check() finds explorer.ipynb
    scope: dict = {}
    for c in cells[1:3]:
        exec(compile(c.source, "explorer.ipynb", "exec"), scope)
    tree = ast.parse(call.source)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr), "the explorer cell ends with the explore(...) expression that displays it"
    exec(compile(tree, "explorer.ipynb", "exec"), scope)
    made = eval(compile(ast.Expression(last.value), "explorer.ipynb", "eval"), scope)
    assert isinstance(made, Explorer) and made.error is None
    assert made.controls["deals"].value == tuple(scope["deals"])
    assert made.controls["years"].value == (scope["start_year"], scope["end_year"])


def test_the_demand_basis_changes_the_answer(ds, book):
    """Against finished-magnet imports (hundreds of tonnes) self-sufficiency is far higher than against
    the official requirement (thousands of tonnes): the same deal's 2030 value moves with the dropdown."""
    ex = explore(["repm_scheme"], ds=ds, book=book)
    official = _value(ex.panel.value, "repm_scheme")
    ex.controls["demand"].value = "imports"
    assert ex.state.demand == "imports" and ex.error is None
    assert _value(ex.panel.value, "repm_scheme") > official
    with pytest.raises(RekitError, match="unknown demand basis 'nope'; allowed: official, industry, imports, bottom_up"):
        explore(["repm_scheme"], ds=ds, book=book, demand="nope")


def test_demand_sliders_follow_the_demand_basis_unless_moved(ds, book):
    """Switching the demand basis moves the untouched demand sliders to that basis's own numbers
    (no override: the model reads the basis itself); a demand slider the user moved stays."""
    ex = explore(["repm_scheme"], ds=ds, book=book)
    c = ex.controls
    imports = book.demand("imports")
    official = book.demand("official")
    assert c["demand_base"].value == pytest.approx(official.base.quantities[0].value)
    c["demand"].value = "imports"
    # the imports basis: 700 t of magnets in 2025, growing 2^(1/5) - 1 = 0.1487 a year to 2030 (headline year 2030)
    assert c["demand_base"].value == pytest.approx(imports.base.quantities[0].value)
    assert c["demand_base"].value != pytest.approx(official.base.quantities[0].value)  # it did move
    assert c["demand_growth"].value == pytest.approx(0.1487, abs=SLIDERS["demand_growth"].step / 2)
    assert c["demand_base"].description == f"demand {imports.base_year} (t)"
    assert ex.state.overrides == {} and ex.error is None
    ref = simulate(book, ["repm_scheme"], years=ex.state.years, draws=0, demand="imports")
    assert _value(ex.panel.value, "repm_scheme") == pytest.approx(ref.at("self_sufficiency", "repm_scheme", 2030)[0], rel=1e-5)
    c["demand_base"].value = 1500.0  # moved by the user: it stays through a change of basis
    c["demand"].value = "official"
    assert c["demand_base"].value == 1500.0 and ex.state.overrides.get("demand_base") == 1500.0


def test_a_users_deals_file_joins_the_presets(ds, tmp_path):
    deals = tmp_path / "my_deals.yml"
    deals.write_text("""version: 2
deals:
  my_toll:
    description: a user's tolling deal
    partner: Japan
    shares:
      export: {value: 0, source: "assumption: no exports"}
      toll: {value: 0.5, source: "assumption: half to the partner"}
      domestic: {value: 0, source: "assumption: none made in India"}
      stock: rest
""", encoding="utf-8")
    ex = explore(["my_toll", "toll_japan"], ds=ds, deals_file=deals)
    assert "my_toll" in ex.deal_names and ex.error is None
    assert 'data-deals="my_toll toll_japan"' in ex.panel.value
    with pytest.raises(RekitError, match="missing.yml"):
        explore(["toll_japan"], ds=ds, deals_file=tmp_path / "missing.yml")


# --- what the panel says, the deal checkboxes, the envelope, the toggles ----------------------------


def test_coincident_names_the_first_line_each_lies_on():
    lines = {"a": np.array([0.0, 0.0, 0.1]), "b": np.array([0.0, 0.0, 0.1]), "c": np.array([0.0, 0.0, 0.2]),
             "d": np.array([0.0, 0.0, 0.1 + 1e-12]), "e": np.array([0.0, 0.0, 0.2])}
    # b and d lie on a (d within 1e-9), e on c; a and c are the first of their lines
    assert coincident(lines) == {"b": "a", "d": "a", "e": "c"}
    assert coincident({"a": np.array([0.0, 0.1]), "b": np.array([0.0, 0.1 + 1e-6])}) == {}


def test_deals_are_ticked_not_ctrl_clicked(ex):
    picker = ex.controls["deals"]
    assert isinstance(picker, DealPicker) and set(picker.boxes) == set(ex.deal_names)
    assert [n for n, b in picker.boxes.items() if b.value] == [n for n in ex.deal_names if n in DEALS]
    assert "rekit-deal-toll-korea" in picker.boxes["toll_korea"]._dom_classes
    picker.boxes["toll_korea"].value = True  # what a click on its checkbox does
    assert ex.state.deals == (*DEALS, "toll_korea") and _mid(ex, "toll_korea").visible is True
    assert 'data-deals="status_quo toll_japan repm_scheme toll_korea"' in ex.panel.value
    picker.boxes["status_quo"].value = False
    assert ex.state.deals == ("toll_japan", "repm_scheme", "toll_korea") and _mid(ex, "status_quo").visible is False
    with pytest.raises(ExploreError, match="unknown deal 'nope'"):
        ex.set(deals=("nope",))


def _choice(panel: str, name: str) -> str:
    m = re.search(rf'data-choice="{name}" data-value="([^"]*)"', panel)
    assert m, f"no choice {name} in the panel"
    return html.unescape(m.group(1))


def test_the_panel_shows_every_choice_in_use(ex, book):
    page = ex.panel.value
    assert (_choice(page, "basis"), _choice(page, "demand"), _choice(page, "framing")) == ("output", "official", "chain")
    assert _choice(page, "years") == "2024–2035" and _choice(page, "draws") == "0 (central values)"
    assert book.demands["official"].description.split(",")[0] in html.unescape(page)
    official = _value(page, "repm_scheme")
    ex.set(demand="imports", framing="officials")
    page = ex.panel.value
    assert (_choice(page, "demand"), _choice(page, "framing")) == ("imports", "officials")
    # the model itself under those choices, central values
    ref = simulate(book, DEALS, years=(2024, 2035), draws=0, demand="imports", framing="officials")
    assert _value(page, "repm_scheme") == pytest.approx(float(ref.at("self_sufficiency", "repm_scheme", 2030)[0]), rel=1e-5)
    # finished-magnet imports (460-900 t in 2025) are a far smaller demand than the official ~4,000 t
    assert _value(page, "repm_scheme") > 2 * official


def test_the_structural_envelope_stands_beside_the_band(ex, book):
    env = envelope(book, ["toll_japan"], years=(2024, 2050), draws=ENVELOPE_DRAWS, metrics=["self_sufficiency"])
    row = env[env["year"] == 2030].iloc[0]
    m = re.search(r'class="rekit-envelope" data-deal="toll_japan" data-metric="self_sufficiency" data-low="([^"]+)" '
                  r'data-high="([^"]+)" title="low end: ([^;]+); high end: ([^"]+)"', ex.panel.value)
    assert m, "no envelope for toll_japan's own-feedstock coverage"
    assert (float(m.group(1)), float(m.group(2))) == (pytest.approx(row.envelope_p05, rel=1e-5),
                                                      pytest.approx(row.envelope_p95, rel=1e-5))
    assert m.group(1) != m.group(2)  # the choices move toll_japan's coverage
    # the choice that gives each end, in words: 'production=targets demand=official framing=chain' -> '...'
    assert html.unescape(m.group(3)) == scenario_words(row.low_scenario) and "production " in m.group(3)
    assert scenario_words("production=targets demand=official framing=chain") == (
        "production targets, demand official, framing chain")
    # in the chart: grey bars at the headline year, one a deal shown, p05 to p95
    bars = ex.figure.data[trace_index(ex.deal_names)[(0, "", "envelope")]]
    i = list(ex.state.deals).index("toll_japan")
    assert bars.visible is True and bars.name == ENVELOPE_NAME
    assert bars.y[i] - bars.error_y.arrayminus[i] == pytest.approx(row.envelope_p05)
    assert bars.y[i] + bars.error_y.array[i] == pytest.approx(row.envelope_p95)
    # the hover names the ends in the panel's words too, never as the model's label
    assert bars.customdata[i][3] == scenario_words(row.low_scenario) and "=" not in bars.customdata[i][3]


def test_coinciding_lines_are_marked(ex):
    # toll_japan and repm_scheme export the same share every year (the 2012 agreement's third in 2024,
    # 15% in 2025 as the exports stop, nothing from 2026), so their export-share lines coincide
    ex.set(deals=("toll_japan", "repm_scheme"))
    assert ex.same["export_share"] == {"repm_scheme": "toll_japan"}
    assert "repm_scheme: same line as toll_japan" in ex.figure.layout.annotations[1].text
    assert _mid(ex, "repm_scheme", panel=1).name == "repm_scheme (same as toll_japan)"
    assert 'class="rekit-export-share" data-deal="repm_scheme" data-value="0" data-same-as="toll_japan"' in ex.panel.value
    assert "same line" not in ex.figure.layout.annotations[0].text


def test_central_values_and_medians_are_labelled_and_the_band_toggles_the_draws(ex):
    assert 'data-kind="central"' in ex.panel.value and "In 2030: central values" in ex.panel.value
    assert "not the median the reports give" in ex.panel.value
    ex.controls["band"].value = True
    assert ex.controls["draws"].value == BAND_DRAWS and ex.state.draws == BAND_DRAWS
    assert 'data-kind="median"' in ex.panel.value and f"medians of {BAND_DRAWS} draws" in ex.panel.value
    assert "median" in _mid(ex, "toll_japan").hovertemplate
    ex.controls["draws"].value = 0  # the slider back to 0 unticks the band
    assert ex.controls["band"].value is False and 'data-kind="central"' in ex.panel.value
    assert "(central value)" in _mid(ex, "toll_japan").hovertemplate


def test_sources_fold_to_a_count_and_unfold_without_recomputing(ex):
    page = ex.panel.value
    count = int(re.search(r'class="rekit-sources" data-count="(\d+)"', page).group(1))
    assert count == page.count("<li data-source=") and count > 3
    assert f"<b>Sources</b>: {count} behind" in page and f'data-count="{count}" open' not in page
    updates, result = ex.updates, ex.result
    ex.controls["show_sources"].value = True
    assert f'data-count="{count}" open' in ex.panel.value
    assert ex.updates == updates and ex.result is result  # drawn again, not recomputed


def test_axes_say_percent_of_what():
    fig = make_figure(load_deals())
    assert fig.layout.yaxis.title.text == "% of magnet demand" and fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.yaxis2.title.text == "% of IREL's Nd output" and fig.layout.yaxis2.tickformat == ".0%"
    assert "(t magnet)" in fig.layout.annotations[0].text and "(t Nd)" in fig.layout.annotations[1].text


def test_a_setting_with_no_effect_is_said_in_the_panel_for_the_deals_shown(ds, tmp_path):
    """The panel says what `rekit simulate` warns about (rekit.model.custom.no_effect), naming the setting,
    for the deals shown only."""
    q = "{value: %s, source: 'assumption: a test value'}"
    deals = tmp_path / "mine.yml"
    deals.write_text("deals:\n  idle_partner:\n    extends: toll_korea\n"  # star_group's plants, nothing tolled
                     "    shares: {export: " + q % 0 + ", toll: " + q % 0 + ", domestic: " + q % 0 + ", stock: rest}\n",
                     encoding="utf-8")
    ex = explore(["idle_partner", "status_quo"], ds=ds, deals_file=deals)
    said = "<li>deal &#39;idle_partner&#39;: partners has no effect: shares.toll is 0 in every year, so no oxide goes to the partner</li>"
    assert 'class="rekit-warnings"' in ex.panel.value and said in ex.panel.value  # escaped, as jinja2 writes a quote
    ex.set(deals=["status_quo"])
    assert "rekit-warnings" not in ex.panel.value  # status_quo's settings all act
