"""Read a YAML file of the kit (deals, report batches) safely, with errors that name the file, line and column.

Limits are checked before and while parsing, so a hostile or broken file is refused quickly
with a short message: a file larger than MAX_BYTES is not read at all; the document is composed
(aliases stay references, nothing is expanded) and then walked with a budget: more than
MAX_NODES nodes counting every alias expansion (the "billion laughs" file of a few hundred bytes
expands to 10^9 nodes), or nesting deeper than MAX_DEPTH, is refused before any Python object is
built. Text that is not UTF-8 is refused with its byte offset. The document is parsed once, with
libyaml's safe loader when PyYAML has it, and built from the nodes that were checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rekit.errors import RekitError

MAX_BYTES = 1_000_000  # deals and batch files are a few kilobytes
MAX_DEPTH = 50
MAX_NODES = 100_000  # nodes after alias expansion
#: libyaml's safe loader where PyYAML has it (15x faster here), else PyYAML's own: the same documents.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlFileError(RekitError, ValueError):
    """A YAML file that cannot be read or parsed; the message names the file (and line and column)."""


def _check_node(root: yaml.Node, name: str) -> None:
    """Walk the composed node graph, expanding aliases virtually, within the node and depth budgets."""
    seen = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise YamlFileError(f"{name}: refused: more than {MAX_NODES:,} values once aliases are expanded "
                                "(aliases that multiply, as in a 'billion laughs' file)")
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise YamlFileError(f"{name}: line {mark.line + 1}, column {mark.column + 1}: refused: nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed document of `path`; `what` names the file in messages ("deals file", "batch file")."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise YamlFileError(f"the {what} {path} is {size:,} bytes; the limit is {MAX_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlFileError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()  # composed once: checked, then built from the same nodes
        if node is None:
            return None
        _check_node(node, path.name)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise YamlFileError(f"{path.name}:{at} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:
        raise YamlFileError(f"{path.name}: refused: nested too deeply to parse") from None
    finally:
        loader.dispose()
