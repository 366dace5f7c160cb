"""`rekit run`, `rekit reports` and `rekit notebooks refresh|check`: the report commands.

`app` holds `run` and `reports` (added at the root of the `rekit` command); `notebooks_app` is the
`rekit notebooks` group. Add a command with ``@app.command()`` or ``@notebooks_app.command()``.

Exit status: 0 done; 1 a notebook failed (the last good report is kept); 2 bad input (unknown
notebook, bad parameter, unwritable folder: nothing is run or written); 130 interrupted (Ctrl-C),
143 terminated (SIGTERM). Errors are ``rekit: error: ...`` on stderr. Every argument is checked
before papermill, nbconvert or a kernel is loaded, so a refused command answers at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any
from collections.abc import Sequence

import typer

from rekit.cli.common import PAIR_METAVAR, at_least, data_folder, fail, new_app, out_folder, positive_seconds
from rekit.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

__all__ = ["app", "notebooks_app", "collect_params", "DEFAULT_TIMEOUT_TEXT"]

app = new_app()
notebooks_app = new_app(help="Keep the notebooks' stored outputs current.")

#: rekit.reports.runner.DEFAULT_TIMEOUT as the help shows it (not imported here: the runner loads
#: papermill's and nbconvert's modules); tests/cli/test_app.py checks that the two agree.
DEFAULT_TIMEOUT_TEXT = "1800"

TimeoutOption = Annotated[float | None, typer.Option(
    "--timeout", metavar="SECONDS", show_default=False,
    help=f"longest a cell may run, in seconds, > 0 (default: {DEFAULT_TIMEOUT_TEXT})")]
NotebooksOption = Annotated[Path | None, typer.Option("--notebooks", metavar="DIR", hidden=True)]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", metavar="ADDR", show_default=False,
    help="run the notebooks on the Dask scheduler at ADDR (tcp://HOST:PORT; default: $REKIT_SCHEDULER if set, "
         "else local processes); not with --jobs")]
OutOption = Annotated[str | None, typer.Option("--out", metavar="DIR", show_default=False, help="output folder (default: reports/)")]


KEEP_IPYNB_HELP = "no longer needed: each report's executed notebook (REPORT.ipynb) is always written beside it"
KEEP_IPYNB_NOTE = ("note: --keep-ipynb is no longer needed: each report's executed notebook (REPORT.ipynb) is always "
                   "written beside it")


def _warn(msg: str) -> None:
    print(f"rekit: warning: {msg}", file=sys.stderr)


def _err(msg: object) -> None:
    for line in str(msg).splitlines() or [""]:
        print(f"rekit: error: {line}", file=sys.stderr)


def _rel(p: Path | None) -> str:
    if p is None:
        return ""
    try:
        return os.path.relpath(p)
    except ValueError:
        return str(p)


def _interrupted(exc: KeyboardInterrupt, what: str) -> int:
    _err(("terminated" if isinstance(exc, Terminated) else "interrupted") + f"; {what}")
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def collect_params(pairs: Sequence[Sequence[str]] | None) -> dict[str, Any]:
    """-p NAME VALUE pairs as a dict; a name given more than once collects a list (-p deals a -p deals b)."""
    out: dict[str, Any] = {}
    for name, value in pairs or []:
        if name in out:
            prev = out[name]
            out[name] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[name] = value
    return out


def _check_data_env() -> None:
    """A REKIT_DATA that names no folder is refused before any kernel starts (they would all fail)."""
    if os.environ.get("REKIT_DATA"):
        data_folder(None)


def _print_params(notebook: str, folder: Path | None) -> int:
    from rekit.reports.jobs import find_notebook
    from rekit.parameters.registry import declared

    path = find_notebook(notebook, folder)
    decl = declared(path)
    if not decl:
        print(f"{path.stem}: no parameters (no cell tagged 'parameters')")
        return 0
    width = max(len(n) for n in decl)
    print(f"parameters of {path.stem} (give with -p NAME VALUE):")
    for name, d in decl.items():
        print(f"  {name:<{width}}  default {d.source}")
        if d.help:
            print(f"  {'':<{width}}  {d.help}")
        print(f"  {'':<{width}}  allowed: {d.spec.describe()}")
    return 0


def _suggest_notebook(name: str, folder: Path | None) -> None:
    """An unknown notebook name close to a known one (a typo, another case): say which."""
    import difflib

    from rekit.reports.jobs import list_notebooks

    if name.endswith(".ipynb"):
        return  # a path: find_notebook says if it is missing
    known = list_notebooks(folder)
    if name in known:
        return
    folded = [k for k in known if k.casefold() == name.casefold()]
    close = folded or difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        fail(f"unknown notebook {name!r} (did you mean {' or '.join(close)}?); the notebooks are: {', '.join(known)}")


RUN_EPILOG = """\
\b
examples:
  rekit run self_sufficiency                 the defaults -> reports/self_sufficiency.html
  rekit run self_sufficiency -p deals toll_japan -p draws 5000
  rekit run self_sufficiency -p deals '[status_quo, toll_japan]' --show-input
  rekit run self_sufficiency --list-params   what may be set, and the allowed values

Values are typed as on a command line: numbers, true/false, a name, a comma-separated list (a,b)
or a YAML list ([a, b]); a name given twice collects a list. Each value is checked before anything
runs. Exit status: 0 written, 1 the notebook failed (the last good report is kept; NAME.failed.html
shows the failed run), 2 bad notebook name, parameter or folder.
"""

REPORTS_EPILOG = """\
The batch file lists notebook x parameter sets (format: see the comment at the top of
notebooks/batch.yml). Reports are written as NAME.html (defaults) or NAME--SLUG.html, with
index.html listing every report, its parameters, status and run time, plotly.min.js and
rekit-lab.css beside them; the pages need nothing from the network.
Exit status: 0 all built, 1 some notebook failed (listed at the end and in index.html; the last
good report of each is kept), 2 bad batch file, parameter or folder (nothing run).
"""


@app.command("run", epilog=RUN_EPILOG, short_help="build one report from a notebook")
def run(
    notebook: Annotated[str, typer.Argument(
        metavar="NOTEBOOK", help="a notebook in notebooks/, by name without .ipynb (teaching/NAME for a subfolder), "
                                 "or a path to an .ipynb file")],
    param: Annotated[list[Any] | None, typer.Option(
        "-p", "--param", metavar=PAIR_METAVAR, help="set a parameter (repeatable); see --list-params")] = None,
    out: OutOption = None,
    show_input: Annotated[bool, typer.Option("--show-input", help="show the code cells in the report (default: hidden)")] = False,
    list_params: Annotated[bool, typer.Option(
        "--list-params", help="list the notebook's parameters, defaults and allowed values, and exit")] = False,
    timeout: TimeoutOption = None,
    keep_ipynb: Annotated[bool, typer.Option("--keep-ipynb", help=KEEP_IPYNB_HELP)] = False,
    notebooks: NotebooksOption = None,
    deals: Annotated[Path | None, typer.Option(
        "--deals", metavar="FILE", help="a deals file of your own (YAML, as data/deals.yml) for the notebook's deals_file")] = None,
    self_contained: Annotated[bool, typer.Option(
        "--self-contained", help="one HTML file with plotly.js and the CSS inlined (about 5 MB) that works copied alone")] = False,
    scheduler: SchedulerOption = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="DEAL.PARAM=VALUE", help="fix one deal's parameter at a value, in its unit (repeatable); written "
                                                  "with the deals file as OUT/NOTEBOOK.settings-HASH.yml")] = None,
) -> int:
    """Build one report from a notebook.

    Execute a notebook (kernel `rekit`) with the parameters given and write it as an offline HTML
    report, input cells hidden unless --show-input.
    """
    folder = notebooks
    _suggest_notebook(notebook, folder)
    if keep_ipynb:
        print(KEEP_IPYNB_NOTE, file=sys.stderr)
    if list_params:
        return _print_params(notebook, folder)
    out_dir = out_folder("--out", out)
    positive_seconds("--timeout", timeout)
    _check_data_env()
    params = collect_params(param)
    show = True if show_input else None

    from rekit.reports.jobs import make_job
    from rekit.reports.runner import deals_params

    params = deals_params(notebook, params, folder, deals)  # --deals: the file checked, named in any error
    if set_:  # every setting checked, then written beside the report as the notebook's deals file
        from rekit.cli.model import settings_deals_file

        params = settings_deals_file(notebook, params, folder, set_, out_dir)
    make_job(notebook, params, folder=folder, show_input=show)  # every value checked before the runner loads

    from rekit.reports.runner import DEFAULT_TIMEOUT, run_one

    try:
        result = run_one(notebook, params, out_dir, show_input=show, timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
                         keep_ipynb=keep_ipynb, folder=folder, self_contained=self_contained, scheduler=scheduler)
    except KeyboardInterrupt as exc:
        return _interrupted(exc, "the last good report is kept")
    for w in result.warnings:
        _warn(w)
    if not result.ok:
        _err(result.describe_failure())
        if result.failed_page:
            print(f"the failed run, with its code: {_rel(result.failed_page)}", file=sys.stderr)
        return 1
    print(f"wrote {_rel(result.path)} ({result.seconds:.1f} s)")
    return 0


@app.command("reports", epilog=REPORTS_EPILOG, short_help="build every report listed in notebooks/batch.yml, in parallel")
def reports(
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", metavar="N", show_default=False,
        help=f"notebooks run at once in local processes, >= 1 (default: the number of cores, {os.cpu_count()})")] = None,
    scheduler: SchedulerOption = None,
    only: Annotated[list[str] | None, typer.Option(
        "--only", metavar="NAME", help="only the reports of this notebook (or this report file name without .html); repeatable")] = None,
    out: OutOption = None,
    batch: Annotated[Path | None, typer.Option("--batch", metavar="FILE", help="batch file (default: notebooks/batch.yml)")] = None,
    show_input: Annotated[bool, typer.Option("--show-input", help="show the code cells in every report")] = False,
    timeout: TimeoutOption = None,
    keep_ipynb: Annotated[bool, typer.Option("--keep-ipynb", help=KEEP_IPYNB_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    deals: Annotated[Path | None, typer.Option(
        "--deals", metavar="FILE",
        help="a deals file of your own for every notebook that takes one (overrides batch.yml's deals_file)")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="rebuild every report, even those unchanged since their last good build")] = False,
) -> int:
    """Build every report listed in notebooks/batch.yml, in parallel.

    Build every notebook x parameter set of a batch file, each one job in a local process (--jobs)
    or on a Dask cluster (--scheduler), then write index.html. Every entry is checked before
    anything runs.
    """
    if keep_ipynb:
        print(KEEP_IPYNB_NOTE, file=sys.stderr)
    if jobs is not None:
        at_least("--jobs", jobs, 1)
    if jobs is not None and scheduler is not None:
        fail(f"--jobs {jobs} and --scheduler {scheduler}: give one (a Dask cluster sets its own workers)")
    out_dir = out_folder("--out", out)
    positive_seconds("--timeout", timeout)
    _check_data_env()

    from rekit.paths import batch_file
    from rekit.reports.jobs import load_batch

    # the file itself (a regular file, its YAML, notebook names, titles) before any kernel starts
    load_batch(batch if batch is not None else batch_file())

    from rekit.reports.runner import DEFAULT_TIMEOUT, run_batch

    try:
        res = run_batch(batch, out_dir, jobs=jobs, only=only or None, show_input=True if show_input else None,
                        timeout=DEFAULT_TIMEOUT if timeout is None else timeout, progress=not quiet,
                        keep_ipynb=keep_ipynb, deals=deals, force=force, scheduler=scheduler)
    except KeyboardInterrupt as exc:
        return _interrupted(exc, "reports already built are in place, the others keep their last good version")
    for r in res.results:
        for w in r.warnings:
            _warn(w)
    ok = len(res.results) - len(res.failures)
    unchanged = f", {len(res.skipped)} unchanged since their last good build (--force rebuilds them)" if res.skipped else ""
    print(f"built {len(res.results)} report{'s' if len(res.results) != 1 else ''} in {res.seconds:.1f} s: "
          f"{ok} ok, {len(res.failures)} failed{unchanged}; index: {_rel(res.index)}")
    for r in res.failures:
        _err(r.describe_failure())
    return 1 if res.failures else 0


NamesArgument = Annotated[list[str] | None, typer.Argument(
    metavar="[NAME]...", show_default=False, help="notebooks (default: every notebook in notebooks/)")]


@notebooks_app.command("refresh", short_help="re-execute notebooks in place with their defaults")
def refresh(names: NamesArgument = None, timeout: TimeoutOption = None, notebooks: NotebooksOption = None) -> int:
    """Re-execute notebooks in place with their defaults.

    Re-execute notebooks in place (kernel `rekit`, default parameters) and store their outputs, so
    the outputs in git are deliberate: review the diff before committing. A notebook that fails is
    left as it was.
    """
    positive_seconds("--timeout", timeout)
    for name in names or []:
        _suggest_notebook(name, notebooks)
    from rekit.reports.stored import RefreshError, refresh as refresh_one, resolve_notebooks
    from rekit.reports.runner import DEFAULT_TIMEOUT

    paths = resolve_notebooks(names or [], notebooks)
    failed = 0
    for p in paths:
        try:
            changed = refresh_one(p, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
        except RefreshError as exc:
            _err(exc)
            failed += 1
            continue
        except KeyboardInterrupt as exc:
            return _interrupted(exc, f"{_rel(p)} is unchanged")
        print(f"{'refreshed' if changed else 'unchanged'}: {_rel(p)}")
    if paths and not failed:
        print("review the output changes (git diff) before committing them")
    return 1 if failed else 0


@notebooks_app.command("check", short_help="list notebooks whose stored outputs are missing or stale")
def check(names: NamesArgument = None, notebooks: NotebooksOption = None) -> int:
    """List notebooks whose stored outputs are missing or stale.

    Exit 1 if a notebook's stored outputs are missing, from an out-of-order run, or older than its
    code (the same check as tests/e2e/test_notebook_outputs.py).
    """
    for name in names or []:
        _suggest_notebook(name, notebooks)
    from rekit.reports.stored import problems, resolve_notebooks

    paths = resolve_notebooks(names or [], notebooks)
    bad = 0
    for p in paths:
        found = problems(p)
        for msg in found:
            print(f"{_rel(p)}: {msg}")
        bad += bool(found)
    if bad:
        print(f"{bad} notebook{'s' if bad != 1 else ''} with missing or stale outputs; "
              f"run `rekit notebooks refresh NAME`", file=sys.stderr)
        return 1
    print(f"ok: {len(paths)} notebook{'s' if len(paths) != 1 else ''} with current stored outputs")
    return 0
