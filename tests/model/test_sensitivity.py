"""Global sensitivity analysis (SALib): ranking, determinism, groups, two-deal differences, bad input."""

from __future__ import annotations

from functools import lru_cache

import pytest

from rekit.model.deals import load_deals
from rekit.model.sensitivity import factors, sensitivity
from rekit.model.simulation import ModelError


@lru_cache(maxsize=1)
def book():
    return load_deals()


def test_sobol_ranks_every_ranged_input_and_the_scheme_capacity_leads():
    table = sensitivity(book(), "repm_scheme", "self_sufficiency", 2030, method="sobol", n=128, seed=1)
    keys = [k for k, _, _ in factors(book(), ["repm_scheme"], "reported", None)]
    assert sorted(table["parameter"]) == sorted(keys)  # one row per ranged input
    assert list(table.columns) == ["parameter", "group", "S1", "S1_conf", "ST", "ST_conf"]
    # in 2030 the plants are still ramping (0 t/yr in 2028 to 3,000-6,000 in 2031): their capacity decides
    assert table.iloc[0]["parameter"] == "domestic_capacity"
    assert table.iloc[0]["ST"] > 0.3
    assert (table["ST"].diff().dropna() <= 1e-12).all()  # ranked by ST


def test_same_seed_same_table_other_seed_other_table():
    a = sensitivity(book(), "toll_korea", method="morris", n=20, seed=3)
    b = sensitivity(book(), "toll_korea", method="morris", n=20, seed=3)
    c = sensitivity(book(), "toll_korea", method="morris", n=20, seed=4)
    assert a.equals(b)
    assert not a.equals(c)


def test_seed_0_fixes_the_sobol_bootstrap_too():
    """SALib seeds its Sobol bootstrap only for a truthy seed; seed 0 must still repeat exactly."""
    a = sensitivity(book(), "toll_korea", method="sobol", n=64, seed=0)
    b = sensitivity(book(), "toll_korea", method="sobol", n=64, seed=0)
    assert a.equals(b)


def test_the_difference_between_two_deals_is_moved_by_the_partners_terms():
    table = sensitivity(book(), "toll_korea", "self_sufficiency", 2030, method="morris", n=30, seed=0, compare="toll_japan")
    # Korea's free capacity binds and Japan's does not: the spare share moves the gap most
    assert table.iloc[0]["parameter"] == "partner_spare"
    assert list(table.columns) == ["parameter", "group", "mu_star", "mu_star_conf", "mu", "sigma"]


def test_groups_give_one_row_per_group():
    table = sensitivity(book(), "repm_scheme", n=64, seed=0, groups=True)
    groups = {g for _, g, _ in factors(book(), ["repm_scheme"], "reported", None)}
    assert set(table["parameter"]) == groups
    assert (table["parameter"] == table["group"]).all()


def test_a_metric_no_input_moves_gives_zeros_not_nan():
    table = sensitivity(book(), "status_quo", "magnets_returned", 2030, n=16, seed=0)
    assert (table[["S1", "ST"]] == 0).all().all()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"method": "fast"}, "method 'fast' is not allowed; allowed: sobol, morris"),
    ({"metric": "ssr"}, "metric 'ssr' is not known"),
    ({"deal": "toll_mars"}, "unknown deal 'toll_mars'"),
    ({"compare": "toll_japan", "deal": "toll_japan"}, "compare: 'toll_japan' is the deal itself"),
    ({"n": 0}, "n: 0 is not allowed"),
    ({"year": 2070}, "outside the data's reach"),
    ({"demand": "hopes"}, "unknown demand basis 'hopes'"),
])
def test_bad_input_is_refused_before_anything_runs(kwargs, fragment):
    args = {"deal": "toll_japan", **kwargs}
    with pytest.raises(ModelError) as exc:
        sensitivity(book(), **args)
    assert fragment in str(exc.value)
