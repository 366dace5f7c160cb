"""The deals file's reading rules, one at a time, on a small hand-made dataset (not the bundled data):
dates, decimal years, quantities from a value or an observation, sources, schedules, years, shares,
the export halt and the China shock, each refusal word for word."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rekit.data.dataset import Dataset
from rekit.model.deals import (
    DATE_FORM, PARAMS, DealError, Param, _iso, _Reader, _unknown, decimal_year, halt_schedule,
)
from rekit.model.quantities import Quantity, Schedule

# id, status, source_id, unit, value, low, high
OBS = [
    ("ox", "reported", "src_a", "t NdPr oxide", 450.0, 400.0, 500.0),
    ("ox_point", "estimate", "src_a", "t NdPr oxide/yr", 300.0, math.nan, math.nan),
    ("gone", "withdrawn", "src_b", "t NdPr oxide", 30.0, math.nan, math.nan),
    ("frac", "reported", "src_b", "share", 0.4, math.nan, math.nan),
    ("huge", "reported", "src_b", "t NdPr oxide", 1e13, math.nan, math.nan),
]


@pytest.fixture
def r() -> _Reader:
    """A fresh reader for each test (cheap: five rows), so every test exercises its construction."""
    obs = pd.DataFrame(OBS, columns=["id", "status", "source_id", "unit", "value", "low", "high"])
    sources = pd.DataFrame({"source_id": ["src_a", "src_b"]})
    events = pd.DataFrame({"id": ["ctrl_1", "ctrl_2", "mou"], "kind": ["export_control", "export_control", "agreement"]})
    ds = Dataset(observations=obs, sources=sources, events=events, indicators=pd.DataFrame(), path=Path("."))
    return _Reader(ds, "mine.yml")


MASS = Param("t NdPr oxide", ("mass",), 0, 1000, False, "an oxide mass")
YIELD = Param("ratio", ("share", "ratio"), 0, 1, True, "a yield")


def refused(call, *args) -> str:
    with pytest.raises(DealError) as caught:
        call(*args)
    return str(caught.value)


# --- dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, iso", [
    ("2026-03-31", "2026-03-31"), ("2026-03", "2026-03-01"), (dt.date(2027, 1, 5), "2027-01-05"),
    (dt.datetime(2027, 1, 5, 13, 30), "2027-01-05"), ("2014-01-01", "2014-01-01"), ("2050-12-31", "2050-12-31"),
    ("2013-12-31", None), ("2051-01-01", None), ("2025-02-30", None), ("2025-6-1", None), ("2025-13", None),
    ("2025-06-01x", None), (" 2025-06-01", None), (20250601, None), (None, None), ("2025", None),
])
def test_iso_reads_real_dates_from_2014_to_2050(value, iso):
    assert _iso(value) == iso


def test_date_form_names_the_reach():
    assert DATE_FORM == "a calendar date YYYY-MM-DD (or YYYY-MM) from 2014 to 2050"


@pytest.mark.parametrize("date, expected", [
    ("2026-01-01", 2026.0),
    ("2026-03-31", 2026 + 89 / 365),   # 31 + 28 + 30 days elapsed in a common year
    ("2024-03-31", 2024 + 90 / 366),   # 31 + 29 + 30 in a leap year
    ("2024-12-31", 2024 + 365 / 366),
    ("2025-12-31", 2025 + 364 / 365),
])
def test_decimal_year_counts_the_days_elapsed(date, expected):
    assert decimal_year(date) == pytest.approx(expected, abs=1e-12)


def test_halt_schedule_is_a_point_or_a_range_from_the_directive():
    s = halt_schedule("2026-07-02", None, {"source": "src_a"})  # 182 days elapsed of 365
    assert s == Schedule.constant(Quantity(2026 + 182 / 365, 2026 + 182 / 365, 2026 + 182 / 365, "year", "src_a",
                                           "exports stop on 2026-07-02"))
    s = halt_schedule("2026-01-01", "2027-01-01", {"source": "assumption: x", "note": "mine"})
    assert s == Schedule.constant(Quantity(2026.0, 2026.0, 2027.0, "year", "assumption: x", "mine"))
    s = halt_schedule("2026-01-01", "2028-01-01", {})
    assert s == Schedule.constant(Quantity(2026.0, 2026.0, 2028.0, "year", "", "exports stop between 2026-01-01 and 2028-01-01"))


# --- keys ---------------------------------------------------------------------------------------

def test_an_unknown_key_is_named_with_a_hint_and_the_allowed():
    assert str(_unknown("f: deal 'd'", "valeu", ("value", "low"))) == \
        "f: deal 'd': unknown key 'valeu' (did you mean 'value'?); allowed: value, low"
    assert str(_unknown("w", "zzz", (1, 2))) == "w: unknown key 'zzz'; allowed: 1, 2"


# --- quantities ---------------------------------------------------------------------------------

def test_a_value_with_a_source(r):
    q = r.quantity("w", "m", {"value": 10, "low": 5, "high": 20, "source": "assumption: a guess", "note": "n"}, MASS)
    assert q == Quantity(10.0, 5.0, 20.0, "t NdPr oxide", "assumption: a guess", "n")
    assert type(q.value) is float and type(q.low) is float and type(q.high) is float
    q = r.quantity("w", "m", {"value": 7, "source": "src_a"}, MASS)
    assert (q.value, q.low, q.high, q.source, q.note) == (7.0, 7.0, 7.0, "src_a", "")


def test_an_observation_gives_its_value_and_range_and_a_spec_may_narrow_them(r):
    q = r.quantity("w", "m", {"obs": "ox"}, MASS)
    assert (q.value, q.low, q.high, q.unit, q.source) == (450.0, 400.0, 500.0, "t NdPr oxide", "obs:ox")
    q = r.quantity("w", "m", {"obs": "ox_point"}, MASS)  # no low or high: a point
    assert (q.value, q.low, q.high) == (300.0, 300.0, 300.0)
    q = r.quantity("w", "m", {"obs": "ox", "value": 420, "low": 410, "high": 430, "source": "assumption: narrower"}, MASS)
    assert (q.value, q.low, q.high, q.source) == (420.0, 410.0, 430.0, "obs:ox assumption: narrower")
    q = r.quantity("w", "m", {"obs": "ox_point", "value": 310}, MASS)  # the value alone moves the point
    assert (q.value, q.low, q.high) == (310.0, 310.0, 310.0)
    q = r.quantity("w", "m", {"obs": "ox", "value": 420}, MASS)  # the observation's range stays
    assert (q.value, q.low, q.high) == (420.0, 400.0, 500.0)


@pytest.mark.parametrize("spec, message", [
    (5, "w, key 'm': value 5 needs a source: write {value: 5, source: assumption} or {obs: ID} "
        "(allowed keys: obs, value, low, high, source, note)"),
    ({"value": 5, "sorce": "x"}, "w, key 'm': unknown key 'sorce' (did you mean 'source'?); allowed: obs, value, low, high, source, note"),
    ({"obs": "oxx"}, "w, key 'm': obs 'oxx' is not an id in observations.csv (did you mean 'ox'?)"),
    ({"obs": "qqqqqq"}, "w, key 'm': obs 'qqqqqq' is not an id in observations.csv"),
    ({"obs": "gone"}, "w, key 'm': obs 'gone' was withdrawn by its source (src_b); a withdrawn figure is never a model "
                      "input: use the revised row instead"),
    ({"obs": "frac"}, "w, key 'm': obs 'frac' is in 'share', but m needs t NdPr oxide"),
    ({"obs": "ox", "source": "nowhere"}, "w, key 'm': source 'nowhere' is neither a source_id, obs:ID nor 'assumption'"),
    ({"source": "src_a"}, "w, key 'm': give `value` (with `source`) or `obs`"),
    ({"value": 5}, "w, key 'm': value 5 has no source: add `source: assumption` (with a note saying why) or a source_id / obs:ID"),
    ({"value": True, "source": "src_a"}, "w, key 'm': value True is not a number"),
    ({"value": 5, "low": "4", "source": "src_a"}, "w, key 'm': low '4' is not a number"),
    ({"value": 5, "high": None, "source": "src_a"}, "w, key 'm': high None is not a number"),
    ({"value": float("inf"), "source": "src_a"}, "w, key 'm': value inf is not a finite number within [-1e+12, 1e+12]"),
    ({"value": 5, "low": float("nan"), "source": "src_a"}, "w, key 'm': low nan is not a finite number within [-1e+12, 1e+12]"),
    ({"value": 5, "high": 2e12, "source": "src_a"}, "w, key 'm': high 2000000000000.0 is not a finite number within [-1e+12, 1e+12]"),
    ({"value": -2e12, "source": "src_a"}, "w, key 'm': value -2000000000000.0 is not a finite number within [-1e+12, 1e+12]"),
    ({"obs": "huge"}, "w, key 'm': value 10000000000000.0 is not a finite number within [-1e+12, 1e+12]"),
    ({"value": 5, "low": 6, "source": "src_a"}, "w, key 'm': need low <= value <= high, got low 6, value 5, high 5"),
    ({"value": 5, "high": 4.5, "source": "src_a"}, "w, key 'm': need low <= value <= high, got low 5, value 5, high 4.5"),
    ({"value": 1001, "source": "src_a"}, "w, key 'm': value 1001 is outside [0, 1000] (an oxide mass)"),
    ({"value": 5, "low": -1, "source": "src_a"}, "w, key 'm': low -1 is outside [0, 1000] (an oxide mass)"),
    ({"value": 5, "high": 1000.5, "source": "src_a"}, "w, key 'm': high 1000.5 is outside [0, 1000] (an oxide mass)"),
])
def test_a_quantity_is_refused_word_for_word(r, spec, message):
    assert refused(r.quantity, "w", "m", spec, MASS) == message


def test_the_bounds_are_inclusive_unless_the_lower_one_is_open(r):
    assert r.quantity("w", "m", {"value": 0, "high": 1000, "source": "src_a"}, MASS).high == 1000.0  # [0, 1000]
    assert r.quantity("w", "y", {"value": 1, "source": "src_a"}, YIELD).value == 1.0  # (0, 1]
    assert refused(r.quantity, "w", "y", {"value": 0, "source": "src_a"}, YIELD) == "w, key 'y': value 0 is outside (0, 1] (a yield)"
    assert refused(r.quantity, "w", "y", {"value": 0.5, "low": 0, "source": "src_a"}, YIELD) == \
        "w, key 'y': low 0 is outside (0, 1] (a yield)"


@pytest.mark.parametrize("source", ["src_a", "obs:ox", "assumption", "assumption: why", "src_a obs:ox assumption: both",
                                    "obs:ox assumption: then-anything"])
def test_a_source_is_a_source_id_an_observation_or_an_assumption(r, source):
    r._check_source("w", "m", source)


@pytest.mark.parametrize("source, message", [
    ("obs:oxx", "w, key 'm': source 'obs:oxx' is not an id in observations.csv"),
    ("src_aa", "w, key 'm': source 'src_aa' is neither a source_id, obs:ID nor 'assumption' (did you mean 'src_a'?)"),
    ("src_a nowhere assumption", "w, key 'm': source 'nowhere' is neither a source_id, obs:ID nor 'assumption'"),
    ("src_a obs:src_a", "w, key 'm': source 'obs:src_a' is not an id in observations.csv"),
    ("ox", "w, key 'm': source 'ox' is neither a source_id, obs:ID nor 'assumption'"),
])
def test_a_source_that_is_none_of_these_is_refused(r, source, message):
    assert refused(r._check_source, "w", "m", source) == message


# --- schedules and years ------------------------------------------------------------------------

def q(v, source="src_a"):
    return Quantity(float(v), float(v), float(v), "t NdPr oxide", source, "")


def test_a_schedule_by_year_is_sorted_and_keeps_its_kind(r):
    s = r.schedule("w", "m", {2030: {"value": 30, "source": "src_a"}, 2026: {"value": 10, "source": "src_a"}}, MASS, "fiscal")
    assert s == Schedule(((2026, q(10)), (2030, q(30))), "fiscal")
    assert r.schedule("w", "m", {"value": 3, "source": "src_a"}, MASS) == Schedule(((0, q(3)),), "annual")


def test_a_run_rate_schedule_is_keyed_by_dates(r):
    s = r.schedule("w", "m", {"2026-07-02": {"value": 5, "source": "src_a"}, "2026-01": {"value": 1, "source": "src_a"}},
                   MASS, "run_rate")
    assert s == Schedule(((2026.0, q(1)), (2026 + 182 / 365, q(5))), "run_rate")
    assert refused(r.schedule, "w", "m", {"2026-02-30": {"value": 1, "source": "src_a"}}, MASS, "run_rate") == \
        f"w, key 'm': '2026-02-30' is not {DATE_FORM}, for a run-rate point"


def test_a_point_of_a_schedule_names_its_year_when_refused(r):
    assert refused(r.schedule, "w", "m", {2026: {"value": 1001, "source": "src_a"}}, MASS) == \
        "w, 2026, key 'm': value 1001 is outside [0, 1000] (an oxide mass)"


@pytest.mark.parametrize("year", [2014, 2030, 2050])
def test_a_year_from_2014_to_2050(r, year):
    assert r.year("w", "m", year) == year


@pytest.mark.parametrize("year", [2013, 2051, True, "2030", 2030.0])
def test_a_year_outside_or_not_whole_is_refused(r, year):
    assert refused(r.year, "w", "m", year) == f"w, key 'm': year {year!r} is not a year from 2014 to 2050"


# --- shares -------------------------------------------------------------------------------------

def share(v, lo=None, hi=None):
    out = {"value": v, "source": "assumption: test"}
    if lo is not None:
        out |= {"low": lo, "high": hi}
    return out


def sq(v, lo=None, hi=None):
    return Quantity(float(v), float(v if lo is None else lo), float(v if hi is None else hi), "share", "assumption: test", "")


def test_shares_with_a_rest_and_by_year(r):
    shares, rest = r.shares("w", {"export": share(0.2), "toll": share(0.1, 0.0, 0.3), "domestic": share(0), "stock": "rest"})
    assert rest == "stock" and shares["stock"] is None
    assert shares["toll"] == Schedule(((0, sq(0.1, 0.0, 0.3)),))
    shares, rest = r.shares("w", {2030: {"export": share(0), "toll": share(0.5), "domestic": "rest", "stock": share(0)},
                                  2026: {"export": share(0.5), "toll": share(0), "domestic": "rest", "stock": share(0)}})
    assert rest == "domestic" and shares["domestic"] is None
    assert shares["export"] == Schedule(((2026, sq(0.5)), (2030, sq(0))))
    shares, rest = r.shares("w", {"export": share(0.25), "toll": share(0.25), "domestic": share(0.5), "stock": share(0)})
    assert rest is None and shares["domestic"] == Schedule(((0, sq(0.5)),))


def test_shares_that_close_to_one_within_a_millionth_are_accepted(r):
    r.shares("w", {"export": share(0.3333333), "toll": share(0.3333333), "domestic": share(0.3333333), "stock": share(0)})


ALL = {"export": share(0.5), "toll": share(0.5), "domestic": share(0), "stock": share(0)}


@pytest.mark.parametrize("spec, message", [
    ({}, "w, key 'shares': expected a mapping of export, toll, domestic, stock (or of years to such mappings)"),
    ([1], "w, key 'shares': expected a mapping of export, toll, domestic, stock (or of years to such mappings)"),
    ({2030: [1]}, "w, year 2030, key 'shares': expected a mapping of export, toll, domestic, stock, got [1]"),
    ({2070: ALL}, "w, key 'shares': year 2070 is not a year from 2014 to 2050"),
    ({**ALL, "exports": share(0)},
     "w, key 'shares': unknown key 'exports' (did you mean 'export'?); allowed: export, toll, domestic, stock"),
    ({"export": share(1)}, "w, key 'shares': missing toll, domestic, stock (give all of export, toll, domestic, stock; one may be `rest`)"),
    ({"export": "rest", "toll": "rest", "domestic": share(0), "stock": share(0)},
     "w, key 'shares': only one share may be `rest`, got export, toll"),
    ({"export": share(0.5), "toll": share(0.4, 0.3, 0.6), "domestic": share(0), "stock": "rest"},
     "w, key 'shares': the shares other than stock can reach 1.1 (> 1): export 0.5 + toll 0.4 + domestic 0"),
    ({"export": share(0.5), "toll": share(0.4), "domestic": share(0), "stock": share(0)},
     "w, key 'shares': shares do not close to 1: export 0.5 + toll 0.4 + domestic 0 + stock 0 = 0.9; make one of them `rest` or "
     "adjust the values"),
    ({"export": share(0.5), "toll": share(0.5, 0.4, 0.6), "domestic": share(0), "stock": share(0)},
     "w, key 'shares': shares do not close to 1: export 0.5 + toll 0.5 + domestic 0 + stock 0 = 1; make one of them `rest` or "
     "adjust the values"),
    ({2026: {**ALL, "stock": "rest"}, 2030: {**ALL, "toll": "rest"}},
     "w, key 'shares': the `rest` share must be the same one in every year"),
    ({2026: {**ALL, "stock": "rest"}, 2030: ALL},
     "w, key 'shares': the `rest` share must be the same one in every year"),
])
def test_shares_are_refused_word_for_word(r, spec, message):
    assert refused(r.shares, "w", spec) == message


def test_the_first_years_rest_with_the_later_years_values_is_refused(r):
    # 2030 gives stock a value, 2026 makes it the rest: its points are not empty
    assert refused(r.shares, "w", {2026: {**ALL, "stock": "rest"}, 2030: {**ALL}}) == \
        "w, key 'shares': the `rest` share must be the same one in every year"


def test_shares_slightly_above_one_with_a_rest_are_accepted(r):
    shares, rest = r.shares("w", {"export": share(0.5), "toll": share(0.5 + 1e-10), "domestic": share(0), "stock": "rest"})
    assert rest == "stock"


# --- the export halt and the China shock --------------------------------------------------------

def test_the_export_halt_gives_its_date_and_latest(r):
    assert r.halt_range("w", None) == (None, None)
    assert r.halt_range("w", {"date": "2026-04", "source": "src_a"}) == ("2026-04-01", None)
    assert r.halt_range("w", {"date": "2026-04-01", "latest": None, "source": "src_a"}) == ("2026-04-01", None)
    assert r.halt_range("w", {"date": "2026-04-01", "latest": "2027-01", "source": "assumption: x", "note": "n"}) == \
        ("2026-04-01", "2027-01-01")
    assert r.halt("w", {"date": "2026-04-01", "latest": "2027-01", "source": "src_a"}) == "2026-04-01"
    assert r.halt("w", None) is None


@pytest.mark.parametrize("spec, message", [
    ("2026-04-01", "w, key 'export_halt': expected {date: YYYY-MM-DD, source: ID}, got '2026-04-01'"),
    ({"date": "2026-04-01", "sourse": "src_a"},
     "w, key 'export_halt': unknown key 'sourse' (did you mean 'source'?); allowed: date, latest, source, note"),
    ({"date": "2026-04-31", "source": "src_a"}, f"w, key 'export_halt': date '2026-04-31' is not {DATE_FORM}"),
    ({"source": "src_a"}, f"w, key 'export_halt': date None is not {DATE_FORM}"),
    ({"date": "2026-04-01"}, "w, key 'export_halt': the date 2026-04-01 needs a source (a source_id or 'assumption: why')"),
    ({"date": "2026-04-01", "source": "src_aa"},
     "w, key 'export_halt': source 'src_aa' is neither a source_id, obs:ID nor 'assumption' (did you mean 'src_a'?)"),
    ({"date": "2026-04-01", "latest": "2026-04-01", "source": "src_a"},
     f"w, key 'export_halt': latest '2026-04-01' is not a date after 2026-04-01 ({DATE_FORM})"),
    ({"date": "2026-04-01", "latest": "2026-03", "source": "src_a"},
     f"w, key 'export_halt': latest '2026-03' is not a date after 2026-04-01 ({DATE_FORM})"),
    ({"date": "2026-04-01", "latest": "soon", "source": "src_a"},
     f"w, key 'export_halt': latest 'soon' is not a date after 2026-04-01 ({DATE_FORM})"),
])
def test_the_export_halt_is_refused_word_for_word(r, spec, message):
    assert refused(r.halt_range, "w", spec) == message


def test_the_china_shock_gives_its_start_and_event(r):
    assert r.shock("w", None) == (None, None)
    assert r.shock("w", {"start": "2030-01", "event": "ctrl_1"}) == ("2030-01-01", "ctrl_1")
    assert r.shock("w", {"start": "2030-01-15", "events": ["ctrl_1", "mou"], "note": "x"}) == ("2030-01-15", None)


@pytest.mark.parametrize("spec, message", [
    ("2030-01", "w, key 'china_shock': expected {start: YYYY-MM, event: ID}, got '2030-01'"),
    ({"start": "2030-01", "evnt": "ctrl_1"},
     "w, key 'china_shock': unknown key 'evnt' (did you mean 'event'?); allowed: start, event, events, note"),
    ({"event": "ctrl_1"}, f"w, key 'china_shock': start None is not {DATE_FORM}"),
    ({"start": "2030-13"}, f"w, key 'china_shock': start '2030-13' is not {DATE_FORM}"),
    ({"start": "2030-01", "events": "ctrl_1"}, "w, key 'china_shock': events must be a list of events.csv ids, got 'ctrl_1'"),
    ({"start": "2030-01", "event": "ctrl_22"},
     "w, key 'china_shock': event 'ctrl_22' is not an id in events.csv (did you mean 'ctrl_2'?); the known export controls are: "
     "ctrl_1, ctrl_2"),
    ({"start": "2030-01", "event": "ctrl_1", "events": ["ctrl_2", "nothing_like_it"]},
     "w, key 'china_shock': event 'nothing_like_it' is not an id in events.csv; the known export controls are: ctrl_1, ctrl_2"),
])
def test_the_china_shock_is_refused_word_for_word(r, spec, message):
    assert refused(r.shock, "w", spec) == message


def test_a_dataset_without_events_accepts_any_event():
    obs = pd.DataFrame(OBS, columns=["id", "status", "source_id", "unit", "value", "low", "high"])
    ds = Dataset(observations=obs, sources=pd.DataFrame({"source_id": ["src_a"]}), events=pd.DataFrame(),
                 indicators=pd.DataFrame(), path=Path("."))
    assert _Reader(ds, "f").shock("w", {"start": "2030-01", "event": "anything"}) == ("2030-01-01", "anything")


def test_the_bundled_parameters_refuse_a_zero_yield():
    """The bounds a deals file meets are PARAMS'; a yield's lower bound is open."""
    assert PARAMS["eta_metal"].open_lo and PARAMS["eta_metal"].lo == 0 and PARAMS["eta_metal"].hi == 1
    assert np.isinf(PARAMS["partner_capacity"].hi) and not PARAMS["partner_capacity"].open_lo


def test_the_reader_keeps_its_file_name_and_data_folder(r):
    assert r.file == "mine.yml" and r.path == Path(".")


def test_the_halt_alone_names_where_it_is_refused(r):
    assert refused(r.halt, "w", {"date": "2026-04-31", "source": "src_a"}) == \
        f"w, key 'export_halt': date '2026-04-31' is not {DATE_FORM}"


def test_a_value_with_a_bad_source_names_the_key(r):
    assert refused(r.quantity, "w", "m", {"value": 5, "source": "nowhere"}, MASS) == \
        "w, key 'm': source 'nowhere' is neither a source_id, obs:ID nor 'assumption'"


def test_a_number_of_exactly_1e12_is_within_reach(r):
    unbounded = Param("t NdPr oxide", ("mass",), 0, math.inf, False, "a mass")
    assert r.quantity("w", "m", {"value": 1e12, "source": "src_a"}, unbounded).value == 1e12


def test_a_schedule_names_its_key_and_keeps_its_kind_when_given_one_value(r):
    assert r.schedule("w", "m", {"value": 3, "source": "src_a"}, MASS, "fiscal") == Schedule(((0, q(3)),), "fiscal")
    assert refused(r.schedule, "w", "m", {"value": 1001, "source": "src_a"}, MASS) == \
        "w, key 'm': value 1001 is outside [0, 1000] (an oxide mass)"
    assert refused(r.schedule, "w", "m", {2070: {"value": 1, "source": "src_a"}}, MASS) == \
        "w, key 'm': year 2070 is not a year from 2014 to 2050"


@pytest.mark.parametrize("spec, message", [
    (5, "w, key 'm': value 5 needs a source: write {value: 5, source: assumption} or {obs: ID} "
        "(allowed keys: obs, value, low, high, source, note)"),
    ({}, "w, key 'm': give `value` (with `source`) or `obs`"),
])
def test_a_schedule_that_is_neither_years_nor_a_value_is_refused(r, spec, message):
    assert refused(r.schedule, "w", "m", spec, MASS) == message


def test_a_share_may_come_from_an_observation_of_a_share_and_stays_within_0_1(r):
    shares, rest = r.shares("w", {"export": {"obs": "frac"}, "toll": share(0), "domestic": share(0), "stock": "rest"})
    assert shares["export"].quantities[0].value == 0.4 and shares["export"].quantities[0].unit == "share"
    assert refused(r.shares, "w", {"export": {"obs": "ox"}, "toll": share(0), "domestic": share(0), "stock": "rest"}) == \
        "w, key 'shares.export': obs 'ox' is in 't NdPr oxide', but shares.export needs share"
    assert refused(r.shares, "w", {"export": share(1.5), "toll": share(0), "domestic": share(0), "stock": "rest"}) == \
        "w, key 'shares.export': value 1.5 is outside [0, 1] (a share of IREL's output)"
    assert refused(r.shares, "w", {2026: {"export": share(0), "toll": share(0), "domestic": share(-0.1), "stock": "rest"}}) == \
        "w, year 2026, key 'shares.domestic': value -0.1 is outside [0, 1] (a share of IREL's output)"


def test_shares_other_than_the_rest_may_reach_one_plus_a_billionth():
    # 1e-06 + 0.999999001 is 1 + 1e-9 exactly in floats: the tolerance's edge, accepted
    assert 1e-06 + 0.999999001 == 1 + 1e-9
    reader = _Reader(Dataset(observations=pd.DataFrame(OBS, columns=["id", "status", "source_id", "unit", "value", "low", "high"]),
                             sources=pd.DataFrame({"source_id": ["src_a"]}), events=pd.DataFrame(), indicators=pd.DataFrame(),
                             path=Path(".")), "f")
    shares, rest = reader.shares("w", {"export": share(1e-06), "toll": share(0.999999001), "domestic": share(0), "stock": "rest"})
    assert rest == "stock"


def test_a_run_rate_schedule_naming_one_day_twice_is_refused(r):
    # '2026-01' is read as 1 January 2026, the same day as '2026-01-01': two points at one time
    spec = {"2026-01": {"value": 1, "source": "src_a"}, "2026-01-01": {"value": 5, "source": "src_a"}}
    assert refused(r.schedule, "w", "m", spec, MASS, "run_rate") == (
        "w, key 'm': '2026-01' and '2026-01-01' name the same date; give each point once")


# --- a content from a grade mix (rekit.model.grades, read through the reader) ---------------------

def mix(share_a=None, content_a=None, **extra):
    """Two applications: shares a 0.6 (0.5-0.7), b 0.4 (0.3-0.5); contents a 0.1 (0.05-0.2), b 0.02."""
    return {"grade_mix": {
        "shares": {"a": share_a or {"value": 0.6, "low": 0.5, "high": 0.7, "source": "src_a"},
                   "b": {"value": 0.4, "low": 0.3, "high": 0.5, "source": "assumption: x"}},
        "contents": {"a": content_a or {"value": 0.1, "low": 0.05, "high": 0.2, "source": "src_a"},
                     "b": {"value": 0.02, "source": "src_b"}}}, **extra}


def test_a_grade_mix_is_read_entry_by_entry_and_mixed(r):
    q = r.quantity("w", "m", mix(note="n"), YIELD)
    # value 0.6 × 0.1 + 0.4 × 0.02 = 0.06 + 0.008 = 0.068
    # low (contents at their lows, a 0.05 > b 0.02): every share at its low (0.5 + 0.3 = 0.8), the 0.2 left
    # to b, the lower content, up to its high 0.5: a 0.5, b 0.5 -> 0.5 × 0.05 + 0.5 × 0.02 = 0.025 + 0.01 = 0.035
    # high (contents at their highs, a 0.2 > b 0.02): the 0.2 left to a up to its high 0.7: a 0.7, b 0.3
    # -> 0.7 × 0.2 + 0.3 × 0.02 = 0.14 + 0.006 = 0.146
    assert (q.value, q.low, q.high) == pytest.approx((0.068, 0.035, 0.146), abs=1e-15)
    assert (q.unit, q.note) == ("ratio", "n")
    assert q.source == ("derived: Σ share × content over a, b: value 0.6 × 0.1 + 0.4 × 0.02 = 0.068; "
                        "low 0.5 × 0.05 + 0.5 × 0.02 = 0.035; high 0.7 × 0.2 + 0.3 × 0.02 = 0.146 | "
                        "share of a: src_a | share of b: assumption: x | content of a: src_a | content of b: src_b")
    q = r.quantity("w", "m", mix(content_a={"obs": "frac"}), YIELD)  # an observation in `share` for a ratio
    # a's content 0.4 (a point): value 0.6 × 0.4 + 0.008 = 0.248; low 0.5 × 0.4 + 0.5 × 0.02 = 0.21;
    # high 0.7 × 0.4 + 0.3 × 0.02 = 0.286
    assert (q.value, q.low, q.high) == pytest.approx((0.248, 0.21, 0.286), abs=1e-15)
    assert q.source.endswith("content of a: obs:frac | content of b: src_b")
    # the mix takes the parameter's unit, whatever it is
    q = r.quantity("w", "m", mix(), Param("share", ("share", "ratio"), 0, 1, False, "a share"))
    assert (q.unit, q.value) == ("share", pytest.approx(0.068, abs=1e-15))


@pytest.mark.parametrize("spec, message", [
    # a share is read as a share in [0, 1], named as the mix's share of that application
    (mix(share_a={"value": 1.5, "source": "src_a"}),
     "w, key 'm', grade_mix share, key 'a': value 1.5 is outside [0, 1] (a share of India's magnet demand)"),
    (mix(share_a={"obs": "ox"}),
     "w, key 'm', grade_mix share, key 'a': obs 'ox' is in 't NdPr oxide', but a needs share"),
    (mix(share_a={"value": 0.6}),
     "w, key 'm', grade_mix share, key 'a': value 0.6 has no source: add `source: assumption` "
     "(with a note saying why) or a source_id / obs:ID"),
    # a content is read as the parameter itself (here a yield, open at 0)
    (mix(content_a={"value": 2, "source": "src_a"}),
     "w, key 'm', grade_mix content, key 'a': value 2 is outside (0, 1] (a yield)"),
    (mix(content_a={"value": 0.1, "source": "nowhere"}),
     "w, key 'm', grade_mix content, key 'a': source 'nowhere' is neither a source_id, obs:ID nor 'assumption'"),
    # the mix's own checks, as a deals error with grades' words: 0.6 + 0.3 = 0.9
    (mix(share_a={"value": 0.6, "low": 0.5, "high": 0.7, "source": "src_a"}) | {"grade_mix": {
        "shares": {"a": {"value": 0.6, "low": 0.5, "high": 0.7, "source": "src_a"},
                   "b": {"value": 0.3, "low": 0.2, "high": 0.5, "source": "src_a"}},
        "contents": {"a": {"value": 0.1, "source": "src_a"}, "b": {"value": 0.02, "source": "src_a"}}}},
     "w, key 'm', grade_mix: the central shares sum to 0.9 (a 0.6 + b 0.3); they must sum to 1"),
    (mix(extra=1), "w, key 'm': unknown key 'extra' beside grade_mix; allowed: grade_mix, note"),
])
def test_a_grade_mix_is_refused_word_for_word(r, spec, message):
    assert refused(r.quantity, "w", "m", spec, YIELD) == message


def test_param_bounds_open_and_closed_low_ends_by_hand():
    # One bounds check for the deals file, its settings, --set and the API's overrides (Param.allows).
    open_ = Param("ratio", ("ratio",), 0, 1, True, "a yield")
    closed = Param("share", ("share",), 0, 1, False, "a share")
    wide = Param("t/yr", ("mass",), 0, math.inf, False, "a capacity")
    # (0, 1]: 0 is out, the smallest step above it is in, 1 is in, the step above 1 is out.
    assert [open_.allows(x) for x in (0.0, 5e-324, 0.5, 1.0, 1.0000000000000002)] == [False, True, True, True, False]
    # [0, 1]: 0 is in, -0.0 == 0 is in, the step below 0 is out.
    assert [closed.allows(x) for x in (0.0, -0.0, -5e-324, 1.0, 1.5)] == [True, True, False, True, False]
    assert wide.allows(1e300) and not wide.allows(-1.0)
    assert (open_.interval(), closed.interval(), wide.interval()) == ("(0, 1]", "[0, 1]", "[0, inf]")
    assert Param("x", (), 0.25, 2.5, True, "").interval() == "(0.25, 2.5]"


def test_every_out_of_bounds_message_names_the_same_interval():
    from rekit.model.custom import SettingError, parse_settings
    from rekit.model.simulation import ModelError, check_value

    p = PARAMS["eta_metal"]  # (0, 1]: a yield may not be zero
    with pytest.raises(SettingError, match=r"'toll_korea.eta_metal=0': 0 is outside \(0, 1\], the range of eta_metal"):
        parse_settings(["toll_korea.eta_metal=0"], ["toll_korea"])
    with pytest.raises(ModelError, match=r"^eta_metal: 1.5 is outside \(0, 1\] \(reduction of NdPr oxide"):
        check_value("eta_metal", 1.5, p)
    assert check_value("eta_metal", 1, p) == 1.0
