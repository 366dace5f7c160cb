"""Incremental builds: a report is not rebuilt when nothing it depends on has changed since its last
good build (as Quarto's ``freeze`` does).

A report's fingerprint is a SHA-256 over what can change its page: the notebook file, its title and
parameters (every effective value), whether inputs are shown, the data (every file of the data
folder, which includes data/datapackage.json and its ``version``), a deals file the parameters name
(``deals_file``), and the kit's code and templates (every .py and .j2 file under rekit/). The
fingerprints of the last good builds are kept in ``.rekit-freeze.json`` in the report folder; a
report is fresh when its fingerprint matches and its page is there. ``force`` rebuilds regardless.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from rekit.paths import PACKAGE, data_dir
from rekit.atomic import write_atomic
from rekit.reports.jobs import Job, ReportResult

FREEZE = ".rekit-freeze.json"


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


def load(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / FREEZE).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def split(jobs: Sequence[Job], out_dir: Path, force: bool = False) -> tuple[list[Job], list[Job]]:
    """(jobs to build, jobs unchanged since their last good build)."""
    if force:
        return list(jobs), []
    stored = load(out_dir)
    build, fresh = [], []
    for job in jobs:
        ok = stored.get(job.stem) == fingerprint(job) and (out_dir / job.file).exists()
        (fresh if ok else build).append(job)
    return build, fresh


def record(out_dir: Path, results: Iterable[ReportResult]) -> None:
    """Keep the fingerprint of every report built well; forget those that failed."""
    stored = load(out_dir)
    for r in results:
        if r.ok:
            stored[r.job.stem] = fingerprint(r.job)
        else:
            stored.pop(r.job.stem, None)
    write_atomic(out_dir / FREEZE, json.dumps(stored, indent=1, sort_keys=True))
