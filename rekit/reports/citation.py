"""Citations: of the kit itself (version, data version, git commit) and of any source in the data,
as plain text, a short form or BibTeX; and the provenance lines every report and download carries.

`kit_info()` is what a reader needs to reproduce a number: rekit's version (``rekit.__version__``),
the data package's ``version`` (data/datapackage.json), the git commit of the checkout (with
``+dirty`` when files differ from it), the hash of the dependency lock (requirements.lock: the
versions of every package the kit ran with) and a build date. `cite_source` builds on the data layer's
`Dataset.cite` (text and short forms) and adds BibTeX.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import rekit
from rekit.data.jsonfile import read_json
from rekit.errors import RekitError
from rekit.paths import ROOT, data_dir

FORMATS = ("text", "short", "bibtex")
KIT_TITLE = "rekit: a research kit on India's rare-earth supply chain"
KIT_AUTHOR = "The rekit contributors"
KIT_URL = ""  # no public address recorded for the kit; CITATION.cff carries one when it has it


class CitationError(RekitError, ValueError):
    """An unknown citation format or source: the message names the value and what is allowed (exit status 2)."""


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise CitationError(f"unknown citation format {fmt!r}; allowed: {', '.join(FORMATS)}")
    return fmt


def data_version(folder: Path | None = None) -> str:
    """The data package's ``version`` (data/datapackage.json), or 'unknown'."""
    try:
        doc = read_json(Path(folder or data_dir()) / "datapackage.json", "data package descriptor")  # bounded: a FIFO is not waited on
        return str(doc.get("version") or "unknown")
    except (OSError, ValueError):
        return "unknown"


@lru_cache(maxsize=4)
def git_commit(root: Path = ROOT) -> str:
    """The checkout's commit (40 hex digits, ``+dirty`` when tracked files differ), or 'unknown'
    (an installed package, or no git)."""
    if not (root / ".git").exists():
        return "unknown"
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


@lru_cache(maxsize=4)
def lock_hash(root: Path = ROOT) -> str:
    """``sha256:`` and the first 16 hex digits of requirements.lock's SHA-256 (the pinned versions of
    every dependency, `make lock`), or 'unknown' where there is no lock (an installed package)."""
    import hashlib

    try:
        return "sha256:" + hashlib.sha256((root / "requirements.lock").read_bytes()).hexdigest()[:16]
    except OSError:
        return "unknown"


def kit_info(built: str | None = None) -> dict[str, str]:
    """rekit version, data version, git commit, dependency lock hash and build date (YYYY-MM-DD)."""
    return {"rekit_version": rekit.__version__, "data_version": data_version(), "commit": git_commit(),
            "lock": lock_hash(), "built": built or dt.date.today().isoformat()}


def _short_commit(commit: str) -> str:
    return commit if commit == "unknown" else commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def _bib_escape(text: str) -> str:
    return re.sub(r"([{}&%$#_])", r"\\\1", str(text))


def cite_kit(fmt: str = "text", title: str | None = None, built: str | None = None) -> str:
    """A citation of the kit, or of one report of it when `title` is given."""
    check_format(fmt)
    title = None if title is None else str(title)  # a title from a batch file is shown as its text
    info = kit_info(built)
    year = info["built"][:4]
    what = f"{title}. In: {KIT_TITLE}" if title else KIT_TITLE
    if fmt == "short":
        return f"{title + ', ' if title else ''}rekit {info['rekit_version']} (data {info['data_version']}, {year})"
    if fmt == "text":
        return (f"{KIT_AUTHOR} ({year}). {what}. Version {info['rekit_version']}, data version {info['data_version']}, "
                f"commit {_short_commit(info['commit'])}, dependencies {info['lock']} (requirements.lock), built {info['built']}.")
    key = "rekit" + year + (re.sub(r"[^a-z0-9]+", "", (title or "").lower())[:20])
    fields = {
        "author": "{" + KIT_AUTHOR + "}", "title": "{" + _bib_escape(what) + "}", "year": year,
        "version": _bib_escape(info["rekit_version"]),
        "note": _bib_escape(f"data version {info['data_version']}, commit {_short_commit(info['commit'])}, "
                            f"dependencies {info['lock']} (requirements.lock), built {info['built']}"),
    }
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
    return f"@software{{{key},\n{body}\n}}"


def cite_source(ds: Any, source_id: str, fmt: str = "text") -> str:
    """A citation of one source of the data (`ds` a rekit Dataset): text and short come from
    `Dataset.cite`; bibtex is an @online/@misc entry with the url and access date when recorded."""
    check_format(fmt)
    try:
        s = ds.source(source_id)
    except KeyError as exc:
        raise CitationError(str(exc.args[0]) if exc.args else f"unknown source {source_id!r}") from None
    if fmt in ("text", "short"):
        return ds.cite(source_id, fmt)

    def val(k: str) -> str | None:
        v = s.get(k)
        return None if v is None or (isinstance(v, float) and v != v) or str(v) in ("", "nan", "<NA>") else str(v)

    date = val("date") or ""
    fields: dict[str, str] = {"title": _bib_escape(val("title") or source_id), "author": "{" + _bib_escape(val("publisher") or "") + "}",
                              "year": date[:4]}
    if len(date) >= 7:
        fields["month"] = date[5:7]
    if url := val("url"):
        fields["url"] = url
    if accessed := val("accessed"):
        fields["urldate"] = accessed
    if val("reports_on"):
        fields["note"] = _bib_escape(f"Reporting {val('reports_on')}")
    kind = "online" if val("url") else "misc"
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
    return f"@{kind}{{{re.sub(r'[^A-Za-z0-9_:-]', '_', source_id)},\n{body}\n}}"


def is_web_link(url: Any) -> bool:
    """Only http(s) addresses become links in a page; anything else (javascript:, data:, file:) is text."""
    return isinstance(url, str) and re.match(r"^https?://[^\s<>\"']+$", url.strip(), flags=re.I) is not None


def cite(source: str | None = None, fmt: str = "text", kit: bool = False, ds: Any = None) -> str:
    """What ``rekit cite SOURCE --format F`` and ``rekit cite --kit`` print: a source of the data, or
    the kit itself (CitationError for an unknown format or source, or when neither is asked for)."""
    check_format(fmt)
    if kit:
        return cite_kit(fmt)
    if not source:
        raise CitationError("name a source id to cite (see data/sources.csv), or ask for the kit with --kit")
    if ds is None:
        from rekit.data.dataset import load

        ds = load()
    return cite_source(ds, source, fmt)
