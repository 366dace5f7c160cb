"""A deals file's `settings:` section (rekit.model.deals._settings), each refusal word for word, on
two bundled deals; what `rekit run --set` writes and `--deals FILE` reads back."""

from __future__ import annotations

import math

import pytest

from rekit.model.deals import DEAL_PARAMS, DealError, _settings, load_deals

FILE = "my_deals.yml"


@pytest.fixture(scope="module")
def two():
    book = load_deals()
    return {"toll_japan": book.deals["toll_japan"], "toll_korea": book.deals["toll_korea"]}


def refusal(spec, deals) -> str:
    with pytest.raises(DealError) as info:
        _settings(spec, FILE, deals)
    return str(info.value)


def test_no_settings_change_nothing(two):
    assert _settings(None, FILE, two) == {}


def test_settings_that_are_not_a_mapping(two):
    assert refusal([1], two) == "my_deals.yml: key 'settings' must map deal names to {parameter: value}, got [1]"


def test_a_deal_not_read_is_named_with_the_deals_there_are(two):
    assert refusal({"toll_japn": {"eta_metal": 0.9}}, two) == (
        "my_deals.yml: settings: 'toll_japn' is not a deal (did you mean 'toll_japan'?); the deals are: toll_japan, toll_korea")


@pytest.mark.parametrize("values", [{}, [1], "eta_metal=0.9"])
def test_a_deal_needs_a_mapping_of_parameters(two, values):
    assert refusal({"toll_korea": values}, two) == (
        f"my_deals.yml: settings of deal 'toll_korea': expected a mapping of parameters to values, got {values!r}")


def test_an_unknown_parameter_is_named_with_a_hint_and_the_whole_list(two):
    # demand_base and demand_growth belong to the demand basis, so they are not in the list.
    listed = ", ".join(DEAL_PARAMS)
    assert "demand_base" not in listed.split(", ")
    assert refusal({"toll_korea": {"eta_metl": 0.9}}, two) == (
        f"my_deals.yml: settings of deal 'toll_korea': unknown parameter 'eta_metl' (did you mean 'eta_metal'?); "
        f"the parameters are: {listed}")
    assert refusal({"toll_korea": {"demand_base": 4000}}, two).startswith(
        "my_deals.yml: settings of deal 'toll_korea': unknown parameter 'demand_base';")


@pytest.mark.parametrize("value", [True, "0.9", None, math.nan, math.inf])
def test_a_value_that_is_not_a_finite_number(two, value):
    assert refusal({"toll_korea": {"eta_metal": value}}, two) == (
        f"my_deals.yml: settings of deal 'toll_korea', eta_metal: {value!r} is not a number (in ratio)")


def test_a_value_outside_the_bounds_names_the_interval(two):
    assert refusal({"toll_korea": {"eta_metal": 0}}, two) == (
        "my_deals.yml: settings of deal 'toll_korea', eta_metal: 0 is outside (0, 1] (ratio: reduction of NdPr oxide to "
        "metal: t metal recovered per t metal in the oxide (beyond stoichiometry))")


def test_a_setting_fixes_the_parameter_in_its_unit_and_leaves_the_rest(two):
    out = _settings({"toll_korea": {"eta_metal": 0.9, "partner_spare": 1}}, FILE, two)
    assert list(out) == ["toll_korea"]
    deal = out["toll_korea"]
    (q,) = deal.params["eta_metal"].quantities
    assert (q.value, q.low, q.high, q.unit, q.source) == (0.9, 0.9, 0.9, "ratio", "user override")
    (s,) = deal.params["partner_spare"].quantities
    assert (s.value, s.unit) == (1.0, "share") and isinstance(s.value, float)
    assert deal.params["eta_alloy"] is two["toll_korea"].params["eta_alloy"]  # the others are the same objects
    before = two["toll_korea"]
    assert (deal.name, deal.partner, deal.shares, deal.partner_plants) == (before.name, before.partner, before.shares,
                                                                            before.partner_plants)
