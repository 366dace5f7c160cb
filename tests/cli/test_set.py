"""`--set DEAL.PARAM=VALUE` on `rekit simulate` and `rekit goal`, and the warnings for settings with no effect.

A `rekit run` that builds a report runs a real `python -m rekit.cli` process (it starts a kernel); the other
cases run the command line in the test's process (conftest.rekit_in_process).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import rekit_in_process

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--draws", "20", "--years", "2027-2027", "--metric", "own_feedstock_coverage", "--format", "csv"]


def _rekit(*args: str, process: bool = False) -> subprocess.CompletedProcess:
    if not process:
        return rekit_in_process(args, cwd=ROOT)
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {r["deal"]: r for r in csv.DictReader(io.StringIO(text))}


def test_set_changes_only_the_deal_it_names():
    plain = _rekit("simulate", "--deal", "toll_korea", "--deal", "toll_japan", *SMALL)
    assert plain.returncode == 0, plain.stderr
    out = _rekit("simulate", "--deal", "toll_korea", "--deal", "toll_japan", "--set", "toll_korea.partner_capacity=0", *SMALL)
    assert out.returncode == 0, out.stderr
    before, after = _rows(plain.stdout), _rows(out.stdout)
    # no partner capacity: no tolled magnets, and in 2027 no magnet is made in India under toll_korea (deals.yml:
    # domestic 0, no scheme plants), so the own-feedstock magnets are 0 t and their coverage 0 / demand = 0
    assert float(after["toll_korea"]["p05"]) == float(after["toll_korea"]["p95"]) == 0.0
    assert float(before["toll_korea"]["p50"]) > 0
    # toll_japan is run as it was, and the download names the setting on the deal it changed only
    assert after["toll_japan"]["p50"] == before["toll_japan"]["p50"]
    assert after["toll_korea"]["settings"] == "toll_korea.partner_capacity=0"
    assert after["toll_japan"]["settings"] == ""


def test_set_without_a_deal_name_targets_the_one_deal_and_the_table_names_it():
    out = _rekit("simulate", "--deal", "toll_korea", "--set", "partner_spare=0.4", "--draws", "20", "--years", "2027-2027")
    assert out.returncode == 0, out.stderr
    assert "set toll_korea.partner_spare=0.4" in out.stdout


def test_goal_takes_set_and_names_it():
    out = _rekit("goal", "--deal", "repm_scheme", "--metric", "own_feedstock_coverage", "--target", "0.1", "--year", "2030",
                 "--lever", "oxide_imports", "--draws", "20", "--set", "repm_scheme.scheme_utilisation=0.5", "--format", "csv")
    assert out.returncode == 0, out.stderr
    row = next(csv.DictReader(io.StringIO(out.stdout)))
    assert row["settings"] == "repm_scheme.scheme_utilisation=0.5"


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "--deal", "toll_korea", "--set", "toll_korea.partner_sparee=0.4"],
     "--set 'toll_korea.partner_sparee=0.4': unknown parameter 'partner_sparee' (did you mean 'partner_spare'?); "
     "the parameters are: eta_metal"),
    (["simulate", "--deal", "toll_korea", "--set", "toll_korea.partner_spare=1.4"],
     "--set 'toll_korea.partner_spare=1.4': 1.4 is outside [0, 1], the range of partner_spare"),
    (["simulate", "--deal", "toll_korea", "--set", "toll_korea.scheme_beneficiaries=6"],
     "6 is outside [0, 5], the range of scheme_beneficiaries"),
    (["simulate", "--deal", "toll_korea", "--set", "toll_korea.partner_spare=lots"], "'lots' is not a number (in share)"),
    (["simulate", "--deal", "toll_korea", "--deal", "toll_japan", "--set", "partner_spare=0.4"],
     "this run has 2 deals (toll_korea, toll_japan); name the one to change as DEAL.partner_spare=0.4"),
    (["simulate", "--deal", "toll_korea", "--set", "toll_japan.partner_spare=0.4"],
     "deal 'toll_japan' is not in this run"),
    (["simulate", "--deal", "toll_korea", "--set", "demand_growth=0.1"], "demand_growth belongs to the demand basis"),
    (["simulate", "--deal", "toll_korea", "--set", "partner_spare"], "expected DEAL.PARAM=VALUE"),
    (["goal", "--deal", "repm_scheme", "--metric", "own_feedstock_coverage", "--target", "0.1", "--year", "2030",
      "--lever", "oxide_imports", "--set", "repm_scheme.stock_draw=-0.1"], "-0.1 is outside [0, 1], the range of stock_draw"),
])
def test_bad_set_is_refused_with_a_message_and_no_output(args, fragment):
    out = _rekit(*args, "--draws", "20")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "rekit: error: " in out.stderr and fragment in out.stderr, out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr


def test_settings_with_no_effect_are_warned_about_by_name(tmp_path):
    q = "{value: %s, source: 'assumption: a test value'}"
    deals = tmp_path / "mine.yml"
    deals.write_text("\n".join([
        "deals:",
        "  idle_partner:",  # star_group's plants, but nothing tolled in any year
        "    extends: toll_korea",
        "    shares: {export: " + q % 0 + ", toll: " + q % 0 + ", domestic: " + q % 0 + ", stock: rest}",
        "  dry_draw:",  # a stock draw, but nothing stocked and no stock to start from
        "    extends: repm_scheme",
        "    stock_initial: " + q % 0,
        "    shares: {export: " + q % 0 + ", toll: " + q % 0 + ", domestic: rest, stock: " + q % 0 + "}",
        "  gap_years:",  # shares for 2024 and 2028 only: 2025-2027 interpolated
        "    extends: status_quo",
        "    shares:",
        "      2024: {export: " + q % 0.3 + ", toll: " + q % 0 + ", domestic: " + q % 0 + ", stock: rest}",
        "      2028: {export: " + q % 0 + ", toll: " + q % 0 + ", domestic: " + q % 0 + ", stock: rest}",
        "",
    ]), encoding="utf-8")
    out = _rekit("simulate", "--deals", str(deals), "--deal", "idle_partner", "--deal", "dry_draw", "--deal", "gap_years",
                 "--draws", "10", "--years", "2027-2027")
    assert out.returncode == 0, out.stderr
    assert "warning: deal 'idle_partner': partners has no effect: shares.toll is 0 in every year" in out.stderr
    assert "warning: deal 'dry_draw': stock_draw has no effect: there is no stock" in out.stderr
    assert "warning: deal 'gap_years': shares skip 2025-2027: interpolated linearly between the shares of 2024 and 2028" in out.stderr
    shown = _rekit("deals", "--deals", str(deals), "--show", "idle_partner")
    assert shown.returncode == 0, shown.stderr
    assert "warning: deal 'idle_partner': partners has no effect" in shown.stdout
    assert "partner_spare: 0.2 (0.05-0.5) share" in shown.stdout  # deals.yml's &spare, inherited


def test_run_set_writes_the_settings_as_the_notebooks_deals_file(tmp_path):
    out = _rekit("run", "nd_flows", "-p", "deal", "toll_korea", "-p", "draws", "20", "--set", "partner_spare=0.4",
                 "--out", str(tmp_path / "r"), process=True)
    assert out.returncode == 0, out.stderr
    written = list((tmp_path / "r").glob("nd_flows.settings-*.yml"))
    assert len(written) == 1
    assert "settings:\n  toll_korea:\n    partner_spare: 0.4\n" in written[0].read_text(encoding="utf-8")
    assert len(list((tmp_path / "r").glob("nd_flows--*.html"))) == 1


@pytest.mark.parametrize("args, fragment", [
    (["nd_flows", "--set", "toll_korea.partner_sparee=0.4"], "unknown parameter 'partner_sparee' (did you mean 'partner_spare'?)"),
    (["nd_flows", "-p", "deal", "toll_korea", "--set", "partner_spare=1.5"], "1.5 is outside [0, 1], the range of partner_spare"),
    (["self_sufficiency", "-p", "deals", "[toll_korea, toll_japan]", "--set", "partner_spare=0.4"],
     "this run has 2 deals (toll_korea, toll_japan); name the one to change as DEAL.partner_spare=0.4"),
    (["supply_concentration", "--set", "toll_korea.partner_spare=0.4"],
     "--set: notebook 'supply_concentration' takes no deals file (it has no 'deals_file' parameter)"),
])
def test_run_refuses_a_bad_set_and_writes_nothing(tmp_path, args, fragment):
    out = _rekit("run", *args, "--out", str(tmp_path / "r"))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "rekit: error: " in out.stderr and fragment in out.stderr, out.stderr
    assert not (tmp_path / "r").exists()  # nothing written
