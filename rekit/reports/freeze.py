"""Incremental builds: a report is not rebuilt when nothing it depends on has changed since its last
good build (as Quarto's ``freeze`` does).

A report's fingerprint is a SHA-256 over what can change its page: the notebook file, its title and
parameters (every effective value), whether inputs are shown, the data (every file of the data
folder, which includes data/datapackage.json and its ``version``), a deals file the parameters name
(``deals_file``), and the kit's code and templates (every .py and .j2 file under rekit/). ``force``
rebuilds regardless.

One record per output folder, ``.rekit-reports.json`` (`RECORD`), serves both the incremental build
and the index: one entry per report (its notebook, title, parameters, status, times, error, last
good build) holding, after a good batch build, the report's ``fingerprint``. A report is fresh when
its entry's fingerprint matches and its page is there; a failed build, or a report built alone
(rekit run), leaves no fingerprint, so the next batch builds it.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from collections.abc import Sequence

from rekit.paths import PACKAGE, data_dir
from rekit.atomic import write_atomic
from rekit.reports.jobs import Job

#: The output folder's one record of its reports (read by the index and the incremental build).
RECORD = ".rekit-reports.json"


def _hash_tree(folder: Path, suffixes: tuple[str, ...] | None) -> str:
    h = hashlib.sha256()
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if not p.is_file() or "__pycache__" in p.parts or any(part.startswith(".") for part in p.relative_to(folder).parts):
                continue
            if suffixes and p.suffix not in suffixes:
                continue
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


@lru_cache(maxsize=8)
def _tree(folder: str, suffixes: tuple[str, ...] | None, stamp: tuple) -> str:
    return _hash_tree(Path(folder), suffixes)


def _stamp(folder: Path) -> tuple:
    """A cheap key that changes when any file under `folder` changes (newest mtime and file count)."""
    newest, n = 0.0, 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for f in files:
            try:
                newest = max(newest, os.stat(os.path.join(root, f)).st_mtime_ns)
            except OSError:
                pass
            n += 1
    return newest, n


def code_hash() -> str:
    """Hash of the kit's code and templates (rekit/**/*.py, *.j2)."""
    return _tree(str(PACKAGE), (".py", ".j2"), _stamp(PACKAGE))


def data_hash(folder: Path | None = None) -> str:
    folder = Path(folder or data_dir())
    return _tree(str(folder), None, _stamp(folder))


def fingerprint(job: Job) -> str:
    """The report's fingerprint (see the module docstring)."""
    h = hashlib.sha256()
    h.update(job.notebook.read_bytes())
    h.update(json.dumps({"title": job.title, "effective": job.effective, "params": job.params, "show_input": job.show_input,
                         "stem": job.stem}, sort_keys=True, default=str).encode())
    h.update(data_hash().encode())
    h.update(code_hash().encode())
    deals_file = job.effective.get("deals_file")
    if deals_file:
        try:
            h.update(Path(deals_file).read_bytes())
        except OSError:
            h.update(b"missing deals file")
    return "sha256:" + h.hexdigest()


def load_record(out_dir: Path) -> dict[str, dict]:
    """The folder's record: report stem -> its entry ({} when there is none or it cannot be read)."""
    try:
        data = json.loads((Path(out_dir) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def save_record(out_dir: Path, record: dict[str, dict]) -> None:
    """Write the folder's record whole (rekit.atomic); an OSError (a full disk) leaves the old one."""
    write_atomic(Path(out_dir) / RECORD, json.dumps(record, indent=1, sort_keys=True, default=str))


def load(out_dir: Path) -> dict[str, str]:
    """Report stem -> the fingerprint of its last good batch build, from the folder's record."""
    return {stem: str(e["fingerprint"]) for stem, e in load_record(out_dir).items() if e.get("fingerprint")}


def split(jobs: Sequence[Job], out_dir: Path, force: bool = False) -> tuple[list[Job], list[Job]]:
    """(jobs to build, jobs unchanged since their last good build)."""
    if force:
        return list(jobs), []
    stored = load(out_dir)
    build: list[Job] = []
    fresh: list[Job] = []
    for job in jobs:
        ok = stored.get(job.stem) == fingerprint(job) and (out_dir / job.file).exists()
        (fresh if ok else build).append(job)
    return build, fresh
