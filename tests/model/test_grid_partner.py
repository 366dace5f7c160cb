"""The partner capacity as a fourth dimension of the grid (rekit.model.scenarios.partner_alternatives):
the alternatives the data support, worked by hand from data/deals.yml and data/observations.csv."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from rekit.data.dataset import load
from rekit.model.deals import load_deals
from rekit.model.scenarios import Scenario, envelope, grid, partner_alternatives, run_grid, with_partner
from rekit.model.simulation import ModelError, simulate


@lru_cache(maxsize=1)
def data():
    ds = load()
    return ds, load_deals(ds=ds)


def cap(alt):
    q = alt.capacity.quantities[0]
    return q.value, q.low, q.high


def test_toll_japan_plants_home_and_national_by_hand():
    """deals.yml: Shin-Etsu Takefu 4,000 + Hai Phong 2,200 (low 1,100) + Proterial China 2,000 (high 2,500)
    + Daido Japan 1,000 + Daido China 1,000 = 10,200 (9,100-10,700) t/yr; home plants (in Japan): Takefu
    4,000 + Daido Japan 1,000 = 5,000; national: Japan's NdFeB alloy output of 2020, 12,400 t
    (observations.csv japan_ndfeb_alloy_production_2020_adamas)."""
    ds, book = data()
    alts = partner_alternatives(book, "toll_japan", ds)
    assert list(alts) == ["plants", "home", "national"]
    assert cap(alts["plants"]) == (10200, 9100, 10700)
    assert cap(alts["home"]) == (5000, 5000, 5000)
    assert cap(alts["national"]) == (12400, 12400, 12400)
    assert alts["national"].capacity.quantities[0].source == "obs:japan_ndfeb_alloy_production_2020_adamas"


def test_toll_korea_has_no_national_figure_and_a_deal_without_partners_has_none():
    """Star Group: Korea and China 3,000 + Vietnam 5,000 (low 4,000) = 8,000 (7,000-8,000); home: the 3,000
    (the source gives Korea and China together); no Korean national total in the data: no `national`."""
    ds, book = data()
    alts = partner_alternatives(book, "toll_korea", ds)
    assert list(alts) == ["plants", "home"]
    assert cap(alts["plants"]) == (8000, 7000, 8000) and cap(alts["home"]) == (3000, 3000, 3000)
    assert list(partner_alternatives(book, "repm_scheme", ds)) == ["none"]


def test_the_grid_has_a_partner_column_and_each_deal_only_its_own_alternatives():
    ds, book = data()
    table = grid(book, ["toll_korea", "status_quo"], years=(2030, 2030), draws=0, productions=["output"],
                 demands=["official"], framings=["chain"], metrics=["magnets_returned"], ds=ds)
    assert list(table.columns) == ["deal", "year", "metric", "unit", "production", "demand", "framing", "partner",
                                   "p05", "p50", "p95"]
    assert sorted(table[table["deal"] == "toll_korea"]["partner"]) == ["home", "plants"]
    assert table[table["deal"] == "status_quo"]["partner"].tolist() == ["none"]


def test_each_partner_alternative_is_the_run_with_that_capacity():
    ds, book = data()
    g = run_grid(book, ["toll_japan"], years=(2027, 2027), draws=0, productions=["output"], demands=["official"],
                 framings=["chain"], metrics=["magnets_returned"], ds=ds, keep_envelope=False)
    for s, sc in enumerate(g.scenarios):
        res = simulate(with_partner(book, ["toll_japan"], sc.partner, ds), ["toll_japan"], years=(2027, 2027), draws=0)
        assert g.quantiles[s, 0, 1, 0, 0] == res.arrays["magnets_returned"][0, 0, 0]


def test_the_envelope_names_the_partner_alternative_for_a_deal_with_partners():
    """toll_korea at capacity in 2029 (central values): home plants (3,000 t/yr) return fewer magnets than all
    its plants (8,000 t/yr), so the low end is partner=home and the high end partner=plants."""
    ds, book = data()
    env = envelope(book, ["toll_korea", "status_quo"], years=(2029, 2029), draws=0, productions=["capacity"],
                   demands=["official"], framings=["chain"], metrics=["magnets_returned"], ds=ds)
    row = env.set_index("deal").loc["toll_korea"]
    assert row["low_scenario"] == "production=capacity demand=official framing=chain partner=home"
    assert row["high_scenario"] == "production=capacity demand=official framing=chain partner=plants"
    assert env.set_index("deal").loc["status_quo", "low_scenario"] == "all scenarios alike"


def test_unknown_or_inapplicable_partner_alternatives_are_refused():
    ds, book = data()
    with pytest.raises(ModelError, match=r"unknown partner alternative 'hom' \(did you mean 'home'\?\); allowed: plants, home, national"):
        grid(book, ["toll_japan"], draws=1, partners=["hom"], ds=ds)
    with pytest.raises(ModelError, match=r"'national': not one applies to deal 'toll_korea', whose alternatives are plants, home"):
        grid(book, ["toll_korea"], draws=1, partners=["national"], ds=ds)
    with pytest.raises(ModelError, match=r"partner alternative 'home' applies to none of the deals \(status_quo: none\)"):
        with_partner(book, ["status_quo"], "home", ds)


def test_a_partner_capacity_that_binds_moves_the_magnets_returned_by_hand():
    """toll_korea, capacity basis, 2029, central values: the partner tolls at most capacity x partner_spare
    (0.2) t magnet a year. Home plants: 3,000 x 0.2 = 600 t made, 600 x (1 - 0.3 retained) = 420 t returned.
    All plants: 8,000 x 0.2 = 1,600 t does not bind, so more comes back (the oxide sets it)."""
    ds, book = data()
    g = run_grid(book, ["toll_korea"], years=(2029, 2029), draws=0, productions=["capacity"], demands=["official"],
                 framings=["chain"], metrics=["magnets_returned"], ds=ds, keep_envelope=False)
    med = {sc.partner: g.quantiles[s, 0, 1, 0, 0] for s, sc in enumerate(g.scenarios)}
    assert med["home"] == pytest.approx(420)
    assert med["plants"] > 420


def test_sensitivity_has_the_partner_alternative_as_a_structural_factor():
    """toll_korea names Star Group: the factor partner_alternative chooses plants or home; repm_scheme names no
    partner and has no such factor. A design row at home (u = 0.99) returns fewer magnets in 2029 than the
    same row at plants (u = 0): 3,000 against 8,000 t/yr, times the same free share."""
    from rekit.model.sensitivity import evaluate, factors

    ds, book = data()
    facs = factors(book, ["toll_korea"], "capacity", "official", "chain", ds)
    alt = next(f for f in facs if f.name == "partner_alternative")
    assert alt.structural and alt.choices == ("plants", "home")
    assert "partner_alternative" not in [f.name for f in factors(book, ["repm_scheme"], ds=ds)]
    X = np.full((2, len(facs)), 0.5)
    j = [f.name for f in facs].index("partner_alternative")
    X[0, j], X[1, j] = 0.0, 0.99
    y = evaluate(book, ["toll_korea"], facs, X, np.arange(2024, 2030), "magnets_returned", basis="capacity",
                 demand="official", framing="chain")
    assert y[1, -1] < y[0, -1]


def test_a_label_names_its_scenario_and_a_label_of_another_book_names_none():
    _, book = data()
    sc = Scenario.from_label("production=capacity demand=imports framing=chain partner=home", book)
    assert (sc.production, sc.demand, sc.framing, sc.partner) == ("capacity", "imports", "chain", "home")
    assert Scenario.from_label("production=capacity demand=imports framing=chain", book).partner == "plants"
    assert Scenario.from_label("production=mine demand=imports framing=chain", book) is None
    assert Scenario.from_label("all scenarios alike", book) is None
