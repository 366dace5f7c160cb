"""The structural grid and the envelope across it (rekit.model.scenarios), checked by hand and against numpy."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from rekit.model.deals import FRAMINGS, load_deals
from rekit.model.scenarios import ALIKE, envelope, grid, run_grid, scenarios
from rekit.model.simulation import ModelError, simulate


@lru_cache(maxsize=1)
def book():
    return load_deals()


def test_the_grid_is_every_combination_of_the_books_choices():
    b = book()
    grid_ = scenarios(b)
    assert len(grid_) == len(b.bases) * len(b.demands) * len(FRAMINGS)
    assert {(s.production, s.demand, s.framing) for s in grid_} == {
        (p, d, f) for p in b.bases for d in b.demands for f in FRAMINGS}


def test_grid_frame_has_one_row_per_deal_scenario_year_and_metric():
    table = grid(book(), ["repm_scheme", "toll_japan"], years=(2024, 2026), draws=50, seed=1,
                 demands=["official", "imports"], metrics=["self_sufficiency", "magnet_demand"])
    s = len(book().bases) * 2 * len(FRAMINGS)
    # repm_scheme has no partner (one value, none); toll_japan three partner alternatives (plants, home, national)
    assert len(table) == (1 + 3) * s * 3 * 2  # (deal, partner alternative) x scenarios x years x metrics
    assert list(table.columns) == ["deal", "year", "metric", "unit", "production", "demand", "framing", "partner",
                                   "p05", "p50", "p95"]
    assert set(table[table["deal"] == "repm_scheme"]["partner"]) == {"none"}
    assert set(table[table["deal"] == "toll_japan"]["partner"]) == {"plants", "home", "national"}
    assert (table["p05"] <= table["p50"]).all() and (table["p50"] <= table["p95"]).all()


def test_each_scenarios_quantiles_are_those_of_its_own_run():
    table = grid(book(), ["repm_scheme"], years=(2024, 2031), draws=200, seed=3, productions=["capacity"],
                 demands=["imports"], framings=["officials"], metrics=["self_sufficiency"])
    res = simulate(book(), ["repm_scheme"], years=(2024, 2031), draws=200, seed=3, basis="capacity", demand="imports",
                   framing="officials")
    draws = res.at("self_sufficiency", "repm_scheme", 2031)
    row = table[table["year"] == 2031].iloc[0]
    assert (row["production"], row["demand"], row["framing"]) == ("capacity", "imports", "officials")
    assert np.allclose([row["p05"], row["p50"], row["p95"]], np.percentile(draws, [5, 50, 95]), rtol=1e-12)


def test_envelope_pools_every_scenarios_draws_with_equal_weight():
    chosen = dict(productions=["output", "capacity"], demands=["official", "imports"], framings=["chain"])
    env = envelope(book(), ["toll_japan"], years=(2024, 2030), draws=300, seed=5, metrics=["self_sufficiency"],
                   partners=["plants"], **chosen)
    pooled, medians = [], {}
    for sc in scenarios(book(), **chosen):
        res = simulate(book(), ["toll_japan"], years=(2024, 2030), draws=300, seed=5, basis=sc.production,
                       demand=sc.demand, framing=sc.framing)
        d = res.at("self_sufficiency", "toll_japan", 2030)
        pooled.append(d)
        medians[sc.label_for(True)] = np.median(d)  # toll_japan names partners: its labels say partner=plants
    row = env[env["year"] == 2030].iloc[0]
    want = np.percentile(np.concatenate(pooled), [5, 95])  # 4 scenarios x 300 draws, each draw weight 1/1200
    # the pool is held in float32: 7 significant digits
    assert np.allclose([row["envelope_p05"], row["envelope_p95"]], want, rtol=1e-6)
    assert row["low_scenario"] == min(medians, key=medians.get)
    assert row["high_scenario"] == max(medians, key=medians.get)


def test_the_demand_envelope_spans_imports_to_the_official_requirement():
    """Central values (draws=0): one draw a scenario. Demand in 2025 is the demand basis's base:
    imports 700 t, official 4,010 t (the official's figure). Pooled [700, 4010], numpy's linear
    quantile: p05 = 700 + 0.05 x (4010 - 700) = 700 + 165.5 = 865.5; p95 = 700 + 0.95 x 3310 = 3,844.5."""
    env = envelope(book(), ["status_quo"], years=(2025, 2025), draws=0, productions=["output"],
                   demands=["imports", "official"], framings=["chain"], metrics=["magnet_demand"])
    row = env.iloc[0]
    assert row["envelope_p05"] == pytest.approx(865.5)
    assert row["envelope_p95"] == pytest.approx(3844.5)
    assert "demand=imports" in row["low_scenario"] and "demand=official" in row["high_scenario"]


def test_no_end_is_named_where_no_choice_moves_the_median():
    """status_quo tolls nothing: magnets returned are 0 in every scenario, so neither end has a scenario."""
    env = envelope(book(), ["status_quo"], years=(2030, 2030), draws=20, metrics=["magnets_returned"])
    row = env.iloc[0]
    assert row["envelope_p05"] == row["envelope_p95"] == 0
    assert row["low_scenario"] == row["high_scenario"] == "all scenarios alike"


def test_framing_moves_magnets_per_oxide_by_the_officials_ratio():
    """Magnets made at home from a tonne of oxide: the chain gives about 2.15 t, the officials about 3 t:
    the officials' framing gives more own magnets than the chain in every year the scheme runs."""
    g = run_grid(book(), ["repm_scheme"], years=(2031, 2031), draws=0, productions=["output"], demands=["official"],
                 metrics=["magnets_domestic"], keep_envelope=False).frame().set_index("framing")
    chain, officials = g.loc["chain", "p50"], g.loc["officials", "p50"]
    assert chain > 0
    assert 1.2 < officials / chain < 1.6  # 3 / 2.15 = 1.40


def test_summary_quantiles_equal_numpys_for_every_metric_constant_rows_included():
    """summary() reads quantiles off constant rows directly and sorts the rest: the same numbers as numpy."""
    res = simulate(book(), ["status_quo", "repm_scheme", "toll_korea"], years=(2024, 2032), draws=301, seed=9)
    table = res.summary().set_index(["deal", "metric", "year"]).sort_index()
    constant = 0
    for m in res.arrays:
        a = np.asarray(res.arrays[m])
        constant += int((a.min(axis=-1) == a.max(axis=-1)).sum())
        want = np.percentile(a, [5, 50, 95], axis=-1)  # (3, deals, years)
        for i, d in enumerate(res.deals):
            got = table.loc[(d, m)][["p05", "p50", "p95"]].to_numpy().T
            np.testing.assert_allclose(got, want[:, i], rtol=1e-12, atol=1e-12)
    assert constant > 0  # the shortcut was taken


@pytest.mark.parametrize("kwargs, fragment", [
    ({"productions": ["outptu"]}, "unknown production basis 'outptu' (did you mean 'output'?)"),
    ({"demands": ["offical"]}, "unknown demand basis 'offical' (did you mean 'official'?)"),
    ({"framings": ["officals"]}, "unknown framing 'officals' (did you mean 'officials'?)"),
    ({"metrics": ["self_suficiency"]}, "metric 'self_suficiency' is not known"),
    ({"deals": ["toll_mars"]}, "unknown deal 'toll_mars'"),
])
def test_unknown_names_are_refused_with_a_hint(kwargs, fragment):
    args = {"deals": ["toll_japan"], "draws": 10, **kwargs}
    with pytest.raises(ModelError) as exc:
        grid(book(), **args)
    assert fragment in str(exc.value)


# --- the command line (a real `rekit` process) --------------------------------------------------

def rekit(*args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, timeout=300)


def test_simulate_grid_csv_writes_one_tidy_row_per_deal_scenario_year_and_metric():
    import io

    import pandas as pd

    p = rekit("simulate", "--grid", "--format", "csv", "--deal", "repm_scheme", "--years", "2030-2031", "--draws", "50",
              "--metric", "own_feedstock_coverage")
    assert p.returncode == 0, p.stderr
    table = pd.read_csv(io.StringIO(p.stdout))
    assert list(table.columns) == ["deal", "year", "metric", "unit", "production", "demand", "framing", "partner",
                                   "p05", "p50", "p95", "data_version"]
    b = book()
    assert len(table) == len(b.bases) * len(b.demands) * len(FRAMINGS) * 2  # scenarios x 2 years, one deal and metric
    assert set(table["partner"]) == {"none"}  # repm_scheme names no partner
    assert set(table["production"]) == set(b.bases) and set(table["demand"]) == set(b.demands)


def test_simulate_csv_rows_carry_the_envelope_around_their_own_band():
    import io

    import pandas as pd

    p = rekit("simulate", "--format", "csv", "--deal", "repm_scheme", "--years", "2030-2030", "--draws", "100",
              "--metric", "own_feedstock_coverage")
    assert p.returncode == 0, p.stderr
    row = pd.read_csv(io.StringIO(p.stdout)).iloc[0]
    # the default scenario is one of the pooled ones: its median lies inside the envelope
    assert row["envelope_p05"] <= row["p50"] <= row["envelope_p95"]
    assert row["low_scenario"].startswith("production=") and row["high_scenario"].startswith("production=")


@pytest.mark.parametrize("args, fragment", [
    (("simulate", "--grid", "--metric", "own_feedstock_covrage"), "did you mean own_feedstock_coverage"),
    (("simulate", "--grid", "--years", "2024-2050", "--draws", "10000000"), "draws in each of"),
    (("simulate", "--grid", "--basis", "capacity"), "--basis: --grid runs every production basis, demand basis, framing and "
                                                    "partner alternative"),
    (("simulate", "--grid", "--jobs", "0"), "--jobs: 0 is not allowed; give a whole number >= 1"),
    (("simulate", "--jobs", "2"), "--jobs: runs the scenarios of --grid on an executor; give it with --grid"),
    (("simulate", "--partner", "hom"), "(did you mean home?)"),
    (("simulate", "--deal", "status_quo", "--partner", "home"), "partner alternative 'home' applies to none of the deals"),
    (("simulate", "--grid", "--demand", "imports", "--framing", "officials"), "leave out --demand and --framing"),
])
def test_bad_grid_input_is_refused_without_a_traceback(args, fragment):
    p = rekit(*args)
    assert p.returncode == 2, p.stderr
    assert fragment in p.stderr and "Traceback" not in p.stderr


def test_simulate_table_shows_the_envelope_and_the_choice_at_each_end():
    p = rekit("simulate", "--deal", "toll_korea", "--years", "2029-2029", "--draws", "20", "--metric", "magnets_returned")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["deal", "year"])
    assert header.split() == ["deal", "year", "median", "p05", "p95", "envelope", "p05", "envelope", "p95", "lowest", "with",
                              "highest", "with"]
    row = next(line for line in lines if line.startswith("toll_korea")).split()
    median, env_lo, env_hi = float(row[2]), float(row[5]), float(row[6])
    assert env_lo <= median <= env_hi
    # each end named production/demand/framing/partner: toll_korea names a partner (alternatives plants, home)
    for end in row[-2:]:
        production, demand, framing, partner = end.split("/")
        assert partner in ("plants", "home") and framing in FRAMINGS


def test_medians_equal_but_for_the_last_digits_name_no_end():
    # status_quo sends a fixed share of IREL's NdPr oxide abroad, so its export share (exports / output) is the
    # same ratio whatever the production path: no structural choice moves it. Sums taken over other paths differ
    # only in the last digits (2026 and 2028-30 used to name "targets" and "plan_2030" as the ends).
    e = envelope(book(), ["status_quo"], years=(2024, 2030), draws=100, seed=0, metrics=["export_share"])
    assert set(e["low_scenario"]) == {ALIKE} and set(e["high_scenario"]) == {ALIKE}
