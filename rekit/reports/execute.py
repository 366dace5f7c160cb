"""One report as one job: papermill runs the notebook in a fresh kernel, nbconvert renders the page.

`build(job, options)` is the function the report runner (rekit.reports.runner) gives to
`rekit.run`'s executor, once per report: it runs in a worker - a local process or a Dask worker -
and returns an `Outcome` (the rendered page and the files beside it, or the failure and the page
that shows it) to the parent, which writes it into the output folder. A worker writes nothing
there, so a failed, interrupted or killed job never touches the last good report.

papermill runs with its default engine (nbclient) given the job's own kernel manager: its engine
registry is not needed, as no other engine helps here. The job's kernel is started by
jupyter_client in its own session (it leads its process group,
which holds whatever its notebook starts), talks over IPC sockets in the job's temporary folder
(no TCP port to collide on: papermill issue #511), and is killed with its group when the job
ends, fails or is stopped. In a local worker process (the job runs in the process's main thread):

- SIGINT is ignored (Ctrl-C in a terminal reaches the whole process group; the parent decides);
- SIGTERM (the parent's `Executor.interrupt`) kills the running kernel's group: papermill then
  stops within a second with a dead kernel, and the job returns status "interrupted" naming the
  cell it was in; the next job of that worker returns "interrupted" at once. The handler only
  records and kills; it raises nothing.
- if the parent dies (even by SIGKILL), a thread waiting on the parent's process sentinel
  (``multiprocessing.parent_process()``) kills the kernel's group, removes the job's temporary
  folder and ends the worker: nothing runs on.

On a Dask worker the job runs in a thread: signals are the worker's own. The parent's interrupt sets
a named `distributed.Event` (the executor's `stop_token`) that a thread of the job watches: it kills
the kernel's group and the job returns "interrupted". A killed worker's kernel ends by itself
(ipykernel's parent poller sees its parent gone within a second).

A failure names its cell by position in the notebook file and first line (`cell_label`), also after
a timeout or a dead kernel (papermill saves the run after every cell). The injected-parameters cell
gets an id derived from the parameters (`stable_ids`), so the same inputs give the same page, byte
for byte, apart from the build time.
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from rekit.reports.html import INDEX, Rendered, build_time, render_report, to_html
from rekit.reports.jobs import Job

__all__ = ["KERNEL", "Options", "Outcome", "build", "cell_label", "failed_cell", "stable_ids"]

KERNEL = "rekit"  # the Jupyter kernel the reports run in (`make env` installs it)
START_TIMEOUT = 120  # seconds a kernel may take to start on a busy machine
INJECTED = "injected-parameters"  # papermill's tag for the cell it adds with the parameters given
_ERROR_CELL = "papermill-error-cell-tag"  # papermill's tag for the banner it adds above a failed run
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Options:
    """How the jobs of one run are built (the same for every job)."""

    timeout: float | None = 1800  # seconds a cell may run
    index_link: bool = True  # the page links to index.html
    self_contained: bool = False  # plotly.js and the CSS inlined
    kernel_name: str = KERNEL
    stop_token: str | None = None  # on Dask: the executor's `stop_token` (rekit.run.executor.stop_waiter)


@dataclass
class Outcome:
    """What a job returns to the parent: status "ok" (`rendered` holds the page and its files),
    "failed" (`failed_page` holds ``<stem>.failed.html``, inputs shown) or "interrupted" (nothing to write)."""

    status: str
    seconds: float
    built: str
    rendered: Rendered | None = None
    error: str | None = None
    where: str | None = None
    failed_page: str | None = None
    warnings: list[str] = field(default_factory=list)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _tags(cell) -> list:
    return list((cell.get("metadata") or {}).get("tags") or [])


def cell_label(position: int, cell) -> str:
    """How a failure names its cell: its position among the notebook's cells (all kinds, from 1, as in
    the notebook file - the parameters papermill adds do not count) and its first line of code."""
    first = next((ln.strip() for ln in _source(cell).splitlines() if ln.strip()), "")
    if len(first) > 80:
        first = first[:77] + "..."
    return f"cell {position} (first line: {first})" if first else f"cell {position} (empty)"


def failed_cell(nb) -> str | None:
    """The cell a run stopped in: the one papermill marked failed, else (a timeout, a dead kernel, an
    interrupt) the last cell that started."""
    cells = [c for c in nb.get("cells", []) if INJECTED not in _tags(c) and _ERROR_CELL not in _tags(c)]
    pm = [((c.get("metadata") or {}).get("papermill") or {}) for c in cells]
    for i, meta in enumerate(pm):
        if meta.get("status") == "failed" or meta.get("exception"):
            return cell_label(i + 1, cells[i])
    started = [i for i, meta in enumerate(pm) if meta.get("start_time")]
    return cell_label(started[-1] + 1, cells[started[-1]]) if started else None


def stable_ids(nb, params: Mapping[str, Any]) -> None:
    """Give the injected-parameters cell an id derived from the parameters (papermill gives it a random
    one), so the same inputs make the same report, byte for byte, apart from the build time."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    for cell in nb.get("cells", []):
        if INJECTED in _tags(cell):
            cell["id"] = f"parameters-{digest}"


def _first_line(exc: BaseException) -> str:
    text = _ANSI.sub("", str(exc)).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {line}".rstrip(": ")


# ---------------------------------------------------------------------------------------------
# The worker's state: the running kernel, the job's folder, a stop asked for by SIGTERM
# ---------------------------------------------------------------------------------------------


class _Worker:
    """This process's running job (one at a time in a local worker)."""

    km: Any = None
    folder: str | None = None
    stopped: int | None = None  # the signal that asked this worker to stop
    watching = False


def _kill_kernel(km: Any = None) -> None:
    km = km if km is not None else _Worker.km
    pgid = getattr(getattr(km, "provisioner", None), "pgid", None)
    try:
        if pgid and hasattr(os, "killpg"):
            os.killpg(pgid, signal.SIGKILL)  # the kernel leads its session: what its notebook started goes too
    except OSError:
        pass


def _on_term(signum, frame) -> None:
    _Worker.stopped = signum
    _kill_kernel()


def _watch_parent(parent) -> None:
    parent.join()  # returns when the parent process has ended
    _kill_kernel()
    if _Worker.folder:
        shutil.rmtree(_Worker.folder, ignore_errors=True)
    os._exit(1)


def _watch_token(token: str, km: Any, done: threading.Event, asked: threading.Event) -> None:
    """Kill `km`'s kernel group once the executor that gave `token` is interrupted (a thread, until `done`)."""
    from rekit.run.executor import stop_waiter

    wait = stop_waiter(token)  # in the job's thread: the worker's client

    def watch() -> None:
        while not done.is_set():
            if wait(0.5):
                asked.set()
                _kill_kernel(km)
                return

    threading.Thread(target=watch, name="rekit-stop-watch", daemon=True).start()


def _local_worker_setup() -> None:
    """In a local worker process's main thread, once: the signal handlers and the parent watch."""
    if _Worker.watching or threading.current_thread() is not threading.main_thread():
        return
    _Worker.watching = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent,), name="rekit-parent-watch", daemon=True).start()


# ---------------------------------------------------------------------------------------------
# The job
# ---------------------------------------------------------------------------------------------


def _unreadable(job: Job, built: str, options: Options) -> Outcome:
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(job.title)}</title></head>"
            f"<body><h1>{html.escape(job.title)}</h1><p><strong>FAILED: {html.escape(job.problem or '')}</strong></p>"
            + (f'<p><a href="{INDEX}">All reports</a></p>' if options.index_link else "") + "</body></html>\n")
    return Outcome("failed", 0.0, built, error=job.problem, failed_page=page)


def _failed_page(job: Job, executed: Path, note: str, built: str, options: Options) -> str | None:
    """``<stem>.failed.html``: the run as far as it went (or the notebook as given, if the run left no
    executed copy: it could not start), inputs shown."""
    import nbformat

    try:
        nb = nbformat.read(executed if executed.exists() else job.notebook, as_version=4)
        stable_ids(nb, job.params)
        page, _ = to_html(nb, job, show_input=True, built=built, index_link=options.index_link, note=note)
        return page
    except Exception:  # an unreadable notebook: the index still says what failed
        return None


def build(job: Job, options: Options) -> Outcome:
    """Run one report (see the module docstring); never raises for the notebook's failure."""
    built = build_time()
    if job.problem:  # unreadable: nothing to run
        return _unreadable(job, built, options)
    _local_worker_setup()
    if _Worker.stopped:
        return Outcome("interrupted", 0.0, built, error="interrupted before it started")
    folder = tempfile.mkdtemp(prefix="rekit-job-")
    _Worker.folder = folder
    try:
        return _run(job, options, built, Path(folder))
    finally:
        _Worker.folder = None
        shutil.rmtree(folder, ignore_errors=True)


def _run(job: Job, options: Options, built: str, folder: Path) -> Outcome:
    import nbformat
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from papermill.exceptions import PapermillExecutionError

    executed = folder / f"{job.stem}.ipynb"
    km = AsyncKernelManager(kernel_name=options.kernel_name, transport="ipc", ip=str(folder / "k"),
                            connection_file=str(folder / "kernel.json"))
    ran = False
    t0 = time.perf_counter()
    done, asked = threading.Event(), threading.Event()
    if options.stop_token:  # on Dask: the parent's interrupt reaches the job through a named event
        _watch_token(options.stop_token, km, done, asked)
    try:
        _Worker.km = km
        if _Worker.stopped:
            return Outcome("interrupted", 0.0, built, error="interrupted before it started")
        t0 = time.perf_counter()
        nb = pm.execute_notebook(
            str(job.notebook), str(executed), parameters=dict(job.params), kernel_name=options.kernel_name,
            progress_bar=False, request_save_on_cell_execute=True, execution_timeout=options.timeout,
            start_timeout=START_TIMEOUT, km=km, resources={"metadata": {"path": str(job.notebook.parent)}},
        )
        ran = True
        error = None
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}".rstrip(": ")
    except Exception as exc:  # the kernel died or would not start, a timeout, an unreadable notebook
        error = _first_line(exc)
    finally:
        done.set()
        _Worker.km = None
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)  # killed with its process group
        except Exception:
            pass
    seconds = time.perf_counter() - t0
    where = None
    if not ran and executed.exists():
        try:
            where = failed_cell(nbformat.read(executed, as_version=4))
        except Exception:
            where = None
    if _Worker.stopped or asked.is_set():  # stopped on purpose (the parent's interrupt): not the notebook's failure
        return Outcome("interrupted", seconds, built, where=where, error="interrupted" + (f" in {where}" if where else ""))
    if ran:
        try:
            stable_ids(nb, job.params)
            rendered = render_report(nb, job, show_input=job.show_input, built=built, index_link=options.index_link,
                                     self_contained=options.self_contained)
            return Outcome("ok", seconds, built, rendered=rendered, warnings=rendered.warnings)
        except Exception as exc:  # the export failed: in no cell
            error = _first_line(exc)
    note = f"FAILED: {error}" + (f" (in {where})" if where else "")
    return Outcome("failed", seconds, built, error=error, where=where,
                   failed_page=_failed_page(job, executed, note, built, options))
