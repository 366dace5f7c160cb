"""Exports as the sources count them: the flow to Toyotsu Rare Earths India and its halt, a date between the
June 2025 directive and the end of supplies under the 2012 agreement (data/deals.yml, export_halt.latest)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from rekit.model.deals import DealError, decimal_year, load_deals
from rekit.model.flows import FLOWS
from rekit.model.sensitivity import factors
from rekit.model.simulation import simulate

# 13 Jun 2025: 31 + 28 + 31 + 30 + 31 = 151 days of January-May, + 12 = 163 days into 2025 (365 days)
DIRECTIVE = 2025 + 163 / 365  # 2025.44658
# 31 Mar 2026: 31 + 28 + 30 = 89 days into 2026
LATEST = 2026 + 89 / 365  # 2026.24384


@lru_cache(maxsize=1)
def book():
    return load_deals()


def test_the_halt_is_a_range_from_the_directive_to_the_end_of_supplies():
    d = book().get("export_halt")
    assert d.export_halt == "2025-06-13" and d.export_halt_latest == "2026-03-31"
    q = d.params["export_halt_year"].quantities[0]
    assert q.value == pytest.approx(DIRECTIVE) and q.low == pytest.approx(DIRECTIVE) and q.high == pytest.approx(LATEST)
    assert decimal_year("2026-03-31") == pytest.approx(LATEST)
    assert "assumption" in q.source and "reuters_evmagz_2025_06_13" in q.source


def test_a_halt_without_latest_is_a_point_and_a_latest_before_the_date_is_refused():
    own = {"deals": {"point_halt": {"description": "exports stop on a day",
                                    "export_halt": {"date": "2025-06-13", "source": "assumption: a test"}}}}
    q = load_deals(own).get("point_halt").params["export_halt_year"].quantities[0]
    assert q.low == q.value == q.high == pytest.approx(DIRECTIVE)
    bad = {"deals": {"bad_halt": {"description": "ends before it starts",
                                  "export_halt": {"date": "2025-06-13", "latest": "2025-01-01", "source": "assumption: a test"}}}}
    with pytest.raises(DealError, match=r"latest '2025-01-01' is not a date after 2025-06-13"):
        load_deals(bad)
    typo = {"deals": {"typo_halt": {"description": "a typo", "export_halt": {"date": "2025-06-13", "lastest": "2026-01-01",
                                                                               "source": "assumption: a test"}}}}
    with pytest.raises(DealError, match=r"unknown key 'lastest' \(did you mean 'latest'\?\)"):
        load_deals(typo)


def test_toyotsu_rare_earths_india_is_a_process_of_its_own():
    by_name = {f.name: f for f in FLOWS}
    assert (by_name["to_toyotsu"].origin, by_name["to_toyotsu"].target) == ("oxide", "toyotsu")
    assert (by_name["exports"].origin, by_name["exports"].target) == ("toyotsu", "outside")


def share_before_halt(result, deal, year):
    """The share of `year` that ships: the deal's export share over status_quo's, draw by draw. Both read the
    same NdPr export share (one schedule, common random numbers), so the ratio is the halt's part-year fraction."""
    a, b = result.at("export_share", deal, year), result.at("export_share", "status_quo", year)
    return a / b


def test_at_central_values_the_flow_stops_on_the_directive():
    r = simulate(book(), ["status_quo", "export_halt"], years=(2024, 2027), draws=0)
    # 2024: the whole year ships; 2025: 163/365 = 0.44658 of it; 2026 on: nothing
    assert share_before_halt(r, "export_halt", 2024) == pytest.approx([1.0])
    assert share_before_halt(r, "export_halt", 2025) == pytest.approx([163 / 365])
    assert r.at("oxide_exports", "export_halt", 2026) == pytest.approx([0.0])


def test_drawn_the_halt_falls_between_the_directive_and_the_end_of_supplies():
    r = simulate(book(), ["status_quo", "export_halt"], years=(2025, 2026), draws=400, seed=3)
    y25, y26 = share_before_halt(r, "export_halt", 2025), share_before_halt(r, "export_halt", 2026)
    # 2025 ships from 163/365 (a halt on the directive) to all of it (a halt in 2026)
    assert y25.min() >= 163 / 365 - 1e-12 and y25.max() <= 1 + 1e-12
    # 2026 ships at most the 89/365 = 0.24384 before 31 March 2026
    assert y26.min() >= 0 and y26.max() <= 89 / 365 + 1e-12
    # a triangle with its mode at the directive, 2025.4466 to 2026.2438: P(h >= 2026) = (0.2438 / 0.7973)^2 = 0.0935
    assert 0.05 < float(np.mean(y26 > 0)) < 0.14
    # each draw's halt is one date: if any of 2026 ships, all of 2025 did
    assert np.all(y25[y26 > 0] == pytest.approx(1.0))


def test_the_halt_is_a_factor_of_the_sensitivity_analysis_of_a_deal_with_it():
    facs = {f.name: f for f in factors(book(), ["export_halt"], "output", "official", "chain")}
    assert "export_halt" in facs and facs["export_halt"].source == "partly assumption"
    assert "export_halt" not in {f.name for f in factors(book(), ["status_quo"], "output", "official", "chain")}
