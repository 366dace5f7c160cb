"""Build HTML reports from the notebooks: one (`run_one`) or a whole batch (`run_batch`), each report
one job on `rekit.run`'s executor.

The runner is the parent: it checks every entry before anything runs (rekit.reports.jobs), takes the
output folder's lock, writes the assets, submits each report as one job - `rekit.reports.execute.build`:
papermill runs the notebook in a fresh kernel, nbconvert renders the page - and writes what each job
returns, whole or not at all (rekit.atomic), then the folder's one record and the index. The jobs run
on `jobs` local processes (default: one per core) or on a Dask cluster (`scheduler`, or the
environment variable ``REKIT_SCHEDULER``); see rekit.run.executor.

Safety:

- a failed or interrupted job writes nothing but ``<stem>.failed.html`` (a failure): the last good
  report is never replaced; a job whose worker died fails, naming the report and why;
- SIGINT, SIGTERM and SIGHUP are recorded (`rekit.reports.guard.Stop`, the one signal mechanism):
  the runner then cancels the jobs not started, asks the running ones to stop (a local worker kills
  its kernel with its process group; rekit.reports.execute), writes the index marked interrupted,
  and raises `Interrupted` (exit 130), `TerminatedRun` (143) or exits 129; if that takes longer
  than `guard.STOP_GRACE` s, or at a second signal, the workers are killed and the process exits;
- a full disk fails the run (`FailedError`, exit 1) naming the file; a report's page and chart CSVs
  are written all or none; the earlier index stays whole;
- two runs into one folder take turns (`guard.FolderLock`).

A report built alone (`run_one`, ``rekit run``) joins the folder's record and, when the folder has an
index, the index; a report whose notebook no longer exists is removed from the folder and the record
(`prune`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from collections.abc import Mapping, Sequence

from rekit.errors import FailedError
from rekit.paths import REPORTS
from rekit.paths import batch_file as default_batch
from rekit.reports import freeze
from rekit.reports.execute import KERNEL, Options, Outcome, build, cell_label, failed_cell, stable_ids
from rekit.reports.guard import FolderLock, Interrupted, Stop, clean_partial_files, disk_full
from rekit.reports.html import (CSS_NAME, INDEX, build_time, mark_interrupted, plotly_js, prepare_out, write_assets,
                                write_index, write_report)
from rekit.reports.jobs import (Job, ReportError, ReportResult, check_deals_file, find_notebook, jobs_from_batch,
                                list_notebooks, load_batch, make_job, report_stem, takes_deals_file)
from rekit.atomic import write_atomic

__all__ = [
    "ReportError", "Job", "ReportResult", "BatchResult", "run_one", "run_batch", "make_job", "find_notebook",
    "list_notebooks", "load_batch", "write_assets", "KERNEL", "CSS_NAME", "report_stem", "write_index",
    "DEFAULT_TIMEOUT", "Interrupted", "cell_label", "failed_cell", "stable_ids", "deals_params", "prune",
]

DEFAULT_TIMEOUT = 1800  # seconds a cell may run


def _say(message: str) -> None:
    print(f"rekit: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The folder's record and index
# ---------------------------------------------------------------------------------------------


def _record(record: dict, r: ReportResult, fingerprint: str | None = None) -> None:
    """The report's entry in the folder's record; `fingerprint` (a good batch build's) lets the next
    batch skip it while nothing it depends on changes (rekit.reports.freeze)."""
    prev = record.get(r.job.stem, {})
    record[r.job.stem] = {
        "notebook": r.job.name, "path": str(r.job.notebook), "title": r.job.title, "parameters": r.job.params,
        "effective": r.job.effective, "show_input": r.job.show_input, "status": r.status, "seconds": round(r.seconds, 2),
        "built": r.built, "error": r.error, "where": r.where, "last_good": r.built if r.ok else prev.get("last_good"),
        "fingerprint": fingerprint,
    }


def _recorded_job(stem: str, e: Mapping[str, Any]) -> Job | None:
    """A report of the record as a job, for the index (None for an entry of an older record, without its path)."""
    if not e.get("path"):
        return None
    return Job(notebook=Path(e["path"]), name=str(e.get("notebook") or stem), params=dict(e.get("parameters") or {}),
               effective=dict(e.get("effective") or {}), title=str(e.get("title") or stem), stem=stem,
               show_input=bool(e.get("show_input")))


def _report_files(out: Path, stem: str, stems: Sequence[str]) -> list[Path]:
    """Every file a report has in the folder: ``STEM.*`` and ``.STEM.*`` (its page, failed page, card,
    thumbnail, notebook, chart data), but not those of another report whose name starts ``STEM.``."""
    longer = [s for s in stems if s != stem and s.startswith(f"{stem}.")]
    found = []
    for p in out.iterdir():
        name = p.name[1:] if p.name.startswith(".") else p.name
        if name.startswith(f"{stem}.") and not any(name.startswith(f"{s}.") for s in longer) and p.is_file():
            found.append(p)
    return sorted(found)


def prune(out: Path, record: dict) -> list[str]:
    """Remove from the folder and from `record` every report whose notebook no longer exists; returns their stems."""
    gone = [stem for stem, e in record.items() if e.get("path") and not Path(e["path"]).exists()]
    for stem in gone:
        for p in _report_files(out, stem, list(record)):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
        del record[stem]
    return gone


def _write_records(out: Path, all_jobs: Sequence[Job], results: Sequence[ReportResult], interrupted: str = "",
                   items: Sequence[str] = (), skipped: Sequence[str] = (), index: bool = True) -> Path:
    """The record, then (with `index`) the index (each written whole or not at all); FailedError if the
    folder cannot take them (a full disk): the earlier index then stays as it was, complete. The index
    lists the batch's reports, then those of the folder built alone (rekit run)."""
    record = freeze.load_record(out)
    for r in results:
        _record(record, r, freeze.fingerprint(r.job) if r.ok else None)
    try:
        prune(out, record)
        freeze.save_record(out, record)
        dest = out / INDEX
        if index:
            listed = {j.stem for j in all_jobs}
            alone = [j for stem, e in record.items() if stem not in listed and (j := _recorded_job(stem, e))]
            dest = write_index(out, [*all_jobs, *alone], {r.job.stem: r for r in results}, record, skipped=list(skipped),
                               thumbnails=not interrupted)  # after a signal: no Chromium, stop within seconds
            if interrupted:
                mark_interrupted(dest, interrupted, items)
    except OSError as exc:
        listed_failed = "".join(f"\n  {r.job.file}: {r.error}" for r in results if not r.ok)
        what = f" ({exc.filename})" if exc.filename else ""
        full = "the disk is full: " if disk_full(exc) else ""
        raise FailedError(f"{full}cannot write the index in {out}{what}: {exc.strerror or exc}; the earlier index is "
                          f"kept unchanged. Reports not written:{listed_failed or ' none'}") from None
    return dest


def _cannot_write(out: Path, exc: OSError) -> Exception:
    """The error for an output folder that cannot take the run's files: a full disk fails the run (exit 1),
    anything else (no permission) is a bad --out (exit 2)."""
    what = f" ({exc.filename})" if exc.filename else ""
    if disk_full(exc):
        return FailedError(f"the disk is full: cannot write reports to {out}{what}: {exc.strerror}")
    return ReportError(f"cannot write reports to {out}{what}: {exc.strerror or exc}")


# ---------------------------------------------------------------------------------------------
# Jobs on the executor
# ---------------------------------------------------------------------------------------------


def _open(jobs: int | None, scheduler: str | None):
    """The executor: Dask at `scheduler` (or $REKIT_SCHEDULER), else `jobs` local processes (default: the cores)."""
    from rekit.run.executor import SCHEDULER_ENV, open_executor

    if jobs is None and scheduler is None and not os.environ.get(SCHEDULER_ENV):
        jobs = os.cpu_count() or 1
    return open_executor(jobs=jobs, scheduler=scheduler)


def _write(out: Path, job: Job, o: Outcome) -> ReportResult:
    """Write what a job returned (the page and its files, or the failed page); a full disk fails the report."""
    dest, failed_dest = out / job.file, out / f"{job.stem}.failed.html"
    kept = dest if dest.exists() else None
    if o.status == "ok" and o.rendered is not None:
        try:
            write_report(out, o.rendered, job)  # the page, its chart CSVs and executed notebook, its card
            failed_dest.unlink(missing_ok=True)
            return ReportResult(job, "ok", o.seconds, o.built, path=dest, warnings=o.warnings)
        except OSError as exc:
            full = disk_full(exc)
            o = Outcome("failed", o.seconds, o.built, error=(f"the disk is full: cannot write {exc.filename or job.file} "
                                                             f"({exc.strerror})" if full else f"OSError: {exc}"))
    page = None
    if o.status == "failed" and o.failed_page is not None:
        try:
            write_atomic(failed_dest, o.failed_page)
            page = failed_dest
        except OSError:  # a full disk: the index still says what failed
            pass
    return ReportResult(job, o.status, o.seconds, o.built, path=kept, error=o.error, where=o.where, failed_page=page,
                        warnings=o.warnings)


def _not_run(out: Path, job: Job, why: str, seconds: float = 0.0, where: str | None = None) -> ReportResult:
    dest = out / job.file
    return ReportResult(job, "interrupted", seconds, build_time(), path=dest if dest.exists() else None, error=why, where=where)


def _collect(stop: Stop, ex, f, job: Job, out: Path) -> ReportResult:
    """The result of a finished (or cancelled) job, written into the folder."""
    import asyncio
    import concurrent.futures as cf

    from rekit.run.executor import JobFailed, result_of

    if f.cancelled():
        return _not_run(out, job, f"interrupted ({stop.name}) before it started")
    try:
        o = result_of(f, f"report {job.file} (notebook {job.name!r})", ex.where)
    except JobFailed as exc:  # its worker died: killed by the stop, or on its own
        if stop:
            return _not_run(out, job, f"interrupted ({stop.name})")
        dest = out / job.file
        return ReportResult(job, "failed", 0.0, build_time(), path=dest if dest.exists() else None, error=str(exc))
    except (cf.CancelledError, asyncio.CancelledError):
        return _not_run(out, job, f"interrupted ({stop.name}) before it started")
    if o.status == "interrupted":  # the worker killed its kernel when asked to stop
        started = "" if o.seconds else " before it started"
        return _not_run(out, job, f"interrupted ({stop.name or 'stopped'}){started}" + (f" in {o.where}" if o.where else ""),
                        o.seconds, o.where)
    return _write(out, job, o)


def _run_jobs(stop: Stop, ex, jobs: Sequence[Job], out: Path, options: Options, progress: bool) -> list[ReportResult]:
    """Every job on the executor; results in the order of `jobs`. When `stop` is set, the jobs not
    started are cancelled and the running ones asked to stop (again every second, for a worker that
    was still starting)."""
    from tqdm.auto import tqdm

    results: dict[str, ReportResult] = {}
    for j in jobs:
        if j.problem:  # unreadable: its failed page, without a job
            results[j.stem] = _write(out, j, build(j, options))
    runnable = [] if stop else [j for j in jobs if not j.problem]
    bar = tqdm(total=len(jobs), initial=len(results), desc="reports", unit="report", disable=not progress or not jobs,
               dynamic_ncols=True)
    futures = {ex.submit(build, j, options): j for j in runnable}
    pending = set(futures)
    asked = 0.0
    try:
        while pending:
            if stop and time.monotonic() - asked > 1.0:
                asked = time.monotonic()
                ex.interrupt(pending)
            finished = [f for f in pending if f.done()]
            if not finished:
                stop.wait(0.1)
                continue
            for f in finished:
                pending.discard(f)
                r = results[futures[f].stem] = _collect(stop, ex, f, futures[f], out)
                bar.set_postfix_str(f"{r.job.stem}: {r.status}", refresh=False)
                bar.update(1)
    finally:
        bar.close()
        for f in pending:
            f.cancel()
    for j in jobs:  # not run (stopped before submitting, or an error of our own stopped the loop)
        results.setdefault(j.stem, _not_run(out, j, f"interrupted ({stop.name}) before it started" if stop
                                            else "not run: the run stopped on an error"))
    return [results[j.stem] for j in jobs]


def _build(stop: Stop, jobs: Sequence[Job], out: Path, options: Options, workers: int | None, scheduler: str | None,
           progress: bool, made_out: Path | None = None) -> list[ReportResult]:
    """Lock the folder, write the assets, run the jobs; the executor is closed (or killed) before returning.
    A cluster that does not answer fails before anything is written, and the folders this run made for
    the output (`made_out`: the first of them, see `_first_missing`) go again while they are empty."""
    try:
        ex = _open(workers, scheduler)
    except BaseException:
        if made_out is not None:
            for folder in (out, *out.parents):
                try:
                    folder.rmdir()  # only an empty folder is removed
                except OSError:
                    break
                if folder == made_out:
                    break
        raise
    options.stop_token = ex.stop_token
    stop.on_give_up(ex.kill)  # still stopping after the grace time: the workers (and so their kernels) end
    try:
        with FolderLock(out, stop, _say):
            clean_partial_files(out)
            try:
                if not options.self_contained:  # a self-contained page is the one file written
                    write_assets(out)
            except OSError as exc:
                raise _cannot_write(out, exc) from None
            return _run_jobs(stop, ex, jobs, out, options, progress)
    finally:
        ex.close()


def _interrupted_note(stop: Stop, results: Sequence[ReportResult], n: int) -> tuple[str, list[str]]:
    if not stop:
        return "", []
    items = [f"{r.job.file}: {r.error}" for r in results if r.status == "interrupted"]
    return (f"This run was interrupted ({stop.name}) at {build_time()}: {len(items)} of {n} report{'s' if n != 1 else ''} "
            f"not built; each keeps its last good version. Run again to build them.", items)


# ---------------------------------------------------------------------------------------------
# One report, a batch
# ---------------------------------------------------------------------------------------------


def run_one(notebook: str | os.PathLike, params: Mapping[str, Any] | None = None, out_dir: str | os.PathLike | None = None,
            *, show_input: bool | None = None, title: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
            kernel_name: str = KERNEL, keep_ipynb: bool = False, folder: Path | None = None, self_contained: bool = False,
            deals: str | os.PathLike | None = None, scheduler: str | None = None) -> ReportResult:
    """Build one report (one job on one local process, or on `scheduler` or $REKIT_SCHEDULER). Raises ReportError /
    ParameterError (nothing run, nothing written) for bad input; returns a ReportResult whose status says
    whether the notebook ran (a failed one keeps the last good page). `deals` names a deals file for the
    notebook's `deals_file` parameter; `self_contained` inlines plotly.js and the CSS so the page works
    when copied alone. The report joins the folder's record, and its index when there is one.
    Signals and the output folder's lock are handled as in `run_batch`. `keep_ipynb` has no effect: the
    executed notebook (``<stem>.ipynb``) is always written beside its report, as one of its downloads."""
    stop = Stop()
    with stop.catching():
        params = deals_params(notebook, params, folder, deals)
        if self_contained:
            plotly_js()  # ReportError now, before anything runs, if it cannot be inlined
        job = make_job(notebook, params, title=title, folder=folder, show_input=show_input)
        stop.check()
        made_out = _first_missing(out_dir or REPORTS)
        out = prepare_out(out_dir or REPORTS)
        options = Options(timeout=timeout, index_link=(out / INDEX).exists(), self_contained=self_contained,
                          kernel_name=kernel_name)
        local = 1 if scheduler is None and not os.environ.get("REKIT_SCHEDULER") else None  # one process, or the cluster
        (result,) = _build(stop, [job], out, options, local, scheduler, progress=False, made_out=made_out)
        note, items = _interrupted_note(stop, [result], 1)
        try:
            _write_records(out, [], [result], note, items, index=options.index_link)
        except FailedError:
            pass  # the report itself is written (or its failure reported); the record and index are a cache
    if stop:
        stop.raise_for_signal(f"interrupted by {stop.name}; the last good report is kept")
    return result


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
              keep_ipynb: bool = False, force: bool = False, deals: str | os.PathLike | None = None,
              scheduler: str | None = None) -> BatchResult:
    """Build every report of a batch file, each one job on the executor, and write index.html.

    Every entry is checked first (ReportError / ParameterError: nothing runs). The jobs run on `jobs`
    local processes (default: the number of cores) or on the Dask scheduler at `scheduler` (or
    $REKIT_SCHEDULER). A report unchanged since its last good build (rekit.reports.freeze) is not
    rebuilt unless `force`; `deals` names a deals file passed to every notebook that takes one.
    Safe to interrupt, kill or run twice into one folder (see the module docstring); a full disk
    raises `FailedError` naming the file. `keep_ipynb` has no effect: each executed notebook
    (``<stem>.ipynb``) is always written beside its report."""
    t_start = time.perf_counter()
    stop = Stop()
    with stop.catching():
        batch = Path(batch_file or default_batch())
        deals_file = check_deals_file(deals) if deals else None  # ReportError naming the file and the problem
        plan = _plan(batch, [only] if isinstance(only, str) else only, show_input, out_dir, deals_file, force)
        _say_unchanged(plan.fresh, progress)
        stop.check()  # nothing written yet
        if not plan.build:  # every selected report unchanged: no job
            index = _write_records(plan.out, plan.all_jobs, [], skipped=[j.stem for j in plan.fresh])
            return BatchResult([], index, time.perf_counter() - t_start, plan.fresh)
        options = Options(timeout=timeout, index_link=True, kernel_name=kernel_name)
        results = _build(stop, plan.build, plan.out, options, jobs, scheduler, progress, plan.made_out)
        note, items = _interrupted_note(stop, results, len(plan.build))
        index = _write_records(plan.out, plan.all_jobs, results, note, items, [j.stem for j in plan.fresh])
    if stop:
        n = sum(r.status == "interrupted" for r in results)
        stop.raise_for_signal(f"interrupted by {stop.name}; {n} report{'s' if n != 1 else ''} not built "
                              f"(listed in {index}); the others are in place")
    return BatchResult(results, index, time.perf_counter() - t_start, plan.fresh)


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
    made_out: Path | None  # the first folder of the output's path this run made (None: it was there)


def _first_missing(out_dir: str | os.PathLike) -> Path | None:
    """The outermost folder of `out_dir`'s path that does not exist yet (resolved), or None when it exists."""
    path = Path(out_dir).resolve()
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            return missing
        missing = folder
    return missing


def _plan(batch: Path, only, show_input, out_dir, deals_file: str | None, force: bool) -> Plan:
    """The batch read and split into jobs to build and unchanged ones (ReportError / ParameterError for bad input)."""
    all_jobs, selected = jobs_from_batch(batch, only, show_input, deals_file)
    made_out = _first_missing(out_dir or REPORTS)
    out = prepare_out(out_dir or REPORTS)
    build, fresh = freeze.split(selected, out, force)
    return Plan(all_jobs, out, build, fresh, made_out)


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
