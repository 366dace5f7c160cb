"""The data package descriptor (data/datapackage.json) read as plain Python: resources, fields, keys.

The descriptor is the single place where columns, types, enumerations and keys are declared;
the quick loader and the full validator both read them from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rekit.errors import FailedError

DESCRIPTOR = "datapackage.json"


@dataclass(frozen=True)
class Field:
    """One column of a table, with the constraints the loader enforces."""

    name: str
    type: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    """A column whose values must appear in a column of another resource."""

    field: str
    resource: str
    reference: str


@dataclass(frozen=True)
class Resource:
    """A table of the package: its file and its schema."""

    name: str
    path: str
    fields: tuple[Field, ...]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


TYPES = ("string", "number", "integer")


class SchemaError(FailedError, ValueError):
    """A descriptor the loader cannot use (it names the resource and field)."""


def _field(d: dict) -> Field:
    c = d.get("constraints", {})
    if d.get("type", "string") not in TYPES:
        raise SchemaError(f"field {d.get('name')!r} has type {d.get('type')!r}; the loader reads {', '.join(TYPES)}")
    enum = c.get("enum")
    return Field(
        name=d["name"],
        type=d.get("type", "string"),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        enum=tuple(enum) if enum else None,
        pattern=c.get("pattern"),
        format=d.get("format"),
    )


def _resource(d: dict) -> Resource:
    schema = d["schema"]
    fks = tuple(
        ForeignKey(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
        for fk in schema.get("foreignKeys", [])
    )
    return Resource(d["name"], d["path"], tuple(_field(f) for f in schema["fields"]), fks)


@lru_cache(maxsize=16)
def _read(path: str, mtime: float) -> dict[str, Resource]:
    try:
        with open(path, encoding="utf-8") as f:
            desc = json.load(f)
        return {r["name"]: _resource(r) for r in desc["resources"]}
    except json.JSONDecodeError as exc:
        raise SchemaError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (KeyError, TypeError, IndexError) as exc:
        raise SchemaError(f"not a Data Package descriptor this loader can read (missing {exc})") from None


def read_schema(folder: Path) -> dict[str, Resource]:
    """Resources of the package in `folder`, by name (cached while the descriptor is unchanged)."""
    path = Path(folder) / DESCRIPTOR
    return _read(str(path), path.stat().st_mtime)
