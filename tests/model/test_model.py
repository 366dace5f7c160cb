"""The partner-deal model: known values from the data, mass balance, determinism, and bad deals."""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekit.data.dataset import load
from rekit.model.deals import DealError, load_deals
from rekit.model.simulation import METRICS, ModelError, simulate


@lru_cache(maxsize=1)
def dataset():
    return load()


@lru_cache(maxsize=1)
def book():
    return load_deals(ds=dataset())


def user_book(tmp_path, deals: dict, name="mine.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"deals": deals}, sort_keys=False))
    return load_deals(path, ds=dataset())


def assumption(x):
    return {"value": x, "source": "assumption: test"}


def shares(export=0.0, toll=0.0, domestic=0.0):
    return {"export": assumption(export), "toll": assumption(toll), "domestic": assumption(domestic), "stock": "rest"}


# --- known values -----------------------------------------------------------------------------

def test_status_quo_2024_export_share_is_japan_shipments_over_irel_production():
    ds = dataset()
    shipped = ds.series("re_exports", entity="IREL", partner="Japan", status="reported")["value"].iloc[0]
    produced = ds.series("re_production", entity="IREL", status="reported")
    produced = produced[produced["period"] == "2024"]["value"].iloc[0]
    res = simulate(book(), ["status_quo"], years=(2024, 2026), draws=0)
    assert res.at("export_share", "status_quo", 2024)[0] == pytest.approx(shipped / produced, rel=1e-6)


def test_export_halt_exports_nothing_from_2025():
    res = simulate(book(), ["export_halt"], years=(2024, 2030), draws=200)
    assert res.at("export_share", "export_halt", 2024).min() > 0
    for year in range(2025, 2031):
        assert np.all(res.at("exports", "export_halt", year) == 0)
        assert np.all(res.at("self_sufficiency", "export_halt", year) == 0)


def test_tolling_returns_magnets_less_the_partners_share():
    res = simulate(book(), ["toll_japan"], years=(2024, 2035), draws=0)
    tolled = res.at("tolled", "toll_japan", 2030)[0]
    returned = res.at("magnets_returned", "toll_japan", 2030)[0]
    kept = res.at("magnets_kept_by_partner", "toll_japan", 2030)[0]
    d = book().get("toll_japan")
    eta = d.params["eta_metal"].quantities[0].value * d.params["eta_magnet"].quantities[0].value
    w = d.params["w_nd"].quantities[0].value
    assert tolled > 0
    assert returned + kept == pytest.approx(tolled * eta / w)
    r = d.params["retained_share"].draw("retained_share", 0, 0, np.array([2030]))[0, 0]
    assert kept / (returned + kept) == pytest.approx(r)


def test_domestic_making_is_capped_by_capacity_and_the_excess_is_stocked(tmp_path):
    b = user_book(tmp_path, {"tiny_plant": {
        "description": "all oxide to a plant of 10 t/yr",
        "shares": shares(domestic=1.0),
        "domestic_capacity": assumption(10),
    }})
    res = simulate(b, ["tiny_plant"], years=(2026, 2027), draws=0)
    assert res.at("magnets_domestic", "tiny_plant", 2026)[0] == pytest.approx(10)
    assert res.at("stocked", "tiny_plant", 2026)[0] > 0


def test_every_preset_answers_and_all_metrics_are_present():
    b = book()
    assert {"status_quo", "export_halt", "toll_japan", "toll_korea", "partner_plant_india", "repm_scheme"} <= set(b.deals)
    res = simulate(b, list(b.deals), years=(2024, 2050), draws=100)
    table = res.summary()
    assert set(table["metric"]) == set(METRICS)
    assert set(table["deal"]) == set(b.deals)
    assert {"p05", "p50", "p95", "mean", "unit"} <= set(table.columns)
    ordered = table.dropna(subset=["p05"])
    assert (ordered["p05"] <= ordered["p50"] + 1e-9).all() and (ordered["p50"] <= ordered["p95"] + 1e-9).all()


def test_every_basis_gives_a_production_path():
    b = book()
    assert {"reported", "targets", "plan_2030"} <= set(b.bases)
    for basis in b.bases:
        res = simulate(b, ["status_quo"], years=(2024, 2035), draws=50, basis=basis)
        assert (res.arrays["production"] > 0).all()


def test_uncertainty_gives_bands_not_a_line():
    res = simulate(book(), ["repm_scheme"], years=(2024, 2035), draws=500)
    ssr = res.at("self_sufficiency", "repm_scheme", 2032)
    assert ssr.max() > ssr.min()


# --- determinism ------------------------------------------------------------------------------

def test_same_seed_same_output_other_seed_other_output():
    names = list(book().deals)
    a = simulate(book(), names, draws=300, seed=7).summary()
    b = simulate(book(), names, draws=300, seed=7).summary()
    c = simulate(book(), names, draws=300, seed=8).summary()
    assert a.equals(b)
    assert not a.equals(c)


def test_adding_a_deal_does_not_change_another_deals_draws():
    one = simulate(book(), ["toll_japan"], draws=200, seed=3)
    two = simulate(book(), ["status_quo", "toll_japan"], draws=200, seed=3)
    assert np.array_equal(one.at("self_sufficiency", "toll_japan", 2030), two.at("self_sufficiency", "toll_japan", 2030))


# --- properties -------------------------------------------------------------------------------

share_triples = st.tuples(*(st.floats(0, 1, allow_nan=False) for _ in range(3))).map(
    lambda t: tuple(x / max(1.0, sum(t)) * 0.999 for x in t))
unit_interval = st.floats(0.01, 1.0, allow_nan=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=share_triples, r=st.floats(0, 1), eta_metal=unit_interval, eta_magnet=unit_interval, w=unit_interval,
       partner=st.floats(0, 1e5), domestic=st.floats(0, 1e5), draws=st.integers(0, 20))
def test_mass_balance_and_shares_hold_for_any_valid_deal(tmp_path, s, r, eta_metal, eta_magnet, w, partner, domestic, draws):
    deal = {
        "description": "generated",
        "shares": shares(*s),
        "retained_share": assumption(r),
        "eta_metal": assumption(eta_metal),
        "eta_magnet": assumption(eta_magnet),
        "w_nd": assumption(w),
        "partner_capacity": assumption(partner),
        "domestic_capacity": assumption(domestic),
    }
    b = user_book(tmp_path, {"generated": deal})
    res = simulate(b, ["generated"], years=(2024, 2040), draws=draws)  # raises MassBalanceError if flows do not close
    a = res.arrays
    assert np.allclose(a["production"], a["exports"] + a["tolled"] + a["domestic"] + a["stocked"])
    for flow in ("exports", "tolled", "domestic", "stocked", "losses", "magnets_own"):
        assert (a[flow] >= -1e-9).all()
    assert ((a["export_share"] >= 0) & (a["export_share"] <= 1)).all()


# --- bad input --------------------------------------------------------------------------------

def test_unknown_deal_lists_the_valid_names():
    with pytest.raises(DealError, match="unknown deal 'toll_mars'.*status_quo"):
        simulate(book(), ["toll_mars"])


@pytest.mark.parametrize("deal, fragment", [
    ({"description": "x", "shares": {"export": assumption(0.5), "toll": assumption(0.3), "domestic": assumption(0), "stock": assumption(0)}},
     "deal 'bad', key 'shares': shares do not close to 1: export 0.5 + toll 0.3 + domestic 0 + stock 0 = 0.8"),
    ({"description": "x", "eta_metal": assumption(1.2)}, "key 'eta_metal': value 1.2 is outside (0, 1]"),
    ({"description": "x", "eta_magnet": assumption(0)}, "key 'eta_magnet': value 0 is outside (0, 1]"),
    ({"description": "x", "domestic_capacity": assumption(-100)}, "key 'domestic_capacity': value -100 is outside [0, inf]"),
    ({"description": "x", "retained_shar": assumption(0.2)}, "deal 'bad': unknown key 'retained_shar' (did you mean 'retained_share'?)"),
    ({"description": "x", "w_nd": 0.25}, "key 'w_nd': value 0.25 needs a source"),
    ({"description": "x", "w_nd": {"value": 0.25}}, "key 'w_nd': value 0.25 has no source"),
    ({"description": "x", "w_nd": {"obs": "no_such_row"}}, "obs 'no_such_row' is not an id"),
    ({"shares": shares()}, "key 'description' is missing"),
])
def test_bad_deals_are_named_by_deal_key_and_value(tmp_path, deal, fragment):
    with pytest.raises(DealError) as exc:
        user_book(tmp_path, {"bad": deal})
    assert fragment in str(exc.value)
    assert "mine.yml" in str(exc.value)


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("deals:\n  x:\n    description: [unclosed\n")
    with pytest.raises(DealError, match=r"broken.yml: line \d+, column \d+: not valid YAML"):
        load_deals(path, ds=dataset())


def test_a_user_deal_may_not_silently_replace_a_bundled_one(tmp_path):
    with pytest.raises(DealError, match="'status_quo' already exists"):
        user_book(tmp_path, {"status_quo": {"description": "x"}})


@pytest.mark.parametrize("kwargs, fragment", [
    ({"years": (2035, 2024)}, "reversed"),
    ({"years": (2010, 2030)}, "outside the data's reach"),
    ({"years": (2024, 2080)}, "outside the data's reach"),
    ({"draws": -1}, "draws: -1 is not allowed"),
    ({"overrides": {"eta_metal": 0.0}}, "eta_metal: 0 is outside (0, 1]"),
    ({"overrides": {"demand_base": 0.0}}, "magnet demand is zero"),
])
def test_bad_model_arguments(kwargs, fragment):
    with pytest.raises(ModelError) as exc:
        simulate(book(), ["toll_japan"], **kwargs)
    assert fragment in str(exc.value)


# --- command line -----------------------------------------------------------------------------

def rekit(*args):
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True)


def test_cli_simulate_csv_has_one_row_per_deal_year_metric_with_quantiles():
    out = rekit("simulate", "--deal", "status_quo", "--deal", "toll_korea", "--years", "2024-2030", "--draws", "200", "--format", "csv")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "deal,year,metric,unit,mean,p05,p50,p95"
    assert len(lines) - 1 == 2 * 7 * len(METRICS)


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "--deal", "toll_mars"], "unknown deal 'toll_mars'"),
    (["simulate", "--draws", "0"], "--draws: 0 is not allowed"),
    (["simulate", "--years", "2030-2024"], "reversed"),
    (["simulate", "--basis", "hopes"], "unknown production basis 'hopes'; allowed: reported"),
])
def test_cli_bad_input_exits_non_zero_with_a_message(args, fragment):
    out = rekit(*args)
    assert out.returncode == 2
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_deals_lists_every_preset():
    out = rekit("deals")
    assert out.returncode == 0
    for name in book().deals:
        assert name in out.stdout


def test_quantiles_from_one_sort_match_numpy():
    from rekit.model.simulation import sorted_quantiles

    x = np.random.default_rng(1).normal(size=(3, 4, 1001))
    for n in (1, 2, 1001):
        got = sorted_quantiles(np.sort(x[..., :n], axis=-1), [0.05, 0.5, 0.95])
        np.testing.assert_allclose(got, np.quantile(x[..., :n], [0.05, 0.5, 0.95], axis=-1))


def test_summary_is_computed_once_and_callers_get_their_own_copy():
    res = simulate(book(), ["toll_japan"], years=(2024, 2030), draws=100)
    first = res.summary()
    first.loc[:, "p50"] = -1.0  # a caller changing its table does not change the result's
    again = res.summary()
    assert (again["p50"] >= 0).all()
    assert again.equals(simulate(book(), ["toll_japan"], years=(2024, 2030), draws=100).summary())
    assert list(res.summary([0.25, 0.75]).columns[-2:]) == ["p25", "p75"]


def test_frame_gives_every_draw():
    res = simulate(book(), ["status_quo", "toll_japan"], years=(2024, 2026), draws=50, seed=4)
    f = res.frame()
    assert len(f) == 2 * 3 * 50
    assert set(METRICS) <= set(f.columns)
    rows = f[(f["deal"] == "toll_japan") & (f["year"] == 2026)].sort_values("draw")
    np.testing.assert_array_equal(rows["self_sufficiency"].to_numpy(), res.at("self_sufficiency", "toll_japan", 2026))
