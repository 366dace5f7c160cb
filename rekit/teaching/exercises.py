"""Exercises that check themselves, for the teaching notebooks in notebooks/teaching/.

A check never answers a bare True/False: it returns a `Verdict` that says what was given, what
was expected (and why), and a hint, and shows as a coloured box in JupyterLab (text in a
terminal). An answer left at ``None`` gets "not answered yet", so a student's notebook runs top
to bottom before anything is filled in.

Two ways to use it:

* the named exercises of the teaching notebooks: ``check("02.3", answer)``. Their expected values
  are computed from the data (or the model) when the check runs, never typed in here, so they
  follow the data when it changes; `EXERCISES` lists them with their hints.
* the general checkers for your own exercises: ``check_number(answer, expected, tol=..., hint=...)``,
  ``check_choice(answer, expected, options, hint=...)``.

``summary()`` tells how many of the checks run in this session were answered correctly.

For machines, each verdict's display bundle also carries ``application/vnd.rekit.verdict+json``
({"exercise", "status", "given", "expected"}), which tests read from executed notebooks.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

__all__ = [
    "Verdict", "check_number", "check_choice", "check", "check_deal", "summary", "reset", "Exercise", "EXERCISES",
    "deal_book", "VERDICT_MIME", "STATUSES",
]

VERDICT_MIME = "application/vnd.rekit.verdict+json"
STATUSES = ("correct", "wrong", "unanswered", "invalid")
_STYLE = {  # status -> (symbol, headline, border colour, background)
    "correct": ("✓", "Correct", "#2e7d32", "#eef7ee"),
    "wrong": ("✗", "Not yet", "#c62828", "#fdf0f0"),
    "unanswered": ("…", "Not answered yet", "#777777", "#f5f5f5"),
    "invalid": ("!", "Cannot check this answer", "#ef6c00", "#fff4e5"),
}

_session: dict[str, str] = {}  # exercise -> status of its last check in this kernel

#: The year the deal exercises ask about, and the years they model (the exercises' wording names them).
HEADLINE_YEAR = 2030
MODEL_YEARS = (2024, 2035)
#: The row exercise 01.4 reads: magnets India uses a year (Business Standard, 26 Nov 2025).
MAGNETS_USED_ROW = "india_magnet_consumption_2025_business_standard"


@dataclass
class Verdict:
    """The outcome of one check: status, what was given and expected, the reasoning and a hint."""

    exercise: str
    status: str
    given: Any = None
    expected: Any = None
    message: str = ""
    hint: str = ""
    details: list[tuple[bool, str]] = field(default_factory=list)  # criteria of a design exercise

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r}; allowed: {', '.join(STATUSES)}")
        if self.exercise:
            _session[self.exercise] = self.status

    def __bool__(self) -> bool:
        return self.status == "correct"

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def text(self) -> str:
        sym, head, _, _ = _STYLE[self.status]
        label = f"Exercise {self.exercise}: " if self.exercise else ""
        lines = [f"{sym} {label}{head}." + (f" {self.message}" if self.message else "")]
        for ok, line in self.details:
            lines.append(f"  {'✓' if ok else '✗'} {line}")
        if self.hint and self.status != "correct":
            lines.append(f"  Hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        sym, head, colour, bg = _STYLE[self.status]
        esc = html.escape
        label = f"Exercise {esc(self.exercise)}: " if self.exercise else ""
        parts = [f'<div class="rekit-verdict" data-exercise="{esc(self.exercise)}" data-status="{self.status}" '
                 f'style="border-left:5px solid {colour};background:{bg};padding:6px 10px;margin:4px 0;'
                 'font-family:var(--jp-ui-font-family, sans-serif);font-size:13px">'
                 f'<b style="color:{colour}">{sym} {label}{head}.</b> {esc(self.message)}']
        if self.details:
            items = "".join(f'<li style="list-style:none">{"✓" if ok else "✗"} {esc(line)}</li>' for ok, line in self.details)
            parts.append(f'<ul style="margin:4px 0 0 0;padding:0">{items}</ul>')
        if self.hint and self.status != "correct":
            parts.append(f'<div style="margin-top:4px;color:#444"><i>Hint:</i> {esc(self.hint)}</div>')
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": self.text(),
            "text/html": self._repr_html_(),
            VERDICT_MIME: {"exercise": self.exercise, "status": self.status,
                           "given": _jsonable(self.given), "expected": _jsonable(self.expected)},
        }


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


def check_number(answer: Any, expected: float, *, tol: float | None = None, rel: float | None = None,
                 unit: str = "", hint: str = "", exercise: str = "", why: str = "",
                 mistakes: Sequence[tuple[float, str]] = ()) -> Verdict:
    """Check a numeric answer against `expected` within `tol` (absolute) or `rel` (relative; default 1%).

    `why` says where the expected value comes from (shown with it); `mistakes` lists (value, what
    it suggests) for common slips, e.g. (1 / expected, "you divided the other way round"); a share
    given as a percentage is recognised on its own.
    """
    if answer is None:
        return Verdict(exercise, "unanswered", None, expected, "Replace None with your answer and run the cell again.", hint)
    x = _number(answer)
    if x is None:
        return Verdict(exercise, "invalid", answer, expected,
                       f"Expected a number{f' in {unit}' if unit else ''}; got {answer!r} (a {type(answer).__name__}).", hint)
    if not math.isfinite(x):
        return Verdict(exercise, "invalid", x, expected, f"Got {x}, which is not a finite number.", hint)
    width = tol if tol is not None else abs(expected) * (rel if rel is not None else 0.01)
    width = max(width, 1e-12)
    exp_txt = f"{_fmt(expected, unit)} (±{_fmt(width, '' if unit == 'share' else unit).split(' (')[0]})"
    source = f" {why}" if why else ""
    if abs(x - expected) <= width:
        return Verdict(exercise, "correct", x, expected, f"You gave {_fmt(x, unit)}; expected {exp_txt}.{source}", hint)
    notes = []
    if unit == "share" and 1 < x <= 100 and abs(x / 100 - expected) <= width:
        notes.append("That looks like a percentage: give a share between 0 and 1 (e.g. 0.25 for 25%).")
    for value, note in mistakes:
        if value is not None and math.isfinite(value) and abs(x - value) <= max(abs(value) * 0.01, width):
            notes.append(note)
    direction = "too high" if x > expected else "too low"
    msg = f"You gave {_fmt(x, unit)}, which is {direction}; expected {exp_txt}.{source}"
    if notes:
        msg += " " + " ".join(notes)
    return Verdict(exercise, "wrong", x, expected, msg, hint)


def check_choice(answer: Any, expected: str, options: Sequence[str] = (), *, hint: str = "", exercise: str = "",
                 why: str = "") -> Verdict:
    """Check a named answer (a source id, a deal name, a word) against `expected`, ignoring case and spaces."""
    if answer is None:
        return Verdict(exercise, "unanswered", None, expected, "Replace None with your answer (a string) and run the cell again.", hint)
    if not isinstance(answer, str):
        return Verdict(exercise, "invalid", answer, expected,
                       f"Expected a string (in quotes); got {answer!r} (a {type(answer).__name__}).", hint)
    norm = lambda s: " ".join(str(s).lower().split())  # noqa: E731
    source = f" {why}" if why else ""
    if norm(answer) == norm(expected):
        return Verdict(exercise, "correct", answer, expected, f"You gave {answer!r}.{source}", hint)
    if options and norm(answer) not in {norm(o) for o in options}:
        shown = ", ".join(repr(o) for o in options)
        return Verdict(exercise, "invalid", answer, expected, f"{answer!r} is not one of the possible answers: {shown}.", hint)
    return Verdict(exercise, "wrong", answer, expected, f"You gave {answer!r}; expected {expected!r}.{source}", hint)


def summary() -> Verdict:
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


def reset() -> None:
    """Forget the checks run so far (summary() starts again)."""
    _session.clear()


# ---------------------------------------------------------------------------------------------
# The teaching notebooks' exercises: expected values computed from the data when checked.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise of a teaching notebook: the question, how to compute the answer, the check's settings."""

    key: str
    question: str
    kind: str  # "number" or "choice"
    expected: Callable[..., Any]  # (ds, **context) -> value; or -> (value, options) for a choice
    hint: str
    why: str = ""
    unit: str = ""
    tol: float | None = None
    rel: float | None = None
    mistakes: Callable[[float], Sequence[tuple[float, str]]] | None = None


def _ds(ds=None):
    if ds is not None:
        return ds
    from rekit.data.dataset import load

    return load()


def _irel_nd_reported(ds):
    rows = ds.series("nd_production", entity="IREL", status="reported")
    return rows.sort_values("value")


def _exp_nd_sources(ds):
    return int(ds.series("nd_production", entity="IREL")["source_id"].nunique())


def _exp_nd_ratio(ds):
    rows = _irel_nd_reported(ds)
    return float(rows["value"].max() / rows["value"].min())


def _exp_nd_low_source(ds):
    rows = _irel_nd_reported(ds)
    return str(rows.iloc[0]["source_id"]), sorted(set(ds.series("nd_production", entity="IREL")["source_id"]))


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


def _headline_2030(book, deals, basis="reported"):
    from rekit.explore import State, compute, headline

    state = State(deals=tuple(deals), basis=basis, years=MODEL_YEARS, headline_year=HEADLINE_YEAR)
    return headline(compute(state, book), HEADLINE_YEAR).set_index("deal")


def _exp_best_preset(ds):
    from rekit.model.deals import load_deals

    book = load_deals(ds=ds)
    return float(_headline_2030(book, list(book.deals))["self_sufficiency"].max())


def _exp_gap(ds, deal: Mapping | None = None, name: str = "my_deal", against: str = "repm_scheme"):
    if deal is None:
        raise LookupError("this exercise needs your deal: check('03.3', answer, deal=my_deal)")
    book = deal_book(deal, name, ds)
    ssr = _headline_2030(book, [name, against])["self_sufficiency"]
    return float(ssr[name] - ssr[against])


EXERCISES: dict[str, Exercise] = {e.key: e for e in (
    Exercise("01.1", "How many different sources report IREL's neodymium production (any status)?", "number",
             _exp_nd_sources, "ds.series('nd_production', entity='IREL') lists them; count the distinct source_id values "
             "(.nunique()).", why="(distinct source_id values of nd_production for IREL)", tol=0.5),
    Exercise("01.2", "By what factor does the larger reported figure for IREL's neodymium exceed the smaller one?",
             "number", _exp_nd_ratio, "Keep the rows whose status is 'reported' and divide the largest `value` by the smallest.",
             why="(largest over smallest central value of IREL's reported neodymium output)", rel=0.02,
             mistakes=lambda e: [(1 / e, "That is the small figure over the large one: divide the other way round.")]),
    Exercise("01.3", "Which source (its source_id) reports the smaller figure, 20-40 t?", "choice", _exp_nd_low_source,
             "Sort the reported rows by `value` and read the `source_id` of the first.",
             why="(the reported row with the smallest value)"),
    Exercise("01.4", "If India uses 900 t of rare-earth magnets a year, what share of the FY2024-25 permanent-magnet "
             "imports is that?", "number", _exp_magnet_share,
             "Divide the magnets used a year (magnet_consumption) by ALL permanent magnets imported in FY2024-25 "
             "(magnet_imports, period FY2024-25, scope 'ALL permanent magnets'); the answer is a share, not a percentage.",
             why="(900 t used a year over the 53,700 t of all permanent magnets imported)", unit="share", tol=0.0005,
             mistakes=lambda e: [(1 / e, "That is imports over use: divide the other way round.")]),
    Exercise("02.1", "IREL's rare-earth production in 2024, in tonnes", "number", _exp_production,
             "ds.series('re_production', entity='IREL') and the row for period '2024'.",
             why="(re_production, IREL, 2024)", unit="t", rel=0.001),
    Exercise("02.2", "Rare earths shipped to Japan from IREL's supply in 2024, in tonnes", "number", _exp_exports,
             "ds.series('re_exports', entity='IREL'); both sources give the same figure.",
             why="(re_exports, IREL to Japan, 2024)", unit="t", rel=0.001),
    Exercise("02.3", "IREL's 2024 export share (exports / production)", "number", _exp_export_share,
             "Export share = exports / production, both in tonnes of the same year; the result is a share between 0 and 1.",
             why="(exports to Japan / IREL's production, 2024)", unit="share", tol=0.001,
             mistakes=lambda e: [(1 / e, "That is production / exports: divide the other way round."),
                                 (1 / 3, "That is the article's rounded 'a third', not your own arithmetic.")]),
    Exercise("02.4", "The exports are reported as 'over 1,000 t'. Is the true share 'at least', 'at most' or 'about' "
             "your answer?", "choice", _exp_bound,
             "Look at the `low` and `high` columns of the exports row: which end of the range is known?",
             why="(read from the exports row's low and high: a known low end and no high end make a floor)"),
    Exercise("03.1", "What is the highest self-sufficiency any preset deal reaches in 2030 (central values, reported "
             "basis), as a share?", "number", _exp_best_preset,
             "Simulate every preset with draws=0 and take the largest self_sufficiency in 2030 "
             "(rekit.explore.headline(result, 2030) reads it for you).",
             why="(the best preset in 2030, central values, reported basis)", unit="share", tol=0.005),
    Exercise("03.3", "How many points (as a share, e.g. -0.05) is your deal's 2030 self-sufficiency above repm_scheme's?",
             "number", _exp_gap, "Simulate your deal and repm_scheme together (draws=0) and subtract the two "
             "self_sufficiency values for 2030.", why="(your deal minus repm_scheme, 2030, central values)", tol=0.005),
)}


def check(key: str, answer: Any, ds=None, **context: Any) -> Verdict:
    """Check the answer to a teaching-notebook exercise (``check("02.3", answer)``); see EXERCISES."""
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}; the exercises are: {', '.join(EXERCISES)}")
    ex = EXERCISES[key]
    if answer is None:
        return Verdict(key, "unanswered", None, None, "Replace None with your answer and run the cell again.", ex.hint)
    try:
        value = ex.expected(_ds(ds), **context)
    except LookupError as exc:
        return Verdict(key, "invalid", answer, None, str(exc), ex.hint)
    except Exception as exc:  # a deal that does not load, say: feedback, not a traceback
        return Verdict(key, "invalid", answer, None, f"{type(exc).__name__}: {exc}", ex.hint)
    if ex.kind == "choice":
        expected, options = value
        return check_choice(answer, expected, options, hint=ex.hint, exercise=key, why=ex.why)
    mistakes = ex.mistakes(value) if ex.mistakes else ()
    return check_number(answer, value, tol=ex.tol, rel=ex.rel, unit=ex.unit, hint=ex.hint, exercise=key, why=ex.why,
                        mistakes=mistakes)


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
               min_stock: float = 0.10, year: int = 2030, basis: str = "reported") -> Verdict:
    """Exercise 03.2: a deal that (1) loads, (2) exports nothing from 2025 on, (3) keeps at least `min_stock` of
    IREL's neodymium in stock every year from 2026, and (4) beats `benchmark`'s self-sufficiency in `year`
    (central values, `basis`). The benchmark's value is computed from the model when checked."""
    hint = ("Start from a copy of a preset (see `book.get('repm_scheme')` and data/deals.yml): stop exports from 2025, "
            "send most of the oxide to domestic magnet making with enough domestic_capacity (t magnet/yr), and keep "
            "`stock` at 0.1 or more.")
    if deal is None:
        return Verdict(exercise, "unanswered", None, None, "Replace None with your deal (a dict) and run the cell again.", hint)
    from rekit.model.deals import DealError
    from rekit.model.simulation import ModelError, simulate

    ds = _ds(ds)
    try:
        book = deal_book(deal, name, ds)
        res = simulate(book, [name, benchmark], years=(2024, 2035), draws=0, basis=basis)
    except (DealError, ModelError) as exc:
        return Verdict(exercise, "invalid", deal, None, f"Your deal does not load: {exc}", hint)
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
    return Verdict(exercise, "correct" if ok else "wrong", {"self_sufficiency": ssr}, {"beat": target}, msg, hint, details)
