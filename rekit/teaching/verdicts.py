"""Verdicts: what a check says about one answer, with explicit tolerances and hints that come in steps.

A check never answers a bare True/False: it returns a `Verdict` that says what was given, how
precisely it was checked, a hint, and (only when it is time) what was expected and why. It shows
as a coloured box in JupyterLab (HTML from ``templates/verdict.html.j2``, jinja2 with autoescape,
so every value is escaped) and as text in a terminal. An answer left at ``None`` gets "not
answered yet", so a notebook runs top to bottom before anything is filled in.

* `check_number(answer, expected, tolerance=Tolerance(sig=2), ...)`: a number, accepted within
  the exercise's stated precision (`Tolerance`: significant figures, an absolute or a relative
  width). A share given as a percentage (any value between 1 and 100 where a share was asked)
  gets a note saying so.
* `check_choice(answer, expected, options)`: a named answer (a source id, a word).

Hints come in steps, per exercise key: the first wrong answer gets the first hint, the second a
stronger one, and the expected value is shown only from the third wrong try (`REVEAL_AFTER`) or
when the student asks with ``reveal=True``. Only *different* wrong answers count as tries, so
re-running a cell does not use one up.

`session_summary()` tells how many of the checks run in this kernel were answered correctly;
`reset_session()` forgets them (and the tries).

For machines, each verdict's display bundle also carries ``application/vnd.rekit.verdict+json``
({"exercise", "status", "given", "expected", "attempt", "revealed"} and, for a graded verdict,
"points" and "max_points"); "expected" is null until the answer may be shown. Tests and the
grader read it from executed notebooks.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "Verdict", "Tolerance", "check_number", "check_choice", "session_summary", "reset_session", "VERDICT_MIME",
    "STATUSES", "REVEAL_AFTER", "verdict_html", "record_verdict",
]

VERDICT_MIME = "application/vnd.rekit.verdict+json"
STATUSES = ("correct", "wrong", "unanswered", "invalid")
#: The wrong try (counting different answers) from which the expected value is shown.
REVEAL_AFTER = 3
_STYLE = {  # status -> (symbol, headline, border colour, background)
    "correct": ("✓", "Correct", "#2e7d32", "#eef7ee"),
    "wrong": ("✗", "Not yet", "#c62828", "#fdf0f0"),
    "unanswered": ("…", "Not answered yet", "#777777", "#f5f5f5"),
    "invalid": ("!", "Cannot check this answer", "#ef6c00", "#fff4e5"),
}

_session: dict[str, str] = {}  # exercise -> status of its last check in this kernel
_tries: dict[str, list[Any]] = {}  # exercise -> the different wrong answers given so far


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("rekit.teaching", "templates"), autoescape=True, trim_blocks=True)
    return env.get_template("verdict.html.j2")


@dataclass
class Verdict:
    """The outcome of one check: status, what was given and expected, the reasoning and a hint.

    `revealed` says whether `expected` may be shown (a correct answer, the third wrong try, or
    asked for); `attempt` is the number of different wrong answers so far; `points` and
    `max_points` are set on a graded verdict (the hidden checks)."""

    exercise: str
    status: str
    given: Any = None
    expected: Any = None
    message: str = ""
    hint: str = ""
    details: list[tuple[bool, str]] = field(default_factory=list)  # criteria of a design exercise
    revealed: bool = True
    attempt: int = 0
    points: float | None = None
    max_points: float | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r}; allowed: {', '.join(STATUSES)}")

    def __bool__(self) -> bool:
        return self.status == "correct"

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def hint_label(self) -> str:
        return "Stronger hint" if self.attempt >= 2 else "Hint"

    def text(self) -> str:
        sym, head, _, _ = _STYLE[self.status]
        label = f"Exercise {self.exercise}: " if self.exercise else ""
        lines = [f"{sym} {label}{head}." + (f" {self.message}" if self.message else "")]
        for ok, line in self.details:
            lines.append(f"  {'✓' if ok else '✗'} {line}")
        if self.hint and self.status != "correct":
            lines.append(f"  {self.hint_label}: {self.hint}")
        if self.points is not None:
            lines.append(f"  Points: {_points(self.points)} of {_points(self.max_points)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return verdict_html(self)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text(), "text/html": verdict_html(self), VERDICT_MIME: self.record()}

    def record(self) -> dict[str, Any]:
        """The machine-readable form (the verdict MIME type's payload); `expected` only once it may be shown."""
        out = {"exercise": self.exercise, "status": self.status, "given": _jsonable(self.given),
               "expected": _jsonable(self.expected) if self.revealed else None, "attempt": self.attempt,
               "revealed": self.revealed}
        if self.points is not None:
            out.update(points=self.points, max_points=self.max_points, message=self.message,
                       details=[[bool(ok), line] for ok, line in self.details])
        return out


def verdict_html(v: Verdict) -> str:
    """The verdict as an HTML box, from templates/verdict.html.j2 (autoescape on: every value escaped)."""
    sym, head, colour, bg = _STYLE[v.status]
    return _template().render(
        exercise=v.exercise, status=v.status, symbol=sym, headline=head, colour=colour, background=bg,
        message=v.message, details=v.details, hint=v.hint if v.status != "correct" else "", hint_label=v.hint_label,
        points=None if v.points is None else _points(v.points), max_points=_points(v.max_points))


def _points(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _jsonable(x: Any) -> Any:
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, numbers.Real):
        return float(x) if math.isfinite(float(x)) else str(x)
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return repr(x)


def _fmt(x: float, unit: str = "") -> str:
    if unit == "share":
        return f"{x:.4g} ({x:.2%})"
    text = f"{x:,.4g}" if abs(x) >= 1000 else f"{x:.4g}"
    return f"{text} {unit}".strip()


def _number(answer: Any) -> float | None:
    """The answer as a float, or None if it is not a plain number (bools are not numbers here)."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        try:
            import numpy as np

            if isinstance(answer, np.ndarray) and answer.size == 1:
                return _number(answer.item())
        except ImportError:  # pragma: no cover
            pass
        try:  # a one-element pandas Series, say
            if hasattr(answer, "__len__") and len(answer) == 1 and hasattr(answer, "iloc"):
                return _number(answer.iloc[0])
        except TypeError:
            pass
        return None
    return float(answer)


@dataclass(frozen=True)
class Tolerance:
    """How precisely a numeric answer must match: exactly one of

    * `sig`: to that many significant figures - accepted within half a unit of the last one, so
      0.34 passes against 0.3448 with ``sig=2`` (|0.34 - 0.3448| = 0.0048 <= 0.005);
    * `abs`: within ± that absolute width (``abs=0.01`` accepts 0.73 against 0.72);
    * `rel`: within that fraction of the expected value.

    The comparison allows 1e-9 relative slack, so that a boundary case is not lost to binary
    floating point (0.73 - 0.72 is 0.010000000000000009 in doubles).
    """

    sig: int | None = None
    abs: float | None = None
    rel: float | None = None

    def __post_init__(self):
        given = [n for n in ("sig", "abs", "rel") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"a tolerance is one of sig, abs or rel; got {', '.join(given) or 'none'}")
        if self.sig is not None and (not isinstance(self.sig, int) or self.sig < 1):
            raise ValueError(f"sig: got {self.sig!r}; allowed: a whole number of significant figures, 1 or more")
        for n in ("abs", "rel"):
            v = getattr(self, n)
            if v is not None and not (isinstance(v, numbers.Real) and math.isfinite(v) and float(v) >= 0):
                raise ValueError(f"{n}: got {v!r}; allowed: a finite number >= 0")

    def width(self, expected: float) -> float:
        """Half-width of the accepted interval around `expected`."""
        if self.sig is not None:
            if expected == 0:
                return 0.0
            return 0.5 * 10.0 ** (math.floor(math.log10(abs(expected))) - self.sig + 1)
        if self.abs is not None:
            return float(self.abs)
        assert self.rel is not None  # __post_init__ let exactly one of sig, abs and rel through
        return abs(expected) * float(self.rel)

    def accepts(self, answer: float, expected: float) -> bool:
        w = self.width(expected)
        return abs(answer - expected) <= w * (1 + 1e-9) + 1e-9 * max(abs(expected), 1e-12)

    def describe(self, expected: float, unit: str = "") -> str:
        """The precision in words, e.g. 'to 2 significant figures (0.34)'."""
        if self.sig is not None:
            return f"to {self.sig} significant figure{'s' if self.sig > 1 else ''} ({float(f'{expected:.{self.sig}g}'):g})"
        if self.abs is not None:
            return "exactly" if self.abs == 0 else f"within ±{self.abs:g}{' ' + unit if unit and unit != 'share' else ''}"
        return f"within ±{self.rel:.2%}"


def _tolerance(tolerance: Tolerance | None, tol: float | None, rel: float | None, sig: int | None) -> Tolerance:
    if tolerance is not None:
        return tolerance
    if sig is not None:
        return Tolerance(sig=sig)
    if tol is not None:
        return Tolerance(abs=tol)
    return Tolerance(rel=rel if rel is not None else 0.01)


def _hints(hint: str, hints: Sequence[str]) -> tuple[str, ...]:
    return tuple(h for h in (tuple(hints) or (hint,)) if h)


def _step(exercise: str, answer: Any, wrong: bool) -> int:
    """Record a wrong answer for `exercise` (different answers only) and return how many there were."""
    if not exercise:
        return 1 if wrong else 0
    seen = _tries.setdefault(exercise, [])
    if wrong and answer not in seen:
        seen.append(answer)
    return len(seen)


def record_verdict(v: Verdict) -> Verdict:
    """Count `v` in the session tally (session_summary) under its exercise key."""
    if v.exercise:
        _session[v.exercise] = v.status
    return v


def _record(v: Verdict, record: bool) -> Verdict:
    return record_verdict(v) if record else v


def check_number(answer: Any, expected: float, *, tolerance: Tolerance | None = None, tol: float | None = None,
                 rel: float | None = None, sig: int | None = None, unit: str = "", hint: str = "",
                 hints: Sequence[str] = (), exercise: str = "", why: str = "",
                 mistakes: Sequence[tuple[float, str]] = (), reveal: bool = False, record: bool = True) -> Verdict:
    """Check a numeric answer against `expected` within `tolerance` (or `sig`, `tol` absolute, `rel`; default 1%).

    `why` says where the expected value comes from (shown with it); `mistakes` lists (value, what
    it suggests) for common slips, e.g. (1 / expected, "you divided the other way round"); with
    ``unit="share"`` any value between 1 and 100 gets a note that it looks like a percentage.
    `hints` are shown one step per wrong try; the expected value only from try `REVEAL_AFTER` or
    with ``reveal=True``. ``record=False`` leaves the session tally and the tries alone (grading).
    """
    tolerance = _tolerance(tolerance, tol, rel, sig)
    steps = _hints(hint, hints)
    source = f" {why}" if why else ""
    if answer is None:
        if reveal:
            return _record(Verdict(exercise, "unanswered", None, expected,
                                   f"The answer: {_fmt(expected, unit)}, checked {tolerance.describe(expected, unit)}.{source}",
                                   steps[-1] if steps else "", revealed=True), record)
        return _record(Verdict(exercise, "unanswered", None, expected, "Replace None with your answer and run the cell again.",
                               steps[0] if steps else "", revealed=False), record)
    x = _number(answer)
    if x is None or not math.isfinite(x):
        what = (f"Expected a number{f' in {unit}' if unit else ''}; got {answer!r} (a {type(answer).__name__})." if x is None
                else f"Got {x}, which is not a finite number.")
        return _record(Verdict(exercise, "invalid", answer, expected, what, steps[0] if steps else "", revealed=reveal), record)
    precision = tolerance.describe(expected, unit)
    if tolerance.accepts(x, expected):
        return _record(Verdict(exercise, "correct", x, expected,
                               f"You gave {_fmt(x, unit)}; expected {_fmt(expected, unit)}, checked {precision}.{source}",
                               "", revealed=True, attempt=_step(exercise, x, False) if record else 0), record)
    notes = []
    if unit == "share" and 1 < x <= 100:
        notes.append("That looks like a percentage: give a share between 0 and 1 (e.g. 0.25 for 25%).")
    for value, note in mistakes:
        if value is not None and math.isfinite(value) and abs(x - value) <= max(abs(value) * 0.01, tolerance.width(expected)):
            notes.append(note)
    attempt = _step(exercise, x, True) if record else REVEAL_AFTER
    shown = reveal or attempt >= REVEAL_AFTER
    direction = "too high" if x > expected else "too low"
    msg = f"You gave {_fmt(x, unit)}, which is {direction}"
    if shown:
        msg += f"; expected {_fmt(expected, unit)}, checked {precision}.{source}"
    else:
        left = REVEAL_AFTER - attempt
        msg += (f" (checked {precision.split(' (')[0]}). Try {attempt}: the answer is shown after {left} more different "
                f"wrong tr{'y' if left == 1 else 'ies'}, or ask for it with reveal=True.")
    if notes:
        msg += " " + " ".join(notes)
    step_hint = steps[min(max(attempt, 1), len(steps)) - 1] if steps else ""
    return _record(Verdict(exercise, "wrong", x, expected, msg, step_hint, revealed=shown, attempt=attempt), record)


def check_choice(answer: Any, expected: str, options: Sequence[str] = (), *, hint: str = "", hints: Sequence[str] = (),
                 exercise: str = "", why: str = "", reveal: bool = False, record: bool = True) -> Verdict:
    """Check a named answer (a source id, a deal name, a word) against `expected`, ignoring case and spaces.

    Hints come in steps as for `check_number`; an answer that is not one of `options` is "invalid"
    and uses up no try."""
    steps = _hints(hint, hints)
    source = f" {why}" if why else ""
    if answer is None:
        if reveal:
            return _record(Verdict(exercise, "unanswered", None, expected, f"The answer: {expected!r}.{source}",
                                   steps[-1] if steps else "", revealed=True), record)
        return _record(Verdict(exercise, "unanswered", None, expected,
                               "Replace None with your answer (a string) and run the cell again.", steps[0] if steps else "",
                               revealed=False), record)
    if not isinstance(answer, str):
        return _record(Verdict(exercise, "invalid", answer, expected,
                               f"Expected a string (in quotes); got {answer!r} (a {type(answer).__name__}).",
                               steps[0] if steps else "", revealed=reveal), record)
    norm = lambda s: " ".join(str(s).lower().split())  # noqa: E731
    if norm(answer) == norm(expected):
        return _record(Verdict(exercise, "correct", answer, expected, f"You gave {answer!r}.{source}", "", revealed=True),
                       record)
    if options and norm(answer) not in {norm(o) for o in options}:
        choices = ", ".join(repr(o) for o in options)
        return _record(Verdict(exercise, "invalid", answer, expected,
                               f"{answer!r} is not one of the possible answers: {choices}.", steps[0] if steps else "",
                               revealed=reveal), record)
    attempt = _step(exercise, norm(answer), True) if record else REVEAL_AFTER
    shown = reveal or attempt >= REVEAL_AFTER
    msg = f"You gave {answer!r}" + (f"; expected {expected!r}.{source}" if shown else
                                    f". Try {attempt}: the answer is shown after the third different wrong try, "
                                    f"or ask for it with reveal=True.")
    step_hint = steps[min(max(attempt, 1), len(steps)) - 1] if steps else ""
    return _record(Verdict(exercise, "wrong", answer, expected, msg, step_hint, revealed=shown, attempt=attempt), record)


def session_summary() -> Verdict:
    """How the checks run in this session went: a verdict that is correct when every one is."""
    counts = {s: sorted(e for e, st in _session.items() if st == s) for s in STATUSES}
    n = len(_session)
    if not n:
        return Verdict("", "unanswered", None, None, "No exercise has been checked yet in this session.")
    parts = [f"{len(counts['correct'])} of {n} exercises correct"]
    for s, label in (("wrong", "not yet right"), ("invalid", "not checkable"), ("unanswered", "not answered yet")):
        if counts[s]:
            parts.append(f"{label}: {', '.join(counts[s])}")
    status = "correct" if len(counts["correct"]) == n else ("unanswered" if len(counts["unanswered"]) == n else "wrong")
    return Verdict("", status, len(counts["correct"]), n, "; ".join(parts) + ".")


def reset_session() -> None:
    """Forget the checks run so far and the tries counted (session_summary() starts again)."""
    _session.clear()
    _tries.clear()
