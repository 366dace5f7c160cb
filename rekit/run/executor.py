"""One interface for running jobs, locally in processes or on a Dask cluster.

    with open_executor(jobs=4) as ex:                       # four local processes
        results = list(ex.map(fn, chunks))
    with open_executor(scheduler="tcp://10.0.0.5:8786") as ex:   # a Dask scheduler you run
        futures = [ex.submit(fn, c) for c in chunks]
        for f in ex.as_completed(futures): ...

`Executor` is the interface: ``submit(fn, *args)`` returns a future (``result()``, ``done()``,
``cancel()``), ``map(fn, *iterables)`` yields the results in order, ``as_completed(futures)``
yields futures as they finish, ``close()`` cancels what is pending and shuts the workers down;
``with`` closes it. ``interrupt()`` asks the running jobs to stop: a local worker process gets
SIGTERM (a job may catch it to stop its own work in order: the report runner shuts its kernel
down), a Dask job is cancelled (its worker's thread finishes on its own); ``kill()`` ends the
local worker processes at once (SIGKILL). A function given to an executor must be importable by name (a module-level
function of rekit or a library), and its arguments picklable.

- `LocalExecutor(jobs)`: ``concurrent.futures.ProcessPoolExecutor`` with ``jobs`` processes,
  started with the "spawn" method (as macOS and Windows do), so a worker imports what it needs
  afresh and inherits no thread or lock of the parent.
- `DaskExecutor(address)`: ``dask.distributed.Client(address)``. The scheduler must answer within
  `CONNECT_TIMEOUT` seconds and have a worker within `WORKER_TIMEOUT`; every worker must import
  the same rekit version as this process. A worker that dies mid-job has its job run again on
  another (Dask's own retry); a job that kills every worker it meets fails with its name.

`open_executor(jobs, scheduler)` picks one: ``scheduler`` (or the environment variable
``REKIT_SCHEDULER``) gives Dask, else ``jobs`` local processes (default 1: still a separate
process, so the caller's memory holds only the results). Bad input raises `RekitError` (exit 2):
``jobs`` below 1, both a scheduler and jobs; a cluster that fails raises `FailedError` (exit 1):
no answer, no worker, a worker without rekit or with another version, a job whose worker died.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.metadata
import multiprocessing
import os
import signal
from typing import Any
from collections.abc import Callable, Iterable, Iterator

from rekit.errors import FailedError, RekitError

__all__ = ["Executor", "LocalExecutor", "DaskExecutor", "open_executor", "stop_waiter", "SCHEDULER_ENV",
           "CONNECT_TIMEOUT", "WORKER_TIMEOUT", "JobFailed", "result_of"]

#: The environment variable naming a Dask scheduler (``tcp://HOST:PORT``) when --scheduler is not given.
SCHEDULER_ENV = "REKIT_SCHEDULER"
#: Seconds a Dask scheduler has to answer.
CONNECT_TIMEOUT = 10.0
#: Seconds a Dask scheduler has to show at least one worker.
WORKER_TIMEOUT = 30.0


class JobFailed(FailedError):
    """A job could not finish: its worker died (or every worker it was given to did)."""


class Executor:
    """Runs functions as jobs. Subclasses give `submit`, `as_completed` and `close`."""

    #: What the executor is, for messages ("4 local processes", "Dask at tcp://...").
    where: str = "executor"
    #: A name a running job may watch with `stop_waiter` to stop in order when `interrupt` is called;
    #: None where `interrupt` reaches the jobs with a signal (local processes).
    stop_token: str | None = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def interrupt(self, futures: Iterable[Any] = ()) -> None:
        """Cancel `futures` still pending and ask the running jobs to stop (see the module docstring)."""
        for f in futures:
            f.cancel()

    def kill(self) -> None:
        """End the running jobs at once, where the executor can (local processes); a no-op elsewhere."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], names: Iterable[str] | None = None) -> Iterator[Any]:
        """fn(*args) for each tuple of the iterables' items, in order; every job is submitted first.
        A job that fails raises `JobFailed` naming it (``names`` gives each job's name, default
        "job I"), and the jobs still pending are cancelled."""
        futures = [self.submit(fn, *args) for args in zip(*iterables, strict=False)]  # itertools.repeat may pad
        labels = list(names) if names is not None else [f"job {i + 1} of {len(futures)}" for i in range(len(futures))]
        try:
            for label, f in zip(labels, futures, strict=True):
                yield result_of(f, label, self.where)
        finally:
            for f in futures:
                f.cancel()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def result_of(future: Any, label: str, where: str) -> Any:
    """The future's result; a dead worker or a broken pool becomes `JobFailed` naming `label`.
    An error the job itself raised (a RekitError, a bug) passes through unchanged."""
    try:
        return future.result()
    except RekitError:
        raise
    except cf.BrokenExecutor as exc:  # a process pool whose worker died
        raise JobFailed(f"{label} failed on {where}: its worker process died ({exc})") from None
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker":  # distributed.KilledWorker: every worker it met died
            raise JobFailed(f"{label} failed on {where}: the workers running it died ({exc})") from None
        raise


def _note_pid(pids: Any) -> None:
    """A local worker's first act: say its pid to the parent (so `interrupt` and `kill` can reach it)."""
    pids.put(os.getpid())


class LocalExecutor(Executor):
    """`jobs` local processes (``concurrent.futures.ProcessPoolExecutor``, spawned)."""

    def __init__(self, jobs: int = 1):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise RekitError(f"--jobs: {jobs!r} is not allowed; give a whole number >= 1 (processes to run jobs in)")
        self.jobs = jobs
        self.where = f"{jobs} local process{'es' if jobs > 1 else ''}"
        context = multiprocessing.get_context("spawn")
        self._pids_queue = context.SimpleQueue()
        self._pids: set[int] = set()
        self._pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_note_pid,
                                            initargs=(self._pids_queue,))

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        return self._pool.submit(fn, *args)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        return cf.as_completed(list(futures))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _signal_workers(self, sig: int) -> None:
        while not self._pids_queue.empty():
            self._pids.add(self._pids_queue.get())
        for pid in sorted(self._pids):
            try:
                os.kill(pid, sig)
            except OSError:  # already gone
                pass

    def interrupt(self, futures: Iterable[Any] = ()) -> None:
        super().interrupt(futures)
        self._signal_workers(signal.SIGTERM)

    def kill(self) -> None:
        self._signal_workers(getattr(signal, "SIGKILL", signal.SIGTERM))


def _installed_rekit() -> str:
    return importlib.metadata.version("rekit")


class DaskExecutor(Executor):
    """Jobs on a running Dask scheduler (``dask.distributed.Client(address)``), checked on connect."""

    def __init__(self, address: str, connect_timeout: float | None = None, worker_timeout: float = WORKER_TIMEOUT):
        """`connect_timeout` in seconds (default: CONNECT_TIMEOUT, read when called)."""
        connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        if not isinstance(address, str) or "://" not in address:
            raise RekitError(f"--scheduler: {address!r} is not allowed; give a Dask scheduler address, tcp://HOST:PORT")
        import uuid

        import distributed

        self.address = address
        self.stop_token = f"rekit-stop-{uuid.uuid4().hex}"
        self.where = f"the Dask scheduler at {address}"
        try:
            self._client = distributed.Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise FailedError(f"the Dask scheduler at {address} did not answer within {connect_timeout:g} s ({exc})") from None
        try:
            self._check_workers(worker_timeout)
        except BaseException:
            self._client.close()
            raise

    def _check_workers(self, worker_timeout: float) -> None:
        try:
            self._client.wait_for_workers(1, timeout=worker_timeout)
        except (OSError, TimeoutError):
            raise FailedError(f"the Dask scheduler at {self.address} has no worker after {worker_timeout:g} s") from None
        ours = _installed_rekit()
        # a stdlib function, so a worker without rekit can still run it and say so
        found = self._client.run(importlib.metadata.version, "rekit", on_error="return")
        bad = []
        for worker, version in sorted(found.items()):
            if isinstance(version, BaseException):
                bad.append(f"{worker} has no rekit installed")
            elif version != ours:
                bad.append(f"{worker} has rekit {version}")
        if bad:
            raise FailedError(f"the Dask scheduler at {self.address} has workers that cannot run rekit {ours}: "
                              + "; ".join(bad) + f" (install rekit {ours} on every worker)")

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._client.submit(fn, *args, pure=False)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        import distributed

        return iter(distributed.as_completed(list(futures)))

    def interrupt(self, futures: Iterable[Any] = ()) -> None:
        import distributed

        distributed.Event(self.stop_token, client=self._client).set()  # running jobs watching it stop in order
        self._client.cancel(list(futures))

    def close(self) -> None:
        self._client.close()


def stop_waiter(token: str) -> Callable[[float], bool]:
    """For a job running on Dask: a function `wait(seconds)` that returns True once the executor that
    gave `token` (its `stop_token`) was interrupted. Call it in the job's own thread (where the worker's
    client is found); the function it returns may then be called from any thread."""
    import distributed

    event = distributed.Event(token, client=distributed.get_client())  # the worker's client, found in the job's thread
    return lambda seconds: bool(event.wait(seconds))


def open_executor(jobs: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor the options ask for: Dask at `scheduler` (or $REKIT_SCHEDULER when `jobs` is
    not given), else `jobs` local processes (default 1)."""
    if scheduler is not None and jobs is not None:
        raise RekitError(f"--scheduler {scheduler} and --jobs {jobs}: give one (a Dask cluster sets its own workers)")
    if scheduler is None and jobs is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None:
        return DaskExecutor(scheduler)
    return LocalExecutor(1 if jobs is None else jobs)
