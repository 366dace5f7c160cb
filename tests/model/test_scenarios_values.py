"""The grid's parts (rekit.model.scenarios) called directly on small inputs, worked by hand: labels, name checks,
the partner alternatives of a book with made-up partners, quantiles of a few rows, the frames of a grid built by
hand, the memory estimate, and small runs (central values or a few draws, one or two years)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rekit.model import scenarios as sc
from rekit.model.deals import Partner, Plant, load_deals
from rekit.model.quantities import Quantity, Schedule
from rekit.model.scenarios import ALIKE, Grid, Scenario
from rekit.model.simulation import METRICS, ModelError, simulate

T = "t magnet/yr"


def q(value: float, low: float, high: float, source: str, note: str = "") -> Quantity:
    return Quantity(value, low, high, T, source, note)


def made_up_book(plants=(("pa", "home1"), ("pa", "abroad"), ("pb", "j"))):
    """The bundled book with two made-up partner companies, both of Japan, and a deal `dx` (repm_scheme's terms)
    tolling with the given plants; its partner_capacity 180 (150-210) t magnet/yr."""
    b = load_deals()
    partners = {
        "pa": Partner("pa", "Alpha Co", "Japan", {"home1": Plant("home1", "Osaka, JAPAN", q(100, 80, 120, "s1"), "2020"),
                                                  "abroad": Plant("abroad", "Hanoi, Vietnam", q(50, 50, 60, "s2"), "2021")}),
        "pb": Partner("pb", "Beta Co", "Japan", {"j": Plant("j", "Kyoto, Japan", q(30, 20, 30, "s4"), "2022")}),
        "pk": Partner("pk", "Korea Co", "South Korea", {"k": Plant("k", "Ulsan, South Korea", q(7, 7, 7, "s3"), "2023")}),
    }
    base = b.get("repm_scheme")
    cap = Schedule.constant(q(180, 150, 210, "s1 s2", "the three plants"))
    dx = dataclasses.replace(base, name="dx", partner_plants=tuple(plants), params={**base.params, "partner_capacity": cap})
    return dataclasses.replace(b, partners=partners, deals={**b.deals, "dx": dx})


def observations(rows: list[dict]) -> SimpleNamespace:
    """A dataset holding only an observations table (the one table partner_alternatives reads)."""
    cols = ["id", "indicator", "entity", "period", "value", "low", "high", "unit", "status"]
    return SimpleNamespace(observations=pd.DataFrame([{c: r.get(c, np.nan) for c in cols} for r in rows], columns=cols))


OBS = [
    {"id": "jp19", "indicator": "ndfeb_alloy_production", "entity": "Japan", "period": "2019", "value": 900.0,
     "low": 800.0, "high": 950.0, "unit": "t NdFeB alloy", "status": "reported"},
    {"id": "jp21", "indicator": "ndfeb_alloy_production", "entity": "Japan", "period": "2021", "value": 1000.0,
     "high": 1200.0, "unit": "t NdFeB alloy", "status": "reported"},
    {"id": "jp20", "indicator": "ndfeb_alloy_production", "entity": "Japan", "period": "2020", "value": 950.0,
     "unit": "t NdFeB alloy", "status": "reported"},
    {"id": "jp23", "indicator": "ndfeb_alloy_production", "entity": "Japan", "period": "2023", "value": 5000.0,
     "unit": "t NdFeB alloy", "status": "withdrawn"},
    {"id": "jp24m", "indicator": "magnet_output", "entity": "Japan", "period": "2024", "value": 7000.0,
     "unit": "t magnet", "status": "reported"},
    {"id": "kr24", "indicator": "ndfeb_alloy_production", "entity": "South Korea", "period": "2024", "value": 3.0,
     "unit": "t NdFeB alloy", "status": "reported"},
]


# --- labels and names -----------------------------------------------------------------------------

def test_a_label_and_its_partner():
    s = Scenario("output", "imports", "chain")
    assert s.partner == "plants"
    assert s.label_for(False) == "production=output demand=imports framing=chain"
    assert s.label_for(True) == "production=output demand=imports framing=chain partner=plants"
    assert Scenario("a", "b", "c", "home").label_for(True) == "production=a demand=b framing=c partner=home"


def test_a_label_is_read_back_to_its_scenario_or_none():
    b = load_deals()
    read = Scenario.from_label
    assert read("production=output demand=imports framing=chain", b) == Scenario("output", "imports", "chain", "plants")
    assert read("production=capacity demand=official framing=officials partner=home", b) == Scenario(
        "capacity", "official", "officials", "home")
    for bad in ("production=nope demand=imports framing=chain",
                "production=output  demand=imports framing=chain",  # two spaces: not a label the grid writes
                "production=output demand=nope framing=chain",
                "production=output demand=imports framing=nope", "production=output demand=imports framing=chain partner=x",
                "production=output demand=imports", "production=output demand=imports framing=chain extra=1",
                "production=output demand=imports framing=chain partner=home extra=1",
                # a key twice (the last would win), a bare word, a key with no value
                "framing production=output demand=imports framing=chain",
                "production=output demand=imports framing=officials framing=chain",
                "production=output demand=imports framing="):
        assert read(bad, b) is None, bad


def test_pick_keeps_the_order_given_once_each_and_refuses_unknown_or_none():
    assert sc._pick(None, ["a", "b"], "thing") == ["a", "b"]
    assert sc._pick(["b", "a", "b"], ["a", "b"], "thing") == ["b", "a"]
    with pytest.raises(ModelError) as exc:
        sc._pick(["alpah"], ["alpha", "beta"], "thing")
    assert str(exc.value) == "unknown thing 'alpah' (did you mean 'alpha'?); allowed: alpha, beta"
    with pytest.raises(ModelError) as exc:
        sc._pick(["zzz"], ["alpha", "beta"], "thing")
    assert str(exc.value) == "unknown thing 'zzz'; allowed: alpha, beta"
    with pytest.raises(ModelError) as exc:
        sc._pick([], ["alpha", "beta"], "thing")
    assert str(exc.value) == "thing: give at least one of alpha, beta"


def test_scenarios_run_production_slowest_then_demand_then_framing():
    b = load_deals()
    got = sc.scenarios(b, productions=["capacity", "output"], demands=["imports", "official"], framings=["officials", "chain"])
    assert [(s.production, s.demand, s.framing, s.partner) for s in got] == [
        ("capacity", "imports", "officials", "plants"), ("capacity", "imports", "chain", "plants"),
        ("capacity", "official", "officials", "plants"), ("capacity", "official", "chain", "plants"),
        ("output", "imports", "officials", "plants"), ("output", "imports", "chain", "plants"),
        ("output", "official", "officials", "plants"), ("output", "official", "chain", "plants")]
    # by default every one of the book's: 4 bases x 4 demand bases x 2 framings = 32 (counted from deals.yml's lists)
    assert len(sc.scenarios(b)) == len(b.bases) * len(b.demands) * 2
    with pytest.raises(ModelError, match=r"^unknown demand basis 'x'; allowed: "):
        sc.scenarios(b, demands=["x"])
    with pytest.raises(ModelError, match=r"^unknown framing 'x'; allowed: chain, officials$"):
        sc.scenarios(b, framings=["x"])
    with pytest.raises(ModelError, match=r"^unknown production basis 'x'; allowed: "):
        sc.scenarios(b, productions=["x"])


def test_check_names_the_deals_and_the_metrics():
    b = load_deals()
    assert sc._check(b, ["repm_scheme"], None) == (("repm_scheme",), list(METRICS))
    assert sc._check(b, iter(["repm_scheme", "status_quo"]), ["export_share"]) == (("repm_scheme", "status_quo"), ["export_share"])
    with pytest.raises(ModelError) as exc:
        sc._check(b, [], None)
    assert str(exc.value) == "deals: give at least one deal"
    with pytest.raises(ModelError) as exc:
        sc._check(b, ["repm_scheme", "toll_mars"], None)
    assert str(exc.value).startswith("unknown deal 'toll_mars'")
    with pytest.raises(ModelError, match="metric 'nope' is not known"):
        sc._check(b, ["repm_scheme"], ["nope"])
    assert sc._check(b, ["repm_scheme"], []) == (("repm_scheme",), [])  # the deals alone (with_partner)
    with pytest.raises(ModelError) as exc:  # an empty list is not "all": a grid of no metric is refused
        sc.run_grid(b, ["repm_scheme"], metrics=[])
    assert str(exc.value) == "metrics: none given; give at least one (rekit simulate --list-metrics lists them), or None for all"


# --- partner alternatives ---------------------------------------------------------------------------

def test_a_deal_without_partners_has_the_one_alternative_none():
    b = load_deals()
    alts = sc.partner_alternatives(b, "repm_scheme", observations(OBS))
    assert list(alts) == ["none"]
    assert alts["none"].name == "none"
    assert alts["none"].capacity is b.get("repm_scheme").params["partner_capacity"]
    assert alts["none"].description == "not applicable: the deal names no partner company"


def test_plants_home_and_national_of_made_up_partners():
    b = made_up_book()
    alts = sc.partner_alternatives(b, "dx", observations(OBS))
    assert list(alts) == ["plants", "home", "national"]
    assert alts["plants"].capacity is b.get("dx").params["partner_capacity"]
    assert alts["plants"].name == "plants"
    assert alts["plants"].description == "the named plants summed (the three plants)"
    # home: Osaka, JAPAN (pa) and Kyoto, Japan (pb), the country read in any case; Hanoi, Vietnam left out:
    # 100 + 30 = 130, low 80 + 20 = 100, high 120 + 30 = 150; their sources s1 and s4
    home = alts["home"]
    assert home.name == "home"
    (t, hq), = home.capacity.points
    assert t == 0 and home.capacity.kind == "annual"
    assert hq == Quantity(130, 100, 150, T, "s1 s4", "home plants only: pa/home1 100 + pb/j 30")
    assert home.description == "home plants only: pa/home1 100 + pb/j 30"
    # national: Japan's latest alloy output not withdrawn is 2021's 1,000 t (no low: the value; high 1,200);
    # 2023 is withdrawn, 2024's is another indicator, South Korea's another country
    nat = alts["national"]
    note = "Japan's ndfeb alloy production in 2021 (1,000 t NdFeB alloy), read as the partners' capacity"
    (t, nq), = nat.capacity.points
    assert nq == Quantity(1000.0, 1000.0, 1200.0, T, "obs:jp21", note)
    assert type(nq.value) is float and type(nq.low) is float and type(nq.high) is float
    assert nat.name == "national" and nat.description == note


def test_national_reads_the_low_end_when_given_and_the_value_for_a_missing_high():
    rows = [{"id": "a", "indicator": "ndfeb_alloy_production", "entity": "Japan", "period": "2030", "value": 50.0,
             "low": 40.0, "unit": "t NdFeB alloy", "status": "reported"}]
    (_, nq), = sc.partner_alternatives(made_up_book(), "dx", observations(rows))["national"].capacity.points
    assert (nq.value, nq.low, nq.high) == (50.0, 40.0, 50.0)
    assert nq.note == "Japan's ndfeb alloy production in 2030 (50 t NdFeB alloy), read as the partners' capacity"


def test_no_national_alternative_without_data_or_for_partners_of_two_countries():
    b = made_up_book()
    assert list(sc.partner_alternatives(b, "dx")) == ["plants", "home"]  # no dataset
    assert list(sc.partner_alternatives(b, "dx", observations(OBS[3:4]))) == ["plants", "home"]  # only withdrawn
    assert list(sc.partner_alternatives(b, "dx", observations(OBS[4:]))) == ["plants", "home"]  # not Japan's alloy
    two = made_up_book((("pa", "home1"), ("pa", "abroad"), ("pk", "k")))
    assert list(sc.partner_alternatives(two, "dx", observations(OBS))) == ["plants", "home"]
    # one country, South Korea: its 3 t
    korea = made_up_book((("pk", "k"),))
    alts = sc.partner_alternatives(korea, "dx", observations(OBS))
    assert list(alts) == ["plants", "national"]  # its one plant is at home: home would equal plants
    assert alts["national"].capacity.points[0][1].value == 3.0


def test_no_home_alternative_when_every_plant_or_none_is_at_home():
    b = made_up_book((("pa", "home1"), ("pb", "j")))
    assert "home" not in sc.partner_alternatives(b, "dx")
    b = made_up_book((("pa", "abroad"),))
    assert "home" not in sc.partner_alternatives(b, "dx")


def test_with_partner_replaces_the_capacity_of_the_deals_that_have_it():
    b = made_up_book()
    out = sc.with_partner(b, ["dx", "repm_scheme"], "home", observations(OBS))
    assert out.get("dx").params["partner_capacity"].points[0][1].value == 130
    assert out.get("repm_scheme") is b.get("repm_scheme")
    assert all(v is b.get("dx").params[k] for k, v in out.get("dx").params.items() if k != "partner_capacity")
    assert b.get("dx").params["partner_capacity"].points[0][1].value == 180  # the book given is left as it was
    out = sc.with_partner(b, ["dx"], "national", observations(OBS))
    assert out.get("dx").params["partner_capacity"].points[0][1].value == 1000.0
    with pytest.raises(ModelError) as exc:
        sc.with_partner(b, ["dx"], "hom", observations(OBS))
    assert str(exc.value) == "unknown partner alternative 'hom' (did you mean 'home'?); allowed: plants, home, national"
    with pytest.raises(ModelError) as exc:
        sc.with_partner(b, ["repm_scheme", "status_quo"], "home", observations(OBS))
    assert str(exc.value) == ("partner alternative 'home' applies to none of the deals "
                              "(repm_scheme: none; status_quo: none)")
    with pytest.raises(ModelError) as exc:
        sc.with_partner(load_deals(), ["toll_korea"], "national", observations(OBS[:1]))
    assert str(exc.value) == "partner alternative 'national' applies to none of the deals (toll_korea: plants, home)"
    with pytest.raises(ModelError) as exc:
        sc.with_partner(b, [], "home", observations(OBS))
    assert str(exc.value) == "deals: give at least one deal"


def test_with_partner_national_loads_the_bundled_data_when_none_is_given():
    # the bundled observations hold Japan's alloy output: the made-up Japanese partners get a national alternative
    out = sc.with_partner(made_up_book(), ["dx"], "national")
    assert out.get("dx").params["partner_capacity"].points[0][1].source.startswith("obs:")


def test_with_capacities_replaces_only_the_named_deals():
    b = load_deals()
    assert sc._with_capacities(b, {}) is b
    cap = Schedule.constant(q(5, 5, 5, "s"))
    out = sc._with_capacities(b, {"repm_scheme": cap})
    assert out.get("repm_scheme").params["partner_capacity"] is cap
    assert out.get("status_quo") is b.get("status_quo")
    assert b.get("repm_scheme").params["partner_capacity"] is not cap
    assert out.bases is b.bases


# --- quantiles ----------------------------------------------------------------------------------------

def test_row_quantiles_by_hand():
    a = np.array([[[1.0, 1.0, 1.0], [3.0, 1.0, 2.0]], [[0.0, 10.0, 5.0], [2.0, 2.0, 2.0]]])
    before = a.copy()
    out = sc._row_quantiles(a, (0.05, 0.5, 0.95))
    assert out.shape == (3, 2, 2)
    # the sorted row 1, 2, 3: numpy's linear method at (n − 1) q = 2q: p05 at 0.1 → 1.1, p50 at 1 → 2, p95 at 1.9 → 2.9
    # the row 0, 5, 10: p05 at 0.1 → 0.5, p50 5, p95 at 1.9 → 5 + 0.9 x 5 = 9.5; constant rows are their value
    np.testing.assert_allclose(out[:, 0, 0], [1, 1, 1])
    np.testing.assert_allclose(out[:, 0, 1], [1.1, 2.0, 2.9])
    np.testing.assert_allclose(out[:, 1, 0], [0.5, 5.0, 9.5])
    np.testing.assert_allclose(out[:, 1, 1], [2, 2, 2])
    np.testing.assert_array_equal(a, before)  # the input is not sorted in place
    # every row constant: no sort at all
    np.testing.assert_array_equal(sc._row_quantiles(np.full((2, 4), 7.0), (0.5,)), [[7.0, 7.0]])


# --- grids built by hand --------------------------------------------------------------------------------

def hand_grid(envelope=True) -> Grid:
    """Two deals (d1 with partners, d2 without), two years, two metrics, two scenarios; the second not d2's.
    quantiles[s, m, k, d, y] = 1000 s + 100 m + 10 d + y + k / 10 (k = 0, 1, 2 for p05, p50, p95)."""
    S, M, D, Y = 2, 2, 2, 2
    s, m, k, d, y = np.meshgrid(*(np.arange(n) for n in (S, M, 3, D, Y)), indexing="ij")
    quant = 1000.0 * s + 100 * m + 10 * d + y + k / 10
    env = None
    if envelope:
        m2, e, d2, y2 = np.meshgrid(*(np.arange(n) for n in (M, 2, D, Y)), indexing="ij")
        env = -(100.0 * m2 + 10 * d2 + y2) - e / 2  # p05 = −(100 m + 10 d + y), p95 that − 0.5
    return Grid(("d1", "d2"), np.array([2030, 2031]), ["magnet_demand", "export_share"],
                [Scenario("p", "a", "chain", "plants"), Scenario("p", "b", "officials", "home")], quant, env,
                np.array([[True, True], [True, False]]), (True, False))


def test_the_frame_of_a_grid_built_by_hand():
    f = hand_grid().frame()
    assert list(f.columns) == ["deal", "year", "metric", "unit", "production", "demand", "framing", "partner",
                               "p05", "p50", "p95"]
    # 2 scenarios x 2 metrics x 2 deals x 2 years = 16, less the second scenario's d2 rows (2 metrics x 2 years): 12
    assert len(f) == 12
    rows = {(r.deal, r.year, r.metric, r.demand): r for r in f.itertuples()}
    r = rows[("d2", 2031, "export_share", "a")]
    # s 0, m 1, d 1, y 1: 100 + 10 + 1 = 111; p05 111.0, p50 111.1, p95 111.2
    assert (r.unit, r.production, r.framing, r.partner) == ("share", "p", "chain", "none")
    assert (r.p05, r.p50, r.p95) == pytest.approx((111.0, 111.1, 111.2))
    r = rows[("d1", 2030, "magnet_demand", "b")]
    # s 1, m 0, d 0, y 0: 1000
    assert (r.unit, r.framing, r.partner) == ("t magnet", "officials", "home")
    assert (r.p05, r.p50, r.p95) == pytest.approx((1000.0, 1000.1, 1000.2))
    assert ("d2", 2030, "magnet_demand", "b") not in rows
    # the order: scenario slowest, then metric, deal, year
    assert f["deal"].tolist()[:4] == ["d1", "d1", "d2", "d2"]
    assert f["year"].tolist()[:4] == [2030, 2031, 2030, 2031]


def test_a_grid_without_applies_or_partners_has_every_scenario_for_every_deal():
    g = dataclasses.replace(hand_grid(), applies=None, has_partner=())
    f = g.frame()
    assert len(f) == 16
    assert set(f["partner"]) == {"none"}
    e = g.envelope_frame()
    assert e["low_scenario"].iloc[0] == "production=p demand=a framing=chain"


def test_the_envelope_frame_of_a_grid_built_by_hand():
    e = hand_grid().envelope_frame()
    assert list(e.columns) == ["deal", "year", "metric", "unit", "envelope_p05", "envelope_p95", "low_scenario",
                               "high_scenario"]
    assert len(e) == 8  # 2 metrics x 2 deals x 2 years
    r = e.iloc[7]  # m 1, d 1, y 1
    assert (r["deal"], r["year"], r["metric"], r["unit"]) == ("d2", 2031, "export_share", "share")
    assert (r["envelope_p05"], r["envelope_p95"]) == (-111.0, -111.5)
    # d2 has only the first scenario: it is both ends, and alone it moves nothing: alike
    assert r["low_scenario"] == r["high_scenario"] == ALIKE
    r = e.iloc[2]  # m 0, d 1, y 0: metric slowest, then deal, then year
    assert (r["deal"], r["year"], r["metric"]) == ("d2", 2030, "magnet_demand")
    assert (r["envelope_p05"], r["envelope_p95"]) == (-10.0, -10.5)
    r = e.iloc[0]  # m 0, d 0, y 0: medians 0.1 (scenario 0) and 1000.1 (scenario 1)
    assert (r["deal"], r["year"], r["metric"], r["unit"]) == ("d1", 2030, "magnet_demand", "t magnet")
    assert r["low_scenario"] == "production=p demand=a framing=chain partner=plants"
    assert r["high_scenario"] == "production=p demand=b framing=officials partner=home"
    with pytest.raises(ModelError) as exc:
        hand_grid(envelope=False).envelope_frame()
    assert str(exc.value) == "this grid was run without its envelope (keep_envelope=False)"


def test_medians_within_the_tolerance_are_alike_and_just_beyond_it_are_not():
    """Rows of the envelope frame: metric slowest, then deal, then year; d1's rows are 0, 1 (magnet_demand, 2030 and
    2031) and 4, 5 (export_share). Medians are alike within 1e-9 x max(1, |highest|)."""
    lo_label = "production=p demand=a framing=chain partner=plants"
    hi_label = "production=p demand=b framing=officials partner=home"
    quant = hand_grid().quantiles.copy()
    quant[0, 0, 1, 0, 0], quant[1, 0, 1, 0, 0] = 0.1, 0.1 + 0.9e-9  # below 1: 1e-9 absolute; 0.9e-9 apart: alike
    quant[0, 0, 1, 0, 1], quant[1, 0, 1, 0, 1] = 1e6, 1e6 * (1 + 2e-9)  # 2e-3 apart, above 1e-9 x 1e6 = 1e-3: not
    quant[0, 1, 1, 0, 0], quant[1, 1, 1, 0, 0] = -5e6, -5e6 + 4e-3  # the size is |highest| = 5e6: 5e-3 > 4e-3: alike
    quant[0, 1, 1, 0, 1], quant[1, 1, 1, 0, 1] = 3.0, -1000.0  # scenario 1 the lower
    e = dataclasses.replace(hand_grid(), quantiles=quant).envelope_frame()
    assert e["low_scenario"].iloc[0] == e["high_scenario"].iloc[0] == ALIKE
    assert (e["low_scenario"].iloc[1], e["high_scenario"].iloc[1]) == (lo_label, hi_label)
    assert e["low_scenario"].iloc[4] == ALIKE
    assert (e["low_scenario"].iloc[5], e["high_scenario"].iloc[5]) == (hi_label, lo_label)
    # at the tolerance exactly: 0 and −1e-9 are 1e-9 apart, the tolerance 1e-9 x max(1, 0) = 1e-9: alike;
    # 0.1 and 0.1 + 1.5e-9 are beyond it (the floor of the size is 1, not more): not alike
    quant[0, 0, 1, 0, 0], quant[1, 0, 1, 0, 0] = 0.0, -1e-9
    quant[0, 0, 1, 0, 1], quant[1, 0, 1, 0, 1] = 0.1, 0.1 + 1.5e-9
    e = dataclasses.replace(hand_grid(), quantiles=quant).envelope_frame()
    assert e["low_scenario"].iloc[0] == ALIKE
    assert (e["low_scenario"].iloc[1], e["high_scenario"].iloc[1]) == (lo_label, hi_label)


def test_grid_bytes_by_hand():
    # the docstring's example: 12 deals, 2024-2050 (27 years), 2,000 draws: 648,000 cells x 700 bytes x 3 demand bases
    # = 1,360,800,000; the pool 4 bytes x 44 metrics x 12 deals x 27 years x 2,000 draws x 12 scenarios = 1,368,576,000
    assert sc.grid_bytes(12, (2024, 2050), 2000, 12, 44, 3) == 1_360_800_000 + 1_368_576_000
    assert sc.grid_bytes(12, (2024, 2050), 2000, 12, 44, 3, keep_envelope=False) == 1_360_800_000
    # from 2030 to 2031: the run still spans 2024-2031 (8 years), the pool 2; draws 0 and demand bases 0 count as 1:
    # 1 x 8 x 1 x 700 x 1 = 5,600 and 4 x 1 x 1 x 2 x 1 x 1 = 8
    assert sc.grid_bytes(1, (2030, 2031), 0, 1, 1, 0) == 5_608
    assert type(sc.grid_bytes(1, (2030, 2031), 0, 1, 1, 0)) is int


# --- small runs -----------------------------------------------------------------------------------------

def test_a_metric_depends_on_demand_when_it_reads_a_demand_flow():
    b = load_deals()
    # magnet_demand is the demand flow itself; the export share (exports / output) reads no demand flow
    got = sc.demand_dependent(b, ["repm_scheme"], ["magnet_demand", "export_share", "magnet_imports"], (2024, 2025))
    assert got == {"magnet_demand", "magnet_imports"}


def _recycles_in_draws():
    """repm_scheme with a recycling share of 0 at its central value, up to 0.02 in its draws."""
    return load_deals({"deals": {"recycles_in_draws": {
        "extends": "repm_scheme",
        "recycling_share": {"value": 0, "low": 0, "high": 0.02, "source": "assumption: a test"}}}}, name="test")


def test_recycling_high_is_the_largest_share_any_deal_allows():
    b = _recycles_in_draws()
    assert sc._recycling_high(b, ["status_quo"]) == 0.0  # the defaults' point 0
    assert sc._recycling_high(b, ["status_quo", "recycles_in_draws"]) == 0.02  # its high, its value being 0
    assert sc._recycling_high(b, ["repm_scheme_recycling"]) == 0.02  # value 0.01, 0.005-0.02
    assert sc._recycling_high(b, []) == 0.0  # no deal: no recycling
    assert type(sc._recycling_high(b, [])) is float


def test_a_metric_fed_by_recycling_in_the_draws_only_depends_on_demand():
    """The central run of recycles_in_draws has no recycling; its draws do, and what they recycle follows the
    demand (the magnets in use), so magnets_secondary reads a demand flow; IREL's output reads none."""
    b = _recycles_in_draws()
    got = sc.demand_dependent(b, ["recycles_in_draws"], ["magnets_secondary", "oxide_production"], (2034, 2035))
    assert got == {"magnets_secondary"}
    got = sc.demand_dependent(b, ["status_quo"], ["magnets_secondary", "oxide_production"], (2034, 2035))
    assert got == set()  # no deal recycles in any draw: the recycled flows are zeros, free of demand


def test_watched_flows_note_every_flow_read():
    seen: set[str] = set()
    w = sc._Watched({"a": np.ones(2), "b": np.zeros(2)}, seen)
    assert w.seen is seen
    np.testing.assert_array_equal(w["a"], np.ones(2))
    assert seen == {"a"}


def test_a_group_gives_each_demand_bases_quantiles():
    """Central values (draws=0), output basis, chain: magnet demand in 2025 is each demand basis's base, imports 700 t
    and official 4,010 t; the export share (status_quo exports a fixed share) is the same under both."""
    b = load_deals()
    mets = ["magnet_demand", "export_share"]
    kept = []
    quant = sc._group(b, ["status_quo"], (2024, 2025), 0, 0, "output", "chain", ["imports", "official"], mets,
                      {"magnet_demand"}, keep=lambda i, j, a: kept.append((i, j, a.shape)))
    assert quant.shape == (2, 2, 3, 1, 2)
    np.testing.assert_allclose(quant[0, 0, :, 0, 1], [700, 700, 700])
    np.testing.assert_allclose(quant[1, 0, :, 0, 1], [4010, 4010, 4010])
    np.testing.assert_array_equal(quant[0, 1], quant[1, 1])
    assert sorted(kept) == [(0, 0, (1, 2, 1)), (0, 1, (1, 2, 1)), (1, 0, (1, 2, 1)), (1, 1, (1, 2, 1))]
    np.testing.assert_array_equal(
        sc.grid_group(b, ["status_quo"], (2024, 2025), 0, 0, "output", "chain", ["imports", "official"], mets,
                      {"magnet_demand"}), quant)


def test_a_group_with_draws_reads_each_demand_bases_own_draws():
    b = load_deals()
    # 2031: the scheme's plants run, so the framing (magnets per oxide) moves magnets made, and the production
    # basis moves IREL's oxide output
    mets = ["magnet_demand", "self_sufficiency", "oxide_production", "magnets_domestic"]
    quant = sc._group(b, ["repm_scheme"], (2031, 2031), 20, 4, "capacity", "officials", ["imports", "official"],
                      mets, set(mets))
    for i, dm in enumerate(["imports", "official"]):
        res = simulate(b, ["repm_scheme"], years=(2031, 2031), draws=20, seed=4, basis="capacity", demand=dm,
                       framing="officials")
        for j, m in enumerate(mets):
            np.testing.assert_allclose(quant[i, j, :, 0, 0], np.percentile(res.at(m, "repm_scheme", 2031), [5, 50, 95]),
                                       rtol=1e-12)
    other = simulate(b, ["repm_scheme"], years=(2031, 2031), draws=20, seed=4, basis="output", demand="imports")
    assert np.median(other.at("oxide_production", "repm_scheme", 2031)) != quant[0, 2, 1, 0, 0]
    assert np.median(other.at("magnets_domestic", "repm_scheme", 2031)) != quant[0, 3, 1, 0, 0]


def test_a_large_group_reads_its_metrics_side_by_side_to_the_same_numbers():
    """40,000 draws of one deal reach the threaded path (deals x draws >= 2 x 20,000 where two threads are allowed)."""
    from rekit.model.simulation import MIN_THREAD_ELEMENTS, THREADS

    b = load_deals()
    mets = ["magnet_demand", "export_share"]
    quant = sc._group(b, ["status_quo"], (2025, 2025), 40_000, 0, "output", "chain", ["imports"], mets, set(mets))
    assert THREADS == 1 or 40_000 >= 2 * MIN_THREAD_ELEMENTS
    res = simulate(b, ["status_quo"], years=(2025, 2025), draws=40_000, seed=0, basis="output", demand="imports")
    for j, m in enumerate(mets):
        np.testing.assert_allclose(quant[0, j, :, 0, 0], np.percentile(res.at(m, "status_quo", 2025), [5, 50, 95]),
                                   rtol=1e-12)


def test_run_grid_small_with_partners():
    b = load_deals()
    ds = observations(OBS)  # toll_korea's partner (Star Group, South Korea): a national alternative of 3 t
    g = sc.run_grid(b, ["status_quo", "toll_korea"], years=(2025, 2025), draws=0, productions=["output"],
                    demands=["imports", "official"], framings=["chain"], metrics=["magnet_demand"], ds=ds)
    assert g.deals == ("status_quo", "toll_korea")
    assert g.has_partner == (False, True)
    assert [(s.demand, s.partner) for s in g.scenarios] == [
        ("imports", "plants"), ("imports", "home"), ("imports", "national"),
        ("official", "plants"), ("official", "home"), ("official", "national")]
    np.testing.assert_array_equal(g.applies, [[True, True], [False, True], [False, True]] * 2)
    assert g.years.tolist() == [2025]
    # the demand is the demand basis's base whatever the partner: 700 t and 4,010 t; NaN where a scenario is not the deal's
    np.testing.assert_allclose(g.quantiles[:, 0, 1, 1, 0], [700, 700, 700, 4010, 4010, 4010])
    assert np.isnan(g.quantiles[1, 0, :, 0, 0]).all() and g.quantiles[0, 0, 1, 0, 0] == 700
    # the envelope: each deal's pool of one draw a scenario; status_quo [700, 4010]: p05 = 700 + 0.05 x 3310 = 865.5
    assert g.envelope[0, :, 0, 0] == pytest.approx([865.5, 700 + 0.95 * 3310])
    # toll_korea [700 x 3, 4010 x 3]: p05 at 0.05 x 5 = 0.25 → 700, p95 at 4.75 → 4010
    assert g.envelope[0, :, 1, 0] == pytest.approx([700, 4010])
    # by a mapper (no envelope): the same quantiles
    m = sc.run_grid(b, ["status_quo", "toll_korea"], years=(2025, 2025), draws=0, productions=["output"],
                    demands=["imports", "official"], framings=["chain"], metrics=["magnet_demand"], ds=ds,
                    keep_envelope=False, mapper=map)
    assert m.envelope is None and m.scenarios == g.scenarios and m.has_partner == g.has_partner
    np.testing.assert_array_equal(m.applies, g.applies)
    np.testing.assert_array_equal(m.quantiles, g.quantiles)


def test_run_grid_partner_alternatives_change_the_partners_capacity():
    """toll_korea's partner capacity: plants 8,000 t, home 3,000 t, national the made-up 3 t; the partner capacity
    reaches magnets returned, so the three alternatives differ, and `partners` picks among them."""
    b = load_deals()
    g = sc.run_grid(b, ["toll_korea"], years=(2030, 2030), draws=3, seed=2, productions=["output"], demands=["official"],
                    framings=["chain"], metrics=["magnets_returned"], ds=observations(OBS), partners=["national", "home"])
    assert [s.partner for s in g.scenarios] == ["home", "national"]  # PARTNER_CHOICES' order
    for s, cap in zip(g.scenarios, (3000.0, 3.0), strict=True):
        book = sc._with_capacities(b, {"toll_korea": Schedule.constant(q(cap, cap, cap, "s"))})
        res = simulate(book, ["toll_korea"], years=(2030, 2030), draws=3, seed=2, basis="output", demand="official")
        i = g.scenarios.index(s)
        np.testing.assert_allclose(g.quantiles[i, 0, :, 0, 0],
                                   np.percentile(res.at("magnets_returned", "toll_korea", 2030), [5, 50, 95]), rtol=1e-6)


def test_run_grid_refusals():
    b = load_deals()
    with pytest.raises(ModelError) as exc:
        sc.run_grid(b, ["status_quo"], years=(2025, 2025), draws=0, mapper=map)
    assert str(exc.value) == "the envelope pools every scenario's draws in this process: run it without an executor"
    with pytest.raises(ModelError) as exc:
        sc.run_grid(b, ["status_quo", "toll_korea"], years=(2025, 2025), draws=0, partners=["national"],
                    ds=observations(OBS[:1]))
    assert str(exc.value) == ("partner alternative 'national': not one applies to deal 'toll_korea', whose alternatives "
                              "are plants, home")
    with pytest.raises(ModelError, match="^unknown partner alternative 'hom' "):
        sc.run_grid(b, ["status_quo"], years=(2025, 2025), draws=0, partners=["hom"])
    # a deal with one plant abroad and no dataset: only `plants`
    with pytest.raises(ModelError) as exc:
        sc.run_grid(made_up_book((("pa", "abroad"),)), ["dx"], years=(2025, 2025), draws=0, partners=["home", "national"],
                    ds=observations([]))
    assert str(exc.value) == ("partner alternative 'home', 'national': not one applies to deal 'dx', whose alternatives "
                              "are plants")


def test_run_grid_without_envelope_or_dataset():
    b = load_deals()
    g = sc.run_grid(b, ["status_quo"], years=(2025, 2025), draws=0, productions=["output"], demands=["imports"],
                    framings=["chain"], metrics=["magnet_demand"], keep_envelope=False)
    assert g.envelope is None
    # toll_japan's partners are all Japanese: with no dataset given, the bundled one is loaded, and it holds Japan's
    # national alloy output, so the national alternative is run
    g = sc.run_grid(b, ["toll_japan"], years=(2025, 2025), draws=0, productions=["output"], demands=["imports"],
                    framings=["chain"], metrics=["magnet_demand"], keep_envelope=False)
    assert [s.partner for s in g.scenarios] == ["plants", "home", "national"]


def test_the_envelopes_pool_is_held_in_float32():
    """repm_scheme in 2030, central values: self-sufficiency under the imports and official demand bases; the pool of
    those two values gives p05 = a + 0.05 (b - a) to float32's 7 digits, not float64's 16."""
    b = load_deals()
    g = sc.run_grid(b, ["repm_scheme"], years=(2030, 2030), draws=0, productions=["output"], demands=["imports", "official"],
                    framings=["chain"], metrics=["self_sufficiency"])
    vals = sorted(float(simulate(b, ["repm_scheme"], years=(2030, 2030), draws=0, demand=dm).at(
        "self_sufficiency", "repm_scheme", 2030)[0]) for dm in ("imports", "official"))
    want64 = vals[0] + 0.05 * (vals[1] - vals[0])
    assert g.envelope[0, 0, 0, 0] == pytest.approx(want64, rel=1e-6)
    assert g.envelope[0, 0, 0, 0] != want64


def test_grid_and_envelope_pass_every_choice_on():
    b = load_deals()
    kw = dict(years=(2030, 2030), draws=4, seed=7, productions=["capacity"], demands=["official"], framings=["officials"],
              metrics=["magnets_returned"], partners=["home"], ds=observations(OBS))
    f = sc.grid(b, ["toll_korea"], **kw)
    want = sc.run_grid(b, ["toll_korea"], keep_envelope=False, **kw).frame()
    pd.testing.assert_frame_equal(f, want)
    assert set(f["partner"]) == {"home"} and set(f["production"]) == {"capacity"}
    e = sc.envelope(b, ["toll_korea"], **kw)
    pd.testing.assert_frame_equal(e, sc.run_grid(b, ["toll_korea"], **kw).envelope_frame())
    f = sc.grid(b, ["toll_korea"], mapper=map, **kw)
    pd.testing.assert_frame_equal(f, want)
    # seed 7 against seed 8: the draws differ
    other = sc.grid(b, ["toll_korea"], **{**kw, "seed": 8})
    assert not np.allclose(other["p50"], f["p50"]) or not np.allclose(other["p95"], f["p95"])


def test_grid_and_envelope_pass_the_dataset_and_the_executor_on():
    b = load_deals()
    kw = dict(years=(2030, 2030), draws=2, productions=["output"], demands=["official"], framings=["chain"],
              metrics=["magnets_returned"], ds=observations(OBS))
    # the made-up observations give toll_korea (South Korea) a national alternative; the bundled data do not
    assert set(sc.grid(b, ["toll_korea"], **kw)["partner"]) == {"plants", "home", "national"}
    e = sc.envelope(b, ["toll_korea"], **kw)
    pd.testing.assert_frame_equal(e, sc.run_grid(b, ["toll_korea"], **kw).envelope_frame())
    # national's 3 t is the lowest median of magnets returned
    assert e["low_scenario"].iloc[0].endswith("partner=national")
    called = []

    def mapper(fn, *args):
        called.append(fn)
        return map(fn, *args)

    sc.grid(b, ["toll_korea"], mapper=mapper, **kw)
    assert called == [sc.grid_group]


def test_the_default_draws_and_seed_are_1000_and_0():
    b = load_deals()
    kw = dict(years=(2030, 2030), productions=["output"], demands=["official"], framings=["chain"],
              metrics=["magnets_returned"], partners=["plants"], ds=observations(OBS))
    want = sc.run_grid(b, ["toll_korea"], draws=1000, seed=0, **kw)
    pd.testing.assert_frame_equal(sc.grid(b, ["toll_korea"], **kw), want.frame())
    pd.testing.assert_frame_equal(sc.envelope(b, ["toll_korea"], **kw), want.envelope_frame())
    got = sc.run_grid(b, ["toll_korea"], **kw)
    np.testing.assert_array_equal(got.quantiles, want.quantiles)
    np.testing.assert_array_equal(got.envelope, want.envelope)
    # and another seed or count of draws gives other numbers
    assert not np.array_equal(sc.run_grid(b, ["toll_korea"], draws=1000, seed=1, **kw).quantiles, want.quantiles)
    assert not np.array_equal(sc.run_grid(b, ["toll_korea"], draws=1001, seed=0, **kw).quantiles, want.quantiles)
