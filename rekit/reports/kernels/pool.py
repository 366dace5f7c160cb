"""The kernel pool: `Kernels` starts kernels ahead of need in a background thread and shuts them down.

On Linux each kernel is forked from a warm server (rekit.reports.kernels.forkserver) through a
jupyter_client provisioner; elsewhere, or with ``fork=False``, kernels start the usual way.

Every kernel leads its own session - jupyter_client's launcher starts it with
``start_new_session=True``, the fork server calls ``os.setsid`` in the fork - and is shut down with
``shutdown_kernel(now=True)``, which kills its process group (`LocalProvisioner.kill` uses
``os.killpg``; the fork server kills the group of a kernel whose launcher died): what a notebook
started ends with its kernel. After a signal, `close(now=True)` does not wait for kernels still
starting or ask any kernel politely: it stops the fork server (which kills its kernels' groups),
cancels the start-ups and kills the rest, all within seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from rekit.reports.kernels.forkserver import ForkServer, fork_provisioner

__all__ = ["KERNEL", "Kernels"]

#: The kernel spec reports run on (registered by `make` in the environment).
KERNEL = "rekit"


class Kernels:
    """Starts kernels in a background thread (own asyncio loop) and shuts them down there.

    `start(cwd, code)` returns a Future of a ready AsyncKernelManager whose kernel has already run
    `code` (silently, outside the history: the notebook's cells are still numbered from 1). On
    POSIX each kernel uses the IPC transport with its sockets in a private temporary folder, so no
    TCP ports are picked and parallel start-ups cannot collide; launches are serialised by a lock
    all the same. With `fork` (Linux, the kernel spec's Python is ours) kernels are forked from a
    `ForkServer` instead of started from scratch.
    """

    def __init__(self, kernel_name: str = KERNEL, startup_timeout: float = 60, fork: bool = True):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.fork = fork
        self.folder = tempfile.mkdtemp(prefix="rk-")  # sockets; short: Unix socket paths are limited to ~100 bytes
        self._server = ForkServer.start(kernel_name, self.folder) if fork else None
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="rekit-kernels", daemon=True)
        self._thread.start()
        self._count = itertools.count()
        self._launch_lock: asyncio.Lock | None = None
        self._alive: set = set()
        self._futures: list[concurrent.futures.Future] = []
        self._closed = False
        self._close_lock = threading.Lock()  # the runner's stop watcher and its main thread may both close

    @property
    def fork_server(self) -> ForkServer | None:
        """The fork server kernels are started from (None: they start the usual way)."""
        return self._server

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self, cwd: Path, code: str = "") -> concurrent.futures.Future:
        """Start a kernel in `cwd` that first runs `code` silently; a Future of its ready AsyncKernelManager."""
        fut = asyncio.run_coroutine_threadsafe(self._start(Path(cwd), code), self.loop)
        self._futures.append(fut)
        return fut

    async def _start(self, cwd: Path, code: str):
        from jupyter_client.manager import AsyncKernelManager

        if self._launch_lock is None:
            self._launch_lock = asyncio.Lock()
        n = next(self._count)
        kw: dict[str, Any] = {}
        if os.name == "posix":
            d = os.path.join(self.folder, str(n))
            os.mkdir(d)
            kw = {"transport": "ipc", "ip": os.path.join(d, "k"), "connection_file": os.path.join(d, "kernel.json")}
        if self._server is not None and not await self._server.ready():
            self._server.close()  # it died: start kernels the usual way from now on
            self._server = None
        km = AsyncKernelManager(kernel_name=self.kernel_name, **kw)
        if self._server is not None:  # jupyter_client's provisioner hook: the fork server launches it
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = fork_provisioner()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
            km.provisioner.server = self._server
        km.shutdown_wait_time = 3
        env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        async with self._launch_lock:
            await km.start_kernel(cwd=str(cwd), env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self._alive.add(km)
        try:
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=self.startup_timeout)
                if code:
                    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
                    deadline = time.monotonic() + 300
                    while True:
                        reply = await kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
                        if reply.get("parent_header", {}).get("msg_id") == msg_id:
                            break
            finally:
                kc.stop_channels()
        except BaseException:
            await self._stop(km)
            raise
        return km

    async def _stop(self, km) -> None:
        try:
            await km.shutdown_kernel(now=True)  # the notebook is done (or failed): nothing to save
        except Exception:
            pass
        self._alive.discard(km)

    def stop(self, km) -> None:
        """Shut a kernel down in the background."""
        if km is not None and not self._closed:
            self._futures.append(asyncio.run_coroutine_threadsafe(self._stop(km), self.loop))

    async def _stop_all(self) -> None:
        await asyncio.gather(*(self._stop(km) for km in list(self._alive)), return_exceptions=True)

    def close(self, timeout: float = 60, now: bool = False) -> None:
        """Shut every kernel down (with its process group), stop the loop, remove the sockets.

        First wait up to `timeout` seconds for start-ups in progress; with `now` (a stop was requested)
        do not: stop the fork server (it kills its kernels), cancel the start-ups, kill the rest. Each
        step is bounded by `timeout` (`now`: at most 2 s each)."""
        with self._close_lock:
            if self._closed:
                return
            if now:
                timeout = min(timeout, 2.0)
                for fut in self._futures:  # a start-up cancelled in the loop shuts its kernel down itself
                    fut.cancel()
                if self._server is not None:
                    self._server.close(timeout)
            else:
                concurrent.futures.wait(self._futures, timeout=timeout)
            try:
                asyncio.run_coroutine_threadsafe(self._stop_all(), self.loop).result(timeout)
            except BaseException:  # timed out, or cancelled: the run folder's cleanup kills what is left
                pass
            self._closed = True
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=min(timeout, 10))
            for fut in self._futures:  # start-ups that never ran (interrupted): nobody may wait on them forever
                fut.cancel()
            if not self._thread.is_alive():
                self.loop.close()
            if self._server is not None:
                self._server.close(min(timeout, 5))
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "Kernels":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
