"""An answer key per student: each exercise's expected answer for the values that student was given.

Students get values of their own for some exercises (rekit.teaching.exercises.VARIANTS: the year of
03.1, the preset 03.3 compares with), picked from their `student_id`; `answer_key(students)` gives,
for each student (None or "": the shared values the notebooks' text names) and exercise, the values
they were given, the expected answer computed from the data and the model as the grader computes it,
its unit and tolerance. An exercise whose answer depends on the student's own work (03.2, a deal
judged on four criteria; 03.3, their deal against a preset) says so instead of a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from rekit.teaching.exercises import DEAL_EXERCISE, DEAL_POINTS, EXERCISES, STUDENT_ID, variant

__all__ = ["COLUMNS", "answer_key"]

COLUMNS = ["student", "exercise", "given", "expected", "unit", "tolerance", "points", "question"]


def _tolerance(t) -> str:
    """'2 significant figures', '+/- 0.01', 'within 5%' or 'exact' (a Tolerance), '' for none (a choice)."""
    if t is None:
        return ""
    if t.sig is not None:
        return f"{t.sig} significant figure{'s' if t.sig != 1 else ''}"
    if t.abs is not None:
        return "exact" if t.abs == 0 else f"+/- {t.abs:g}"
    return f"within {t.rel:.0%}"


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def answer_key(students: Iterable[str | None], ds=None) -> pd.DataFrame:
    """One row per student and exercise (`COLUMNS`), exercises in catalogue order; ValueError for an id that
    is not 1 to 64 letters, digits, '-', '_' or '.'."""
    if ds is None:
        from rekit.data.dataset import load

        ds = load()
    rows = []
    for sid in students:
        sid = sid or None
        if sid is not None and not STUDENT_ID.match(sid):
            raise ValueError(f"student {sid!r} is not allowed; give 1 to 64 letters, digits, '-', '_' or '.'")
        name = sid or "(shared values)"
        keys = [*EXERCISES, DEAL_EXERCISE]
        for key in sorted(keys):
            if key == DEAL_EXERCISE:
                rows.append({"student": name, "exercise": key, "given": "", "expected": "the student's own deal, judged on "
                             f"{DEAL_POINTS} criteria (one point each)", "unit": "", "tolerance": "", "points": float(DEAL_POINTS),
                             "question": "design a deal (notebook 03)"})
                continue
            ex = EXERCISES[key]
            given = variant(key, sid)
            try:
                value = ex.expected(ds, **given)
                expected = _text(value[0] if ex.kind == "choice" else value)
            except LookupError:  # needs the student's own work (03.3: their deal)
                expected = f"depends on the student's own answer {ex.why}".strip()
            rows.append({"student": name, "exercise": key, "given": ", ".join(f"{k}={v}" for k, v in given.items()),
                         "expected": expected, "unit": ex.unit, "tolerance": _tolerance(ex.tolerance), "points": ex.points,
                         "question": ex.question})
    return pd.DataFrame(rows, columns=COLUMNS)
