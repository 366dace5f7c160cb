"""The kernel fork server (Linux): a process that has imported ipykernel, pandas and nbformat once and
forks a ready kernel per report, and the jupyter_client provisioner that asks it for one.

Why: a kernel normally spends ~2 s of CPU starting, booting ipykernel and importing pandas and
nbformat (which plotly imports to display figures; nbformat pulls in jsonschema, whose
rfc3987-syntax grammar alone cost ~1-3 s until rekit/__init__.py deferred it). On 2 cores that is most of a report's cost. The server
(`ForkServer`, run by `serve`) imports those side-effect-free libraries once and forks a kernel per
report. Modules whose import depends on the kernel's environment (plotly.io picks its renderer at
import) are NOT preloaded; each forked kernel reseeds numpy's global random state (Python's
`random` reseeds itself after a fork).

How it plugs into jupyter_client. `ForkProvisioner` (from `fork_provisioner()`) is a `LocalProvisioner` (jupyter_client's
`KernelProvisionerBase` for local processes) that overrides one documented hook, `pre_launch`,
which exists to "apply substitutions to the kernel launch command": the command
``python -m ipykernel_launcher -f kernel.json`` becomes ``python -I -S -c LAUNCHER sock -f
kernel.json``. Everything else (launching, poll, wait, interrupt, terminate, kill, cleanup) is
`LocalProvisioner`'s own. That needs a real child process, so the kernel's "process" as
jupyter_client sees it is a tiny launcher (no site imports, ~20 ms) that asks the server for a
fork, relays every signal it gets (SIGINT for an interrupt, SIGTERM, SIGKILL aside) to the kernel's
process group, and exits with the kernel's exit code; when the launcher dies (a shutdown kills it),
the server kills its kernel.

Each forked kernel starts its own session (``os.setsid``), as jupyter_client's own launcher does
(``start_new_session=True``), so the processes a notebook starts (``subprocess.Popen``, ``os.system("…
&")``) are in the kernel's process group, and the server ends the kernel with ``os.killpg``: when
its launcher dies, when the kernel exits on its own (what it left running still goes), and when the
server itself stops. A child that starts a session of its own escapes the group; nothing short of
a cgroup would catch it. Overriding `launch_kernel` instead, to drop the launcher, would mean
re-implementing poll/wait/send_signal/kill for a process that is not our child (its exit status
only the server can read), which the base class gives no hook for.

The provisioner is given to the kernel manager directly (``km.provisioner = ...``) rather than
through the `jupyter_client.kernel_provisioners` entry point and a ``kernel_provisioner`` stanza
in the kernel spec: the stanza would send every use of the ``rekit`` kernel (JupyterLab, nbval)
through the fork server, which only the report runner wants.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import time
from typing import Any, Sequence

__all__ = ["ZYGOTE_PRELOAD", "LAUNCHER", "ForkServer", "fork_provisioner", "serve", "same_python"]

#: What the server imports once, before forking (side-effect-free at import).
ZYGOTE_PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "nbformat", "numpy", "pandas", "yaml")

#: The launcher jupyter_client starts as the kernel's process: asks the server for a fork, relays signals.
LAUNCHER = r"""
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
        os.killpg(pid, sig)
    except OSError:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, relay)
line = f.readline()
sys.exit(int(line) if line.strip() else 1)
"""


def _become_kernel(req: dict, launcher_path: str) -> None:
    """In a forked child: become an ordinary ipykernel process (never returns), leading its own session
    (so that `killpg` on its pid ends whatever the notebook started)."""
    import signal

    try:
        os.setsid()
    except OSError:  # already a group leader: cannot happen after a fork, but the kernel must run all the same
        pass
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(req["cwd"])
    env = dict(req["env"])
    env["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits if the server goes away
    os.environ.clear()
    os.environ.update(env)
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed()  # forked kernels must not share the server's random state
        except Exception:
            pass
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts the working directory back
    # ipykernel read JPY_PARENT_PID when the server imported it: say it again, so the kernel exits if
    # the server goes away (and does not print its stand-alone "Ctrl-C will not work" banner)
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


def serve(sock_path: str, preload: Sequence[str]) -> None:
    """The fork server's main loop: preload, then fork a kernel for every launcher that connects.

    It exits (killing its kernels) when its stdin closes, i.e. when the process that started it is gone.
    """
    import importlib
    import json
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

    def kill_group(pid: int) -> None:
        """SIGKILL a kernel's process group (its session: the kernel and what its notebook started). A
        group outlives its leader while a member lives, and Linux does not reuse the pid meanwhile."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def kill_all() -> None:
        for pid in list(children):
            kill_group(pid)

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
                    req = json.loads(buf)
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
                        _become_kernel(req, launcher_path)
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
                    kill_group(pid)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            kill_group(pid)  # the kernel is gone (shut down, or it died): so is what its notebook started
            conn = children.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                by_conn.pop(conn, None)
                sel.unregister(conn)
                conn.close()


def same_python(a: str, b: str) -> bool:
    """Whether two interpreter paths are the same Python *and environment* (bin/python and bin/python3
    of one venv are; two venvs made from one Python are not, though their links resolve alike)."""
    try:
        a, b = os.path.abspath(a), os.path.abspath(b)
        return os.path.dirname(a) == os.path.dirname(b) and os.path.samefile(a, b)
    except OSError:
        return False


class ForkServer:
    """A running fork server for one kernel spec (`start` gives None when forking does not apply:
    not Linux, ``REKIT_NO_FORK`` set, or the kernel spec runs another interpreter or kernel)."""

    def __init__(self, proc, sock: str):
        self.proc = proc  # the server's Popen
        self.sock = sock  # the Unix socket it listens on

    @classmethod
    def start(cls, kernel_name: str, folder: str, preload: Sequence[str] = ZYGOTE_PRELOAD) -> "ForkServer | None":
        """Start the server for `kernel_name`, its socket in `folder` (keep the path short: ~100 bytes at most)."""
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
        if argv[m + 1:m + 2] != ["ipykernel_launcher"] or not same_python(argv[0], sys.executable):
            return None  # another interpreter or another kernel: launch it the usual way
        python_args = argv[1:m]  # the kernel spec's interpreter options, e.g. -Xfrozen_modules=off
        sock = os.path.join(folder, "zygote.sock")
        code = "import sys; from rekit.reports.kernels.forkserver import serve; serve(sys.argv[1], sys.argv[2:])"
        env = {**os.environ, **(spec.env or {}), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        try:
            proc = subprocess.Popen([sys.executable, *python_args, "-c", code, sock, *preload],
                                    stdin=subprocess.PIPE, env=env, start_new_session=True, cwd=folder)
        except OSError:
            return None
        return cls(proc, sock)

    async def ready(self, timeout: float = 120) -> bool:
        """Wait until the server listens (False if it died or did not start within `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def command(self, kernel_args: list[str]) -> list[str]:
        """The launcher's command line for a kernel given `kernel_args` (what follows ``-m ipykernel_launcher``)."""
        return [sys.executable, "-I", "-S", "-c", LAUNCHER, self.sock, *kernel_args]

    def launch_command(self, cmd: list[str]) -> list[str]:
        """`cmd` (a kernel spec's command, formatted) with the launcher in place of ``-m ipykernel_launcher``;
        any other command unchanged."""
        if "-m" not in cmd:
            return cmd
        m = cmd.index("-m")
        if cmd[m + 1:m + 2] != ["ipykernel_launcher"]:
            return cmd
        return self.command(cmd[m + 2:])

    def close(self, timeout: float = 5) -> None:
        """Stop the server; it kills the kernels it forked that are still running, with their process
        groups. Waits up to `timeout` seconds for it, then kills it (twice that at most in all)."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()  # the server kills its kernels and exits
            self.proc.wait(timeout=timeout)
        except Exception:
            self.proc.kill()
            try:
                self.proc.wait(timeout=timeout)
            except Exception:
                pass


@functools.cache
def fork_provisioner() -> type:
    """The `ForkProvisioner` class: a jupyter_client `LocalProvisioner` whose `pre_launch` puts the fork
    server's launcher in the kernel's command (see the module docstring).

    Defined on first use, so that importing this module does not import jupyter_client (the fork
    server imports this module too, and ``rekit --help`` must stay fast).
    """
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """Launches the kernel through `server` (set it before the kernel starts); None: the usual way."""

        server: ForkServer | None = None

        async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
            kwargs = await super().pre_launch(**kwargs)
            if self.server is not None:
                kwargs["cmd"] = self.server.launch_command(list(kwargs["cmd"]))
            return kwargs

    return ForkProvisioner
