"""China's controls as their texts state them: one preset per announcement family, each linking the
events it replays, with the magnets India can still make and how long its stocks last, worked by hand."""

from __future__ import annotations

import csv
from functools import lru_cache

import pytest

from rekit.data.dataset import load
from rekit.model.deals import DealError, load_deals
from rekit.model.simulation import simulate
from rekit.paths import BUNDLED_DATA

PRESETS = ("china_no18_licensing", "china_oct_set_reactivated", "china_suspension_lapse")


@lru_cache(maxsize=1)
def book():
    return load_deals(ds=load())


@lru_cache(maxsize=1)
def events() -> dict[str, dict]:
    with open(BUNDLED_DATA / "events.csv", encoding="utf-8", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def test_each_preset_links_the_announcements_it_replays():
    ev = events()
    for name in PRESETS:
        linked = book().get(name).shock_events
        assert linked, name
        assert all(ev[e]["actor"] == "China" for e in linked), name
    assert {ev[e]["number"] for e in book().get("china_no18_licensing").shock_events} >= {"MOFCOM-GAC Announcement No. 18 of 2025"}
    oct_numbers = {ev[e]["number"] for e in book().get("china_oct_set_reactivated").shock_events}
    assert {"MOFCOM-GAC Announcement No. 56 of 2025", "MOFCOM Announcement No. 61 of 2025",
            "MOFCOM Announcement No. 62 of 2025"} <= oct_numbers
    assert "china_after_suspension_not_reported" in book().get("china_suspension_lapse").shock_events


def test_the_announcements_carry_number_scope_and_status():
    ev = events()
    assert ev["china_export_controls_announcement_18"]["status"] == "in force"
    assert "Sm, Gd, Tb, Dy, Lu, Sc, Y" in ev["china_export_controls_announcement_18"]["scope"]
    assert "NdPr not listed" in ev["china_export_controls_announcement_18"]["scope"]
    for e in ("china_announcement_56_2025", "china_announcement_57_2025", "china_announcement_61_2025", "china_announcement_62_2025"):
        assert ev[e]["status"] == "suspended", e
    assert "0.1%" in ev["china_announcement_61_2025"]["scope"]
    assert ev["china_after_suspension_not_reported"]["status"] == "not reported as of 2026-12-03"


def test_no18_cuts_dy_tb_and_magnets_but_not_ndpr():
    d = book().get("china_no18_licensing")
    q = {k: d.params[k].quantities[0] for k in ("shock_cut_heavy", "shock_cut_magnet", "shock_cut_oxide", "shock_cut_metal")}
    assert (q["shock_cut_heavy"].low, q["shock_cut_heavy"].value, q["shock_cut_heavy"].high) == (0.15, 0.35, 0.6)
    assert q["shock_cut_magnet"] == q["shock_cut_heavy"]
    assert q["shock_cut_oxide"].value == q["shock_cut_oxide"].high == 0
    assert q["shock_cut_metal"].value == q["shock_cut_metal"].high == 0


def test_no18_licensing_leaves_two_thirds_of_the_magnets_india_makes_in_the_licence_year():
    # Magnet makers in India hold no Dy or Tb (heavy_stock_initial 0), so Dy+Tb bind: in 2030 the China-origin
    # 95% of it is cut by 0.35 over the whole year: 1 - 0.95 * 0.35 = 0.6675 of the magnets repm_scheme makes.
    # NdPr is not cut (the Dy+Tb bind, not the oxide); in 2031, with the licence year over, output is repm_scheme's.
    res = simulate(book(), ["repm_scheme", "china_no18_licensing"], years=(2029, 2031), draws=0)
    made = {d: res.arrays["magnets_india"][i, :, 0] for i, d in enumerate(res.deals)}
    assert made["china_no18_licensing"][1] == pytest.approx(0.6675 * made["repm_scheme"][1], rel=1e-9)
    assert made["china_no18_licensing"][0] == pytest.approx(made["repm_scheme"][0], rel=1e-12)
    assert made["china_no18_licensing"][2] == pytest.approx(made["repm_scheme"][2], rel=1e-12)
    # the magnets not made are a shortfall: what neither India nor imports supply
    assert res.arrays["magnet_shortfall"][1, 1, 0] > 0 and res.arrays["magnet_shortfall"][0, 1, 0] == 0


def test_the_october_set_delays_the_scheme_plants_a_year():
    # repm_scheme's plants make their first magnets two years after the technical bids of 30 June 2026 plus
    # what the ramp gives (2029 as the data stand); with equipment (No. 56) and technology (No. 62) under licence
    # the October set puts that a year later. The first year with magnets made in India moves by exactly one.
    res = simulate(book(), ["repm_scheme", "china_oct_set_reactivated"], years=(2026, 2035), draws=0)
    years = list(res.years)
    made = res.arrays["magnets_india"][:, :, 0]
    first = [years[int((row > 0).argmax())] for row in made]
    assert first[1] == first[0] + 1
    assert made[1, years.index(first[0])] == 0
    # the oxide the plants cannot take yet is stocked: at the end of that year the stock holds more years of demand
    cover = res.arrays["stock_cover_years"][:, years.index(first[0]), 0]
    assert cover[1] > cover[0]


def test_the_lapse_cuts_imported_magnets_from_10_november_2026():
    # 10 Nov 2026 is day 313 of 365: the shock covers 1 - 313/365 = 52/365 of 2026 and 313/365 of 2027.
    # Shortfall = magnets to import (demand - returned) x China's share x 0.35 x the year's share.
    res = simulate(book(), ["china_suspension_lapse"], years=(2026, 2028), draws=0)
    a = res.arrays
    s_mag = book().get("china_suspension_lapse").params["magnet_china_share"].quantities[0].value
    for i, frac in enumerate((52 / 365, 313 / 365)):
        need = a["magnet_demand"][0, i, 0] - a["magnets_returned"][0, i, 0] - a["magnets_india"][0, i, 0]
        assert a["magnet_shortfall"][0, i, 0] == pytest.approx(need * s_mag * 0.35 * frac, rel=1e-9)
    assert a["magnet_shortfall"][0, 2, 0] == 0


def test_an_unknown_announcement_is_refused_with_the_known_ones():
    doc = {"deals": {"mine": {
        "description": "a shock naming an announcement that is not in events.csv",
        "shares": {"export": {"value": 0, "source": "assumption: test"}, "toll": {"value": 0, "source": "assumption: test"},
                   "domestic": {"value": 0, "source": "assumption: test"}, "stock": "rest"},
        "china_shock": {"start": "2030-01", "events": ["china_announcement_99_2025"]},
    }}}
    known = sorted(e for e, r in events().items() if r["kind"] == "export_control")
    with pytest.raises(DealError) as exc:
        load_deals(doc, ds=load())
    msg = str(exc.value)
    assert "event 'china_announcement_99_2025' is not an id in events.csv" in msg
    assert msg.endswith("the known export controls are: " + ", ".join(known))
