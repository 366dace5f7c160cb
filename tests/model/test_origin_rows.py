"""The traced origin's shocked-rows fast path (rekit.model.origin), its helpers called directly on small arrays.

A China shock touches few deals, so China's fractions are worked out on those deals' rows only and the others
take the formulas' value at no shock. The model's numbers are the same either way, so a test of the numbers
cannot see whether the fast path ran: these tests check each helper's own contract instead, worked by hand:
which rows shocked_rows returns (None where every row must be computed), what on_shocked_rows hands its
function and writes into which rows, _rows' choice of rows, china_fraction's rows left as the share itself,
and demand_free_terms reading the run's own oxide.
"""

from __future__ import annotations

import numpy as np
import pytest

from rekit.model import origin


def col(*xs, dtype=float):
    """An array (len(xs) deals, 1 year, 1 draw), holding its own data (not a view)."""
    return np.array(np.reshape(xs, (len(xs), 1, 1)), dtype=dtype)


def shock(shape, *where):
    """A shock share array of `shape`, 0 but at the places `where` (0.5 there)."""
    f = np.zeros(shape)
    for w in where:
        f[w] = 0.5
    return f


# --- shocked_rows ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "where", "rows"), [
    ((3, 2, 2), [(1, 1, 0)], [1]),  # deal 1 of 3, in its second year's first draw only
    ((3, 2, 2), [(2, 0, 1)], [2]),  # deal 2, the last draw of the first year
    ((3, 1, 2), [(2, 0, 0)], [2]),  # one year
    ((2, 1, 1), [(0, 0, 0)], [0]),  # two deals, the first shocked
    ((3, 2, 1), [(0, 0, 0), (2, 1, 0)], [0, 2]),  # two deals of three (as many as the years)
])
def test_shocked_rows_are_the_deals_with_a_shock_in_any_year_or_draw(shape, where, rows):
    hit = origin.shocked_rows(shock(shape, *where), shape)
    assert isinstance(hit, np.ndarray)
    np.testing.assert_array_equal(hit, rows)


def test_no_deal_shocked_gives_no_rows_not_none():
    # three deals, none shocked: the empty list of rows (the caller then computes nothing on shocked rows)
    hit = origin.shocked_rows(np.zeros((3, 2, 1)), (3, 2, 1))
    assert isinstance(hit, np.ndarray) and hit.size == 0


@pytest.mark.parametrize(("frac", "shape"), [
    (shock((2, 2, 1), (0, 0, 0), (1, 1, 0)), (2, 2, 1)),  # every deal shocked
    (np.zeros((1, 2, 1)), (1, 2, 1)),  # one deal (no shock)
    (shock((1, 2, 1), (0, 1, 0)), (1, 2, 1)),  # one deal (shocked)
    (shock((1, 2, 1), (0, 1, 0)), (3, 2, 1)),  # a shock share without a deal axis, broadcast over three deals
    (np.asarray(0.5), (3, 2, 1)),  # a single number
    (np.full((2, 1), 0.5), (3, 2, 1)),  # (year, draw) only
    (shock((3, 2, 1), (1, 0, 0)), (3, 3, 2, 1)),  # four axes: axis 0 is not the deals'
])
def test_shocked_rows_is_none_where_every_row_must_be_computed(frac, shape):
    assert origin.shocked_rows(frac, shape) is None


# --- _rows ----------------------------------------------------------------------------------------

def test_rows_takes_the_rows_of_a_deal_axis_and_leaves_one_row_or_no_deal_axis_alone():
    a = np.arange(6.0).reshape(3, 2, 1)  # deals [0, 1], [2, 3], [4, 5]
    np.testing.assert_array_equal(origin._rows(a, np.array([0, 2])), [[[0], [1]], [[4], [5]]])
    b = np.arange(4.0).reshape(2, 2, 1)  # two deals
    np.testing.assert_array_equal(origin._rows(b, np.array([1])), [[[2], [3]]])
    one = np.arange(2.0).reshape(1, 2, 1)  # one row: every deal's
    assert origin._rows(one, np.array([1])) is one
    flat = np.arange(6.0).reshape(3, 2)  # (year, draw): no deal axis
    assert origin._rows(flat, np.array([1])) is flat
    scalar = np.asarray(2.0)
    assert origin._rows(scalar, np.array([1])) is scalar


# --- china_fraction on the shocked rows -------------------------------------------------------------

def test_china_fraction_with_a_share_of_more_years_than_the_shock():
    # s (3 deals, 2 years), a full cut c = 1, deal 1 shocked half the year (f = 0.5):
    # deal 1: 0.5·(1 − 0.5) / (1 − 0.25) = 1/3 and 0.8·0.5 / (1 − 0.4) = 2/3; deals 0 and 2 keep s
    s = np.array([0.2, 0.3, 0.5, 0.8, 0.6, 0.9]).reshape(3, 2, 1)
    got = origin.china_fraction(s, np.ones((1, 1, 1)), col(0, 0.5, 0))
    assert got.shape == (3, 2, 1)
    np.testing.assert_allclose(got[:, :, 0], [[0.2, 0.3], [1 / 3, 2 / 3], [0.6, 0.9]], rtol=1e-15)


def test_china_fraction_with_a_cut_of_more_years_than_the_share():
    # s = 0.5 everywhere, cuts (3 deals, 2 years), deal 1 shocked half the year (f = 0.5) with cuts 1 and 0.5:
    # 0.5·0.5 / 0.75 = 1/3; c·f = 0.25: 0.5·0.75 / (1 − 0.125) = 0.375 / 0.875 = 3/7; deals 0 and 2 keep 0.5
    c = np.array([1.0, 1.0, 1.0, 0.5, 0.2, 0.2]).reshape(3, 2, 1)
    got = origin.china_fraction(np.full((1, 1, 1), 0.5), c, col(0, 0.5, 0))
    assert got.shape == (3, 2, 1)
    np.testing.assert_allclose(got[:, :, 0], [[0.5, 0.5], [1 / 3, 3 / 7], [0.5, 0.5]], rtol=1e-15)


def test_china_fraction_leaves_the_deals_no_shock_touches_as_their_share():
    # deals 0 and 2 untouched keep their share as it is, even one not a number (NaN: worked through the formula
    # it would become 1, since 1 − NaN·0 is not > 0); deal 1 (s = 0.5, c = 1, f = 0.5): 1/3
    got = origin.china_fraction(col(np.nan, 0.5, 0.25), col(1, 1, 1), col(0, 0.5, 0))
    assert np.isnan(got[0, 0, 0])
    np.testing.assert_allclose(got[1:, 0, 0], [1 / 3, 0.25], rtol=1e-15)


# --- on_shocked_rows ------------------------------------------------------------------------------

def spy(calls):
    """fn for on_shocked_rows: x·(1 − f), recording (copies of) the x and the shock share it was given."""
    def fn(g):
        calls.append((np.array(g("x")), np.array(g("shock_frac"))))
        return g("x") * (1 - g("shock_frac"))
    return fn


def test_on_shocked_rows_runs_fn_on_the_shocked_rows_then_once_without_a_shock():
    # 3 deals x 2 years; deal 1 shocked half the year: 3·0.5 = 1.5, 4·0.5 = 2; deals 0 and 2 as x
    fl = {"x": np.array([1.0, 2, 3, 4, 5, 6]).reshape(3, 2, 1), "shock_frac": col(0, 0.5, 0)}
    calls: list = []
    got = origin.on_shocked_rows(fl, spy(calls))
    np.testing.assert_array_equal(got[:, :, 0], [[1, 2], [1.5, 2], [5, 6]])
    assert len(calls) == 2
    (x_hot, f_hot), (x_cool, f_cool) = calls
    np.testing.assert_array_equal(x_hot, [[[3], [4]]])  # deal 1's rows
    np.testing.assert_array_equal(f_hot, [[[0.5]]])
    np.testing.assert_array_equal(x_cool, fl["x"])  # every deal's flow, with the shock share 0
    assert f_cool.shape == (1, 1, 1) and f_cool[0, 0, 0] == 0.0
    np.testing.assert_array_equal(fl["x"][:, :, 0], [[1, 2], [3, 4], [5, 6]])  # the flows untouched


def test_on_shocked_rows_uses_calm_for_the_others_and_keeps_floats():
    # 2·n·(1 − f) with whole-number n = 2, 3, 4 and deal 1 shocked a quarter of the year: 2·3·0.75 = 4.5;
    # calm gives 2·n for the others (4 and 8), as whole numbers: the result stays in floats (4.5, not 4)
    fl = {"n": col(2, 3, 4, dtype=int), "shock_frac": col(0, 0.25, 0)}
    calm_calls: list = []

    def calm(g):
        calm_calls.append(np.array(g("n")))
        return 2 * g("n")

    got = origin.on_shocked_rows(fl, lambda g: 2 * g("n") * (1 - g("shock_frac")), calm)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got[:, 0, 0], [4.0, 4.5, 8.0])
    assert len(calm_calls) == 1


def test_on_shocked_rows_without_a_shock_runs_fn_once_on_every_deal_in_floats():
    # no deal shocked: fn once on the whole flows; whole numbers 1, 2, 3 twice are 2.0, 4.0, 6.0 (floats)
    fl = {"n": col(1, 2, 3, dtype=int), "shock_frac": col(0, 0, 0, dtype=int)}
    calls: list = []

    def fn(g):
        calls.append(np.array(g("n")))
        return 2 * g("n")

    got = origin.on_shocked_rows(fl, fn)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got[:, 0, 0], [2.0, 4.0, 6.0])
    assert len(calls) == 1 and calls[0].shape == (3, 1, 1)


def test_on_shocked_rows_with_a_single_shock_share_runs_fn_once_on_everything():
    # a shock share of one number (0.5, no deal axis): x·(1 − 0.5) for every deal, one call
    fl = {"x": col(2, 4, 6), "shock_frac": np.asarray(0.5)}
    calls: list = []
    got = origin.on_shocked_rows(fl, spy(calls))
    np.testing.assert_array_equal(got[:, 0, 0], [1.0, 2.0, 3.0])
    assert len(calls) == 1


@pytest.mark.parametrize("same", [False, True], ids=["a flow", "the shock share itself"])
def test_on_shocked_rows_never_writes_into_a_flow_calm_returns(same):
    # calm returns the flow x itself (x·(1 − 0) = x); the shocked row is written into a new array, not into x:
    # x = 1, 2, 3 and deal 1 shocked half the year: 1, 2·0.5 = 1, 3. When x is the shock share's own array
    # (0, 0.5, 0): 0, 0.5·0.5 = 0.25, 0, and the shock share stays as it was.
    f = col(0, 0.5, 0)
    x = f if same else col(1, 2, 3)
    assert x.flags.owndata  # a flow of its own memory, which on_shocked_rows could write into
    before = x.copy()
    fl = {"x": x, "shock_frac": f}
    got = origin.on_shocked_rows(fl, lambda g: g("x") * (1 - g("shock_frac")), calm=lambda g: g("x"))
    np.testing.assert_array_equal(got[:, 0, 0], [0, 0.25, 0] if same else [1, 1, 3])
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(f, col(0, 0.5, 0))


# --- demand_free_terms reads the run's own oxide -----------------------------------------------------

def test_demand_free_terms_reads_the_runs_own_oxide_where_the_flows_hold_it():
    # own oxide 150 t (u1 and u2 not given), 50 t imported at 60% Chinese: oxide (30, 200);
    # metal: 200·0.8·0.9 = 144 t + 20 t imported at 50%: (30·0.72 + 10, 164) = (31.6, 164);
    # Dy+Tb: 5 t imported at 90% + 2.5 t from the stock at 90%: (6.75, 7.5); no shock (every χ is the share)
    c1 = lambda x: np.full((1, 1, 1), float(x))  # noqa: E731
    fl = {"own_oxide": c1(150), "u3": c1(50), "u4": c1(20), "f_ox": c1(0.8), "eta_metal": c1(0.9),
          "w_ndpr": c1(0.3), "w_h": c1(0.02), "G": c1(300), "HIm": c1(5), "HI": c1(7.5), "returned": c1(80),
          "oxide_china_share": c1(0.6), "metal_china_share": c1(0.5), "heavy_china_share": c1(0.9),
          "magnet_china_share": c1(0.8), "partner_heavy_china": c1(0.95), "shock_frac": c1(0),
          "shock_cut_oxide": c1(0), "shock_cut_metal": c1(0), "shock_cut_heavy": c1(0), "shock_cut_magnet": c1(0)}
    stages = origin.demand_free_terms(fl)["stages"]
    got = [float(x[0, 0, 0]) for k in ("oxide", "metal", "heavy") for x in stages[k]]
    assert got == pytest.approx([30.0, 200.0, 31.6, 164.0, 6.75, 7.5], rel=1e-12)
