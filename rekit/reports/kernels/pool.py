"""Starting kernels: the `Kernels` pool (warm kernels started ahead of need, over IPC), the Linux fork
server they are forked from (`_Zygote`), and the papermill engine that executes a notebook on one of them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

KERNEL = "rekit"


def warm_code(modules: Sequence[str]) -> str:
    """Code a fresh kernel runs (silently, outside the history) to import `modules` ahead of the notebook."""
    if not modules:
        return ""
    # Top-level code on purpose: the same imports made inside a function cost ~25% more CPU here.
    return (
        "import importlib as __rekit_importlib\n"
        f"for __rekit_m in {list(modules)!r}:\n"
        "    try:\n"
        "        __rekit_importlib.import_module(__rekit_m)\n"
        "    except Exception:  # not a module (from x import function), or it fails: the notebook will say\n"
        "        pass\n"
        "del __rekit_importlib, __rekit_m\n"
    )


# Fork server ("zygote"). Linux only. A kernel normally spends ~2 s of CPU starting: booting
# ipykernel and importing pandas and nbformat (which plotly imports to display figures; nbformat
# pulls in jsonschema, whose rfc3987-syntax grammar alone costs ~1 s). On 2 cores that is most of
# a report's cost. The zygote imports those side-effect-free libraries once and forks a kernel per
# report. jupyter_client still manages every kernel as usual: its "kernel process" is a tiny
# launcher that asks the zygote for a fork and relays signals to it (interrupt, terminate); when
# the launcher dies (shutdown kills it) the zygote kills its kernel. Modules whose import depends on
# the kernel environment (plotly.io picks its renderer at import) are NOT preloaded; each forked
# kernel reseeds numpy's global random state (Python's `random` reseeds itself after a fork).

ZYGOTE_PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "nbformat", "numpy", "pandas", "yaml")

_LAUNCHER = r"""
import json, os, signal, socket, sys, time
path, args = sys.argv[1], sys.argv[2:]
deadline = time.monotonic() + 120
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        break
    except OSError:
        s.close()
        if time.monotonic() > deadline:
            sys.stderr.write('rekit: the kernel fork server did not answer\n')
            sys.exit(3)
        time.sleep(0.02)
s.sendall(json.dumps({'argv': args, 'cwd': os.getcwd(), 'env': dict(os.environ)}).encode() + b'\n')
f = s.makefile('rb')
line = f.readline()
if not line.strip():
    sys.exit(3)
pid = int(line)
def relay(sig, frame):
    try:
        os.kill(pid, sig)
    except OSError:
        pass
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, relay)
line = f.readline()
sys.exit(int(line) if line.strip() else 1)
"""


def _zygote_child(req: dict, launcher_path: str) -> None:
    """In a forked child: become an ordinary ipykernel process (never returns)."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(req["cwd"])
    env = dict(req["env"])
    env["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits if the zygote goes away
    os.environ.clear()
    os.environ.update(env)
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed()  # forked kernels must not share the zygote's random state
        except Exception:
            pass
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts the working directory back
    # ipykernel read JPY_PARENT_PID when the zygote imported it: say it again, so the kernel exits if
    # the zygote goes away (and does not print its stand-alone "Ctrl-C will not work" banner)
    argv = [*req["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
    sys.argv = [launcher_path, *req["argv"]]
    code = 0
    try:
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _zygote_main(sock_path: str, preload: Sequence[str]) -> None:
    """The fork server: preload, then fork a kernel for every launcher that connects."""
    import importlib
    import json as _json
    import selectors
    import signal
    import socket
    import warnings

    warnings.simplefilter("ignore")  # import-time warnings belong to no notebook
    for m in preload:
        try:
            importlib.import_module(m)
        except Exception:
            pass
    warnings.resetwarnings()
    import ipykernel_launcher  # noqa: F401  (only for its path, given to kernels as sys.argv[0])

    launcher_path = getattr(sys.modules["ipykernel_launcher"], "__file__", "ipykernel_launcher")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = sock_path + ".tmp"
    srv.bind(tmp)
    srv.listen(64)
    os.rename(tmp, sock_path)  # appears only when ready
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin, selectors.EVENT_READ, "parent")  # EOF: the runner is gone
    children: dict[int, Any] = {}  # kernel pid -> its launcher's connection (None once it is gone)
    by_conn: dict[Any, int] = {}

    def kill_all() -> None:
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    signal.signal(signal.SIGTERM, lambda *a: (kill_all(), os._exit(0)))
    while True:
        for key, _ in sel.select(timeout=0.1):
            if key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    kill_all()
                    os._exit(0)
            elif key.data == "accept":
                conn, _ = srv.accept()
                conn.settimeout(10)
                try:
                    buf = b""
                    while not buf.endswith(b"\n"):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        buf += chunk
                    req = _json.loads(buf)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:  # the kernel
                    try:
                        sel.close()
                        srv.close()
                        for c in list(by_conn):
                            c.close()
                        conn.close()
                        _zygote_child(req, launcher_path)
                    finally:
                        os._exit(1)
                try:
                    conn.sendall(f"{pid}\n".encode())
                except OSError:
                    pass
                conn.settimeout(None)
                children[pid] = conn
                by_conn[conn] = pid
                sel.register(conn, selectors.EVENT_READ, "launcher")
            else:  # a launcher closed its end: it was killed (kernel shutdown) or exited
                conn = key.fileobj
                try:
                    data = conn.recv(64)
                except OSError:
                    data = b""
                if not data:
                    pid = by_conn.pop(conn)
                    sel.unregister(conn)
                    conn.close()
                    children[pid] = None
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = children.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                by_conn.pop(conn, None)
                sel.unregister(conn)
                conn.close()


def _same_python(a: str, b: str) -> bool:
    """Whether two interpreter paths are the same Python *and environment* (bin/python and bin/python3
    of one venv are; two venvs made from one Python are not, though their links resolve alike)."""
    try:
        a, b = os.path.abspath(a), os.path.abspath(b)
        return os.path.dirname(a) == os.path.dirname(b) and os.path.samefile(a, b)
    except OSError:
        return False


class _Zygote:
    """A running fork server for one kernel spec (None from `start` when forking does not apply)."""

    def __init__(self, proc, sock: str, python_args: list[str]):
        self.proc = proc
        self.sock = sock
        self.python_args = python_args  # the kernel spec's interpreter options, e.g. -Xfrozen_modules=off

    @classmethod
    def start(cls, kernel_name: str, folder: str, preload: Sequence[str] = ZYGOTE_PRELOAD) -> "_Zygote | None":
        import subprocess

        if not sys.platform.startswith("linux") or os.environ.get("REKIT_NO_FORK"):
            return None
        try:
            from jupyter_client.kernelspec import KernelSpecManager

            spec = KernelSpecManager().get_kernel_spec(kernel_name)
        except Exception:
            return None
        argv = list(spec.argv)
        try:
            m = argv.index("-m")
        except ValueError:
            return None
        if argv[m + 1:m + 2] != ["ipykernel_launcher"] or not _same_python(argv[0], sys.executable):
            return None  # another interpreter or another kernel: launch it the usual way
        python_args = argv[1:m]
        sock = os.path.join(folder, "zygote.sock")
        code = "import sys; from rekit.reports.kernels.pool import _zygote_main; _zygote_main(sys.argv[1], sys.argv[2:])"
        env = {**os.environ, **(spec.env or {}), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        try:
            proc = subprocess.Popen([sys.executable, *python_args, "-c", code, sock, *preload],
                                    stdin=subprocess.PIPE, env=env, start_new_session=True, cwd=folder)
        except OSError:
            return None
        return cls(proc, sock, python_args)

    async def ready(self, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def command(self, kernel_args: list[str]) -> list[str]:

        return [sys.executable, "-I", "-S", "-c", _LAUNCHER, self.sock, *kernel_args]

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()  # the zygote kills its kernels and exits
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except Exception:
                pass


_forked_km_cls = None


def _forked_kernel_manager():
    """An AsyncKernelManager whose kernel command asks the zygote for a fork instead of starting Python."""
    global _forked_km_cls
    if _forked_km_cls is None:
        from jupyter_client.manager import AsyncKernelManager

        class ForkedKernelManager(AsyncKernelManager):
            zygote: _Zygote | None = None

            def format_kernel_cmd(self, extra_arguments=None):
                cmd = super().format_kernel_cmd(extra_arguments)
                z = self.zygote
                if z is None or "-m" not in cmd:
                    return cmd
                m = cmd.index("-m")
                if cmd[m + 1:m + 2] != ["ipykernel_launcher"]:
                    return cmd
                return z.command(cmd[m + 2:])

        _forked_km_cls = ForkedKernelManager
    return _forked_km_cls


class Kernels:
    """Starts kernels in a background thread (own asyncio loop) and shuts them down there.

    `start(cwd, code)` returns a Future of a ready AsyncKernelManager whose kernel has already run
    `code` (silently, outside the history: the notebook's cells are still numbered from 1). On
    POSIX each kernel uses the IPC transport with its sockets in a private temporary folder, so no
    TCP ports are picked and parallel start-ups cannot collide; launches are serialised by a lock
    all the same. With `fork` (Linux, the kernel spec's Python is ours) kernels are forked from a
    `_Zygote` instead of started from scratch.
    """

    def __init__(self, kernel_name: str = KERNEL, startup_timeout: float = 60, fork: bool = True):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self._tmp = tempfile.mkdtemp(prefix="rk-")  # short: Unix socket paths are limited to ~100 bytes
        self._zygote = _Zygote.start(kernel_name, self._tmp) if fork else None
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="rekit-kernels", daemon=True)
        self._thread.start()
        self._count = itertools.count()
        self._launch_lock: asyncio.Lock | None = None
        self._alive: set = set()
        self._futures: list[concurrent.futures.Future] = []
        self._closed = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self, cwd: Path, code: str = "") -> concurrent.futures.Future:
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
            d = os.path.join(self._tmp, str(n))
            os.mkdir(d)
            kw = {"transport": "ipc", "ip": os.path.join(d, "k"), "connection_file": os.path.join(d, "kernel.json")}
        if self._zygote is not None and not await self._zygote.ready():
            self._zygote.close()  # it died: start kernels the usual way from now on
            self._zygote = None
        if self._zygote is not None:
            km = _forked_kernel_manager()(kernel_name=self.kernel_name, **kw)
            km.zygote = self._zygote
        else:
            km = AsyncKernelManager(kernel_name=self.kernel_name, **kw)
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

    def close(self, timeout: float = 60) -> None:
        """Wait for start-ups in progress, shut every kernel down, stop the loop, remove the sockets."""
        if self._closed:
            return
        concurrent.futures.wait(self._futures, timeout=timeout)
        try:
            asyncio.run_coroutine_threadsafe(self._stop_all(), self.loop).result(timeout)
        except Exception:
            pass
        self._closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        for fut in self._futures:  # start-ups that never ran (interrupted): nobody may wait on them forever
            fut.cancel()
        if not self._thread.is_alive():
            self.loop.close()
        if self._zygote is not None:
            self._zygote.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "Kernels":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def preload_modules() -> None:
    """Import what the worker threads use, once, in the calling thread: concurrent first imports of the
    same modules from several threads can fail (plotly's optional imports report a KeyError)."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    from jupyter_client.manager import AsyncKernelManager  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401

    from rekit.figures import render  # noqa: F401

    register_engine()


def register_engine() -> str:
    """A papermill engine that executes with a kernel manager we started (and closes its client)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    name = "rekit-warm"
    if name in papermill_engines._engines:
        return name

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path"], **kwargs)
            safe = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                 log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final)
            try:
                return client.execute()
            finally:
                if client.kc is not None:  # we own the kernel, nbclient leaves its client open: close it
                    client.kc.stop_channels()
                    client.kc = None

    papermill_engines.register(name, WarmKernelEngine)
    return name
