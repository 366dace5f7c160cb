"""`bottom_up` (rekit.model.demand) on a small data folder written by each test, worked by hand: the base and its
sources, the growth path, the end uses left out, the mix, the description, and every refusal's message in full."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from rekit.model.demand import AS_OF, LATE_GROWTH, DemandError, bottom_up, check_periods

END_USES = ["end_use", "title", "lifetime_distribution", "lifetime_a", "lifetime_b"]
UNITS = ["end_use", "period", "units", "source_id"]
CONTENT = ["end_use", "kg_per_unit", "low", "high", "source_id"]
OUTLOOKS = ["outlook", "period", "value", "source_id"]


def _write(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)


def folder(tmp_path: Path, end_uses=None, units=None, content=None, outlooks=None) -> Path:
    """Five end uses: aa and bb have units and kg per unit; cc neither; dd units only; ee kg per unit only."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    _write(tmp_path / "end_uses.csv", END_USES, end_uses if end_uses is not None else [
        ["aa", "Alpha Things", "normal", "10", "2"],
        ["bb", "Beta Things", "weibull", "3", "12"],
        ["cc", "Gamma Things", "normal", "0", "0"],  # not covered: its lifetime is never read
        ["dd", "Delta Things", "normal", "5", "1"],
        ["ee", "Epsilon Things", "normal", "5", "1"],
    ])
    _write(tmp_path / "end_use_units.csv", UNITS, units if units is not None else [
        ["aa", "FY2023-24", "400000", "src_u1"],
        ["aa", "FY2024-25", "800000", "src_u2"],
        ["bb", "FY2024-25", "2000000", "src_u1"],
        ["bb", "FY2023-24", "1000000", "src_u1"],
        ["dd", "FY2024-25", "10", "src_u3"],
    ])
    _write(tmp_path / "magnet_content.csv", CONTENT, content if content is not None else [
        ["aa", "2", "1", "4", "src_k1"],
        ["bb", "1.2", "0.4", "1.6", "src_k2"],
        ["ee", "3", "3", "3", "src_k3"],
    ])
    _write(tmp_path / "demand_outlooks.csv", OUTLOOKS, outlooks if outlooks is not None else [
        ["ev_sales_fy2024_25", "FY2024-25", "2000", "src_o1"],
        ["ev_sales_growth_fy2024_25", "FY2024-25", "0.1", "src_o1"],
        ["ev_sales_2030_economic_survey", "2026", "2880", "src_o2"],
    ])
    return tmp_path


def refused(path: Path, **kwargs) -> str:
    with pytest.raises(DemandError) as exc:
        bottom_up(path, **kwargs)
    return str(exc.value)


def test_the_base_year_total_and_each_end_use_by_hand(tmp_path):
    b = bottom_up(folder(tmp_path))
    # aa: calendar 2024 = 0.25 x 400,000 + 0.75 x 800,000 = 100,000 + 600,000 = 700,000 units
    #     x 2 kg / 1000 = 1,400 t (low 1 kg: 700 t; high 4 kg: 2,800 t)
    # bb: 0.25 x 1,000,000 + 0.75 x 2,000,000 = 250,000 + 1,500,000 = 1,750,000 units (rows given out of order)
    #     x 1.2 kg / 1000 = 2,100 t (low 0.4 kg: 700 t; high 1.6 kg: 2,800 t)
    assert list(b.by_end_use.columns) == ["end_use", "title", "year", "units", "low", "t_magnet", "high"]
    assert b.by_end_use["end_use"].tolist() == ["aa", "bb"]
    assert b.by_end_use["title"].tolist() == ["Alpha Things", "Beta Things"]
    assert b.by_end_use["year"].tolist() == [2024, 2024]
    assert b.by_end_use["units"].tolist() == pytest.approx([700_000, 1_750_000])
    assert b.by_end_use["low"].tolist() == pytest.approx([700, 700])
    assert b.by_end_use["t_magnet"].tolist() == pytest.approx([1400, 2100])
    assert b.by_end_use["high"].tolist() == pytest.approx([2800, 2800])
    # the total: 1,400 + 2,100 = 3,500 t; low 700 + 700 = 1,400 t; high 2,800 + 2,800 = 5,600 t
    assert b.base_year == 2024
    assert (b.base.value, b.base.low, b.base.high) == pytest.approx((3500, 1400, 5600))
    assert b.base.unit == "t magnet"
    # every source behind the two end uses, sorted, each once (src_u1 gives three rows): not dd's nor ee's
    assert b.base.source == "src_k1 src_k2 src_u1 src_u2"
    assert b.base.note == "Σ units × kg per unit / 1000 over aa, bb, calendar 2024"


def test_the_growth_path_by_hand(tmp_path):
    b = bottom_up(folder(tmp_path))
    (y1, g), (y2, g2), (y3, late) = b.growth
    # from 2024 to the survey's 2026: (2,880 / 2,000)^(1/2) − 1 = 1.44^0.5 − 1 = 1.2 − 1 = 0.2 a year (high);
    # low 0.1, the latest growth; central (0.1 + 0.2) / 2 = 0.15
    assert (y1, y2, y3) == (2025, 2026, 2027)
    assert g2 is g
    assert late == LATE_GROWTH
    assert (g.value, g.low, g.high) == pytest.approx((0.15, 0.1, 0.2))
    assert g.unit == "ratio"
    assert g.source == "src_o1 src_o2"
    assert g.note == "low: EV sales' growth in FY2024-25; high: (2,880 / 2,000)^(1/2) − 1 to the Economic Survey's 2026"


def test_another_year_reads_its_own_fiscal_years_and_growth_span(tmp_path):
    units = [["aa", "FY2023-24", "400000", "src_u1"], ["aa", "FY2024-25", "800000", "src_u1"],
             ["aa", "FY2025-26", "1200000", "src_u1"]]
    outlooks = [["ev_sales_fy2024_25", "FY2024-25", "1000", "src_o1"],
                ["ev_sales_growth_fy2024_25", "FY2024-25", "0.5", "src_o1"],
                ["ev_sales_2030_economic_survey", "2028", "8000", "src_o1"]]
    b = bottom_up(folder(tmp_path, units=units, outlooks=outlooks), year=2025)
    # calendar 2025 = 0.25 x 800,000 + 0.75 x 1,200,000 = 200,000 + 900,000 = 1,100,000 units x 2 kg = 2,200 t
    assert b.base_year == 2025
    assert b.by_end_use["year"].tolist() == [2025]
    assert b.base.value == pytest.approx(2200)
    assert b.base.note == "Σ units × kg per unit / 1000 over aa, calendar 2025"
    # 2025 to 2028, three years: (8,000 / 1,000)^(1/3) − 1 = 2 − 1 = 1; central (0.5 + 1) / 2 = 0.75
    (y1, g), (y2, _), (y3, _) = b.growth
    assert (y1, y2, y3) == (2026, 2028, 2029)
    assert (g.value, g.low, g.high) == pytest.approx((0.75, 0.5, 1.0))
    assert g.source == "src_o1"
    assert g.note.endswith("(8,000 / 1,000)^(1/3) − 1 to the Economic Survey's 2028")


def test_the_end_uses_left_out_are_named_with_what_they_lack(tmp_path):
    b = bottom_up(folder(tmp_path))
    assert AS_OF == "2026-12-03"
    assert b.not_reported == {
        "cc": "units sold a year and kg NdFeB per unit not reported as of 2026-12-03",
        "dd": "kg NdFeB per unit not reported as of 2026-12-03",
        "ee": "units sold a year not reported as of 2026-12-03",
    }


def test_the_mix_shares_and_lifetimes(tmp_path):
    b = bottom_up(folder(tmp_path))
    # shares of the 3,500 t: aa 1,400 / 3,500 = 0.4, bb 2,100 / 3,500 = 0.6; lifetimes as end_uses.csv gives them
    (u1, s1, k1, a1, b1), (u2, s2, k2, a2, b2) = b.mix
    assert (u1, k1, a1, b1) == ("aa", "normal", 10.0, 2.0)
    assert (u2, k2, a2, b2) == ("bb", "weibull", 3.0, 12.0)
    assert (s1, s2) == pytest.approx((0.4, 0.6))
    assert all(type(x) is float for x in (s1, a1, b1, s2, a2, b2))


def test_the_description_in_words(tmp_path):
    b = bottom_up(folder(tmp_path))
    assert b.description == (
        "From the bottom up: units sold × kg NdFeB per unit for alpha things, beta things (3,500 t in 2024, 1,400-5,600), "
        "growing to 2026 between EV sales' latest growth and the Economic Survey's one crore EVs, then 3-8% a year; "
        "3 end uses not reported as of 2026-12-03 are left out")


def test_a_missing_file_is_named(tmp_path):
    for name in ("end_uses.csv", "end_use_units.csv", "magnet_content.csv", "demand_outlooks.csv"):
        d = folder(tmp_path / name.removesuffix(".csv"))
        (d / name).unlink()
        assert refused(d) == f"{d / name}: missing; the bottom-up demand needs it (see data/datapackage.json)"


def test_a_bad_units_row_is_named_by_row_and_column(tmp_path):
    good = [["aa", "FY2023-24", "400000", "s"], ["aa", "FY2024-25", "800000", "s"]]
    d = folder(tmp_path / "a", units=[*good, ["zz", "FY2024-25", "1", "s"]])
    assert refused(d) == ("end_use_units.csv, row 4, column end_use: unknown end use 'zz'; "
                          "allowed: aa, bb, cc, dd, ee")
    d = folder(tmp_path / "b", units=[*good, ["bb", "2024-25", "1", "s"]])
    assert refused(d) == ("end_use_units.csv, row 4, column period: period '2024-25' is not an Indian fiscal year; "
                          "allowed: FYYYYY-YY, e.g. FY2024-25")
    d = folder(tmp_path / "c", units=[good[0], ["aa", "FY2024-25", "many", "s"]])
    assert refused(d) == "end_use_units.csv, row 3, column units: 'many' is not a number"


def test_a_units_series_with_a_gap_is_refused(tmp_path):
    d = folder(tmp_path, units=[["aa", "FY2024-25", "1", "s"], ["aa", "FY2022-23", "1", "s"]])
    assert refused(d) == ("end_use_units.csv: the sales series of 'aa' has gaps in FY2023-24; give a row for every "
                          "fiscal year from FY2022-23 to FY2024-25")


def test_a_gap_is_named_whatever_the_order_of_the_years():
    with pytest.raises(DemandError) as exc:
        check_periods({"ok": [2021, 2020], "x": [2024, 2020, 2022]}, file="mine.csv")
    assert str(exc.value) == ("mine.csv: the sales series of 'x' has gaps in FY2021-22, FY2023-24; give a row for every "
                              "fiscal year from FY2020-21 to FY2024-25")
    # FY1999-00 across the century: (1999 + 1) % 100 = 0, written 00
    with pytest.raises(DemandError) as exc:
        check_periods({"y": [1998, 2000]})
    assert str(exc.value) == ("end_use_units.csv: the sales series of 'y' has gaps in FY1999-00; give a row for every "
                              "fiscal year from FY1998-99 to FY2000-01")
    check_periods({"z": [2024]})  # one year: no gap
    check_periods({"z": [2025, 2023, 2024]})


def test_a_bad_kg_per_unit_row_is_named(tmp_path):
    d = folder(tmp_path / "a", content=[["aa", "2", "1", "4", "s"], ["yy", "1", "1", "1", "s"]])
    assert refused(d) == ("magnet_content.csv, row 3, column end_use: unknown end use 'yy'; "
                          "allowed: aa, bb, cc, dd, ee")
    for i, (mid, lo, hi) in enumerate((("1", "0", "2"), ("1", "2", "3"), ("3", "1", "2"))):
        d = folder(tmp_path / f"b{i}", content=[["aa", mid, lo, hi, "s"]])
        assert refused(d) == (f"magnet_content.csv, row 2: kg per unit low {float(lo)}, central {float(mid)}, "
                              f"high {float(hi)}; allowed: 0 < low <= central <= high")
    for column, row in (("kg_per_unit", ["aa", "x", "1", "2", "s"]), ("low", ["aa", "1", "x", "2", "s"]),
                        ("high", ["aa", "1", "1", "x", "s"])):
        d = folder(tmp_path / column, content=[row])
        assert refused(d) == f"magnet_content.csv, row 2, column {column}: 'x' is not a number"


def test_equal_bounds_of_kg_per_unit_are_allowed(tmp_path):
    # low = central = high = 2 kg: 700,000 units x 2 kg / 1000 = 1,400 t; bb has no kg per unit here
    b = bottom_up(folder(tmp_path, content=[["aa", "2", "2", "2", "s"]]))
    assert (b.base.value, b.base.low, b.base.high) == pytest.approx((1400, 1400, 1400))
    assert b.not_reported["bb"] == "kg NdFeB per unit not reported as of 2026-12-03"


def test_a_missing_outlook_row_is_named(tmp_path):
    rows = [["ev_sales_fy2024_25", "FY2024-25", "2000", "s"], ["ev_sales_growth_fy2024_25", "FY2024-25", "0.1", "s"],
            ["ev_sales_2030_economic_survey", "2026", "2880", "s"]]
    for name in ("ev_sales_fy2024_25", "ev_sales_growth_fy2024_25", "ev_sales_2030_economic_survey"):
        d = folder(tmp_path / name, outlooks=[r for r in rows if r[0] != name])
        assert refused(d) == f"demand_outlooks.csv: no row {name!r}; the bottom-up projection needs it"
    # two missing: the first of them is named
    d = folder(tmp_path / "two", outlooks=rows[2:])
    assert refused(d) == "demand_outlooks.csv: no row 'ev_sales_fy2024_25'; the bottom-up projection needs it"


def test_a_bad_outlook_value_is_named(tmp_path):
    for i, name in enumerate(("ev_sales_fy2024_25", "ev_sales_growth_fy2024_25", "ev_sales_2030_economic_survey")):
        rows = [["ev_sales_fy2024_25", "FY2024-25", "2000", "s"], ["ev_sales_growth_fy2024_25", "FY2024-25", "0.1", "s"],
                ["ev_sales_2030_economic_survey", "2026", "2880", "s"]]
        rows[i][2] = "-1"
        d = folder(tmp_path / name, outlooks=rows)
        assert refused(d) == "demand_outlooks.csv, column value: '-1'; allowed: a finite number >= 0"


def test_a_latest_growth_above_the_surveys_path_is_refused_and_an_equal_one_allowed(tmp_path):
    rows = [["ev_sales_fy2024_25", "FY2024-25", "2000", "s"], ["ev_sales_growth_fy2024_25", "FY2024-25", "0.25", "s"],
            ["ev_sales_2030_economic_survey", "2026", "2880", "s"]]
    # high (2,880 / 2,000)^(1/2) − 1 = 0.2 < 0.25
    assert refused(folder(tmp_path / "a", outlooks=rows)) == (
        "demand_outlooks.csv: the latest growth 0.25 exceeds the Economic Survey's path 0.2000")
    # (4,000 / 1,000)^(1/2) − 1 = 2 − 1 = 1 exactly: a latest growth of 1 equals it
    rows = [["ev_sales_fy2024_25", "FY2024-25", "1000", "s"], ["ev_sales_growth_fy2024_25", "FY2024-25", "1", "s"],
            ["ev_sales_2030_economic_survey", "2026", "4000", "s"]]
    g = bottom_up(folder(tmp_path / "b", outlooks=rows)).growth[0][1]
    assert (g.value, g.low, g.high) == (1.0, 1.0, 1.0)


def test_no_end_use_with_both_units_and_kg_is_refused(tmp_path):
    d = folder(tmp_path, content=[["ee", "3", "3", "3", "s"]])
    assert refused(d) == ("the data give no end use with both units sold and kg magnet per unit; "
                          "the bottom-up demand is empty")


def test_a_covered_end_uses_lifetime_must_be_above_0(tmp_path):
    rows = [["aa", "Alpha Things", "normal", "10", "2"], ["bb", "Beta Things", "weibull", "3", "12"]]
    bad_a = [rows[0], ["bb", "Beta Things", "weibull", "0", "12"]]
    assert refused(folder(tmp_path / "a", end_uses=bad_a, content=[["aa", "2", "1", "4", "s"], ["bb", "1", "1", "1", "s"]],
                          units=[r for r in _units() if r[0] in ("aa", "bb")])) == (
        "end_uses.csv, row 3, column lifetime_a: '0' for 'bb' is not allowed; "
        "allowed: a number above 0 (a weibull lifetime's parameter)")
    bad_b = [["aa", "Alpha Things", "normal", "10", "-1"], rows[1]]
    assert refused(folder(tmp_path / "b", end_uses=bad_b, units=[r for r in _units() if r[0] in ("aa", "bb")],
                          content=[["aa", "2", "1", "4", "s"], ["bb", "1", "1", "1", "s"]])) == (
        "end_uses.csv, row 2, column lifetime_b: '-1' for 'aa' is not allowed; "
        "allowed: a number above 0 (a normal lifetime's parameter)")


def _units() -> list[list[str]]:
    return [["aa", "FY2023-24", "400000", "s"], ["aa", "FY2024-25", "800000", "s"],
            ["bb", "FY2023-24", "1000000", "s"], ["bb", "FY2024-25", "2000000", "s"]]


def test_the_frame_is_a_dataframe(tmp_path):
    assert isinstance(bottom_up(str(folder(tmp_path))).by_end_use, pd.DataFrame)  # a str folder is read too


def test_a_fiscal_year_the_calendar_year_needs_is_named(tmp_path):
    # aa gives only FY2024-25: no gap, but calendar 2024 needs FY2023-24 too
    d = folder(tmp_path, units=[["aa", "FY2024-25", "800000", "s"]])
    assert refused(d) == "end_use_units.csv: 'aa' has no units for FY2023-24, which calendar 2024 needs"
