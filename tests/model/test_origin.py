"""Origin traced through the chain (rekit.model.origin): China's share at each stage, worked by hand."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from rekit.data.dataset import load
from rekit.model import origin
from rekit.model.deals import DealError, load_deals
from rekit.model.flows import MassBalanceError
from rekit.model.simulation import DERIVED, FORMULAS, METRICS, Flows, check_origin_balance, simulate


@lru_cache(maxsize=1)
def book():
    return load_deals(ds=load())


def a(*xs):
    """An array (1 deal, len(xs) years, 1 draw)."""
    return np.array(xs, dtype=float).reshape(1, len(xs), 1)


def c(x):
    return np.full((1, 1, 1), float(x))


# --- the China fraction of an import and the partner's pipeline ---------------------------------

def test_china_fraction_of_what_arrives_by_hand():
    # no shock: the share itself
    assert float(origin.china_fraction(0.8, 1.0, 0.0)) == pytest.approx(0.8)
    # s = 0.8, cut 0.5 over half the year: c·f = 0.25; China's part arriving 0.8 x 0.75 = 0.6 of 1 - 0.8 x 0.25 = 0.8: 0.75
    assert float(origin.china_fraction(0.8, 0.5, 0.5)) == pytest.approx(0.75)
    # s = 0.95, full cut over half the year: 0.95 x 0.5 = 0.475 of 1 - 0.475 = 0.525: 0.904762
    assert float(origin.china_fraction(0.95, 1.0, 0.5)) == pytest.approx(0.475 / 0.525)
    # everything Chinese and cut all year: nothing arrives; the fraction is 1, not a division error
    assert float(origin.china_fraction(1.0, 1.0, 1.0)) == 1.0


def test_the_pipeline_carries_a_partners_chinese_dy_tb_by_hand():
    # 10 t made in year 0 and 4 t in year 1, lead 1.5 years: half arrives one year later, half two years later.
    # delivered: year 0 0; year 1 0.5 x 10 = 5; year 2 0.5 x 10 + 0.5 x 4 = 7; year 3 0.5 x 4 = 2
    # pipeline: 10, 10 + 4 - 5 = 9, 9 - 7 = 2, 2 - 2 = 0
    dlv, pipe = origin.pipeline_china(a(10, 4, 0, 0), c(1.5))
    np.testing.assert_allclose(dlv.ravel(), [0, 5, 7, 2])
    np.testing.assert_allclose(pipe.ravel(), [10, 9, 2, 0], atol=1e-12)
    # a lead of 0: all back in the year made
    dlv, pipe = origin.pipeline_china(a(10, 4), c(0))
    np.testing.assert_allclose(dlv.ravel(), [10, 4])
    np.testing.assert_allclose(pipe.ravel(), [0, 0])


# --- the stages, by hand ----------------------------------------------------------------------

#: One year: 100 t of IREL's oxide and 50 t from the stock reduced with 50 t imported (60% Chinese);
#: 20 t NdPr metal imported (50% Chinese); 300 t magnet made in India, 80 returned, 200 imported.
#: A China cut of all its Dy and Tb over half the year; no other cut.
FLOWS = {
    "u1": c(100), "u2": c(50), "u3": c(50), "u4": c(20),
    "f_ox": c(0.85), "eta_metal": c(1.0), "eta_am": c(0.8), "w_ndpr": c(0.3), "w_h": c(0.02),
    "G": c(300), "HIm": c(5), "returned": c(80), "magnet_imports": c(200),
    "oxide_china_share": c(0.6), "metal_china_share": c(0.5), "heavy_china_share": c(0.9), "magnet_china_share": c(0.8),
    "partner_heavy_china": c(0.95),
    "shock_frac": c(0.5), "shock_cut_oxide": c(0), "shock_cut_metal": c(0), "shock_cut_heavy": c(1), "shock_cut_magnet": c(0),
}
FLOWS["HI"] = FLOWS["G"] * FLOWS["w_h"] / FLOWS["eta_am"]  # 300 x 0.02 / 0.8 = 7.5 t Dy+Tb charged

# oxide: 50 x 0.6 = 30 Chinese of 100 + 50 + 50 = 200 t reduced
OXIDE = 30 / 200
# metal: Chinese 50 x 0.6 x 0.85 x 1.0 = 25.5 from oxide + 20 x 0.5 = 10 imported = 35.5 of 200 x 0.85 + 20 = 190 t
METAL = 35.5 / 190
# Dy+Tb: imports 5 t at 0.9 x 0.5 / (1 - 0.45) = 0.818182; the other 2.5 t from the makers' stock at 0.9:
# 5 x 0.818182 + 2.5 x 0.9 = 4.090909 + 2.25 = 6.340909 of 7.5
HEAVY = (5 * 0.45 / 0.55 + 2.5 * 0.9) / 7.5
# magnets, t rare-earth element (w_NdPr + w_h = 0.32 per t magnet):
#   made in India: 300 x (0.3 x 35.5/190 + 0.02 x 6.340909/7.5) = 300 x (0.0560526 + 0.0169091) = 21.8885
#   returned: NdPr India's; Dy+Tb 80 x 0.02 x 0.95 x 0.5 / 0.525 = 1.447619
#   imported: 200 x (0.8 x 0.32 + 0.2 x 0.02 x 0.904762) = 200 x (0.256 + 0.0036190) = 51.92381
#   of (300 + 80 + 200) x 0.32 = 185.6 t: 75.25993 / 185.6 = 0.405495
MAGNET = (300 * (0.3 * 35.5 / 190 + 0.02 * (5 * 0.45 / 0.55 + 2.5 * 0.9) / 7.5) + 80 * 0.02 * 0.475 / 0.525
          + 200 * (0.8 * 0.32 + 0.2 * 0.02 * 0.475 / 0.525)) / 185.6


def test_china_share_at_each_stage_by_hand():
    got = origin.china_shares(FLOWS)
    assert got["oxide"].item() == pytest.approx(OXIDE)
    assert got["metal"].item() == pytest.approx(METAL)
    assert got["heavy"].item() == pytest.approx(HEAVY)
    assert got["magnet"].item() == pytest.approx(MAGNET)
    assert got["magnet"].item() == pytest.approx(0.405495, abs=1e-6)


def test_the_returned_magnets_china_part_comes_from_the_pipeline_when_the_run_traced_it():
    # 2 t of Chinese Dy+Tb delivered, a fifth kept by the partner: 1.6 t in the 80 t returned, in place of 1.447619
    fl = dict(FLOWS, delivered_heavy_china=c(2.0), retained_share=c(0.2))
    got = origin.china_shares(fl)
    assert got["magnet"].item() == pytest.approx(MAGNET + (1.6 - 80 * 0.02 * 0.475 / 0.525) / 185.6)


def test_origin_flows_split_each_flow_and_none_is_negative():
    fl = dict(FLOWS)
    out = origin.origin_flows(fl)
    # to reduction: India 150, China 30, other 20 t NdPr oxide
    np.testing.assert_allclose([out[("to_reduction", o)].item() for o in origin.ORIGINS], [150, 30, 20])
    # metal: India 150 x 0.85 = 127.5, China 35.5, other 190 - 163 = 27 t NdPr metal
    np.testing.assert_allclose([out[("metal", o)].item() for o in origin.ORIGINS], [127.5, 35.5, 27])
    # imported magnets: China 200 x (0.8 + 0.2 x 0.02 x 0.904762 / 0.32) = 200 x 0.811310 = 162.262, India 0
    assert out[("magnet_imports", "China")].item() == pytest.approx(200 * (0.8 + 0.2 * 0.02 * 0.475 / 0.525 / 0.32))
    for flow, total in (("magnets_india", 300), ("returned", 80), ("magnet_imports", 200)):
        parts = [out[(flow, o)].item() for o in origin.ORIGINS]
        assert sum(parts) == pytest.approx(total)
        assert min(parts) >= 0


# --- in the model -----------------------------------------------------------------------------

def test_non_chinese_oxide_lowers_the_traced_share_and_the_untraced_one_cannot_see_it():
    b = book()
    res = simulate(b, ["repm_scheme", "repm_non_china_oxide"], years=(2031, 2031), draws=0)
    untraced = [float(res.at("china_share_magnet", d, 2031)[0]) for d in res.deals]
    traced = [float(res.at("china_share_magnet_traced", d, 2031)[0]) for d in res.deals]
    assert untraced[0] == untraced[1]  # only the imported finished magnets count there
    assert traced[1] < traced[0]
    assert float(res.at("china_share_oxide_traced", "repm_non_china_oxide", 2031)[0]) == 0.0
    # repm_scheme by hand from the year's flows: no metal imported, so the metal's China share is the oxide's,
    # u3 x s_ox / (u1 + u2 + u3); magnets (w_NdPr 0.30, w_h = w_dy + w_tb) made in India G, imported M:
    fl = res.flows
    u3, used = fl["u3"][0, 0, 0], (fl["u1"] + fl["u2"] + fl["u3"])[0, 0, 0]
    assert float(fl["u4"][0, 0, 0]) == 0
    s_ox, s_mag, s_h = (float(np.ravel(fl[k])[0]) for k in ("oxide_china_share", "magnet_china_share", "heavy_china_share"))
    w_h, w_n = float(np.ravel(fl["w_h"])[0]), float(np.ravel(fl["w_ndpr"])[0])
    p_h = float(np.ravel(fl["partner_heavy_china"])[0])
    G, M = fl["G"][0, 0, 0], fl["magnet_imports"][0, 0, 0]
    hand = (G * (w_n * u3 * s_ox / used + w_h * s_h) + M * (s_mag * (w_n + w_h) + (1 - s_mag) * w_h * p_h)) / ((G + M) * (w_n + w_h))
    assert traced[0] == pytest.approx(hand, rel=1e-12)
    assert traced[0] > untraced[0]


def test_a_partners_magnets_count_its_chinese_dy_and_tb():
    res = simulate(book(), ["toll_japan"], years=(2030, 2030), draws=0)
    fl = res.flows
    R, M, G = fl["returned"][0, 0, 0], fl["magnet_imports"][0, 0, 0], fl["G"][0, 0, 0]
    assert R > 0 and G == 0
    w_h, w_n = float(np.ravel(fl["w_h"])[0]), float(np.ravel(fl["w_ndpr"])[0])
    p_h, s_mag = float(np.ravel(fl["partner_heavy_china"])[0]), float(np.ravel(fl["magnet_china_share"])[0])
    # the partner's Chinese Dy+Tb: lead time constant, no shock, so the share of every year is p_h
    hand = (R * w_h * p_h + M * (s_mag * (w_n + w_h) + (1 - s_mag) * w_h * p_h)) / ((R + M) * (w_n + w_h))
    assert float(res.at("china_share_magnet_traced", "toll_japan", 2030)[0]) == pytest.approx(hand, rel=1e-9)
    assert float(res.at("china_share_magnet_traced", "toll_japan", 2030)[0]) > float(res.at("china_share_magnet", "toll_japan", 2030)[0])


def test_every_preset_balances_per_origin_and_a_broken_pipeline_is_named():
    b = book()
    names = list(b.deals)
    res = simulate(b, names, years=(2024, 2035), draws=50, seed=4)  # check_origin_balance ran inside
    for stage in ("oxide", "metal", "heavy", "magnet"):
        x = res.arrays[f"china_share_{stage}_traced"]
        assert x.min() >= 0 and x.max() <= 1 + 1e-12, stage
    check_origin_balance(Flows(res.flows), tuple(names), res.years, full=True)  # every process and origin
    fl = Flows({k: v for k, v in res.flows.items() if k not in DERIVED})
    fl["delivered_heavy_china"] = fl["delivered_heavy_china"] * 0.5 + 0.0  # half of it lost on the way back
    i = names.index("toll_japan")
    fl["delivered_heavy_china"][i, 5] += 1.0  # and 1 t more in 2029
    with pytest.raises(MassBalanceError, match=r"partner \(Dy\+Tb\)"):
        check_origin_balance(fl, tuple(names), res.years, full=True)


def test_the_traced_metrics_are_in_the_registry_with_formula_and_unit():
    # the formulas read the flows (u1..u4, χ), not metrics, so they are written in the description, not in FORMULAS
    # (whose formulas the methods page evaluates on metrics)
    formulas = {"oxide": "u3·χ_ox / (u1 + u2 + u3)", "metal": "u4·χ_m) / ((u1 + u2 + u3)·f_ox·η_red + u4)",
                "heavy": "(HIm·χ_h + (HI − HIm)·χ_h0) / HI", "magnet": "/ [(G + R + M)·(w_NdPr + w_h)]"}
    for stage, formula in formulas.items():
        name = f"china_share_{stage}_traced"
        assert METRICS[name][0] == "share"
        assert formula in METRICS[name][1]
        assert name not in FORMULAS


# --- bad input: origin shares ----------------------------------------------------------------------

def copy_with_row(tmp_path, of_id: str, **changes):
    """A copy of the data folder with one row of observations.csv repeated under a new id, with `changes`; its row number."""
    import csv
    import shutil

    from rekit.paths import ROOT

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "observations.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    new = dict(next(r for r in rows if r["id"] == of_id), **changes)
    with path.open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=fields).writerow(new)
    return data, len(rows) + 2  # the header is line 1, the rows 2 .. len(rows) + 1, the new one the next


def test_an_origin_share_outside_0_1_is_refused_with_file_row_and_column(tmp_path):
    # (a deal's China share outside [0, 1] is refused by the deal reader, naming the deal and key: below)
    from rekit.data.problems import DataError

    data, row = copy_with_row(tmp_path, "india_re_magnet_import_share_china_fy2024_25_crisil", id="bad_share_test",
                              value="1.2", low="", high="")
    with pytest.raises(DataError) as exc:
        load(data)
    assert f"observations.csv:{row}: value: 1.2 is out of bounds: a share must lie in [0, 1]" in str(exc.value)


def test_origin_shares_of_one_flow_that_sum_above_1_are_refused_with_file_row_and_column(tmp_path):
    from rekit.data.problems import DataError

    # CRISIL gives China 0.8 of India's rare-earth magnet imports in FY2024-25; a row giving Japan 0.3 of the same
    # flow makes 0.8 + 0.3 = 1.1 > 1
    data, row = copy_with_row(tmp_path, "india_re_magnet_import_share_china_fy2024_25_crisil", id="japan_share_test",
                              partner="Japan", value="0.3", low="", high="")
    with pytest.raises(DataError) as exc:
        load(data)
    assert (f"observations.csv:{row}: value: the origin shares of India's import_share_china for FY2024-25 sum to 1.1 "
            "(China 0.8, Japan 0.3): shares of one flow must sum to at most 1") in str(exc.value)
    # the same row at 0.2: 0.8 + 0.2 = 1.0, allowed
    data2, _ = copy_with_row(tmp_path / "ok", "india_re_magnet_import_share_china_fy2024_25_crisil", id="japan_share_test",
                             partner="Japan", value="0.2", low="", high="")
    load(data2)


def test_a_deals_china_share_outside_0_1_is_refused_naming_the_deal_and_key():
    deal = {"deals": {"x": {"description": "d", "oxide_china_share": {"value": 1.2, "source": "assumption: test"},
                            "shares": {"export": {"value": 0, "source": "assumption: t"}, "toll": {"value": 0, "source": "assumption: t"},
                                       "domestic": {"value": 0, "source": "assumption: t"}, "stock": "rest"}}}}
    with pytest.raises(DealError, match=r"deal 'x', key 'oxide_china_share': value 1.2 is outside \[0, 1\]"):
        load_deals(deal, ds=load())
