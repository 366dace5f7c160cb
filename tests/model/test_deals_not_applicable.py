"""Parameters that act through a mechanism a deal lacks (the scheme's plants, a tolling partner, a China
shock) are not factors of its sensitivity analysis (rekit.model.sensitivity.not_applicable)."""

from __future__ import annotations

from functools import lru_cache

from rekit.model.deals import load_deals
from rekit.model.sensitivity import factors, not_applicable, sensitivity

SCHEME = {"scheme_allocation", "scheme_first_sale", "scheme_ramp_years", "scheme_utilisation"}


@lru_cache(maxsize=1)
def book():
    return load_deals()


def names(deals, **kw):
    return {f.name for f in factors(book(), deals, "output", "official", "chain", **kw)}


def test_a_deal_without_a_scheme_plant_samples_no_scheme_factor():
    # status_quo: scheme_beneficiaries 0 (the defaults), no partner capacity, no china_shock
    got = names(["status_quo"])
    assert not {n for n in got if n.startswith("scheme_")}
    assert not got & {"partner_spare", "retained_share", "partner_lead_months", "partner_heavy_china"}
    assert not {n for n in got if n.startswith("shock_")}
    # the inputs that do move it stay: its export share and the chain's yields
    assert {"share:export", "eta_metal", "w_ndpr"} <= got


def test_the_scheme_deals_keep_their_scheme_factors_and_a_comparison_takes_the_union():
    assert SCHEME <= names(["repm_scheme"])
    # toll_japan has no scheme plant, repm_scheme has five: compared, the scheme's factors are in
    assert SCHEME <= names(["toll_japan", "repm_scheme"])
    assert "partner_spare" in names(["toll_japan", "repm_scheme"])
    assert "partner_spare" not in names(["repm_scheme"])


def test_the_highest_possible_value_switches_a_mechanism_on():
    """A user's deal whose beneficiaries may be 0 or 1 (a range) can have a plant: its scheme factors stay."""
    b = load_deals({"deals": {"maybe_scheme": {
        "description": "a single plant that may not be built",
        "scheme_beneficiaries": {"value": 0, "low": 0, "high": 1, "source": "assumption: a test"}}}})
    got = {f.name for f in factors(b, ["maybe_scheme"], "output", "official", "chain")}
    assert SCHEME <= got
    assert "scheme_allocation" not in not_applicable(b, ["maybe_scheme"])
    assert not_applicable(b, ["status_quo"])["scheme_allocation"] == "no deal has a scheme plant (scheme_beneficiaries is 0)"


def test_the_table_names_what_it_left_out_and_lists_none_of_it():
    t = sensitivity(book(), "status_quo", metric="export_share", year=2024, n=8, basis="output", demand="official",
                    framing="chain", num_resamples=10)
    left = t.attrs["not_applicable"]
    assert {"scheme_utilisation", "partner_spare", "shock_months"} <= set(left)
    assert not set(t["parameter"]) & set(left)
