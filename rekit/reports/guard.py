"""What keeps a report run safe to interrupt or run twice: the one signal mechanism and the folder lock.

* `Stop`: while reports build, SIGINT, SIGTERM and SIGHUP only *record* the signal; the runner
  looks at it between steps and then stops in order (jobs not started cancelled, running ones
  asked to stop, the index written). Raising KeyboardInterrupt from the handler instead - Python's
  default - can land anywhere, including inside the import machinery, which then keeps the global
  import lock. After the run the signal is raised again, as the command line expects it:
  `Interrupted` (a KeyboardInterrupt: exit 130) for SIGINT, `TerminatedRun` (also
  `rekit.errors.Terminated`: exit 143) for SIGTERM, SystemExit(129) for SIGHUP - 128 + the
  signal's number, as shells do. An orderly stop has `STOP_GRACE` seconds (a container's runtime
  sends SIGKILL 10 s after SIGTERM); if the run is still going then - a read that blocks, a library
  that does not return - or on a second signal, `Stop` gives up: the functions given to
  `on_give_up` run (the runner's kills its executor's workers, whose kernels end with them) and the
  process exits at once with the same status. Files are only ever moved into place whole, so the
  reports already there stay as they were.
* `FolderLock`: two runs into the same output folder take turns (a `filelock` lock on
  ``.rekit-reports.lock``, on Linux, macOS and Windows); the second says whose turn it is and waits.
* `clean_partial_files`: the ``.NAME.XXXX.tmp`` files a killed run left while writing (rekit.atomic).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
import time
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any

from rekit.errors import Terminated

__all__ = ["Interrupted", "TerminatedRun", "Stop", "FolderLock", "LOCK_NAME", "exit_code", "clean_partial_files",
           "STOP_GRACE", "disk_full"]

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
        message = (f"rekit: error: {signal.Signals(signum).name}, then {why}: stopped at once; workers and kernels "
                   f"killed, reports already in place kept\n")
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
    def catching(self) -> Iterator[Stop]:
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
        self._lock: Any = None  # a filelock.FileLock while held (filelock is imported on first use)

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

    def __enter__(self) -> FolderLock:
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
