"""Build HTML reports from the notebooks: one (`run_one`) or a whole batch in parallel (`run_batch`).

This module is the runner; it uses four others:

- `rekit.reports.jobs`: the batch file, notebooks by name and the jobs (a notebook and its checked parameters);
- `rekit.reports.kernels`: kernels started ahead of need, forked from a pre-imported server (`Kernels`);
- `rekit.reports.html`: the executed notebook as an offline page, the index and the assets;
- `rekit.reports.guard`: signals noted and acted on between steps, the run's one temporary folder
  (cleaned by the next run after a SIGKILL), the output folder's lock.

After a signal the kernels are killed, not shut down politely, reports that finished running are
not rendered any more, and the index is written without new thumbnails (Chromium takes seconds):
SIGTERM ends a batch in a few seconds, and `guard.Stop` exits at once if it is still going after
`guard.STOP_GRACE` s. A full disk fails the run (`FailedError`, exit 1) with a message naming the
file that could not be written; a report's page and chart CSVs are written all or none.

A failure names its cell by position in the notebook file and first line (`cell_label`), also after
a timeout or a dead kernel (papermill saves the run as it goes, into the run folder); an unreadable
notebook fails its own report. The injected-parameters cell gets an id derived from the parameters
(`stable_ids`), so the same inputs give the same page, byte for byte, apart from the build time.

A report is a notebook executed with papermill (kernel ``rekit``) and converted with nbconvert's
``lab`` HTML template, input cells hidden unless asked for. Reports are offline: they reference
only files beside them - ``plotly.min.js`` and ``rekit-lab.css``, written once per folder - and
never a CDN (require.js, MathJax, mermaid and widget scripts are left out of the template; any
external script/stylesheet a notebook output brings is removed, with a warning).

Parameters are checked with `rekit.params.check` against the notebook's declared parameters
before anything runs. A report is written to a temporary file and moved into place, so a failed
run never replaces the last good report; it leaves ``<stem>.failed.html`` (inputs shown) beside
it instead, and the batch index links both.

Speed (see benchmarks/bench_reports.py): one process imports papermill and nbconvert once; N
worker threads (default: one per core) execute notebooks; each job's kernel is started ahead of
time in a background thread and has already imported what that job's notebook imports ("warm"
kernels), so start-up overlaps other reports' execution. On Linux kernels are forked from a
server process that has imported ipykernel, pandas and nbformat once (`rekit.reports.kernels.forkserver`): a
kernel costs ~0.1 s of CPU instead of ~2 s. `--cold` (warm=False) turns both off.

Parallel start-up is safe: kernels talk over IPC (Unix sockets in a private temporary folder),
not TCP, so no ports are picked and none can collide (papermill issue #511); launches are also
serialised by a lock in the one thread that starts kernels.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import html
import json
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

from rekit.errors import FailedError
from rekit.paths import REPORTS
from rekit.paths import batch_file as default_batch
from rekit.reports.guard import FolderLock, Interrupted, RunFolder, Stop, clean_partial_files, disk_full
from rekit.reports.jobs import (Job, ReportResult, params_suffix, ReportError, jobs_from_batch, slug_text, find_notebook,
                    list_notebooks, load_batch, make_job, report_stem, check_deals_file, takes_deals_file)
from rekit.reports import freeze
from rekit.reports.kernels import KERNEL, Kernels, preload_modules, register_engine, warm_code
from rekit.atomic import write_atomic
from rekit.reports.html import (CSS_NAME, INDEX, build_time, mark_interrupted, prepare_out, plotly_js,
                                render_report, to_html, write_assets, write_index, write_report)

__all__ = [
    "ReportError", "Job", "ReportResult", "BatchResult", "run_one", "run_batch", "make_job",
    "find_notebook", "list_notebooks", "load_batch", "write_assets",
    "KERNEL", "CSS_NAME", "report_stem", "write_index", "DEFAULT_TIMEOUT", "Interrupted", "cell_label",
    "failed_cell", "stable_ids",
]

MANIFEST = freeze.RECORD  # the folder's one record (rekit.reports.freeze)
DEFAULT_TIMEOUT = 1800  # seconds a cell may run


_load_manifest = freeze.load_record
_save_manifest = freeze.save_record


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INJECTED = "injected-parameters"  # papermill's tag for the cell it adds with the parameters given
_ERROR_CELL = "papermill-error-cell-tag"  # papermill's tag for the banner it adds above a failed run


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


def _failed_page(job: Job, executed: Path, failed_dest: Path, note: str, built: str, index_link: bool) -> Path | None:
    """``<stem>.failed.html``: the run as far as it went (or the notebook as given, if the run left no
    executed copy: it could not start, or the kernel died before papermill saved), inputs shown."""
    import nbformat

    try:
        source = executed if executed.exists() else job.notebook
        nb = nbformat.read(source, as_version=4)
        stable_ids(nb, job.params)
        page, _ = to_html(nb, job, show_input=True, built=built, index_link=index_link, note=note)
        write_atomic(failed_dest, page)
        return failed_dest
    except Exception:  # an unreadable notebook, a full disk: the index still says what failed
        return None


def _execute_job(job: Job, kernel: concurrent.futures.Future | None, kernels: Kernels | None, out_dir: Path,
                 tmp_dir: Path, *, timeout: float | None, index_link: bool, keep_ipynb: bool, on_start=None,
                 stop: Stop | None = None, self_contained: bool = False) -> ReportResult:
    """Run one job with its (pre-started) kernel; never raises for a notebook's failure.

    Status "ok", "failed" (a ``.failed.html`` names the cell), or "interrupted" (a stop was requested
    while it ran: no failed page, the last good report is kept)."""
    built = build_time()
    dest = out_dir / job.file
    failed_dest = out_dir / f"{job.stem}.failed.html"
    if job.problem:  # unreadable: nothing to run
        failed_page = None
        page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(job.title)}</title></head>"
                f"<body><h1>{html.escape(job.title)}</h1><p><strong>FAILED: {html.escape(job.problem)}</strong></p>"
                + (f'<p><a href="{INDEX}">All reports</a></p>' if index_link else "") + "</body></html>\n")
        try:
            write_atomic(failed_dest, page)
            failed_page = failed_dest
        except OSError:
            pass
        return ReportResult(job, "failed", 0.0, built, path=dest if dest.exists() else None, error=job.problem,
                            failed_page=failed_page)
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    engine = register_engine()
    executed = tmp_dir / f"{job.stem}.ipynb"
    km = None
    where = None
    ran = False  # the notebook ran to its end: a later failure (writing the page) is in no cell
    t0 = time.perf_counter()
    try:
        try:
            km = kernel.result()
        finally:
            if on_start:
                on_start()
        if stop:
            raise Interrupted(stop.signum or signal.SIGINT)
        t0 = time.perf_counter()
        nb = pm.execute_notebook(
            str(job.notebook), str(executed), parameters=dict(job.params), engine_name=engine,
            # saved as it goes (in the run folder): a timeout or a dead kernel still leaves the run so far
            kernel_name=kernels.kernel_name, progress_bar=False, request_save_on_cell_execute=True,
            execution_timeout=timeout, start_timeout=kernels.startup_timeout, km=km,
        )
        ran = True
        kernels.stop(km)
        km = None
        if stop:  # it ran, but a stop was asked for: rendering takes seconds; the last good report is kept
            return ReportResult(job, "interrupted", time.perf_counter() - t0, built, path=dest if dest.exists() else None,
                                error=f"interrupted ({stop.name}) after it ran, before its page was written")
        stable_ids(nb, job.params)
        rendered = render_report(nb, job, show_input=job.show_input, built=built, index_link=index_link,
                                 self_contained=self_contained)
        warns = rendered.warnings
        write_report(out_dir, rendered, job)  # the page, its chart CSVs and executed notebook, its card
        if failed_dest.exists():
            failed_dest.unlink()
        return ReportResult(job, "ok", time.perf_counter() - t0, built, path=dest, warnings=warns)
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}".rstrip(": ")
    except OSError as exc:
        error = (f"the disk is full: cannot write {exc.filename or 'the report'} ({exc.strerror})" if disk_full(exc)
                 else _first_line(exc))
    except BaseException as exc:  # kernel died, could not start, timeout, export failed, disk full, interrupted...
        if not isinstance(exc, Exception) and not (stop and isinstance(exc, (KeyboardInterrupt, concurrent.futures.CancelledError))):
            raise
        error = _first_line(exc)
        if isinstance(exc, (concurrent.futures.CancelledError, Interrupted)):
            error = "interrupted before it started"
    finally:
        if km is not None:
            kernels.stop(km)
    seconds = time.perf_counter() - t0
    if executed.exists() and not ran:
        try:
            where = failed_cell(nbformat.read(executed, as_version=4))
        except Exception:
            where = None
    if stop:  # stopped on purpose: not the notebook's failure
        return ReportResult(job, "interrupted", seconds, built, path=dest if dest.exists() else None,
                            error=f"interrupted ({stop.name})" + (f" in {where}" if where else ""), where=where)
    note = f"FAILED: {error}" + (f" (in {where})" if where else "")
    failed_page = _failed_page(job, executed, failed_dest, note, built, index_link)
    return ReportResult(job, "failed", seconds, built, path=dest if dest.exists() else None,
                        error=error, where=where, failed_page=failed_page)


def _record(manifest: dict, r: ReportResult, fingerprint: str | None = None) -> None:
    """The report's entry in the folder's record; `fingerprint` (a good batch build's) lets the next
    batch skip it while nothing it depends on changes (rekit.reports.freeze)."""
    prev = manifest.get(r.job.stem, {})
    entry = {
        "notebook": r.job.name, "title": r.job.title, "parameters": r.job.params, "effective": r.job.effective,
        "status": r.status, "seconds": round(r.seconds, 2), "built": r.built, "error": r.error, "where": r.where,
        "last_good": r.built if r.ok else prev.get("last_good"), "fingerprint": fingerprint,
    }
    manifest[r.job.stem] = entry


def _write_records(out: Path, all_jobs: Sequence[Job], results: Sequence[ReportResult],
                   interrupted: str = "", items: Sequence[str] = (), skipped: Sequence[str] = ()) -> Path:
    """The manifest, then the index (each written whole or not at all); ReportError if the folder cannot
    take them (a full disk): the earlier index then stays as it was, complete."""
    manifest = _load_manifest(out)
    for r in results:
        _record(manifest, r, freeze.fingerprint(r.job) if r.ok else None)
    try:
        _save_manifest(out, manifest)
        index = write_index(out, all_jobs, {r.job.stem: r for r in results}, manifest, skipped=list(skipped),
                            thumbnails=not interrupted)  # after a signal: no Chromium, stop within seconds
        if interrupted:
            mark_interrupted(index, interrupted, items)
    except OSError as exc:
        failed = [r for r in results if not r.ok]
        listed = "".join(f"\n  {r.job.file}: {r.error}" for r in failed)
        what = f" ({exc.filename})" if exc.filename else ""
        full = "the disk is full: " if disk_full(exc) else ""
        raise FailedError(f"{full}cannot write the index in {out}{what}: {exc.strerror or exc}; the earlier index is "
                          f"kept unchanged. Reports not written:{listed or ' none'}") from None
    return index


def _cannot_write(out: Path, exc: OSError) -> Exception:
    """The error for an output folder that cannot take the run's files: a full disk fails the run (exit 1),
    anything else (no permission) is a bad --out (exit 2)."""
    what = f" ({exc.filename})" if exc.filename else ""
    if disk_full(exc):
        return FailedError(f"the disk is full: cannot write reports to {out}{what}: {exc.strerror}")
    return ReportError(f"cannot write reports to {out}{what}: {exc.strerror or exc}")


def run_one(notebook: str | os.PathLike, params: Mapping[str, Any] | None = None, out_dir: str | os.PathLike | None = None,
            *, show_input: bool | None = None, title: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
            kernel_name: str = KERNEL, keep_ipynb: bool = False, folder: Path | None = None,
            warm: bool = True, self_contained: bool = False, deals: str | os.PathLike | None = None) -> ReportResult:
    """Build one report. Raises ReportError / ParameterError (nothing run, nothing written) for bad input;
    returns a ReportResult whose status says whether the notebook ran (a failed one keeps the last good page).
    `deals` names a deals file for the notebook's `deals_file` parameter; `self_contained` inlines plotly.js
    and the CSS so the page works when copied alone. Signals and the output folder's lock are handled as
    in `run_batch`."""
    stop = Stop()
    with stop.catching(), RunFolder() as run:
        stop.on_give_up(run.remove)  # still stopping after the grace time: kill the kernels' groups, exit
        with run.as_tempdir():
            kernels = Kernels(kernel_name, fork=warm)  # first: the fork server preloads while we check the input
        result = None
        try:
            params = deals_params(notebook, params, folder, deals)
            if self_contained:
                plotly_js()  # ReportError now, before anything runs, if it cannot be inlined
            job = make_job(notebook, params, title=title, folder=folder, show_input=show_input)
            stop.check()
            out = prepare_out(out_dir or REPORTS)
            with FolderLock(out, stop, _say):
                clean_partial_files(out)
                fut = kernels.start(job.notebook.parent, warm_code(job.modules) if warm else "")
                try:
                    preload_modules()
                    write_assets(out)
                except OSError as exc:
                    raise _cannot_write(out, exc) from None
                done = threading.Event()
                watcher = _close_on_stop(stop, kernels, done)
                try:
                    result = _execute_job(job, fut, kernels, out, run.path, timeout=timeout,
                                          index_link=(out / INDEX).exists(), keep_ipynb=keep_ipynb, stop=stop,
                                          self_contained=self_contained)
                finally:
                    done.set()
                    watcher.join()
                kernels.close(timeout=60, now=bool(stop))
                manifest = _load_manifest(out)
                _record(manifest, result)
                try:
                    _save_manifest(out, manifest)
                except OSError:
                    pass  # the report itself is written (or its failure reported); the record is a cache
        finally:
            kernels.close(timeout=5, now=bool(stop))
    if stop:
        stop.raise_for_signal(f"interrupted by {stop.name}; the last good report is kept")
    return result


def _say(message: str) -> None:
    print(f"rekit: {message}", file=sys.stderr, flush=True)


def _close_on_stop(stop: Stop, kernels: Kernels, done: threading.Event) -> threading.Thread:
    """A thread that shuts the kernels down as soon as a stop is requested (the main thread may be
    executing a notebook: a notebook on a dead kernel ends within a second)."""
    def watch() -> None:
        while not done.is_set():
            if stop.wait(0.25):
                kernels.close(timeout=5, now=True)
                return

    t = threading.Thread(target=watch, name="rekit-stop", daemon=True)
    t.start()
    return t


@dataclass
class BatchResult:
    results: list[ReportResult]
    index: Path
    seconds: float
    skipped: list[Job] = field(default_factory=list)  # unchanged since their last good build: not rebuilt

    @property
    def failures(self) -> list[ReportResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


def run_batch(batch_file: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None,
              jobs: int | None = None, only: Sequence[str] | str | None = None, *, show_input: bool | None = None,
              timeout: float | None = DEFAULT_TIMEOUT, kernel_name: str = KERNEL, progress: bool = True,
              keep_ipynb: bool = False, warm: bool = True, ahead: int | None = None, force: bool = False,
              deals: str | os.PathLike | None = None) -> BatchResult:
    """Build every report of a batch file in parallel and write index.html.

    Every entry is checked first (ReportError / ParameterError: nothing runs). `jobs` workers
    (default: the number of cores) each execute one notebook at a time; `ahead` more kernels
    (default: `jobs`) are started and warmed while they do. A report unchanged since its last good
    build (rekit.reports.freeze) is not rebuilt unless `force`; `deals` names a deals file passed to
    every notebook that takes one.

    Safe to interrupt (see `rekit.reports.guard`): SIGINT, SIGTERM or SIGHUP stop the run in order -
    kernels killed with their process groups, no report half-written, the index written and marked
    interrupted, temporary files removed - then raise `Interrupted` (Ctrl-C) or exit 128 + the signal
    number; within `guard.STOP_GRACE` seconds, or at once. Two runs into one folder take turns. A
    notebook that cannot be read fails alone. A full disk raises `FailedError` naming the file."""
    t_start = time.perf_counter()
    stop = Stop()
    with stop.catching(), RunFolder() as run:
        stop.on_give_up(run.remove)  # still stopping after the grace time: kill the kernels' groups, exit
        return _run_batch(stop, run, t_start, batch_file, out_dir, jobs, only, show_input, timeout, kernel_name,
                          progress, keep_ipynb, warm, ahead, force, deals)


def _run_batch(stop: Stop, run: RunFolder, t_start: float, batch_file, out_dir, jobs, only, show_input, timeout,
               kernel_name, progress, keep_ipynb, warm, ahead, force, deals) -> BatchResult:
    batch = Path(batch_file or default_batch())
    if isinstance(only, str):
        only = [only]
    deals_file = check_deals_file(deals) if deals else None  # ReportError naming the file and the problem
    plan = None
    if not force:
        try:  # read once, before any kernel starts; a problem is reported below, with the kernels started
            plan = _plan(batch, only, show_input, out_dir, deals_file, force)
        except Exception:
            pass
    if plan is not None and not plan.build:  # every selected report unchanged: no kernel started
        return _nothing_to_build(plan, progress, t_start)
    with run.as_tempdir():
        kernels = Kernels(kernel_name, fork=warm)  # first: the fork server preloads while we check the batch
    try:
        plan = plan or _plan(batch, only, show_input, out_dir, deals_file, force)  # --force, or the problem now
        stop.check()  # nothing written yet
        all_jobs, out, selected, skipped = plan
        _say_unchanged(skipped, progress)
    except BaseException:
        kernels.close(timeout=5, now=bool(stop))
        raise
    workers = max(1, int(jobs or os.cpu_count() or 1))
    ahead = workers if ahead is None else max(0, ahead)
    results: list[ReportResult] = []
    lock = threading.Lock()
    futures: dict[int, concurrent.futures.Future] = {}
    next_start = 0
    runnable = [i for i, j in enumerate(selected) if not j.problem]
    
    def start_next() -> None:
        nonlocal next_start
        with lock:
            if next_start < len(runnable) and not stop:
                j = selected[runnable[next_start]]
                futures[runnable[next_start]] = kernels.start(j.notebook.parent, warm_code(j.modules) if warm else "")
                next_start += 1

    closed = False
    try:
        with FolderLock(out, stop, _say):
            clean_partial_files(out)
            try:
                for _ in range(min(len(runnable), workers + ahead)):
                    start_next()
                preload_modules()  # while the first kernels start
                try:
                    write_assets(out)
                except OSError as exc:
                    raise _cannot_write(out, exc) from None
                from tqdm.auto import tqdm

                bar = tqdm(total=len(selected), desc="reports", unit="report", disable=not progress or not selected,
                           dynamic_ncols=True)
                pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rekit-report")
                try:
                    def work(i: int) -> ReportResult:
                        if stop and not selected[i].problem:
                            return ReportResult(selected[i], "interrupted", 0.0, build_time(),
                                                path=(out / selected[i].file) if (out / selected[i].file).exists() else None,
                                                error=f"interrupted ({stop.name}) before it started")
                        return _execute_job(selected[i], futures.get(i), kernels, out, run.path, timeout=timeout,
                                            index_link=True, keep_ipynb=keep_ipynb, on_start=start_next, stop=stop)

                    running = {pool.submit(work, i): i for i in range(len(selected))}
                    pending = set(running)
                    while pending:
                        if stop and not closed:  # kill the kernels: running notebooks end within a second
                            closed = True
                            kernels.close(timeout=5, now=True)
                        done, pending = concurrent.futures.wait(pending, timeout=0.25,
                                                                return_when=concurrent.futures.FIRST_COMPLETED)
                        for fut in done:
                            r = fut.result()
                            results.append(r)
                            bar.set_postfix_str(f"{r.job.stem}: {r.status}", refresh=False)
                            bar.update(1)
                finally:
                    pool.shutdown(wait=True, cancel_futures=True)  # after an error of our own: nothing more starts
                    bar.close()
            finally:
                kernels.close(timeout=60, now=bool(stop))
                closed = True
                done_stems = {r.job.stem for r in results}
                for j in selected:  # not run (stopped, or an error of our own): say so in the index
                    if j.stem not in done_stems:
                        why = f"interrupted ({stop.name})" if stop else "not run: the run stopped on an error"
                        results.append(ReportResult(j, "interrupted", 0.0, build_time(),
                                                    path=(out / j.file) if (out / j.file).exists() else None,
                                                    error=f"{why} before it started"))
                order = {j.stem: k for k, j in enumerate(selected)}
                results.sort(key=lambda r: order[r.job.stem])
                note, items = "", []
                if stop:
                    items = [f"{r.job.file}: {r.error}" for r in results if r.status == "interrupted"]
                    n = sum(r.status == "interrupted" for r in results)
                    note = (f"This run was interrupted ({stop.name}) at {build_time()}: {n} of {len(selected)} "
                            f"report{'s' if len(selected) != 1 else ''} not built; each keeps its last good version. "
                            f"Run again to build them.")
                index = _write_records(out, all_jobs, results, note, items, [j.stem for j in skipped])
    finally:
        kernels.close(timeout=5, now=bool(stop))
    if stop:
        n = sum(r.status == "interrupted" for r in results)
        stop.raise_for_signal(f"interrupted by {stop.name}; {n} report{'s' if n != 1 else ''} not built "
                              f"(listed in {index}); the others are in place")
    return BatchResult(results, index, time.perf_counter() - t_start, skipped)


# ---------------------------------------------------------------------------------------------
# Incremental builds (rekit.reports.freeze)
# ---------------------------------------------------------------------------------------------


def _say_unchanged(fresh: Sequence[Job], progress: bool) -> None:
    """Say which reports are skipped as unchanged since their last good build."""
    if fresh and progress:
        for j in fresh:
            print(f"rekit: {j.file}: unchanged since its last good build (notebook, parameters, data and code): "
                  f"not rebuilt; force=True (rekit reports --force) rebuilds it", file=sys.stderr)


class Plan(NamedTuple):
    """What a batch run will do: every job of the batch, the output folder, the selected jobs to build
    and those unchanged since their last good build (rekit.reports.freeze)."""

    all_jobs: list[Job]
    out: Path
    build: list[Job]
    fresh: list[Job]


def _plan(batch: Path, only, show_input, out_dir, deals_file: str | None, force: bool) -> Plan:
    """The batch read and split into jobs to build and unchanged ones (ReportError / ParameterError for bad input)."""
    all_jobs, selected = jobs_from_batch(batch, only, show_input, deals_file)
    out = prepare_out(out_dir or REPORTS)
    build, fresh = freeze.split(selected, out, force)
    return Plan(all_jobs, out, build, fresh)


def _nothing_to_build(plan: Plan, progress: bool, t_start: float) -> BatchResult:
    """The batch result when every selected report is unchanged: no kernel started, the index says so."""
    _say_unchanged(plan.fresh, progress)
    index = _write_records(plan.out, plan.all_jobs, [], skipped=[j.stem for j in plan.fresh])  # ReportError on a full disk
    return BatchResult([], index, time.perf_counter() - t_start, plan.fresh)


# ---------------------------------------------------------------------------------------------
# A user's deals file
# ---------------------------------------------------------------------------------------------


def deals_params(notebook, params, folder, deals) -> dict[str, Any]:
    """`params` with `deals_file` set from `deals` (checked: ReportError names the file and the problem);
    a notebook that takes no deals file is refused."""
    params = dict(params or {})
    if not deals:
        return params
    path = check_deals_file(deals)
    nb = find_notebook(notebook, folder)
    if not takes_deals_file(nb):
        raise ReportError(f"--deals {deals}: notebook {nb.stem!r} takes no deals file (it has no 'deals_file' parameter)")
    params.setdefault("deals_file", path)
    return params
