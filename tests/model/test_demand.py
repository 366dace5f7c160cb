"""The bottom-up demand basis: known values from the data worked by hand, the basis in simulate and on the
command line, and bad input (a sales series with gaps, an unknown end use) refused with a named message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rekit.model.deals import load_deals
from rekit.model.demand import BASIS, DemandError, bottom_up, calendar_units, check_periods
from rekit.model.simulation import simulate
from rekit.paths import BUNDLED_DATA
from tests.conftest import read_rows, write_rows


def test_base_year_total_by_hand():
    b = bottom_up(BUNDLED_DATA)
    # electric two-wheelers, calendar 2024 = 0.25 · 948,561 (FY2023-24) + 0.75 · 1,149,334 (FY2024-25)
    #   = 237,140.25 + 862,000.5 = 1,099,140.75 vehicles × 0.6 kg = 659,484.45 kg = 659.48445 t
    # electric cars: 0.25 · 98,882 + 0.75 · 110,748 = 24,720.5 + 83,061 = 107,781.5 vehicles
    #   × 1.745 kg = 188.0787 t (1.6 kg: 172.4504 t; 1.92 kg: 206.9405 t)
    rows = b.by_end_use.set_index("end_use")
    assert rows.loc["ev_2w", "t_magnet"] == pytest.approx(659.48445)
    assert rows.loc["ev_4w", "t_magnet"] == pytest.approx(188.0786675)
    assert b.base.value == pytest.approx(847.5631175)
    assert b.base.low == pytest.approx(659.48445 + 172.4504)
    assert b.base.high == pytest.approx(659.48445 + 206.94048)
    assert b.base_year == 2024 and b.base.unit == "t magnet"
    # every source behind the total is named
    assert set(b.base.source.split()) == {"pib_mhi_ev_sales_2025_04_01", "emobilityplus_2025_04_08",
                                          "rareearthexchanges_2025_10", "adamas_gcc_2020_08_18"}


def test_growth_paths_by_hand():
    b = bottom_up(BUNDLED_DATA)
    (y1, g), (y2, g2), (y3, late) = b.growth
    assert (y1, y2, y3) == (2025, 2030, 2031)
    # low: 15.6% (EV sales' growth in FY2024-25); high: (10,000,000 / 2,000,000)^(1/6) − 1 = 5^(1/6) − 1 = 0.307660
    assert g.low == pytest.approx(0.156)
    assert g.high == pytest.approx(0.3076605, abs=1e-7)
    assert g.value == pytest.approx((0.156 + 0.3076605) / 2, abs=1e-7)
    assert g2 == g
    assert (late.value, late.low, late.high) == (0.05, 0.03, 0.08)


def test_left_out_end_uses_are_named_not_guessed():
    left = bottom_up(BUNDLED_DATA).not_reported
    # three-wheelers and buses have units but no kg per unit; wind, motors and electronics have neither
    assert left["ev_3w"] == "kg NdFeB per unit not reported as of 2026-12-03"
    assert left["wind_direct_drive"] == "units sold a year and kg NdFeB per unit not reported as of 2026-12-03"
    assert "ev_2w" not in left and "ev_4w" not in left


def test_bottom_up_is_a_demand_basis_of_simulate():
    book = load_deals()
    assert BASIS in book.demands
    r = simulate(book, ["repm_scheme"], years=(2024, 2026), draws=0, demand=BASIS)
    d = r.at("magnet_demand", "repm_scheme", 2024)
    # 2024 is the base year: 847.5631 t; 2025 grows by the central 0.2318302: 847.5631 × 1.2318302 = 1,044.0542 t
    assert float(d[0]) == pytest.approx(847.5631175)
    assert float(r.at("magnet_demand", "repm_scheme", 2025)[0]) == pytest.approx(847.5631175 * 1.23183024, rel=1e-7)
    assert r.demand == BASIS


def test_calendar_units_by_hand():
    # 0.25 · 100 + 0.75 · 200 = 175
    assert calendar_units({2023: 100.0, 2024: 200.0}, 2024, "x") == 175.0
    with pytest.raises(DemandError, match=r"'x' has no units for FY2023-24, which calendar 2024 needs"):
        calendar_units({2024: 200.0}, 2024, "x")


def test_sales_series_with_gaps_names_the_years():
    with pytest.raises(DemandError, match=r"sales series of 'ev_2w' has gaps in FY2021-22, FY2023-24; "
                                          r"give a row for every fiscal year from FY2020-21 to FY2024-25"):
        check_periods({"ev_2w": [2020, 2022, 2024]})


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, timeout=300)


def test_command_line_refuses_a_gap_and_an_unknown_end_use(data_copy):
    path = data_copy / "end_use_units.csv"
    rows = read_rows(path)
    # drop FY2023-24 of electric two-wheelers and add FY2022-23: the series 2022, 2024 has a gap in FY2023-24
    gap = [r for r in rows if not (r["end_use"] == "ev_2w" and r["period"] == "FY2023-24")]
    gap.append({**rows[0], "period": "FY2022-23"})
    write_rows(path, gap)
    out = _run("simulate", "--data", str(data_copy), "--deal", "repm_scheme", "--demand", BASIS, "--draws", "10")
    assert out.returncode == 2, out.stderr
    assert "the sales series of 'ev_2w' has gaps in FY2023-24" in out.stderr
    assert "Traceback" not in out.stderr

    write_rows(path, [*rows, {**rows[0], "end_use": "e_tractor", "period": "FY2024-25"}])
    out = _run("simulate", "--data", str(data_copy), "--deal", "repm_scheme", "--demand", BASIS, "--draws", "10")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "e_tractor" in out.stderr


def test_command_line_refuses_a_non_positive_lifetime_and_a_collection_rate_above_one(data_copy, tmp_path):
    rows = read_rows(data_copy / "end_uses.csv")
    rows[0]["lifetime_a"] = "0"  # ev_2w: a normal lifetime with mean 0 years
    write_rows(data_copy / "end_uses.csv", rows)
    out = _run("simulate", "--data", str(data_copy), "--deal", "repm_scheme_recycling", "--draws", "5")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "end_uses.csv, row 2, column lifetime_a: '0' for 'ev_2w' is not allowed; allowed: a number above 0" in out.stderr

    mine = tmp_path / "mine.yml"
    mine.write_text("deals:\n  over_collected:\n    extends: repm_scheme_recycling\n"
                    "    recycling_collection: {value: 1.5, source: 'assumption: a test'}\n", encoding="utf-8")
    out = _run("simulate", "--deals", str(mine), "--deal", "over_collected", "--draws", "5")
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "recycling_collection" in out.stderr and "1.5" in out.stderr
