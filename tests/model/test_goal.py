"""`goal`: the smallest value of one lever that reaches a target, worked by hand, and its refusals."""

from __future__ import annotations

from functools import lru_cache

import pytest

import numpy as np

from rekit.model.deals import load_deals
from rekit.model.goal import LEVERS, goal
from rekit.model.simulation import ModelError, simulate

ALL_HOME = {"deals": {"all_home": {
    "description": "every tonne of IREL's oxide to magnet making in India, with no capacity of its own",
    "shares": {"export": {"value": 0, "source": "assumption: test"}, "toll": {"value": 0, "source": "assumption: test"},
               "domestic": {"value": 1, "source": "assumption: test"}, "stock": "rest"},
}}}


@lru_cache(maxsize=1)
def book():
    return load_deals(ALL_HOME, name="test deals")


def test_domestic_capacity_needed_is_target_times_demand_when_capacity_binds():
    """Central values (draws=0), capacity basis: IREL makes 400 t NdPr oxide in 2025, all of it offered
    to magnet makers in India, enough for about 400 x 2.15 = 860 t of magnets. With capacity K below
    that, K binds: magnets made = K, all from India's own oxide, and nothing is returned, so
    self-sufficiency = K / demand. Demand in 2025 is the official base, 4,010 t magnet. A target of
    0.05 needs K = 0.05 x 4,010 = 200.5 t magnet/yr."""
    g = goal(book(), "all_home", "self_sufficiency", 0.05, 2025, "domestic_capacity", draws=0, basis="capacity")
    assert g.reached and g.rising
    assert g.at_p50 == pytest.approx(200.5, rel=2e-3)  # bisection to 1e-3 of the bracket
    assert g.at_p05 == g.at_p50 == g.at_p95  # one central draw: no band
    assert g.baseline == 0  # the deal has no capacity of its own
    # and the answer does what it says: at that capacity the model gives the target
    res = simulate(book(), ["all_home"], years=(2024, 2025), draws=0, basis="capacity",
                   overrides={"domestic_capacity": g.at_p50})
    assert res.at("self_sufficiency", "all_home", 2025)[0] == pytest.approx(0.05, rel=2e-3)


def test_the_band_brackets_the_median_for_a_rising_metric():
    """With draws, the p95 of self-sufficiency reaches the target first (the smallest capacity), its p05 last."""
    g = goal(book(), "all_home", "self_sufficiency", 0.05, 2025, "domestic_capacity", draws=300, basis="capacity")
    assert g.at_p95 <= g.at_p50 <= g.at_p05
    # self-sufficiency = K / D: the band is the demand draws' band, [4,000, 4,010] t: within 0.25%
    assert g.at_p05 / g.at_p95 == pytest.approx(1.0, abs=0.0025 + 2e-3)


def test_a_falling_metric_reaches_its_target_from_above():
    """Import dependency = (M + R) / D: nothing returned, and imports fill the gap, M = D - K, so it is
    1 - K / D: 0.95 needs the same 200.5 t as a coverage of 0.05."""
    g = goal(book(), "all_home", "import_dependency", 0.95, 2025, "domestic_capacity", draws=0, basis="capacity")
    assert not g.rising
    assert g.at_p50 == pytest.approx(200.5, rel=2e-3)


def test_a_target_out_of_reach_says_so_and_what_limits_it():
    """All of 400 t of oxide makes about 860 t of magnets, 0.21 of 4,010 t: capacity alone cannot give 0.5;
    more oxide (IREL's output) can."""
    g = goal(book(), "all_home", "self_sufficiency", 0.5, 2025, "domestic_capacity", draws=0, basis="capacity")
    assert not g.reached and g.at_p50 is None
    assert 0.19 < g.best < 0.23
    assert "out of reach" in g.sentence()
    assert "irel_output" in g.limit


def test_the_schemes_utilisation_needed_is_what_the_model_then_gives():
    """repm_scheme: magnets made in India rise with each plant's output share. The answer is checked by running
    the model at it: the median of FAO self-sufficiency at the magnet stage reaches the target there, and not
    0.5% of the bracket below it."""
    b = load_deals()
    base = simulate(b, ["repm_scheme"], years=(2024, 2032), draws=300).at("magnet_self_sufficiency", "repm_scheme", 2032)
    full = simulate(b, ["repm_scheme"], years=(2024, 2032), draws=300, overrides={"scheme_utilisation": 1.0})
    target = float(np.median(base) + 0.5 * (np.median(full.at("magnet_self_sufficiency", "repm_scheme", 2032)) - np.median(base)))
    g = goal(b, "repm_scheme", "magnet_self_sufficiency", target, 2032, "scheme_utilisation", draws=300)
    assert g.reached and g.rising and 0 < g.at_p50 < 1
    at = lambda u: float(np.median(simulate(b, ["repm_scheme"], years=(2024, 2032), draws=300,  # noqa: E731
                                            overrides={"scheme_utilisation": u}).at("magnet_self_sufficiency", "repm_scheme", 2032)))
    assert at(g.at_p50) >= target - 1e-12
    assert at(g.at_p50 - 0.005) < target


def test_status_quo_makes_no_magnets_however_large_the_capacity():
    g = goal(load_deals(), "status_quo", "self_sufficiency", 0.1, 2030, "domestic_capacity", draws=0)
    assert not g.reached
    assert "no other lever moves it" in g.limit


@pytest.mark.parametrize("kwargs, fragment", [
    ({"target": 1.5, "metric": "export_share"}, "target: 1.5 is outside the range of export_share (share), [0, 1]"),
    ({"target": -0.1}, "target: -0.1 is outside the range of self_sufficiency"),
    ({"target": float("nan")}, "target: nan is not a finite number"),
    ({"lever": "domestic_capcity"}, "lever 'domestic_capcity' is not known (did you mean 'domestic_capacity'?)"),
    ({"year": 2070}, "year: 2070 is outside the model's span, 2024-2050"),
    ({"metric": "ssr"}, "metric 'ssr' is not known"),
    ({"deal": "toll_mars"}, "unknown deal 'toll_mars'"),
])
def test_bad_input_is_refused(kwargs, fragment):
    args = {"deal": "repm_scheme", "metric": "self_sufficiency", "target": 0.3, "year": 2030,
            "lever": "domestic_capacity", "draws": 10, **kwargs}
    with pytest.raises(ModelError) as exc:
        goal(load_deals(), **args)
    assert fragment in str(exc.value)


def test_every_lever_has_a_unit_and_a_range():
    for name, lever in LEVERS.items():
        assert lever.unit and 0 < lever.first < lever.most, name


# --- the command line (a real `rekit` process) --------------------------------------------------

def rekit(*args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, timeout=300)


def test_rekit_goal_answers_in_a_sentence_and_as_a_row():
    # partner_plant_india: all of IREL's oxide offered to one plant (repm_scheme takes only the 500 t a year IREL
    # assures its beneficiaries, so more output is stocked and cannot raise the coverage)
    p = rekit("goal", "--deal", "partner_plant_india", "--metric", "own_feedstock_coverage", "--target", "0.1", "--year", "2032",
              "--lever", "irel_output", "--draws", "100")
    assert p.returncode == 0, p.stderr
    assert "irel_output of" in p.stdout and "x the production basis" in p.stdout
    p = rekit("goal", "--deal", "partner_plant_india", "--metric", "own_feedstock_coverage", "--target", "0.1", "--year", "2032",
              "--lever", "irel_output", "--draws", "100", "--format", "csv")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0].startswith("deal,metric,unit,target,year,lever,lever_unit,at_p05,at_p50,at_p95")


@pytest.mark.parametrize("args, fragment", [
    (("--lever", "domestic_capcity"), "unknown lever 'domestic_capcity' (did you mean domestic_capacity?)"),
    (("--target", "3", "--metric", "export_share"), "target: 3 is outside the range of export_share (share), [0, 1]"),
    (("--year", "2062",), "year: 2062 is outside the model's span, 2024-2050"),
])
def test_rekit_goal_refuses_bad_input_without_a_traceback(args, fragment):
    base = {"--deal": "repm_scheme", "--metric": "own_feedstock_coverage", "--target": "0.3", "--year": "2032",
            "--lever": "irel_output"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [x for k, v in {**base, **given}.items() for x in (k, v)]
    p = rekit("goal", *argv)
    assert p.returncode == 2, p.stderr
    assert fragment in p.stderr and "Traceback" not in p.stderr
