"""What keeps a report run safe to interrupt, kill or run twice: signals, the run folder, the folder lock.

* `Stop`: while reports build, SIGINT, SIGTERM and SIGHUP only *record* the signal; the runner
  looks at it between steps and then stops in order (kernels shut down, the index written,
  temporary files removed). Raising KeyboardInterrupt from the handler instead - Python's default -
  can land anywhere, including inside the import machinery of the main thread, which then keeps
  the global import lock: the worker threads block on their next import and the batch never ends
  (or, if the exception is caught on the way, the Ctrl-C is lost and the batch runs to the end).
  After the run the signal is raised again, as the command line expects it: `Interrupted` (a
  KeyboardInterrupt: exit 130) for SIGINT, `Interrupted` that is also `rekit.errors.Terminated`
  for SIGTERM (exit 143), SystemExit(129) for SIGHUP - 128 + the signal's number, as shells do.
  An orderly stop has `STOP_GRACE` seconds (a container's runtime sends SIGKILL 10 s after
  SIGTERM); if the run is still going then - a read that blocks (a FIFO given as a file), a library
  that does not return - or on a second signal, `Stop` gives up: it kills every process started
  from the run folder with its process group (the kernels and what their notebooks started),
  removes the folder and exits at once with the same status. Files are only ever moved into place
  whole, so the reports already there stay as they were; the index may then not say the run was
  interrupted.
* `RunFolder`: every temporary file of a run (the kernels' sockets and connection files, the
  executed notebooks) lives under one folder ``rekit-run-<pid>-XXXX`` in the system's temporary
  folder, with the owner's pid and start time in ``owner``. A run killed with SIGKILL cannot remove
  it; the next run removes every such folder whose owner is dead (and kills any process still
  started from it, such as a kernel, with its process group: what the kernel's notebook started).
* `FolderLock`: two runs into the same output folder take turns (a `filelock` lock on
  ``.rekit-reports.lock``, on Linux, macOS and Windows); the second says whose turn it is and waits.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from rekit.errors import Terminated

__all__ = ["Interrupted", "TerminatedRun", "Stop", "RunFolder", "FolderLock", "RUN_PREFIX", "LOCK_NAME", "clean_stale_runs",
           "kill_started_from", "exit_code", "clean_partial_files", "STOP_GRACE", "disk_full"]

RUN_PREFIX = "rekit-run-"
LOCK_NAME = ".rekit-reports.lock"
_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None)

#: Seconds an orderly stop may take after the first signal before `Stop` gives up and exits at once:
#: under the 10 s a container's runtime waits between SIGTERM and SIGKILL, with room for the
#: interpreter to exit (measured: an orderly stop of a 2-worker batch takes 1-4 s on 2 busy cores).
STOP_GRACE = 6.0


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def exit_code(signum: int) -> int:
    """The shell's exit status for a process ended by a signal: 128 + its number (SIGINT 130, SIGTERM 143)."""
    return 128 + int(signum)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; the index says what was interrupted. `exit_code` is 128 + signum."""

    def __init__(self, signum: int, message: str = ""):
        super().__init__(message or f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.exit_code = exit_code(signum)


class TerminatedRun(Interrupted, Terminated):
    """The run was stopped by SIGTERM (exit 143)."""


class Stop:
    """A stop request: set by a signal (see the module docstring) or by `request`; threads may `wait` on it.

    While `catching`, a watchdog thread gives up on an orderly stop `grace` seconds after the first
    signal, or at the second (`give_up`): the functions given to `on_give_up` run (kill the
    kernels, remove the run folder), then the process exits with 128 + the signal's number."""

    def __init__(self, grace: float = STOP_GRACE) -> None:
        self._event = threading.Event()
        self._wake = threading.Event()  # a signal came, or `catching` ended
        self._done = threading.Event()  # `catching` ended: nothing left to watch
        self.signum: int | None = None
        self.grace = grace
        self._signals = 0
        self._give_up: list[Callable[[], None]] = []

    def request(self, signum: int) -> None:
        if self.signum is None:
            self.signum = signum
        self._event.set()
        self._wake.set()

    def on_give_up(self, fn: Callable[[], None]) -> None:
        """Run `fn` (no arguments; errors ignored) if the stop gives up, before the process exits."""
        self._give_up.append(fn)

    def _signalled(self, signum: int) -> None:
        self._signals += 1
        self.request(signum)
        if self._signals > 1:  # a second Ctrl-C or SIGTERM: stop now (we are in the main thread, between bytecodes)
            self.give_up(f"{signal.Signals(signum).name} again")

    def give_up(self, why: str) -> None:
        """Stop at once: run the `on_give_up` functions, say so on stderr, exit 128 + the first signal's number."""
        signum = self.signum or signal.SIGINT
        for fn in self._give_up:
            try:
                fn()
            except BaseException:
                pass
        message = (f"rekit: error: {signal.Signals(signum).name}, then {why}: stopped at once; kernels killed, "
                   f"reports already in place kept, temporary files removed\n")
        try:
            os.write(2, message.encode("utf-8", "replace"))
        finally:
            os._exit(exit_code(signum))

    def _watch(self) -> None:
        self._wake.wait()
        if self._done.is_set() or not self._event.is_set():
            return
        if not self._done.wait(self.grace):
            self.give_up(f"still stopping after {self.grace:g} s")

    def __bool__(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    @contextlib.contextmanager
    def catching(self) -> Iterator["Stop"]:
        """Record SIGINT/SIGTERM/SIGHUP instead of raising, while inside (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {}
        watchdog = threading.Thread(target=self._watch, name="rekit-stop-watchdog", daemon=True)
        watchdog.start()
        try:
            for s in _SIGNALS:
                old[s] = signal.signal(s, lambda signum, frame: self._signalled(signum))
            yield self
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            self._done.set()
            self._wake.set()

    def check(self) -> None:
        """Raise as `raise_for_signal` does if a stop was requested (for the steps before anything is written)."""
        if self:
            self.raise_for_signal(f"interrupted by {self.name} before anything was written")

    def raise_for_signal(self, message: str) -> None:
        """After an orderly stop: `Interrupted` for Ctrl-C, `TerminatedRun` for SIGTERM, else exit 128 + signum."""
        signum = self.signum or signal.SIGINT
        if signum == signal.SIGINT:
            raise Interrupted(signum, message)
        if signum == signal.SIGTERM:
            raise TerminatedRun(signum, message)
        print(f"rekit: error: {message}", file=sys.stderr)
        raise SystemExit(exit_code(signum))


# ---------------------------------------------------------------------------------------------
# The run folder
# ---------------------------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """A process's start time (clock ticks since boot, /proc/PID/stat field 22): tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        return stat[stat.rindex(")") + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = _start_time(pid)
    return now is None or started is None or now == started


def kill_started_from(folder: str | os.PathLike, sig: int = signal.SIGKILL) -> list[int]:
    """Kill every process whose command line names a path inside `folder` (a kernel started with its
    connection file there, the kernels' fork server, a launcher), with its process group when it leads
    one (a kernel's group holds what its notebook started); returns their pids. Linux only."""
    needle = os.fsencode(str(folder).rstrip("/") + "/")
    me = os.getpid()
    my_group = os.getpgrp()
    killed = []
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return killed
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if needle in cmd:
            try:
                if os.getpgid(pid) == pid and pid != my_group:
                    os.killpg(pid, sig)
                else:
                    os.kill(pid, sig)
                killed.append(pid)
            except OSError:
                pass
    return killed


def clean_stale_runs(tmp: str | os.PathLike | None = None) -> list[Path]:
    """Remove the run folders left by runs that were killed (owner dead), after killing what still runs
    from them; returns the folders removed. A folder without a readable owner is left alone unless it
    is more than a day old (it may be one being created right now)."""
    base = Path(tmp or tempfile.gettempdir())
    removed = []
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(RUN_PREFIX) and p.is_dir()]
    except OSError:
        return removed
    for folder in candidates:
        try:
            pid_text, _, started = (folder / "owner").read_text(encoding="ascii").strip().partition(" ")
            stale = not _alive(int(pid_text), started or None)
        except (OSError, ValueError):
            try:
                stale = time.time() - folder.stat().st_mtime > 86400
            except OSError:
                continue
        if stale:
            kill_started_from(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


_tempdir_lock = threading.Lock()


class RunFolder:
    """This run's temporary folder (see the module docstring). `path` exists from `__enter__` to `__exit__`."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.cleaned: list[Path] = []

    def __enter__(self) -> "RunFolder":
        self.cleaned = clean_stale_runs()
        self.path = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-"))
        (self.path / "owner").write_text(f"{os.getpid()} {_start_time(os.getpid()) or ''}".strip(), encoding="ascii")
        return self

    @contextlib.contextmanager
    def as_tempdir(self) -> Iterator[None]:
        """Make `tempfile` create its files in the run folder while inside (for code that takes no folder,
        such as the kernel pool, whose socket folder must be found and removed after a SIGKILL)."""
        with _tempdir_lock:
            old = tempfile.tempdir
            tempfile.tempdir = str(self.path)
            try:
                yield
            finally:
                tempfile.tempdir = old

    def remove(self) -> None:
        """Kill what runs from the folder (kernels with their process groups, the fork server) and remove it."""
        if self.path is not None:
            kill_started_from(self.path)
            shutil.rmtree(self.path, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        self.remove()


# ---------------------------------------------------------------------------------------------
# The output folder's lock
# ---------------------------------------------------------------------------------------------


class FolderLock:
    """An exclusive lock on ``<out>/.rekit-reports.lock`` (the `filelock` package: ``flock`` on Linux
    and macOS, ``msvcrt.locking`` on Windows), held for a whole run and released by the system if
    the process dies, so a killed run never leaves the folder locked. The holder writes its pid in
    the file, for the message of a run that waits."""

    def __init__(self, out_dir: Path, stop: Stop | None = None, on_wait: Callable[[str], None] | None = None):
        self.path = Path(out_dir) / LOCK_NAME
        self.stop = stop
        self.on_wait = on_wait
        self._lock = None

    def _holder(self) -> str:
        try:
            with open(self.path, "rb") as fh:
                return fh.read(64).decode("ascii", "replace").strip() or "?"
        except OSError:
            return "?"

    @staticmethod
    def _write_pid(fd: int) -> None:
        try:  # who holds it (only a courtesy: a full disk may refuse it)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass

    def __enter__(self) -> "FolderLock":
        import filelock

        lock = filelock.FileLock(self.path, preserve_lock_file=True, on_acquired=self._write_pid)
        told = False
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except filelock.Timeout:
                if not told and self.on_wait is not None:
                    self.on_wait(f"another run (pid {self._holder()}) is writing reports to {self.path.parent}; "
                                 f"waiting for it to finish")
                    told = True
                if self.stop is not None:
                    if self.stop.wait(0.2):
                        self.stop.check()
                else:
                    time.sleep(0.2)
        self._lock = lock
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            try:
                with open(self.path, "r+b") as fh:
                    fh.truncate(0)
            except OSError:
                pass
            finally:
                self._lock.release()
                self._lock = None


def clean_partial_files(out_dir: Path) -> list[Path]:
    """Remove the temporary files (``.NAME.XXXX.tmp``) a killed run left in the output folder while
    writing; call only while holding its `FolderLock`, when no other run can be writing one."""
    removed = []
    try:
        for p in Path(out_dir).iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp") and p.is_file():
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
    except OSError:
        pass
    return removed
