"""Verdicts: the paths the word-for-word tests left open, each written out by hand.

Written against the mutants of rekit/teaching/verdicts.py that test_verdicts.py and
test_verdict_messages.py let through (tools/mutation.py): a default unit or exercise key, a hint
shown on a correct answer, a relative tolerance ignored, the tries counted on a correct answer, a
mistake matched too widely, the tolerance's slack, the rounded answer leaking into a hint.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from rekit.teaching import verdicts
from rekit.teaching.verdicts import Tolerance, check_choice, check_number, reset_session, session_summary, verdict_html


@pytest.fixture(autouse=True)
def fresh_session():
    reset_session()
    yield
    reset_session()


def test_a_number_without_a_unit_is_shown_bare_and_just_below_a_thousand_without_a_comma():
    assert verdicts._fmt(1.5) == "1.5"
    # 999.96 has fewer than 4 digits before the point, so no comma, but .4g rounds it to 1000
    assert verdicts._fmt(999.96) == "1000"
    assert verdicts._fmt(1000.0) == "1,000"
    assert Tolerance(abs=0.1).describe(5.0) == "within ±0.1"
    assert verdicts._points(None) == "" and verdicts._points(2.5) == "2.5"


def test_a_given_value_json_cannot_hold_is_recorded_as_its_repr():
    v = check_choice(None, "a")
    v.given = dt.date(2024, 4, 1)
    assert v.record()["given"] == "datetime.date(2024, 4, 1)"


def test_a_check_without_an_exercise_key_counts_no_tries_and_no_tally():
    v = check_number(0.5, 0.5)
    assert v.exercise == "" and v.attempt == 0 and v.record()["attempt"] == 0
    c = check_choice("a", "A")
    assert c.exercise == "" and c.text() == "✓ Correct. You gave 'a'."
    assert session_summary().text() == "… Not answered yet. No exercise has been checked yet in this session."
    assert session_summary().exercise == ""


def test_a_relative_tolerance_is_the_one_given():
    # 1.04 against 1.0 within 5%: |1.04 - 1.0| = 0.04 <= 0.05; the default 1% would refuse it
    v = check_number(1.04, 1.0, rel=0.05)
    assert v.status == "correct" and v.message == "You gave 1.04; expected 1, checked within ±5.00%."


def test_a_correct_answer_after_wrong_ones_carries_their_count_unless_not_recorded():
    check_number(3.0, 1.0, exercise="e1")
    check_number(2.0, 1.0, exercise="e1")
    assert check_number(1.0, 1.0, exercise="e1").attempt == 2
    assert check_number(1.0, 1.0, exercise="e1", record=False).attempt == 0


def test_a_correct_answer_shows_no_hint_in_its_box():
    v = check_number(0.5, 0.5, hint="Read the table.", exercise="e1")
    assert v.hint == ""
    html = verdict_html(v)
    assert "Hint" not in html and "<i>" not in html


def test_the_units_of_an_absolute_tolerance_are_named_in_every_message():
    wrong = check_number(5.5, 5.0, tol=0.1, unit="t", exercise="e1")
    assert wrong.message == ("You gave 5.5 t, which is too high (checked within ±0.1 t). Try 1: the answer is shown after 2 "
                             "more different wrong tries, or ask for it with reveal=True.")
    shown = check_number(5.5, 5.0, tol=0.1, unit="t", reveal=True)
    assert shown.message == "You gave 5.5 t, which is too high; expected 5 t, checked within ±0.1 t."
    asked = check_number(None, 5.0, tol=0.1, unit="t", reveal=True)
    assert asked.message == "The answer: 5 t, checked within ±0.1 t."


def test_an_unanswered_check_asked_to_reveal_gives_the_rounded_answer():
    v = check_number(None, 0.3448, sig=2, unit="t", reveal=True)
    # 0.3448 to 2 significant figures is 0.34
    assert v.message == "The answer: 0.3448 t, checked to 2 significant figures (0.34)."
    assert v.hint == "" and v.revealed


def test_a_wrong_answer_before_the_reveal_does_not_leak_the_rounded_answer():
    v = check_number(0.5, 0.3448, sig=2, exercise="e1")
    assert v.message == ("You gave 0.5, which is too high (checked to 2 significant figures). Try 1: the answer is shown "
                         "after 2 more different wrong tries, or ask for it with reveal=True.")
    assert "0.34" not in v.message


def test_a_percentage_note_only_up_to_100_and_notes_joined_by_a_space():
    assert "percentage" not in check_number(100.5, 0.25, unit="share").message
    v = check_number(25.0, 0.25, unit="share", mistakes=[(25.0, "You multiplied by 100.")], reveal=True)
    assert v.message.endswith("That looks like a percentage: give a share between 0 and 1 (e.g. 0.25 for 25%). "
                              "You multiplied by 100.")


def test_a_mistake_is_noted_only_near_its_value():
    # answer 2 against expected 1 (tol 0.1): a mistake at 10 is 8 away, beyond max(1% of 10, 0.1) = 0.1
    far = check_number(2.0, 1.0, tol=0.1, mistakes=[(10.0, "far"), (None, "none"), (math.inf, "inf")])
    assert far.message.endswith("or ask for it with reveal=True.")
    # a mistake at 200: 1% of it is 2.0, and 202 is exactly 2 away: noted
    near = check_number(202.0, 1.0, tol=0.1, mistakes=[(200.0, "near")])
    assert near.message.endswith("or ask for it with reveal=True. near")


def test_the_tolerance_has_a_relative_slack_of_1e_9_and_no_more():
    t = Tolerance(abs=1.0)
    # around 0 the bound is 1 x (1 + 1e-9) + 1e-9 x 1e-12, a little above 1.000000001
    assert t.accepts(1.0000000005, 0.0)
    assert not t.accepts(1.000000002, 0.0)
    # an exact tolerance at 0 keeps only the floor 1e-9 x 1e-12: an answer exactly on it is accepted
    assert Tolerance(abs=0).accepts(1e-9 * 1e-12, 0.0)
    assert not Tolerance(abs=0).accepts(1e-20, 0.0)


def test_a_choice_with_no_hints_shows_none():
    assert check_choice(None, "a", reveal=True).hint == ""
    assert check_choice(None, "a").hint == ""
    assert check_choice(3, "a").hint == ""
    assert check_choice("zz", "a", options=["a", "b"]).hint == ""


def test_an_invalid_or_unanswered_check_keeps_its_expected_value_and_shows_it_when_asked():
    assert check_choice("zz", "a", options=["a", "b"], reveal=True).record()["expected"] == "a"
    assert check_choice(3, "a", reveal=True).record()["expected"] == "a"
    assert check_number("3", 1.5, reveal=True).record()["expected"] == 1.5
    assert check_choice(None, "a").expected == "a"
    assert check_number(None, 1.5).expected == 1.5


def test_answers_are_compared_in_lower_case():
    # "ß".lower() is "ß" while "SS".lower() is "ss": the two differ (in upper case both would be "SS")
    assert check_choice("strasse", "Straße").status == "wrong"
    assert check_choice("STRASSE", "strasse").status == "correct"


def test_the_session_summary_speaks_for_no_exercise():
    check_number(1.0, 1.0, exercise="e1")
    check_number(2.0, 1.0, exercise="e2")
    s = session_summary()
    assert s.exercise == ""
    assert s.text() == "✗ Not yet. 1 of 2 exercises correct; not yet right: e2."
