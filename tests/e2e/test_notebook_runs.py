"""The story notebooks run with non-default parameters, and refuse bad ones before running (real papermill)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def rekit(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_flows_notebook_with_other_parameters(tmp_path):
    out = rekit("run", "nd_flows", "-p", "deal", "repm_scheme", "-p", "year", "2028", "-p", "draws", "50", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    pages = list(tmp_path.glob("nd_flows--*.html"))  # the name's slug belongs to the runner
    assert len(pages) == 1, pages
    html = pages[0].read_text()
    assert "repm_scheme" in html and "2028" in html
    assert "Neodymium flows, repm_scheme, 2028" in html  # the chart drawn for the parameters given


def test_self_sufficiency_notebook_with_another_basis(tmp_path):
    out = rekit("run", "self_sufficiency", "-p", "deals", "toll_korea", "-p", "basis", "plan_2030", "-p", "draws", "50",
                "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    html = next(tmp_path.glob("self_sufficiency*.html")).read_text()
    assert "plan_2030" in html and "toll_korea" in html


@pytest.mark.parametrize("args, message", [
    (["nd_flows", "-p", "deal", "toll_mars"], "parameter 'deal': got 'toll_mars'; allowed: one of 'status_quo'"),
    (["nd_flows", "-p", "year", "2060"], "parameter 'year': got 2060; allowed: an integer from 2024 to 2050"),
    (["self_sufficiency", "-p", "level", "high"], "parameter 'level': got 'high'"),
    (["self_sufficiency", "-p", "year", "2040"], "year"),  # outside start_year..end_year
    (["supply_concentration", "-p", "edition", "usgs_mcs_1999"], "allowed: one of 'all', 'usgs_mcs_2023'"),
    (["export_controls_timeline", "-p", "since", "last spring"], "parameter 'since': got 'last spring'"),
    (["export_share", "-p", "colour", "red"], "unknown parameter 'colour' for notebook 'export_share'"),
])
def test_bad_parameters_are_refused_before_running(tmp_path, args, message):
    out = rekit("run", *args, "--out", str(tmp_path))
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.glob("*.html"))
