"""Standard metrics against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rekit.model import metrics
from rekit.data.dataset import load
from rekit.model.supply import concentration_table


def test_export_share_and_self_sufficiency():
    assert metrics.export_share(1000, 2900) == pytest.approx(0.3448, abs=1e-4)
    assert metrics.self_sufficiency(1200, 800) == pytest.approx(1.5)  # may exceed 1
    # FAO IDR = imports / domestic use: 600 / 800 = 0.75 (= 1 - 200/800 when the 600 imported close the gap)
    assert metrics.import_dependency(600, 800) == pytest.approx(0.75)
    np.testing.assert_allclose(metrics.self_sufficiency(np.array([0, 400]), np.array([800, 800])), [0, 0.5])


def test_usgs_net_import_reliance():
    # production 100, imports 60, exports 10: consumption 150, reliance 50/150
    assert metrics.net_import_reliance(100, 60, 10) == pytest.approx(1 / 3)
    # a net exporter is reported as such, not as a negative percentage
    assert math.isnan(metrics.net_import_reliance(100, 10, 60))
    assert metrics.is_net_exporter(10, 60)
    assert metrics.format_net_import_reliance(float("nan"), True) == "E"
    assert metrics.format_net_import_reliance(1 / 3, False) == "33%"
    # stocks released count as supply from abroad's side of the ledger (USGS adjustment)
    assert metrics.net_import_reliance(100, 60, 10, stock_change=50) == pytest.approx(100 / 200)


def test_concentration_by_hand():
    prod = pd.DataFrame({
        "group": ["e"] * 5, "year": [2024] * 5,
        "entity": ["A", "B", "C", "D", "World"], "value": [60.0, 20.0, 10.0, 10.0, 100.0],
    })
    out = metrics.concentration(prod)
    assert out["top3_share"].iloc[0] == pytest.approx(0.9)
    assert out["hhi"].iloc[0] == pytest.approx(60**2 + 20**2 + 10**2 + 10**2)
    assert list(out["entity"]) == ["A", "B", "C", "D"]


def test_concentration_from_usgs_each_edition_and_year():
    table = concentration_table(load())
    assert {"usgs_mcs_2025", "usgs_mcs_2026"} <= set(table["edition"])
    latest = table[(table["edition"] == "usgs_mcs_2026") & (table["year"] == 2024)]
    china = latest.set_index("entity").loc["China", "share"]
    assert china == pytest.approx(270000 / 380000)
    assert 2500 < latest["hhi"].iloc[0] < 10000  # highly concentrated market
    # editions revise earlier years: the same year differs between editions
    a = table[(table["edition"] == "usgs_mcs_2025") & (table["year"] == 2024)]["top3_share"].iloc[0]
    b = latest["top3_share"].iloc[0]
    assert a != b


def test_flows_table_gives_the_oxide_equivalent_of_nd_flows():
    from rekit.model.conversions import ND_PER_ND2O3
    from rekit.model.deals import load_deals
    from rekit.figures.headlines import flows_table
    from rekit.model.simulation import simulate

    ds = load()
    res = simulate(load_deals(ds=ds), ["toll_japan"], years=(2024, 2030), draws=0)
    t = flows_table(res, "toll_japan", 2030).set_index("metric")  # rows by metric name, not their words
    tolled = t.loc["tolled"]
    assert float(tolled["median as t Nd2O3"]) == pytest.approx(tolled["median"] / ND_PER_ND2O3, abs=0.06)
    assert t.loc["magnet_demand", "median as t Nd2O3"] == ""  # magnets are not converted


def test_import_reliance_in_the_jrc_form():
    from rekit.model.metrics import import_reliance

    # IR = (imports - exports) / (production + imports - exports): (300 - 100) / (600 + 300 - 100) = 200 / 800 = 0.25
    assert import_reliance(600, 300, 100) == pytest.approx(0.25)
    # a net exporter: (0 - 100) / (500 + 0 - 100) = -0.25; nothing used: 0
    assert import_reliance(500, 0, 100) == pytest.approx(-0.25)
    assert import_reliance(0, 0, 0) == 0


def test_china_share_stock_cover_and_oxide_gap():
    from rekit.model.metrics import china_share, oxide_gap, stock_cover

    # 80 t from China of 400 t supplied = 0.2; 500 t of stock at 125 t a year = 4 years; 1,000 needed - 400 made = 600
    assert china_share(80, 400) == pytest.approx(0.2)
    assert china_share(0, 0) == 0
    assert stock_cover(500, 125) == pytest.approx(4)
    assert oxide_gap(1000, 400) == 600
