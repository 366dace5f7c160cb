"""Verdicts word for word: each message, hint and record written out by hand from what the check was
given, for the paths of check_number, check_choice, Tolerance and session_summary.

Written against the mutants of rekit/teaching/verdicts.py that test_verdicts.py let through
(tools/mutation.py): a number formatted without its thousands comma, a share shown without its
percentage, a hint step off by one, a one-element array refused, a tally miscounted.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rekit.teaching.verdicts import (REVEAL_AFTER, Tolerance, Verdict, check_choice, check_number, reset_session,
                                     session_summary)


@pytest.fixture(autouse=True)
def fresh_session():
    reset_session()
    yield
    reset_session()


def test_a_correct_number_says_what_was_given_expected_and_how_precisely():
    v = check_number(0.34, 0.3448, sig=2, exercise="e1", why="(USGS 2026)")
    # 0.3448 to 2 significant figures is 0.34
    assert v.message == "You gave 0.34; expected 0.3448, checked to 2 significant figures (0.34). (USGS 2026)"
    assert v.text() == "✓ Exercise e1: Correct. " + v.message
    assert v.record() == {"exercise": "e1", "status": "correct", "given": 0.34, "expected": 0.3448, "attempt": 0,
                          "revealed": True}
    assert bool(v) and v.correct and v.hint == ""


@pytest.mark.parametrize("x, shown", [(999.0, "999 t"), (1000.0, "1,000 t"), (2500.0, "2,500 t"), (-1500.0, "-1,500 t")])
def test_numbers_from_a_thousand_get_a_comma(x, shown):
    # the default tolerance: 1% of the expected value
    assert check_number(x, x, unit="t").message == f"You gave {shown}; expected {shown}, checked within ±1.00%."


def test_a_share_is_shown_with_its_percentage_and_no_unit():
    v = check_number(0.25, 0.25, unit="share", tol=0.01)
    assert v.message == "You gave 0.25 (25.00%); expected 0.25 (25.00%), checked within ±0.01."


def test_wrong_tries_step_through_the_hints_and_reveal_on_the_third():
    kw = dict(tol=0.5, exercise="e2", hints=("first", "second", "third"))
    v1 = check_number(12, 10.0, **kw)
    assert v1.message == ("You gave 12, which is too high (checked within ±0.5). Try 1: the answer is shown after 2 more "
                          "different wrong tries, or ask for it with reveal=True.")
    assert (v1.status, v1.hint, v1.hint_label, v1.revealed, v1.attempt) == ("wrong", "first", "Hint", False, 1)
    assert v1.record()["expected"] is None
    assert check_number(12, 10.0, **kw).attempt == 1  # the same wrong answer again is not a new try
    v2 = check_number(8, 10.0, **kw)
    assert v2.message == ("You gave 8, which is too low (checked within ±0.5). Try 2: the answer is shown after 1 more "
                          "different wrong try, or ask for it with reveal=True.")
    assert v2.text() == "✗ Exercise e2: Not yet. " + v2.message + "\n  Stronger hint: second"
    v3 = check_number(9, 10.0, **kw)
    assert REVEAL_AFTER == 3
    assert v3.message == "You gave 9, which is too low; expected 10, checked within ±0.5."
    assert (v3.hint, v3.revealed, v3.attempt, v3.record()["expected"]) == ("third", True, 3, 10.0)
    # asked for: shown on the first try
    assert check_number(12, 10.0, tol=0.5, exercise="e3", reveal=True).revealed is True


def test_a_percentage_given_for_a_share_gets_a_note_and_a_known_slip_its_own():
    note = "That looks like a percentage: give a share between 0 and 1 (e.g. 0.25 for 25%)."
    v = check_number(25, 0.25, unit="share", tol=0.01)
    assert v.message == ("You gave 25 (2500.00%), which is too high (checked within ±0.01). Try 1: the answer is shown "
                         "after 2 more different wrong tries, or ask for it with reveal=True. " + note)
    assert check_number(100, 0.25, unit="share", tol=0.01).message.endswith(note)      # 100 is still a percentage
    assert not check_number(1, 0.25, unit="share", tol=0.01).message.endswith(note)    # 1 is not (1 < x <= 100)
    slip = check_number(4.0, 0.25, tol=0.01, mistakes=[(4.0, "You divided the other way round.")])
    assert slip.message.endswith("reveal=True. You divided the other way round.")


def test_unanswered_and_asked_for():
    v = check_number(None, 5.0, hints=("a", "b"), exercise="e4")
    assert (v.status, v.message, v.hint, v.revealed) == ("unanswered", "Replace None with your answer and run the cell again.",
                                                         "a", False)
    asked = check_number(None, 5.0, hints=("a", "b"), reveal=True, why="(the table)")
    assert (asked.message, asked.hint, asked.revealed) == ("The answer: 5, checked within ±1.00%. (the table)", "b", True)


def test_what_cannot_be_checked_says_why():
    assert check_number("five", 5.0, unit="t").message == "Expected a number in t; got 'five' (a str)."
    assert check_number(True, 1.0).message == "Expected a number; got True (a bool)."
    assert check_number(float("nan"), 5.0).message == "Got nan, which is not a finite number."
    assert check_number([5.0], 5.0).status == "invalid"        # a list has a length but is not a table
    assert check_number(np.array([5.0, 6.0]), 5.0).status == "invalid"
    assert check_number(pd.Series([5.0, 6.0]), 5.0).status == "invalid"
    assert check_number("five", 5.0, reveal=True).revealed is True and check_number("five", 5.0).revealed is False


def test_a_one_element_array_or_series_is_its_number():
    for answer in (np.array([5.0]), np.array(5.0), pd.Series([5.0]), np.float32(5.0)):
        v = check_number(answer, 5.0)
        assert (v.status, v.given) == ("correct", 5.0), type(answer)


def test_ungraded_checks_leave_the_tally_and_the_tries_alone():
    v = check_number(12, 10.0, tol=0.5, exercise="g1", record=False)
    assert (v.attempt, v.revealed) == (REVEAL_AFTER, True)
    assert check_number(10, 10.0, tol=0.5, exercise="g1", record=False).attempt == 0
    s = session_summary()
    assert (s.status, s.message) == ("unanswered", "No exercise has been checked yet in this session.")


def test_session_summary_counts_each_status():
    check_number(0.34, 0.3448, sig=2, exercise="a")
    check_number(12, 10.0, tol=0.5, exercise="b")
    check_number("x", 1.0, exercise="c")
    check_number(None, 1.0, exercise="d")
    s = session_summary()
    assert s.message == "1 of 4 exercises correct; not yet right: b; not checkable: c; not answered yet: d."
    assert (s.status, s.given, s.expected) == ("wrong", 1, 4)
    reset_session()
    check_number(None, 1.0, exercise="d")
    assert session_summary().status == "unanswered"
    check_number(1.0, 1.0, exercise="a")
    assert session_summary().status == "wrong"  # one correct, one unanswered: neither all right nor all unanswered
    reset_session()
    check_number(1.0, 1.0, exercise="a")
    assert (session_summary().status, session_summary().message) == ("correct", "1 of 1 exercises correct.")


def test_tolerances_in_words_and_widths():
    assert Tolerance(sig=1).describe(0.3448) == "to 1 significant figure (0.3)"
    assert Tolerance(sig=3).describe(1234.5) == "to 3 significant figures (1230)"
    # half a unit of the last significant figure: 0.3448 to 2 figures -> 0.5 x 10^(-1 - 2 + 1) = 0.005
    assert Tolerance(sig=2).width(0.3448) == pytest.approx(0.005)
    assert Tolerance(sig=2).width(-250.0) == pytest.approx(5.0)      # 0.5 x 10^(2 - 2 + 1)
    assert Tolerance(sig=2).width(0.0) == 0.0
    assert Tolerance(abs=5).describe(100, "t") == "within ±5 t" and Tolerance(abs=5).describe(100, "share") == "within ±5"
    assert Tolerance(abs=0).describe(1.0) == "exactly"
    assert Tolerance(rel=0.05).width(-200.0) == pytest.approx(10.0)  # 5% of |-200|
    assert Tolerance(rel=0.05).describe(200.0) == "within ±5.00%"
    # on the boundary: 0.73 - 0.72 = 0.010000000000000009 in doubles, accepted within ±0.01; 0.7301 is not
    assert Tolerance(abs=0.01).accepts(0.73, 0.72) and not Tolerance(abs=0.01).accepts(0.7301, 0.72)
    assert Tolerance(abs=0).accepts(0.72, 0.72)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "a tolerance is one of sig, abs or rel; got none"),
    ({"sig": 2, "abs": 1.0}, "a tolerance is one of sig, abs or rel; got sig, abs"),
    ({"sig": 0}, "sig: got 0; allowed: a whole number of significant figures, 1 or more"),
    ({"sig": 2.0}, "sig: got 2.0; allowed: a whole number of significant figures, 1 or more"),
    ({"abs": -1}, "abs: got -1; allowed: a finite number >= 0"),
    ({"rel": math.inf}, "rel: got inf; allowed: a finite number >= 0"),
    ({"rel": "1%"}, "rel: got '1%'; allowed: a finite number >= 0"),
])
def test_a_bad_tolerance_is_refused_with_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError) as info:
        Tolerance(**kwargs)
    assert str(info.value) == message


def test_choices_word_for_word():
    ok = check_choice("  USGS_mcs_2026 ", "usgs_mcs_2026", why="(the table)", exercise="c1")
    assert (ok.status, ok.message) == ("correct", "You gave '  USGS_mcs_2026 '. (the table)")
    bad = check_choice("x", "a", options=["a", "b"], hints=("h1", "h2"), exercise="c2")
    assert (bad.status, bad.message, bad.hint) == ("invalid", "'x' is not one of the possible answers: 'a', 'b'.", "h1")
    assert check_choice(3, "a").message == "Expected a string (in quotes); got 3 (a int)."
    kw = dict(options=["a", "b", "c", "d"], hints=("h1", "h2", "h3"), exercise="c3")
    w1 = check_choice("b", "a", **kw)
    assert w1.message == ("You gave 'b'. Try 1: the answer is shown after the third different wrong try, "
                          "or ask for it with reveal=True.")
    assert (w1.hint, w1.revealed) == ("h1", False)
    assert check_choice(" B ", "a", **kw).attempt == 1       # the same answer, written differently
    assert check_choice("c", "a", **kw).hint == "h2"
    w3 = check_choice("d", "a", why="(the data)", **kw)
    assert (w3.message, w3.hint, w3.revealed) == ("You gave 'd'; expected 'a'. (the data)", "h3", True)
    none = check_choice(None, "a", hints=("h1", "h2"))
    assert (none.message, none.hint, none.revealed) == ("Replace None with your answer (a string) and run the cell again.",
                                                        "h1", False)
    asked = check_choice(None, "a", hints=("h1", "h2"), reveal=True)
    assert (asked.message, asked.hint, asked.revealed) == ("The answer: 'a'.", "h2", True)


def test_a_graded_verdict_shows_its_points_and_records_them():
    v = Verdict("e9", "wrong", 3.0, 4.0, "Close.", "Look again.", details=[(True, "a unit"), (False, "a source")],
                revealed=False, attempt=1, points=1.5, max_points=2)
    assert v.text() == "✗ Exercise e9: Not yet. Close.\n  ✓ a unit\n  ✗ a source\n  Hint: Look again.\n  Points: 1.5 of 2"
    assert v.record() == {"exercise": "e9", "status": "wrong", "given": 3.0, "expected": None, "attempt": 1,
                          "revealed": False, "points": 1.5, "max_points": 2, "message": "Close.",
                          "details": [[True, "a unit"], [False, "a source"]]}
    assert Verdict("", "correct", math.inf, {"k": (1, "x")}).record()["given"] == "inf"
    assert Verdict("", "correct", 1, {"k": (1, "x")}).record()["expected"] == {"k": [1.0, "x"]}
    with pytest.raises(ValueError, match=r"^status 'bogus'; allowed: correct, wrong, unanswered, invalid$"):
        Verdict("e", "bogus")


def test_every_path_records_what_it_was_given():
    """The record (the verdict MIME payload the grader reads) of each path: exercise, status, given,
    expected (only once it may be shown), attempt, revealed; and whether the tally counted it."""
    def rec(v):
        return v.record(), v.hint

    assert rec(check_choice("A", "a", exercise="k1", hint="h")) == (
        {"exercise": "k1", "status": "correct", "given": "A", "expected": "a", "attempt": 0, "revealed": True}, "")
    assert rec(check_choice("x", "a", options=["a"], exercise="k2", hint="h")) == (
        {"exercise": "k2", "status": "invalid", "given": "x", "expected": None, "attempt": 0, "revealed": False}, "h")
    assert rec(check_choice(3, "a", exercise="k3", hint="h")) == (
        {"exercise": "k3", "status": "invalid", "given": 3.0, "expected": None, "attempt": 0, "revealed": False}, "h")
    assert rec(check_choice("b", "a", exercise="k4", hint="h")) == (
        {"exercise": "k4", "status": "wrong", "given": "b", "expected": None, "attempt": 1, "revealed": False}, "h")
    assert rec(check_choice(None, "a", exercise="k5", hint="h")) == (
        {"exercise": "k5", "status": "unanswered", "given": None, "expected": None, "attempt": 0, "revealed": False}, "h")
    assert rec(check_choice(None, "a", exercise="k6", hint="h", reveal=True)) == (
        {"exercise": "k6", "status": "unanswered", "given": None, "expected": "a", "attempt": 0, "revealed": True}, "h")
    assert rec(check_choice("b", "a", exercise="k7", record=False)) == (
        {"exercise": "k7", "status": "wrong", "given": "b", "expected": "a", "attempt": REVEAL_AFTER, "revealed": True}, "")
    assert rec(check_number("x", 2.0, exercise="n1", hint="h")) == (
        {"exercise": "n1", "status": "invalid", "given": "x", "expected": None, "attempt": 0, "revealed": False}, "h")
    assert rec(check_number(None, 2.0, exercise="n2", hint="h", reveal=True)) == (
        {"exercise": "n2", "status": "unanswered", "given": None, "expected": 2.0, "attempt": 0, "revealed": True}, "h")
    assert rec(check_number(3.0, 2.0, exercise="n3", hint="h", tol=0.1)) == (
        {"exercise": "n3", "status": "wrong", "given": 3.0, "expected": None, "attempt": 1, "revealed": False}, "h")
    # counted in the tally: every recorded check, under its exercise; not the one with record=False
    assert session_summary().message == ("1 of 9 exercises correct; not yet right: k4, n3; "
                                         "not checkable: k2, k3, n1; not answered yet: k5, k6, n2.")
    # no hint given: none shown, on any path
    for v in (check_choice("b", "a"), check_choice("x", "a", options=["a"]), check_number(3.0, 2.0, tol=0.1),
              check_number(None, 2.0), check_number(None, 2.0, reveal=True), check_number("x", 2.0)):
        assert v.hint == "" and "Hint" not in v.text()


def test_the_html_box_carries_the_status_its_colours_hint_and_points():
    wrong = Verdict("e9", "wrong", 3.0, 4.0, "Close <b>.", "Look again.", revealed=False, attempt=2, points=1.5, max_points=2)
    page = wrong._repr_html_()
    # _STYLE["wrong"]: ✗, "Not yet", border #c62828, background #fdf0f0
    assert 'data-exercise="e9" data-status="wrong" style="border-left:5px solid #c62828;background:#fdf0f0;' in page
    assert '<b style="color:#c62828">✗ Exercise e9: Not yet.</b> Close &lt;b&gt;.' in page
    assert "<i>Stronger hint:</i> Look again.</div>" in page
    assert "<b>Points:</b> 1.5 of 2</div>" in page
    right = Verdict("", "correct", 1.0, 1.0, "", "a hint a correct answer does not show").__repr__()
    assert right == "✓ Correct."
    box = Verdict("", "correct", 1.0, 1.0, "", "a hint a correct answer does not show")._repr_html_()
    assert '<b style="color:#2e7d32">✓ Correct.</b>' in box and "hint" not in box and "Points" not in box
    assert "background:#eef7ee" in box
    assert Verdict("e1", "unanswered")._repr_mimebundle_()["text/plain"] == "… Exercise e1: Not answered yet."


def test_the_tolerance_boundary_is_kept_and_nothing_past_it():
    # within ±0.5 of 10: 10.5 accepted (on the boundary), 10.5000001 not; exactly: only the value itself
    t = Tolerance(abs=0.5)
    assert t.accepts(10.5, 10.0) and t.accepts(9.5, 10.0) and not t.accepts(10.5000001, 10.0)
    # the slack is relative: 1e-9 of 1e6 is 1e-3, so 1e6 + 1e-4 passes "exactly", 1e6 + 1e-2 does not
    assert Tolerance(abs=0).accepts(1e6 + 1e-4, 1e6) and not Tolerance(abs=0).accepts(1e6 + 1e-2, 1e6)
    # and about zero it is tiny: 1e-9 x 1e-12 = 1e-21
    assert not Tolerance(abs=0).accepts(1e-15, 0.0)
    # a wrong answer equal to the expected value cannot happen; just above is "too high", just below "too low"
    assert "too high" in check_number(10.6, 10.0, tol=0.5).message and "too low" in check_number(9.4, 10.0, tol=0.5).message
