"""Notebook parameters: the registry of what each one may be, and one check shared by notebooks and
the report runner.

Every notebook declares its parameters in its second cell (tagged ``parameters``), one
assignment a line with a trailing comment giving the unit and the allowed values::

    deals = ["status_quo", "toll_japan"]  # partner deals to compare; names from data/deals.yml
    draws = 2000  # Monte Carlo draws, 1..100000

and validates them in its third cell::

    import rekit.params
    p = rekit.params.check(dict(deals=deals, draws=draws))

The runner (`rekit run`, `rekit reports`) calls the same check with the values given on the
command line or in notebooks/batch.yml *before* executing anything, so a bad value is refused
in a second with a message naming the parameter, the value given and what is allowed, e.g.
``parameter 'draws': got -5; allowed: an integer from 1 to 100000``.

What is allowed comes from `SPECS` (shared names: years, draws, seed, deals, ...; the spec types,
on pydantic, are in rekit.parameters.specs). Where a value could leave a report with nothing to show,
the bound comes from the model or the data: years within the model's years
(rekit.model.deals.YEARS), deal and basis names from data/deals.yml, USGS editions that report
mine production, and a `since` no later than the last event in data/events.csv. A parameter a
notebook declares that is not in `SPECS` gets a spec from its default value's type, narrowed by a
range written in its comment (``# count, 1..10`` or ``# 0.5 to 2``).
"""

from __future__ import annotations

import ast
import contextvars
import functools
import json
import os
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rekit.errors import RekitError
from rekit.parameters.specs import AnyValue, Bool, Choice, Float, Int, ListOf, Matching, PeriodText, Refused, Spec, Str

__all__ = [
    "ParameterError", "SPECS", "check", "check_parameters", "declared", "spec_for", "defaults", "Declared",
    "STUDENT_ID_PATTERN", "nearest_power_of_two",
]


class ParameterError(RekitError, ValueError):
    """A parameter value (or name) that is not allowed; the message says which, what was given and what is."""


_MISSING = object()


def _show(value: Any) -> str:
    """A value as the user would write it: 5, 'abc', ['a', 'b'], True."""
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Where the bounds and names come from: the model, the deal book and the data in use (each read
# once per version of the data folder's files).
# ---------------------------------------------------------------------------------------------


def _data_stamp() -> tuple[str, tuple[float, ...]]:
    from rekit.paths import data_dir

    folder = data_dir()
    return str(folder), tuple(p.stat().st_mtime for p in sorted(folder.glob("*")) if p.is_file())


@functools.lru_cache(maxsize=4)
def _dataset(folder: str, stamp: tuple[float, ...]):
    from rekit.data.dataset import load

    return load(folder)


@functools.lru_cache(maxsize=4)
def _book(folder: str, stamp: tuple[float, ...]):
    from rekit.model.deals import load_deals

    return load_deals(ds=_dataset(folder, stamp))


def _first_year() -> int:
    """The first year the model reaches (rekit.model.deals.YEARS)."""
    from rekit.model.deals import YEARS

    return YEARS[0]


def _last_year() -> int:
    """The last year the model reaches (rekit.model.deals.YEARS)."""
    from rekit.model.deals import YEARS

    return YEARS[1]


def _basis_names() -> tuple[str, ...]:
    """The production bases of the model (data/deals.yml, `production_bases`), then the old names that
    still work (rekit.model.deals.BASIS_ALIASES: `reported` is the default `output`)."""
    from rekit.model.deals import BASIS_ALIASES

    return (*_book(*_data_stamp()).bases, *BASIS_ALIASES)


def _demand_names() -> tuple[str, ...]:
    """The demand bases of the model (data/deals.yml, `demand_bases`), the default first."""
    book = _book(*_data_stamp())
    return tuple(sorted(book.demands, key=lambda n: n != book.default_demand))


def _metric_names() -> tuple[str, ...]:
    """The model's metrics (rekit.model.simulation.METRICS)."""
    from rekit.model.simulation import METRICS

    return tuple(METRICS)


def _deal_or_none() -> tuple[str, ...]:
    """"" (no second deal) or a deal name."""
    return ("", *_deal_names())


def _deal_names() -> tuple[str, ...]:
    """The deal presets of the model (data/deals.yml, `deals`), plus those of the deals file being
    checked with them (`deals_file`)."""
    deals_file = _DEALS_FILE.get()
    if deals_file:
        return tuple(_user_book(*_data_stamp(), deals_file, Path(deals_file).stat().st_mtime).deals)
    return tuple(_book(*_data_stamp()).deals)


# the deals file being checked with the other parameters: deal names may come from it
_DEALS_FILE: contextvars.ContextVar[str] = contextvars.ContextVar("rekit_deals_file", default="")


@functools.lru_cache(maxsize=4)
def _user_book(folder: str, stamp: tuple[float, ...], deals_file: str, file_stamp: float):
    from rekit.model.deals import load_deals

    return load_deals(deals_file, ds=_dataset(folder, stamp))


def deals_file_problem(value: Any) -> tuple[str, str | None]:
    """(absolute path, None) for a deals file that exists and reads as a deal book with the data in
    use; else (the path as given, what is wrong with it)."""
    path = Path(str(value)).expanduser()
    if not path.exists():
        return str(value), "no such file"
    if not path.is_file():
        return str(value), "not a file"
    try:
        from rekit.model.deals import load_deals

        load_deals(path, ds=_dataset(*_data_stamp()))
    except Exception as exc:  # DealError, YAML errors, unreadable file: the message says what
        return str(value), " ".join(str(exc).split()) or type(exc).__name__
    return str(path.resolve()), None


class DealsFile(Spec):
    """A deals file of one's own (YAML, the layout of data/deals.yml), or "" for the bundled deals only.
    A missing or invalid file is refused with the file's name and the problem."""

    def coerce(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        if not isinstance(value, (str, os.PathLike)):
            raise Refused()
        path, problem = deals_file_problem(value)
        if problem:
            raise ParameterError(f"parameter 'deals_file': {path}: {problem}")
        return path

    def describe(self) -> str:
        return "a deals file (YAML, as data/deals.yml), or an empty string for the bundled deals"


def _editions() -> tuple[str, ...]:
    """'all', or a USGS edition that reports mine production (its source_id)."""
    obs = _dataset(*_data_stamp()).observations
    return ("all", *sorted(obs.loc[obs["indicator"] == "mine_production", "source_id"].unique()))


def _last_event() -> tuple[date, str]:
    """The day the last event in data/events.csv starts: a timeline from later would be empty."""
    return _dataset(*_data_stamp()).events["date_start"].max().date(), "the last event in data/events.csv"


#: What a student id may be (rekit.teaching.exercises.STUDENT_ID): letters, digits, '-', '_' or '.', 1 to 64.
STUDENT_ID_PATTERN = r"[A-Za-z0-9_.-]{1,64}"

_DEAL = Choice(_deal_names, what="deals in data/deals.yml")
_YEAR = Int(_first_year, _last_year)

SPECS: dict[str, Spec] = {
    "start_year": _YEAR,
    "end_year": _YEAR,
    "draws": Int(1, 100_000),
    "seed": Int(0, None),
    "basis": Choice(_basis_names),
    "deals": ListOf(_DEAL),
    "deal": _DEAL,
    "year": _YEAR,
    "headline_year": _YEAR,
    "edition": Choice(_editions, what="'all' or a USGS edition"),
    "since": PeriodText(latest=_last_event),
    "level": Float(0, 2),  # a self-sufficiency level (a ratio; 1 = demand met)
    "hide_input": Bool(),
    "deals_file": DealsFile(),
    "demand": Choice(_demand_names, what="demand bases in data/deals.yml"),
    "metric": Choice(_metric_names, what="the model's metrics"),
    "vs": Choice(_deal_or_none, what='"" or a deal to compare with'),
    "method": Choice(("sobol", "morris")),
    "samples": Int(2, 65_536),  # a sensitivity analysis's base sample size; a power of 2 for Sobol (checked below)
    # the teaching notebooks' student id: the rule of rekit.teaching.exercises.STUDENT_ID (reports may
    # not import teaching; tests/hostile/test_args.py checks that the two agree)
    "student_id": Matching(STUDENT_ID_PATTERN, "1 to 64 letters, digits, '-', '_' or '.'", empty="the shared values"),
}


# ---------------------------------------------------------------------------------------------
# A notebook's declared parameters (papermill reads the `parameters` cell).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """One parameter as a notebook declares it: its default (a Python value, or `source` if not a literal)."""

    name: str
    default: Any
    source: str
    help: str
    spec: Spec = field(compare=False)


_RANGE = re.compile(
    r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(?:\.\.|…|to|–|-)\s*(-?\d+(?:\.\d+)?)(?![\w.])"
)


def spec_for(name: str, default: Any = _MISSING, help: str = "") -> Spec:
    """The spec of a parameter: SPECS[name] if registered, else inferred from its default and comment."""
    if name in SPECS:
        return SPECS[name]
    m = _RANGE.search(help or "")
    lo, hi = (m.group(1), m.group(2)) if m else ("", "")  # read only when the comment gives a range
    if isinstance(default, bool):
        return Bool()
    if isinstance(default, int):
        if m and "." not in lo + hi:
            return Int(int(lo), int(hi))
        return Int()
    if isinstance(default, float):
        return Float(float(lo), float(hi)) if m else Float()
    if isinstance(default, str):
        return Str(nonempty=False)
    if isinstance(default, (list, tuple)):
        items = list(default)
        if items and all(isinstance(x, str) for x in items):
            return ListOf(Str(), min_len=0, unique=False)
        if items and all(isinstance(x, int) and not isinstance(x, bool) for x in items):
            return ListOf(Int(), min_len=0, unique=False)
        if items and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
            return ListOf(Float(), min_len=0, unique=False)
        return ListOf(AnyValue(), min_len=0, unique=False)
    return AnyValue()


def _literal(source: str) -> Any:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _MISSING


def declared(notebook: str | Path) -> dict[str, Declared]:
    """The parameters a notebook declares in its `parameters` cell, in order (cached per file version)."""
    path = Path(notebook)
    st = path.stat()
    return dict(_declared(str(path.resolve()), st.st_mtime, st.st_size))


@functools.lru_cache(maxsize=256)
def _declared(path: str, mtime: float, size: int) -> tuple[tuple[str, Declared], ...]:
    """`declared` for one version of a notebook file (the modification time and size key the cache)."""
    found = _inspect_python(Path(path))
    if found is None:  # not a Python notebook, or not JSON we can read: papermill decides
        from papermill.inspection import inspect_notebook

        found = inspect_notebook(path)
    out = []
    for name, p in found.items():
        source = str(p.get("default", "")).strip()
        value = _literal(source)
        help_ = str(p.get("help", "") or "")
        out.append((name, Declared(name, None if value is _MISSING else value, source, help_,
                                   spec_for(name, value, help_))))
    return tuple(out)


# papermill.translators.PythonTranslator.PARAMETER_PATTERN (papermill 2.6), to read a parameters
# cell exactly as papermill does without importing papermill (it loads nbformat and jupyter_client,
# about a second, which a refused `rekit run` should not wait for).
_PM_PARAMETER = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*(?P<value>.*?)"
    r"(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$"
)


def _inspect_python(path: Path) -> dict[str, dict[str, str]] | None:
    """papermill.inspection.inspect_notebook for a Python notebook, read from its JSON: the same
    grouping of lines (a definition may span lines; comments count only on its last line) and the
    same pattern as papermill's PythonTranslator.inspect. None if the notebook is not Python."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        meta = nb.get("metadata", {})
        language = (meta.get("kernelspec", {}).get("language") or meta.get("language_info", {}).get("name") or "python")
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return None
    if str(language).lower() != "python":
        return None
    cell = next((c for c in cells if "parameters" in (c.get("metadata", {}).get("tags") or [])), None)
    if cell is None:
        return {}
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else str(src)

    def flatten(lines: list[str]) -> str:
        flat = "".join(line[:line.index("#")].strip() if "#" in line else line.strip() for line in lines[:-1])
        return flat + (lines[-1].strip() if lines else "")

    groups: list[str] = []
    acc: list[str] = []
    for line in src.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        if line.count("=") > 0:
            groups.append(flatten(acc))
            acc = []
            if line.count("=") > 1:
                continue  # papermill skips it too ("Unable to parse line")
        acc.append(line)
    groups.append(flatten(acc))
    out: dict[str, dict[str, str]] = {}
    for definition in groups:
        m = _PM_PARAMETER.match(definition) if definition else None
        if m is None or m["target"] is None:
            continue
        name = m["target"].strip()
        out[name] = {"name": name, "inferred_type_name": str(m["annotation"] or m["type_comment"] or None).strip(),
                     "default": str(m["value"]).strip(), "help": str(m["help"] or "").strip()}
    return out


def defaults(notebook: str | Path) -> dict[str, Any]:
    """The default value of every declared parameter (non-literal defaults are left out)."""
    return {n: d.default for n, d in declared(notebook).items() if _literal(d.source) is not _MISSING}


def _resolve_notebook(notebook: str | Path) -> Path | None:
    p = Path(notebook)
    candidates = [p] if p.suffix == ".ipynb" else [p.with_name(p.name + ".ipynb"), p]
    for c in candidates:
        if c.is_file():
            return c
    return None


# ---------------------------------------------------------------------------------------------
# The check.
# ---------------------------------------------------------------------------------------------


#: Longest a value is shown in a message before it is cut short.
SHOWN_CHARS = 80
#: Said of a number written with digits other than 0-9 (the data package's CSV rules say the same).
DIGITS_HINT = " (write digits 0-9 only: full-width or other non-ASCII digits are refused)"


def _show_given(value: Any) -> str:
    """A value as given; a number typed on the command line ("-5") is shown as the number (only
    when written in ASCII: '１０００' is shown as typed, not as 1000); a long value is cut short."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}... ({len(value):,} characters)"
    if isinstance(value, str) and value.isascii():
        try:
            n = int(value.strip())
            return repr(n)
        except ValueError:
            try:
                f = float(value.strip())
                if math.isfinite(f):
                    return repr(f)
            except ValueError:
                pass
    return _show(value)


def _refuse(name: str, value: Any, spec: Spec, part: str | None = None, reason: str | None = None) -> ParameterError:
    shown = _show_given(value)
    got = shown if part is None or part in (shown, _show(value)) else f"{part} in {shown}"
    why = f" ({reason})" if reason else ""
    text = value if isinstance(value, str) else part if isinstance(part, str) else ""
    hint = DIGITS_HINT if any(c.isdigit() and not c.isascii() for c in text[:SHOWN_CHARS * 10]) else ""
    return ParameterError(f"parameter {name!r}: got {got}{why}; allowed: {spec.describe()}{hint}")


def check_parameters(params: Mapping[str, Any], notebook: str | Path | None = None) -> dict[str, Any]:
    """Validate and normalise parameter values; return a new dict (same keys, normalised values).

    Also importable as ``check`` (``rekit.params.check``, the call at the top of every notebook).

    `params` may hold typed values (from the notebook or a YAML batch file) or strings typed on
    the command line ("1000" for an integer, "toll_japan" or "a,b" for a list). With `notebook`
    (a path, with or without .ipynb) names the notebook does not declare are refused, listing the
    ones it does; parameters not in SPECS are checked against the type of the notebook's default
    and any range in its comment. The cross-check start_year <= end_year uses the notebook's
    defaults for whichever of the two is not given.
    """
    if not isinstance(params, Mapping):
        raise ParameterError(f"parameters must be a mapping of names to values, got {_show(params)}")
    decl: dict[str, Declared] | None = None
    nb_name = None
    if notebook is not None:
        path = _resolve_notebook(notebook)
        if path is not None:
            decl = declared(path)
            nb_name = path.stem
    if decl is not None:
        unknown = [n for n in params if n not in decl]
        if unknown:
            have = ", ".join(decl) if decl else "(none: it has no cell tagged 'parameters')"
            which = ", ".join(repr(n) for n in unknown)
            s = "s" if len(unknown) > 1 else ""
            raise ParameterError(f"unknown parameter{s} {which} for notebook {nb_name!r}; its parameters: {have}")
    out: dict[str, Any] = {}
    token = None
    if params.get("deals_file"):  # first: deal names may come from it
        spec = decl["deals_file"].spec if decl is not None and "deals_file" in decl else SPECS["deals_file"]
        try:
            out["deals_file"] = spec.coerce(params["deals_file"])
        except Refused as exc:
            raise _refuse("deals_file", params["deals_file"], spec, exc.shown, exc.reason) from None
        if out["deals_file"]:
            token = _DEALS_FILE.set(out["deals_file"])
    try:
        for name, value in params.items():
            if name in out:
                continue
            # with the notebook: its declared spec; without (a notebook checking its own values): the
            # registry, else the value's own type (a string stays a string)
            spec = decl[name].spec if decl is not None else spec_for(name, value)
            try:
                out[name] = spec.coerce(value)
            except Refused as exc:
                raise _refuse(name, value, spec, exc.shown, exc.reason) from None
    finally:
        if token is not None:
            _DEALS_FILE.reset(token)
    # cross-checks
    merged = {n: d.default for n, d in decl.items()} if decl is not None else {}
    merged.update(out)
    sy, ey = merged.get("start_year"), merged.get("end_year")
    if isinstance(sy, int) and isinstance(ey, int):
        if sy > ey:
            given = "start_year" if "start_year" in out else "end_year"
            raise ParameterError(
                f"parameter {given!r}: got start_year={sy}, end_year={ey}; allowed: start_year <= end_year"
            )
        for name in ("year", "headline_year"):  # a year shown must be one of the years modelled
            y = merged.get(name)
            if isinstance(y, int) and not isinstance(y, bool) and not sy <= y <= ey:
                if name in out or not ({"start_year", "end_year"} & set(out)):
                    raise ParameterError(f"parameter {name!r}: got {y}; allowed: a year from start_year={sy} "
                                         f"to end_year={ey}")
                given = "end_year" if "end_year" in out else "start_year"
                raise ParameterError(f"parameter {given!r}: got {merged[given]}; allowed: a value that keeps "
                                     f"{name}={y} (its default) within start_year..end_year; or set {name} too")
    n, method = merged.get("samples"), merged.get("method")
    if method == "sobol" and isinstance(n, int) and not isinstance(n, bool) and n > 0 and n & (n - 1):
        given = "samples" if "samples" in out or "method" not in out else "method"
        raise ParameterError(f"parameter {given!r}: got samples={n} with method 'sobol'; allowed: a power of two "
                             f"for Sobol (Sobol needs a power of two, e.g. {nearest_power_of_two(n)}), or method 'morris'")
    return out


def nearest_power_of_two(n: int) -> int:
    """The power of two nearest `n` (>= 1), the higher one on a tie: 1000 -> 1024, 700 -> 512, 768 -> 1024.

    Sobol' sequences keep their balance only for a power-of-two number of points (SALib's
    sobol.sample warns otherwise; Owen 2020, "On dropping the first Sobol' point")."""
    low = 1 << (max(int(n), 1).bit_length() - 1)
    return low if n - low < 2 * low - n else 2 * low


check = check_parameters
