"""What a parameter may be, checked by pydantic: integers and numbers in a range, true/false, text,
one of a set of names, lists of those, and periods as the data writes them.

Each spec is a small frozen dataclass that builds a pydantic ``TypeAdapter`` over an ``Annotated``
type: pydantic's constraints (``ge``/``le``, ``min_length``, ``Literal`` names, ``allow_inf_nan``)
do the checking, and a ``BeforeValidator`` first reads the forms a value can arrive in. Values
typed on the command line arrive as text (``"1000"``, ``"no"``, ``"a,b"``), values from YAML or a
notebook as Python values; both are accepted.

`coerce(value)` returns the normalised value or raises `Refused`; `describe()` says what is
allowed in words (``an integer from 1 to 100000``). The registry (rekit.parameters.registry) turns a
refusal into a message naming the parameter, the value given and what is allowed; pydantic's own
messages are not shown, because they speak of types, not of what the parameter means.

A bound or a set of names may be a function, called at check time, so that what is allowed can
come from the model or the data (the deal names in data/deals.yml, the last event's date). The
adapters are cached per spec and per resolved bounds.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

# pydantic is imported where a value is checked, not when this module is: the registry of specs is
# built at import, and `rekit --help` (which imports it) must not pay for pydantic (~0.5-2 s here).

__all__ = [
    "Refused", "Spec", "Int", "Float", "Bool", "Str", "Choice", "ListOf", "AnyValue", "PeriodText", "Matching",
    "split_list", "load_text", "MAX_TEXT", "MAX_DEPTH",
]

Number = int | float
Bound = Number | Callable[[], Number] | None


#: The most characters a value given as text may have, and the deepest a YAML or JSON list or
#: mapping typed in it may nest: parameter values are names, numbers, paths and short lists.
MAX_TEXT = 10_000
MAX_DEPTH = 10


class Refused(ValueError):
    """A value a spec does not allow. `shown` is the offending part when it is not the whole value
    (the item of a list), as the user would write it; `reason` says why when the value is too big
    to be read at all (too long, nested too deeply)."""

    def __init__(self, shown: str | None = None, reason: str | None = None):
        super().__init__(shown)
        self.shown = shown
        self.reason = reason


class _TooBig(Exception):
    """Raised inside a validator for a value beyond MAX_TEXT or MAX_DEPTH; not a ValueError, so
    pydantic lets it through and `Spec.coerce` turns it into a `Refused` with its reason."""


def _resolve(x: Any) -> Any:
    return x() if callable(x) else x


def _number_text(x: Number) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_text(kind: str, lo: Number | None, hi: Number | None) -> str:
    if lo is not None and hi is not None:
        return f"{kind} from {_number_text(lo)} to {_number_text(hi)}"
    if lo is not None:
        return f"{kind} >= {_number_text(lo)}"
    if hi is not None:
        return f"{kind} <= {_number_text(hi)}"
    return kind


def _not_a_scalar(value: Any) -> bool:
    return isinstance(value, (bool, list, tuple, dict, set, frozenset)) or value is None


@functools.lru_cache(maxsize=256)
def _adapter(spec: Spec, resolved: Any) -> TypeAdapter:
    from pydantic import TypeAdapter

    return TypeAdapter(spec.annotation(resolved))


class Spec:
    """What one parameter may be. Subclasses give `annotation` (the pydantic type, given the resolved
    bounds) and `describe`; `resolved` turns bounds or names given as functions into values."""

    def resolved(self) -> Any:
        return None

    def annotation(self, resolved: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def coerce(self, value: Any) -> Any:
        """The value, normalised (``"1000"`` -> 1000); `Refused` if it is not allowed."""
        from pydantic import ValidationError

        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise Refused(reason=f"a value is at most {MAX_TEXT:,} characters")
        try:
            return _adapter(self, self.resolved()).validate_python(value)
        except ValidationError as exc:
            raise Refused(self.offending(value, exc)) from None
        except _TooBig as exc:
            raise Refused(reason=str(exc)) from None

    def offending(self, value: Any, exc: ValidationError) -> str | None:
        """The part of `value` to show in a message, when not the whole of it."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.describe()}>"


# --- reading the forms a value arrives in (BeforeValidators) ---------------------------------


def _ascii_number_text(value: str) -> str:
    """`value` stripped, '_' separators dropped; ValueError unless every character is ASCII.

    Python's int() and float() also read full-width and other Unicode digits ('１０００'); the data
    package's CSV rules refuse those (rekit.data.tables), and so does a parameter."""
    if not value.isascii():
        raise ValueError("digits must be 0-9")
    return value.strip().replace("_", "")


def _read_int(value: Any) -> Any:
    """'1000', '1_000', '1e3', 1000.0 and numpy integers -> 1000; True, 2.5 and non-ASCII digits
    ('１０００') are left to be refused."""
    if isinstance(value, bool):
        raise ValueError("a truth value is not an integer")
    if isinstance(value, str):
        text = _ascii_number_text(value)
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise ValueError("not a number") from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return value


def _read_float(value: Any) -> Any:
    """'0.5', '1_000.5' and numpy numbers -> float; True and non-ASCII digits ('０.５') are refused."""
    if isinstance(value, bool):
        raise ValueError("a truth value is not a number")
    if isinstance(value, str):
        try:
            return float(_ascii_number_text(value))
        except ValueError:
            raise ValueError("not a number") from None
    if isinstance(value, numbers.Real) and not isinstance(value, (int, float)):
        return float(value)
    return value


def _read_bool(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _read_text(value: Any) -> str:
    """Any scalar as text (numbers given in YAML become their text); lists, None and truth values are refused."""
    if _not_a_scalar(value):
        raise ValueError("not a text")
    return str(value)


def _read_name(value: Any) -> str:
    return _read_text(value).strip()


def _depth(obj: Any) -> int:
    """How deeply lists and mappings nest in `obj` (a scalar: 0, [1]: 1, [[1]]: 2), walked without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, (list, dict)):
            deepest = max(deepest, d)
            if d <= MAX_DEPTH:  # deeper is refused anyway
                stack.extend((v, d + 1) for v in (x.values() if isinstance(x, dict) else x))
    return deepest


def load_text(text: str) -> Any:
    """A value typed as YAML (or JSON, which YAML reads) on the command line, with PyYAML's safe
    loader; ValueError if it is not YAML, `_TooBig` if it nests deeper than MAX_DEPTH (PyYAML's
    composer recurses: a deep enough list would otherwise end in a RecursionError)."""
    import yaml

    try:
        got = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValueError("not YAML") from None
    except RecursionError:
        raise _TooBig(f"nested deeper than {MAX_DEPTH} levels") from None
    if _depth(got) > MAX_DEPTH:
        raise _TooBig(f"nested deeper than {MAX_DEPTH} levels")
    return got


def split_list(text: str) -> list[Any]:
    """A list typed on the command line: ``a,b`` or a YAML list ``[a, b]``; empty text is an empty list."""
    text = text.strip()
    if text.startswith("["):
        try:
            got = load_text(text)
        except ValueError:
            raise ValueError("not a YAML list") from None
        if not isinstance(got, list):
            raise ValueError("not a YAML list")
        return got
    if not text:
        return []
    return [part.strip() for part in text.split(",")]


def _read_list(value: Any) -> list[Any]:
    """A list, a tuple, text to split, or a single value (a one-item list); sets, mappings and None are refused."""
    if isinstance(value, str):
        return split_list(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (set, frozenset, dict)) or value is None:
        raise ValueError("not a list")
    return [value]


def _no_repeats(items: list[Any]) -> list[Any]:
    if len(set(map(repr, items))) != len(items):
        raise ValueError("repeated items")
    return items


def _read_literal(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return load_text(value)
        except ValueError:
            return value
    return value


NON_EMPTY = r"\S"  # text with at least one character that is not a space


# --- the specs ---------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Int(Spec):
    """An integer, optionally bounded (inclusive; a bound may be a function). Accepts '1000', 1000 and
    1000.0; refuses True and 2.5."""

    min: Bound = None
    max: Bound = None

    def resolved(self) -> tuple[int | None, int | None]:
        return _resolve(self.min), _resolve(self.max)

    def annotation(self, resolved):
        from pydantic import BeforeValidator, Field

        lo, hi = resolved
        return Annotated[int, BeforeValidator(_read_int), Field(strict=True, ge=lo, le=hi)]

    def describe(self) -> str:
        return _range_text("an integer", *self.resolved())


@dataclass(frozen=True, repr=False)
class Float(Spec):
    """A finite real number, optionally bounded (inclusive; a bound may be a function). Accepts '0.5', 1 and 0.5."""

    min: Bound = None
    max: Bound = None

    def resolved(self) -> tuple[Number | None, Number | None]:
        return _resolve(self.min), _resolve(self.max)

    def annotation(self, resolved):
        from pydantic import BeforeValidator, Field

        lo, hi = resolved
        return Annotated[float, BeforeValidator(_read_float), Field(strict=True, ge=lo, le=hi, allow_inf_nan=False)]

    def describe(self) -> str:
        return _range_text("a number", *self.resolved())


@dataclass(frozen=True, repr=False)
class Bool(Spec):
    """True or False; on the command line also true/false, yes/no, on/off, 1/0 (pydantic's forms)."""

    def annotation(self, resolved):
        from pydantic import BeforeValidator

        return Annotated[bool, BeforeValidator(_read_bool)]

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True, repr=False)
class Str(Spec):
    """Any text (optionally non-empty); numbers given in YAML are turned into their text."""

    nonempty: bool = True

    def annotation(self, resolved):
        from pydantic import BeforeValidator, Field

        if self.nonempty:
            return Annotated[str, BeforeValidator(_read_text), Field(pattern=NON_EMPTY)]
        return Annotated[str, BeforeValidator(_read_text)]

    def describe(self) -> str:
        return "a non-empty text" if self.nonempty else "a text"


@dataclass(frozen=True, repr=False)
class Matching(Spec):
    """Text that matches `pattern` as a whole (Python's re.fullmatch: a trailing line break does not
    slip through as it would past ``$``), or "" when `empty` says what "" means; `what` says in
    words what matches (``1 to 64 letters, digits, '-', '_' or '.'``)."""

    pattern: str
    what: str
    empty: str | None = None  # e.g. "the shared values": "" is allowed and means that

    def annotation(self, resolved):
        import re

        from pydantic import AfterValidator, BeforeValidator

        rx = re.compile(self.pattern)

        def matches(text: str) -> str:
            if (text == "" and self.empty is not None) or rx.fullmatch(text):
                return text
            raise ValueError("does not match")

        return Annotated[str, BeforeValidator(_read_text), AfterValidator(matches)]

    def describe(self) -> str:
        return self.what + (f' (or "" for {self.empty})' if self.empty is not None else "")


@dataclass(frozen=True, repr=False)
class Choice(Spec):
    """One of a set of names. `allowed` is a tuple, or a function returning the names (called at check
    time, so they can come from the model or the data). An empty set of names means "not known yet":
    any non-empty name is accepted."""

    allowed: tuple[str, ...] | Callable[[], Iterable[str]]
    what: str = ""  # e.g. "deals in data/deals.yml"; shown in messages

    def names(self) -> tuple[str, ...]:
        return tuple(str(x) for x in _resolve(self.allowed))

    def resolved(self) -> tuple[str, ...]:
        return self.names()

    def annotation(self, names):
        from pydantic import BeforeValidator, Field

        if not names:
            return Annotated[str, BeforeValidator(_read_name), Field(pattern=NON_EMPTY)]
        return Annotated[Literal[names], BeforeValidator(_read_name)]

    def listed(self) -> str:
        names = self.names()
        what = f" ({self.what})" if self.what else ""
        if not names:
            return f"any name{what}; the list of names is not available yet"
        return ", ".join(repr(n) for n in names) + what

    def describe(self) -> str:
        return f"one of {self.listed()}" if self.names() else self.listed()


@dataclass(frozen=True, repr=False)
class ListOf(Spec):
    """A list of items of one spec. A single value becomes a one-item list (`-p deals toll_japan`);
    on the command line items may also be comma-separated (`-p deals a,b`) or a YAML list (`'[a, b]'`)."""

    item: Spec
    min_len: int = 1
    unique: bool = True

    def resolved(self) -> Any:
        return self.item.resolved()

    def annotation(self, resolved):
        from pydantic import AfterValidator, BeforeValidator, Field

        checks = [BeforeValidator(_read_list), Field(min_length=self.min_len)]
        if self.unique:
            checks.append(AfterValidator(_no_repeats))
        # a type built at run time from the spec for pydantic; mypy reads Annotated[...] only as a static annotation
        return Annotated[list[self.item.annotation(resolved)], *checks]  # type: ignore[misc]

    def offending(self, value: Any, exc: ValidationError) -> str | None:
        loc = exc.errors()[0]["loc"]
        if loc and isinstance(loc[0], int):
            try:
                return repr(_read_list(value)[loc[0]])
            except (ValueError, IndexError):
                return None
        return None

    def describe(self) -> str:
        n = "" if self.min_len <= 0 else " one or more" if self.min_len == 1 else f" {self.min_len} or more"
        u = ", without repeats" if self.unique else ""
        if isinstance(self.item, Choice) and self.item.names():
            return f"a list of{n} of {self.item.listed()}{u}"
        return f"a list of{n} values, each {self.item.describe()}{u}"


@dataclass(frozen=True, repr=False)
class AnyValue(Spec):
    """Anything; text is read as a YAML literal (for declared parameters whose type cannot be inferred)."""

    def annotation(self, resolved):
        from pydantic import BeforeValidator

        return Annotated[Any, BeforeValidator(_read_literal)]

    def describe(self) -> str:
        return "any value"


@dataclass(frozen=True, repr=False)
class PeriodText(Spec):
    """A period as the data writes them (2024, FY2024-25, 2025-06, 2025-04-04, START/END), normalised to
    its text. `latest` (a function giving (date, what it is)) bounds where the period may start, so a
    value that would leave nothing to show is refused."""

    latest: Callable[[], tuple[date, str]] | None = None

    def resolved(self) -> tuple[date, str] | None:
        return None if self.latest is None else self.latest()

    def annotation(self, resolved):
        from pydantic import AfterValidator, BeforeValidator

        def period(text: str) -> str:
            from rekit.data.periods import PeriodError, parse_period

            try:
                p = parse_period(text)
            except PeriodError as exc:
                raise ValueError(str(exc)) from None
            if resolved is not None and p.start > resolved[0]:
                raise ValueError(f"starts after {resolved[0]}")
            return p.text

        return Annotated[str, BeforeValidator(_read_text), AfterValidator(period)]

    def describe(self) -> str:
        from rekit.data.periods import FORMS

        bound = self.resolved()
        return FORMS if bound is None else f"{FORMS}, starting on or before {bound[0].isoformat()} ({bound[1]})"
