"""Read a YAML file of the kit (deals, report batches) safely, with errors that name the file, line and column.

Only a regular file is read, and at most MAX_BYTES of it, counted by reading
(rekit.data.files.read_capped: a FIFO would block, a device such as /dev/zero never ends, a
folder is no document; ``st_size`` is 0 for a device). Text that is not UTF-8 is refused with its
byte offset.

The document is composed (aliases stay references, nothing is expanded) and then walked with a
budget before any Python object is built: more than MAX_NODES nodes counting every alias
expansion (the "billion laughs" file of a few hundred bytes expands to 10^9 nodes), or nesting
deeper than MAX_DEPTH, is refused. The same walk refuses, naming the line and column:

- a key that appears twice in one mapping (YAML would keep the last one silently);
- a key that is not a scalar (a list or mapping as a key);
- any type JSON has no word for: ``!!binary``, ``!!timestamp``, ``!!set``, ``!!omap``,
  ``!!python/...`` and every other explicit tag but the core str, int, float, bool, null, seq
  and map;
- a number that is not finite (``.inf``, ``.nan``) or whose size is beyond MAX_NUMBER, the
  highest ceiling the CSV rules allow any unit (``rekit.data.units.LARGEST``, 1e12 for masses).

Messages quote at most a key, a tag or a number, cut short (``files.clip``).

Plain scalars are read as in YAML 1.2's core schema (and JSON) rather than YAML 1.1: a date such
as ``2025-06-13`` stays text (the reader of the file checks it is a real calendar date, so
``2025-02-30`` gets a message rather than a crash), and numbers are plain decimals (``1_000``,
``1:30``, ``0x1f`` stay text instead of becoming 1000, 90 and 31; ``017`` is 17, not octal 15).
The loader is libyaml's safe loader when PyYAML has it, with these resolvers set through PyYAML's
public ``yaml_implicit_resolvers``, ``add_implicit_resolver`` and ``add_constructor``; the
document is parsed once and built from the nodes that were checked. `read_yaml` reads a file,
`parse_yaml` the same checks on text already in memory.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from rekit.data.files import UnsafeFileError, clip, read_capped
from rekit.data.units import LARGEST
from rekit.errors import RekitError

MAX_BYTES = 1_000_000  # deals and batch files are a few kilobytes
MAX_DEPTH = 50
MAX_NODES = 100_000  # nodes after alias expansion
#: The largest size of a number in a YAML file of the kit: units.LARGEST, the highest ceiling the
#: CSV rules give any unit (1e12, for masses in t), as for JSON (rekit.data.jsonfile).
MAX_NUMBER = LARGEST

_CORE = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_CORE + t for t in ("str", "int", "float", "bool", "null"))
SEQ, MAP, MERGE = _CORE + "seq", _CORE + "map", _CORE + "merge"
#: The tags a document may use: JSON's types (and the `<<` merge key, which only reuses a mapping).
ALLOWED_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL, SEQ, MAP, MERGE})

#: libyaml's safe loader where PyYAML has it (15x faster here), else PyYAML's own: the same documents.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader with YAML 1.2 core-schema numbers and no implicit dates (see the module)."""

    # timestamps, numbers and YAML 1.1's `=` and `!` scalars dropped; numbers added back below
    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers
                if tag not in (INT, FLOAT, _CORE + "timestamp", _CORE + "value", _CORE + "yaml")]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()
    }


SafeLoader.add_implicit_resolver(INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
SafeLoader.add_implicit_resolver(
    FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                      r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))
# decimal, as JSON reads it: YAML 1.1's constructor would take 017 as octal 15
SafeLoader.add_constructor(INT, lambda loader, node: int(loader.construct_scalar(node)))
SAFE_LOADER = SafeLoader


class YamlFileError(RekitError, ValueError):
    """A YAML file that cannot be read or parsed; the message names the file (and line and column)."""


def number_problem(x: float | int) -> str | None:
    """Why a number read from a file of the kit is refused (not finite, or beyond MAX_NUMBER), or None."""
    if isinstance(x, float) and not math.isfinite(x):
        return f"{x} is not a finite number; numbers must lie in [{-MAX_NUMBER:g}, {MAX_NUMBER:g}]"
    if abs(x) > MAX_NUMBER:
        return f"{x:g} is beyond the largest number allowed; numbers must lie in [{-MAX_NUMBER:g}, {MAX_NUMBER:g}]"
    return None


def _at(name: str, node: yaml.Node) -> str:
    mark = node.start_mark
    return f"{name}: line {mark.line + 1}, column {mark.column + 1}"


def _bare(text: str, limit: int = 80) -> str:
    """`text` cut short with its control characters escaped (files.clip), without clip's quotes."""
    shown = clip(text, limit)
    return shown[1:-1] if shown[-1] in "'\"" else shown[1:]


def _tag_text(tag: str) -> str:
    return _bare("!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag)


def _scalar(loader: yaml.BaseLoader, node: yaml.ScalarNode, name: str) -> Any:
    """The value of a scalar node of an allowed tag; numbers checked against number_problem."""
    if node.tag == MERGE:
        return ("<<",)  # the merge key (it has no value of its own), told apart from a text key "<<"
    try:
        value = loader.construct_object(node)
    except ValueError:  # more digits than Python converts (4300), or `!!int 0x1f`: not a plain decimal
        raise YamlFileError(f"{_at(name, node)}: {clip(node.value, 24)} is not a plain decimal number within "
                            f"[{-MAX_NUMBER:g}, {MAX_NUMBER:g}]") from None
    if node.tag in (INT, FLOAT) and not isinstance(value, bool):
        problem = number_problem(value)
        if problem:
            raise YamlFileError(f"{_at(name, node)}: {clip(node.value.strip(), 24)} refused: {problem}")
    return value


def _key_text(key: Any) -> str:
    return clip(key) if isinstance(key, str) else str(key)


def _check_mapping(loader: yaml.BaseLoader, node: yaml.MappingNode, name: str, under: str) -> None:
    """No key twice, no key that is a list or a mapping."""
    first: dict[Any, yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise YamlFileError(f"{_at(name, key)}: a key must be text or a number, not a list or a mapping{under}")
        value = _scalar(loader, key, name)
        if value in first:
            raise YamlFileError(f"{name}: key {_key_text(key.value if key.tag == MERGE else value)} appears twice{under}: "
                                f"line {first[value].start_mark.line + 1} and line {key.start_mark.line + 1}")
        first[value] = key


def _check_node(loader: yaml.BaseLoader, root: yaml.Node, name: str) -> None:
    """Walk the composed node graph, expanding aliases virtually, within the node and depth budgets;
    every node's tag, every number and every mapping's keys are checked once (see the module)."""
    seen = 0
    checked: set[int] = set()
    stack: list[tuple[yaml.Node, int, str]] = [(root, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise YamlFileError(f"{name}: refused: more than {MAX_NODES:,} values once aliases are expanded "
                                "(aliases that multiply, as in a 'billion laughs' file)")
        if depth > MAX_DEPTH:
            raise YamlFileError(f"{_at(name, node)}: refused: nested deeper than {MAX_DEPTH} levels")
        first_visit = id(node) not in checked
        if first_visit:
            checked.add(id(node))
            if node.tag not in ALLOWED_TAGS:
                raise YamlFileError(f"{_at(name, node)}: the type {_tag_text(node.tag)} is not allowed; "
                                    f"only text, numbers, true/false, null, lists and mappings")
        if isinstance(node, yaml.ScalarNode):
            if first_visit:
                _scalar(loader, node, name)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1, path) for child in reversed(node.value))  # popped in file order
        elif isinstance(node, yaml.MappingNode):
            if first_visit:
                _check_mapping(loader, node, name, f" (under {path})" if path else "")
            for k, v in reversed(node.value):
                label = _bare(k.value, 40) if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, depth + 1, f"{path}.{label}" if path else label))
                stack.append((k, depth + 1, path))


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed document of `path`; `what` names the file in messages ("deals file", "batch file")."""
    path = Path(path)
    try:
        raw = read_capped(path, MAX_BYTES, what)  # a regular file, at most MAX_BYTES, counted by reading
    except UnsafeFileError as exc:
        raise YamlFileError(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_yaml(text, path.name)


def parse_yaml(text: str, name: str) -> Any:
    """The parsed document of YAML `text`, with every check of the module (`name` names it in
    messages: a file name, or an option such as "-p deals"); YamlFileError otherwise."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()  # composed once: checked, then built from the same nodes
        if node is None:
            return None
        _check_node(loader, node, name)
        return loader.construct_document(node)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other control characters)
        raise YamlFileError(f"{name}: not valid YAML: {exc.reason} (character {exc.position + 1})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise YamlFileError(f"{name}:{at} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:
        raise YamlFileError(f"{name}: refused: nested too deeply to parse") from None
    finally:
        loader.dispose()
