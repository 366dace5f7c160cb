"""Deals that extend another (`extends: NAME`), and a preset printed as YAML read back as a deal of one's own.

Expected values are written out (the bundled deals.yml's own numbers, read in the file), never built by the
code under test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rekit.model.deals import DealError, load_deals

ROOT = Path(__file__).resolve().parents[2]
TEST_SOURCE = "assumption: a test value"


def _q(value: float) -> dict:
    return {"value": value, "source": TEST_SOURCE}


def test_a_deal_extends_a_preset_and_overrides_one_parameter():
    book = load_deals({"deals": {"korea_free": {"extends": "toll_korea", "partner_spare": _q(0.4)}}})
    child, parent = book.get("korea_free"), book.get("toll_korea")
    spare = child.params["partner_spare"].quantities[0]
    assert (spare.value, spare.low, spare.high) == (0.4, 0.4, 0.4)
    # deals.yml: toll_korea's partner_spare is {value: 0.2, low: 0.05, high: 0.5} (the &spare anchor); unchanged
    base = parent.params["partner_spare"].quantities[0]
    assert (base.value, base.low, base.high) == (0.2, 0.05, 0.5)
    # everything else is toll_korea's: its partners (star_group's two plants), shares, halt and retained share
    assert child.partner_plants == (("star_group", "korea_china"), ("star_group", "vietnam"))
    assert child.shares == parent.shares and child.rest == "stock"
    assert child.export_halt == "2025-06-13" and child.export_halt_latest == "2026-03-31"
    retained = child.params["retained_share"].quantities[0]
    assert (retained.value, retained.low, retained.high) == (0.3, 0.2, 0.4)  # deals.yml's &retained
    assert child.description.startswith("As toll_korea, with partner_spare changed: As toll_japan, with South Korea's")


def test_a_deal_extends_another_deal_of_the_same_file_declared_after_it():
    book = load_deals({"deals": {
        "second": {"extends": "first", "retained_share": _q(0.1), "description": "my second"},
        "first": {"extends": "toll_japan", "partner_spare": _q(0.3)},
    }})
    second = book.get("second")
    assert second.description == "my second"
    assert second.params["retained_share"].quantities[0].value == 0.1
    assert second.params["partner_spare"].quantities[0].value == 0.3  # from `first`
    assert [p for p, _ in second.partner_plants] == ["shin_etsu", "shin_etsu", "proterial", "daido", "daido"]


def test_a_partner_capacity_of_its_own_replaces_the_inherited_partners():
    book = load_deals({"deals": {"small": {"extends": "toll_korea", "partner_capacity": _q(500)}}})
    d = book.get("small")
    assert d.partner_plants == ()
    assert d.params["partner_capacity"].quantities[0].value == 500


@pytest.mark.parametrize("deals, fragment", [
    ({"mine": {"extends": "toll_kora"}},
     "your deals: deal 'mine', key 'extends': 'toll_kora' is not a deal (did you mean 'toll_korea'?); the deals are: status_quo,"),
    ({"a": {"extends": "b"}, "b": {"extends": "a"}}, "a cycle of extends (a -> b -> a)"),
    ({"a": {"extends": "b"}, "b": {"extends": "c"}, "c": {"extends": "a"}}, "a cycle of extends (a -> b -> c -> a)"),
    ({"me": {"extends": "me"}}, "a cycle of extends (me -> me)"),
    ({"mine": {"extends": "toll_korea", "partner_spare": _q(1.5)}}, "key 'partner_spare': value 1.5 is outside [0, 1]"),
])
def test_bad_extends_is_refused_naming_it(deals, fragment):
    with pytest.raises(DealError) as err:
        load_deals({"deals": deals})
    assert fragment in str(err.value)


def _rekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("preset", ["toll_korea", "repm_scheme", "china_suspension_lapse"])
def test_show_yaml_prints_a_preset_that_reads_back_as_ones_own(preset, tmp_path):
    out = _rekit("deals", "--show", preset, "--yaml")
    assert out.returncode == 0, out.stderr
    assert not re.search(r"(:|-)\s+[*&]\w", out.stdout)  # no *alias and no &anchor: every value written out
    mine = tmp_path / "mine.yml"
    mine.write_text(out.stdout.replace(f"\n  {preset}:\n", f"\n  my_{preset}:\n", 1), encoding="utf-8")
    listed = _rekit("deals", "--deals", str(mine))
    assert listed.returncode == 0, listed.stderr
    assert f"my_{preset} " in listed.stdout
    book = load_deals(mine)
    a, b = book.get(preset), book.get(f"my_{preset}")
    assert (a.params, a.shares, a.rest, a.partner_plants, a.export_halt, a.export_halt_latest, a.shock_events) == \
           (b.params, b.shares, b.rest, b.partner_plants, b.export_halt, b.export_halt_latest, b.shock_events)


def test_show_yaml_of_an_unknown_deal_is_refused_and_prints_nothing():
    out = _rekit("deals", "--show", "toll_kora", "--yaml")
    assert out.returncode == 2 and out.stdout == ""
    assert "rekit: error: " in out.stderr and "toll_kora" in out.stderr and "toll_korea" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_settings_section_fixes_a_presets_parameter_and_refuses_bad_values():
    book = load_deals({"settings": {"toll_korea": {"partner_spare": 0.4}}})
    q = book.get("toll_korea").params["partner_spare"].quantities
    assert [(x.value, x.low, x.high, x.source) for x in q] == [(0.4, 0.4, 0.4, "user override")]
    assert book.get("toll_japan").params["partner_spare"].quantities[0].value == 0.2  # deals.yml's &spare, unchanged
    for settings, fragment in [({"toll_kora": {"partner_spare": 0.4}}, "settings: 'toll_kora' is not a deal (did you mean 'toll_korea'?)"),
                               ({"toll_korea": {"partner_spare": 1.5}}, "partner_spare: 1.5 is outside [0, 1]"),
                               ({"toll_korea": {"demand_growth": 0.1}}, "unknown parameter 'demand_growth'")]:
        with pytest.raises(DealError) as err:
            load_deals({"settings": settings})
        assert fragment in str(err.value)
