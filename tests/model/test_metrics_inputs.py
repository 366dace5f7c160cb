"""The ratio metrics take any real numbers, not only floats, and give floats back.

A hand calculation kept exact (fractions.Fraction) or a list of plain numbers goes in; numpy
floats come out, the same values as the float calculation. Each input is converted to float
on its way in: a metric that left one of them as Python objects would return an object array
(or refuse to write into its float result).
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from rekit.model import metrics


def floats(x):
    """The result as a float array, failing if it is not one."""
    assert isinstance(x, np.ndarray) and x.dtype == np.float64, (type(x), getattr(x, "dtype", None))
    return x


def test_china_share_of_exact_quantities():
    # 150 t from China of a 600 t supply: 1/4; nothing supplied: 0
    assert floats(metrics.china_share([F(150), F(0)], [F(600), F(0)])).tolist() == [0.25, 0.0]
    assert floats(metrics.china_share([F(150), F(1)], np.array([600.0, 0.0]))).tolist() == [0.25, 0.0]
    assert floats(metrics.china_share(np.array([150.0, 1.0]), [F(600), F(0)])).tolist() == [0.25, 0.0]
    assert metrics.china_share(F(1, 3), F(2, 3)) == 0.5 and type(metrics.china_share(F(1, 3), F(2, 3))) is float


def test_stock_cover_of_exact_quantities():
    # 500 t against 100 t a year: 5 years; no use: 0
    assert floats(metrics.stock_cover([F(500), F(7)], [F(100), F(0)])).tolist() == [5.0, 0.0]
    assert floats(metrics.stock_cover([F(500), F(7)], np.array([100.0, 0.0]))).tolist() == [5.0, 0.0]
    assert floats(metrics.stock_cover(np.array([500.0, 7.0]), [F(100), F(0)])).tolist() == [5.0, 0.0]


@pytest.mark.parametrize("exact", ["production", "imports", "exports"])
def test_import_reliance_of_exact_quantities(exact):
    # (300 - 100) / (600 + 300 - 100) = 200 / 800 = 0.25; nothing used (0 + 0 - 0): 0
    args = {"production": np.array([600.0, 0.0]), "imports": np.array([300.0, 0.0]), "exports": np.array([100.0, 0.0])}
    args[exact] = [F(int(v)) for v in args[exact]]
    assert floats(metrics.import_reliance(**args)).tolist() == [0.25, 0.0]


@pytest.mark.parametrize("exact", ["production", "imports", "exports", "stock_change"])
def test_net_import_reliance_of_exact_quantities(exact):
    # production 100, imports 60, exports 10, stocks released 50: (60 - 10 + 50) / (100 + 100) = 0.5;
    # a net exporter (imports 10, exports 60, nothing released): NaN
    args = {"production": np.array([100.0, 100.0]), "imports": np.array([60.0, 10.0]),
            "exports": np.array([10.0, 60.0]), "stock_change": np.array([50.0, 0.0])}
    args[exact] = [F(int(v)) for v in args[exact]]
    out = floats(metrics.net_import_reliance(**args))
    assert out[0] == 0.5 and np.isnan(out[1])
