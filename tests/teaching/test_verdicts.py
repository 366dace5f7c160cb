"""The checkers: explicit tolerances, the percentage hint, hints in steps, escaped verdict HTML, the session tally.

Known values by hand: IREL's 2024 export share is 1,000 t / 2,900 t = 0.3448 (data: re_exports and
re_production, IREL, 2024).
"""

from __future__ import annotations

import pytest

from rekit.teaching import exercises as E
from rekit.teaching import verdicts as V

SHARE = 1000 / 2900  # = 0.3448...


@pytest.fixture(autouse=True)
def _fresh_session():
    E.start_session()
    yield
    E.start_session()


# --- tolerances ---------------------------------------------------------------------------------


def test_two_significant_figures_accept_sensible_rounding_and_say_so():
    # sig=2 around 0.3448: half a unit of the 2nd figure = 0.005, so 0.3398 .. 0.3498 pass
    v = V.check_number(0.34, SHARE, sig=2, unit="share", exercise="t.1")
    assert v.correct and "to 2 significant figures (0.34)" in v.message  # |0.34 - 0.3448| = 0.0048 <= 0.005
    assert V.check_number(0.35, SHARE, sig=2).status == "wrong"  # |0.35 - 0.3448| = 0.0052 > 0.005
    assert V.check_number(0.3, SHARE, sig=2).status == "wrong"  # 1 significant figure is not enough
    assert V.Tolerance(sig=2).width(2900) == 50  # 2 figures of 2,900: units of 100, half is 50


def test_absolute_tolerance_accepts_a_median_against_the_central_value():
    # abs=0.01: 0.73 - 0.72 = 0.01 (0.010000000000000009 in doubles) is on the boundary and passes
    v = V.check_number(0.73, 0.72, tolerance=V.Tolerance(abs=0.01), unit="share")
    assert v.correct and "within ±0.01" in v.message
    assert V.check_number(0.74, 0.72, tol=0.01).status == "wrong"  # 0.02 off


def test_the_catalogue_states_a_tolerance_for_every_number_and_accepts_0_34_for_02_3():
    assert all(ex.tolerance is not None for ex in E.EXERCISES.values() if ex.kind == "number")
    assert E.check_exercise("02.3", 0.34).correct
    with pytest.raises(ValueError, match="one of sig, abs or rel"):
        V.Tolerance(sig=2, abs=0.01)


@pytest.mark.parametrize("given", [34.48, 1.5, 100, 50])
def test_the_percentage_hint_fires_for_any_value_between_1_and_100_where_a_share_is_asked(given):
    v = V.check_number(given, SHARE, sig=2, unit="share")
    assert v.status == "wrong" and "looks like a percentage" in v.message


def test_no_percentage_hint_outside_1_to_100_or_when_no_share_is_asked():
    assert "percentage" not in V.check_number(0.9, SHARE, sig=2, unit="share").message
    assert "percentage" not in V.check_number(150, SHARE, sig=2, unit="share").message
    assert "percentage" not in V.check_number(34.48, 2900, sig=2, unit="t").message


# --- hints in steps -----------------------------------------------------------------------------


def test_hint_then_stronger_hint_then_the_answer_on_the_third_try():
    ex = E.EXERCISES["02.3"]
    first = E.check_exercise("02.3", 0.5)
    assert first.status == "wrong" and first.hint == ex.hints[0] and not first.revealed
    assert "0.3448" not in first.text() and first._repr_mimebundle_()[V.VERDICT_MIME]["expected"] is None
    again = E.check_exercise("02.3", 0.5)  # the same answer re-run uses up no try
    assert again.attempt == 1 and again.hint == ex.hints[0]
    second = E.check_exercise("02.3", 0.6)
    assert second.attempt == 2 and second.hint == ex.hints[1] and "Stronger hint" in second.text()
    assert "0.3448" not in second.text()
    third = E.check_exercise("02.3", 0.7)
    assert third.revealed and "expected 0.3448" in third.message
    assert third._repr_mimebundle_()[V.VERDICT_MIME]["expected"] == pytest.approx(SHARE)


def test_the_answer_on_request():
    v = E.check_exercise("02.3", 0.5, reveal=True)
    assert v.status == "wrong" and v.revealed and "expected 0.3448" in v.message
    v = E.check_exercise("02.4", None, reveal=True)
    assert v.status == "unanswered" and "'at least'" in v.message


def test_choice_hints_in_steps():
    hints = ("look", "look harder")
    v1 = V.check_choice("b", "a", ["a", "b", "c", "d"], hints=hints, exercise="t.c")
    assert v1.hint == "look" and "expected" not in v1.message
    assert V.check_choice("zz", "a", ["a", "b", "c", "d"], hints=hints, exercise="t.c").status == "invalid"
    v2 = V.check_choice("c", "a", ["a", "b", "c", "d"], hints=hints, exercise="t.c")
    assert v2.hint == "look harder" and v2.attempt == 2  # the invalid answer used up no try
    v3 = V.check_choice("d", "a", ["a", "b", "c", "d"], hints=hints, exercise="t.c")
    assert "expected 'a'" in v3.message


def test_other_feedback_kept():
    v = V.check_number(None, 0.345, tol=0.001, unit="share", hint="exports / production", exercise="t.1")
    assert v.status == "unanswered" and not v and "Replace None" in v.text() and "Hint: exports / production" in v.text()
    v = V.check_number(2.9, SHARE, tol=0.001, mistakes=[(2.9, "divided the other way round")])
    assert v.status == "wrong" and "other way round" in v.message and "too high" in v.message
    for bad in ("0.34", True, float("nan"), [1, 2]):
        assert V.check_number(bad, 0.34).status == "invalid"
    import numpy as np
    import pandas as pd

    assert V.check_number(np.float64(0.34), 0.34) and V.check_number(pd.Series([0.34]), 0.34)
    assert V.check_choice(" Business_Standard_2025_11_09 ", "business_standard_2025_11_09").correct
    assert V.check_choice(3, "a").status == "invalid"


# --- display ------------------------------------------------------------------------------------


def test_verdict_html_escapes_every_value():
    payload = '<script>alert("x")</script>'
    v = V.Verdict(payload, "wrong", payload, payload, message=payload, hint=payload, details=[(False, payload)],
                  points=0, max_points=1)
    html = V.verdict_html(v)
    assert "<script>" not in html and html.count("&lt;script&gt;") == 5  # data-exercise, label, message, detail, hint
    assert '"x"' not in html  # quotes escaped too: an attribute cannot be closed from a value
    bundle = V.check_number(payload, 1.0, exercise="t.x")._repr_mimebundle_()
    assert "<script>" not in bundle["text/html"] and "&lt;script&gt;" in bundle["text/html"]


def test_verdict_display_and_summary():
    v = V.check_number(1.0, 1.0, exercise="t.9")
    bundle = v._repr_mimebundle_()
    assert bundle[V.VERDICT_MIME] == {"exercise": "t.9", "status": "correct", "given": 1.0, "expected": 1.0,
                                      "attempt": 0, "revealed": True}
    assert 'data-status="correct"' in bundle["text/html"] and bundle["text/plain"].startswith("✓ Exercise t.9")
    V.check_number(None, 1.0, exercise="t.10")
    s = V.session_summary()
    assert s.status == "wrong" and "1 of 2 exercises correct" in s.message and "t.10" in s.message
    V.check_number(1.0, 1.0, exercise="t.10")
    assert V.session_summary().correct


# --- graded verdicts and per-student values --------------------------------------------------------


def test_graded_verdicts_give_points_and_partial_credit():
    assert E.grade_answer("02.3", 0.34).points == 1
    half = E.grade_answer("02.3", 34.48)  # the right value as a percentage: 34.48 / 100 = 0.3448 -> half of 1 point
    assert half.points == 0.5 and "Partial credit" in half.message and half.revealed
    assert E.grade_answer("02.3", 0.5).points == 0
    assert E.grade_answer("02.3", None).points == 0
    with pytest.raises(AssertionError, match="02.3"):
        E.assert_answer("02.3", 0.5)
    E.assert_answer("02.3", None)  # unanswered is shown, not raised
    E.assert_answer("03.3", None, deal=None)  # even where the expected value needs another answer (the deal)
    E.assert_answer("03.2", None)
    assert E.grade_answer("03.3", None, deal=None).points == 0
    assert V.session_summary().status == "unanswered"  # grading leaves the student's tally alone


def test_student_ids_pick_values_and_the_grader_recomputes_them():
    from rekit.explore import State, compute, headline
    from rekit.model.deals import load_deals

    assert E.variant("03.1") == {"year": 2030} and E.variant("03.3") == {"against": "repm_scheme"}
    assert E.variant("03.1", "bob") == E.variant("03.1", "bob")  # the same id always gets the same
    years = {E.variant("03.1", f"s{i}")["year"] for i in range(40)}
    assert len(years) > 1, "different students get different years"
    sid = next(f"s{i}" for i in range(40) if E.variant("03.1", f"s{i}")["year"] != 2030)
    year = E.variant("03.1", sid)["year"]
    book = load_deals()
    state = State(deals=tuple(book.deals), basis="reported", years=E.MODEL_YEARS, headline_year=year)
    theirs = float(headline(compute(state, book), year)["self_sufficiency"].max())
    state30 = State(deals=tuple(book.deals), basis="reported", years=E.MODEL_YEARS, headline_year=2030)
    default = float(headline(compute(state30, book), 2030)["self_sufficiency"].max())
    assert E.grade_answer("03.1", theirs, student_id=sid).points == 1
    if abs(theirs - default) > 0.01:
        assert E.grade_answer("03.1", default, student_id=sid).points == 0
    E.start_session(sid)
    assert E.check_exercise("03.1", theirs).correct
    with pytest.raises(ValueError, match="student_id"):
        E.start_session("<script>")
