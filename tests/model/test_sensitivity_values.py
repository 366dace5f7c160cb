"""The sensitivity analysis' own bookkeeping by hand: a sampled key's factor, a factor's choices and
sources, the parameters a run leaves out and why, one year's table from known outputs, bad input."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from rekit.model.conversions import ND_AS_NDPR_OXIDE
from rekit.model.deals import load_deals
from rekit.model.quantities import Quantity, Schedule
from rekit.model.sensitivity import (
    _GATE_WHY, GATED, Factor, _key, _one_year, _source, factors, not_applicable, sensitivity,
)
from rekit.model.simulation import ModelError


def a(v, source="assumption: test"):
    return {"value": v, "source": source}


#: Four deals of our own, each switching on one gated mechanism or none.
MINE = {"deals": {
    "plain": {"description": "everything stocked", "shares": {"export": a(0), "toll": a(0), "domestic": a(0), "stock": "rest"}},
    "tolls": {"description": "a partner with capacity, a tenth tolled",
              "shares": {"export": a(0), "toll": a(0.1), "domestic": a(0), "stock": "rest"}, "partner_capacity": a(500)},
    "tolls_rest": {"description": "a partner with capacity takes the rest",
                   "shares": {"export": a(0), "stock": a(0), "domestic": a(0), "toll": "rest"}, "partner_capacity": a(500)},
    "no_room": {"description": "a tenth tolled, but the partner has no capacity",
                "shares": {"export": a(0), "toll": a(0.1), "domestic": a(0), "stock": "rest"}},
    "ranged_toll": {"description": "a ranged tenth tolled to a partner with capacity",
                    "shares": {"export": a(0), "toll": {"value": 0.1, "low": 0.0, "high": 0.2, "source": "assumption: test"},
                               "domestic": a(0), "stock": "rest"}, "partner_capacity": a(500)},
    "tiny_partner": {"description": "a partner with half a tonne of capacity, a tenth tolled",
                     "shares": {"export": a(0), "toll": a(0.1), "domestic": a(0), "stock": "rest"}, "partner_capacity": a(0.5)},
    "idle_partner": {"description": "a partner with capacity, nothing tolled",
                     "shares": {"export": a(0), "toll": a(0), "domestic": a(0), "stock": "rest"}, "partner_capacity": a(500)},
    "halted": {"description": "everything exported until a halt some time in 2026",
               "shares": {"export": "rest", "toll": a(0), "domestic": a(0), "stock": a(0)},
               "export_halt": {"date": "2026-01-01", "latest": "2026-12-31", "source": "assumption: test"}},
    "schemed": {"description": "one scheme plant",
                "shares": {"export": a(0), "toll": a(0), "domestic": a(0), "stock": "rest"},
                "scheme_beneficiaries": {"value": 0, "low": 0, "high": 1, "source": "assumption: maybe one"}},
}}


@lru_cache(maxsize=1)
def book():
    return load_deals(MINE, name="test deals")


# --- keys, factors, sources ---------------------------------------------------------------------

@pytest.mark.parametrize("key, factor", [
    ("production:output", "production"), ("capacity:capacity", "capacity"), ("production", "production"),
    ("scheme_allocation:L3", "scheme_allocation"), ("scheme_utilisation:L12", "scheme_utilisation"),
    ("scheme_allocation:X3", "scheme_allocation:X3"), ("scheme_allocation:L", "scheme_allocation:L"),
    ("scheme_allocation:Lx", "scheme_allocation:Lx"), ("share:toll", "share:toll"), ("eta_metal", "eta_metal"),
    ("eta_metal:L1", "eta_metal:L1"), ("productions:x", "productions:x"),
])
def test_a_sampled_key_belongs_to_its_factor(key, factor):
    assert _key(key) == factor


def test_pick_maps_the_unit_interval_to_equal_thirds_and_halves():
    three = Factor("c", "c", choices=("a", "b", "c"))
    # floor(u * 3), at most 2: 0.3333 -> 0, 1/3 + 1e-9 -> 1, 0.7 -> 2, 1 -> 2 (not 3)
    assert three.pick(np.array([0.0, 0.3333, 1 / 3 + 1e-9, 0.7, 1.0])).tolist() == [0, 0, 1, 2, 2]
    assert Factor("c", "c", choices=("a", "b")).pick([0.49, 0.5, 1.0]).tolist() == [0, 1, 1]


def sched(*sources_and_ranges):
    return Schedule(tuple((2024 + i, Quantity(1.0, lo, hi, "t", src)) for i, (src, lo, hi) in enumerate(sources_and_ranges)))


def test_a_factor_rests_on_assumptions_only_through_its_ranged_values():
    guess = sched(("assumption: a guess", 0.5, 2.0), ("obs:x", 1.0, 1.0))  # the sourced point has no range: not counted
    assert Factor("f", "g", (guess,)).source == "assumption"
    assert Factor("f", "g", (sched(("  assumption: padded", 0.5, 2.0)),)).source == "assumption"
    both = sched(("assumption: a guess", 0.5, 2.0), ("obs:x", 0.9, 1.1))
    assert Factor("f", "g", (both,)).source == "partly assumption"
    assert Factor("f", "g", (sched(("obs:x; an assumption beside it", 0.5, 2.0)),)).source == "partly assumption"
    assert Factor("f", "g", (sched(("obs:x", 0.5, 2.0)),)).source == "sourced"
    assert Factor("f", "g", choices=("a", "b")).source == "structural"


@pytest.mark.parametrize("kinds, expected", [
    (["structural"], "structural"), (["structural", "structural"], "structural"),
    (["assumption"], "assumption"), (["assumption", "assumption"], "assumption"),
    (["assumption", "sourced"], "partly assumption"), (["partly assumption"], "partly assumption"),
    (["sourced", "partly assumption"], "partly assumption"), (["sourced"], "sourced"),
    (["structural", "sourced"], "sourced"), (["structural", "assumption"], "partly assumption"),
])
def test_a_group_rests_on_its_members(kinds, expected):
    by = {"structural": Factor("s", "g", choices=("a", "b")),
          "assumption": Factor("f", "g", (sched(("assumption: x", 0, 2)),)),
          "partly assumption": Factor("f", "g", (sched(("assumption: x", 0, 2), ("obs:y", 0, 2)),)),
          "sourced": Factor("f", "g", (sched(("obs:y", 0, 2)),))}
    assert _source([by[k] for k in kinds]) == expected


# --- the gated parameters -----------------------------------------------------------------------

def gated(mechanism):
    return {p for p, g in GATED.items() if g == mechanism}


def test_a_plain_deal_leaves_out_every_gated_parameter_with_its_reason():
    out = not_applicable(book(), ["plain"])
    assert out == {p: _GATE_WHY[g] for p, g in GATED.items()}
    assert out["scheme_allocation"] == "no deal has a scheme plant (scheme_beneficiaries is 0)"
    assert out["partner_spare"] == "no deal tolls oxide to a partner with capacity (partner_capacity or the toll share is 0)"
    assert out["shock_months"] == "no deal has a China shock (china_shock)"


@pytest.mark.parametrize("deals, on", [
    (["tolls"], {"partner"}), (["tolls_rest"], {"partner"}), (["no_room"], set()), (["plain", "tolls"], {"partner"}),
    (["tiny_partner"], {"partner"}), (["idle_partner"], set()),
    (["schemed"], {"scheme"}), (["china_shock_2030"], {"shock", "scheme"}),  # the bundled shock is repm_scheme's
])
def test_a_mechanism_some_deal_has_is_sampled(deals, on):
    out = not_applicable(book(), deals)
    for mechanism in ("partner", "scheme", "shock"):
        if mechanism in on:
            assert not gated(mechanism) & set(out), mechanism
        else:
            assert gated(mechanism) <= set(out), mechanism


def test_the_factors_leave_out_the_gated_parameters_and_say_so():
    names = {f.name for f in factors(book(), ["plain"], "output", "official", "chain")}
    assert not gated("partner") & names and not gated("scheme") & names
    names = {f.name for f in factors(book(), ["tolls"], "output", "official", "chain")}
    assert "partner_spare" in names  # ranged in the defaults, 0.05-0.5
    table = sensitivity(book(), "plain", "oxide_stock", 2025, n=8, seed=0, basis="output", demand="official", framing="chain")
    assert table.attrs["not_applicable"] == not_applicable(book(), ["plain"])


# --- one year's table from known outputs -------------------------------------------------------

def three_factors():
    ranged = lambda src: (sched((src, 0.0, 2.0)),)  # noqa: E731
    return [Factor("big", "g1", ranged("obs:x")), Factor("small", "g2", ranged("assumption: guess")),
            Factor("none", "g2", ranged("obs:y"))]


def one_year(method, y_of, n=256, seed=0):
    from SALib.sample import morris as morris_sampler
    from SALib.sample import sobol as sobol_sampler

    facs = three_factors()
    problem = {"num_vars": 3, "names": [f.name for f in facs], "bounds": [[0.0, 1.0]] * 3}
    if method == "sobol":
        X = sobol_sampler.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        X = morris_sampler.sample(problem, n, num_levels=4, seed=seed)
    keys = problem["names"]
    return _one_year(problem, method, X, y_of(X), keys, {k: [f] for k, f in zip(keys, facs, strict=True)}, seed, 50)


def test_one_year_of_sobol_ranks_a_linear_output_by_hand():
    """y = 4·x1 + x2, x uniform on [0, 1]: Var = 16/12 + 1/12 = 17/12; S1 = ST = 16/17 = 0.941, 1/17 = 0.059, 0."""
    t = one_year("sobol", lambda X: 4 * X[:, 0] + X[:, 1])
    assert list(t.columns) == ["parameter", "group", "kind", "S1", "S1_conf", "ST", "ST_conf", "rank", "top3_share", "source", "flag"]
    assert t["parameter"].tolist() == ["big", "small", "none"] and t["rank"].tolist() == [1, 2, 3]
    assert t["ST"].tolist() == pytest.approx([16 / 17, 1 / 17, 0.0], abs=0.03)
    assert t["S1"].tolist() == pytest.approx([16 / 17, 1 / 17, 0.0], abs=0.03)
    assert t["group"].tolist() == ["g1", "g2", "g2"] and (t["kind"] == "ranged").all()
    assert t["source"].tolist() == ["sourced", "assumption", "sourced"]
    assert t["flag"].tolist() == [False, True, False]  # the guess is in the top three (of three)
    assert t["top3_share"].tolist() == [1.0, 1.0, 1.0]  # three inputs: all in every resample's top three
    assert (t["S1_conf"][:2] > 0).all() and (t["ST_conf"][:2] > 0).all()  # the bootstrap's half-widths


def test_one_year_of_morris_ranks_by_mu_star():
    """y = x1 − 4·x2: elementary effects are 1 and −4 everywhere (Δ = 2/3 on 4 levels): μ* = 4, 1, 0."""
    t = one_year("morris", lambda X: X[:, 0] - 4 * X[:, 1], n=20)
    assert list(t.columns) == ["parameter", "group", "kind", "mu_star", "mu_star_conf", "mu", "sigma",
                               "rank", "top3_share", "source", "flag"]
    assert t["parameter"].tolist() == ["small", "big", "none"]
    assert t["mu_star"].tolist() == pytest.approx([4.0, 1.0, 0.0])
    assert t["mu"].tolist() == pytest.approx([-4.0, 1.0, 0.0])
    assert t["sigma"].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert t["top3_share"].isna().all() and t["top3_share"].dtype == np.float64
    assert t["flag"].tolist() == [True, False, False]
    assert t["mu_star_conf"].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)  # equal effects: no spread to resample


@pytest.mark.parametrize("method, cols", [("sobol", ["S1", "S1_conf", "ST", "ST_conf"]),
                                          ("morris", ["mu_star", "mu_star_conf", "mu", "sigma"])])
def test_one_year_no_input_moves_is_all_zeros_in_the_given_order(method, cols):
    t = one_year(method, lambda X: np.full(len(X), 3.0), n=16)
    assert list(t.columns) == ["parameter", "group", "kind", *cols, "rank", "top3_share", "source", "flag"]
    assert t["parameter"].tolist() == ["big", "small", "none"] and t["rank"].tolist() == [1, 2, 3]
    assert (t[cols] == 0.0).all().all()
    assert t["top3_share"].isna().all() if method == "morris" else (t["top3_share"] == 0.0).all()
    assert t["source"].tolist() == ["sourced", "assumption", "sourced"] and t["flag"].tolist() == [False, False, False]
    assert t["top3_share"].dtype == np.float64 and t["flag"].dtype == bool


def test_a_group_of_one_keeps_its_member_group_and_a_structural_member_makes_it_structural():
    from SALib.sample import sobol as sobol_sampler

    facs = [Factor("choice", "choice", choices=("a", "b")), *three_factors()[:2]]
    problem = {"num_vars": 3, "names": ["choice", "big", "small"], "bounds": [[0.0, 1.0]] * 3,
               "groups": ["mixed", "big_group", "mixed"]}
    X = sobol_sampler.sample(problem, 64, calc_second_order=False, seed=0)
    by_key = {"mixed": [facs[0], facs[2]], "big_group": [facs[1]]}
    t = _one_year(problem, "sobol", X, 4 * X[:, 1] + X[:, 2], ["mixed", "big_group"], by_key, 0, 20).set_index("parameter")
    assert t.loc["big_group", "group"] == "g1" and t.loc["mixed", "group"] == "mixed"
    assert t.loc["big_group", "kind"] == "ranged" and t.loc["mixed", "kind"] == "structural"
    assert t.loc["mixed", "source"] == "partly assumption"


# --- the table of a run -------------------------------------------------------------------------

def test_a_run_reports_the_years_asked_with_the_columns_first():
    t = sensitivity(book(), "tolls", "oxide_tolled", years=(2025, 2026), n=8, seed=0, basis="output", demand="official",
                    framing="chain")
    assert list(t.columns[:4]) == ["year", "parameter", "group", "kind"]
    assert sorted(set(t["year"])) == [2025, 2026] and t["year"].map(type).eq(int).all()
    assert isinstance(t, pd.DataFrame)


@pytest.mark.parametrize("n, message", [
    (True, "n: True is not allowed; give a whole number >= 2 (a power of 2 for Sobol)"),
    (1, "n: 1 is not allowed; give a whole number >= 2 (a power of 2 for Sobol)"),
    (8.0, "n: 8.0 is not allowed; give a whole number >= 2 (a power of 2 for Sobol)"),
])
def test_n_must_be_a_whole_number_of_at_least_two(n, message):
    with pytest.raises(ModelError) as caught:
        sensitivity(book(), "tolls", n=n)
    assert str(caught.value) == message


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "fast"}, "method 'fast' is not allowed; allowed: sobol, morris"),
    ({"compare": "tolls"}, "compare: 'tolls' is the deal itself; give another deal"),
])
def test_bad_method_and_compare_word_for_word(kwargs, message):
    with pytest.raises(ModelError) as caught:
        sensitivity(book(), "tolls", **kwargs)
    assert str(caught.value) == message


def test_the_difference_of_two_deals_is_analysed():
    one = sensitivity(book(), "tolls", "oxide_tolled", 2026, n=8, seed=0, basis="output", demand="official", framing="chain")
    diff = sensitivity(book(), "tolls", "oxide_tolled", 2026, n=8, seed=0, basis="output", demand="official", framing="chain",
                       compare="plain")
    # plain tolls nothing: tolls − plain is tolls' own tolled oxide, so the indices are the same
    merged = one.merge(diff, on=["year", "parameter"], suffixes=("", "_diff"))
    assert len(merged) == len(one)
    assert merged["ST"].tolist() == pytest.approx(merged["ST_diff"].tolist(), abs=1e-9)


# --- the factors of a run, by hand from the book ------------------------------------------------

def by_name(*args, **kwargs) -> dict[str, Factor]:
    return {f.name: f for f in factors(*args, **kwargs)}


def test_a_basis_given_by_name_gives_the_paths_of_that_basis_only():
    b = book()
    fs = by_name(b, ["plain"], "capacity", "official", "chain")
    assert fs["production"].schedules == (b.basis("capacity").schedule,)  # the capacity basis' path is ranged
    assert fs["capacity"].schedules == (b.basis("capacity").capacity,)
    assert fs["production"].group == fs["capacity"].group == "production"
    assert "nd_as_ndpr_oxide" not in fs  # the capacity basis is in t NdPr oxide already
    assert "production_basis" not in fs and "demand_basis" not in fs and "framing" not in fs
    assert fs["demand_base"].schedules == (b.demand("official").base,) and fs["demand_base"].group == "demand"
    assert fs["demand_growth"].schedules == (b.demand("official").growth,) and fs["demand_growth"].group == "demand"
    assert "magnets_per_oxide" not in fs  # the chain framing states no ratio
    fs = by_name(b, ["plain"], "capacity", "industry", "officials")
    assert fs["demand_base"].schedules == (b.demand("industry").base,)
    assert fs["demand_growth"].schedules == (b.demand("industry").growth,)
    assert fs["magnets_per_oxide"].schedules == (b.framing("officials").magnets_per_oxide,)
    assert fs["magnets_per_oxide"].group == "composition"


def test_a_basis_in_t_nd_brings_its_conversion_factor():
    fs = by_name(book(), ["plain"], "output", "official", "chain")
    assert book().basis("output").in_nd and fs["nd_as_ndpr_oxide"].group == "production"
    assert fs["nd_as_ndpr_oxide"].schedules == (Schedule.constant(ND_AS_NDPR_OXIDE),)


def test_a_ranged_share_is_a_factor_of_the_shares_group():
    fs = by_name(book(), ["ranged_toll"], "capacity", "official", "chain")
    assert fs["share:toll"].group == "shares" and fs["share:toll"].schedules == (book().get("ranged_toll").shares["toll"],)
    assert "share:export" not in fs  # a point: not a factor


def test_the_structural_factors_choose_among_the_books_entries_in_order():
    b = book()
    fs = by_name(b, ["plain"])
    assert fs["production_basis"].choices == tuple(b.bases) and fs["production_basis"].group == "production_basis"
    assert fs["demand_basis"].choices == tuple(b.demands) and fs["demand_basis"].group == "demand_basis"
    assert fs["framing"].choices == ("chain", "officials") and fs["framing"].group == "framing"
    # every basis's path is the one factor `production`, read from each basis (the ranged and the point ones)
    assert fs["production"].schedules == tuple(dict.fromkeys(x.schedule for x in b.bases.values()))


def test_a_book_of_two_bases_and_two_demands_still_chooses_and_of_one_does_not():
    from dataclasses import replace

    b = book()
    two = replace(b, bases={k: b.bases[k] for k in ("output", "capacity")},
                  demands={k: b.demands[k] for k in ("official", "industry")})
    fs = by_name(two, ["plain"])
    assert fs["production_basis"].choices == ("output", "capacity")
    assert fs["demand_basis"].choices == ("official", "industry")
    one = replace(b, bases={"capacity": b.bases["capacity"]}, demands={"official": b.demands["official"]})
    fs = by_name(one, ["plain"])
    assert "production_basis" not in fs and "demand_basis" not in fs and "framing" in fs


@pytest.mark.parametrize("metric, fixed, one, other", [
    ("oxide_production", "basis", "capacity", "output"),
    ("magnet_demand", "demand", "industry", "official"),
    ("ssr_oxide", "framing", "officials", "chain"),
])
def test_evaluate_runs_the_basis_demand_and_framing_given_by_name(metric, fixed, one, other):
    """The same design over the deal's ranged inputs, under two named choices of one structural dimension,
    gives two different paths over 2024-2030 (each choice's own production path, demand or magnets per oxide)."""
    from rekit.model.sensitivity import evaluate

    names = {"basis": "capacity", "demand": "official", "framing": "chain"}
    years = np.arange(2024, 2031)
    out = []
    for choice in (one, other):
        kw = {**names, fixed: choice}
        facs = factors(book(), ["plain"], kw["basis"], kw["demand"], kw["framing"])
        X = np.full((2, len(facs)), 0.5)
        out.append(evaluate(book(), ["plain"], facs, X, years, metric, **kw))
    assert out[0].shape == out[1].shape == (2, len(years))
    assert not np.allclose(out[0][0], out[1][0], rtol=0.1)  # apart by more than a tenth in some year


def test_one_year_uses_salibs_bootstrap_with_the_seed_plus_one():
    """The half-widths are SALib's own for the same design: Sobol's bootstrap seeded seed + 1 (SALib leaves seed 0
    unseeded), Morris's seeded seed, each with the resamples asked for."""
    from SALib.analyze import morris, sobol
    from SALib.sample import morris as morris_sampler
    from SALib.sample import sobol as sobol_sampler

    facs = three_factors()
    problem = {"num_vars": 3, "names": [f.name for f in facs], "bounds": [[0.0, 1.0]] * 3}
    keys, by_key = problem["names"], {f.name: [f] for f in facs}
    X = sobol_sampler.sample(problem, 64, calc_second_order=False, seed=5)
    y = 4 * X[:, 0] + X[:, 1] ** 2
    t = _one_year(problem, "sobol", X, y, keys, by_key, 0, 30).set_index("parameter")
    ref = sobol.analyze(problem, y, calc_second_order=False, num_resamples=30, seed=1)
    assert t.loc[keys, "S1_conf"].tolist() == pytest.approx(list(ref["S1_conf"]), rel=1e-12)
    assert t.loc[keys, "ST_conf"].tolist() == pytest.approx(list(ref["ST_conf"]), rel=1e-12)
    X = morris_sampler.sample(problem, 10, num_levels=4, seed=5)
    y = X[:, 0] * X[:, 1] - X[:, 2]
    t = _one_year(problem, "morris", X, y, keys, by_key, 3, 30).set_index("parameter")
    ref = morris.analyze(problem, X, y, num_resamples=30, num_levels=4, seed=3)
    assert t.loc[keys, "mu_star_conf"].tolist() == pytest.approx(list(ref["mu_star_conf"]), rel=1e-12)
    assert t.loc[keys, "sigma"].tolist() == pytest.approx(list(ref["sigma"]), rel=1e-12)


def test_the_flag_marks_a_guess_or_a_partial_guess_down_to_rank_three():
    """y = 8·a + 4·b + 2·c + d: ranks a, b, c, d. b rests partly on an assumption, c and d wholly: the flag marks
    b and c (ranks 2 and 3), not d (rank 4) nor a (sourced)."""
    from SALib.sample import sobol as sobol_sampler

    r = lambda *srcs: tuple(sched((src, 0.0, 2.0)) for src in srcs)  # noqa: E731
    facs = [Factor("a", "g", r("obs:x")), Factor("b", "g", r("assumption: x", "obs:y")),
            Factor("c", "g", r("assumption: x")), Factor("d", "g", r("assumption: y"))]
    problem = {"num_vars": 4, "names": ["a", "b", "c", "d"], "bounds": [[0.0, 1.0]] * 4}
    X = sobol_sampler.sample(problem, 256, calc_second_order=False, seed=0)
    y = 8 * X[:, 0] + 4 * X[:, 1] + 2 * X[:, 2] + X[:, 3]
    t = _one_year(problem, "sobol", X, y, problem["names"], {f.name: [f] for f in facs}, 0, 20)
    assert t["parameter"].tolist() == ["a", "b", "c", "d"]
    assert t["source"].tolist() == ["sourced", "partly assumption", "assumption", "assumption"]
    assert t["flag"].tolist() == [False, True, True, False]
    # ST about 64/85, 16/85, 4/85, 1/85: every resample's top three is a, b, c
    assert t["top3_share"].tolist() == [1.0, 1.0, 1.0, 0.0]


# --- sensitivity() hands the evaluator what it was asked --------------------------------------

class Recorder:
    """An evaluator (sensitivity's `evaluator` hook) that keeps what it is given and returns y = year x first column."""

    def __call__(self, book, names, facs, X, years, metric, basis=None, demand=None, framing=None):
        self.names, self.facs, self.X, self.years, self.metric = names, facs, X, years, metric
        self.kwargs = {"basis": basis, "demand": demand, "framing": framing}
        return X[:, :1] * years[None, :]


FIXED = {"basis": "capacity", "demand": "industry", "framing": "chain"}


def test_the_evaluator_gets_the_deals_the_choices_and_the_design():
    rec = Recorder()
    t = sensitivity(book(), "ranged_toll", "oxide_tolled", years=(2025, 2026), method="morris", n=4, seed=0,
                    compare="plain", evaluator=rec, **FIXED)
    assert rec.names == ["ranged_toll", "plain"] and rec.metric == "oxide_tolled" and rec.kwargs == FIXED
    assert rec.years.tolist() == [2024, 2025, 2026]  # the runs start at the model's first year
    assert not {"production_basis", "demand_basis", "framing"} & {f.name for f in rec.facs}
    # Morris on 4 levels: every value of the design is 0, 1/3, 2/3 or 1; n trajectories of k + 1 rows
    assert np.isin(np.round(rec.X * 3, 9), [0, 1, 2, 3]).all()
    assert rec.X.shape == (4 * (len(rec.facs) + 1), len(rec.facs))
    assert list(t.index) == list(range(len(t))) and sorted(set(t["year"])) == [2025, 2026]


def test_the_default_design_is_1024_base_rows_of_sobol_with_seed_0():
    rec = Recorder()
    sensitivity(book(), "ranged_toll", "oxide_tolled", 2024, evaluator=rec, num_resamples=2, **FIXED)
    k = len(rec.facs)
    assert rec.X.shape == (1024 * (k + 2), k)  # Saltelli: n (k + 2) rows without second order
    again = Recorder()
    sensitivity(book(), "ranged_toll", "oxide_tolled", 2024, n=1024, seed=0, evaluator=again, num_resamples=2, **FIXED)
    assert np.array_equal(rec.X, again.X)


def test_n_of_two_is_the_smallest_design():
    t = sensitivity(book(), "ranged_toll", "oxide_tolled", 2024, method="morris", n=2, evaluator=Recorder(), **FIXED)
    assert len(t) > 0


def test_each_row_names_its_factors_group_and_a_groups_row_rests_on_its_members():
    from rekit.model.sensitivity import _source

    rec = Recorder()
    t = sensitivity(book(), "ranged_toll", "oxide_tolled", 2024, method="morris", n=4, evaluator=rec, **FIXED)
    group_of = {f.name: f.group for f in rec.facs}
    assert all(row.group == group_of[row.parameter] for row in t.itertuples())
    g = sensitivity(book(), "ranged_toll", "oxide_tolled", 2024, method="morris", n=4, groups=True, evaluator=Recorder(),
                    **FIXED).set_index("parameter")
    for group in {f.group for f in rec.facs}:
        members = [f for f in rec.facs if f.group == group]
        assert g.loc[group, "source"] == _source(members), group


def test_a_halt_between_two_dates_is_a_factor_of_the_shares_group():
    fs = by_name(book(), ["halted"], "capacity", "official", "chain")
    assert fs["export_halt"].group == "shares"
    assert fs["export_halt"].schedules == (book().get("halted").params["export_halt_year"],)
    assert "export_halt" not in by_name(book(), ["plain"], "capacity", "official", "chain")


def test_a_deal_naming_partner_companies_chooses_among_their_capacities():
    from rekit.model.sensitivity import partner_factor

    fs = by_name(book(), ["toll_japan"], "capacity", "official", "chain")
    assert fs["partner_alternative"] == partner_factor(book(), ["toll_japan"])
    assert fs["partner_alternative"].structural and fs["partner_alternative"].group == "partner_alternative"
    assert "partner_alternative" not in by_name(book(), ["plain"], "capacity", "official", "chain")


def test_the_partner_factor_carries_each_alternatives_capacity():
    from rekit.data.dataset import load
    from rekit.model.scenarios import partner_alternatives
    from rekit.model.sensitivity import partner_factor

    f = partner_factor(book(), ["plain", "toll_japan"])
    alts = partner_alternatives(book(), "toll_japan", load())
    assert f.choices == tuple(a for a in ("plants", "home", "national") if a in alts)
    assert f.capacities == (("toll_japan", tuple(alts[a].capacity for a in f.choices)),)
    assert partner_factor(book(), ["plain"]) is None


def test_two_inputs_of_equal_weight_share_the_third_place():
    """y = 8·a + 4·b + c + d: a and b are in every resample's top three, c and d (equal ST, about 1/82 each)
    take the third place by turns: each in some resamples, not all, the four shares summing to 3."""
    from SALib.sample import sobol as sobol_sampler

    facs = [Factor(k, "g", (sched(("obs:x", 0.0, 2.0)),)) for k in "abcd"]
    problem = {"num_vars": 4, "names": list("abcd"), "bounds": [[0.0, 1.0]] * 4}
    X = sobol_sampler.sample(problem, 256, calc_second_order=False, seed=0)
    y = 8 * X[:, 0] + 4 * X[:, 1] + X[:, 2] + X[:, 3]
    t = _one_year(problem, "sobol", X, y, problem["names"], {f.name: [f] for f in facs}, 0, 40).set_index("parameter")
    assert t.loc["a", "top3_share"] == 1.0 and t.loc["b", "top3_share"] == 1.0
    assert 0.0 < t.loc["c", "top3_share"] < 1.0 and 0.0 < t.loc["d", "top3_share"] < 1.0
    assert t["top3_share"].sum() == pytest.approx(3.0)
