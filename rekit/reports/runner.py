"""Build HTML reports from the notebooks: one (`run_one`) or a whole batch in parallel (`run_batch`).

This module is the runner; it uses three others:

- `rekit.batch`: the batch file, notebooks by name and the jobs (a notebook and its checked parameters);
- `rekit.kernels`: kernels started ahead of need, forked from a pre-imported server (`Kernels`);
- `rekit.report_html`: the executed notebook as an offline page, the index and the assets.

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
server process that has imported ipykernel, pandas and nbformat once (`rekit.kernels._Zygote`): a
kernel costs ~0.1 s of CPU instead of ~2 s. `--cold` (warm=False) turns both off.

Parallel start-up is safe: kernels talk over IPC (Unix sockets in a private temporary folder),
not TCP, so no ports are picked and none can collide (papermill issue #511); launches are also
serialised by a lock in the one thread that starts kernels.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from rekit.paths import REPORTS
from rekit.paths import batch_file as default_batch
from rekit.reports.jobs import (Job, ReportResult, params_suffix, ReportError, jobs_from_batch, slug_text, find_notebook,
                    list_notebooks, load_batch, make_job, report_stem, check_deals_file, takes_deals_file)
from rekit.reports import freeze
from rekit.reports.kernels import KERNEL, Kernels, preload_modules, register_engine, warm_code
from rekit.reports.html import (CSS_NAME, INDEX, build_time, write_atomic, prepare_out, plotly_js, render_report, to_html,
                                write_assets, write_index, write_report)

__all__ = [
    "ReportError", "Job", "ReportResult", "BatchResult", "run_one", "run_batch", "make_job",
    "find_notebook", "list_notebooks", "load_batch", "write_assets",
    "KERNEL", "CSS_NAME", "report_stem", "write_index", "DEFAULT_TIMEOUT",
]

MANIFEST = ".rekit-reports.json"
DEFAULT_TIMEOUT = 1800  # seconds a cell may run


def _load_manifest(out_dir: Path) -> dict[str, dict]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_manifest(out_dir: Path, manifest: dict[str, dict]) -> None:
    write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, default=str))


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _execute_job(job: Job, kernel: concurrent.futures.Future, kernels: Kernels, out_dir: Path, tmp_dir: Path,
                 *, timeout: float | None, index_link: bool, keep_ipynb: bool, on_start=None,
                 self_contained: bool = False) -> ReportResult:
    """Run one job with its (pre-started) kernel; never raises for a notebook's failure."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    engine = register_engine()
    built = build_time()
    dest = out_dir / job.file
    failed_dest = out_dir / f"{job.stem}.failed.html"
    executed = tmp_dir / f"{job.stem}.ipynb"
    km = None
    t0 = time.perf_counter()
    try:
        try:
            km = kernel.result()
        finally:
            if on_start:
                on_start()
        t0 = time.perf_counter()
        nb = pm.execute_notebook(
            str(job.notebook), str(executed), parameters=dict(job.params), engine_name=engine,
            kernel_name=kernels.kernel_name, progress_bar=False, request_save_on_cell_execute=False,
            execution_timeout=timeout, start_timeout=kernels.startup_timeout, km=km,
        )
        kernels.stop(km)
        km = None
        rendered = render_report(nb, job, show_input=job.show_input, built=built, index_link=index_link,
                                 self_contained=self_contained)
        warns = rendered.warnings
        write_report(out_dir, rendered, job)  # the page, its chart CSVs and executed notebook, its card
        if failed_dest.exists():
            failed_dest.unlink()
        return ReportResult(job, "ok", time.perf_counter() - t0, built, path=dest, warnings=warns)
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}".rstrip(": ")
        where = f"cell In [{exc.exec_count}]" if exc.exec_count is not None else None
    except Exception as exc:  # kernel died, could not start, timeout, export failed...
        error = f"{type(exc).__name__}: {_ANSI.sub('', str(exc)).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(": ")
        where = None
    finally:
        if km is not None:
            kernels.stop(km)
    seconds = time.perf_counter() - t0
    failed_page = None
    if executed.exists():
        try:
            nb = nbformat.read(executed, as_version=4)
            note = f"FAILED: {error}" + (f" ({where})" if where else "")
            page, _ = to_html(nb, job, show_input=True, built=built, index_link=index_link, note=note)
            write_atomic(failed_dest, page)
            failed_page = failed_dest
        except Exception:
            failed_page = None
    return ReportResult(job, "failed", seconds, built, path=dest if dest.exists() else None,
                        error=error, where=where, failed_page=failed_page)


def _record(manifest: dict, r: ReportResult) -> None:
    prev = manifest.get(r.job.stem, {})
    entry = {
        "notebook": r.job.name, "title": r.job.title, "parameters": r.job.params, "effective": r.job.effective,
        "status": r.status, "seconds": round(r.seconds, 2), "built": r.built, "error": r.error, "where": r.where,
        "last_good": r.built if r.ok else prev.get("last_good"),
    }
    manifest[r.job.stem] = entry


def run_one(notebook: str | os.PathLike, params: Mapping[str, Any] | None = None, out_dir: str | os.PathLike | None = None,
            *, show_input: bool | None = None, title: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
            kernel_name: str = KERNEL, keep_ipynb: bool = False, folder: Path | None = None,
            warm: bool = True, self_contained: bool = False, deals: str | os.PathLike | None = None) -> ReportResult:
    """Build one report. Raises ReportError / ParameterError (nothing run, nothing written) for bad input;
    returns a ReportResult whose status says whether the notebook ran (a failed one keeps the last good page).
    `deals` names a deals file for the notebook's `deals_file` parameter; `self_contained` inlines plotly.js
    and the CSS so the page works when copied alone."""
    kernels = Kernels(kernel_name, fork=warm)  # first: the fork server preloads while we check the input
    try:
        params = deals_params(notebook, params, folder, deals)
        if self_contained:
            plotly_js()  # ReportError now, before anything runs, if it cannot be inlined
        job = make_job(notebook, params, title=title, folder=folder, show_input=show_input)
        out = prepare_out(out_dir or REPORTS)
        fut = kernels.start(job.notebook.parent, warm_code(job.modules) if warm else "")
        preload_modules()
        write_assets(out)
        with tempfile.TemporaryDirectory(prefix="rekit-run-") as tmp:
            result = _execute_job(job, fut, kernels, out, Path(tmp), timeout=timeout,
                                  index_link=(out / INDEX).exists(), keep_ipynb=keep_ipynb, self_contained=self_contained)
    finally:
        kernels.close()
    manifest = _load_manifest(out)
    _record(manifest, result)
    _save_manifest(out, manifest)
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
              keep_ipynb: bool = False, warm: bool = True, ahead: int | None = None, force: bool = False,
              deals: str | os.PathLike | None = None) -> BatchResult:
    """Build every report of a batch file in parallel and write index.html.

    Every entry is checked first (ReportError / ParameterError: nothing runs). `jobs` workers
    (default: the number of cores) each execute one notebook at a time; `ahead` more kernels
    (default: `jobs`) are started and warmed while they do. A report unchanged since its last good
    build (rekit.reports.freeze) is not rebuilt unless `force`."""
    t_start = time.perf_counter()
    batch = Path(batch_file or default_batch())
    if isinstance(only, str):
        only = [only]
    deals_file = check_deals_file(deals) if deals else None  # ReportError naming the file and the problem
    done = _nothing_to_build(batch, only, show_input, out_dir, force, progress, t_start, deals_file)
    if done is not None:
        return done
    kernels = Kernels(kernel_name, fork=warm)  # first: the fork server preloads while we check the batch
    try:
        all_jobs, selected = jobs_from_batch(batch, only, show_input, deals_file)
        out = prepare_out(out_dir or REPORTS)
        selected, skipped = _split_unchanged(selected, out, force, progress)
    except BaseException:
        kernels.close()
        raise
    workers = max(1, int(jobs or os.cpu_count() or 1))
    ahead = workers if ahead is None else max(0, ahead)
    results: list[ReportResult] = []
    lock = threading.Lock()
    futures: dict[int, concurrent.futures.Future] = {}
    next_start = 0

    def start_next() -> None:
        nonlocal next_start
        with lock:
            if next_start < len(selected):
                j = selected[next_start]
                futures[next_start] = kernels.start(j.notebook.parent, warm_code(j.modules) if warm else "")
                next_start += 1

    try:
        for _ in range(min(len(selected), workers + ahead)):
            start_next()
        preload_modules()  # while the first kernels start
        write_assets(out)
        from tqdm.auto import tqdm

        bar = tqdm(total=len(selected), desc="reports", unit="report", disable=not progress or not selected,
                   dynamic_ncols=True)
        with tempfile.TemporaryDirectory(prefix="rekit-batch-") as tmp, \
                concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rekit-report") as pool:
            def work(i: int) -> ReportResult:
                return _execute_job(selected[i], futures[i], kernels, out, Path(tmp), timeout=timeout,
                                    index_link=True, keep_ipynb=keep_ipynb, on_start=start_next)

            running = {pool.submit(work, i): i for i in range(len(selected))}
            try:
                for fut in concurrent.futures.as_completed(running):
                    r = fut.result()
                    results.append(r)
                    bar.set_postfix_str(f"{r.job.stem}: {r.status}", refresh=False)
                    bar.update(1)
            except BaseException:  # Ctrl-C: drop what has not started, kill the kernels so the rest ends now
                for f in running:
                    f.cancel()
                kernels.close(timeout=5)
                raise
            finally:
                bar.close()
    finally:
        kernels.close()
    order = {j.stem: k for k, j in enumerate(selected)}
    results.sort(key=lambda r: order[r.job.stem])
    manifest = _load_manifest(out)
    for r in results:
        _record(manifest, r)
    _save_manifest(out, manifest)
    freeze.record(out, results)
    index = write_index(out, all_jobs, {r.job.stem: r for r in results}, manifest, skipped=[j.stem for j in skipped])
    return BatchResult(results, index, time.perf_counter() - t_start, skipped)


# ---------------------------------------------------------------------------------------------
# Incremental builds (rekit.reports.freeze)
# ---------------------------------------------------------------------------------------------


def _split_unchanged(selected: list[Job], out: Path, force: bool, progress: bool) -> tuple[list[Job], list[Job]]:
    """(jobs to build, jobs unchanged since their last good build), saying which are skipped."""
    build, fresh = freeze.split(selected, out, force)
    if fresh and progress:
        import sys

        for j in fresh:
            print(f"rekit: {j.file}: unchanged since its last good build (notebook, parameters, data and code): "
                  f"not rebuilt; force=True (rekit reports --force) rebuilds it", file=sys.stderr)
    return build, fresh


def _nothing_to_build(batch: Path, only, show_input, out_dir, force: bool, progress: bool, t_start: float,
                      deals_file: str | None = None) -> BatchResult | None:
    """When every selected report is unchanged, the batch result without starting a kernel; else None."""
    if force:
        return None
    try:
        all_jobs, selected = jobs_from_batch(batch, only, show_input, deals_file)
        out = prepare_out(out_dir or REPORTS)
    except Exception:
        return None  # the normal path reports the problem
    build, fresh = freeze.split(selected, out, force)
    if build:
        return None
    _split_unchanged(selected, out, force, progress)
    index = write_index(out, all_jobs, {}, _load_manifest(out), skipped=[j.stem for j in fresh])
    return BatchResult([], index, time.perf_counter() - t_start, fresh)


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
