"""The bottom-up demand's small readers (rekit.model.demand), worked by hand: fiscal years, numbers and their
bounds, a missing file, and the calendar year's units from two fiscal years."""

from __future__ import annotations

import pytest

from rekit.model import demand
from rekit.model.demand import DemandError, calendar_units


def test_a_fiscal_year_is_named_by_its_two_years_in_order():
    # FY2024-25 starts in 2024
    assert demand._fy_start("FY2024-25", "w") == 2024
    # FY1999-00: 1999 + 1 = 2000, 2000 % 100 = 0
    assert demand._fy_start("FY1999-00", "w") == 1999
    for bad in ("FY2024-26", "2024-25"):
        with pytest.raises(DemandError) as exc:
            demand._fy_start(bad, "end_use_units.csv, row 3, column period")
        assert str(exc.value) == (f"end_use_units.csv, row 3, column period: period {bad!r} is not an Indian fiscal year; "
                                  "allowed: FYYYYY-YY, e.g. FY2024-25")


def test_a_number_is_finite_and_not_negative_and_0_is_allowed():
    assert demand._number({"units": " 0 "}, "units", "w") == 0.0
    assert demand._number({"units": "1.5e3"}, "units", "w") == 1500.0
    for text, why in (("-1", "'-1'; allowed: a finite number >= 0"), ("inf", "'inf'; allowed: a finite number >= 0"),
                      ("", "'' is not a number"), ("lots", "'lots' is not a number")):
        with pytest.raises(DemandError) as exc:
            demand._number({"units": text}, "units", "end_use_units.csv, row 4")
        assert str(exc.value) == f"end_use_units.csv, row 4, column units: {why}"
    with pytest.raises(DemandError) as exc:
        demand._number({}, "units", "end_use_units.csv, row 4")  # no such column: empty, not a number
    assert str(exc.value) == "end_use_units.csv, row 4, column units: '' is not a number"


def test_a_positive_number_is_above_0_and_finite():
    assert demand._positive("0.5") is True
    assert demand._positive("12") is True
    for text in ("0", "-3", "inf", "abc", ""):
        assert demand._positive(text) is False, text


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "end_use_units.csv"
    with pytest.raises(DemandError) as exc:
        demand._read(path)
    assert str(exc.value) == f"{path}: missing; the bottom-up demand needs it (see data/datapackage.json)"


def test_calendar_units_by_hand_and_the_fiscal_years_it_lacks():
    # calendar 2025 = 0.25 x FY2024-25 + 0.75 x FY2025-26 = 0.25 x 100 + 0.75 x 200 = 25 + 150 = 175
    assert calendar_units({2024: 100.0, 2025: 200.0}, 2025, "ev_2w") == 175.0
    with pytest.raises(DemandError) as exc:
        calendar_units({2026: 1.0}, 2025, "ev_2w")
    assert str(exc.value) == "end_use_units.csv: 'ev_2w' has no units for FY2024-25, FY2025-26, which calendar 2025 needs"


def test_a_quoted_line_break_is_read_as_written(tmp_path):
    """newline="" (as the csv module asks): a quoted field's "\\r\\n" stays "\\r\\n", not "\\n"."""
    path = tmp_path / "end_uses.csv"
    path.write_bytes('end_use,title\r\naa,"Electric\r\nvehicles"\r\nbb,"é"\r\n'.encode())
    assert demand._read(path) == [{"end_use": "aa", "title": "Electric\r\nvehicles"}, {"end_use": "bb", "title": "é"}]
