"""Origin traced through the chain (rekit.model.origin): every flow and residual by origin, worked by hand.

test_origin.py checks the China share at each stage and the model's runs; this file pins the pieces: the
safe division, the China fraction's type, the partner's pipeline at its edges, each origin of each flow
(origin_flows) and of each process balance (origin_residuals), and the terms stage_masses shares between runs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rekit.model import origin


def a(*xs):
    """An array (1 deal, len(xs) years, 1 draw)."""
    return np.array(xs, dtype=float).reshape(1, len(xs), 1)


def c(x):
    return np.full((1, 1, 1), float(x))


#: One year, no shock (each China fraction is the China share): 100 t of IREL's oxide and 50 t from the stock
#: reduced with 50 t imported (60% Chinese); 20 t NdPr metal imported (50% Chinese); oxide to metal 0.8 x 0.9 =
#: 0.72 t a t; 300 t magnet made in India with 7.5 t Dy+Tb charged, 5 t of it imported (90% Chinese) and 2.5 t
#: from the stock; 80 t returned by a partner (Dy+Tb 95% Chinese), 200 t imported (80% Chinese).
FLOWS = {
    "u1": c(100), "u2": c(50), "u3": c(50), "u4": c(20),
    "f_ox": c(0.8), "eta_metal": c(0.9), "w_ndpr": c(0.3), "w_h": c(0.02),
    "G": c(300), "HIm": c(5), "HI": c(7.5), "returned": c(80), "magnet_imports": c(200),
    "oxide_china_share": c(0.6), "metal_china_share": c(0.5), "heavy_china_share": c(0.9), "magnet_china_share": c(0.8),
    "partner_heavy_china": c(0.95),
    "shock_frac": c(0), "shock_cut_oxide": c(0), "shock_cut_metal": c(0), "shock_cut_heavy": c(0), "shock_cut_magnet": c(0),
}


def value(x):
    return float(np.ravel(x)[0])


# --- _div and china_fraction --------------------------------------------------------------------

def test_div_broadcasts_either_side_and_gives_0_where_the_denominator_is_not_positive():
    # [1, 2] / 2 = [0.5, 1]; 3 / [1, 4] = [3, 0.75]; anything over 0 or a negative number is 0
    np.testing.assert_array_equal(origin._div(np.array([1.0, 2.0]), 2.0), [0.5, 1.0])
    np.testing.assert_array_equal(origin._div(3.0, np.array([1.0, 4.0])), [3.0, 0.75])
    np.testing.assert_array_equal(origin._div(np.array([1.0, 2.0, 3.0]), np.array([0.0, -2.0, 4.0])), [0.0, 0.0, 0.75])


def test_div_writes_0_into_fresh_memory_and_warns_nothing():
    # numpy hands a freed buffer of the same size to the next array: a buffer of 7s freed just before must not
    # show through where the denominator is 0 (np.divide with `where` leaves those places as the memory was)
    num, den = np.ones(5), np.zeros(5)
    dirty = np.full(5, 7.0)
    del dirty
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns when `where` is used without `out`
        got = origin._div(num, den)
    np.testing.assert_array_equal(got, np.zeros(5))


def test_china_fraction_is_a_float_array_even_for_whole_numbers():
    # no shock: the share itself, 1 -> 1.0 (float); a shock on an all-Chinese import: 1 x (1 - 0.5) / (1 - 0.5) = 1.0
    got = origin.china_fraction(1, 0, 0)
    assert got.dtype == np.float64 and float(got) == 1.0
    assert float(origin.china_fraction(1, 1, 0.5)) == 1.0


# --- the partner's pipeline at its edges ----------------------------------------------------------

def test_pipeline_of_whole_numbers_is_carried_in_tonnes_as_floats():
    # 10 and 4 t made, lead 0: all back in the year made, nothing in the pipeline
    dlv, pipe = origin.pipeline_china(np.array([10, 4]).reshape(1, 2, 1), np.zeros((1, 1, 1)))
    np.testing.assert_array_equal(dlv.ravel(), [10.0, 4.0])
    np.testing.assert_array_equal(pipe.ravel(), [0.0, 0.0])


def test_a_lead_reaching_the_runs_last_year_delivers_there():
    # 2 years, lead 1 year: the 10 t made in year 0 all come back in year 1 (the last year of the run)
    dlv, pipe = origin.pipeline_china(a(10, 0), c(1))
    np.testing.assert_array_equal(dlv.ravel(), [0.0, 10.0])
    np.testing.assert_array_equal(pipe.ravel(), [10.0, 0.0])


def test_a_lead_longer_than_the_run_delivers_nothing_and_the_pipeline_keeps_all():
    # 3 years, lead 4: nothing back; the pipeline holds 10, 10 + 4 = 14, 14 + 2 = 16 t
    dlv, pipe = origin.pipeline_china(a(10, 4, 2), c(4))
    np.testing.assert_array_equal(dlv.ravel(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(pipe.ravel(), [10.0, 14.0, 16.0])


def test_an_empty_run_gives_empty_arrays():
    dlv, pipe = origin.pipeline_china(np.zeros((1, 0, 1)), np.zeros((1, 0, 1)))
    assert dlv.shape == (1, 0, 1) and pipe.shape == (1, 0, 1)


# --- the returned magnets' Chinese Dy+Tb and the shared terms ---------------------------------------

def test_returned_heavy_china_works_out_its_own_fractions():
    # no pipeline traced: 80 t returned x 0.02 t Dy+Tb a t x 0.95 Chinese = 1.52 t
    assert value(origin.returned_heavy_china(FLOWS)) == pytest.approx(1.52)
    # traced: (1 - 0.2 kept by the partner) x 2 t delivered = 1.6 t
    fl = dict(FLOWS, delivered_heavy_china=c(2.0), retained_share=c(0.2))
    assert value(origin.returned_heavy_china(fl)) == pytest.approx(1.6)


def test_stage_masses_fills_the_shared_terms_and_reads_them_back():
    # metal: Chinese 50 x 0.6 x 0.72 = 21.6 + 20 x 0.5 = 10 -> 31.6 of 200 x 0.72 + 20 = 164 t
    # made and returned, Chinese element: 300 x (0.3 x 31.6/164 + 0.02 x 6.75/7.5) + 1.52
    #   = 300 x (0.0578049 + 0.018) + 1.52 = 22.74146 + 1.52 = 24.26146 t
    # a t imported: 0.8 x 0.32 + 0.2 x 0.02 x 0.95 = 0.256 + 0.0038 = 0.2598 t
    made_returned_china = 300 * (0.3 * 31.6 / 164 + 0.02 * 6.75 / 7.5) + 1.52
    shared: dict = {}
    got = origin.stage_masses(FLOWS, shared=shared)
    assert set(shared) == {"stages", "made_returned_china", "import_china", "made_returned", "w"}
    assert value(shared["made_returned_china"]) == pytest.approx(made_returned_china)
    assert value(shared["import_china"]) == pytest.approx(0.2598)
    # 200 t imported: 24.26146 + 200 x 0.2598 = 76.22146 of (300 + 80 + 200) x 0.32 = 185.6 t
    assert value(got["magnet"][0]) == pytest.approx(made_returned_china + 51.96)
    assert value(got["magnet"][1]) == pytest.approx(185.6)
    # a second run that differs in its demand (100 t imported) reads the kept terms, even where its flows say
    # otherwise (G = 0 here is not read): 24.26146 + 100 x 0.2598 = 50.24146 of 480 x 0.32 = 153.6 t
    again = origin.stage_masses(dict(FLOWS, magnet_imports=c(100), G=c(0)), shared=shared)
    assert value(again["magnet"][0]) == pytest.approx(made_returned_china + 25.98)
    assert value(again["magnet"][1]) == pytest.approx(153.6)


# --- origin_flows -----------------------------------------------------------------------------------

def test_every_flow_by_origin_by_hand():
    out = origin.origin_flows(FLOWS)
    flows = ("to_reduction", "metal", "magnets_india", "returned", "magnet_imports")
    assert set(out) == {(f, o) for f in flows for o in origin.ORIGINS} | {("heavy", "China"), ("heavy", "other")}
    # to reduction: India 100 + 50 = 150, China 50 x 0.6 = 30, other 20 t NdPr oxide
    # metal: India 150 x 0.8 x 0.9 = 108, China 31.6 (above), other 164 - 108 - 31.6 = 24.4 t NdPr metal
    # Dy+Tb: China 5 x 0.9 + 2.5 x 0.9 = 6.75, other 7.5 - 6.75 = 0.75 t
    # magnets made in India, split by element mass (0.32 t a t):
    #   India 300 x 0.3 x 108/164 / 0.32 = 59.26829 / 0.32 = 185.2134
    #   China 300 x (0.3 x 31.6/164 + 0.02 x 6.75/7.5) / 0.32 = 22.74146 / 0.32 = 71.06707; other 43.71951
    # returned: India 80 x 0.3 / 0.32 = 75, China 1.52 / 0.32 = 4.75, other 0.25
    # imported: India 0, China 200 x (0.8 + 0.2 x 0.02 x 0.95 / 0.32) = 200 x 0.811875 = 162.375, other 37.625
    india_g, china_g = 300 * 0.3 * 108 / 164 / 0.32, 300 * (0.3 * 31.6 / 164 + 0.02 * 6.75 / 7.5) / 0.32
    hand = {"to_reduction": (150, 30, 20), "metal": (108, 31.6, 24.4),
            "magnets_india": (india_g, china_g, 300 - india_g - china_g),
            "returned": (75, 4.75, 0.25), "magnet_imports": (0, 162.375, 37.625)}
    assert india_g == pytest.approx(185.2134, abs=1e-4) and china_g == pytest.approx(71.06707, abs=1e-5)
    for flow, parts in hand.items():
        np.testing.assert_allclose([value(out[(flow, o)]) for o in origin.ORIGINS], parts, rtol=1e-12, atol=1e-12, err_msg=flow)
    assert value(out[("heavy", "China")]) == pytest.approx(6.75)
    assert value(out[("heavy", "other")]) == pytest.approx(0.75)


def test_flows_with_nothing_imported_are_all_indian_and_finite():
    # no oxide, metal or magnet imported: India's parts are the whole flows (150 t oxide, 108 t metal, 0 t
    # magnets imported), not 0/0
    out = origin.origin_flows(dict(FLOWS, u3=c(0), u4=c(0), magnet_imports=c(0)))
    assert value(out[("to_reduction", "India")]) == 150
    assert value(out[("metal", "India")]) == pytest.approx(108)
    assert value(out[("magnet_imports", "India")]) == 0
    assert all(np.isfinite(v).all() for v in out.values())


# --- origin_residuals -------------------------------------------------------------------------------

#: The balances' flows for FLOWS: IREL 205 t oxide, 10 exported, 20 tolled, own stock 10 -> 30 t (so the oxide
#: balance is 205 - 10 - 20 - 150 - 20 = 5 t off); alloy yield 0.95, magnet yield 0.8, half the scrap
#: recycled, recycling factor 0.5; Dy+Tb stock 22.5 -> 20 t; the partner made 3 t Chinese Dy+Tb, 2 delivered,
#: its pipeline 4.5 -> 5 t.
BALANCE = dict(FLOWS, O=c(205), X=c(10), T=c(20), S=c(30), S_prev=c(10), recyc=c(0.5), eta_alloy=c(0.95), rho=c(0.5),
               eta_magnet=c(0.8), H=c(20), H_prev=c(22.5), partner_heavy_made_china=c(3), delivered_heavy_china=c(2),
               retained_share=c(0.2), pipeline_heavy_china=c(5), pipeline_heavy_china_prev=c(4.5))


def test_every_process_balance_by_origin_by_hand():
    out = origin.origin_residuals(BALANCE)
    assert set(out) == ({("oxide", o) for o in origin.ORIGINS} | {("magnets", o) for o in origin.ORIGINS}
                        | {("magnets (Dy+Tb)", "China"), ("magnets (Dy+Tb)", "other"), ("partner (Dy+Tb)", "China")})
    # oxide: India 5 (above); the imported oxide is all reduced: China and other 0
    np.testing.assert_allclose([value(out[("oxide", o)]) for o in origin.ORIGINS], [5, 0, 0], atol=1e-12)
    # lost in the plant: (1 - 0.95) + (1 - 0.5) x (1 - 0.8) x 0.95 = 0.05 + 0.095 = 0.145 a t, / 0.5 = 0.29;
    # magnets made carry 300 x 0.3 = 90 t NdPr metal, each origin its share of the 164 t charged:
    # residual = metal_o x (1 - 0.29 - 90/164) = metal_o x 0.1612195: India 108 -> 17.41171, China 31.6 -> 5.094537,
    # other 24.4 -> 3.933756
    k = 1 - 0.29 - 90 / 164
    np.testing.assert_allclose([value(out[("magnets", o)]) for o in origin.ORIGINS], [108 * k, 31.6 * k, 24.4 * k], rtol=1e-12)
    assert 108 * k == pytest.approx(17.41171, abs=1e-5)
    # Dy+Tb, China: imported 5 x 0.9 = 4.5, stock change -2.5 x 0.9 = -2.25, used 6.75 (x 0.29 lost = 1.9575),
    # in the magnets 300 x 0.02 x 0.9 = 5.4: 4.5 + 2.25 - 1.9575 - 5.4 = -0.6075
    # other: 0.5 + 0.25 - 0.75 x 0.29 - 300 x 0.02 x 0.1 = 0.75 - 0.2175 - 0.6 = -0.0675
    assert value(out[("magnets (Dy+Tb)", "China")]) == pytest.approx(-0.6075)
    assert value(out[("magnets (Dy+Tb)", "other")]) == pytest.approx(-0.0675)
    # partner: 3 made - 2 delivered - (5 - 4.5) = 0.5 t
    assert value(out[("partner (Dy+Tb)", "China")]) == pytest.approx(0.5)


def test_without_the_partners_pipeline_there_is_no_partner_balance():
    fl = {k: v for k, v in BALANCE.items() if not k.startswith(("partner_heavy_made", "pipeline", "delivered"))}
    assert ("partner (Dy+Tb)", "China") not in origin.origin_residuals(fl)
