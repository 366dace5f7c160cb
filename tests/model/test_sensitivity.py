"""Global sensitivity analysis (SALib): the estimator on Ishigami's function, categorical factors worked by
hand, the structural choices by name, indices per year, rank robustness, the assumption flag, bad input."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from rekit.model.deals import load_deals
from rekit.model.sensitivity import Factor, factors, sensitivity
from rekit.model.simulation import ModelError


@lru_cache(maxsize=1)
def book():
    return load_deals()


def test_salib_sobol_on_ishigami_matches_its_analytic_indices():
    """Ishigami & Homma (1990), a = 7, b = 0.1, x_i ~ U[-pi, pi] (Saltelli et al. 2008, The Primer, §4.9):
    V   = a²/8 + b·pi⁴/5 + b²·pi⁸/18 + 1/2 = 6.125 + 1.9482 + 5.2714 + 0.5 = 13.8446
    V1  = (1 + b·pi⁴/5)²/2 = 2.9482²/2 = 4.3459          S1 = 0.3139
    V2  = a²/8 = 6.125                                   S2 = 0.4424
    V13 = b²·pi⁸·(1/18 - 1/50) = 8·b²·pi⁸/225 = 3.3737   S3 = 0
    ST1 = (V1 + V13)/V = 0.5576, ST2 = 0.4424, ST3 = V13/V = 0.2437."""
    from SALib.analyze import sobol
    from SALib.sample import sobol as sampler
    from SALib.test_functions import Ishigami

    a, b = 7.0, 0.1
    V = a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5
    V1, V2, V13 = (1 + b * math.pi**4 / 5) ** 2 / 2, a**2 / 8, 8 * b**2 * math.pi**8 / 225
    assert (V1 / V, V2 / V, (V1 + V13) / V, V13 / V) == pytest.approx((0.3139, 0.4424, 0.5576, 0.2437), abs=1e-4)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    X = sampler.sample(problem, 2**14, calc_second_order=False, seed=1)
    Si = sobol.analyze(problem, Ishigami.evaluate(X, a, b), calc_second_order=False, num_resamples=50, seed=2)
    assert Si["S1"] == pytest.approx([V1 / V, V2 / V, 0.0], abs=0.02)
    assert Si["ST"] == pytest.approx([(V1 + V13) / V, V2 / V, V13 / V], abs=0.02)


def test_a_categorical_factor_maps_a_uniform_draw_to_equally_likely_choices_and_its_share_is_found():
    """A choice of three values {0, 1, 2}, each with probability 1/3, plus x ~ U[0, 1]:
    y = c + x. Var(c) = ((0-1)² + 0 + (2-1)²)/3 = 2/3; Var(x) = 1/12; no interaction.
    S_c = (2/3)/(2/3 + 1/12) = (8/12)/(9/12) = 0.8889, S_x = 0.1111."""
    from SALib.analyze import sobol
    from SALib.sample import sobol as sampler

    f = Factor("choice", "choice", choices=("a", "b", "c"))
    assert list(f.pick(np.array([0.0, 0.33, 0.34, 0.66, 0.67, 0.999999, 1.0]))) == [0, 0, 1, 1, 2, 2, 2]
    problem = {"num_vars": 2, "names": ["choice", "x"], "bounds": [[0.0, 1.0]] * 2}
    X = sampler.sample(problem, 2**13, calc_second_order=False, seed=3)
    c = f.pick(X[:, 0])
    assert np.bincount(c) / len(c) == pytest.approx([1 / 3] * 3, abs=0.01)
    Si = sobol.analyze(problem, c + X[:, 1], calc_second_order=False, num_resamples=50, seed=4)
    assert Si["S1"] == pytest.approx([8 / 9, 1 / 9], abs=0.02)
    assert Si["ST"] == pytest.approx([8 / 9, 1 / 9], abs=0.02)


def test_the_structural_choices_are_factors_by_name_unless_fixed():
    names = [f.name for f in factors(book(), ["repm_scheme"])]
    assert names[:3] == ["production_basis", "demand_basis", "framing"]
    fixed = [f.name for f in factors(book(), ["repm_scheme"], "capacity", "official", "chain")]
    assert not {"production_basis", "demand_basis", "framing"} & set(fixed)
    table = sensitivity(book(), "repm_scheme", "self_sufficiency", 2031, n=64, seed=1)
    structural = table[table["kind"] == "structural"]
    assert set(structural["parameter"]) == {"production_basis", "demand_basis", "framing"}
    assert (structural["source"] == "structural").all()


def test_indices_come_for_every_year_asked_each_ranked():
    table = sensitivity(book(), "repm_scheme", "self_sufficiency", years=(2029, 2032), n=64, seed=2)
    assert sorted(table["year"].unique()) == [2029, 2030, 2031, 2032]
    k = len(factors(book(), ["repm_scheme"]))
    for _, g in table.groupby("year"):
        assert len(g) == k
        assert list(g["rank"]) == list(range(1, k + 1))
        assert (g["ST"].diff().dropna() <= 1e-12).all()
    one = sensitivity(book(), "repm_scheme", "self_sufficiency", 2031, n=64, seed=2)
    assert list(one["year"].unique()) == [2031]


def test_rank_robustness_counts_three_inputs_in_every_resample():
    """Each bootstrap resample puts exactly three inputs in its top three: the shares sum to 3."""
    table = sensitivity(book(), "toll_korea", "self_sufficiency", 2030, n=128, seed=0, basis="capacity",
                        demand="official", framing="chain")
    assert table["top3_share"].between(0, 1).all()
    assert table["top3_share"].sum() == pytest.approx(3.0)


def test_an_unsourced_guess_in_the_top_three_is_flagged():
    """A deal of our own: all of IREL's 400 t of oxide (capacity basis) offered to a partner whose free capacity
    binds, 1,000 t/yr x partner_spare (a 0.1-0.3 guess, source 'assumption'). 400 t of oxide would make about
    860 t of magnets, above the 100-300 t free, so the magnets returned are 1,000 x spare and the coverage is
    1,000 x spare / D: the guess explains all its variance (demand's own range, 4,000-4,010 t, next to none).
    It leads, rests on an assumption, and the table says so."""
    a = lambda v: {"value": v, "source": "assumption: test"}  # noqa: E731
    mine = {"deals": {"toll_capped": {
        "description": "all oxide tolled by a partner whose free capacity binds",
        "shares": {"export": a(0), "toll": a(1), "domestic": a(0), "stock": "rest"},
        "partner_capacity": a(1000), "retained_share": a(0),
        "partner_spare": {"value": 0.2, "low": 0.1, "high": 0.3, "source": "assumption: a guess"}}}}
    table = sensitivity(load_deals(mine, name="test deals"), "toll_capped", "own_feedstock_coverage", 2030, n=128, seed=0,
                        basis="capacity", demand="official", framing="chain")
    top = table.iloc[0]
    assert top["parameter"] == "partner_spare" and top["source"] == "assumption" and bool(top["flag"])
    assert top["ST"] == pytest.approx(1.0, abs=0.1) and top["top3_share"] == 1.0
    assert (table["flag"] == ((table["rank"] <= 3) & table["source"].isin(["assumption", "partly assumption"]))).all()


def test_same_seed_same_table_other_seed_other_table():
    a = sensitivity(book(), "toll_korea", year=2030, method="morris", n=20, seed=3)
    b = sensitivity(book(), "toll_korea", year=2030, method="morris", n=20, seed=3)
    c = sensitivity(book(), "toll_korea", year=2030, method="morris", n=20, seed=4)
    assert a.equals(b)
    assert not a.equals(c)
    assert {"mu_star", "mu_star_conf", "mu", "sigma"} <= set(a.columns)


def test_seed_0_fixes_the_sobol_bootstrap_too():
    """SALib seeds its Sobol bootstrap only for a truthy seed; seed 0 must still repeat exactly."""
    a = sensitivity(book(), "toll_korea", year=2030, method="sobol", n=64, seed=0)
    b = sensitivity(book(), "toll_korea", year=2030, method="sobol", n=64, seed=0)
    assert a.equals(b)


def test_groups_give_one_row_per_group():
    table = sensitivity(book(), "repm_scheme", year=2031, n=64, seed=0, groups=True)
    groups = {f.group for f in factors(book(), ["repm_scheme"])}
    assert set(table["parameter"]) == groups


def test_a_metric_no_input_moves_gives_zeros_not_nan():
    table = sensitivity(book(), "status_quo", "magnets_returned", 2030, n=16, seed=0)
    assert (table[["S1", "ST"]] == 0).all().all()
    assert not table["flag"].any()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"method": "fast"}, "method 'fast' is not allowed; allowed: sobol, morris"),
    ({"metric": "ssr"}, "metric 'ssr' is not known"),
    ({"deal": "toll_mars"}, "unknown deal 'toll_mars'"),
    ({"compare": "toll_japan", "deal": "toll_japan"}, "compare: 'toll_japan' is the deal itself"),
    ({"n": 0}, "n: 0 is not allowed"),
    ({"year": 2070}, "outside the data's reach"),
    ({"demand": "hopes"}, "unknown demand basis 'hopes'"),
    ({"basis": "outptu"}, "unknown production basis 'outptu'"),
    ({"framing": "official"}, "unknown framing 'official'"),
])
def test_bad_input_is_refused_before_anything_runs(kwargs, fragment):
    args = {"deal": "toll_japan", **kwargs}
    with pytest.raises(ModelError) as exc:
        sensitivity(book(), **args)
    assert fragment in str(exc.value)


def test_each_scheme_plant_moves_with_its_factor():
    """The scheme's five plants draw their own keys (scheme_utilisation:L1 … :L5); the analysis moves
    them with the one factor scheme_utilisation. Two designs differing only in that factor's column
    (u = 0.05 against 0.95) give different shares of demand made in India in 2030, while the plants
    still bind (from 2031 the oxide does); if the plants' keys were held at their central values the
    two would be equal."""
    from rekit.model.sensitivity import evaluate

    facs = factors(book(), ["repm_scheme"], basis="output", demand="official", framing="chain")
    names = [f.name for f in facs]
    assert "scheme_utilisation" in names
    X = np.full((2, len(facs)), 0.5)
    X[0, names.index("scheme_utilisation")] = 0.05
    X[1, names.index("scheme_utilisation")] = 0.95
    years = np.arange(2024, 2031)
    y = evaluate(book(), ["repm_scheme"], facs, X, years, "magnet_self_sufficiency", "output", "official", "chain")
    assert y[1, -1] > y[0, -1] > 0
