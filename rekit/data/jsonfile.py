"""Read a JSON file a user gives the kit (a data package's datapackage.json, a notebook), bounded.

JSON has the same limits as the kit's YAML (rekit.data.yamlfile) and its numbers the same bounds
as the CSV tables' (rekit.data.tables, rekit.data.units):

- only a regular file is read, and at most a cap of bytes, counted by reading
  (rekit.data.files.read_capped: a FIFO, a device or a folder is refused before it is read);
- nesting deeper than yamlfile.MAX_DEPTH is refused by a scan of the text *before* the parser
  runs, so Python's recursion limit is never reached (``[[[[…]]]]`` 100,000 deep);
- a key that appears twice in one object is refused, naming the key and both lines (Python's
  json module keeps the last silently; RFC 8259, section 4: names "SHOULD be unique");
- NaN, Infinity and -Infinity (which Python's json module accepts, though RFC 8259 has no such
  values) and numbers larger in size than units.LARGEST (1e12, the largest bound of any unit:
  1e308 is a typing error or an attack) are refused.

Messages name the file, the line and what is allowed; they quote at most a key, cut short.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from rekit.data.files import UnsafeFileError, clip, read_capped
from rekit.data.units import LARGEST
from rekit.data.yamlfile import MAX_BYTES, MAX_DEPTH
from rekit.errors import RekitError

__all__ = ["JsonFileError", "read_json", "parse_json", "MAX_BYTES", "MAX_DEPTH", "LARGEST"]


class JsonFileError(RekitError, ValueError):
    """A JSON file that cannot be read, or breaks a limit; the message names the file and line (exit 2)."""


# One pass over the text finds every token that matters: a string (a key when a colon follows),
# an opening or closing bracket, a number, or one of the non-standard constants. Strings are
# matched whole (the unrolled form: no backtracking), so brackets inside strings do not count.
_TOKEN = re.compile(r"""
    (?P<str>"[^"\\]*(?:\\.[^"\\]*)*")(?P<colon>\s*:)?
  | (?P<open>[\[{])
  | (?P<close>[\]}])
  | (?P<num>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<const>-?Infinity|NaN)
  | (?P<stray>")
""", re.VERBOSE)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _scan(text: str, name: str, largest: float) -> None:
    """Refuse deep nesting, duplicate keys and non-finite or absurd numbers, before json parses the text."""
    stack: list[dict[str, int] | None] = []  # per open bracket: an object's keys (-> position) or None for an array
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup if m.lastgroup != "colon" else "str"
        if kind == "str":
            if m.group("colon") and stack and stack[-1] is not None:
                try:
                    key = json.loads(m.group("str"))
                except ValueError:
                    continue  # a bad escape: the parser names it
                keys = stack[-1]
                if key in keys:
                    raise JsonFileError(f"{name}: the key {clip(key)} appears twice in one object, on line "
                                        f"{_line(text, keys[key])} and line {_line(text, m.start())}: keep one")
                keys[key] = m.start()
        elif kind == "open":
            if len(stack) >= MAX_DEPTH:
                raise JsonFileError(f"{name}: line {_line(text, m.start())}: refused: nested deeper than {MAX_DEPTH} levels")
            stack.append({} if m.group() == "{" else None)
        elif kind == "close":
            if stack:
                stack.pop()
        elif kind == "num":
            token = m.group()
            x = float(token)
            if not math.isfinite(x) or abs(x) > largest:
                raise JsonFileError(f"{name}: line {_line(text, m.start())}: the number {clip(token, 30)} is out of bounds: "
                                    f"numbers must be finite and at most {largest:g} in size")
        elif kind == "const":
            raise JsonFileError(f"{name}: line {_line(text, m.start())}: {m.group()} is not a JSON number: "
                                f"numbers must be finite and at most {largest:g} in size")
        else:  # an unterminated string: the parser names it
            return


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def parse_json(text: str, name: str, largest: float = LARGEST) -> Any:
    """The value of the JSON `text`, checked as described in the module docstring; `name` names it in messages."""
    if text.startswith("\ufeff"):
        text = text[1:]
    _scan(text, name, largest)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise JsonFileError(f"{name}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # a constant in a place the scan did not see; int digits limit
        raise JsonFileError(f"{name}: not valid JSON ({clip(exc, 120)})") from None


def read_json(path: str | os.PathLike, what: str, cap: int = MAX_BYTES, largest: float = LARGEST) -> Any:
    """The value of the JSON file `path`, read within `cap` bytes and the limits of the module docstring.

    `what` names the file in messages ("data package descriptor", "notebook"). Raises JsonFileError.
    """
    try:
        raw = read_capped(path, cap, what)
    except UnsafeFileError as exc:
        raise JsonFileError(str(exc)) from None
    name = Path(path).name
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFileError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_json(text, name, largest)
