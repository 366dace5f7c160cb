"""Quantities and schedules: the triangular quantile against scipy.stats and by hand, the draws'
uniforms, and the schedule weights (linear between years, flat beyond, fiscal and run-rate forms)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rekit.model.quantities import Quantity, Schedule, highest

# a 0.6 to 1.0 parameter with its mode at 0.7 (a yield): F(c) = (0.7 - 0.6) / (1.0 - 0.6) = 0.25
Q = Quantity(0.7, 0.6, 1.0, "ratio", "assumption: test")
U = np.array([0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 0.9, 0.99, 1.0])


def test_triangular_quantile_matches_scipy_on_both_branches():
    # scipy's triang(c, loc, scale): mode at loc + c * scale
    ref = stats.triang(c=0.25, loc=0.6, scale=0.4).ppf(U)
    np.testing.assert_allclose(Q.ppf(U), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "u, expected",
    [
        (0.0, 0.6),
        # lower branch, u < F(c): a + sqrt(u (b - a)(c - a)) = 0.6 + sqrt(0.1 * 0.4 * 0.1) = 0.6 + sqrt(0.004) = 0.663246
        (0.1, 0.6 + 0.004 ** 0.5),
        # at F(c) the upper branch: b - sqrt((1 - u)(b - a)(b - c)) = 1 - sqrt(0.75 * 0.4 * 0.3) = 1 - 0.3 = 0.7, the mode
        (0.25, 0.7),
        # upper branch: 1 - sqrt(0.5 * 0.4 * 0.3) = 1 - sqrt(0.06) = 1 - 0.244949 = 0.755051
        (0.5, 1 - 0.06 ** 0.5),
        # upper branch: 1 - sqrt(0.1 * 0.4 * 0.3) = 1 - sqrt(0.012) = 1 - 0.109545 = 0.890455
        (0.9, 1 - 0.012 ** 0.5),
        (1.0, 1.0),
    ],
)
def test_triangular_quantile_by_hand(u, expected):
    assert float(Q.ppf(np.array([u]))[0]) == pytest.approx(expected, abs=1e-12)


def test_triangular_mean_is_the_mean_of_its_three_points():
    # mean of a triangular: (a + b + c) / 3 = (0.6 + 1.0 + 0.7) / 3 = 0.766667; the quantile at
    # 100,000 evenly spaced probabilities averages to it (midpoint rule, error ~1e-7)
    u = (np.arange(100_000) + 0.5) / 100_000
    assert Q.ppf(u).mean() == pytest.approx(2.3 / 3, abs=1e-6)


def test_a_mode_at_an_end_is_a_right_triangle():
    # mode at the low end: F(c) = 0, every u on the upper branch: 1 - sqrt((1 - u) * 1 * 1); u = 0.75 -> 0.5
    right = Quantity(0.0, 0.0, 1.0, "t", "assumption: test")
    np.testing.assert_allclose(right.ppf(U), stats.triang(c=0.0, loc=0.0, scale=1.0).ppf(U), atol=1e-12)
    assert float(right.ppf(np.array([0.75]))[0]) == pytest.approx(0.5)
    # mode at the high end: F(c) = 1, every u < 1 on the lower branch: sqrt(u); u = 0.25 -> 0.5
    left = Quantity(1.0, 0.0, 1.0, "t", "assumption: test")
    np.testing.assert_allclose(left.ppf(U), stats.triang(c=1.0, loc=0.0, scale=1.0).ppf(U), atol=1e-12)
    assert float(left.ppf(np.array([0.25]))[0]) == pytest.approx(0.5)


def test_a_point_quantity_has_one_value_at_every_probability():
    p = Quantity.point(400.0, "t NdPr oxide", "assumption: test")
    assert (p.low, p.high, p.uncertain) == (400.0, 400.0, False)
    np.testing.assert_array_equal(p.ppf(U), np.full(len(U), 400.0))
    np.testing.assert_array_equal(p.draw("x", seed=1, n=50), np.array([400.0]))


def test_draws_are_the_quantile_of_uniforms():
    # the draws pushed back through scipy's triangular cdf are uniform on [0, 1]: a Kolmogorov-Smirnov
    # test against scipy.stats.uniform, on a fixed seed (the same 20,000 numbers every run)
    d = Q.draw("eta", seed=3, n=20_000)
    assert d.shape == (20_000,) and d.min() >= 0.6 and d.max() <= 1.0
    u = stats.triang(c=0.25, loc=0.6, scale=0.4).cdf(d)
    assert stats.kstest(u, stats.uniform(loc=0, scale=1).cdf).pvalue > 0.01
    # and not uniform on [0.6, 1.0] themselves (the mode pulls them towards 0.7)
    assert stats.kstest(d, stats.uniform(loc=0.6, scale=0.4).cdf).pvalue < 1e-6


def test_draws_are_keyed_by_name_and_numbers_not_by_note():
    a = Quantity(0.7, 0.6, 1.0, "ratio", "assumption: test", note="one")
    b = Quantity(0.7, 0.6, 1.0, "ratio", "src: other", note="two")
    np.testing.assert_array_equal(a.draw("eta", 5, 10), b.draw("eta", 5, 10))
    assert not np.array_equal(a.draw("eta", 5, 10), a.draw("eta", 6, 10))
    assert not np.array_equal(a.draw("eta", 5, 10), a.draw("other", 5, 10))
    # n == 0: the central value once
    np.testing.assert_array_equal(a.draw("eta", 5, 0), np.array([0.7]))


def pt(v):
    return Quantity.point(v, "t", "assumption: test")


def test_annual_weights_are_linear_between_years_and_flat_beyond():
    s = Schedule(((2025, pt(100.0)), (2030, pt(200.0))))
    w = s.weights(np.array([2020, 2025, 2027, 2030, 2035]))
    # 2027 lies 2/5 of the way from 2025 to 2030: weights 0.6 and 0.4; before 2025 all on the first, after 2030 on the last
    np.testing.assert_allclose(w, [[1, 1, 0.6, 0, 0], [0, 0, 0.4, 1, 1]], atol=1e-12)
    # values: 0.6 * 100 + 0.4 * 200 = 140
    np.testing.assert_allclose(s.draw("p", 0, 0, np.array([2020, 2027, 2035]))[:, 0], [100, 140, 200])


def test_fiscal_weights_take_a_quarter_of_the_fiscal_year_before():
    s = Schedule(((2025, pt(100.0)), (2030, pt(200.0))), kind="fiscal")
    w = s.weights(np.array([2025, 2026, 2031]))
    # 2026 = 0.25 * FY2025 + 0.75 * FY2026; FY2026 is 0.8 / 0.2 of the two points:
    # first 0.25 * 1 + 0.75 * 0.8 = 0.85, second 0.75 * 0.2 = 0.15; 2025 and 2031 lie flat at an end
    np.testing.assert_allclose(w, [[1, 0.85, 0], [0, 0.15, 1]], atol=1e-12)


def test_run_rate_weights_average_the_months():
    s = Schedule(((2026.0, pt(0.0)), (2027.0, pt(1200.0))), kind="run_rate")
    w = s.weights(np.array([2025, 2026, 2027]))
    # in 2026 the mid-month times are 2026 + (k + 0.5)/12; the second point's weight is (k + 0.5)/12,
    # whose mean over k = 0..11 is (66 + 6) / 144 = 0.5
    np.testing.assert_allclose(w, [[1, 0.5, 0], [0, 0.5, 1]], atol=1e-12)
    # a rate going from 0 to 1,200 t a year over 2026 gives 600 t for the year
    assert s.draw("r", 0, 0, np.array([2026]))[0, 0] == pytest.approx(600)


def test_from_u_moves_the_points_together():
    s = Schedule(((2025, Quantity(1.0, 0.0, 2.0, "t", "assumption: test")), (2030, pt(10.0))))
    # at u = 0.5, the symmetric 0-2 triangle gives its mode 1.0 (2 - sqrt(0.5 * 2 * 1) = 1); in 2027: 0.6 * 1 + 0.4 * 10 = 4.6
    np.testing.assert_allclose(s.from_u(np.array([0.5]), np.array([2027]))[:, 0], [4.6])
    # a one-point schedule is its quantity: u = 0.125 on the lower branch: sqrt(0.125 * 2 * 1) = 0.5
    one = Schedule.constant(Quantity(1.0, 0.0, 2.0, "t", "assumption: test"))
    np.testing.assert_allclose(one.from_u(np.array([0.125]), np.array([2027, 2028])), [[0.5]])


def test_a_point_keeps_its_unit_source_and_note():
    p = Quantity.point(3.0, "t magnet", "obs:some_row", note="a note")
    assert (p.value, p.low, p.high, p.unit, p.source, p.note) == (3.0, 3.0, 3.0, "t magnet", "obs:some_row", "a note")
    assert Quantity.point(3.0, "t magnet", "obs:some_row").note == ""


def test_a_one_point_schedule_draws_as_its_quantity():
    q = Quantity(0.7, 0.6, 1.0, "ratio", "assumption: test")
    s = Schedule.constant(q)
    got = s.draw("eta", 4, 6, np.array([2025, 2026, 2027]))
    assert got.shape == (1, 6)  # one row, broadcast over the years
    np.testing.assert_array_equal(got[0], q.draw("eta", 4, 6))
    assert not np.array_equal(got, s.draw("eta", 5, 6, np.array([2025])))


def test_a_schedules_points_draw_from_their_own_streams():
    a = Quantity(100.0, 80.0, 130.0, "t", "assumption: test")
    b = Quantity(200.0, 150.0, 220.0, "t", "assumption: test")
    s = Schedule(((2025, a), (2030, b)))
    years = np.array([2025, 2027, 2030])
    got = s.draw("cap", 9, 4, years)
    assert got.shape == (3, 4)
    # at a point's own year the draws are that point's, keyed "name@year"; between them the 0.6 / 0.4 blend
    np.testing.assert_array_equal(got[0], a.draw("cap@2025", 9, 4))
    np.testing.assert_array_equal(got[2], b.draw("cap@2030", 9, 4))
    np.testing.assert_allclose(got[1], 0.6 * a.draw("cap@2025", 9, 4) + 0.4 * b.draw("cap@2030", 9, 4))
    assert not np.array_equal(got, s.draw("cap", 10, 4, years))
    # central values only (n = 0) or no range anywhere: one column: 100 and 200 at the ends, 0.6 * 100 + 0.4 * 200 = 140 between
    np.testing.assert_allclose(s.draw("cap", 9, 0, years), [[100.0], [140.0], [200.0]])
    fixed = Schedule(((2025, pt(100.0)), (2030, pt(200.0))))
    np.testing.assert_allclose(fixed.draw("cap", 9, 4, years), [[100.0], [140.0], [200.0]])


def test_highest_is_the_largest_high_of_a_schedule():
    assert highest(None) == 0.0
    three = Schedule(tuple((2024 + i, Quantity(1.0, lo, hi, "t", "x")) for i, (lo, hi) in enumerate([(0.5, 2.0), (0.1, 3.5), (1.0, 1.0)])))
    assert highest(three) == 3.5
