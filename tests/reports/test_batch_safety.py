"""Safe batch runs, driven as a user would: `python -m rekit.cli reports` in a real process, real signals.

Each run gets its own TMPDIR, so "no temporary folder left behind" and "no orphan process" are
checked exactly: the folder must be empty afterwards, and no process may still have a path inside
it on its command line (each job's kernel has its connection file and sockets in a folder there).
The notebooks are the fixtures in tests/fixtures/notebooks: `sleepy` (writes sleepy.started in its
folder when its long cell starts, then sleeps, or kills its own kernel with die=true), `sample`,
`broken` (raises in its fifth cell, counting the markdown cell) and `truncated` (half a notebook file, invalid JSON).
"""

from __future__ import annotations

import errno
import fcntl
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"


@pytest.fixture
def tmp_path():
    """A short folder under /tmp: the kernels' Unix sockets live under TMPDIR, and a socket path may
    not exceed 107 bytes (pytest's own tmp_path is too deep)."""
    d = Path(tempfile.mkdtemp(prefix="rks-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def make_folder(tmp_path: Path, batch: str) -> Path:
    nbs = tmp_path / "nb"
    nbs.mkdir()
    for name in ("sample", "broken", "sleepy", "truncated", "spawner"):
        shutil.copy(FIXTURES / f"{name}.ipynb", nbs / f"{name}.ipynb")
    (nbs / "batch.yml").write_text(batch)
    (tmp_path / "tmp").mkdir()
    return nbs


def start(tmp_path: Path, *args: str, command: tuple[str, ...] = ("reports", "-q")) -> subprocess.Popen:
    """``python -m rekit.cli COMMAND --out T/out ARGS`` on the notebooks of T/nb, TMPDIR T/tmp."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REKIT_NOTEBOOKS": str(tmp_path / "nb"),
           "TMPDIR": str(tmp_path / "tmp"), "PYTHONUNBUFFERED": "1"}
    env.pop("REKIT_SCHEDULER", None)
    return subprocess.Popen([sys.executable, "-m", "rekit.cli", *command, "--out", str(tmp_path / "out"), *args],
                            env=env, stdout=open(tmp_path / "stdout", "w"), stderr=open(tmp_path / "stderr", "w"),
                            start_new_session=True, cwd=tmp_path)


def wait_for(proc: subprocess.Popen, ready, what: str, limit: float = 240) -> None:
    """Poll until `ready()` (the run reached the point a test wants), failing if the run ends first."""
    deadline = time.monotonic() + limit
    while not ready():
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {limit} s"
        time.sleep(0.05)


def finish(proc: subprocess.Popen, tmp_path: Path) -> tuple[int, str, str]:
    code = proc.wait(timeout=300)
    return code, (tmp_path / "stdout").read_text(), (tmp_path / "stderr").read_text()


def started_from(folder: Path) -> list[str]:
    """Command lines of live processes naming a path inside `folder` (kernels, by their connection file)."""
    needle = str(folder) + "/"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmd and state != "Z":
            found.append(f"{pid}: {cmd[:200]}")
    return found


def no_strays(folder: Path, limit: float = 30) -> list[str]:
    """The processes still started from `folder` once those on their way out had time to exit (a
    kernel whose parent died notices within a second or two); [] when there are none."""
    deadline = time.monotonic() + limit
    while (left := started_from(folder)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def index_text(tmp_path: Path) -> str:
    return html.unescape((tmp_path / "out" / "index.html").read_text())


SLEEPY_AND_SAMPLE = "reports:\n  - notebook: sleepy\n    parameters: {seconds: 600}\n  - notebook: sample\n"


def test_sigterm_while_a_cell_runs_stops_the_batch_cleanly_and_exits_143(tmp_path):
    """(Ctrl-C, exit 130, is the next test: the two share the code that stops a run.)"""
    sig, code = signal.SIGTERM, 143
    nbs = make_folder(tmp_path, SLEEPY_AND_SAMPLE)
    proc = start(tmp_path, "-j", "1")
    wait_for(proc, (nbs / "sleepy.started").exists, "the sleepy cell")
    proc.send_signal(sig)
    got, out, err = finish(proc, tmp_path)
    assert got == code, err
    assert "Traceback" not in err
    assert "rekit: error: terminated; reports already built" in err
    index = index_text(tmp_path)
    assert f"This run was interrupted ({signal.Signals(sig).name})" in index
    assert index.count(">interrupted</td>") == 2  # build table: sleepy stopped in its cell, sample never started
    assert "cell 3 (first line: import os)" in index
    outdir = tmp_path / "out"
    assert not (outdir / "sleepy.html").exists() and not (outdir / "sleepy.failed.html").exists()
    assert not [p.name for p in outdir.iterdir() if p.name.endswith(".tmp")]
    assert os.listdir(tmp_path / "tmp") == []
    assert no_strays(tmp_path / "tmp") == []


def test_ctrl_c_while_the_workers_start_is_not_lost(tmp_path):
    """Ctrl-C just as the output folder is locked: the runner is then writing the assets and its
    workers are starting (importing papermill and nbconvert). A KeyboardInterrupt raised inside an
    import used to leave the import lock held, and the batch hung or ran to the end. A fresh folder
    still gets an index."""
    make_folder(tmp_path, SLEEPY_AND_SAMPLE)
    proc = start(tmp_path)
    wait_for(proc, (tmp_path / "out" / ".rekit-reports.lock").exists, "the output folder's lock")
    proc.send_signal(signal.SIGINT)
    got, out, err = finish(proc, tmp_path)
    assert got == 130, err
    assert "Traceback" not in err
    assert "rekit: error: interrupted; reports already built" in err
    index = index_text(tmp_path)
    assert "This run was interrupted (SIGINT)" in index and "0 ok" in index
    assert not (tmp_path / "out" / "sample.html").exists()
    assert os.listdir(tmp_path / "tmp") == []
    assert no_strays(tmp_path / "tmp") == []


def test_sigkill_leaks_nothing(tmp_path):
    """SIGKILL of the run itself: its worker process sees its parent gone, kills the kernel with its
    process group and removes the job's temporary folder; nothing runs on, nothing is left."""
    nbs = make_folder(tmp_path, SLEEPY_AND_SAMPLE)
    proc = start(tmp_path, "-j", "1")
    wait_for(proc, (nbs / "sleepy.started").exists, "the sleepy cell")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert no_strays(tmp_path / "tmp") == []
    deadline = time.monotonic() + 30  # the worker removes the job's folder on its way out
    while os.listdir(tmp_path / "tmp") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert os.listdir(tmp_path / "tmp") == []
    # the next run recovers: it builds what the killed run did not
    (nbs / "batch.yml").write_text("reports:\n  - notebook: sample\n")
    again = start(tmp_path)
    got, out, err = finish(again, tmp_path)
    assert got == 0, err
    assert os.listdir(tmp_path / "tmp") == []
    assert (tmp_path / "out" / "sample.html").exists()
    assert "1 ok, 0 failed" in index_text(tmp_path)


def test_two_runs_into_one_folder_take_turns(tmp_path):
    """While another run holds the folder's lock, a run says so and waits, writing nothing."""
    make_folder(tmp_path, "reports:\n  - notebook: sample\n")
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / ".rekit-reports.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"424242\n")
    try:
        proc = start(tmp_path)
        wait_for(proc, lambda: "waiting for it to finish" in (tmp_path / "stderr").read_text(), "the wait message")
        assert "another run (pid 424242) is writing reports to" in (tmp_path / "stderr").read_text()
        assert sorted(p.name for p in out.iterdir()) == [".rekit-reports.lock"]  # nothing written meanwhile
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    got, _, err = finish(proc, tmp_path)
    assert got == 0, err
    assert (out / "sample.html").exists() and (out / "index.html").exists()


def test_one_failing_notebook_fails_alone_and_is_named_with_its_cell(tmp_path):
    """A raise, a timeout, a dead kernel and a truncated notebook each fail their own report, naming
    the cell by position (all cells from 1, as in the file) and first line; sample still builds."""
    nbs = make_folder(tmp_path, "reports:\n"
                                "  - notebook: broken\n"
                                "  - notebook: sleepy\n    parameters: {seconds: 600}\n"
                                "  - notebook: sleepy\n    parameters: {die: true}\n"
                                "  - notebook: truncated\n"
                                "  - notebook: sample\n")
    proc = start(tmp_path, "--timeout", "12")  # the other fixtures' cells take about a second each
    got, out, err = finish(proc, tmp_path)
    assert got == 1, err
    assert "Traceback" not in err
    assert "built 5 reports" in out and "1 ok, 4 failed" in out
    assert "notebook 'broken' failed in cell 5 (first line: if fail:): ValueError: supply went negative in 2031" in err
    assert re.search(r"notebook 'sleepy' \(seconds=600\) failed in cell 3 \(first line: import os\): "
                     r"CellTimeoutError", err), err
    assert re.search(r"notebook 'sleepy' \(die=true\) failed in cell 3 \(first line: import os\): DeadKernelError", err), err
    assert "notebook 'truncated' failed: notebook truncated.ipynb: not a readable notebook (invalid JSON" in err
    outdir = tmp_path / "out"
    assert (outdir / "sample.html").exists()
    for stem in ("broken", "sleepy--seconds-600", "sleepy--die-true", "truncated"):
        page = html.unescape((outdir / f"{stem}.failed.html").read_text())
        assert "FAILED: " in page, stem
        assert not (outdir / f"{stem}.html").exists()
    timed_out = html.unescape((outdir / "sleepy--seconds-600.failed.html").read_text())
    assert "(in cell 3 (first line: import os))" in timed_out
    index = index_text(tmp_path)
    assert index.count('class="failed"') == 4 and "interrupted" not in index
    assert os.listdir(tmp_path / "tmp") == []
    # the same report again, elsewhere: byte for byte the same page, apart from the build time
    again = tmp_path / "again"
    env = {"PYTHONPATH": str(ROOT), "REKIT_NOTEBOOKS": str(nbs), "TMPDIR": str(tmp_path / "tmp")}
    subprocess.run([sys.executable, "-m", "rekit.cli", "reports", "-q", "--only", "sample", "--out", str(again)],
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=300, cwd=tmp_path)
    # the build time, and the kit's commit (the working tree may be committed to between the two runs)
    built = re.compile(r"built \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^<]*|commit:? (<code>)?[0-9a-f]{12,40}(\+dirty)?")
    first, second = ((d / "sample.html").read_text() for d in (outdir, again))
    assert built.search(first) and built.sub("", first) == built.sub("", second)


def _mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True,
                       capture_output=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here to fill it ({exc}); needs root")


def fill(disk: Path, leave: int = 0) -> None:
    """Fill the file system of `disk` to the last byte, then free `leave` bytes."""
    with open(disk / "filler", "wb", buffering=0) as f:
        for size in (65536, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        if leave:
            f.truncate(max(0, f.tell() - leave))


def test_a_full_disk_fails_clearly_and_keeps_the_index(tmp_path):
    make_folder(tmp_path, "reports:\n  - notebook: sample\n  - notebook: sample\n    parameters: {n: 4}\n")
    disk = tmp_path / "out"
    _mount_tmpfs(disk, "6m")  # room for plotly.min.js (4.8 MB), the CSS and a few reports
    try:
        got, _, err = finish(start(tmp_path, "--only", "sample"), tmp_path)
        assert got == 0, err
        before = {p: (disk / p).read_bytes() for p in ("index.html", "sample.html", ".rekit-reports.json")}
        fill(tmp_path / "out")  # the disk full to the last byte
        got, out, err = finish(start(tmp_path), tmp_path)
        assert got == 1 and "Traceback" not in err, err  # the run failed (1), not a bad argument (2)
        assert "No space left on device" in err and "the disk is full" in err
        assert "cannot write the index" in err and "the earlier index is kept unchanged" in err
        for p, data in before.items():  # complete files, as they were: nothing half-written
            assert (disk / p).read_bytes() == data, p
        json.loads((disk / ".rekit-reports.json").read_text())
        assert not [p.name for p in disk.iterdir() if p.name.endswith(".tmp")]
        assert os.listdir(tmp_path / "tmp") == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)
