"""Rows added, removed and changed between two versions of the data package.

`diff_packages(old, new)` takes two data folders, or two git revisions of this repository
(`HEAD~3`, a tag, a commit), and compares every table of the package by its primary key
(`id`, `source_id`, `indicator`, `resolution_id`). A changed row lists the columns whose text
differs. Cells are compared as the CSV writes them, so "2900" and "2900.0" differ: a diff
shows edits, it does not interpret numbers.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rekit.data.files import UnsafeFileError, read_capped, resource_path
from rekit.data.jsonfile import JsonFileError, read_json
from rekit.data.schema import DESCRIPTOR, MAX_DESCRIPTOR_BYTES
from rekit.data.tables import MAX_TABLE_BYTES
from rekit.errors import UsageError


class DiffError(UsageError, ValueError):
    """A side of the diff that is neither a data package folder nor a git revision holding one."""


@dataclass
class TableDiff:
    """The rows of one table that were added, removed or changed (key -> changed columns with old and new text)."""

    table: str
    key: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class DataDiff:
    """Differences between two versions of the package, table by table, with both versions' numbers."""

    old_version: str
    new_version: str
    tables: dict[str, TableDiff]

    @property
    def empty(self) -> bool:
        return all(t.empty for t in self.tables.values())

    def text(self) -> str:
        """Plain text for a terminal: one line per added, removed or changed row."""
        lines = [f"data {self.old_version} -> {self.new_version}"]
        for t in self.tables.values():
            if t.empty:
                continue
            lines.append(f"\n{t.table}: {len(t.added)} added, {len(t.removed)} removed, {len(t.changed)} changed")
            lines += [f"  + {k}" for k in t.added]
            lines += [f"  - {k}" for k in t.removed]
            for k, cols in t.changed.items():
                lines.append(f"  ~ {k}: {', '.join(cols)}")
        if self.empty:
            lines.append("no rows added, removed or changed")
        return "\n".join(lines)


def _read_descriptor(folder: Path, label: str) -> dict:
    path = folder / DESCRIPTOR
    if not folder.is_dir():
        raise DiffError(f"{label}: {folder} is not a folder")
    if not path.is_file():
        raise DiffError(f"{label}: {folder} is not a data package (no {DESCRIPTOR})")
    try:
        desc = read_json(path, "data package descriptor", cap=MAX_DESCRIPTOR_BYTES)
    except JsonFileError as exc:
        raise DiffError(f"{label}: {exc}") from None
    resources = desc.get("resources") if isinstance(desc, dict) else None
    if not isinstance(resources, list) or not all(
            isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("path"), str)
            and isinstance(r.get("schema"), dict) and isinstance(r["schema"].get("fields"), list)
            and all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in r["schema"]["fields"])
            for r in resources):
        raise DiffError(f"{label}: {path} is not a readable data package descriptor "
                        "(expected resources, each with a name, a path and a schema of named fields)")
    return desc


def _key_of(resource: dict) -> str:
    pk = resource.get("schema", {}).get("primaryKey")
    if isinstance(pk, list) and pk and isinstance(pk[0], str):
        return pk[0]
    if isinstance(pk, str):
        return pk
    fields = resource["schema"]["fields"]
    return fields[0]["name"] if fields else ""


def _rows(folder: Path, resource: dict, label: str) -> tuple[str, dict[str, dict[str, str]]]:
    key = _key_of(resource)
    if not (Path(folder) / resource["path"]).exists() and not (Path(folder) / resource["path"]).is_symlink():
        return key, {}
    try:  # inside the package and a regular file, or refused (rekit.data.files)
        raw = read_capped(resource_path(folder, resource["path"]), MAX_TABLE_BYTES, "table")
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    except UnsafeFileError as exc:
        raise DiffError(f"{label}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise DiffError(f"{label}: {resource['path']} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise DiffError(f"{label}: {resource['path']} cannot be read as CSV ({exc})") from None
    return key, {r.get(key, ""): {k: (v or "") for k, v in r.items() if k is not None} for r in rows}


def _from_git(rev: str, workdir: Path, repo: Path, sub: str = "data") -> Path:
    """Write `rev:sub` of the git repository `repo` into `workdir` and return that folder."""
    try:
        listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", f"{rev}:{sub}"],
                                 capture_output=True, text=True, check=True).stdout.split()
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise DiffError(f"{rev!r} is neither a folder nor a git revision with a {sub}/ folder") from None
    out = workdir / rev.replace("/", "_").replace("~", "_").replace("^", "_")
    out.mkdir(parents=True, exist_ok=True)
    for name in listing:
        blob = subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{sub}/{name}"], capture_output=True, check=False)
        if blob.returncode == 0:
            (out / name).write_bytes(blob.stdout)
    return out


def resolve(side: str | os.PathLike, workdir: Path, repo: Path | None = None) -> Path:
    """A folder for one side of the diff: the folder itself, or `data/` of a git revision written under `workdir`."""
    p = Path(side)
    if p.exists():
        return p
    from rekit.paths import BUNDLED_DATA

    return _from_git(str(side), workdir, repo or BUNDLED_DATA.parent)


def diff_folders(old: Path, new: Path) -> DataDiff:
    """Compare two data package folders table by table (tables matched by resource name)."""
    d_old, d_new = _read_descriptor(old, "OLD"), _read_descriptor(new, "NEW")
    res_old = {r["name"]: r for r in d_old["resources"]}
    res_new = {r["name"]: r for r in d_new["resources"]}
    tables: dict[str, TableDiff] = {}
    for name in list(res_new) + [n for n in res_old if n not in res_new]:
        r_new, r_old = res_new.get(name), res_old.get(name)
        either = r_new if r_new is not None else res_old[name]  # the name is in one descriptor at least
        key, new_rows = _rows(new, r_new, "NEW") if r_new else (_key_of(either), {})
        _, old_rows = _rows(old, r_old, "OLD") if r_old else (key, {})
        td = TableDiff(either["path"], key)
        td.added = [k for k in new_rows if k not in old_rows]
        td.removed = [k for k in old_rows if k not in new_rows]
        for k in new_rows.keys() & old_rows.keys():
            a, b = old_rows[k], new_rows[k]
            cols = {c: (a.get(c, ""), b.get(c, "")) for c in sorted(a.keys() | b.keys()) if a.get(c, "") != b.get(c, "")}
            # a column added to the table with an empty cell is not a change of the row
            cols = {c: v for c, v in cols.items() if not (c not in a and v[1] == "")}
            if cols:
                td.changed[k] = cols
        td.changed = dict(sorted(td.changed.items()))
        tables[name] = td
    return DataDiff(str(d_old.get("version", "?")), str(d_new.get("version", "?")), tables)


def diff_packages(old: str | os.PathLike, new: str | os.PathLike, repo: Path | None = None) -> DataDiff:
    """Rows added, removed and changed from `old` to `new` (each a data folder or a git revision)."""
    with tempfile.TemporaryDirectory(prefix="rekit-diff-") as tmp:
        return diff_folders(resolve(old, Path(tmp), repo), resolve(new, Path(tmp), repo))
