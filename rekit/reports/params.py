"""Notebook parameters: what each one may be, and one check shared by notebooks and the report runner.

Every notebook declares its parameters in its second cell (tagged ``parameters``), one
assignment a line with a trailing comment giving the unit and the allowed values::

    deals = ["status_quo", "toll_japan"]  # partner deals to compare; names from data/deals.yml
    draws = 2000  # Monte Carlo draws, 1..100000

and validates them in its third cell::

    from rekit.reports.params import check
    p = check({"deals": deals, "draws": draws}, notebook="supply_outlook.ipynb")

The runner (`rekit run`, `rekit reports`) calls the same `check` with the values given on the
command line or in notebooks/batch.yml *before* executing anything, so a bad value is refused
in a second with a message naming the parameter, the value given and what is allowed, e.g.
``parameter 'draws': got -5; allowed: an integer from 1 to 100000``.

What is allowed comes from `SPECS` (shared names: years, draws, seed, deals, ...). A parameter
a notebook declares that is not in `SPECS` gets a spec from its default value's type, narrowed by
a range written in its comment (``# count, 1..10`` or ``# 0.5 to 2``).
"""

from __future__ import annotations

import contextvars
import functools
import os

import ast
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ParameterError", "Spec", "Int", "Float", "Choice", "ListOf", "Str", "Bool", "Any_",
    "SPECS", "check", "declared", "spec_for", "defaults", "Declared",
]


class ParameterError(ValueError):
    """A parameter value (or name) that is not allowed; the message says which, what was given and what is."""


_MISSING = object()


def _show(value: Any) -> str:
    """A value as the user would write it: 5, 'abc', ['a', 'b'], True."""
    return repr(value)


# ---------------------------------------------------------------------------------------------
# The vocabulary of specs. Each has `coerce(value)` -> normalised value (raises ParameterError
# with only the "allowed" part filled in by the caller) and `describe()` -> what is allowed.
# Strings are accepted for every kind (values typed on the command line arrive as strings).
# ---------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Internal: a value a spec refuses (the caller turns it into a ParameterError)."""

    def __init__(self, shown: str | None = None):
        super().__init__(shown)
        self.shown = shown  # how to show the offending value if not the whole value (ListOf)


class Spec:
    """What one parameter may be. Subclasses implement `coerce` and `describe`."""

    def coerce(self, value: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.describe()}>"


def _number_text(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_text(kind: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{kind} from {_number_text(lo)} to {_number_text(hi)}"
    if lo is not None:
        return f"{kind} >= {_number_text(lo)}"
    if hi is not None:
        return f"{kind} <= {_number_text(hi)}"
    return kind


@dataclass(frozen=True, repr=False)
class Int(Spec):
    """An integer, optionally bounded (inclusive). Accepts '1000', 1000 and 1000.0; refuses True and 2.5."""

    min: int | None = None
    max: int | None = None

    def coerce(self, value: Any) -> int:
        if isinstance(value, bool):
            raise _Refused()
        if isinstance(value, str):
            text = value.strip().replace("_", "")
            try:
                value = int(text)
            except ValueError:
                try:
                    f = float(text)
                except ValueError:
                    raise _Refused() from None
                if not f.is_integer():
                    raise _Refused() from None
                value = int(f)
        elif isinstance(value, float):
            if not value.is_integer():
                raise _Refused()
            value = int(value)
        elif not isinstance(value, int):
            try:
                import numbers

                if isinstance(value, numbers.Integral):
                    value = int(value)
                else:
                    raise _Refused()
            except TypeError:
                raise _Refused() from None
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise _Refused()
        return value

    def describe(self) -> str:
        return _range_text("an integer", self.min, self.max)


@dataclass(frozen=True, repr=False)
class Float(Spec):
    """A finite real number, optionally bounded (inclusive). Accepts '0.5', 1 and 0.5."""

    min: float | None = None
    max: float | None = None

    def coerce(self, value: Any) -> float:
        if isinstance(value, bool):
            raise _Refused()
        try:
            value = float(value.strip().replace("_", "") if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise _Refused() from None
        if not math.isfinite(value):
            raise _Refused()
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise _Refused()
        return value

    def describe(self) -> str:
        return _range_text("a number", self.min, self.max)


_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


@dataclass(frozen=True, repr=False)
class Bool(Spec):
    """True or False; on the command line also true/false, yes/no, on/off, 1/0."""

    def coerce(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            t = value.strip().lower()
            if t in _TRUE:
                return True
            if t in _FALSE:
                return False
        raise _Refused()

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True, repr=False)
class Str(Spec):
    """Any text (optionally non-empty); numbers given in YAML are turned into their text."""

    nonempty: bool = True

    def coerce(self, value: Any) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, (list, tuple, dict, set)):
            raise _Refused()
        text = str(value)
        if self.nonempty and not text.strip():
            raise _Refused()
        return text

    def describe(self) -> str:
        return "a non-empty text" if self.nonempty else "a text"


@dataclass(frozen=True, repr=False)
class Choice(Spec):
    """One of a set of names. `allowed` is a tuple, or a callable returning one (looked up at check time,
    so the names can come from the model or the data). An empty set of names means "not known yet":
    any non-empty name is accepted."""

    allowed: tuple[str, ...] | Callable[[], Iterable[str]]
    what: str = ""  # e.g. "a deal name"; shown in messages

    def names(self) -> tuple[str, ...]:
        got = self.allowed() if callable(self.allowed) else self.allowed
        return tuple(str(x) for x in got)

    def coerce(self, value: Any) -> str:
        if not isinstance(value, str):
            if isinstance(value, (bool, list, tuple, dict, set)) or value is None:
                raise _Refused()
            value = str(value)
        value = value.strip()
        names = self.names()
        if (names and value not in names) or not value:
            raise _Refused()
        return value

    def listed(self) -> str:
        names = self.names()
        what = f" ({self.what})" if self.what else ""
        if not names:
            return f"any name{what}; the list of names is not available yet"
        return ", ".join(repr(n) for n in names) + what

    def describe(self) -> str:
        return f"one of {self.listed()}" if self.names() else self.listed()


def _split_list(text: str) -> list[Any]:
    text = text.strip()
    if text.startswith("["):
        import yaml

        try:
            got = yaml.safe_load(text)
        except yaml.YAMLError:
            raise _Refused() from None
        if not isinstance(got, list):
            raise _Refused()
        return got
    if not text:
        return []
    return [part.strip() for part in text.split(",")]


@dataclass(frozen=True, repr=False)
class ListOf(Spec):
    """A list of items of one spec. A single value becomes a one-item list (`-p deals toll_japan`);
    on the command line items may also be comma-separated (`-p deals a,b`) or a YAML list (`'[a, b]'`)."""

    item: Spec
    min_len: int = 1
    unique: bool = True

    def coerce(self, value: Any) -> list[Any]:
        if isinstance(value, str):
            items = _split_list(value)
        elif isinstance(value, (list, tuple)):
            items = list(value)
        elif isinstance(value, (set, frozenset, dict)) or value is None:
            raise _Refused()
        else:
            items = [value]
        out = []
        for x in items:
            try:
                out.append(self.item.coerce(x))
            except _Refused:
                raise _Refused(_show(x)) from None
        if len(out) < self.min_len:
            raise _Refused()
        if self.unique and len(set(map(repr, out))) != len(out):
            raise _Refused()
        return out

    def describe(self) -> str:
        n = "" if self.min_len <= 0 else " one or more" if self.min_len == 1 else f" {self.min_len} or more"
        u = ", without repeats" if self.unique else ""
        if isinstance(self.item, Choice) and self.item.names():
            return f"a list of{n} of {self.item.listed()}{u}"
        return f"a list of{n} values, each {self.item.describe()}{u}"


@dataclass(frozen=True, repr=False)
class Any_(Spec):
    """Anything that is a Python literal (used for declared parameters whose type cannot be inferred)."""

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str):
            import yaml

            try:
                return yaml.safe_load(value)
            except yaml.YAMLError:
                return value
        return value

    def describe(self) -> str:
        return "any value"


# ---------------------------------------------------------------------------------------------
# Where allowed names come from: the deal book and the data in use.
# ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _book(data_dir: str, stamp: tuple[float, ...]):
    """The deal book of a data folder (cached while its files are unchanged)."""
    from rekit.data.dataset import load
    from rekit.model.deals import load_deals

    return load_deals(ds=load(data_dir))


def _current_book():
    from rekit.paths import data_dir

    folder = data_dir()
    stamp = tuple(p.stat().st_mtime for p in sorted(folder.glob("*")) if p.is_file())
    deals_file = _DEALS_FILE.get()
    if deals_file:
        return _user_book(str(folder), stamp, deals_file, Path(deals_file).stat().st_mtime)
    return _book(str(folder), stamp)


# the deals file being checked with the other parameters: deal names may come from it
_DEALS_FILE: contextvars.ContextVar[str] = contextvars.ContextVar("rekit_deals_file", default="")


@functools.lru_cache(maxsize=4)
def _user_book(data_dir: str, stamp: tuple[float, ...], deals_file: str, file_stamp: float):
    from rekit.data.dataset import load
    from rekit.model.deals import load_deals

    return load_deals(deals_file, ds=load(data_dir))


def deals_file_problem(value: Any) -> tuple[str, str | None]:
    """(absolute path, None) for a deals file that exists and reads as a deal book with the data in
    use; else (the path as given, what is wrong with it)."""
    from rekit.data.dataset import load
    from rekit.paths import data_dir

    path = Path(str(value)).expanduser()
    if not path.exists():
        return str(value), "no such file"
    if not path.is_file():
        return str(value), "not a file"
    try:
        from rekit.model.deals import load_deals

        load_deals(path, ds=load(data_dir()))
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
            raise _Refused()
        path, problem = deals_file_problem(value)
        if problem:
            raise ParameterError(f"parameter 'deals_file': {path}: {problem}")
        return path

    def describe(self) -> str:
        return "a deals file (YAML, as data/deals.yml), or an empty string for the bundled deals"


def _basis_names() -> tuple[str, ...]:
    """The production bases of the model (data/deals.yml, `production_bases`)."""
    return tuple(_current_book().bases)


def _deal_names() -> tuple[str, ...]:
    """The deal presets of the model (data/deals.yml, `deals`)."""
    return tuple(_current_book().deals)


def _editions() -> tuple[str, ...]:
    """'all', or a USGS edition that reports mine production (its source_id)."""
    from rekit.data.dataset import load
    from rekit.paths import data_dir

    obs = load(data_dir()).observations
    return ("all", *sorted(obs.loc[obs["indicator"] == "mine_production", "source_id"].unique()))


class PeriodText(Spec):
    """A period as the data writes them (2024, FY2024-25, 2025-06, 2025-04-04)."""

    def coerce(self, value: Any) -> str:
        from rekit.data.periods import PeriodError, parse_period

        if isinstance(value, bool) or value is None or isinstance(value, (list, tuple, dict, set)):
            raise _Refused()
        try:
            return parse_period(str(value)).text
        except PeriodError:
            raise _Refused() from None

    def describe(self) -> str:
        from rekit.data.periods import FORMS

        return FORMS


_DEAL = Choice(_deal_names, what="deals in data/deals.yml")

SPECS: dict[str, Spec] = {
    "start_year": Int(2024, 2050),
    "end_year": Int(2024, 2050),
    "draws": Int(1, 100_000),
    "seed": Int(0, None),
    "basis": Choice(_basis_names),
    "deals": ListOf(_DEAL),
    "deal": _DEAL,
    "year": Int(2024, 2050),  # the model's reach (rekit.deals.YEARS)
    "edition": Choice(_editions, what="'all' or a USGS edition"),
    "since": PeriodText(),
    "level": Float(0, 2),  # a self-sufficiency level (a ratio; 1 = demand met)
    "hide_input": Bool(),
    "deals_file": DealsFile(),
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
    lo = hi = None
    if m:
        lo, hi = m.group(1), m.group(2)
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
        return ListOf(Any_(), min_len=0, unique=False)
    return Any_()


_declared_cache: dict[tuple[str, float, int], dict[str, Declared]] = {}


def _literal(source: str) -> Any:
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _MISSING


def declared(notebook: str | Path) -> dict[str, Declared]:
    """The parameters a notebook declares in its `parameters` cell, in order (cached per file version)."""
    path = Path(notebook)
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime, st.st_size)
    if key not in _declared_cache:
        from papermill.inspection import inspect_notebook

        found = inspect_notebook(str(path))
        out = {}
        for name, p in found.items():
            source = str(p.get("default", "")).strip()
            value = _literal(source)
            help_ = str(p.get("help", "") or "")
            out[name] = Declared(name, None if value is _MISSING else value, source, help_,
                                 spec_for(name, value, help_))
        if len(_declared_cache) > 256:
            _declared_cache.clear()
        _declared_cache[key] = out
    return _declared_cache[key]


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


def _show_given(value: Any) -> str:
    """A value as given; a number typed on the command line ("-5") is shown as the number."""
    if isinstance(value, str):
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


def _refuse(name: str, value: Any, spec: Spec, part: str | None = None) -> ParameterError:
    shown = _show_given(value)
    got = shown if part is None or part in (shown, _show(value)) else f"{part} in {shown}"
    return ParameterError(f"parameter {name!r}: got {got}; allowed: {spec.describe()}")


def check(params: Mapping[str, Any], notebook: str | Path | None = None) -> dict[str, Any]:
    """Validate and normalise parameter values; return a new dict (same keys, normalised values).

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
        except _Refused as exc:
            raise _refuse("deals_file", params["deals_file"], spec, exc.shown) from None
        if out["deals_file"]:
            token = _DEALS_FILE.set(out["deals_file"])
    try:
        _check_each(params, decl, out)
    finally:
        if token is not None:
            _DEALS_FILE.reset(token)
    return _cross_check(out, decl)


def _check_each(params: Mapping[str, Any], decl, out: dict[str, Any]) -> None:
    for name, value in params.items():
        if name in out:
            continue
        # with the notebook: its declared spec; without (a notebook checking its own values): the
        # registry, else the value's own type (a string stays a string)
        spec = decl[name].spec if decl is not None else spec_for(name, value)
        try:
            out[name] = spec.coerce(value)
        except _Refused as exc:
            raise _refuse(name, value, spec, exc.shown) from None


def _cross_check(out: dict[str, Any], decl) -> dict[str, Any]:
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
    return out
