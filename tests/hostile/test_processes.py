"""Processes and exits: what a notebook starts ends with its kernel, a signal ends a run within
seconds whatever blocks it, and a full disk fails the run (exit 1) without leaving a chart CSV
whose page was not written.

Real processes, real signals, real kernels: each row runs ``python -m rekit.cli`` in its own
session on copies of the fixture notebooks (tests/fixtures/notebooks, through the helpers of
tests/reports/test_batch_safety.py, which give every run its own short TMPDIR). `spawner` starts
two ``sleep 600`` children - one with ``subprocess.Popen``, one in the background of
``os.system`` - and writes the kernel's pid and theirs to ``spawned-<kernel pid>.pid`` before it
ends, raises or sleeps. The processes are checked by pid (with their start time, so a reused pid
is not mistaken for them), not by scanning ``/proc``. The kill-to-exit bound of 10 s is a
container runtime's grace between SIGTERM and SIGKILL: a behaviour bound, not a speed benchmark
(an orderly stop takes 1-4 s here; `rekit.reports.guard.Stop` gives up after 6 s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hostile.cases import BUG, ROOT
from reports import test_batch_safety
from reports.test_batch_safety import _mount_tmpfs, fill, finish, make_folder, start, wait_for

#: The batch-safety tests' short folder under /tmp as this module's tmp_path fixture (kernel sockets fit).
tmp_path = test_batch_safety.tmp_path

GRACE = 10.0  # seconds a container's runtime waits between SIGTERM and SIGKILL
WAIT = 240  # seconds a run may take to reach the point a row wants, on a busy machine (a limit)


def _start_time(pid: int) -> str | None:
    """The start time of process `pid` (/proc/PID/stat field 22), None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else fields[19]


def spawned(nbs: Path) -> dict[int, str]:
    """The pids the spawner notebooks wrote (kernel, Popen child, shell child), with their start times."""
    pids: dict[int, str] = {}
    for f in nbs.glob("spawned-*.pid"):
        for pid in map(int, f.read_text().split()):
            started = _start_time(pid)
            assert started is not None, f"{f.name}: pid {pid} is not running right after the notebook wrote it"
            pids[pid] = started
    return pids


def wait_for_spawned(proc: subprocess.Popen, nbs: Path, notebooks: int = 1) -> dict[int, str]:
    """Wait until `notebooks` spawner notebooks have written their three pids (kernel and two children),
    all running, and return them with their start times."""
    pids: dict[int, str] = {}

    def all_running() -> bool:
        pids.update(spawned(nbs))
        return len(pids) == 3 * notebooks

    wait_for(proc, all_running, f"{notebooks} spawner notebook(s) running", WAIT)
    return pids


def survivors(pids: dict[int, str], limit: float = 10) -> list[int]:
    """The processes of `pids` still running (same pid, same start time, not a zombie) after giving
    those on their way out `limit` seconds; [] when all are gone."""
    deadline = time.monotonic() + limit
    while True:
        left = [pid for pid, started in pids.items() if _start_time(pid) == started]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def clean(out: str) -> None:
    assert "Traceback (most recent call last)" not in out, out[-3000:]
    assert BUG not in out, out[-3000:]


# ---------------------------------------------------------------------------------------------
# A notebook's children end with its kernel: ok, failed, timed out
# ---------------------------------------------------------------------------------------------

# the ok and failed rows keep their children 5 s before ending, so the test sees them run (at 0 s they
# can be gone before the first look, and the row would prove nothing)
CHILD_ROWS = [  # (id, spawner's parameters, extra arguments, exit status, fragment of the output)
    ("ok", "{seconds: 5}", [], 0, "1 ok, 0 failed"),
    ("failed", "{seconds: 5, fail: true}", [], 1, "RuntimeError: failed with its children running"),
    ("timed-out", "{seconds: 600}", ["--timeout", "8"], 1, "CellTimeoutError"),
]


@pytest.mark.parametrize("params, args, code, fragment", [r[1:] for r in CHILD_ROWS], ids=[r[0] for r in CHILD_ROWS])
def test_a_notebooks_children_end_with_its_kernel(tmp_path, params, args, code, fragment):
    nbs = make_folder(tmp_path, f"reports:\n  - notebook: spawner\n    parameters: {params}\n")
    proc = start(tmp_path, *args)
    pids = wait_for_spawned(proc, nbs)
    got, out, err = finish(proc, tmp_path)
    clean(out + err)
    assert got == code, out + err
    assert fragment in out + err
    assert survivors(pids) == [], f"still running after the run ended: {survivors(pids, 0)} of {pids}"
    assert os.listdir(tmp_path / "tmp") == []


# ---------------------------------------------------------------------------------------------
# A signal ends the run within seconds: kernels and their children gone, the exit status of the signal
# ---------------------------------------------------------------------------------------------

SLOW = ("reports:\n"
        "  - notebook: spawner\n    parameters: {seconds: 600}\n"
        "  - notebook: spawner\n    parameters: {seconds: 599}\n"
        "  - notebook: spawner\n    parameters: {seconds: 598}\n")

SIGNAL_ROWS = [  # (id, command, arguments, notebooks running when the signal comes, signal, exit status, fragment)
    ("reports-SIGTERM", ("reports", "-q"), ["-j", "2"], 2, signal.SIGTERM, 143,
     "rekit: error: terminated; reports already built are in place"),
    ("reports-SIGINT", ("reports", "-q"), ["-j", "2"], 2, signal.SIGINT, 130,
     "rekit: error: interrupted; reports already built are in place"),
    ("run-SIGTERM", ("run", "spawner"), ["-p", "seconds", "600"], 1, signal.SIGTERM, 143,
     "rekit: error: terminated; the last good report is kept"),
]


@pytest.mark.parametrize("command, args, running, sig, code, fragment", [r[1:] for r in SIGNAL_ROWS],
                         ids=[r[0] for r in SIGNAL_ROWS])
def test_a_signal_stops_slow_notebooks_within_the_grace_time(tmp_path, command, args, running, sig, code, fragment):
    nbs = make_folder(tmp_path, SLOW)
    proc = start(tmp_path, *args, command=command)
    pids = wait_for_spawned(proc, nbs, running)
    t0 = time.monotonic()
    proc.send_signal(sig)
    try:
        got = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"rekit {command[0]} still running 60 s after {sig.name}")
    waited = time.monotonic() - t0
    _, out, err = finish(proc, tmp_path)
    clean(out + err)
    assert got == code, out + err
    assert fragment in err
    assert waited < GRACE, f"{sig.name} to exit: {waited:.1f} s"
    assert survivors(pids) == [], f"still running after {sig.name}: {survivors(pids, 0)} of {pids}"
    assert os.listdir(tmp_path / "tmp") == []


# ---------------------------------------------------------------------------------------------
# Whatever blocks: a read that a signal does not end (a FIFO with no writer) still stops in time
# ---------------------------------------------------------------------------------------------

BLOCKED = textwrap.dedent("""\
    import os, sys
    from rekit.reports.guard import Stop
    fifo, marker, grace = sys.argv[1], sys.argv[2], float(sys.argv[3])
    stop = Stop(grace=grace)
    with stop.catching():
        stop.on_give_up(lambda: open(marker, "w").write("killed the kernels"))
        print("blocking", flush=True)
        os.open(fifo, os.O_RDONLY)  # no writer: blocks; Python retries the call after a signal's handler
    print("unblocked", flush=True)
    """)

BLOCKED_ROWS = [  # (id, grace given to Stop, signals sent one after the other, exit status, fragment)
    ("SIGTERM-grace", 6.0, [signal.SIGTERM], 143, "SIGTERM, then still stopping after 6 s: stopped at once"),
    ("SIGINT-grace", 6.0, [signal.SIGINT], 130, "SIGINT, then still stopping after 6 s: stopped at once"),
    ("SIGTERM-twice", 600.0, [signal.SIGTERM, signal.SIGTERM], 143, "SIGTERM, then SIGTERM again: stopped at once"),
    ("SIGINT-twice", 600.0, [signal.SIGINT, signal.SIGINT], 130, "SIGINT, then SIGINT again: stopped at once"),
]


@pytest.mark.parametrize("grace, sigs, code, fragment", [r[1:] for r in BLOCKED_ROWS], ids=[r[0] for r in BLOCKED_ROWS])
def test_a_stop_blocked_in_a_read_gives_up_in_time(tmp_path, grace, sigs, code, fragment):
    fifo, marker = tmp_path / "fifo", tmp_path / "gave-up"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-c", BLOCKED, str(fifo), str(marker), str(grace)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline() == "blocking\n"
        time.sleep(0.5)  # into the open() call
        t0 = time.monotonic()
        for sig in sigs:
            proc.send_signal(sig)
            time.sleep(0.2)
        got = proc.wait(timeout=60)
        waited = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = proc.stdout.read(), proc.stderr.read()
    assert got == code, out + err
    assert fragment in err
    assert "unblocked" not in out
    assert marker.read_text() == "killed the kernels"
    assert waited < GRACE, f"signal to exit: {waited:.1f} s"


# ---------------------------------------------------------------------------------------------
# A full disk: exit 1 (the run failed), the disk named full, no chart CSV without its page
# ---------------------------------------------------------------------------------------------


def orphan_csvs(out: Path) -> list[str]:
    """Chart CSVs (``<stem>.chart-<k>.csv``) whose page ``<stem>.html`` is not there."""
    return [p.name for p in out.glob("*.chart-*.csv") if not (out / f"{p.name.split('.chart-')[0]}.html").exists()]


FULL_ROWS = [  # (id, bytes left free before the second run, exit status, fragment)
    # 16 KB: room for the sample's chart CSV (373 bytes) and its card (7 KB), not for its executed
    # notebook (32 KB) and page (42 KB); written CSV first, as they were, the CSV stayed without its page
    ("no-room-for-the-page", 16384, 1, "the disk is full: cannot write"),
    ("no-room-at-all", 0, 1, "the disk is full: cannot write"),
]


@pytest.mark.parametrize("leave, code, fragment", [r[1:] for r in FULL_ROWS], ids=[r[0] for r in FULL_ROWS])
def test_a_full_disk_fails_the_run_and_leaves_no_csv_without_its_page(tmp_path, leave, code, fragment):
    nbs = make_folder(tmp_path, "reports:\n  - notebook: sample\n")
    disk = tmp_path / "out"
    _mount_tmpfs(disk, "6m")  # room for plotly.min.js (4.8 MB), the CSS (0.3 MB) and a few reports
    try:
        got, out, err = finish(start(tmp_path), tmp_path)  # the assets and a first report
        assert got == 0, out + err
        (nbs / "batch.yml").write_text("reports:\n  - notebook: sample\n  - notebook: sample\n    parameters: {n: 4}\n")
        fill(disk, leave)
        got, out, err = finish(start(tmp_path), tmp_path)
        assert orphan_csvs(disk) == []
        clean(out + err)
        assert got == code, out + err
        assert fragment in err and "No space left on device" in err
        assert not [p.name for p in disk.iterdir() if p.name.endswith(".tmp")]
        assert os.listdir(tmp_path / "tmp") == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)


# ---------------------------------------------------------------------------------------------
# rekit notebooks refresh: the same for the kernel that re-executes a notebook in place
# ---------------------------------------------------------------------------------------------


def test_refreshing_a_notebook_ends_its_children(tmp_path):
    nbs = make_folder(tmp_path, "reports: []\n")
    copy = nbs / "spawner.ipynb"  # refresh runs the defaults: 5 s to see the children run (0 s ends at once)
    copy.write_text(copy.read_text().replace('"seconds = 0  #', '"seconds = 5  #'))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REKIT_NOTEBOOKS": str(nbs), "TMPDIR": str(tmp_path / "tmp")}
    proc = subprocess.Popen([sys.executable, "-m", "rekit.cli", "notebooks", "refresh", "spawner"], env=env,
                            stdout=open(tmp_path / "stdout", "w"), stderr=open(tmp_path / "stderr", "w"),
                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=tmp_path)
    pids = wait_for_spawned(proc, nbs)
    got, out, err = finish(proc, tmp_path)
    clean(out + err)
    assert got == 0 and "refreshed: " in out, out + err
    assert survivors(pids) == [], f"still running after the refresh: {survivors(pids, 0)} of {pids}"
