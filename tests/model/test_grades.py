"""rekit.model.grades: the Dy content of a grade mix, Σ share × content, its range by the greedy rule,
every refusal in full, and the bundled w_dy worked by hand from data/deals.yml's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from rekit.errors import RekitError
from rekit.model.deals import DealError, load_deals
from rekit.model.grades import check, extreme_shares, from_spec, grade_mix
from rekit.model.quantities import Quantity


def q(value: float, low: float | None = None, high: float | None = None, source: str = "assumption: test") -> Quantity:
    return Quantity(value, value if low is None else low, value if high is None else high, "ratio", source)


def test_two_applications_by_hand():
    shares = {"a": q(0.5, 0.2, 0.8), "b": q(0.5, 0.2, 0.8)}
    contents = {"a": q(0.02, 0.01, 0.03, "obs:x"), "b": q(0.06, 0.05, 0.07, "obs:y")}
    w = grade_mix(shares, contents)
    # value: 0.5 x 0.02 + 0.5 x 0.06 = 0.01 + 0.03 = 0.04
    assert w.value == pytest.approx(0.04, abs=1e-15)
    # low: lows 0.2 + 0.2 = 0.4, 0.6 left, all to a (lowest content at its low, 0.01) up to its high 0.8:
    # 0.8 x 0.01 + 0.2 x 0.05 = 0.008 + 0.010 = 0.018
    assert w.low == pytest.approx(0.018, abs=1e-15)
    # high: the 0.6 to b (highest content at its high, 0.07): 0.2 x 0.03 + 0.8 x 0.07 = 0.006 + 0.056 = 0.062
    assert w.high == pytest.approx(0.062, abs=1e-15)
    assert w.unit == "ratio"
    assert w.source.startswith("derived: Σ share × content over a, b: value 0.5 × 0.02 + 0.5 × 0.06 = 0.04; "
                               "low 0.8 × 0.01 + 0.2 × 0.05 = 0.018; high 0.2 × 0.03 + 0.8 × 0.07 = 0.062 | ")
    assert w.source.endswith("| share of a: assumption: test | share of b: assumption: test | content of a: obs:x | content of b: obs:y")


def test_three_applications_the_greedy_order_matters():
    # x 0.3 (0.1-0.5), y 0.3 (0.1-0.4), z 0.4 (0.2-0.6); contents x 0.05, y 0.01, z 0.03 (no range)
    shares = {"x": q(0.3, 0.1, 0.5), "y": q(0.3, 0.1, 0.4), "z": q(0.4, 0.2, 0.6)}
    contents = {"x": q(0.05), "y": q(0.01), "z": q(0.03)}
    c = {k: v.value for k, v in contents.items()}
    # lows 0.1 + 0.1 + 0.2 = 0.4, 0.6 left.
    # lowest: y (0.01) to its high 0.4 (+0.3, 0.3 left), then z (0.03) +0.3 to 0.5 (its high 0.6 not reached), x stays 0.1
    low_s = extreme_shares(shares, c, lowest=True)
    assert low_s == pytest.approx({"x": 0.1, "y": 0.4, "z": 0.5}, abs=1e-15)
    # highest: x (0.05) to 0.5 (+0.4, 0.2 left), then z (0.03) +0.2 to 0.4, y stays 0.1
    high_s = extreme_shares(shares, c, lowest=False)
    assert high_s == pytest.approx({"x": 0.5, "y": 0.1, "z": 0.4}, abs=1e-15)
    w = grade_mix(shares, contents)
    # value 0.3 x 0.05 + 0.3 x 0.01 + 0.4 x 0.03 = 0.015 + 0.003 + 0.012 = 0.030
    # low   0.1 x 0.05 + 0.4 x 0.01 + 0.5 x 0.03 = 0.005 + 0.004 + 0.015 = 0.024
    #   (filling in the order given, x first, would give 0.5 x 0.05 + 0.3 x 0.01 + 0.2 x 0.03 = 0.034: not the minimum)
    # high  0.5 x 0.05 + 0.1 x 0.01 + 0.4 x 0.03 = 0.025 + 0.001 + 0.012 = 0.038
    assert (w.value, w.low, w.high) == pytest.approx((0.030, 0.024, 0.038), abs=1e-15)


def test_fixed_shares_and_contents_give_a_point():
    # 0.25 x 0.04 + 0.75 x 0.008 = 0.01 + 0.006 = 0.016, no range anywhere
    w = grade_mix({"a": q(0.25), "b": q(0.75)}, {"a": q(0.04), "b": q(0.008)})
    assert (w.value, w.low, w.high) == pytest.approx((0.016, 0.016, 0.016), abs=1e-15)


def test_the_greedy_extremes_are_the_linear_programme_optimum():
    """Against scipy's LP solver (HiGHS) on random box-constrained simplices: min and max of Σ c·s."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(2, 6))
        lo = rng.uniform(0, 0.2, n)
        hi = lo + rng.uniform(0.05, 0.6, n)
        hi = np.minimum(hi, 1)
        if lo.sum() > 1 or hi.sum() < 1:
            continue
        c = rng.uniform(0, 0.1, n)
        names = [f"a{i}" for i in range(n)]
        shares = {k: Quantity(lo[i], lo[i], hi[i], "share", "t") for i, k in enumerate(names)}
        contents = dict(zip(names, c, strict=True))
        for lowest, sign in ((True, 1), (False, -1)):
            s = extreme_shares(shares, contents, lowest)
            lp = linprog(sign * c, A_eq=np.ones((1, n)), b_eq=[1], bounds=list(zip(lo, hi, strict=True)), method="highs")
            assert lp.status == 0
            assert sum(s[k] * contents[k] for k in names) == pytest.approx(sign * lp.fun, abs=1e-12)
            assert sum(s.values()) == pytest.approx(1, abs=1e-12)
            assert all(lo[i] - 1e-15 <= s[k] <= hi[i] + 1e-15 for i, k in enumerate(names))


@pytest.mark.parametrize(("shares", "contents", "message"), [
    ({}, {}, "test: no applications: give each one's share and content"),
    ({"a": q(0.5), "b": q(0.5)}, {"a": q(0.01)},
     "test: application 'b' has a share and no content; the contents are for: a"),
    ({"a": q(1.0)}, {"a": q(0.01), "c": q(0.02)},
     "test: application 'c' has a content and no share; the shares are for: a"),
    ({"a": q(1.2)}, {"a": q(0.01)}, "test: share of 'a': value 1.2 is outside [0, 1]"),
    ({"a": q(0.5, -0.1, 0.6), "b": q(0.5)}, {"a": q(0.01), "b": q(0.01)}, "test: share of 'a': low -0.1 is outside [0, 1]"),
    ({"a": q(1.0)}, {"a": q(0.01, 0.01, 1.5)}, "test: content of 'a': high 1.5 is outside [0, 1]"),
    ({"a": Quantity(0.5, 0.6, 0.4, "share", "t"), "b": q(0.5)}, {"a": q(0.01), "b": q(0.01)},
     "test: share of 'a': low 0.6 is above high 0.4"),
    ({"a": q(1.0)}, {"a": Quantity(0.02, 0.03, 0.01, "ratio", "t")}, "test: content of 'a': low 0.03 is above high 0.01"),
    # lows 0.6 + 0.5 = 1.1 > 1
    ({"a": Quantity(0.5, 0.6, 0.7, "share", "t"), "b": q(0.5)}, {"a": q(0.01), "b": q(0.01)},
     "test: the shares' lows sum to 1.1 (a 0.6 + b 0.5); no mix of shares within their ranges sums to 1"),
    # highs 0.3 + 0.5 = 0.8 < 1
    ({"a": Quantity(0.5, 0.2, 0.3, "share", "t"), "b": q(0.5)}, {"a": q(0.01), "b": q(0.01)},
     "test: the shares' highs sum to 0.8 (a 0.3 + b 0.5); no mix of shares within their ranges sums to 1"),
    # 0.5 + 0.4 = 0.9, though the ranges allow 1
    ({"a": q(0.5, 0.5, 0.6), "b": q(0.4)}, {"a": q(0.01), "b": q(0.01)},
     "test: the central shares sum to 0.9 (a 0.5 + b 0.4); they must sum to 1"),
    ({"a": q(0.5, 0.4, 0.6), "b": q(0.5)}, {"a": q(0.01), "b": q(0.01)} | {"b": Quantity(0.05, 0.01, 0.03, "ratio", "t")},
     "test: content of 'b': value 0.05 is outside its range 0.01-0.03"),
    # lows 0.6 + 0.3 = 0.9, highs 0.7 + 0.5 = 1.2, central 0.5 + 0.5 = 1: only a's central share is out of its range
    ({"a": Quantity(0.5, 0.6, 0.7, "share", "t"), "b": q(0.5, 0.3, 0.5)}, {"a": q(0.01), "b": q(0.01)},
     "test: share of 'a': value 0.5 is outside its range 0.6-0.7"),
    # no content at all: the list of contents reads "none"
    ({"a": q(1.0)}, {}, "test: application 'a' has a share and no content; the contents are for: none"),
    # two names on either list, joined by ", "
    ({"a": q(0.5), "b": q(0.5), "c": q(0)}, {"a": q(0.01), "b": q(0.01)},
     "test: application 'c' has a share and no content; the contents are for: a, b"),
    ({"a": q(0.5), "b": q(0.5)}, {"a": q(0.01), "b": q(0.01), "c": q(0.02)},
     "test: application 'c' has a content and no share; the shares are for: a, b"),
])
def test_refusals_in_full(shares, contents, message):
    with pytest.raises(RekitError) as exc:
        grade_mix(shares, contents, "test")
    assert str(exc.value) == message


def test_central_shares_within_the_tolerance_pass_and_beyond_it_fail():
    # 0.1 + 0.2 + 0.7 is 1.0000000000000002 in floating point: within 1e-9
    w = grade_mix({"a": q(0.1), "b": q(0.2), "c": q(0.7)}, {"a": q(0.01), "b": q(0.01), "c": q(0.01)})
    assert w.value == pytest.approx(0.01, abs=1e-15)
    with pytest.raises(RekitError) as exc:
        grade_mix({"a": q(0.5, 0.4, 0.6), "b": q(0.5 + 1e-8, 0.4, 0.6)}, {"a": q(0.01), "b": q(0.01)}, "test")
    # 0.5 + 0.50000001 = 1.00000001, 1e-8 off 1
    assert str(exc.value) == "test: the central shares sum to 1.00000001 (a 0.5 + b 0.50000001); they must sum to 1"


def test_where_defaults_to_grade_mix():
    # check and grade_mix name the mix "grade_mix" when no place is given
    for call in (check, grade_mix):
        with pytest.raises(RekitError) as exc:
            call({}, {})
        assert str(exc.value) == "grade_mix: no applications: give each one's share and content"


def test_the_range_sums_exactly_at_the_tolerance_pass():
    """The lows may sum to 1 + TOLERANCE and the highs to 1 - TOLERANCE exactly (the checks are strict
    inequalities). In floating point 1 + 1e-9 is 1 + 4503600 x 2^-52 and 1 - 1e-9 is 1 - 9007199 x 2^-53;
    0.5 plus (that number minus 0.5) gives it back exactly (every step is exact in binary)."""
    hi_edge = (1 - 1e-9) - 0.5  # 0.499999999 (to 12 digits)
    # highs 0.5 + 0.499999999 = 0.999999999, not below 1 - 1e-9; the central sum is 9007199 x 2^-53 = 9.99999972e-10
    # off 1, within the tolerance: the mix is computed. Every share fixed, so value = low = high:
    # 0.5 x 0.01 + 0.499999999 x 0.01 = 0.005 + 0.00499999999 = 0.00999999999
    w = grade_mix({"a": q(0.5), "b": q(hi_edge)}, {"a": q(0.01), "b": q(0.01)}, "test")
    assert (w.value, w.low, w.high) == pytest.approx((0.00999999999, 0.00999999999, 0.00999999999), abs=1e-17)
    lo_edge = (1 + 1e-9) - 0.5  # 0.500000001 (to 12 digits)
    # lows 0.5 + 0.500000001 = 1.000000001, not above 1 + 1e-9: the range check passes, and the central
    # shares (at their lows) are refused next, 4503600 x 2^-52 = 1.00000008e-9 off 1
    with pytest.raises(RekitError) as exc:
        grade_mix({"a": q(0.5, 0.5, 0.6), "b": q(lo_edge, lo_edge, 0.6)}, {"a": q(0.01), "b": q(0.01)}, "test")
    assert str(exc.value) == "test: the central shares sum to 1.000000001 (a 0.5 + b 0.500000001); they must sum to 1"


# --- the deals file's hook ------------------------------------------------------------------------------

def _deal(w_dy) -> dict:
    return {"deals": {"mine": {"description": "a test deal", "w_dy": w_dy}}}


def test_a_users_grade_mix_is_read_from_a_deals_mapping():
    mix = {"grade_mix": {"shares": {"ev": {"value": 0.6, "low": 0.4, "high": 0.8, "source": "assumption: test"},
                                    "other": {"value": 0.4, "low": 0.2, "high": 0.6, "source": "assumption: test"}},
                         "contents": {"ev": {"obs": "dy_content_ndfeb_ev_yaan_xinkuang"},
                                      "other": {"obs": "dy_content_ndfeb_emagnets"}}},
           "note": "mine"}
    w = load_deals(_deal(mix), name="my deals").get("mine").params["w_dy"].quantities[0]
    # contents from observations.csv: ev 0.075 (no range), other 0.01 (0.008-0.012)
    # value 0.6 x 0.075 + 0.4 x 0.01 = 0.045 + 0.004 = 0.049
    # low: lows 0.4 + 0.2, 0.4 left to other (0.008 < 0.075) up to 0.6 -> ev 0.4, other 0.6: 0.4 x 0.075 + 0.6 x 0.008 = 0.0348
    # high: the 0.4 to ev (0.075 > 0.012) up to 0.8 -> ev 0.8, other 0.2: 0.8 x 0.075 + 0.2 x 0.012 = 0.0624
    assert (w.value, w.low, w.high) == pytest.approx((0.049, 0.0348, 0.0624), abs=1e-15)
    assert w.note == "mine"
    assert "content of ev: obs:dy_content_ndfeb_ev_yaan_xinkuang | content of other: obs:dy_content_ndfeb_emagnets" in w.source


def _share(where: str, key: str, spec: float) -> Quantity:
    return Quantity(spec, spec, spec, "share", f"assumption: {where}, {key}")


def test_from_spec_reads_each_entry_then_mixes_them():
    spec = {"grade_mix": {"shares": {"ev": 0.25, "wind": 0.75}, "contents": {"ev": 0.04, "wind": 0.008}}}
    # 0.25 x 0.04 + 0.75 x 0.008 = 0.01 + 0.006 = 0.016, no range; unit "ratio" by default, no note
    w = from_spec(spec, "here", "w_dy", _share, _share)
    assert (w.value, w.low, w.high) == pytest.approx((0.016, 0.016, 0.016), abs=1e-15)
    assert w.unit == "ratio"
    assert w.note == ""
    assert w.source.endswith("| share of ev: assumption: here, key 'w_dy', grade_mix share, ev | share of wind: "
                             "assumption: here, key 'w_dy', grade_mix share, wind | content of ev: assumption: here, "
                             "key 'w_dy', grade_mix content, ev | content of wind: assumption: here, key 'w_dy', "
                             "grade_mix content, wind")
    # the unit given is the unit returned; the note is kept
    w = from_spec(spec | {"note": "by hand"}, "here", "w_dy", _share, _share, unit="t Dy per t magnet")
    assert (w.unit, w.note) == ("t Dy per t magnet", "by hand")


@pytest.mark.parametrize(("mix", "got"), [
    # a third key, the other two well formed
    ({"shares": {"ev": 1.0}, "contents": {"ev": 0.01}, "notes": "x"}, "{'shares': {'ev': 1.0}, 'contents': {'ev': 0.01}, 'notes': 'x'}"),
    (None, "None"),
    (["shares", "contents"], "['shares', 'contents']"),
])
def test_from_spec_refuses_a_grade_mix_of_another_shape(mix, got):
    with pytest.raises(RekitError) as exc:
        from_spec({"grade_mix": mix}, "here", "w_dy", _share, _share)
    assert str(exc.value) == ("here, key 'w_dy', grade_mix: expected {shares: {APPLICATION: share}, contents: "
                              "{APPLICATION: content}}, got " + got)


@pytest.mark.parametrize(("w_dy", "message"), [
    ({"grade_mix": {"shares": {"ev": {"value": 1, "source": "assumption: t"}, "wind": {"value": 0, "source": "assumption: t"}},
                    "contents": {"ev": {"obs": "dy_content_ndfeb_emagnets"}}}},
     "my deals: deal 'mine', key 'w_dy', grade_mix: application 'wind' has a share and no content; the contents are for: ev"),
    ({"grade_mix": {"shares": {"ev": {"value": 1.5, "source": "assumption: t"}}, "contents": {"ev": {"obs": "dy_content_ndfeb_emagnets"}}}},
     "my deals: deal 'mine', key 'w_dy', grade_mix share, key 'ev': value 1.5 is outside [0, 1] (a share of India's magnet demand)"),
    ({"grade_mix": {"shares": {"ev": {"value": 1}}, "contents": {"ev": {"obs": "dy_content_ndfeb_emagnets"}}}},
     "my deals: deal 'mine', key 'w_dy', grade_mix share, key 'ev': value 1 has no source: add `source: assumption` "
     "(with a note saying why) or a source_id / obs:ID"),
    ({"grade_mix": {"shares": {"ev": {"value": 1, "source": "assumption: t"}}, "contents": {"ev": {"obs": "no_such_row"}}}},
     "my deals: deal 'mine', key 'w_dy', grade_mix content, key 'ev': obs 'no_such_row' is not an id in observations.csv"),
    ({"grade_mix": {"shares": {}}, "low": 0},
     "my deals: deal 'mine', key 'w_dy': unknown key 'low' beside grade_mix; allowed: grade_mix, note"),
    ({"grade_mix": {"shares": {"ev": {"value": 1, "source": "assumption: t"}}}},
     "my deals: deal 'mine', key 'w_dy', grade_mix: expected {shares: {APPLICATION: share}, contents: {APPLICATION: content}}, "
     "got {'shares': {'ev': {'value': 1, 'source': 'assumption: t'}}}"),
])
def test_a_bad_grade_mix_in_a_deals_file_is_refused_by_deal_and_key(w_dy, message):
    with pytest.raises(DealError) as exc:
        load_deals(_deal(w_dy), name="my deals")
    assert str(exc.value) == message


# --- the bundled w_dy ------------------------------------------------------------------------------------

def test_the_bundled_w_dy_is_the_grade_mix_worked_by_hand():
    book = load_deals()
    w = book.get("repm_scheme").params["w_dy"].quantities[0]
    # data/deals.yml: shares ev_traction 0.45 (0.211-0.70), industrial 0.20 (0.05-0.40), electronics 0.25 (0.10-0.45),
    # wind 0.10 (0-0.25); contents ev_traction 0.075 (0.006-0.10), industrial 0.065 (0.03-0.10, Nikkei's row),
    # electronics 0.01 (0.008-0.012, the commodity row), wind 0.04 (Heim's row, no range).
    # value: 0.45 x 0.075 + 0.20 x 0.065 + 0.25 x 0.01 + 0.10 x 0.04 = 0.03375 + 0.013 + 0.0025 + 0.004 = 0.05325
    # low: lows 0.211 + 0.05 + 0.10 + 0 = 0.361, 0.639 left; contents at their lows, ascending: ev 0.006, electronics
    #   0.008, industrial 0.03, wind 0.04. ev to 0.70 (+0.489, 0.15 left), electronics +0.15 to 0.25:
    #   0.70 x 0.006 + 0.05 x 0.03 + 0.25 x 0.008 + 0 x 0.04 = 0.0042 + 0.0015 + 0.002 + 0 = 0.0077
    # high: contents at their highs, descending: ev 0.10, industrial 0.10 (a tie: file order), wind 0.04,
    #   electronics 0.012. ev to 0.70 (+0.489, 0.15 left), industrial +0.15 to 0.20:
    #   0.70 x 0.10 + 0.20 x 0.10 + 0.10 x 0.012 + 0 x 0.04 = 0.07 + 0.02 + 0.0012 + 0 = 0.0912
    assert (w.value, w.low, w.high) == pytest.approx((0.05325, 0.0077, 0.0912), abs=1e-12)
    assert w.unit == "ratio"
    for ref in ("obs:dy_content_ndfeb_ev_yaan_xinkuang", "obs:dy_tb_content_ndfeb_h_grade_gbd_mainrich",
                "obs:dy_content_ndfeb_motors_nikkei_2012", "obs:dy_content_ndfeb_emagnets", "obs:dy_content_wind_heim_2023",
                "obs:india_repm_demand_2025_et", "India's application mix is not reported as of 2026-12-03",
                "the commodity grade stands in for electronics; no electronics grade is reported as of 2026-12-03"):
        assert ref in w.source
    assert w.source.startswith("derived: Σ share × content over ev_traction, industrial, electronics, wind")
    # every deal shares the defaults' mix (no deal sets w_dy of its own)
    assert {d.params["w_dy"].quantities[0] for d in book.deals.values()} == {w}
    # w_tb stays one assumption: 0.002 (0-0.005)
    tb = book.get("repm_scheme").params["w_tb"].quantities[0]
    assert (tb.value, tb.low, tb.high) == (0.002, 0, 0.005)
    assert tb.source.startswith("assumption: no Tb content by grade was found")


def test_the_mix_inputs_are_cited():
    from rekit.data.dataset import load
    book = load_deals()
    ids = book.source_ids(["status_quo"], "output", load())
    # the source_id column of the rows deals.yml names for w_dy's contents and the ev_traction share's low
    for sid in ("yaan_xinkuang_clean_energy", "mainrich_lawn_mower_case_study", "nikkei_techon_2012_11_12", "emagnets_uk_vendor",
                "heim_vanderwal_2023", "et_daily8_2025_06_20", "pib_mhi_ev_sales_2025_04_01", "emobilityplus_2025_04_08"):
        assert sid in ids
