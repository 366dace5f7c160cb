"""rekit.model.docs, value by value: the text and rows each function gives for small inputs built here
(a hand-made DealBook of two production bases, two demand bases and a framing; deals made from the
defaults with one parameter changed), written out literally, and the worked example's numbers
redone by hand. The text is the product: a changed word, bracket or separator is a wrong page.
"""

from __future__ import annotations

import dataclasses

import pytest

from rekit.model import docs
from rekit.model.deals import Basis, Deal, DealBook, Demand, Framing, load_deals
from rekit.model.quantities import Quantity, Schedule
from rekit.model.simulation import ModelError, simulate


def q(value, low=None, high=None, source="src", unit="t"):
    return Quantity(value, value if low is None else low, value if high is None else high, unit, source)


@pytest.fixture(scope="module")
def bundled() -> DealBook:
    return load_deals()


@pytest.fixture
def small() -> DealBook:
    """Two production bases (one ranged path of two points, one flat fiscal point), two demand bases
    (the default with a two-point growth, one flat) and one framing given (`chain` left out)."""
    alpha = Basis("alpha", "Alpha: a path to 900 t", Schedule(((2025.0, q(40, source="src:a")),
                                                               (2030.0, q(900, 800, 1000, source="src:b")))),
                  Schedule.constant(q(400, 400, 500, source="src:cap")))
    beta = Basis("beta", "Beta: flat", Schedule(((2025.0, q(450, source="src:c")),), kind="fiscal"),
                 Schedule.constant(q(900, source="src:d")))
    official = Demand("official", "The government's figure", Schedule.constant(q(4010, 4000, 4010, source="obs:base")), 2025,
                      Schedule(((2026.0, q(0.15437, source="obs:g")), (2031.0, q(0.05, 0.03, 0.08, source="assumption: slows")))))
    imports = Demand("imports", "Imports only", Schedule.constant(q(700, 460, 900, source="obs:imp")), 2024,
                     Schedule.constant(q(0.1487, source="obs:gr")))
    officials = Framing("officials", "three t of magnet a t of oxide", Schedule.constant(q(3.0, 2.8, 3.2)))
    return DealBook(bases={"alpha": alpha, "beta": beta}, deals={}, demands={"official": official, "imports": imports},
                    default_demand="official", framings={"officials": officials})


# --- numbers, years and cells -----------------------------------------------------------------------


@pytest.mark.parametrize("x, text", [
    (0, "0"), (0.96, "0.96"), (0.123456, "0.1235"),  # four significant figures below 10,000
    (1200, "1,200"), (9999.4, "9,999"),
    (10000, "10,000"), (10000.5, "10,000"),  # from 10,000 on, whole numbers (10000.5 rounds half to even)
    (123456.7, "123,457"), (-20000, "-20,000"),  # the size, not the sign, chooses the form
])
def test_num(x, text):
    assert docs._num(x) == text


def test_q_gives_the_value_and_a_range_only_when_uncertain():
    assert docs._q(q(0.7, 0.6, 0.8)) == ("0.7", "0.6–0.8")
    assert docs._q(q(8000, 7000, 8000)) == ("8,000", "7,000–8,000")
    assert docs._q(q(5)) == ("5", "")


@pytest.mark.parametrize("t, text", [
    (2031, "2031"), (2031.0, "2031"),
    (2025 + 89 / 365, "2025-03-31"),  # 1 Jan + 89 days: 31 (Jan) + 28 (Feb) + 30 = 89 -> 31 March
    (2026 + 310 / 365, "2026-11-07"),  # Jan-Oct hold 31+28+31+30+31+30+31+31+30+31 = 304 days: 1 Nov + 6
    (2024.5, "2024-07-02"),  # leap year: 0.5 x 366 = 183 days; 1 July is day 182 (Jan-Jun 31+29+31+30+31+30)
    (2025.5, "2025-07-02"),  # common year: 0.5 x 365 = 182.5, rounded to even 182; 1 July is day 181
])
def test_when_writes_a_run_rate_point_as_its_date(t, text):
    assert docs._when(t) == text


def test_cell_escapes_the_table_separator_and_joins_lines():
    assert docs._cell("a|b\nc") == "a\\|b c"
    assert docs._cell(5) == "5"


def test_schedule_of_one_point():
    assert docs._schedule(Schedule.constant(q(0.7, 0.6, 0.8, source="obs:x|y"))) == ("0.7", "0.6–0.8", "obs:x\\|y")
    assert docs._schedule(Schedule.constant(q(0, source="assumption: none"))) == ("0", "", "assumption: none")


def test_schedule_of_several_points():
    s = Schedule(((2026.0, q(0.15437, source="obs:g")), (2030.0, q(0.15437, source="obs:g")),
                  (2031.0, q(0.05, 0.03, 0.08, source="assumption: slows\nafter 2030"))))
    # 0.15437 to four figures is 0.1544; only the ranged point has a range; each source once, in order
    assert docs._schedule(s) == ("2026: 0.1544; 2030: 0.1544; 2031: 0.05", "2031: 0.03–0.08",
                                 "obs:g; assumption: slows after 2030")
    rr = Schedule(((2025 + 89 / 365, q(40, 40, 46.65, source="obs:a")), (2030.0, q(900, 800, 1000, source="obs:b"))),
                  kind="run_rate")
    assert docs._schedule(rr) == ("2025-03-31: 40; 2030: 900", "2025-03-31: 40–46.65; 2030: 800–1,000", "obs:a; obs:b")


# --- the README's tables --------------------------------------------------------------------------


def test_bases_table_of_a_small_book(small):
    assert docs.bases_table(small).splitlines() == [
        "| basis | kind | points | range | capacity (t NdPr oxide/yr) | source |",
        "|---|---|---|---|---|---|",
        "| production `alpha` | annual | 2025: 40; 2030: 900 | 2030: 800–1,000 | 400 (400–500) | src:a; src:b; src:cap |",
        "| production `beta` | fiscal | 450 |  | 900 | src:c; src:d |",
        "| demand `official` (default) | base 2025, growth a year | 4,010; growth 2026: 0.1544; 2031: 0.05 | "
        "4,000–4,010; 2031: 0.03–0.08 |  | obs:base; obs:g; assumption: slows |",
        "| demand `imports` | base 2024, growth a year | 700; growth 0.1487 | 460–900 |  | obs:imp; obs:gr |",
    ]


def _defaults() -> Deal:
    return load_deals({"deals": {"defaults_only": {"description": "the defaults alone"}}}).get("defaults_only")


def test_parameter_table_lists_the_defaults_then_what_each_deal_sets_otherwise(small):
    base = _defaults()
    tolled = dataclasses.replace(
        base, name="tolled",
        params={**base.params, "partner_capacity": Schedule.constant(q(8000, 7000, 8000, source="obs:plant_a")),
                "demand_base": Schedule.constant(q(9999, source="not shown: set by a demand basis"))},
        export_halt="2026-04-01", export_halt_latest="2026-12-31", shock_start="2030-01-01", shock_event="china_2025_04")
    halted = dataclasses.replace(base, name="halted", export_halt="2025-09-01")
    book = dataclasses.replace(small, deals={"plain": base, "tolled": tolled, "halted": halted})
    lines = docs.parameter_table(book).splitlines()
    assert lines[:3] == [
        "| parameter | what it is | unit | value | range | source |", "|---|---|---|---|---|---|",
        "| `eta_metal` | reduction of NdPr oxide to metal: t metal recovered per t metal in the oxide (beyond stoichiometry) "
        "| ratio | 0.96 | 0.94–0.98 | assumption: no source gives the reduction's recovery beyond stoichiometry; Heim & Vander "
        "Wal's ~20% 'loss' (obs:oxide_to_metal_loss_heim_2023) is mostly oxygen leaving |"]
    assert "| `partner_lead_months` | months from oxide shipped to magnets back in India (carried as a pipeline: any length up "\
           "to five years) | months | 6 | 3–12 | assumption: shipping, tolling and return; not reported |" in lines
    # 41 deal parameters (the two demand parameters come from a demand basis and are left out)
    assert lines[43:] == [
        "", "What each preset sets otherwise (shares are in `data/deals.yml`):", "",
        "| deal | parameter | value | range | source |", "|---|---|---|---|---|",
        "| `tolled` | `partner_capacity` | 8,000 | 7,000–8,000 | obs:plant_a |",
        "| `tolled` | export halt | 2026-04-01 | 2026-04-01–2026-12-31 | the flow to Toyotsu Rare Earths India under the 2012 "
        "agreement stops (part of the year ships) |",
        "| `tolled` | China shock | from 2030-01-01 |  | modelled on event `china_2025_04` |",
        "| `halted` | export halt | 2025-09-01 |  | the flow to Toyotsu Rare Earths India under the 2012 agreement stops (part "
        "of the year ships) |",
    ]
    assert not any("demand_base" in line for line in lines)


def test_readme_block_is_the_bases_then_the_parameters_between_the_markers(small):
    block = docs.readme_block(small)
    assert block.startswith("<!-- parameter-table:start -->\n| basis | kind | points |")
    assert "| demand `imports` | base 2024, growth a year | 700; growth 0.1487 | 460–900 |  | obs:imp; obs:gr |\n\n"\
           "| parameter | what it is |" in block
    assert block.endswith("|---|---|---|---|---|\n<!-- parameter-table:end -->")  # the small book has no deals


# --- the methods page -----------------------------------------------------------------------------


def test_system_equations_of_the_model():
    lines = docs.system_equations().splitlines()
    assert len(lines) == 17
    assert lines[0] == "O   = min(P(t)·ν, C_IREL(t))                    IREL's output, t NdPr oxide (path capped by capacity; ν converts"
    assert lines[4] == "T   = min(τ·O, C_p·σ·a_p / q)                   tolled: capped by the partner's free capacity"
    assert lines[-1] == "magnet imports = max(D − returned − G, 0)·a_mag,   shortfall = the rest of that gap"


def test_system_equations_take_the_indented_block_after_per_year(monkeypatch):
    """A small docstring: the block starts after the line ending 'Per year:' (trailing spaces allowed), keeps
    blank lines (one of spaces and a tab comes out empty) and deeper indents, drops four spaces, and ends at
    the first line that is not indented."""
    from rekit.model import simulation

    monkeypatch.setattr(simulation, "__doc__", "Title.\n\nThe flows. Per year:   \n\n     A = b\n"
                        "          c = d\n \t   \n    E = f\nAfter the block.\n    not this\n")
    assert docs.system_equations() == " A = b\n      c = d\n\nE = f"
    monkeypatch.setattr(simulation, "__doc__", "Per year:\n    X = y\n")
    assert docs.system_equations() == "X = y"


@pytest.mark.parametrize("formula, symbols", [
    ("(own + R) / D", ["own", "R", "D"]),
    ("(M + R − E) / (G + M + R − E)", ["M", "R", "E", "G"]),  # each once, in order of first use
    ("S / (D / q)", ["S", "D", "q"]),
])
def test_formula_symbols(formula, symbols):
    assert docs.formula_symbols(formula) == symbols


def test_metric_rows():
    rows = docs.metric_rows()
    assert len(rows) == 50 and rows[0]["metric"] == "production"
    by = {r["metric"]: r for r in rows}
    assert by["oxide_production"] == {"metric": "oxide_production", "unit": "t NdPr oxide", "description": "IREL's NdPr oxide output",
                                      "formula": "", "reference": "", "alias_of": ""}
    assert by["own_feedstock_coverage"]["formula"] == "(own + R) / D" and by["own_feedstock_coverage"]["alias_of"] == ""
    assert by["self_sufficiency"]["formula"] == "(own + R) / D"
    assert by["self_sufficiency"]["alias_of"] == "own_feedstock_coverage"


def test_headline_formulas_are_the_metrics_with_a_formula_without_the_aliases():
    rows = docs.headline_formulas()
    assert [r["metric"] for r in rows] == ["own_feedstock_coverage", "magnet_self_sufficiency", "import_dependency",
                                           "stock_cover_years", "ssr_oxide", "import_reliance"]
    assert rows[1] == {"metric": "magnet_self_sufficiency", "unit": "ratio", "description": rows[1]["description"],
                       "formula": "G / D", "reference": "FAO self-sufficiency ratio, production / domestic utilisation "
                       "(FAO, Food Balance Sheets: A Handbook, 2001), at the magnet stage", "alias_of": ""}


PARAMETER_NAMES = [
    "eta_metal", "eta_alloy", "eta_magnet", "swarf_recovery", "swarf_recycled",
    "w_ndpr", "w_dy", "w_tb", "pr_share",
    "retained_share", "partner_capacity", "partner_spare", "partner_lead_months", "partner_heavy_china",
    "domestic_capacity", "stock_initial", "stock_draw",
    "oxide_import_cap", "oxide_china_share", "metal_import_cap", "metal_china_share", "heavy_china_share",
    "heavy_stock_initial", "magnet_china_share",
    "scheme_beneficiaries", "scheme_oxide_beneficiaries", "scheme_allocation", "scheme_assured_oxide",
    "scheme_first_sale", "scheme_ramp_years", "scheme_utilisation",
    "recycling_share", "recycling_ramp_years", "recycling_collection", "recycling_dismantling", "recycling_recovery",
    "shock_months", "shock_cut_heavy", "shock_cut_oxide", "shock_cut_metal", "shock_cut_magnet",
]


def test_parameter_rows_in_order_with_units_bounds_and_sources():
    rows = docs.parameter_rows()
    assert [r["name"] for r in rows] == PARAMETER_NAMES  # demand_base and demand_growth come from a demand basis
    by = {r["name"]: r for r in rows}
    # the defaults of data/deals.yml; bounds from deals.PARAMS: "(" an open lower bound, ∞ no upper one
    assert by["eta_metal"] == {
        "name": "eta_metal", "group": "yields", "unit": "ratio",
        "doc": "reduction of NdPr oxide to metal: t metal recovered per t metal in the oxide (beyond stoichiometry)",
        "bounds": "(0, 1]", "value": "0.96", "range": "0.94–0.98",
        "source": "assumption: no source gives the reduction's recovery beyond stoichiometry; Heim & Vander Wal's ~20% 'loss' "
                  "(obs:oxide_to_metal_loss_heim_2023) is mostly oxygen leaving"}
    assert by["swarf_recycled"] == {
        "name": "swarf_recycled", "group": "yields", "unit": "share", "doc": "share of machining swarf sent back to recycling",
        "bounds": "[0, 1]", "value": "0.5", "range": "0–0.9",
        "source": "assumption: share of machining swarf recycled; not reported for any plant"}
    assert by["partner_capacity"] == {
        "name": "partner_capacity", "group": "partner", "unit": "t magnet/yr", "doc": "the partner's total sintered-magnet capacity",
        "bounds": "[0, ∞]", "value": "0", "range": "", "source": "assumption: no tolling partner"}
    assert by["partner_lead_months"]["bounds"] == "[0, 60]" and by["partner_lead_months"]["range"] == "3–12"
    assert by["scheme_allocation"]["bounds"] == "[0, 1,200]"


def test_choice_rows_of_a_small_book(small):
    assert docs.choice_rows(small) == [
        {"dimension": "production basis", "name": "alpha", "unit": "t NdPr oxide/yr", "description": "Alpha: a path to 900 t"},
        {"dimension": "production basis", "name": "beta", "unit": "t NdPr oxide/yr", "description": "Beta: flat"},
        {"dimension": "demand basis", "name": "official", "unit": "t magnet/yr", "description": "The government's figure"},
        {"dimension": "demand basis", "name": "imports", "unit": "t magnet/yr", "description": "Imports only"},
        # a framing the book does not describe is listed with no description
        {"dimension": "framing", "name": "chain", "unit": "t magnet per t NdPr oxide", "description": ""},
        {"dimension": "framing", "name": "officials", "unit": "t magnet per t NdPr oxide",
         "description": "three t of magnet a t of oxide"},
    ]


def test_choice_rows_of_the_bundled_book():
    rows = docs.choice_rows()
    assert [(r["dimension"], r["name"]) for r in rows] == [
        ("production basis", "output"), ("production basis", "capacity"), ("production basis", "targets"),
        ("production basis", "plan_2030"), ("demand basis", "official"), ("demand basis", "industry"),
        ("demand basis", "imports"), ("demand basis", "bottom_up"), ("framing", "chain"), ("framing", "officials")]


def central(book, deal, year, metric):
    """The model's own central value (draws = 0) of a metric, run independently of rekit.model.docs."""
    return float(simulate(book, [deal], years=(2024, year), draws=0).at(metric, deal, year)[0])


def test_worked_example_redone_by_hand():
    w = docs.worked_example()
    assert {k: v for k, v in w.items() if k != "inputs"} == {
        "deal": "repm_scheme", "year": 2030, "metric": "own_feedstock_coverage", "unit": "ratio", "formula": "(own + R) / D",
        "value": w["value"], "basis": "output", "demand": "official"}
    assert [{k: v for k, v in i.items() if k != "value"} for i in w["inputs"]] == [
        {"symbol": "own", "metric": "magnets_domestic", "unit": "t magnet",
         "meaning": "magnets made in India from India's own oxide (IREL's output and stock)"},
        {"symbol": "R", "metric": "magnets_returned", "unit": "t magnet", "meaning": "magnets a tolling partner returns to India"},
        {"symbol": "D", "metric": "magnet_demand", "unit": "t magnet", "meaning": "India's NdFeB magnet demand (the demand basis)"}]
    own, r, d = (i["value"] for i in w["inputs"])
    # D: the official basis, 4,010 t in 2025 growing 15.437% a year to 2030: 4010 x 1.15437^5
    #    = 4010 x 2.04986 = 8,219.96 t (the "8,220 t by 2030" it is read from)
    assert d == pytest.approx(8219.96, abs=0.01)
    assert r == 0.0  # the scheme tolls nothing
    assert own == pytest.approx(central(load_deals(), "repm_scheme", 2030, "magnets_domestic"), rel=1e-12)
    assert own == pytest.approx(1076.24, abs=0.01)
    # (own + R) / D = (1,076.24 + 0) / 8,219.96 = 0.13093
    assert w["value"] == pytest.approx((own + r) / d, rel=1e-12) and w["value"] == pytest.approx(0.13093, abs=1e-5)


def test_worked_example_of_a_book_and_a_metric_given(bundled):
    book = dataclasses.replace(bundled, default_demand="industry")
    w = docs.worked_example(book)
    d = w["inputs"][2]["value"]
    # the industry basis: 4010 x 1.12262^5; ln 1.12262 = 0.115666, x 5 = 0.578328, e^0.578328 = 1.783055:
    # 4010 x 1.783055 = 7,150.0 t ("about 7,150 t by 2030")
    assert w["demand"] == "industry" and d == pytest.approx(7150.0, abs=0.1)
    # a year past simulate's default window (2024-2035): the run reaches the year asked
    w = docs.worked_example(bundled, "toll_korea", 2040, "import_dependency")
    assert (w["deal"], w["year"], w["metric"], w["formula"]) == ("toll_korea", 2040, "import_dependency", "(M + R) / D")
    m, r, d = (i["value"] for i in w["inputs"])
    assert [i["symbol"] for i in w["inputs"]] == ["M", "R", "D"]
    assert m == pytest.approx(central(bundled, "toll_korea", 2040, "magnet_imports"), rel=1e-12)
    assert r == pytest.approx(central(bundled, "toll_korea", 2040, "magnets_returned"), rel=1e-12) and r > 0
    assert w["value"] == pytest.approx((m + r) / d, rel=1e-12)


def test_methods_gathers_every_part(bundled):
    m = docs.methods()
    assert set(m) == {"equations", "metrics", "symbols", "parameters", "choices", "example"}
    assert m["equations"].startswith("O   = min(P(t)·ν, C_IREL(t))")
    assert len(m["metrics"]) == 50 and [p["name"] for p in m["parameters"]] == PARAMETER_NAMES
    assert [s["symbol"] for s in m["symbols"]] == ["D", "G", "R", "M", "E", "own", "O", "S", "q"]
    assert m["symbols"][0] == {"symbol": "D", "metric": "magnet_demand", "meaning": "India's NdFeB magnet demand (the demand basis)"}
    assert m["symbols"][-1] == {"symbol": "q", "metric": "",
                                "meaning": "t magnet made from a t of NdPr oxide along the chain (the equations above; the framing)"}
    assert len(m["choices"]) == 10 and (m["example"]["deal"], m["example"]["demand"]) == ("repm_scheme", "official")
    # a book given is the one used: one production basis, the industry demand as default
    book = dataclasses.replace(bundled, bases={"output": bundled.bases["output"]}, default_demand="industry")
    m = docs.methods(book)
    assert [c["name"] for c in m["choices"] if c["dimension"] == "production basis"] == ["output"]
    assert m["example"]["demand"] == "industry"


@pytest.mark.parametrize("metric", ["ssr_oxide", "stock_cover_years", "nosuch"])
def test_a_worked_example_of_a_metric_it_cannot_redo_is_refused_by_name(metric):
    # ssr_oxide = O / (D / q) and stock_cover_years = S / (D / q) read q, the chain's t magnet per t oxide,
    # which no metric reports; the four whose every symbol is a metric are the ones allowed
    with pytest.raises(ModelError) as err:
        docs.worked_example(metric=metric)
    assert str(err.value) == (f"worked example: metric {metric!r} is not allowed; allowed: the metrics whose formula's "
                              "inputs are all metrics: own_feedstock_coverage, magnet_self_sufficiency, import_dependency, "
                              "import_reliance")
