"""Notebook parameters: the spec types on pydantic (rekit.parameters.specs) and the registry and check
(rekit.parameters.registry). No kernel runs here.

Every refusal names the parameter, the value given and what is allowed; where a value would leave a
report with nothing to show (a timeline after the last event, a year the model does not reach, an
edition not in the data, no deal), what is allowed comes from the model or the data.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import rekit.params
from rekit.data.periods import parse_period
from rekit.parameters import registry as P
from rekit.parameters.specs import AnyValue, Bool, Choice, Float, Int, ListOf, PeriodText, Refused, Str

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "tests" / "fixtures" / "notebooks"


def _deals_file() -> dict:
    """data/deals.yml as plain YAML: the names a refusal must list, read without the code under test."""
    return yaml.safe_load((ROOT / "data" / "deals.yml").read_text(encoding="utf-8"))


#: What a refusal says is allowed, written from the deals file itself (names in the file's order).
DEALS_ALLOWED = ("a list of one or more of " + ", ".join(repr(d) for d in _deals_file()["deals"])
                 + " (deals in data/deals.yml), without repeats")
BASES_ALLOWED = "one of " + ", ".join(repr(b) for b in _deals_file()["production_bases"])


def refusal(params, notebook=None) -> str:
    with pytest.raises(P.ParameterError) as exc:
        P.check(params, notebook=notebook)
    return str(exc.value)


# --- the spec types --------------------------------------------------------------------------


def test_integers_from_text_and_numbers_within_bounds():
    spec = Int(1, 10)
    assert [spec.coerce(v) for v in ("7", " 1_0 ", "1e1", 3.0, 4)] == [7, 10, 10, 3, 4]
    for bad in (True, 2.5, "2.5", "seven", 0, 11, None, [1]):
        with pytest.raises(Refused):
            spec.coerce(bad)
    assert spec.describe() == "an integer from 1 to 10"
    assert Int(0, None).describe() == "an integer >= 0" and Int().describe() == "an integer"


@given(st.integers(-10**6, 10**6), st.integers(-1000, 1000), st.integers(0, 1000))
def test_an_integer_is_allowed_exactly_when_it_is_within_the_bounds(x, lo, width):
    spec, hi = Int(lo, lo + width), lo + width
    for given_as in (x, str(x), float(x)):
        if lo <= x <= hi:
            assert spec.coerce(given_as) == x
        else:
            with pytest.raises(Refused):
                spec.coerce(given_as)


def test_bounds_may_come_from_a_function_called_at_check_time():
    top = [5]
    spec = Int(1, lambda: top[0])
    assert spec.coerce(5) == 5
    top[0] = 4
    with pytest.raises(Refused):
        spec.coerce(5)
    assert spec.describe() == "an integer from 1 to 4"


def test_numbers_are_finite_and_within_bounds():
    spec = Float(0, 2)
    assert [spec.coerce(v) for v in ("0.5", 1, 2.0)] == [0.5, 1.0, 2.0]
    for bad in ("nan", float("inf"), 2.01, -0.1, True, "half"):
        with pytest.raises(Refused):
            spec.coerce(bad)
    assert spec.describe() == "a number from 0 to 2"


def test_truth_values_text_names_and_literals():
    assert [Bool().coerce(v) for v in (True, "no", " YES ", "on", "0", 1)] == [True, False, True, True, False, True]
    for bad in ("maybe", 2, None):
        with pytest.raises(Refused):
            Bool().coerce(bad)
    assert Str().coerce(2024) == "2024"
    with pytest.raises(Refused):
        Str().coerce("  ")
    assert Str(nonempty=False).coerce("") == ""
    assert Choice(("a", "b")).coerce(" b ") == "b"
    with pytest.raises(Refused):
        Choice(("a", "b")).coerce("c")
    assert Choice(()).coerce("anything") == "anything"  # no names known yet: any non-empty name
    assert Choice(("a", "b"), what="letters").describe() == "one of 'a', 'b' (letters)"
    assert AnyValue().coerce("[1, 2]") == [1, 2] and AnyValue().coerce({"k": 1}) == {"k": 1}


def test_list_of_choices_from_a_single_value_a_comma_list_or_yaml():
    spec = ListOf(Choice(("a", "b", "c")))
    assert spec.coerce("a") == ["a"]
    assert spec.coerce("a,b") == ["a", "b"]
    assert spec.coerce("[b, c]") == ["b", "c"]
    assert spec.coerce(["c"]) == ["c"]
    with pytest.raises(Refused) as exc:
        spec.coerce("a,zz")
    assert exc.value.shown == "'zz'"  # the offending item, to name it in the message
    for bad in ([], "", "a,a", {"a"}, None):
        with pytest.raises(Refused) as exc:
            spec.coerce(bad)
        assert exc.value.shown is None
    assert spec.describe() == "a list of one or more of 'a', 'b', 'c', without repeats"
    assert ListOf(Int(), min_len=0, unique=False).coerce(["1", 2]) == [1, 2]


def test_periods_and_a_latest_start():
    from datetime import date

    spec = PeriodText(latest=lambda: (date(2025, 6, 30), "the last event"))
    assert spec.coerce(2025) == "2025" and spec.coerce("2025-06") == "2025-06"
    for bad in ("2025-07", "2026", "FY2024-26", "June", True):
        with pytest.raises(Refused):
            spec.coerce(bad)
    assert spec.describe().endswith(", starting on or before 2025-06-30 (the last event)")


# --- the registry and the check --------------------------------------------------------------


def test_check_converts_command_line_strings():
    got = P.check({"draws": "1000", "seed": "0", "start_year": "2030", "hide_input": "no", "since": 2026})
    assert got == {"draws": 1000, "seed": 0, "start_year": 2030, "hide_input": False, "since": "2026"}


@pytest.mark.parametrize("name, value, message", [
    ("draws", -5, "parameter 'draws': got -5; allowed: an integer from 1 to 100000"),
    ("draws", "many", "parameter 'draws': got 'many'; allowed: an integer from 1 to 100000"),
    ("draws", 2.5, "parameter 'draws': got 2.5; allowed: an integer from 1 to 100000"),
    ("draws", "-5", "parameter 'draws': got -5; allowed: an integer from 1 to 100000"),
    ("seed", -1, "parameter 'seed': got -1; allowed: an integer >= 0"),
    ("start_year", 2051, "parameter 'start_year': got 2051; allowed: an integer from 2024 to 2050"),
    ("year", 2023, "parameter 'year': got 2023; allowed: an integer from 2024 to 2050"),
    ("level", 3, "parameter 'level': got 3; allowed: a number from 0 to 2"),
    ("hide_input", "maybe", "parameter 'hide_input': got 'maybe'; allowed: true or false"),
])
def test_check_refuses_with_name_value_and_what_is_allowed(name, value, message):
    assert refusal({name: value}) == message


def test_basis_refusal_lists_the_bases_of_the_deals_file():
    # the production bases as data/deals.yml names them, in its order (former names kept as aliases may follow)
    assert refusal({"basis": "hope"}).startswith(f"parameter 'basis': got 'hope'; allowed: {BASES_ALLOWED}")


def test_years_are_the_models():
    from rekit.model.deals import YEARS

    assert (YEARS[0], YEARS[-1]) == (2024, 2050)
    for name in ("year", "start_year", "end_year"):
        assert refusal({name: 2023}) == f"parameter '{name}': got 2023; allowed: an integer from 2024 to 2050"


def test_start_year_not_after_end_year_and_the_year_shown_between_them():
    with pytest.raises(P.ParameterError, match=r"start_year=2040, end_year=2030; allowed: start_year <= end_year"):
        P.check({"start_year": 2040, "end_year": 2030})
    with pytest.raises(P.ParameterError, match=r"^parameter 'year': got 2031; allowed: a year from start_year=2024 to end_year=2030$"):
        P.check({"start_year": 2024, "end_year": 2030, "year": 2031})


def test_deals_come_from_deals_yml():
    assert P.check({"deals": "toll_japan,toll_korea"}) == {"deals": ["toll_japan", "toll_korea"]}  # data/deals.yml
    assert refusal({"deals": ["toll_japan", "toll_mars"]}) == \
        f"parameter 'deals': got 'toll_mars' in ['toll_japan', 'toll_mars']; allowed: {DEALS_ALLOWED}"
    assert DEALS_ALLOWED.startswith("a list of one or more of 'status_quo', 'export_halt', 'toll_japan', 'toll_korea'")


@pytest.mark.parametrize("value, shown", [([], "[]"), ("", "''"), (["toll_japan", "toll_japan"], "['toll_japan', 'toll_japan']")])
def test_no_deal_or_a_repeated_one_is_refused(value, shown):
    """A report of no deals would be empty; a deal twice would draw over itself."""
    assert refusal({"deals": value}) == f"parameter 'deals': got {shown}; allowed: {DEALS_ALLOWED}"


def test_editions_are_the_usgs_editions_in_the_data():
    with open(ROOT / "data" / "observations.csv", newline="") as f:
        editions = sorted({r["source_id"] for r in csv.DictReader(f) if r["indicator"] == "mine_production"})
    assert editions and all(e.startswith("usgs_mcs_") for e in editions)
    listed = "one of " + ", ".join(repr(e) for e in ["all", *editions]) + " ('all' or a USGS edition)"
    assert P.check({"edition": editions[-1]}) == {"edition": editions[-1]}
    assert refusal({"edition": "usgs_mcs_1999"}) == f"parameter 'edition': got 'usgs_mcs_1999'; allowed: {listed}"


def test_since_may_not_start_after_the_last_event():
    """`rekit run export_controls_timeline -p since 2030` would build an empty timeline: refused before it runs."""
    with open(ROOT / "data" / "events.csv", newline="") as f:
        last = max(parse_period(r["date"]).start for r in csv.DictReader(f))  # the newest event's first day
    nb = ROOT / "notebooks" / "export_controls_timeline.ipynb"
    assert P.check({"since": last.isoformat()}, notebook=nb) == {"since": last.isoformat()}
    assert P.check({"since": str(last.year)}, notebook=nb) == {"since": str(last.year)}
    message = refusal({"since": "2030"}, notebook=nb)
    assert message == (f"parameter 'since': got 2030; allowed: a year (2024), a fiscal year (FY2024-25), a month "
                       f"(2025-06), a date (2025-04-04), or START/END of these, starting on or before "
                       f"{last.isoformat()} (the last event in data/events.csv)")
    day_after = last.toordinal() + 1
    from datetime import date

    with pytest.raises(P.ParameterError, match="starting on or before"):
        P.check({"since": date.fromordinal(day_after).isoformat()})


def test_check_against_a_notebook_infers_specs_from_its_parameters_cell():
    nb = NOTEBOOKS / "sample.ipynb"
    assert P.check({"n": "7"}, notebook=nb) == {"n": 7}  # n = 3  # count of bars, 1..10
    with pytest.raises(P.ParameterError, match=r"^parameter 'n': got 11; allowed: an integer from 1 to 10$"):
        P.check({"n": 11}, notebook=nb)
    with pytest.raises(P.ParameterError, match=r"unknown parameter 'nn' for notebook 'sample'; its parameters: n, deals"):
        P.check({"nn": 1}, notebook=nb)


def test_declared_parameters_are_read_again_when_the_notebook_changes(tmp_path):
    nb = tmp_path / "sample.ipynb"
    shutil.copy(NOTEBOOKS / "sample.ipynb", nb)
    assert P.declared(nb)["n"].spec.describe() == "an integer from 1 to 10"
    assert P.defaults(nb)["n"] == 3
    doc = json.loads(nb.read_text())
    cell = next(c for c in doc["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    cell["source"] = ["".join(cell["source"]).replace("1..10", "1..200")]
    nb.write_text(json.dumps(doc))
    assert P.check({"n": 150}, notebook=nb) == {"n": 150}


def test_the_names_notebooks_call():
    assert rekit.params.check is P.check is P.check_parameters
    assert rekit.params.ParameterError is P.ParameterError


def test_importing_the_registry_does_not_load_pydantic():
    """`rekit --help` imports the registry; pydantic is loaded only when a value is checked."""
    import subprocess
    import sys

    code = "import sys, rekit.parameters.registry; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
