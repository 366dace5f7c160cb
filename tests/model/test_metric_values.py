"""Every metric of the model's registry (rekit.model.simulation.METRICS) against a value worked by hand.

The flows are built by hand - one deal, two years, one draw - and each metric is read through the
public `metric_array(name, flows)`, the function `Result.arrays` reads. The flows need not balance:
the metrics are definitions over them, and each expected value below is that definition's
arithmetic on the numbers of FLOWS, written out. A metric added to the registry without a
hand-worked value here fails `test_every_metric_has_a_hand_worked_value`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rekit.model import metrics as M
from rekit.model.simulation import METRICS, metric_array


def years(a, b):
    """An array (1 deal, 2 years, 1 draw)."""
    return np.array([a, b], dtype=float).reshape(1, 2, 1)


FLOWS = {
    # chemistry and process, per draw (1, 1, 1)
    "c_nd": np.full((1, 1, 1), 0.6),        # t Nd per t NdPr oxide
    "f_ox": np.full((1, 1, 1), 0.8),        # t NdPr metal per t NdPr oxide
    "eta_metal": np.full((1, 1, 1), 0.9),   # reduction yield
    "eta_am": np.full((1, 1, 1), 0.8),      # alloy and machining yield
    "q": np.full((1, 1, 1), 2.0),           # t magnet per t NdPr oxide
    "w_ndpr": np.full((1, 1, 1), 0.3),      # t NdPr per t magnet
    "w_h": np.full((1, 1, 1), 0.03),        # t Dy+Tb per t magnet
    "retained_share": np.full((1, 1, 1), 0.25),
    # the two years' flows, t NdPr oxide
    "O": years(400, 500), "X": years(100, 0), "T": years(200, 250),
    "u1": years(50, 150), "u2": years(30, 20), "u3": years(20, 40),
    "S": years(120, 200), "S0": np.full((1, 1), 100.0),
    # t NdPr metal, t Dy+Tb
    "u4": years(10, 5), "HIm": years(6, 9), "H": years(2, 3), "H0": np.full((1, 1), 1.0),
    # t magnet
    "G": years(300, 500), "delivered": years(400, 600), "demand": years(1000, 1250),
    "magnet_imports": years(250, 100), "magnet_exports": years(0, 50), "shortfall": years(150, 200),
    # China's shares and cuts; a shock over half of the second year
    "shock_frac": years(0, 0.5),
    "oxide_china_share": np.full((1, 1, 1), 0.5), "shock_cut_oxide": np.full((1, 1, 1), 0.4),
    "metal_china_share": np.full((1, 1, 1), 0.6), "shock_cut_metal": np.full((1, 1, 1), 1.0),
    "magnet_china_share": np.full((1, 1, 1), 0.8), "shock_cut_magnet": np.full((1, 1, 1), 0.5),
    "heavy_china_share": np.full((1, 1, 1), 0.9), "shock_cut_heavy": np.full((1, 1, 1), 0.5),
    "partner_heavy_china": np.full((1, 1, 1), 0.95),
    # recycling (rekit.model.simulation.with_recycling): t magnet in use and leaving use, t NdPr oxide and t Dy
    # recovered, t magnet made from the recovered oxide
    "use_stock": years(5000, 6000), "eol": years(100, 150), "sec_oxide": years(15, 30), "sec_dy": years(0.5, 1.0),
    "G_sec": years(20, 40),
}

# Worked by hand from FLOWS. Derived flows: own oxide = u1 + u2 = (80, 170); returned = (1 - 0.25)
# x delivered = (300, 450), kept = 0.25 x delivered = (100, 150); oxide needed = demand / q =
# (500, 625); the stock a year earlier = (100, 120).
EXPECTED = {
    "production": (400 * 0.6, 500 * 0.6),                     # O x c_nd = 240, 300 t Nd
    "exports": (100 * 0.6, 0.0),                              # X x c_nd = 60, 0
    "tolled": (200 * 0.6, 250 * 0.6),                         # T x c_nd = 120, 150
    "domestic": (80 * 0.6, 170 * 0.6),                        # own oxide x c_nd = 48, 102
    "stocked": ((120 - 100) * 0.6, (200 - 120) * 0.6),        # (S - S a year earlier) x c_nd = 12, 48
    # (T + own oxide) x c_nd x (1 - 0.9 x 0.8): 280 x 0.6 x 0.28 = 47.04; 420 x 0.6 x 0.28 = 70.56
    "losses": (47.04, 70.56),
    "magnets_returned": (300.0, 450.0),                       # 0.75 x (400, 600)
    "magnets_kept_by_partner": (100.0, 150.0),                # 0.25 x (400, 600)
    "magnets_domestic": (160.0, 340.0),                       # own oxide x q = 80 x 2, 170 x 2
    "magnets_own": (460.0, 790.0),                            # returned + domestic = 300 + 160, 450 + 340
    "magnet_demand": (1000.0, 1250.0),
    "export_share": (0.25, 0.0),                              # X / O = 100 / 400, 0 / 500
    "own_feedstock_coverage": (460 / 1000, 790 / 1250),       # (domestic + returned) / demand = 0.46, 0.632
    "self_sufficiency": (460 / 1000, 790 / 1250),             # its former name, an alias
    "magnet_self_sufficiency": (320 / 1000, 540 / 1250),      # (G + G_sec) / demand = (300 + 20) / 1000, (500 + 40) / 1250
    "ssr_magnet": (320 / 1000, 540 / 1250),                   # an alias of magnet_self_sufficiency
    "import_dependency": (550 / 1000, 550 / 1250),            # (imports + returned) / demand: 250 + 300, 100 + 450
    "oxide_production": (400.0, 500.0),
    "oxide_exports": (100.0, 0.0),
    "oxide_tolled": (200.0, 250.0),
    "oxide_imported": (20.0, 40.0),                           # u3
    "oxide_stock_drawn": (30.0, 20.0),                        # u2
    "oxide_stock": (120.0, 200.0),                            # S at year end
    "oxide_gap": (500 - 400, 625 - 500),                      # oxide needed - O = 100, 125
    "stock_cover_years": (120 / 500, 200 / 625),              # year-end S / oxide needed = 0.24, 0.32 years
    # (u1 + u2 + u3) x f_ox x eta_metal: 100 x 0.8 x 0.9 = 72; 210 x 0.72 = 151.2 t NdPr metal
    "metal_india": (72.0, 151.2),
    "metal_imported": (10.0, 5.0),                            # u4
    "heavy_imported": (6.0, 9.0),                             # HIm
    "heavy_stock": (2.0, 3.0),                                # H
    "magnets_india": (320.0, 540.0),                          # G + G_sec = 300 + 20, 500 + 40
    "magnets_in_use": (5000.0, 6000.0),
    "magnets_end_of_life": (100.0, 150.0),
    "oxide_recovered": (15.0, 30.0),
    "dy_recovered": (0.5, 1.0),
    "magnets_secondary": (20.0, 40.0),                        # G_sec
    "secondary_coverage": (20 / 1000, 40 / 1250),             # G_sec / demand = 0.02, 0.032
    "magnet_imports": (250.0, 100.0),
    "magnet_exports": (0.0, 50.0),
    "magnet_shortfall": (150.0, 200.0),
    "ssr_oxide": (400 / 500, 500 / 625),                      # O / oxide needed = 0.8, 0.8
    # metal India makes / metal the demand needs (demand x w_ndpr / eta_am = 375, 468.75): 72 / 375 = 0.192, 151.2 / 468.75 = 0.32256
    "ssr_metal": (72 / 375, 151.2 / 468.75),
    # JRC: (imports - exports) / (production + imports - exports), production G, imports magnet imports + returned:
    # (550 - 0) / (300 + 550 - 0) = 0.647; (550 - 50) / (500 + 550 - 50) = 500 / 1000 = 0.5
    "import_reliance": (550 / 850, 500 / 1000),
    # China's part of imported oxide, grossed up for the cut (ch / a), over IREL's output + imports:
    # year 1 no shock: 20 x 0.5 / 1 = 10 of 420; year 2: ch = 0.5 x (1 - 0.4 x 0.5) = 0.4, a = 1 - 0.5 x 0.4 x 0.5 = 0.9,
    # 40 x 0.4 / 0.9 = 17.778 of 540
    "china_share_oxide": (10 / 420, (40 * 0.4 / 0.9) / 540),
    # metal: year 1 10 x 0.6 = 6 of 72 + 10 = 82; year 2 ch = 0.6 x (1 - 1 x 0.5) = 0.3, a = 1 - 0.6 x 0.5 = 0.7,
    # 5 x 0.3 / 0.7 = 2.1429 of 151.2 + 5 = 156.2
    "china_share_metal": (6 / 82, (5 * 0.3 / 0.7) / 156.2),
    # magnets: year 1 250 x 0.8 = 200 of G + returned + imports = 300 + 300 + 250 = 850; year 2 ch = 0.8 x 0.75 = 0.6,
    # a = 1 - 0.8 x 0.5 x 0.5 = 0.8, 100 x 0.6 / 0.8 = 75 of 500 + 450 + 100 = 1,050
    "china_share_magnet": (200 / 850, 75 / 1050),
    # Dy+Tb: used HI = G x w_h / eta_am = 300 x 0.03 / 0.8 = 11.25, 500 x 0.0375 = 18.75; year 1 6 x 0.9 = 5.4 of 11.25;
    # year 2 ch = 0.9 x 0.75 = 0.675, a = 1 - 0.9 x 0.5 x 0.5 = 0.775, 9 x 0.675 / 0.775 = 7.8387 of 18.75
    "china_share_heavy": (5.4 / 11.25, (9 * 0.675 / 0.775) / 18.75),
    # Traced (rekit.model.origin). China's fraction of what arrives, s(1 - c f) / (1 - s c f): year 1 the shares
    # (oxide 0.5, metal 0.6, Dy+Tb 0.9, magnets 0.8, partner's Dy+Tb 0.95); year 2 oxide 0.4 / 0.9 = 0.444444,
    # metal 0.3 / 0.7 = 0.428571, Dy+Tb 0.675 / 0.775 = 0.870968, magnets 0.6 / 0.8 = 0.75, partner
    # 0.95 x 0.75 / (1 - 0.95 x 0.25) = 0.7125 / 0.7625 = 0.934426.
    # oxide reduced in India u1 + u2 + u3 = 100, 210: Chinese 20 x 0.5 = 10; 40 x 0.444444 = 17.7778
    "china_share_oxide_traced": (10 / 100, (40 * 0.4 / 0.9) / 210),
    # metal: oxide x f_ox x eta_metal (0.72) + u4: 72 + 10 = 82, 151.2 + 5 = 156.2; Chinese 10 x 0.72 + 10 x 0.6 = 13.2;
    # 17.7778 x 0.72 + 5 x 0.428571 = 12.8 + 2.142857 = 14.942857
    "china_share_metal_traced": (13.2 / 82, (40 * 0.4 / 0.9 * 0.72 + 5 * 0.3 / 0.7) / 156.2),
    # Dy+Tb charged HI = 11.25, 18.75: imports HIm at their fraction, the rest (5.25, 9.75) from the stock at 0.9:
    # 6 x 0.9 + 5.25 x 0.9 = 10.125; 9 x 0.870968 + 9.75 x 0.9 = 7.83871 + 8.775 = 16.61371
    "china_share_heavy_traced": (10.125 / 11.25, (9 * 0.675 / 0.775 + 9.75 * 0.9) / 18.75),
    # magnets, by rare-earth mass (w_NdPr + w_h = 0.33 t per t magnet), G made, R = 300, 450 returned, M imported:
    # year 1: 300 x (0.3 x 13.2/82 + 0.03 x 0.9) + 300 x 0.03 x 0.95 + 250 x (0.8 x 0.33 + 0.2 x 0.03 x 0.95)
    #       = 22.58780 + 8.55 + 67.425 = 98.56280 of 850 x 0.33 = 280.5: 0.351383
    # year 2: 500 x (0.3 x 14.942857/156.2 + 0.03 x 16.61371/18.75) + 450 x 0.03 x 0.934426
    #       + 100 x (0.75 x 0.33 + 0.25 x 0.03 x 0.934426) = 27.64070 + 12.61475 + 25.45082 = 65.70628 of 346.5: 0.189629
    "china_share_magnet_traced": (
        (300 * (0.3 * 13.2 / 82 + 0.03 * 0.9) + 300 * 0.03 * 0.95 + 250 * (0.8 * 0.33 + 0.2 * 0.03 * 0.95)) / 280.5,
        (500 * (0.3 * (40 * 0.4 / 0.9 * 0.72 + 5 * 0.3 / 0.7) / 156.2 + 0.03 * (9 * 0.675 / 0.775 + 9.75 * 0.9) / 18.75)
         + 450 * 0.03 * 0.7125 / 0.7625 + 100 * (0.75 * 0.33 + 0.25 * 0.03 * 0.7125 / 0.7625)) / 346.5),
}


def test_every_metric_has_a_hand_worked_value():
    missing = [m for m in METRICS if m not in EXPECTED]
    assert not missing, f"metrics with no hand-worked value in this file: {missing}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metric_by_hand(name):
    if name not in METRICS:
        pytest.fail(f"{name!r} has a hand-worked value here but is not in the registry: rename it here, or keep an alias")
    got = metric_array(name, {k: v.copy() for k, v in FLOWS.items()})
    assert np.shape(got) == (1, 2, 1)
    np.testing.assert_allclose(np.asarray(got).ravel(), EXPECTED[name], rtol=1e-12, atol=1e-12)


def test_the_ratios_guard_a_zero_denominator():
    # no output and no supply at any stage: the shares are 0, not a division error (nor NaN)
    flows = {k: v.copy() for k, v in FLOWS.items()}
    for k in ("O", "X", "u1", "u2", "u3", "u4", "G", "delivered", "magnet_imports"):
        flows[k] = years(0, 0)
    for name in ("export_share", "china_share_oxide", "china_share_metal", "china_share_magnet", "china_share_heavy"):
        np.testing.assert_array_equal(np.asarray(metric_array(name, flows)).ravel(), [0.0, 0.0], err_msg=name)


# --- the metric functions of rekit.model.metrics at their edges ---------------------------------
# (each case below was written against a mutant tools/mutation.py found alive: a bound moved by one,
# a shape or a zero guard dropped, a scalar no longer returned as a float)

def no_warnings(f, *args, **kwargs):
    """f(*args) with every numpy warning an error: a guarded division must not even warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kwargs)


@pytest.mark.parametrize("f", [M.china_share, M.stock_cover])
def test_ratio_functions_broadcast_and_return_floats_for_numbers(f):
    # 1 / 2 = 0.5 and 3 / 2 = 1.5 against one denominator; one numerator against two denominators
    np.testing.assert_allclose(f(np.array([1.0, 3.0]), 2.0), [0.5, 1.5])
    np.testing.assert_allclose(f(3.0, np.array([2.0, 6.0])), [1.5, 0.5])
    assert f(np.array([[1.0], [3.0]]), np.array([2.0, 4.0])).shape == (2, 2)
    got = f(1, 4)
    assert type(got) is float and got == 0.25
    # a denominator below 1 is still a denominator: 0.25 / 0.5 = 0.5
    assert f(0.25, 0.5) == 0.5
    # zero where the denominator is zero, without a warning; the rest divided
    np.testing.assert_array_equal(no_warnings(f, np.array([5.0, 5.0, 6.0]), np.array([2.0, 0.0, 3.0])), [2.5, 0.0, 2.0])


def test_import_reliance_at_its_edges():
    # arrays broadcast: production (2,) against one import and export figure:
    # (30 - 10) / (60 + 30 - 10) = 20 / 80 = 0.25; (30 - 10) / (0 + 20) = 1
    np.testing.assert_allclose(M.import_reliance(np.array([60.0, 0.0]), 30.0, 10.0), [0.25, 1.0])
    np.testing.assert_allclose(M.import_reliance(60.0, np.array([30.0, 10.0]), 10.0), [0.25, 0.0])
    assert M.import_reliance(60, 30, 10) == 0.25 and type(M.import_reliance(60, 30, 10)) is float
    # apparent consumption below 1 t is still consumption: (0.5 - 0) / (0 + 0.5) = 1
    assert M.import_reliance(0.0, 0.5, 0.0) == 1.0
    # nothing used (0 + 10 - 10 = 0): 0, not a division; the other rows divided. Arrays of 7s freed
    # first, each time, so a result left uninitialised where nothing is used would show one.
    for _ in range(20):
        junk = [np.full(3, 7.0) for _ in range(16)]
        del junk
        np.testing.assert_array_equal(
            no_warnings(M.import_reliance, np.array([100.0, 0.0, 50.0]), np.array([50.0, 10.0, 50.0]), np.array([0.0, 10.0, 0.0])),
            [50 / 150, 0.0, 0.5])


def test_net_import_reliance_at_its_edges():
    # imports equal to exports: no reliance (0 / 100 = 0), not a net exporter
    assert M.net_import_reliance(100, 10, 10) == 0.0 and not M.is_net_exporter(10, 10)
    # a net import below 1 t: 0.5 / (1 + 0.5) = 1/3
    assert M.net_import_reliance(1.0, 0.5, 0.0) == pytest.approx(1 / 3)
    # a net exporter whose consumption is zero (10 + 0 - 10): NaN ("E"), and no division warning
    assert np.isnan(no_warnings(M.net_import_reliance, 10.0, 0.0, 10.0))
    # nothing produced or traded: 0 / 0 is NaN, without an invalid-value warning
    assert np.isnan(no_warnings(M.net_import_reliance, 0.0, 0.0, 0.0))
    got = M.net_import_reliance(100, 60, 10)
    assert type(got) is float
    # arrays stay arrays: (60 - 10) / (100 + 50) = 1/3 and (10 - 60) < 0 -> NaN
    arr = M.net_import_reliance(np.array([100.0, 100.0]), np.array([60.0, 10.0]), np.array([10.0, 60.0]))
    assert arr.shape == (2,) and arr[0] == pytest.approx(1 / 3) and np.isnan(arr[1])
    # stock released adds to supply from abroad: 10 - 20 + 15 = 5 > 0, not an exporter; without it, -10
    assert not M.is_net_exporter(10, 20, stock_change=15) and M.is_net_exporter(10, 20)
    # half a tonne of net imports is not an export: 10.5 - 10 = 0.5; half a tonne of net exports is
    # (no stock released unless given: 10 - 10.5 = -0.5)
    assert not M.is_net_exporter(10.5, 10.0) and M.is_net_exporter(10.0, 10.5)


def test_concentration_without_a_world_row_and_with_ties():
    prod = pd.DataFrame({
        "group": ["a"] * 4 + ["b"] * 2, "year": [2024] * 6,
        "entity": ["A", "B", "C", "D", "X", "Y"], "value": [60.0, 20.0, 10.0, 10.0, 30.0, 10.0],
    })
    out = M.concentration(prod)
    assert "index" not in out.columns and list(out.index) == list(range(6))
    # no World row: the countries' sum is the denominator: 60 + 20 + 10 + 10 = 100; 30 + 10 = 40
    np.testing.assert_allclose(out["share"], [0.6, 0.2, 0.1, 0.1, 0.75, 0.25])
    # ranks are whole numbers, ties broken in the table's order (C before D)
    assert out["rank"].tolist() == [1, 2, 3, 4, 1, 2] and out["rank"].dtype.kind == "i"
    assert out["entity"].tolist() == ["A", "B", "C", "D", "X", "Y"]
    # HHI of b: 75^2 + 25^2 = 5,625 + 625 = 6,250
    assert out.loc[out["group"] == "b", "hhi"].iloc[0] == pytest.approx(6250)
