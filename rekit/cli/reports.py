"""`rekit run`, `rekit reports` and `rekit notebooks ...`: the report commands.

`register(subparsers)` adds them to the `rekit` command's argparse subparsers. Each command
returns its exit status: 0 done, 1 a notebook failed (the last good report is kept), 2 bad input
(unknown notebook, bad parameter, unwritable folder: nothing is run or written). Errors are one
line on stderr: ``rekit: error: ...``.

Until `rekit.cli` registers them, try them with ``python -m rekit.report_cli run sample -p n 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any, Sequence

__all__ = ["register", "main", "cmd_run", "cmd_reports", "cmd_refresh", "cmd_notebooks_check"]


def _err(msg: str) -> None:
    for line in str(msg).splitlines() or [""]:
        print(f"rekit: error: {line}", file=sys.stderr)


def _warn(msg: str) -> None:
    print(f"rekit: warning: {msg}", file=sys.stderr)


def _rel(p: Path | None) -> str:
    if p is None:
        return ""
    try:
        return os.path.relpath(p)
    except ValueError:
        return str(p)


@contextlib.contextmanager
def _term_as_interrupt():
    """While reports build, SIGTERM cleans up as Ctrl-C does (kernels and temporary sockets removed)."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _collect_params(pairs: Sequence[Sequence[str]] | None) -> dict[str, Any]:
    """-p NAME VALUE pairs as a dict; a name given more than once collects a list (-p deals a -p deals b)."""
    out: dict[str, Any] = {}
    for name, value in pairs or []:
        if name in out:
            prev = out[name]
            out[name] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[name] = value
    return out


def _print_params(notebook: str, folder: Path | None) -> int:
    from rekit.reports.params import declared
    from rekit.reports.jobs import find_notebook

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


def cmd_run(args: argparse.Namespace) -> int:
    from rekit.reports.params import ParameterError
    from rekit.reports.jobs import ReportError
    from rekit.reports.runner import run_one

    folder = Path(args.notebooks) if getattr(args, "notebooks", None) else None
    try:
        if args.list_params:
            return _print_params(args.notebook, folder)
        with _term_as_interrupt():
            result = run_one(args.notebook, _collect_params(args.param), args.out,
                             show_input=True if args.show_input else None, timeout=args.timeout,
                             keep_ipynb=args.keep_ipynb, folder=folder)
    except (ReportError, ParameterError) as exc:
        _err(exc)
        return 2
    except KeyboardInterrupt:
        _err("interrupted; the last good report is kept")
        return 130
    for w in result.warnings:
        _warn(w)
    if not result.ok:
        _err(result.describe_failure())
        if result.failed_page:
            print(f"the failed run, with its code: {_rel(result.failed_page)}", file=sys.stderr)
        return 1
    print(f"wrote {_rel(result.path)} ({result.seconds:.1f} s)")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from rekit.reports.params import ParameterError
    from rekit.reports.jobs import ReportError
    from rekit.reports.runner import run_batch

    if args.jobs is not None and args.jobs < 1:
        _err(f"--jobs: got {args.jobs}; allowed: an integer >= 1")
        return 2
    try:
        with _term_as_interrupt():
            res = run_batch(args.batch, args.out, jobs=args.jobs, only=args.only or None,
                            show_input=True if args.show_input else None, timeout=args.timeout,
                            progress=not args.quiet, keep_ipynb=args.keep_ipynb, warm=not args.cold)
    except (ReportError, ParameterError) as exc:
        _err(exc)
        return 2
    except KeyboardInterrupt:
        _err("interrupted; reports already built are in place, the others keep their last good version")
        return 130
    for r in res.results:
        for w in r.warnings:
            _warn(w)
    ok = len(res.results) - len(res.failures)
    print(f"built {len(res.results)} report{'s' if len(res.results) != 1 else ''} in {res.seconds:.1f} s: "
          f"{ok} ok, {len(res.failures)} failed; index: {_rel(res.index)}")
    for r in res.failures:
        _err(r.describe_failure())
    return 1 if res.failures else 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from rekit.reports.stored import RefreshError, refresh, resolve_notebooks
    from rekit.reports.jobs import ReportError

    try:
        paths = resolve_notebooks(args.names, Path(args.notebooks) if args.notebooks else None)
    except ReportError as exc:
        _err(exc)
        return 2
    failed = 0
    for p in paths:
        try:
            changed = refresh(p, timeout=args.timeout)
        except RefreshError as exc:
            _err(exc)
            failed += 1
            continue
        except KeyboardInterrupt:
            _err(f"interrupted; {_rel(p)} is unchanged")
            return 130
        print(f"{'refreshed' if changed else 'unchanged'}: {_rel(p)}")
    if paths and not failed:
        print("review the output changes (git diff) before committing them")
    return 1 if failed else 0


def cmd_notebooks_check(args: argparse.Namespace) -> int:
    from rekit.reports.stored import problems, resolve_notebooks
    from rekit.reports.jobs import ReportError

    try:
        paths = resolve_notebooks(args.names, Path(args.notebooks) if args.notebooks else None)
    except ReportError as exc:
        _err(exc)
        return 2
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


_RUN_EPILOG = """\
examples:
  rekit run self_sufficiency                 the defaults -> reports/self_sufficiency.html
  rekit run self_sufficiency -p deals toll_japan -p draws 5000
  rekit run self_sufficiency -p deals '[status_quo, toll_japan]' --show-input
  rekit run self_sufficiency --list-params   what may be set, and the allowed values

Values are typed as on a command line: numbers, true/false, a name, a comma-separated list
(a,b) or a YAML list ([a, b]); a name given twice collects a list. Each value is checked
before anything runs. Exit status: 0 written, 1 the notebook failed (the last good report is
kept; NAME.failed.html shows the failed run), 2 bad notebook name, parameter or folder.
"""

_REPORTS_EPILOG = """\
The batch file lists notebook x parameter sets (format: see the comment at the top of
notebooks/batch.yml). Reports are written as NAME.html (defaults) or NAME--SLUG.html, with
index.html listing every report, its parameters, status and run time, plotly.min.js and
rekit-lab.css beside them; the pages need nothing from the network.
Exit status: 0 all built, 1 some notebook failed (listed at the end and in index.html; the last
good report of each is kept), 2 bad batch file, parameter or folder (nothing run).
"""


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, width=min(100, max(60, __import__("shutil").get_terminal_size().columns - 2)))


def register(sub: argparse._SubParsersAction) -> None:
    """Add `run`, `reports` and `notebooks` to the `rekit` command's subparsers."""
    from rekit.reports.runner import DEFAULT_TIMEOUT

    fmt = argparse.RawDescriptionHelpFormatter
    r = sub.add_parser(
        "run", help="build one report from a notebook", formatter_class=fmt, epilog=_RUN_EPILOG,
        description=_wrap("Execute a notebook (kernel `rekit`) with the parameters given and write it as an "
                          "offline HTML report, input cells hidden unless --show-input."))
    r.add_argument("notebook", metavar="NOTEBOOK",
                   help="a notebook in notebooks/, by name without .ipynb (teaching/NAME for a subfolder), or a path to an .ipynb file")
    r.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                   help="set a parameter (repeatable); see --list-params")
    r.add_argument("--out", metavar="DIR", default=None, help="output folder (default: reports/)")
    r.add_argument("--show-input", action="store_true", help="show the code cells in the report (default: hidden)")
    r.add_argument("--list-params", action="store_true", help="list the notebook's parameters, defaults and allowed values, and exit")
    r.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"longest a cell may run (default: {DEFAULT_TIMEOUT})")
    r.add_argument("--keep-ipynb", action="store_true", help="also keep the executed notebook beside the report")
    r.add_argument("--notebooks", metavar="DIR", help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_run)

    b = sub.add_parser(
        "reports", help="build every report listed in notebooks/batch.yml, in parallel", formatter_class=fmt,
        epilog=_REPORTS_EPILOG,
        description=_wrap("Build every notebook x parameter set of a batch file, in parallel, then write "
                          "index.html. Every entry is checked before anything runs."))
    b.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help=f"notebooks run at once (default: the number of cores, {os.cpu_count()})")
    b.add_argument("--only", action="append", metavar="NAME",
                   help="only the reports of this notebook (or this report file name without .html); repeatable")
    b.add_argument("--out", metavar="DIR", default=None, help="output folder (default: reports/)")
    b.add_argument("--batch", metavar="FILE", default=None, help="batch file (default: notebooks/batch.yml)")
    b.add_argument("--show-input", action="store_true", help="show the code cells in every report")
    b.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"longest a cell may run (default: {DEFAULT_TIMEOUT})")
    b.add_argument("--keep-ipynb", action="store_true", help="also keep each executed notebook beside its report")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    b.add_argument("--cold", action="store_true",
                   help="do not pre-import each notebook's modules in its kernel before it runs (slower; for debugging)")
    b.set_defaults(func=cmd_reports)

    n = sub.add_parser("notebooks", help="keep the notebooks' stored outputs current",
                       description="The notebooks in notebooks/ are committed with their outputs, which the tests "
                                   "(nbval) compare against a fresh run. These commands re-execute or check them.")
    nsub = n.add_subparsers(dest="notebooks_command", metavar="ACTION", required=True)
    f = nsub.add_parser("refresh", help="re-execute notebooks in place with their defaults",
                        description="Re-execute notebooks in place (kernel `rekit`, default parameters) and store their "
                                    "outputs, so the outputs in git are deliberate: review the diff before committing. "
                                    "A notebook that fails is left as it was.")
    f.add_argument("names", nargs="*", metavar="NAME", help="notebooks to refresh (default: every notebook in notebooks/)")
    f.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS", help="longest a cell may run")
    f.add_argument("--notebooks", metavar="DIR", help=argparse.SUPPRESS)
    f.set_defaults(func=cmd_refresh)
    c = nsub.add_parser("check", help="list notebooks whose stored outputs are missing or stale",
                        description="Exit 1 if a notebook's stored outputs are missing, from an out-of-order run, "
                                    "or older than its code (the same check as tests/test_notebook_outputs.py).")
    c.add_argument("names", nargs="*", metavar="NAME", help="notebooks to check (default: all)")
    c.add_argument("--notebooks", metavar="DIR", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_notebooks_check)


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point (``python -m rekit.report_cli``) until rekit.cli registers these commands."""
    p = argparse.ArgumentParser(prog="rekit", description="rekit report commands")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(sub)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
