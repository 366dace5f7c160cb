"""The scheme's import route for NdPr oxide: India's assumed share of what refiners outside China make
(data/deals.yml oxide_import_cap, data 0.5.0), not a tonnage of the kit's own."""

from __future__ import annotations

from functools import lru_cache

import pytest

from rekit.data.dataset import load
from rekit.model.deals import load_deals
from rekit.model.sensitivity import factors
from rekit.model.simulation import simulate

SCHEME_PRESETS = ("repm_scheme", "repm_non_china_oxide", "japan_bridge_then_repm", "china_shock_2030", "china_no18_licensing",
                  "china_oct_set_reactivated", "china_suspension_lapse")


@lru_cache(maxsize=1)
def book():
    return load_deals()


def obs(i):
    o = load().observations
    return o[o["id"] == i].iloc[0]


def test_the_pool_outside_china_is_lynas_at_its_quarterly_rate_plus_mp_materials():
    lynas, mp = obs("lynas_ndpr_production_2024_q3_australianmining"), obs("mp_ndpr_oxide_production_2024")
    pool = obs("non_china_ndpr_oxide_2024_derived")
    # 1,677 t in a quarter x 4 = 6,708 t a year; + 1,300 t = 8,008 t of NdPr oxide
    assert float(lynas["value"]) * 4 + float(mp["value"]) == 8008 == float(pool["value"])
    assert pool["unit"] == lynas["unit"] == mp["unit"] == "t NdPr oxide"


def test_every_scheme_preset_imports_up_to_a_fifth_of_that_pool():
    for name in SCHEME_PRESETS:
        q = book().get(name).params["oxide_import_cap"].quantities[0]
        # 10% x 8,008 = 800.8 -> 800 t/yr; 0-20%: 0 to 1,601.6 -> 1,600 t/yr
        assert (q.value, q.low, q.high) == (800, 0, 1600), name
        assert "obs:non_china_ndpr_oxide_2024_derived" in q.source and "assumption" in q.source, name


def test_the_route_is_flagged_as_resting_on_an_assumption():
    f = {x.name: x for x in factors(book(), ["repm_scheme"], "output", "official", "chain")}["oxide_import_cap"]
    assert f.source == "partly assumption"


def test_at_most_the_cap_is_imported_and_no_metal():
    r = simulate(book(), ["repm_scheme"], years=(2030, 2032), draws=200, seed=1)
    for y in (2030, 2031, 2032):
        assert r.at("oxide_imported", "repm_scheme", y).max() <= 1600 + 1e-9
        assert r.at("metal_imported", "repm_scheme", y) == pytest.approx(0.0)
