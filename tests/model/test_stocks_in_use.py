"""The dynamic stock model of magnets in use: known values by hand, flodym's InflowDrivenDSM as the
field's reference, the mass balance for every end use, element, year and draw, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rekit.model.stocks_in_use import Lifetime, ModelError, check_end_uses, inflow_driven

LN2 = np.log(2.0)


def test_exponential_lifetime_by_hand():
    # Weibull shape 1, scale 0.5/ln 2: S(x) = exp(−x·ln2/0.5) = 2^(−2x), so at ages ½, 1½, 2½:
    # S = 2^−1 = 0.5, 2^−3 = 0.125, 2^−5 = 0.03125.
    # 100 t in year 0 only: stock 100·S = 50, 12.5, 3.125; outflow 100·(1 − 0.5) = 50,
    # 100·(0.5 − 0.125) = 37.5, 100·(0.125 − 0.03125) = 9.375.
    res = inflow_driven([100.0, 0.0, 0.0], Lifetime.weibull(0.5 / LN2, 1.0), [2030, 2031, 2032])
    np.testing.assert_allclose(res.stock, [50.0, 12.5, 3.125], rtol=1e-12)
    np.testing.assert_allclose(res.outflow, [50.0, 37.5, 9.375], rtol=1e-12)


def test_normal_lifetime_by_hand():
    # mean 1.5, std 1: S(½) = Φ(1) = 0.8413447461, S(1½) = Φ(0) = 0.5.
    # inflow 10, 20: stock[0] = 10·0.8413447461 = 8.413447461;
    # stock[1] = 10·0.5 + 20·0.8413447461 = 21.826894921;
    # outflow[0] = 10·(1 − 0.8413447461) = 1.586552539;
    # outflow[1] = 10·(0.8413447461 − 0.5) + 20·(1 − 0.8413447461) = 3.413447461 + 3.173105078 = 6.586552539.
    res = inflow_driven([10.0, 20.0], Lifetime.normal(1.5, 1.0), [2024, 2025])
    np.testing.assert_allclose(res.stock, [8.413447461, 21.826894921], rtol=1e-9)
    np.testing.assert_allclose(res.outflow, [1.586552539, 6.586552539], rtol=1e-9)


def test_element_content_by_hand():
    # the exponential case above with 3% Dy: stock 50, 12.5, 3.125 t magnet → 1.5, 0.375, 0.09375 t Dy
    res = inflow_driven([100.0, 0.0, 0.0], Lifetime.weibull(0.5 / LN2, 1.0), [2030, 2031, 2032], content={"Dy": 0.03})
    np.testing.assert_allclose(res.element("Dy"), [1.5, 0.375, 0.09375], rtol=1e-12)
    np.testing.assert_allclose(res.element("Dy", "outflow"), [1.5, 1.125, 0.28125], rtol=1e-12)
    with pytest.raises(ModelError, match="'Tb' has no content given; allowed: Dy"):
        res.element("Tb")


def _flodym(inflow: np.ndarray, years: np.ndarray, kind: str, a: np.ndarray, b: np.ndarray):
    """flodym's InflowDrivenDSM on inflow (end use, year): its stock and outflow, (end use, year)."""
    flodym = pytest.importorskip("flodym", reason="flodym is in the dev extra: pip install -e '.[dev]'")
    dims = flodym.DimensionSet(dim_list=[
        flodym.Dimension(name="time", letter="t", items=[int(y) for y in years]),
        flodym.Dimension(name="end use", letter="u", items=list(range(inflow.shape[0]))),
    ])
    n = len(years)
    if kind == "weibull":
        lt = flodym.WeibullLifetime(dims=dims, weibull_scale=np.tile(a, (n, 1)), weibull_shape=np.tile(b, (n, 1)))
    else:
        lt = flodym.NormalLifetime(dims=dims, mean=np.tile(a, (n, 1)), std=np.tile(b, (n, 1)))
    dsm = flodym.InflowDrivenDSM(dims=dims, lifetime_model=lt,
                                 inflow=flodym.StockArray(dims=dims, values=np.ascontiguousarray(inflow.T)))
    dsm.compute()
    return dsm.stock.values.T, dsm.outflow.values.T


@pytest.mark.parametrize("method", ["matmul", "fft", "loop"])
@pytest.mark.parametrize("kind, a, b", [
    # 8 end uses: Weibull scale (years) and shape; normal mean and std (years)
    ("weibull", [12.0, 15.0, 10.0, 18.0, 25.0, 15.0, 6.0, 10.0], [2.5, 3.0, 2.0, 3.5, 4.0, 2.2, 1.8, 2.0]),
    ("normal", [12.0, 15.0, 10.0, 18.0, 25.0, 15.0, 6.0, 10.0], [4.0, 5.0, 3.0, 6.0, 5.0, 4.0, 2.0, 3.0]),
])
def test_same_as_flodym(kind, a, b, method):
    """The field's reference implementation gives the same stocks and outflows, to 1e-9."""
    years = np.arange(1950, 2051)
    rng = np.random.default_rng(26)
    # inflows growing from ~1 to ~1000 t a year, with noise, per end use
    inflow = np.exp(np.linspace(0, np.log(1000), len(years)))[None, :] * rng.uniform(0.5, 1.5, (8, len(years)))
    a, b = np.array(a), np.array(b)
    ref_stock, ref_out = _flodym(inflow, years, kind, a, b)
    res = inflow_driven(inflow, Lifetime.of(kind, a, b), years, method=method)
    scale = inflow.max()
    np.testing.assert_allclose(res.stock, ref_stock, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(res.outflow, ref_out, rtol=1e-9, atol=1e-9 * scale)
    # and the stock is not trivially small: the last year's stock is several years of inflow
    assert (res.stock[:, -1] > 2 * inflow[:, -1]).all()


@pytest.mark.parametrize("per_draw", [False, True])
def test_mass_balance_every_end_use_element_year_draw(per_draw):
    years = np.arange(2000, 2051)
    rng = np.random.default_rng(1)
    inflow = rng.uniform(0, 100, (300, 8, len(years)))  # draws × end uses × years
    inflow[:, 3, 10:20] = 0.0  # a gap in sales of one end use: flows still non-negative
    shape = (300, 8) if per_draw else (8,)
    lt = Lifetime.weibull(rng.uniform(3, 30, shape), rng.uniform(1, 5, shape))
    content = {"Nd": rng.uniform(0.2, 0.3, (8,)), "Pr": 0.06, "Dy": rng.uniform(0, 0.05, (8,)), "Tb": 0.005}
    res = inflow_driven(inflow, lt, years, content=content)
    tol = 1e-9 * 100
    for e in content:
        i, o, s = (res.element(e, w) for w in ("inflow", "outflow", "stock"))
        r = i - o - np.diff(s, axis=-1, prepend=0.0)
        assert np.abs(r).max() <= tol, e
        assert o.min() >= 0 and s.min() >= -tol, e
    # every magnet entering use is either still in use or has left: Σ inflow = stock[last] + Σ outflow
    np.testing.assert_allclose(inflow.sum(-1), res.stock[..., -1] + res.outflow.sum(-1), rtol=1e-12)


def test_methods_agree_when_lifetimes_vary_by_draw():
    years = np.arange(1990, 2031)
    rng = np.random.default_rng(2)
    inflow = rng.uniform(0, 50, (40, 3, len(years)))
    lt = Lifetime.normal(rng.uniform(5, 20, (40, 3)), rng.uniform(1, 6, (40, 3)))
    loop = inflow_driven(inflow, lt, years, method="loop")
    for m in ("fft", "matmul"):
        np.testing.assert_allclose(inflow_driven(inflow, lt, years, method=m).outflow, loop.outflow, atol=1e-10)


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: Lifetime.weibull(0.0, 2.0, name="wind"),
     "wind: weibull lifetime scale 0.0 years is not allowed; allowed: a finite number above 0"),
    (lambda: Lifetime.weibull([12.0, 15.0], [2.0, -1.0], name="ev_2w"),
     "ev_2w: weibull lifetime shape -1.0 is not allowed; allowed: a finite number above 0"),
    (lambda: Lifetime.normal(-5.0, 2.0, name="electronics"),
     "electronics: normal lifetime mean -5.0 years is not allowed; allowed: a finite number above 0"),
    (lambda: Lifetime.normal(10.0, 0.0, name="electronics"),
     "electronics: normal lifetime std 0.0 years is not allowed; allowed: a finite number above 0"),
    (lambda: Lifetime.of("gamma", 1.0, 2.0, name="motors"),
     "motors: unknown lifetime distribution 'gamma'; allowed: weibull, normal"),
])
def test_bad_lifetime(make, message):
    with pytest.raises(ModelError) as e:
        make()
    assert str(e.value) == message


def test_sales_series_with_gaps_names_the_years():
    x = np.array([[1.0, np.nan, 2.0, np.nan, 3.0], [1.0, 1.0, 1.0, 1.0, np.nan]])
    with pytest.raises(ModelError) as e:
        inflow_driven(x, Lifetime.weibull(10.0, 2.0), [2020, 2021, 2022, 2023, 2024], name="ev_4w sales")
    assert str(e.value) == "ev_4w sales: the series has gaps in 2021, 2023, 2024; give a value for every year 2020-2024"


def test_negative_inflow_names_the_year():
    with pytest.raises(ModelError, match=r"inflow: -1.0 t in 2021 is not allowed; allowed: a finite number ≥ 0"):
        inflow_driven([1.0, -1.0], Lifetime.weibull(10.0, 2.0), [2020, 2021])


def test_unknown_end_use():
    with pytest.raises(ModelError) as e:
        check_end_uses(["wind_direct_drive", "toaster"], ["ev_2w", "wind_direct_drive"])
    assert str(e.value) == "end use: unknown end use 'toaster'; allowed: ev_2w, wind_direct_drive"


def test_content_outside_unit_interval():
    with pytest.raises(ModelError, match=r"content of Dy: t Dy per t magnet must lie in \[0, 1\]; got 1.5"):
        inflow_driven([1.0], Lifetime.weibull(10.0, 2.0), [2020], content={"Dy": 1.5})


def test_end_uses_from_the_data():
    """The data's end uses and lifetimes, read back from the file itself; an unknown end use is refused."""
    import csv

    from rekit.model.stocks_in_use import end_use_lifetimes, lifetimes_for
    from rekit.paths import data_dir

    with open(data_dir() / "end_uses.csv", newline="", encoding="utf-8") as f:
        rows = {r["end_use"]: r for r in csv.DictReader(f)}
    table = end_use_lifetimes()
    assert list(table) == list(rows)
    for name, row in rows.items():
        assert (table[name].kind, float(table[name].a), float(table[name].b)) == (
            row["lifetime_distribution"], float(row["lifetime_a"]), float(row["lifetime_b"]))
    names = list(rows)[:3]
    lt = lifetimes_for(names, table)
    np.testing.assert_array_equal(lt.a, [float(rows[n]["lifetime_a"]) for n in names])
    with pytest.raises(ModelError) as e:
        lifetimes_for([names[0], "toaster"], table)
    assert str(e.value) == f"end use: unknown end use 'toaster'; allowed: {', '.join(rows)}"


def test_a_data_folder_with_a_bad_lifetime_is_refused(tmp_path):
    """A lifetime of 0 years in a copy of the data is refused, naming the file, the end use and the value."""
    import csv
    import shutil

    from rekit.data.dataset import load
    from rekit.model.stocks_in_use import end_use_lifetimes
    from rekit.paths import data_dir

    shutil.copytree(data_dir(), tmp_path / "data")
    f = tmp_path / "data" / "end_uses.csv"
    with open(f, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["lifetime_a"] = "0"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(ModelError) as e:
        end_use_lifetimes(load(tmp_path / "data"))
    assert str(e.value) == (f"end_uses.csv: end use {rows[0]['end_use']!r}: {rows[0]['lifetime_distribution']} lifetime "
                            f"{'mean' if rows[0]['lifetime_distribution'] == 'normal' else 'scale'} 0.0 years is not allowed; "
                            "allowed: a finite number above 0")


def test_inflow_from_units_by_hand():
    from rekit.model.stocks_in_use import inflow_from_units

    # 1,000,000 vehicles × 1.745 kg = 1,745,000 kg = 1,745 t; 1,200,000 × 1.745 = 2,094 t
    np.testing.assert_allclose(inflow_from_units([1_000_000, 1_200_000], 1.745, [2024, 2025]), [1745.0, 2094.0])
    # per draw: two draws of kg per unit (1.6 and 1.92 kg) → (2, years)
    np.testing.assert_allclose(inflow_from_units([1_000_000, 1_200_000], np.array([1.6, 1.92]), [2024, 2025]),
                               [[1600.0, 1920.0], [1920.0, 2304.0]])
    with pytest.raises(ModelError) as e:
        inflow_from_units([1.0, np.nan, np.nan, 4.0], 1.0, [2020, 2021, 2022, 2023], name="ev_2w registrations")
    assert str(e.value) == "ev_2w registrations: the series has gaps in 2021, 2022; give a value for every year 2020-2023"
    with pytest.raises(ModelError, match=r"ev_4w: kg magnet per unit -1.0 is not allowed; allowed: a finite number ≥ 0"):
        inflow_from_units([1.0], -1.0, [2020], name="ev_4w")
