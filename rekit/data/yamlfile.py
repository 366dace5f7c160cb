"""Read a YAML file of the kit (deals, report batches) with errors that name the file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rekit.errors import RekitError


class YamlFileError(RekitError, ValueError):
    """A YAML file that cannot be read or parsed; the message names the file (and line and column)."""


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed document of `path`; `what` names the file in messages ("deals file", "batch file")."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlFileError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise YamlFileError(f"{path.name}:{at} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
