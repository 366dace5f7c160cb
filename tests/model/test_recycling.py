"""Recycling of end-of-life magnets: known values by hand, the capacity ramp and the scheme's lever,
balances, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rekit.model.recycling import RECYCLING_SCHEME, ramp, recycle, scheme_capacity
from rekit.model.stocks_in_use import ModelError
from rekit.model.stocks_in_use import Lifetime, inflow_driven

USES = ("ev_4w", "wind")
YEARS = [2030, 2031]
EOL = [[100.0, 200.0], [50.0, 0.0]]  # t magnet leaving use: ev_4w, wind × 2030, 2031
CONTENT = {"Nd": 0.24, "Pr": 0.06, "Dy": np.array([0.03, 0.02]), "Tb": 0.005}
RECOVERY = {"Nd": 0.9, "Pr": 0.9, "Dy": 0.8, "Tb": 0.8}
COLLECTION = {"ev_4w": 0.5, "wind": 0.8}


def run(**kw):
    args = dict(eol=EOL, end_uses=USES, years=YEARS, content=CONTENT, collection=COLLECTION, dismantling=0.9,
                recovery=RECOVERY)
    return recycle(**{**args, **kw})


def test_by_hand_without_capacity_limit():
    r = run()
    # collected: ev 100·0.5 = 50, 200·0.5 = 100; wind 50·0.8 = 40, 0 → liberated ×0.9: ev 45, 90; wind 36, 0
    np.testing.assert_allclose(r.collected, [[50, 100], [40, 0]])
    np.testing.assert_allclose(r.processed, [[45, 90], [36, 0]])
    np.testing.assert_allclose(r.not_collected, [[50, 100], [10, 0]])
    np.testing.assert_allclose(r.dismantling_loss, [[5, 10], [4, 0]])
    # Nd: 0.24·(45 + 36) = 19.44 and 0.24·90 = 21.6 held; ×0.9 recovered = 17.496, 19.44
    np.testing.assert_allclose(r.recovered["Nd"], [17.496, 19.44])
    np.testing.assert_allclose(r.process_loss["Nd"], [1.944, 2.16])
    # Dy: 45·0.03 + 36·0.02 = 1.35 + 0.72 = 2.07 and 90·0.03 = 2.7; ×0.8 = 1.656, 2.16
    np.testing.assert_allclose(r.recovered["Dy"], [1.656, 2.16])
    # NdPr oxide: Nd / (288.484/336.481) + Pr / (845.44596/1021.43496); Pr 0.06·81·0.9 = 4.374 in 2030
    # 17.496·336.481/288.484 = 20.4065 ; 4.374·1021.43496/845.44596 = 5.2845 ; sum 25.6910
    np.testing.assert_allclose(r.ndpr_oxide()[0], 17.496 * 336.481 / 288.484 + 4.374 * 1021.43496 / 845.44596,
                               rtol=1e-4)
    assert r.ndpr_oxide()[0] == pytest.approx(25.691, abs=1e-3)


def test_capacity_shared_pro_rata():
    r = run(capacity=[60.0, 120.0])
    # 2030: 81 t liberated, 60 t capacity → each end use 60/81 of its own: ev 45·60/81 = 33.333, wind 36·60/81 = 26.667
    # 2031: 90 t ≤ 120 t → all processed
    np.testing.assert_allclose(r.processed, [[100 / 3, 90], [80 / 3, 0]])
    np.testing.assert_allclose(r.over_capacity, [[45 - 100 / 3, 0], [36 - 80 / 3, 0]])
    # Dy 2030: 33.333·0.03 + 26.667·0.02 = 1.0 + 0.5333 = 1.5333, ×0.8 = 1.22667; Nd: 60·0.24·0.9 = 12.96
    np.testing.assert_allclose(r.recovered["Dy"][0], 1.5333333 * 0.8, rtol=1e-6)
    np.testing.assert_allclose(r.recovered["Nd"], [12.96, 19.44])


def test_recycles_the_stock_models_outflow_over_draws():
    years = np.arange(2000, 2051)
    rng = np.random.default_rng(3)
    inflow = rng.uniform(0, 100, (50, 2, len(years)))
    eol = inflow_driven(inflow, Lifetime.weibull([12.0, 22.0], [2.5, 3.5]), years).outflow
    r = recycle(eol, USES, years, CONTENT, {"ev_4w": rng.uniform(0.3, 0.9, 50), "wind": 0.9}, 0.95, RECOVERY,
                capacity=ramp(years, {2030: 0, 2040: 500}))
    assert r.recovered["Nd"].shape == (50, len(years))
    # no capacity before 2030: nothing recovered; after, never more than 500 t magnet processed a year
    assert (r.recovered["Nd"][:, years < 2030] == 0).all()
    assert r.processed.sum(axis=-2).max() <= 500 * (1 + 1e-12)
    # what enters recycling is accounted for: eol = not collected + dismantling loss + over capacity + processed
    np.testing.assert_allclose(eol, r.not_collected + r.dismantling_loss + r.over_capacity + r.processed, rtol=1e-12)


def test_ramp_and_scheme_capacity():
    # linear between points, flat beyond: 2024 → 0 (before), 2028 → 250, 2035 → 500
    np.testing.assert_allclose(ramp([2024, 2026, 2028, 2030, 2035], {2026: 0, 2030: 500}), [0, 0, 250, 500, 500])
    # FY2025-26 … FY2030-31: 0 in 2025 rising to 1% of 270 kt = 2,700 t by 2031; 2028 is 3/6 of the way: 1,350 t
    cap = scheme_capacity([2024, 2025, 2028, 2031, 2040], 0.01)
    np.testing.assert_allclose(cap, [0, 0, 1350, 2700, 2700])
    assert RECYCLING_SCHEME.years == (2025, 2031)
    assert RECYCLING_SCHEME.sources["ndfeb_share"] == "not reported as of 2026-12-03"


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, message", [
    (dict(collection={"ev_4w": 1.2, "wind": 0.8}), "collection rate of ev_4w: 1.2 is not allowed; allowed: a share from 0 to 1"),
    (dict(recovery={**RECOVERY, "Dy": -0.1}),
     "recovery rate of Dy (hydrometallurgical): -0.1 is not allowed; allowed: a share from 0 to 1"),
    (dict(dismantling=float("nan")), "dismantling rate: nan is not allowed; allowed: a share from 0 to 1"),
    (dict(collection={"ev_4w": 0.5, "wind": 0.8, "toaster": 0.1}), "collection: unknown end use 'toaster'; allowed: ev_4w, wind"),
    (dict(collection={"ev_4w": 0.5}), "collection: no rate given for end use 'wind'; give one for each of ev_4w, wind"),
    (dict(route="smelting"), "route 'smelting' is not a recycling route; allowed: hydrometallurgical, magnet_to_magnet"),
    (dict(recovery={"Nd": 0.9, "Pr": 0.9, "Dy": 0.8}), "recovery: no value for Tb; give one for each of Nd, Pr, Dy, Tb"),
])
def test_bad_input(kw, message):
    with pytest.raises(ModelError) as e:
        run(**kw)
    assert str(e.value) == message


def test_scheme_share_outside_unit_interval():
    with pytest.raises(ModelError) as e:
        scheme_capacity([2025, 2031], 1.5)
    assert str(e.value) == "ndfeb_share of the recycling scheme's capacity: 1.5 is not allowed; allowed: a share from 0 to 1"


def test_scheme_terms_are_the_datas():
    """Each term of RECYCLING_SCHEME is the value of the observation it names, read from the data file."""
    import csv

    from rekit.paths import data_dir

    with open(data_dir() / "observations.csv", newline="", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    s = RECYCLING_SCHEME
    for term, value in [("outlay", s.outlay_crore_inr), ("capacity", s.expected_capacity_kt * 1000),
                        ("production", s.expected_production_kt * 1000), ("capex_subsidy", s.capex_subsidy),
                        ("period", s.years[1] - s.years[0])]:
        obs = s.sources[term].removeprefix("obs:")
        assert float(rows[obs]["value"]) == value, term
