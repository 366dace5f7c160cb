"""Lenient arguments: what the command line read as something else is refused up front, each with
its allowed form.

Every row is one command line, the exit status expected and a fragment of the message (see
cases.py: the command line in the test's process; no traceback, no exit 70). A refused
``rekit run`` must stop before a kernel starts: the output folder it was given stays empty.
"""

from __future__ import annotations

import re

import pytest

from hostile.cases import expect, run_rekit
from rekit.parameters import registry as P

DEEP = "[" * 100_000  # a 100,000-deep JSON array
DEEP_IN_BOUNDS = "[" * 4_000 + "]" * 4_000  # 8,000 characters, within the length bound, 4,000 deep
FULL_WIDTH = "\uff11\uff10\uff10\uff10"  # １０００
DIGITS = "write digits 0-9 only"
YEARS = "is not START-END (e.g. 2024-2035) or one year (e.g. 2030)"
SIM = ["simulate", "--deal", "toll_japan", "--draws", "5"]

ROWS = [
    # --years: START-END or one year, in ASCII digits
    (SIM + ["--years", "2024-"], 2, YEARS),
    (SIM + ["--years", "-2024"], 2, YEARS),
    (SIM + ["--years", "2024-2030-2035"], 2, YEARS),
    (SIM + ["--years", "\uff12\uff10\uff12\uff14"], 2, YEARS),  # ２０２４
    (SIM + ["--years", "2024 to 2030"], 2, YEARS),
    # numbers on the command line: digits 0-9 only
    (["simulate", "--deal", "toll_japan", "--years", "2024-2025", "--draws", FULL_WIDTH], 2, DIGITS),
    (["run", "self_sufficiency", "-p", "draws", FULL_WIDTH], 2, "parameter 'draws': got '" + FULL_WIDTH + "'"),
    (["run", "self_sufficiency", "-p", "draws", FULL_WIDTH], 2, DIGITS),
    (["run", "self_sufficiency", "-p", "draws", "\u0661\u0660"], 2, DIGITS),  # Arabic-Indic ١٠
    (["run", "nd_flows", "-p", "year", "\uff12\uff10\uff13\uff10"], 2, DIGITS),
    # Sobol needs a power of two; the command line and the notebook parameter say so alike
    (["sensitivity", "--deal", "toll_japan", "--n", "1000"], 2, "Sobol needs a power of two, e.g. 1024"),
    (["sensitivity", "--deal", "toll_japan", "--n", "700"], 2, "Sobol needs a power of two, e.g. 512"),
    (["run", "sensitivity", "-p", "samples", "1000"], 2, "Sobol needs a power of two, e.g. 1024"),
    (["run", "sensitivity", "-p", "method", "sobol", "-p", "samples", "100"], 2, "Sobol needs a power of two, e.g. 128"),
    # the student id, checked before any kernel starts
    (["run", "teaching/01_where_numbers_come_from", "-p", "student_id", "a b!"], 2,
     "parameter 'student_id': got 'a b!'; allowed: 1 to 64 letters, digits, '-', '_' or '.'"),
    (["run", "teaching/01_where_numbers_come_from", "-p", "student_id", "x" * 65], 2, "1 to 64 letters"),
    (["run", "teaching/03_design_a_deal", "-p", "student_id", "ok\n"], 2, "1 to 64 letters"),
    (["run", "teaching/02_export_share_yourself", "-p", "student_id", "<script>"], 2, "1 to 64 letters"),
    # values read as YAML or JSON: bounded in length and depth, with a message, not exit 70
    (["run", "self_sufficiency", "-p", "deals", DEEP], 2, "a value is at most 10,000 characters"),
    (["run", "self_sufficiency", "-p", "deals", DEEP_IN_BOUNDS], 2, "nested deeper than 10 levels"),
    (["run", "self_sufficiency", "-p", "deals", "[" * 11 + "]" * 11], 2, "nested deeper than 10 levels"),
]


@pytest.mark.parametrize("args, code, fragment", ROWS, ids=[" ".join(a)[:60] for a, _, _ in ROWS])
def test_row(args, code, fragment, tmp_path):
    out = tmp_path / "out"
    if args[0] == "run":
        args = [*args, "--out", str(out)]
    expect(run_rekit(args, process=False), code, fragment)
    assert not out.exists() or not any(out.iterdir()), "a refused run wrote something"


def test_no_raw_library_warning_on_a_power_of_two_or_with_morris():
    """The values allowed run without SALib's 'balance properties' warning (or any other) reaching the user."""
    for args in (["--n", "16"], ["--n", "10", "--method", "morris"]):
        proc = run_rekit(["sensitivity", "--deal", "toll_japan", *args, "--format", "csv"])
        expect(proc, 0, "parameter")
        # a Python warning prints its category (UserWarning, RuntimeWarning, ...) and the file it came from
        assert not re.search(r"\w+Warning:|site-packages|SALib", proc.stderr), proc.stderr


def test_a_one_year_range_and_a_plain_range_still_run():
    expect(run_rekit(SIM + ["--years", "2030", "--format", "csv"], process=False), 0, "toll_japan,2030,")
    expect(run_rekit(SIM + ["--years", " 2024 - 2025 ", "--format", "csv"], process=False), 0, "toll_japan,2025,")


@pytest.mark.parametrize("value", ["", "a", "A-1_b.c", "x" * 64, "2024.s1", "x" * 65, "a b", "é", "a/b", "a\tb", "１"])
def test_the_student_id_rule_agrees_with_the_exercises(value):
    """The parameter's rule (rekit.parameters.registry, which may not import teaching) and the exercises'
    (rekit.teaching.exercises.STUDENT_ID) accept the same ids; "" means the shared values in both."""
    from rekit.teaching.exercises import STUDENT_ID

    teaching = value == "" or bool(STUDENT_ID.match(value))
    try:
        P.check({"student_id": value})
        parameter = True
    except P.ParameterError:
        parameter = False
    assert parameter == teaching
    assert re.fullmatch(P.STUDENT_ID_PATTERN, "x" * 64) and not re.fullmatch(P.STUDENT_ID_PATTERN, "x" * 65)


@pytest.mark.parametrize("n, nearest", [(1000, 1024), (700, 512), (768, 1024), (100, 128), (3, 4), (1024, 1024)])
def test_the_power_of_two_suggested(n, nearest):
    # 1000: 1024 - 1000 = 24 < 1000 - 512 = 488; 700: 700 - 512 = 188 < 1024 - 700 = 324; 768 lies halfway: the higher
    assert P.nearest_power_of_two(n) == nearest


def test_morris_takes_any_n_and_sobol_a_power_of_two_in_the_parameter_check():
    assert P.check({"method": "morris", "samples": 1000})["samples"] == 1000
    assert P.check({"method": "sobol", "samples": "1_024"})["samples"] == 1024
    with pytest.raises(P.ParameterError, match=r"'samples': got samples=1000 with method 'sobol'.*e\.g\. 1024"):
        P.check({"method": "sobol", "samples": 1000})
