"""The recycling story's charts (rekit.figures.recycling): what they draw, their downloads and text descriptions."""

from __future__ import annotations

import pandas as pd

from rekit.data import load
from rekit.figures.recycling import demand_bases_chart, in_use_chart, recycling_sankey
from rekit.model.recycling import ndpr_chain


def test_sankey_draws_the_chain_and_offers_it_as_a_table():
    ds = load()
    # 1,000 t magnet of scrap, 0.3 t Nd+Pr per t: 300 t Nd+Pr; 30% collected; no capacity limit; nothing made
    chain = ndpr_chain(1000, 0.3, 1.0, 10_000, 1.0, 0.3, 0.85, 0)
    fig = recycling_sankey(chain, "repm_scheme_recycling", 2050, ds, ["yang_2017_jsm"])
    link = fig.data[0].link
    # 210 not collected, 90 collected = processed = recovered = not used in India; the zero links (dismantling,
    # capacity, process loss, magnets made) are left out: 5 links remain
    assert sorted(link.value) == [90.0, 90.0, 90.0, 90.0, 210.0]
    table = fig.layout.meta["table"]
    assert table["columns"] == ["deal", "year", "from", "to", "t_ndpr", "t_ndpr_oxide", "unit"]
    assert len(table["data"]) == 5
    assert "end-of-life magnets to collected 90.0 t" in fig.layout.meta["alt"]


def test_demand_and_in_use_charts_name_what_they_leave_out():
    ds = load()
    bases = pd.DataFrame({"basis": ["official", "official", "bottom_up", "bottom_up"], "year": [2030, 2031] * 2,
                          "p05": [1.0, 2.0, 0.5, 0.6], "p50": [8000.0, 8400.0, 2900.0, 3100.0], "p95": [9.0, 9.5, 4.0, 4.2]})
    by_use = pd.DataFrame({"end_use": ["ev_2w", "ev_4w"], "title": ["Electric two-wheelers", "Electric cars"],
                           "t_magnet": [600.0, 200.0], "low": [600.0, 150.0], "high": [600.0, 250.0]})
    fig = demand_bases_chart(bases, by_use, {"wind_direct_drive": "not reported"}, ds, [], 2024)
    alt = fig.layout.meta["alt"]
    # 600 / 800 = 75%, 200 / 800 = 25%
    assert "official 8,400 t; bottom_up 3,100 t" in alt and "Electric two-wheelers 600 t (75%)" in alt
    assert "left out: wind_direct_drive" in alt
    stocks = pd.DataFrame({"end_use": ["ev_2w", "ev_2w"], "year": [2049, 2050], "inflow": [10.0, 10.0],
                           "in_use": [100.0, 105.0], "end_of_life": [4.0, 5.0]})
    fig = in_use_chart(stocks, {"ev_2w": "Electric two-wheelers"}, ds, [], "bottom_up")
    assert "In 2050: 105 t in use and 5 t leaving use" in fig.layout.meta["alt"]
    assert fig.layout.meta["table"]["units"]["in_use"] == "t magnet"
