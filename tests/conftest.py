"""Shared fixtures: a writable copy of the bundled data, and a helper to edit one cell of it.

And no hidden skips in CI: under ``CI=true`` (``.ci/run`` sets it) a test that would skip - a
browser missing or failing to start, no root for a small tmpfs, a shallow clone, a wheel that
cannot be built, a notebook cell tagged ``nbval-skip`` - fails instead, with the skip's own reason
(what is missing). Outside CI the skips stay, with their reasons in the ``-ra`` summary. Every
run ends with a line ``skipped: N``, which ``.ci/run`` repeats at its end.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

#: Values of the CI variable that mean "running in CI" (GitHub, GitLab and most others set CI=true).
CI_ON = {"1", "true", "yes", "on"}


def in_ci() -> bool:
    """True when the CI environment variable says this run is CI (read at each call)."""
    return os.environ.get("CI", "").strip().lower() in CI_ON


def _skip_reason(longrepr: object) -> str:
    # a skip's longrepr is (file, line, "Skipped: reason")
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_skip_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        where = getattr(report, "nodeid", "") or "a test"
        report.outcome = "failed"
        report.longrepr = (f"{where} would skip, and under CI={os.environ.get('CI')} no test may skip: "
                           f"{_skip_reason(report.longrepr)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    _fail_skip_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    _fail_skip_in_ci(report)
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = len(terminalreporter.stats.get("skipped", []))
    turned = sum(1 for r in terminalreporter.stats.get("failed", []) + terminalreporter.stats.get("error", [])
                 if "no test may skip" in str(getattr(r, "longrepr", "")))
    note = f" ({turned} would have skipped and failed instead, CI={os.environ.get('CI')})" if in_ci() else ""
    terminalreporter.write_line(f"skipped: {skipped}{note}")


@pytest.fixture(scope="module")
def ds():
    """The bundled dataset, loaded once a test module (rekit.data.dataset.load)."""
    from rekit.data.dataset import load

    return load()


@pytest.fixture(scope="module")
def book(ds):
    """The bundled deals (data/deals.yml) on the bundled dataset, once a test module."""
    from rekit.model.deals import load_deals

    return load_deals(ds=ds)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data folder that a test may break."""
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    return dest


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def set_cell(folder: Path, file: str, index: int, column: str, value: str) -> int:
    """Set one cell (data row `index`, 0-based) and return the row number a problem should name (header = 1)."""
    path = folder / file
    rows = read_rows(path)
    rows[index][column] = value
    write_rows(path, rows)
    return index + 2


def first_row(folder: Path, file: str, **where: str) -> int:
    """Index of the first data row whose cells equal `where`."""
    for i, r in enumerate(read_rows(folder / file)):
        if all(r[k] == v for k, v in where.items()):
            return i
    raise LookupError(f"no row in {file} with {where}")


def as_foreground() -> None:
    """`preexec_fn` for a child that a test sends Ctrl-C (SIGINT): SIGINT back to its default, as in a terminal's
    foreground job. A shell script that starts the tests in the background leaves SIGINT ignored in every process
    below it (POSIX), and a Python started with SIGINT ignored never turns it into KeyboardInterrupt."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def alive(pid: int) -> bool:
    """Whether process `pid` is still running (Linux /proc): a zombie has ended, only its parent's wait is missing."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def rekit_in_process(args, env=None, cwd=None) -> subprocess.CompletedProcess[str]:
    """Run the `rekit` command in this process (rekit.cli.main, what the executable calls) as a fresh
    ``python -m rekit.cli ARGS`` would run it: the environment plus `env` (REKIT_DEBUG unset), the folder
    `cwd`, standard input closed (empty), standard output and error captured apart, and Python's warnings
    printed to standard error under the interpreter's default filters. Everything is put back afterwards.

    The bulk of the bad-input rows run this way: a process costs about half a second of CPU to start and
    import the kit, and the command line is the same code either way. What only a process shows stays in
    one: signals, a reader that could block (a FIFO, /dev/zero) under a timeout, /proc/self/environ, and
    `tests/cli/test_in_process.py` runs sample rows both ways and compares them byte for byte.
    """
    import io
    import sys
    import warnings

    from rekit.cli import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", write_through=True)

    def show(message, category, filename, lineno, file=None, line=None):  # the interpreter's own format
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    os.environ.update({k: str(v) for k, v in (env or {}).items()})
    os.environ.pop("REKIT_DEBUG", None)
    stdin = open(os.devnull, encoding="utf-8")
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = stdin, out, err
        with warnings.catch_warnings():
            warnings.resetwarnings()  # the interpreter's defaults (Python docs, "Default Warning Filter")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", category)
            warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
            warnings.showwarning = show
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # nothing should raise it past main; if something does, its status
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        stdin.close()
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    text = [s.buffer.getvalue().decode("utf-8", errors="backslashreplace") for s in (out, err)]  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(["rekit", *map(str, args)], code, text[0], text[1])
