"""The stock model's pieces (rekit.model.stocks_in_use), worked by hand: the balance check and its messages at their
bounds, the cohort sum when the lifetimes vary along some batch axes only, the bounds of contents and of kg per
unit, the lifetimes stacked for several end uses, and the messages naming what was given."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from rekit.model.stocks_in_use import (END_USES_FILE, Lifetime, ModelError, StocksInUse, _check, convolve,
                                       end_use_lifetimes, inflow_driven, inflow_from_units, lifetimes_for)

YEARS = np.array([2024, 2025, 2026])


def result(inflow, outflow, stock, content=None):
    return StocksInUse(YEARS, np.asarray(inflow, dtype=float), np.asarray(outflow, dtype=float),
                       np.asarray(stock, dtype=float), content or {})


# --- the balance check ---------------------------------------------------------------------------

def test_the_first_imbalance_is_named_by_year_and_batch_index():
    # batch (2, 2): inflow 1 t a year, nothing out; the stock should be 1, 2, 3. Batch (1, 0) is 1 t off in 2025
    # (stock 1, 3, 4: in 2025 1 - 0 - (3 - 1) = -1), batch (1, 1) in 2026: the first in C order is (1, 0), 2025
    stock = np.tile([1.0, 2.0, 3.0], (2, 2, 1))
    stock[1, 0] = [1, 3, 4]
    stock[1, 1] = [1, 2, 5]
    with pytest.raises(ModelError) as exc:
        _check(result(np.ones((2, 2, 3)), np.zeros((2, 2, 3)), stock), 1e-9, "wind")
    msg = str(exc.value)
    # the batch index (1, 0), both axes, as plain integers
    assert msg == "wind: stock model mass balance fails in 2025 at (1, 0) by -1 t magnet"


def test_the_balance_tolerance_is_tol_times_the_largest_inflow_but_at_least_tol():
    # inflows at most 1 t: the tolerance is tol x 1. With tol 0.5 an error of exactly 0.5 passes (|r| <= 0.5)
    ok = result([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.5])  # 2026: 1 - 0 - 1.5 = -0.5
    _check(ok, 0.5, "x")
    # 1.5e-9 off with tol 1e-9 on inflows below 1 t is refused (the floor is 1 t, not more)
    off = result([0.5, 0.5, 0.5], [0.0, 0.0, 0.0], [0.5, 1.0, 1.5 + 1.5e-9])
    with pytest.raises(ModelError, match="fails in 2026"):
        _check(off, 1e-9, "x")
    # no years at all: nothing to check, no error
    _check(StocksInUse(np.array([], dtype=int), np.zeros(0), np.zeros(0), np.zeros(0), {}), 1e-9, "x")


def test_a_negative_flow_is_named_at_its_first_place_and_its_bound_is_allowed():
    # outflow -0.5 in 2026 (the only negative), balanced by the stock: 1 - (-0.5) = 1.5 added
    neg = result([[1.0, 1.0, 1.0]], [[0.0, 0.0, -0.5]], [[1.0, 2.0, 3.5]])
    with pytest.raises(ModelError) as exc:
        _check(neg, 1e-9, "cars")
    msg = str(exc.value)
    assert msg.startswith("cars: outflow negative in 2026 at (") and msg.endswith("): -0.5 t magnet")
    # exactly -tol x 1 t: allowed (the bound is strict); tol 0.5, outflow -0.5
    _check(neg, 0.5, "cars")


def test_inflow_driven_names_its_series_when_the_balance_fails():
    # a negative tolerance refuses every year: the message names the series given
    with pytest.raises(ModelError, match=r"^wind: stock model mass balance fails in 2024"):
        inflow_driven([1.0, 1.0, 1.0], Lifetime.weibull(10, 2), YEARS, name="wind", tol=-1.0)


def test_inflow_driven_keeps_the_years_and_refuses_a_wrong_shape_naming_the_years():
    got = inflow_driven([1.0, 0.0, 0.0], Lifetime.weibull(10, 2), YEARS)
    np.testing.assert_array_equal(got.years, YEARS)
    for bad, shape in ((5.0, "()"), ([1.0, 2.0], "(2,)")):
        with pytest.raises(ModelError) as exc:
            inflow_driven(bad, Lifetime.weibull(10, 2), YEARS, name="wind")
        assert str(exc.value) == f"wind: the last axis must be the 3 years 2024-2026; got shape {shape}"


# --- contents ------------------------------------------------------------------------------------

def test_a_content_of_0_or_1_is_allowed_and_one_outside_is_named():
    # 0 and 1 t element per t magnet are the bounds, both allowed
    got = inflow_driven([[1.0, 0, 0]] * 3, Lifetime.weibull(10, 2), YEARS, content={"Dy": [0.0, 1.0, 0.5]})
    np.testing.assert_array_equal(got.content["Dy"], [0.0, 1.0, 0.5])
    # [0, 1, 1.5]: the value named is 1.5, the first outside [0, 1]
    with pytest.raises(ModelError) as exc:
        inflow_driven([[1.0, 0, 0]] * 3, Lifetime.weibull(10, 2), YEARS, content={"Dy": [0.0, 1.0, 1.5]})
    assert str(exc.value) == "content of Dy: t Dy per t magnet must lie in [0, 1]; got 1.5"
    with pytest.raises(ModelError) as exc:
        inflow_driven([1.0, 0, 0], Lifetime.weibull(10, 2), YEARS, content={"Fe": 0.7})
    assert str(exc.value) == "content: unknown element 'Fe'; allowed: Nd, Pr, Dy, Tb"


def test_an_element_without_content_is_named_with_those_given():
    none = result([1.0, 1, 1], [0.0, 0, 0], [1.0, 2, 3])
    with pytest.raises(ModelError) as exc:
        none.element("Nd")
    assert str(exc.value) == "element 'Nd' has no content given; allowed: none"
    some = result([1.0, 1, 1], [0.0, 0, 0], [1.0, 2, 3], {"Nd": np.asarray(0.2), "Dy": np.asarray(0.01)})
    with pytest.raises(ModelError) as exc:
        some.element("Tb")
    assert str(exc.value) == "element 'Tb' has no content given; allowed: Nd, Dy"


# --- the cohort sum when lifetimes vary along some batch axes ------------------------------------

def test_the_cohort_sum_broadcasts_lifetimes_against_inflows_by_every_method():
    # outflow[t] = sum_a x[t - a] p[a]. x = [1, 2, 3] for two rows of p: [0.5, 0.5, 0] and [0, 0, 1]:
    #   row 0: [1 x 0.5, 2 x 0.5 + 1 x 0.5, 3 x 0.5 + 2 x 0.5 + 1 x 0] = [0.5, 1.5, 2.5]
    #   row 1: [0, 0, 1 x 1] = [0, 0, 1]
    x = np.array([1.0, 2.0, 3.0])
    p = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    want = [[0.5, 1.5, 2.5], [0.0, 0.0, 1.0]]
    for method in ("loop", "matmul", "fft", "auto"):
        np.testing.assert_allclose(convolve(x, p, method), want, atol=1e-12, err_msg=method)
    # one lifetime series (p of shape (1, 3)) for two rows of inflows: both rows computed
    # x = [[1, 2, 3], [2, 0, 0]] with p = [0.5, 0.5, 0]: [0.5, 1.5, 2.5] and [1, 1, 0]
    got = convolve(np.array([[1.0, 2.0, 3.0], [2.0, 0.0, 0.0]]), p[:1], "matmul")
    np.testing.assert_allclose(got, [[0.5, 1.5, 2.5], [1.0, 1.0, 0.0]], atol=1e-12)
    # a batch of (2, 2) inflows, one lifetime: each row as above (rows 1, 2, 3, 4 times [1, 0, 0]: p times the row)
    x4 = np.arange(1.0, 5.0).reshape(2, 2, 1) * np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(convolve(x4, p[0], "matmul"), np.arange(1.0, 5.0).reshape(2, 2, 1) * [0.5, 0.5, 0.0])
    with pytest.raises(ModelError) as exc:
        convolve(x, p, "spline")
    assert str(exc.value) == "method 'spline' is not a way to compute the cohort sum; allowed: auto, matmul, fft, loop"


# --- units to magnets --------------------------------------------------------------------------------

def test_inflow_from_units_by_hand_and_its_bounds():
    # 1000 and 2000 units x 2.5 kg / 1000 = 2.5 and 5 t magnet; 0 kg a unit is allowed (0 t)
    np.testing.assert_allclose(inflow_from_units([1000.0, 2000.0], 2.5, [2024, 2025]), [2.5, 5.0])
    np.testing.assert_allclose(inflow_from_units([[1000.0, 2000.0]] * 3, [0.0, 0.5, 2.0], [2024, 2025]),
                               [[0, 0], [0.5, 1.0], [2.0, 4.0]])
    with pytest.raises(ModelError) as exc:
        inflow_from_units([[1.0, 1.0]] * 3, [0.0, 0.5, -1.0], [2024, 2025], name="EVs")
    assert str(exc.value) == "EVs: kg magnet per unit -1.0 is not allowed; allowed: a finite number ≥ 0"
    for bad, shape in ((5.0, "()"), ([1.0, 2.0], "(2,)")):
        with pytest.raises(ModelError) as exc:
            inflow_from_units(bad, 1.0, [2024, 2025, 2026], name="EVs")
        assert str(exc.value) == f"EVs: the last axis must be the 3 years 2024-2026; got shape {shape}"


# --- lifetimes -------------------------------------------------------------------------------------

def test_a_lifetime_keeps_its_source():
    assert Lifetime.weibull(10, 2, "src_w").source == "src_w"
    assert Lifetime.normal(10, 2, "src_n").source == "src_n"
    assert Lifetime.of("normal", 10, 2, "src_o").source == "src_o"


def test_lifetimes_of_several_end_uses_stack_in_order_with_their_sources():
    table = {"wind": Lifetime.weibull(20, 3, "gwec"), "ev": Lifetime.weibull(12, 2, "assumption: x"),
             "hdd": Lifetime.normal(5, 1, "s")}
    got = lifetimes_for(["ev", "wind"], table)
    assert got.kind == "weibull"
    np.testing.assert_array_equal(got.a, [12.0, 20.0])
    np.testing.assert_array_equal(got.b, [2.0, 3.0])
    assert got.source == "ev: assumption: x; wind: gwec"
    with pytest.raises(ModelError) as exc:
        lifetimes_for(["ev", "hdd"], table)
    assert str(exc.value) == "end uses ev, hdd mix lifetime distributions (normal, weibull); give end uses of one kind per call"


def test_end_use_lifetimes_read_each_rows_source(tmp_path):
    # a row with a source keeps its id; a row without one is the kit's assumption, in the row's own words
    (tmp_path / END_USES_FILE).write_text(
        "end_use,source_id,assumption,lifetime_distribution,lifetime_a,lifetime_b\n"
        "wind,gwec_2024,,weibull,25,3\n"
        "motors,,twenty years as for the motors' housings,normal,20,5\n", encoding="utf-8")
    got = end_use_lifetimes(SimpleNamespace(path=tmp_path))
    assert got["wind"].source == "gwec_2024" and (got["wind"].kind, float(got["wind"].a)) == ("weibull", 25.0)
    assert got["motors"].source == "assumption: twenty years as for the motors' housings"
    assert (got["motors"].kind, float(got["motors"].a), float(got["motors"].b)) == ("normal", 20.0, 5.0)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError) as exc:
        end_use_lifetimes(SimpleNamespace(path=empty))
    assert str(exc.value) == f"{empty / END_USES_FILE}: no table of end uses in this data folder; the stock model needs end_uses.csv"


def test_a_negative_flow_in_a_batch_of_two_axes_names_both_and_its_year():
    # batch (1, 1): inflow 1 t a year, outflow 0, 3.5, -2, stock 1, -1.5, 1.5 - balanced: 2025 1 - 3.5 - (-1.5 - 1) = 0,
    # 2026 1 + 2 - (1.5 + 1.5) = 0; the stock is negative in 2025 and the outflow in 2026: the outflow is checked first
    neg = result([[[1.0, 1.0, 1.0]]], [[[0.0, 3.5, -2.0]]], [[[1.0, -1.5, 1.5]]])
    with pytest.raises(ModelError) as exc:
        _check(neg, 1e-9, "ev")
    msg = str(exc.value)
    assert msg.startswith("ev: outflow negative in 2026 at (") and msg.endswith("): -2 t magnet")
    assert "at (0, 0):" in msg  # the batch index (0, 0), as plain integers


def test_the_default_lifetime_has_no_source_and_its_messages_say_lifetime():
    assert Lifetime.weibull(10, 2).source == Lifetime.normal(10, 2).source == Lifetime.of("weibull", 10, 2).source == ""
    for make, kind, label in ((Lifetime.weibull, "weibull", "scale"), (Lifetime.normal, "normal", "mean")):
        with pytest.raises(ModelError) as exc:
            make(-1, 2)
        assert str(exc.value) == f"lifetime: {kind} lifetime {label} -1.0 years is not allowed; allowed: a finite number above 0"
    with pytest.raises(ModelError) as exc:
        Lifetime.of("weibull", 10, 0)
    assert str(exc.value) == "lifetime: weibull lifetime shape 0.0 is not allowed; allowed: a finite number above 0"


def test_mean_lifetimes_by_hand():
    # Weibull: scale x Gamma(1 + 1/shape): shape 1 -> 10 x Gamma(2) = 10; shape 2 -> 10 x Gamma(1.5) = 10 x 0.886227
    assert float(Lifetime.weibull(10, 1).mean_years()) == pytest.approx(10.0)
    assert float(Lifetime.weibull(10, 2).mean_years()) == pytest.approx(8.86227, abs=1e-5)
    assert float(Lifetime.normal(7, 2).mean_years()) == 7.0


def test_a_flow_the_model_does_not_have_is_named():
    some = result([1.0, 1, 1], [0.0, 0, 0], [1.0, 2, 3], {"Nd": np.asarray(0.2)})
    with pytest.raises(ModelError) as exc:
        some.element("Nd", "scrap")
    assert str(exc.value) == "'scrap' is not a flow of the stock model; allowed: inflow, outflow, stock"


def test_end_use_lifetimes_keep_a_line_break_inside_a_quoted_field(tmp_path):
    """The CSV is read with newline="" (as the csv module asks): a quoted field's "\\r\\n" stays "\\r\\n",
    where universal newlines would read it as "\\n" and change the source the stock model cites."""
    header = "end_use,title,description,lifetime_distribution,lifetime_a,lifetime_b,source_id,quote,assumption\r\n"
    row = 'aa,Alpha,"a, b",normal,15,4,,,"line one\r\nline two"\r\n'
    (tmp_path / END_USES_FILE).write_bytes((header + row).encode("utf-8"))
    got = end_use_lifetimes(SimpleNamespace(path=tmp_path))
    assert list(got) == ["aa"]
    assert got["aa"].source == "assumption: line one\r\nline two"
    assert (got["aa"].kind, float(got["aa"].a), float(got["aa"].b)) == ("normal", 15.0, 4.0)
