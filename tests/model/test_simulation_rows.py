"""The run's fast paths over deals' rows (rekit.model.simulation), called directly on small inputs, worked by hand.

_china_left (s·(1 − c·f)), _available (1 − s·c·f) and _china_imported (q·s·(1 − c·f) / (1 − s·c·f), q·s where no
shock touches the deal) are worked out on the deals a China shock touches only (rekit.model.origin.on_shocked_rows);
the others take the formulas' value at f = 0. The model's value tests run one deal, where every row is shocked
or none is: these run three deals, one shocked, and check every deal's number. The scheme's capacity sums its
plants slot by slot on the deals with a plant, reads a shared draw's one row, and integrates the ramp once at
the years' edges: these check deals with different numbers of plants, inputs that are views with a stride of 0,
and years that do not follow one another.
"""

from __future__ import annotations

import numpy as np

from rekit.model.simulation import SCHEME_BIDS_OPENED, Flows, _available, _china_imported, _china_left, ramp_integral, scheme_capacity


def deals(*rows, years=1):
    """An array (len(rows) deals, `years` years, 1 draw) of its own memory; each row a number or `years` numbers."""
    return np.array(np.array([np.broadcast_to(np.asarray(r, dtype=float), (years,)) for r in rows]).reshape(len(rows), years, 1))


def flows(**kw) -> Flows:
    """Three deals over two years; deal 1 shocked in its second year, half of it (f = 0.5)."""
    base = {"shock_frac": deals(0, [0, 0.5], 0, years=2),
            "s": deals(0.5, 0.8, 1.0), "c": deals(1.0, 0.5, 1.0), "q": deals([4, 6], [10, 20], [3, 5], years=2)}
    return Flows({**base, **kw})


def test_china_left_by_deal_and_year():
    # s·(1 − c·f): deal 0 s = 0.5, deal 2 s = 1 (no shock); deal 1 0.8·(1 − 0.5·0) = 0.8, 0.8·(1 − 0.5·0.5) = 0.6
    got = _china_left(flows(), "s", "c")
    assert got.shape == (3, 2, 1)
    np.testing.assert_allclose(got[:, :, 0], [[0.5, 0.5], [0.8, 0.6], [1.0, 1.0]], rtol=1e-15)


def test_available_by_deal_and_year():
    # 1 − s·c·f: 1 where no shock; deal 1's second year 1 − 0.8·0.5·0.5 = 0.8
    got = _available(flows(), "s", "c")
    assert got.shape == (3, 2, 1)
    np.testing.assert_allclose(got[:, :, 0], [[1, 1], [1, 0.8], [1, 1]], rtol=1e-15)


def test_china_imported_by_deal_and_year():
    # q·s where no shock: deal 0 4·0.5 = 2, 6·0.5 = 3; deal 2 3·1 = 3, 5·1 = 5; deal 1 10·0.8 = 8 and, shocked,
    # 20·0.6 / 0.8 = 15 (t of the quantity's unit)
    got = _china_imported(flows(), "q", "s", "c")
    assert got.shape == (3, 2, 1)
    np.testing.assert_allclose(got[:, :, 0], [[2, 3], [8, 15], [3, 5]], rtol=1e-15)


def test_china_imported_is_0_where_the_cut_leaves_nothing():
    # deal 1 all Chinese (s = 1), its China part cut in full (c = 1) all year (f = 1): nothing arrives, 0 (not 0/0);
    # its left share s·(1 − c·f) and what is available 1 − s·c·f are 0 too; deals 0 and 2 as above
    fl = flows(s=deals(0.5, 1.0, 1.0), c=deals(1.0, 1.0, 1.0), shock_frac=deals(0, [0, 1], 0, years=2))
    np.testing.assert_allclose(_china_imported(fl, "q", "s", "c")[:, :, 0], [[2, 3], [10, 0], [3, 5]], rtol=1e-15)
    np.testing.assert_allclose(_china_left(fl, "s", "c")[:, :, 0], [[0.5, 0.5], [1, 0], [1, 1]], rtol=1e-15)
    np.testing.assert_allclose(_available(fl, "s", "c")[:, :, 0], [[1, 1], [1, 0], [1, 1]], rtol=1e-15)


def test_the_flows_are_left_as_they_were():
    fl = flows()
    before = {k: v.copy() for k, v in fl.items()}
    _china_left(fl, "s", "c"), _available(fl, "s", "c"), _china_imported(fl, "q", "s", "c")
    for k, v in before.items():
        np.testing.assert_array_equal(fl[k], v)


# --- the scheme's ramp and capacity ------------------------------------------------------------------

def test_ramp_integral_with_only_the_first_sale_an_array():
    # x 3, ramp 2, first sales 0, 1, 2.5: y = 3, 2, 0.5; 2 / 2 + (3 − 2) = 2; 2² / 4 = 1; 0.5² / 4 = 0.0625
    np.testing.assert_allclose(ramp_integral(3.0, np.array([0.0, 1.0, 2.5]), 2.0), [2.0, 1.0, 0.0625], rtol=1e-15)


def test_ramp_integral_of_numbers_is_a_number():
    # first 0, ramp 2, x 3: 2 (a float, not a 0-d array)
    out = ramp_integral(3.0, 0.0, 2.0)
    assert isinstance(out, float) and not isinstance(out, np.ndarray) and out == 2.0


#: A plant's first sale on 1 January 2027, in years from the bids' opening (SCHEME_BIDS_OPENED, 30 June 2026).
JAN_2027 = 2027 - SCHEME_BIDS_OPENED


def capacity(yrs, n, n_ox, allocation, first=None, ramp=None, utilisation=None):
    """scheme_capacity with a step (ramp 0) on 1 January 2027 and full utilisation unless given: K_b = allocation_b."""
    slots = len(allocation)
    first = first or [np.full((1, 1, 1), JAN_2027)] * slots
    ramp = ramp or [np.zeros((1, 1, 1))] * slots
    utilisation = utilisation or [np.ones((1, 1, 1))] * slots
    return scheme_capacity(np.array(yrs), n, n_ox, allocation, first, ramp, utilisation)


def test_scheme_capacity_sums_the_plants_of_deals_with_different_numbers_of_them():
    # deal 0: 2 plants, none on IREL's oxide; deal 1: 1 plant (other); deal 2: 2 plants, the first on oxide.
    # Slot 0 is deal 2's oxide plant (300 t) and deals 0 and 1's other plant (100 t, 200 t); slot 1 the other
    # plant of deals 0 and 2 (10 t, 30 t); slot 2 no plant. A step on 1 January 2027, full utilisation: each
    # plant makes its allocation a year. ox: 0, 0, 300; other: 100 + 10 = 110, 200, 30
    ox, other = capacity([2027, 2028], deals(2, 1, 2), deals(0, 0, 1),
                         [deals(100, 200, 300), deals(10, 20, 30), deals(1, 1, 1)])
    np.testing.assert_allclose(ox[:, :, 0], [[0, 0], [0, 0], [300, 300]], rtol=1e-9)
    np.testing.assert_allclose(other[:, :, 0], [[110, 110], [200, 200], [30, 30]], rtol=1e-9)


def test_scheme_capacity_adds_two_plants_of_every_deal():
    # two deals with 2 plants each, none on oxide: other = 100 + 10 = 110 and 200 + 20 = 220 t a year
    ox, other = capacity([2027, 2028], deals(2, 2), deals(0, 0), [deals(100, 200), deals(10, 20)])
    assert not ox.any()
    np.testing.assert_allclose(other[:, :, 0], [[110, 110], [220, 220]], rtol=1e-9)


def test_scheme_capacity_in_years_that_do_not_follow_one_another():
    # one plant, 400 t at 0.5, a ramp of 2 years from 1 January 2027: I(2027) = 0, I(2028) = 1² / 4 = 0.25,
    # I(2029) = 2² / 4 = 1, I(2030) = 1 + 1 = 2; 2027: 0.25 x 200 = 50 t; 2029: (2 − 1) x 200 = 200 t
    ox, other = capacity([2027, 2029], deals(1), deals(0), [deals(400)], ramp=[deals(2)], utilisation=[deals(0.5)])
    assert ox.shape == other.shape == (1, 2, 1) and not ox.any()
    np.testing.assert_allclose(other[0, :, 0], [50, 200], rtol=1e-9)


def test_scheme_capacity_reads_each_deals_numbers_from_a_view_over_the_years():
    # allocations 100 t and 200 t, one per deal, as a view repeating them over the years (stride 0 on the year
    # axis): each deal keeps its own, 100 and 200 t a year
    alloc = np.broadcast_to(deals(100, 200), (2, 2, 1))
    assert alloc.strides[1] == 0
    ox, other = capacity([2027, 2028], deals(1, 1), deals(0, 0), [alloc])
    np.testing.assert_allclose(other[:, :, 0], [[100, 100], [200, 200]], rtol=1e-9)


def test_scheme_capacity_reads_one_row_of_a_draw_every_deal_shares():
    # three deals with a plant each, their allocation one shared draw (a view with stride 0 on the deal axis),
    # 100 t in 2027 and 300 t in 2028: every deal 100 then 300 t
    alloc = np.broadcast_to(np.array([100.0, 300.0]).reshape(1, 2, 1), (3, 2, 1))
    assert alloc.strides[0] == 0
    ox, other = capacity([2027, 2028], deals(1, 1, 1), deals(0, 0, 0), [alloc])
    np.testing.assert_allclose(other[:, :, 0], [[100, 300]] * 3, rtol=1e-9)
