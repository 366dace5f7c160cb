"""The teaching notebooks' exercises: the catalogue, the student-facing checks and the graded checks.

* ``check_exercise("02.3", answer)`` (``rekit.exercises.check`` in the notebooks): the student's
  check, a `rekit.teaching.verdicts.Verdict` with hints in steps; the expected value is shown
  from the third different wrong try, or with ``reveal=True``.
* ``check_deal(my_deal)``: exercise 03.2, a deal judged on four criteria.
* ``grade_answer(key, answer)`` and ``assert_answer(key, answer)``: the graded form the hidden
  checks (cells tagged ``hidden``) use: the expected value always shown, points with partial
  credit, and ``assert_answer`` raising AssertionError for a wrong answer.

Expected values are computed from the data (or the model) when the check runs, never typed in
here, so they follow the data when it changes. Each `Exercise` states its tolerance (`Tolerance`:
significant figures or an absolute width) and two hints, the second stronger.

Per-student values: ``start_session(student_id)`` (``rekit.exercises.reset`` in the notebooks)
picks, for the exercises in `VARIANTS`, a value of their own for each student (the year of 03.1,
the preset 03.3 compares with), from a hash of the id and the exercise key, so neighbours get
different expected answers and the grader recomputes each student's from the same id. Without an
id every student gets the defaults the notebooks' text names (2030, repm_scheme).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rekit.teaching.verdicts import Tolerance, Verdict, check_choice, check_number, record_verdict, reset_session

__all__ = [
    "Exercise", "EXERCISES", "VARIANTS", "DEAL_EXERCISE", "DEAL_POINTS", "check_exercise", "check_deal", "deal_book",
    "grade_answer", "assert_answer", "start_session", "current_student", "variant", "HEADLINE_YEAR", "MODEL_YEARS",
    "STUDENT_ID", "allow_reveal", "reveal_allowed", "reveals", "show_reveals", "REVEAL_ENV", "REVEALS_MIME",
]

#: The year the deal exercises ask about by default, and the years they model (the exercises' wording names them).
HEADLINE_YEAR = 2030
MODEL_YEARS = (2024, 2035)
#: The row exercise 01.4 reads: magnets India uses a year (Business Standard, 26 Nov 2025).
MAGNETS_USED_ROW = "india_magnet_consumption_2025_business_standard"
#: What a student id may be: letters, digits, '-', '_', '.', 1 to 64 of them ("" for no id).
STUDENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: The design exercise of notebook 03 (checked by check_deal) and its points: one per criterion met.
DEAL_EXERCISE = "03.2"
DEAL_POINTS = 4

#: exercise -> (context argument, the values a student id picks from; the first is the default).
VARIANTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "03.1": ("year", (HEADLINE_YEAR, 2028, 2029, 2031, 2032)),
    "03.3": ("against", ("repm_scheme", "toll_japan", "toll_korea", "partner_plant_india")),
}

_state: dict[str, str | None] = {"student_id": None}
#: Whether ``reveal=True`` shows the answer (None: as REVEAL_ENV says, on unless it is "0", "off", "no"
#: or "false"), and every reveal asked for in the session: (exercise, whether it was allowed).
_reveal: dict[str, Any] = {"allowed": None, "asked": []}
#: The environment variable an instructor sets to turn reveal=True off for a class (REKIT_REVEAL=off).
REVEAL_ENV = "REKIT_REVEAL"
#: The MIME type of the record of reveals a notebook displays for the grader (`show_reveals`).
REVEALS_MIME = "application/vnd.rekit.reveals+json"


def start_session(student_id: str | None = None) -> None:
    """Start a fresh tally (summary() and the tries) for `student_id` ("" or None: the shared default values).

    Raises ValueError naming the id when it is not 1-64 letters, digits, '-', '_' or '.'."""
    if student_id in (None, ""):
        student_id = None
    elif not isinstance(student_id, str) or not STUDENT_ID.match(student_id):
        raise ValueError(f"student_id: got {student_id!r}; allowed: 1 to 64 letters, digits, '-', '_' or '.' "
                         "(or \"\" for the shared values)")
    reset_session()
    _state["student_id"] = student_id  # the reveals asked for are kept: a reset does not erase them


def allow_reveal(allowed: bool | None) -> None:
    """Let ``check(..., reveal=True)`` show the answer (True), refuse it (False), or follow REVEAL_ENV (None)."""
    _reveal["allowed"] = None if allowed is None else bool(allowed)


def reveal_allowed() -> bool:
    """Whether reveal=True shows the answer now: `allow_reveal`'s choice, else REVEAL_ENV (on unless 0/off/no/false)."""
    import os

    if _reveal["allowed"] is not None:
        return bool(_reveal["allowed"])
    return os.environ.get(REVEAL_ENV, "").strip().lower() not in ("0", "off", "no", "false")


def reveals() -> list[tuple[str, bool]]:
    """Every reveal=True asked for since the session started: (exercise, whether it was allowed), in order."""
    return list(_reveal["asked"])


def show_reveals() -> None:
    """Display the session's reveals as REVEALS_MIME (the grader reads it into the gradebook)."""
    from IPython.display import display

    display({REVEALS_MIME: [{"exercise": k, "allowed": ok} for k, ok in reveals()],
             "text/plain": f"{len(reveals())} reveal(s) asked for"}, raw=True)


def current_student() -> str | None:
    """The student id the session's exercises are seeded with (None: the defaults)."""
    return _state["student_id"]


def variant(key: str, student_id: str | None = None) -> dict[str, Any]:
    """The per-student values of exercise `key` (e.g. ``{"year": 2031}``); {} for an exercise without any.

    The value is the default (first listed in VARIANTS) without a student id, else picked by
    sha256(f"{student_id}|{key}") modulo the number of values: the same id always gets the same."""
    if key not in VARIANTS:
        return {}
    name, values = VARIANTS[key]
    sid = student_id if student_id is not None else current_student()
    if not sid:
        return {name: values[0]}
    digest = int(hashlib.sha256(f"{sid}|{key}".encode()).hexdigest(), 16)
    return {name: values[digest % len(values)]}


# ---------------------------------------------------------------------------------------------
# The catalogue: expected values computed from the data when checked.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise of a teaching notebook: the question, how to compute the answer, the check's settings.

    `expected(ds, **context)` returns the value (or, for a choice, (value, options)); `hints` go
    from gentle to strong; `tolerance` is required for a number; `points` is what the grader gives
    a correct answer; a share given as the right percentage gets `percent_credit` of them."""

    key: str
    question: str
    kind: str  # "number" or "choice"
    expected: Callable[..., Any]
    hints: tuple[str, ...]
    why: str = ""
    unit: str = ""
    tolerance: Tolerance | None = None
    points: float = 1.0
    percent_credit: float = 0.5
    mistakes: Callable[[float], Sequence[tuple[float, str]]] | None = None

    def __post_init__(self):
        if self.kind not in ("number", "choice"):
            raise ValueError(f"exercise {self.key}: kind {self.kind!r}; allowed: number, choice")
        if self.kind == "number" and self.tolerance is None:
            raise ValueError(f"exercise {self.key}: a number exercise states its tolerance")


def _ds(ds=None):
    if ds is not None:
        return ds
    from rekit.data.dataset import load

    return load()


def _nd_rows(ds):
    """Every row of India's and IREL's neodymium production, withdrawn ones included."""
    return ds.series("nd_production")


def _exp_nd_sources(ds):
    return int(_nd_rows(ds)["source_id"].nunique())


def _nd_reported_now(ds) -> float:
    """The neodymium production the sources still stand by (reported, not withdrawn): one value."""
    rows = ds.series("nd_production", status="reported")
    return float(rows["value"].iloc[0])


def _nd_in_capacity(ds) -> float:
    """Neodymium contained in IREL's notified NdPr oxide capacity (the derived row of nd_capacity)."""
    return float(ds.series("nd_capacity", entity="IREL")["value"].iloc[0])


def _exp_nd_ratio(ds):
    return _nd_in_capacity(ds) / _nd_reported_now(ds)


def _exp_nd_withdrawn_source(ds):
    rows = _nd_rows(ds)
    withdrawn = rows[rows["status"] == "withdrawn"]
    return str(withdrawn["source_id"].iloc[0]), sorted(set(rows["source_id"]))


def _magnet_rows(ds):
    """(rare-earth magnets used a year, all permanent magnets imported in FY2024-25): the two rows the
    exercise contrasts, chosen by what they count (scope), not typed in."""
    use = ds.series("magnet_consumption", entity="India", status="reported")
    use = use[use["id"] == MAGNETS_USED_ROW]  # the 900 t used a year (the 4,000 t 'requirement' is another claim)
    imports = ds.series("magnet_imports", entity="India", status="reported")
    imports = imports[(imports["period"] == "FY2024-25") & imports["scope"].str.startswith("ALL permanent magnets")
                      & imports["partner"].isna()]
    return use.iloc[0], imports.sort_values("value").iloc[0]


def _exp_magnet_share(ds):
    use, imports = _magnet_rows(ds)
    return float(use["value"] / imports["value"])


def _export_rows(ds):
    prod = ds.series("re_production", entity="IREL", status="reported")
    exp = ds.series("re_exports", entity="IREL", status="reported")
    return prod[prod["period"] == "2024"].iloc[0], exp[exp["period"] == "2024"].iloc[0]


def _exp_production(ds):
    return float(_export_rows(ds)[0]["value"])


def _exp_exports(ds):
    return float(_export_rows(ds)[1]["value"])


def _exp_export_share(ds):
    from rekit.model.metrics import export_share

    prod, exp = _export_rows(ds)
    return float(export_share(exp["value"], prod["value"]))


def _exp_bound(ds):
    _, exp = _export_rows(ds)
    # exports are a lower bound ("over 1,000 t": low = value, no high) -> the share is at least the ratio
    lower_bound = exp["low"] == exp["value"] and (exp["high"] != exp["high"])  # high is NaN
    return ("at least" if lower_bound else "about"), ["at least", "at most", "about"]


def _headline(book, deals, year=HEADLINE_YEAR, basis="reported"):
    from rekit.explore import State, compute, headline

    state = State(deals=tuple(deals), basis=basis, years=MODEL_YEARS, headline_year=year)
    return headline(compute(state, book), year).set_index("deal")


def _exp_best_preset(ds, year: int = HEADLINE_YEAR):
    from rekit.model.deals import load_deals

    book = load_deals(ds=ds)
    return float(_headline(book, list(book.deals), year)["self_sufficiency"].max())


def _exp_gap(ds, deal: Mapping | None = None, name: str = "my_deal", against: str = "repm_scheme"):
    if deal is None:
        raise LookupError("this exercise needs your deal: check('03.3', answer, deal=my_deal)")
    book = deal_book(deal, name, ds)
    ssr = _headline(book, [name, against])["self_sufficiency"]
    return float(ssr[name] - ssr[against])




EXERCISES: dict[str, Exercise] = {e.key: e for e in (
    Exercise("01.1", "How many different sources report India's neodymium production (any status, withdrawn rows "
             "included)?", "number", _exp_nd_sources,
             ("ds.series('nd_production') lists the rows; each names its source in `source_id`.",
              "Count the distinct values: nd['source_id'].nunique()."),
             why="(distinct source_id values of nd_production)", tolerance=Tolerance(abs=0)),
    Exercise("01.2", "By what factor does the neodymium in IREL's notified NdPr oxide capacity exceed the neodymium "
             "India actually produced last year?", "number", _exp_nd_ratio,
             ("Take the central value of nd_capacity for IREL (t Nd, derived from the 400 t NdPr oxide capacity) and "
              "the reported (not withdrawn) nd_production.",
              "capacity['value'].iloc[0] / reported['value'].iloc[0]."),
             why="(t Nd in IREL's notified capacity over t Nd reported produced)", tolerance=Tolerance(sig=2),
             mistakes=lambda e: [(1 / e, "That is production over capacity: divide the other way round.")]),
    Exercise("01.3", "Which source (its source_id) later revised its story and withdrew figures?", "choice",
             _exp_nd_withdrawn_source,
             ("Look at the `status` column: which rows are 'withdrawn'?",
              "nd[nd['status'] == 'withdrawn']['source_id'].iloc[0]."),
             why="(the source of the withdrawn rows)"),
    Exercise("01.4", "If India uses 900 t of rare-earth magnets a year, what share of the FY2024-25 permanent-magnet "
             "imports is that?", "number", _exp_magnet_share,
             ("Divide the magnets used a year (magnet_consumption) by the imports of ALL permanent magnets in FY2024-25; "
              "the answer is a share, not a percentage.",
              "900 / the magnet_imports row for period 'FY2024-25' whose scope starts with 'ALL permanent magnets' and "
              "whose partner is empty (about 53,700 t)."),
             why="(900 t used a year over the 53,700 t of all permanent magnets imported)", unit="share",
             tolerance=Tolerance(sig=2),
             mistakes=lambda e: [(1 / e, "That is imports over use: divide the other way round.")]),
    Exercise("02.1", "IREL's rare-earth production in 2024, in tonnes", "number", _exp_production,
             ("ds.series('re_production', entity='IREL') holds it.",
              "production[production['period'] == '2024']['value'].iloc[0]."),
             why="(re_production, IREL, 2024)", unit="t", tolerance=Tolerance(sig=3)),
    Exercise("02.2", "Rare earths shipped to Japan from IREL's supply in 2024, in tonnes", "number", _exp_exports,
             ("ds.series('re_exports', entity='IREL'); both sources give the same figure.",
              "exports[exports['period'] == '2024']['value'].iloc[0]."),
             why="(re_exports, IREL to Japan, 2024)", unit="t", tolerance=Tolerance(sig=3)),
    Exercise("02.3", "IREL's 2024 export share (exports / production)", "number", _exp_export_share,
             ("Export share = exports / production, both in tonnes of the same year; a share is between 0 and 1.",
              "Divide your answer to 02.2 by your answer to 02.1."),
             why="(exports to Japan / IREL's production, 2024)", unit="share", tolerance=Tolerance(sig=2),
             mistakes=lambda e: [(1 / e, "That is production / exports: divide the other way round."),
                                 (1 / 3, "That is the article's rounded 'a third', not your own arithmetic.")]),
    Exercise("02.4", "The exports are reported as 'over 1,000 t'. Is the true share 'at least', 'at most' or 'about' "
             "your answer?", "choice", _exp_bound,
             ("Look at the `low` and `high` columns of the exports row: which end of the range is known?",
              "low = 1,000 t and no high: the exports are a floor, and so is the share computed from them."),
             why="(read from the exports row's low and high: a known low end and no high end make a floor)"),
    Exercise("03.1", "What is the highest self-sufficiency any preset deal reaches in your year (year_03_1; 2030 "
             "without a student id), central values, reported basis, as a share?", "number", _exp_best_preset,
             ("Simulate every preset with draws=0 and read self_sufficiency in your year.",
              "headline(presets, year_03_1)['self_sufficiency'].max() (simulate with years=MODEL_YEARS, draws=0)."),
             why="(the best preset in your year, central values, reported basis)", unit="share",
             tolerance=Tolerance(abs=0.01)),
    Exercise("03.3", "How many points (as a share, e.g. -0.05) is your deal's 2030 self-sufficiency above the preset "
             "rival_03_3's (repm_scheme without a student id)?", "number", _exp_gap,
             ("Simulate your deal and the rival preset together (draws=0) and compare their self_sufficiency in 2030.",
              "headline(simulate(deal_book(my_deal), ['my_deal', rival_03_3], draws=0), 2030): subtract the rival's "
              "self_sufficiency from yours."),
             why="(your deal minus the rival preset, 2030, central values)", tolerance=Tolerance(abs=0.01)),
)}


def _expected(ex: Exercise, ds, context: Mapping[str, Any]) -> tuple[Any, str | None]:
    """(value, None) or (None, why it cannot be computed): a deal that does not load is feedback, not a traceback."""
    try:
        return ex.expected(_ds(ds), **context), None
    except LookupError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a deal that does not load, say
        return None, f"{type(exc).__name__}: {exc}"


def _exercise(key: str) -> Exercise:
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}; the exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[key]


def check_exercise(key: str, answer: Any, ds=None, *, reveal: bool = False, **context: Any) -> Verdict:
    """Check the answer to a teaching-notebook exercise (``check_exercise("02.3", answer)``); see EXERCISES.

    The student's values (VARIANTS) come from the session's student id; ``reveal=True`` shows the
    expected value now instead of after the third different wrong try."""
    ex = _exercise(key)
    context = {**variant(key), **context}
    if reveal:
        allowed = reveal_allowed()
        _reveal["asked"].append((key, allowed))
        if not allowed:
            v = _check(ex, answer, ds, context, reveal=False, record=True)
            v.message += (" (Your instructor has turned reveal=True off: the answer is shown after the third different "
                          "wrong try.)")
            return v
    return _check(ex, answer, ds, context, reveal=reveal, record=True)


def _tally(v: Verdict, record: bool) -> Verdict:
    if record:
        record_verdict(v)
    return v


def _check(ex: Exercise, answer: Any, ds, context: Mapping[str, Any], *, reveal: bool, record: bool) -> Verdict:
    if answer is None and not reveal:
        return check_number(None, 0.0, hints=ex.hints, exercise=ex.key, record=record, tolerance=ex.tolerance) \
            if ex.kind == "number" else check_choice(None, "", hints=ex.hints, exercise=ex.key, record=record)
    value, problem = _expected(ex, ds, context)
    if problem is not None:
        return _tally(Verdict(ex.key, "invalid", answer, None, problem, ex.hints[0]), record)
    if ex.kind == "choice":
        expected, options = value
        return check_choice(answer, expected, options, hints=ex.hints, exercise=ex.key, why=ex.why, reveal=reveal,
                            record=record)
    mistakes = ex.mistakes(value) if ex.mistakes else ()
    return check_number(answer, value, tolerance=ex.tolerance, unit=ex.unit, hints=ex.hints, exercise=ex.key,
                        why=ex.why, mistakes=mistakes, reveal=reveal, record=record)


def grade_answer(key: str, answer: Any, ds=None, *, student_id: str | None = None, **context: Any) -> Verdict:
    """The graded verdict of one answer: expected value shown, points with partial credit, nothing recorded.

    Full points within the exercise's tolerance; `percent_credit` of them for a share given as the
    right percentage (34.48 for 0.3448); none otherwise. Exercise 03.2 (a deal) is graded by
    `check_deal`: one point per criterion met. `student_id` (default: the session's) picks the
    student's own values."""
    if key == DEAL_EXERCISE:
        v = check_deal(answer, ds, record=False, **context)
        v.points = float(sum(ok for ok, _ in v.details)) if v.status in ("correct", "wrong") else 0.0
        v.max_points = float(DEAL_POINTS)
        return v
    ex = _exercise(key)
    context = {**variant(key, student_id), **context}
    # unanswered: nothing to compare, and the expected value may need the student's other answers (03.3's deal)
    v = _check(ex, answer, ds, context, reveal=answer is not None, record=False)
    v.revealed, v.attempt, v.max_points = True, 0, ex.points
    credit = 1.0 if v.correct else 0.0
    if (v.status == "wrong" and ex.unit == "share" and isinstance(v.given, float) and 1 < v.given <= 100
            and ex.tolerance is not None and ex.tolerance.accepts(v.given / 100, v.expected)):
        credit = ex.percent_credit
        v.message += f" Partial credit ({credit:.0%}): the right value, given as a percentage."
    v.points = credit * ex.points
    return v


def assert_answer(key: str, answer: Any, ds=None, **context: Any) -> None:
    """A hidden check: show the graded verdict, and raise AssertionError when the answer is given but not right.

    An unanswered exercise is shown, not raised, so that the instructor's notebook runs top to
    bottom with its answers left empty."""
    v = grade_answer(key, answer, ds, **context)
    try:
        from IPython.display import display

        display(v)
    except ImportError:  # pragma: no cover - outside IPython the assertion still says it all
        pass
    if v.status in ("wrong", "invalid"):
        raise AssertionError(v.text())


# ---------------------------------------------------------------------------------------------
# Designing a deal (notebook 03)
# ---------------------------------------------------------------------------------------------


def deal_book(deal: Mapping[str, Any], name: str = "my_deal", ds=None):
    """The preset deals plus yours (a dict as one entry of data/deals.yml's `deals`), checked like the file.

    Raises rekit.deals.DealError naming the key and value when the deal is not valid.
    """
    from rekit.model.deals import DealError, load_deals

    if not isinstance(deal, Mapping):
        raise DealError(f"a deal is a dict of keys (description, shares, ...); got {type(deal).__name__}")
    return load_deals({"version": 1, "deals": {name: dict(deal)}}, ds=_ds(ds), name="your deal")


def check_deal(deal: Any, ds=None, *, name: str = "my_deal", exercise: str = "03.2", benchmark: str = "toll_japan",
               min_stock: float = 0.10, year: int = HEADLINE_YEAR, basis: str = "reported", record: bool = True) -> Verdict:
    """Exercise 03.2: a deal that (1) loads, (2) exports nothing from 2025 on, (3) keeps at least `min_stock` of
    IREL's neodymium in stock every year from 2026, and (4) beats `benchmark`'s self-sufficiency in `year`
    (central values, `basis`). The benchmark's value is computed from the model when checked.
    ``record=False`` leaves the session tally alone (grading)."""
    hint = ("Start from a copy of a preset (see `book.get('repm_scheme')` and data/deals.yml): stop exports from 2025, "
            "send most of the oxide to domestic magnet making with enough domestic_capacity (t magnet/yr), and keep "
            "`stock` at 0.1 or more.")
    if deal is None:
        return _tally(Verdict(exercise, "unanswered", None, None, "Replace None with your deal (a dict) and run the cell again.",
                              hint), record)
    from rekit.model.deals import DealError
    from rekit.model.simulation import ModelError, simulate

    ds = _ds(ds)
    try:
        book = deal_book(deal, name, ds)
        res = simulate(book, [name, benchmark], years=(2024, 2035), draws=0, basis=basis)
    except (DealError, ModelError) as exc:
        return _tally(Verdict(exercise, "invalid", deal, None, f"Your deal does not load: {exc}", hint), record)
    years = res.years
    get = lambda metric, d: res.arrays[metric][res.deals.index(d), :, 0]  # noqa: E731
    production = get("production", name)
    exports = get("exports", name)
    stock_share = get("stocked", name) / production
    ssr, target = float(get("self_sufficiency", name)[years == year][0]), float(get("self_sufficiency", benchmark)[years == year][0])
    after = years >= 2025
    from2026 = years >= 2026
    worst_stock = float(stock_share[from2026].min())
    worst_year = int(years[from2026][stock_share[from2026].argmin()])
    details = [
        (True, "the deal loads and the model runs it"),
        (bool(exports[after].max() <= 1e-9), f"no exports from 2025 (largest: {exports[after].max():,.1f} t Nd)"),
        (worst_stock >= min_stock - 1e-9, f"at least {min_stock:.0%} of IREL's neodymium stocked every year from 2026 "
                                          f"(lowest: {worst_stock:.1%} in {worst_year}; capacity shortfalls count as stock)"),
        (ssr > target, f"self-sufficiency in {year} above {benchmark}'s {target:.1%} (yours: {ssr:.1%})"),
    ]
    ok = all(d for d, _ in details)
    msg = "Every criterion is met." if ok else f"{sum(not d for d, _ in details)} criterion(s) not met yet."
    return _tally(Verdict(exercise, "correct" if ok else "wrong", {"self_sufficiency": ssr}, {"beat": target}, msg,
                          "" if ok else hint, details), record)
