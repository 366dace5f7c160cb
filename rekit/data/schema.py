"""The data package descriptor (data/datapackage.json) read as plain Python: resources, fields, keys.

The descriptor is the single place where columns, types, enumerations and keys are declared;
the quick loader and the full validator both read them from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rekit.data.files import clip
from rekit.data.jsonfile import JsonFileError, read_json
from rekit.errors import FailedError
from rekit.paths import BUNDLED_DATA

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
#: Resources the kit reads; a package may leave out only these optional ones.
OPTIONAL = ("resolutions",)
#: Largest descriptor read, in bytes (the bundled one is about 16 kB).
MAX_DESCRIPTOR_BYTES = 1_000_000


class SchemaError(FailedError, ValueError):
    """A descriptor the loader cannot use (it names the resource and field)."""


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SchemaError(f"{where} is {clip(value)}: expected a non-empty text")
    return value


def _mapping(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise SchemaError(f"{where} is {type(value).__name__}: expected a JSON object")
    return value


def _list(value: object, where: str) -> list:
    if not isinstance(value, list):
        raise SchemaError(f"{where} is {type(value).__name__}: expected a JSON list")
    return value


def _field(d: object, where: str) -> Field:
    d = _mapping(d, where)
    name = _text(d.get("name"), f"{where}, name")
    where = f"{where.rsplit(',', 1)[0]}, field {clip(name)}"
    ftype = d.get("type", "string")
    if ftype not in TYPES:
        raise SchemaError(f"{where} has type {clip(ftype)}; the loader reads {', '.join(TYPES)}")
    c = _mapping(d.get("constraints", {}), f"{where}, constraints")
    enum = c.get("enum")
    if enum is not None and (not isinstance(enum, list) or not all(isinstance(e, str) for e in enum)):
        raise SchemaError(f"{where}, constraints, enum: expected a list of texts")
    pattern = c.get("pattern")
    if pattern is not None:
        try:
            re.compile(_text(pattern, f"{where}, constraints, pattern"))
        except re.error as exc:
            raise SchemaError(f"{where}, constraints, pattern {clip(pattern)} is not a regular expression ({exc})") from None
    for flag in ("required", "unique"):
        if not isinstance(c.get(flag, False), bool):
            raise SchemaError(f"{where}, constraints, {flag} is {clip(c.get(flag))}: expected true or false")
    fmt = d.get("format")
    return Field(name=name, type=ftype, required=c.get("required", False), unique=c.get("unique", False),
                 enum=tuple(enum) if enum else None, pattern=pattern, format=fmt if isinstance(fmt, str) else None)


def _resource(d: object, where: str) -> Resource:
    d = _mapping(d, where)
    name = _text(d.get("name"), f"{where}, name")
    where = f"resource {clip(name)}"
    path = _text(d.get("path"), f"{where}, path")
    schema = _mapping(d.get("schema"), f"{where}, schema")
    fields = tuple(_field(f, f"{where}, field {i + 1}") for i, f in enumerate(_list(schema.get("fields"), f"{where}, schema, fields")))
    names = [f.name for f in fields]
    for n in names:
        if names.count(n) > 1:
            raise SchemaError(f"{where}: the field {clip(n)} is declared twice")
    fks = []
    for i, fk in enumerate(_list(schema.get("foreignKeys", []), f"{where}, schema, foreignKeys")):
        at = f"{where}, foreign key {i + 1}"
        fk = _mapping(fk, at)
        ref = _mapping(fk.get("reference"), f"{at}, reference")
        own, other = _list(fk.get("fields"), f"{at}, fields"), _list(ref.get("fields"), f"{at}, reference, fields")
        if len(own) != 1 or len(other) != 1:
            raise SchemaError(f"{at}: the loader reads foreign keys of one field")
        field = _text(own[0], f"{at}, fields")
        if field not in names:
            raise SchemaError(f"{at}: {clip(field)} is not a field of {clip(name)}")
        fks.append(ForeignKey(field, _text(ref.get("resource"), f"{at}, reference, resource"), _text(other[0], f"{at}, reference, fields")))
    return Resource(name, path, fields, tuple(fks))


def _numeric(t: str) -> bool:
    return t in ("number", "integer")


def _check_resources(found: dict[str, Resource], kit: dict[str, Resource]) -> None:
    """Every resource and field the kit reads is declared, with a type the kit can read; every foreign key resolves."""
    for name, res in kit.items():
        if name not in found:
            if name in OPTIONAL:
                continue
            raise SchemaError(f"there is no resource {name!r}; the kit reads the resources {', '.join(kit)} "
                              f"({', '.join(OPTIONAL)} may be left out)")
        have = {f.name: f for f in found[name].fields}
        for f in res.fields:
            if f.name not in have:
                raise SchemaError(f"resource {name!r} declares no field {f.name!r}; the kit reads {', '.join(res.columns)}")
            if _numeric(f.type) != _numeric(have[f.name].type):
                raise SchemaError(f"resource {name!r}, field {f.name!r} has type {have[f.name].type!r}; "
                                  f"the kit reads it as {f.type!r}")
    for res in found.values():
        for fk in res.foreign_keys:
            target = found.get(fk.resource)
            if target is None or fk.reference not in target.columns:
                raise SchemaError(f"resource {res.name!r}: the foreign key on {fk.field!r} names {clip(fk.resource)}, "
                                  f"field {clip(fk.reference)}, which is not declared")


def _parse(desc: object) -> tuple[str, dict[str, Resource]]:
    """The version and the resources of a descriptor already read as JSON."""
    desc = _mapping(desc, DESCRIPTOR)
    if "version" not in desc:
        raise SchemaError("the package has no version: add \"version\": \"MAJOR.MINOR.PATCH\" (cited with every figure)")
    version = desc["version"]
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z.+-]{1,40}", version):
        raise SchemaError(f"version {clip(version)} is not a version: expected text such as \"0.2.0\"")
    out: dict[str, Resource] = {}
    for i, r in enumerate(_list(desc.get("resources"), "resources")):
        res = _resource(r, f"resource {i + 1}")
        if res.name in out:
            raise SchemaError(f"the resource {clip(res.name)} is declared twice")
        out[res.name] = res
    return version, out


@lru_cache(maxsize=16)
def _read(path: str, mtime: float) -> tuple[str, dict[str, Resource]]:
    try:
        desc = read_json(path, "data package descriptor", cap=MAX_DESCRIPTOR_BYTES)
    except JsonFileError as exc:
        raise SchemaError(str(exc)) from None
    version, found = _parse(desc)
    if Path(path).resolve() != (BUNDLED_DATA / DESCRIPTOR).resolve():
        _check_resources(found, read_schema(BUNDLED_DATA))
    else:
        _check_resources(found, found)
    return version, found


def _path(folder: Path) -> tuple[str, float]:
    path = Path(folder) / DESCRIPTOR
    try:
        return str(path), path.stat().st_mtime
    except OSError as exc:
        raise SchemaError(f"cannot read {clip(str(path))}: {exc.strerror or exc}") from None


def read_schema(folder: Path) -> dict[str, Resource]:
    """Resources of the package in `folder`, by name (cached while the descriptor is unchanged).

    Raises SchemaError when the descriptor is unreadable (rekit.data.jsonfile's limits), has no
    version, or leaves out or retypes a resource or field the kit reads (those of the bundled
    descriptor; OPTIONAL resources may be left out).
    """
    return _read(*_path(folder))[1]


def data_version(folder: Path) -> str:
    """The `version` of the data package in `folder` (or of the bundled one if `folder` has no descriptor); '?' if unreadable."""
    path = Path(folder) / DESCRIPTOR
    if not path.exists():
        path = BUNDLED_DATA / DESCRIPTOR
    try:
        return _read(*_path(path.parent))[0]
    except SchemaError:
        return "?"
