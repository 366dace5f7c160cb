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
on pydantic, are in rekit.reports.specs). Where a value could leave a report with nothing to show,
the bound comes from the model or the data: years within the model's years
(rekit.model.deals.YEARS), deal and basis names from data/deals.yml, USGS editions that report
mine production, and a `since` no later than the last event in data/events.csv. A parameter a
notebook declares that is not in `SPECS` gets a spec from its default value's type, narrowed by a
range written in its comment (``# count, 1..10`` or ``# 0.5 to 2``).
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rekit.errors import RekitError
from rekit.reports.specs import AnyValue, Bool, Choice, Float, Int, ListOf, PeriodText, Refused, Spec, Str

__all__ = [
    "ParameterError", "SPECS", "check", "check_parameters", "declared", "spec_for", "defaults", "Declared",
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
    """The production bases of the model (data/deals.yml, `production_bases`)."""
    return tuple(_book(*_data_stamp()).bases)


def _deal_names() -> tuple[str, ...]:
    """The deal presets of the model (data/deals.yml, `deals`)."""
    return tuple(_book(*_data_stamp()).deals)


def _editions() -> tuple[str, ...]:
    """'all', or a USGS edition that reports mine production (its source_id)."""
    obs = _dataset(*_data_stamp()).observations
    return ("all", *sorted(obs.loc[obs["indicator"] == "mine_production", "source_id"].unique()))


def _last_event() -> tuple[date, str]:
    """The day the last event in data/events.csv starts: a timeline from later would be empty."""
    return _dataset(*_data_stamp()).events["date_start"].max().date(), "the last event in data/events.csv"


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
    from papermill.inspection import inspect_notebook

    out = []
    for name, p in inspect_notebook(path).items():
        source = str(p.get("default", "")).strip()
        value = _literal(source)
        help_ = str(p.get("help", "") or "")
        out.append((name, Declared(name, None if value is _MISSING else value, source, help_,
                                   spec_for(name, value, help_))))
    return tuple(out)


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
    for name, value in params.items():
        # with the notebook: its declared spec; without (a notebook checking its own values): the
        # registry, else the value's own type (a string stays a string)
        spec = decl[name].spec if decl is not None else spec_for(name, value)
        try:
            out[name] = spec.coerce(value)
        except Refused as exc:
            raise _refuse(name, value, spec, exc.shown) from None
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
    return out


check = check_parameters
