"""The batch file and the jobs it lists: finding notebooks by name, reading what a report needs from a
notebook (title, imports) and checking every entry's parameters before anything runs."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from rekit.data.jsonfile import read_json
from rekit.paths import notebooks_dir
from rekit.parameters.registry import ParameterError, check, declared
from rekit.errors import RekitError



class ReportError(RekitError):
    """A problem the user can fix (unknown notebook, unwritable folder, bad batch file): no traceback."""


class NotebookUnreadable(ReportError):
    """A notebook file that is not a notebook (truncated, not JSON, not UTF-8): that report fails, not the batch."""


def read_notebook_json(path: Path) -> dict:
    """A notebook's JSON, or NotebookUnreadable naming the file and what is wrong with it."""
    try:
        data = read_json(path, "notebook", cap=100_000_000, largest=1e300)  # a regular file, bounded: rekit.data.jsonfile
    except UnicodeDecodeError as exc:
        raise NotebookUnreadable(f"notebook {path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except ValueError as exc:  # JSONDecodeError
        raise NotebookUnreadable(f"notebook {path.name}: not a readable notebook (invalid JSON: {exc}); "
                                 f"is the file truncated?") from None
    except OSError as exc:
        raise NotebookUnreadable(f"notebook {path.name}: cannot read it: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookUnreadable(f"notebook {path.name}: not a notebook (no list of cells)")
    return data


# ---------------------------------------------------------------------------------------------
# Notebooks and jobs
# ---------------------------------------------------------------------------------------------


def list_notebooks(folder: Path | None = None, recursive: bool = True) -> list[str]:
    """Names of the notebooks in `folder` (relative, without .ipynb; subfolders as teaching/x)."""
    folder = Path(folder or notebooks_dir())
    if not folder.is_dir():
        return []
    pattern = "**/*.ipynb" if recursive else "*.ipynb"
    names = []
    for p in folder.glob(pattern):
        rel = p.relative_to(folder)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue  # .ipynb_checkpoints, drafts
        names.append(rel.with_suffix("").as_posix())
    return sorted(names)


def find_notebook(name: str | os.PathLike, folder: Path | None = None) -> Path:
    """A notebook by name (``sample``, ``teaching/intro``) in `folder`, or by path to an .ipynb file."""
    folder = Path(folder or notebooks_dir())
    text = str(name)
    p = Path(text)
    if p.suffix == ".ipynb" and p.is_file():
        return p.resolve()
    cand = folder / (text if text.endswith(".ipynb") else text + ".ipynb")
    if cand.is_file() and not text.startswith(("/", "..")):
        return cand.resolve()
    known = list_notebooks(folder)
    listed = ", ".join(known) if known else f"(none: no .ipynb files in {folder})"
    raise ReportError(f"unknown notebook {text!r}; the notebooks are: {listed}")


def _display_name(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).with_suffix("").as_posix()
    except ValueError:
        return path.stem


def slug_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "+".join(slug_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def report_stem(name: str, params: Mapping[str, Any]) -> str:
    """``<notebook>`` for the defaults, ``<notebook>--<slug>`` otherwise (slug short and file-safe), from the
    parameters alone: a deals file counts by its file name."""
    base = name.replace("/", ".")
    if not params:
        return base
    if params.get("deals_file"):  # a deals file by its name, not its folder (a temporary path would change the name)
        params = {**params, "deals_file": Path(str(params["deals_file"])).name}
    raw = "_".join(f"{k}-{slug_text(v)}" for k, v in sorted(params.items()))
    slug = re.sub(r"[^A-Za-z0-9_.+=-]+", "-", raw).strip("-")
    if slug != raw or len(slug) > 48:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]
        slug = f"{slug[:40].rstrip('-_.+')}-{digest}"
    return f"{base}--{slug}"


def _first_heading(nb_json: dict) -> str | None:
    for cell in nb_json.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
            for line in src.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or None
            return None
    return None


@dataclass
class Job:
    """One report to build: a notebook and the parameters that differ from its defaults."""

    notebook: Path
    name: str  # notebook name as listed (sample, teaching/intro)
    params: dict[str, Any]  # normalised, only the values that differ from the defaults
    effective: dict[str, Any]  # every declared parameter with the value the report uses
    title: str
    stem: str
    show_input: bool = False
    problem: str | None = None  # why the notebook cannot run at all (unreadable): the report fails, the batch goes on

    @property
    def file(self) -> str:
        return f"{self.stem}.html"


def make_job(notebook: str | os.PathLike, params: Mapping[str, Any] | None = None, *, title: str | None = None,
             folder: Path | None = None, show_input: bool | None = None, where: str = "") -> Job:
    """Resolve a notebook and check its parameters (raises ReportError / ParameterError before anything runs)."""
    folder = Path(folder or notebooks_dir())
    path = find_notebook(notebook, folder)
    nb_json = read_notebook_json(path)  # before the parameters: they are read from the notebook
    try:
        given = check(dict(params or {}), notebook=path)
    except ParameterError as exc:
        raise ParameterError(f"{where}{exc}") from None
    decl = declared(path)
    defaults = {}
    for n, d in decl.items():
        try:
            defaults[n] = d.spec.coerce(d.default) if d.default is not None else None
        except Exception:
            defaults[n] = d.default
    changed = {k: v for k, v in given.items() if k not in defaults or defaults[k] != v}
    effective = {**defaults, **given}
    name = _display_name(path, folder)
    if show_input is None:  # a notebook may declare `hide_input = False` to show its code in reports
        show_input = effective.get("hide_input") is False
    heading = _first_heading(nb_json) or name
    if title is None:
        title = heading if not changed else f"{heading} ({', '.join(f'{k}={slug_text(v)}' for k, v in changed.items())})"
    return Job(notebook=path, name=name, params=changed, effective=effective, title=title,
               stem=report_stem(name, changed), show_input=bool(show_input))


def unreadable_job(path: Path, folder: Path, params: Mapping[str, Any], title: str | None, problem: str) -> Job:
    """A job for a notebook that cannot be read: its parameters are unchecked (they cannot be), it never runs."""
    name = _display_name(path, folder)
    given = {str(k): v for k, v in dict(params or {}).items()}
    return Job(notebook=path, name=name, params=given, effective=dict(given), title=title or name,
               stem=report_stem(name, given), show_input=True, problem=problem)


# ---------------------------------------------------------------------------------------------
# Batch file
# ---------------------------------------------------------------------------------------------


@dataclass
class BatchEntry:
    notebook: str
    parameters: dict[str, Any]
    title: str | None
    where: str
    deals_file: str | None = None  # the batch file's `deals_file`, for notebooks that take one
    folder: Path | None = None  # where the notebook is: the batch file's folder, else the kit's notebooks


def check_deals_file(value: str | os.PathLike, where: str = "--deals") -> str:
    """The absolute path of a deals file that exists and reads; ReportError naming the file and the problem."""
    from rekit.parameters.registry import deals_file_problem

    path, problem = deals_file_problem(value)
    if problem:
        raise ReportError(f"{where}: {path}: {problem}")
    return path


def takes_deals_file(notebook: Path) -> bool:
    """Whether a notebook declares a `deals_file` parameter."""
    return "deals_file" in declared(notebook)


def with_deals_file(params: Mapping[str, Any] | None, notebook: Path, deals_file: str | None) -> dict[str, Any]:
    """The parameters with `deals_file` added when the notebook takes one and they do not set it."""
    out = dict(params or {})
    if deals_file and "deals_file" not in out and takes_deals_file(notebook):
        out["deals_file"] = deals_file
    return out


def batch_notebook(value: Any, folder: Path, where: str) -> str:
    """The name of a notebook a batch file lists, checked to stay in `folder` (the batch file's folder).

    A batch file runs the notebooks of its own folder, or else the kit's (`_notebook_folder`): an
    entry names one as ``NAME`` or ``SUB/NAME`` (``.ipynb`` optional), relative to that folder. An
    absolute path, a ``~``, a ``..`` part, a backslash, or a name that leads out of the folder once
    symbolic links are resolved, is refused (ReportError starting with `where`).
    Returns the name without ``.ipynb``; whether that notebook exists is `make_job`'s to say.
    """
    form = (f"name a notebook of the batch file's folder {folder}, as NAME or SUB/NAME (without .ipynb); "
            f"to run a notebook kept elsewhere, put the batch file beside it")
    if not isinstance(value, str) or not value.strip():
        raise ReportError(f"{where}notebook {value!r} is not a notebook name: {form}")
    text = value.strip()
    parts = text.split("/")
    why = ("it is an absolute path" if text.startswith("/") or re.match(r"^[A-Za-z]:", text)
           else "it starts from a home folder (~)" if text.startswith("~")
           else "it has a backslash" if "\\" in text
           else "it holds a NUL character" if "\x00" in text
           else "it has a '..' part, which leaves the folder" if ".." in parts
           else "it has an empty or '.' part" if any(part in ("", ".") for part in parts)
           else None)
    if why:
        raise ReportError(f"{where}notebook {value!r} refused: {why}; {form}")
    name = text.removesuffix(".ipynb")
    if name.endswith(".ipynb"):
        raise ReportError(f"{where}notebook {value!r} refused: it ends in .ipynb twice; {form}")
    path = folder / f"{name}.ipynb"
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symbolic-link loop
        inside = False
    if not inside:
        raise ReportError(f"{where}notebook {value!r} refused: it is a symbolic link that leads out of the folder; {form}")
    return name  # whether it exists is checked with its parameters (make_job), every entry at once


def load_batch(path: str | os.PathLike) -> tuple[list[BatchEntry], Path]:
    """The entries of a batch file and the folder notebook names are relative to (the file's folder).
    Every notebook is checked to be one of that folder's (`batch_notebook`); a title must be text."""
    from rekit.data.yamlfile import YamlFileError, read_yaml

    path = Path(path)
    try:
        doc = read_yaml(path, "batch file")
    except YamlFileError as exc:
        raise ReportError(str(exc)) from None
    doc = doc or {}
    if not isinstance(doc, dict):
        raise ReportError(f"{path}: expected a mapping with 'reports' (a list) and 'all_notebooks' (true/false)")
    unknown = set(doc) - {"reports", "all_notebooks", "exclude", "deals_file"}
    if unknown:
        raise ReportError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"allowed: all_notebooks, deals_file, exclude, reports")
    folder = path.parent
    batch_deals = None
    if doc.get("deals_file"):
        if not isinstance(doc["deals_file"], str):
            raise ReportError(f"{path}: 'deals_file' must be a file name (text), got {doc['deals_file']!r}")
        raw = Path(doc["deals_file"]).expanduser()
        batch_deals = check_deals_file(raw if raw.is_absolute() else folder / raw, where=f"{path}: deals_file")
    entries: list[BatchEntry] = []
    reports = doc.get("reports") or []
    if not isinstance(reports, list):
        raise ReportError(f"{path}: 'reports' must be a list of {{notebook, parameters, title}}")
    for i, item in enumerate(reports, 1):
        where = f"{path.name}, report {i}: "
        if isinstance(item, str):
            item = {"notebook": item}
        if not isinstance(item, dict) or "notebook" not in item:
            raise ReportError(f"{where}expected a mapping with a 'notebook' key, got {item!r}")
        bad = set(item) - {"notebook", "parameters", "title"}
        if bad:
            raise ReportError(f"{where}unknown key(s) {', '.join(sorted(map(str, bad)))}; allowed: notebook, parameters, title")
        params = item.get("parameters") or {}
        if not isinstance(params, dict):
            raise ReportError(f"{where}'parameters' must be a mapping of names to values")
        title = item.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise ReportError(f"{where}'title' must be text (quote it in the batch file), got {title!r}")
        name = batch_notebook(item["notebook"], folder, where)
        entries.append(BatchEntry(name, params, title.strip() if title else None, where, batch_deals,
                                  _notebook_folder(name, folder, where)))
    all_nb = doc.get("all_notebooks", False)
    if not isinstance(all_nb, bool):
        raise ReportError(f"{path}: 'all_notebooks' must be true or false")
    exclude = doc.get("exclude") or []
    if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
        raise ReportError(f"{path}: 'exclude' must be a list of notebook names")
    known = set(list_notebooks(folder))
    for name in exclude:
        if name not in known:
            raise ReportError(f"{path}: exclude: unknown notebook {name!r}; the notebooks are: {', '.join(sorted(known))}")
    if all_nb:
        for name in list_notebooks(folder, recursive=False):
            if name not in exclude:
                where = f"{path.name}, all_notebooks ({name}): "
                entries.append(BatchEntry(batch_notebook(name, folder, where), {}, None, where, batch_deals, folder))
    return entries, folder


def _notebook_folder(name: str, folder: Path, where: str) -> Path | None:
    """The folder a batch file's notebook is in: the batch file's own, else the kit's notebooks (a batch
    file anywhere may name those by name); None when it is in neither (`jobs_from_batch` says so)."""
    for place in (folder, notebooks_dir()):
        if (place / f"{name}.ipynb").is_file():
            batch_notebook(name, place, where)  # checked to stay inside that folder too
            return place
    return None


def _in_neither(e: BatchEntry, folder: Path) -> str:
    mine, theirs = list_notebooks(folder), list_notebooks(notebooks_dir())
    return (f"{e.where}unknown notebook {e.notebook!r}: it is neither beside the batch file ({folder}: "
            f"{', '.join(mine) or 'no notebooks'}) nor one of the kit's ({', '.join(theirs) or 'none'})")


def jobs_from_batch(batch_file: Path, only: Sequence[str] | None, show_input: bool | None,
                    deals_file: str | None = None) -> tuple[list[Job], list[Job]]:
    """(all jobs of the batch, the ones selected by `only`); every entry checked before anything runs.
    `deals_file` (already checked) overrides the batch file's for every notebook that takes one."""
    entries, folder = load_batch(batch_file)
    jobs: list[Job] = []
    problems: list[str] = []
    seen: dict[tuple, Job] = {}
    for e in entries:
        if e.folder is None:
            problems.append(_in_neither(e, folder))
            continue
        try:
            params = e.parameters
            place = e.folder
            if deals_file or e.deals_file:
                params = with_deals_file(params, find_notebook(e.notebook, place), deals_file or e.deals_file)
            job = make_job(e.notebook, params, title=e.title, folder=place, show_input=show_input, where=e.where)
        except NotebookUnreadable as exc:  # that report fails when the batch runs; the others still build
            job = unreadable_job(find_notebook(e.notebook, place), place, e.parameters, e.title, str(exc))
        except (ReportError, ParameterError) as exc:
            msg = str(exc)
            problems.append(msg if msg.startswith(e.where) else f"{e.where}{msg}")
            continue
        key = (str(job.notebook), json.dumps(job.params, sort_keys=True, default=str))
        if key in seen:
            continue  # the same report listed twice (e.g. explicitly and by all_notebooks): build it once
        seen[key] = job
        jobs.append(job)
    if problems:
        raise ReportError("\n".join(problems))
    stems: dict[str, Job] = {}
    for j in jobs:
        if j.stem in stems:
            raise ReportError(f"{batch_file.name}: two reports would both be written to {j.file}")
        stems[j.stem] = j
    selected = jobs
    if only:
        wanted = set(only)
        selected = [j for j in jobs if j.name in wanted or j.stem in wanted or j.notebook.stem in wanted]
        missing = [w for w in only if not any(w in (j.name, j.stem, j.notebook.stem) for j in jobs)]
        if missing:
            names = sorted({j.name for j in jobs})
            raise ReportError(f"--only {', '.join(missing)}: not in {batch_file.name}; its notebooks are: {', '.join(names) or '(none)'}")
    return jobs, selected


def params_suffix(job: Job) -> str:
    return f" ({', '.join(f'{k}={slug_text(v)}' for k, v in job.params.items())})" if job.params else ""


@dataclass
class ReportResult:
    job: Job
    status: str  # "ok" or "failed"
    seconds: float
    built: str
    path: Path | None = None  # the report (ok) or the last good report kept (failed), if any
    error: str | None = None  # "ValueError: supply went negative in 2031"
    where: str | None = None  # "cell In [4]"
    failed_page: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe_failure(self) -> str:
        where = f" in {self.where}" if self.where else ""
        keep = f"; the last good report is kept: {self.path}" if self.path else "; there is no earlier good report"
        return f"notebook {self.job.name!r}{params_suffix(self.job)} failed{where}: {self.error}{keep}"
