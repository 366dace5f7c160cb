"""Build HTML reports from the notebooks: one (`run_one`) or a whole batch in parallel (`run_batch`).

A report is a notebook executed with papermill (kernel ``rekit``) and converted with nbconvert's
``lab`` HTML template, input cells hidden unless asked for. Reports are offline: they reference
only files beside them - ``plotly.min.js`` and ``rekit-lab.css``, written once per folder - and
never a CDN (require.js, MathJax, mermaid and widget scripts are left out of the template; any
external script/stylesheet a notebook output brings is removed, with a warning).

Parameters are checked with `rekit.params.check` against the notebook's declared parameters
before anything runs. A report is written to a temporary file and moved into place, so a failed
run never replaces the last good report; it leaves ``<stem>.failed.html`` (inputs shown) beside
it instead, and the batch index links both.

Speed (see benchmarks/bench_reports.py): one process imports papermill and nbconvert once; N
worker threads (default: one per core) execute notebooks; each job's kernel is started ahead of
time in a background thread and has already imported what that job's notebook imports ("warm"
kernels), so start-up overlaps other reports' execution. On Linux kernels are forked from a
server process that has imported ipykernel, pandas and nbformat once (`_Zygote`): a kernel costs
~0.1 s of CPU instead of ~2 s. `--cold` (warm=False) turns both off.

Parallel start-up is safe: kernels talk over IPC (Unix sockets in a private temporary folder),
not TCP, so no ports are picked and none can collide (papermill issue #511); launches are also
serialised by a lock in the one thread that starts kernels.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import datetime as _dt
import hashlib
import html
import itertools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .params import ParameterError, check, declared

__all__ = [
    "ReportError", "Job", "ReportResult", "BatchResult", "run_one", "run_batch", "make_job",
    "find_notebook", "list_notebooks", "load_batch", "write_assets", "NOTEBOOKS", "REPORTS", "BATCH",
    "KERNEL", "CSS_NAME",
]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("REKIT_NOTEBOOKS") or ROOT / "notebooks")
REPORTS = ROOT / "reports"
BATCH = NOTEBOOKS / "batch.yml"
KERNEL = "rekit"
CSS_NAME = "rekit-lab.css"
INDEX = "index.html"
MANIFEST = ".rekit-reports.json"
DEFAULT_TIMEOUT = 1800  # seconds a cell may run


class ReportError(Exception):
    """A problem the user can fix (unknown notebook, unwritable folder, bad batch file): no traceback."""


# ---------------------------------------------------------------------------------------------
# Notebooks and jobs
# ---------------------------------------------------------------------------------------------


def list_notebooks(folder: Path | None = None, recursive: bool = True) -> list[str]:
    """Names of the notebooks in `folder` (relative, without .ipynb; subfolders as teaching/x)."""
    folder = Path(folder or NOTEBOOKS)
    if not folder.is_dir():
        return []
    pattern = "**/*.ipynb" if recursive else "*.ipynb"
    names = []
    for p in folder.glob(pattern):
        rel = p.relative_to(folder)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue  # .ipynb_checkpoints, drafts
        names.append(rel.with_suffix("").as_posix())
    return sorted(names)


def find_notebook(name: str | os.PathLike, folder: Path | None = None) -> Path:
    """A notebook by name (``sample``, ``teaching/intro``) in `folder`, or by path to an .ipynb file."""
    folder = Path(folder or NOTEBOOKS)
    text = str(name)
    p = Path(text)
    if p.suffix == ".ipynb" and p.is_file():
        return p.resolve()
    cand = folder / (text if text.endswith(".ipynb") else text + ".ipynb")
    if cand.is_file() and not text.startswith(("/", "..")):
        return cand.resolve()
    known = list_notebooks(folder)
    listed = ", ".join(known) if known else f"(none: no .ipynb files in {folder})"
    raise ReportError(f"unknown notebook {text!r}; the notebooks are: {listed}")


def _display_name(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).with_suffix("").as_posix()
    except ValueError:
        return path.stem


def _slug_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "+".join(_slug_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def report_stem(name: str, params: Mapping[str, Any]) -> str:
    """``<notebook>`` for the defaults, ``<notebook>--<slug>`` otherwise (slug short and file-safe)."""
    base = name.replace("/", ".")
    if not params:
        return base
    raw = "_".join(f"{k}-{_slug_text(v)}" for k, v in sorted(params.items()))
    slug = re.sub(r"[^A-Za-z0-9_.+=-]+", "-", raw).strip("-")
    if slug != raw or len(slug) > 48:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]
        slug = f"{slug[:40].rstrip('-_.+')}-{digest}"
    return f"{base}--{slug}"


def _first_heading(nb_json: dict) -> str | None:
    for cell in nb_json.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
            for line in src.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or None
            return None
    return None


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _code_sources(nb_json: dict) -> list[str]:
    out = []
    for cell in nb_json.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append("".join(src) if isinstance(src, list) else src)
    return out


def notebook_imports(nb_json: dict) -> list[str]:
    """Modules a notebook imports (absolute imports found anywhere in its code cells), in order."""
    mods: list[str] = []
    for src in _code_sources(nb_json):
        # IPython magics and shell escapes are not Python: blank them out before parsing
        lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines()]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module != "__future__":
                mods.append(node.module)
                mods += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    seen: dict[str, None] = {}
    for m in mods:
        seen.setdefault(m, None)
    return list(seen)


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


@dataclass
class Job:
    """One report to build: a notebook and the parameters that differ from its defaults."""

    notebook: Path
    name: str  # notebook name as listed (sample, teaching/intro)
    params: dict[str, Any]  # normalised, only the values that differ from the defaults
    effective: dict[str, Any]  # every declared parameter with the value the report uses
    title: str
    stem: str
    show_input: bool = False
    modules: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{self.stem}.html"


def make_job(notebook: str | os.PathLike, params: Mapping[str, Any] | None = None, *, title: str | None = None,
             folder: Path | None = None, show_input: bool | None = None, where: str = "") -> Job:
    """Resolve a notebook and check its parameters (raises ReportError / ParameterError before anything runs)."""
    folder = Path(folder or NOTEBOOKS)
    path = find_notebook(notebook, folder)
    try:
        given = check(dict(params or {}), notebook=path)
    except ParameterError as exc:
        raise ParameterError(f"{where}{exc}") from None
    decl = declared(path)
    defaults = {}
    for n, d in decl.items():
        try:
            defaults[n] = d.spec.coerce(d.default) if d.default is not None else None
        except Exception:
            defaults[n] = d.default
    changed = {k: v for k, v in given.items() if k not in defaults or defaults[k] != v}
    effective = {**defaults, **given}
    nb_json = _read_json(path)
    name = _display_name(path, folder)
    if show_input is None:  # a notebook may declare `hide_input = False` to show its code in reports
        show_input = effective.get("hide_input") is False
    heading = _first_heading(nb_json) or name
    if title is None:
        title = heading if not changed else f"{heading} ({', '.join(f'{k}={_slug_text(v)}' for k, v in changed.items())})"
    return Job(notebook=path, name=name, params=changed, effective=effective, title=title,
               stem=report_stem(name, changed), show_input=bool(show_input), modules=notebook_imports(nb_json))


# ---------------------------------------------------------------------------------------------
# Batch file
# ---------------------------------------------------------------------------------------------


@dataclass
class BatchEntry:
    notebook: str
    parameters: dict[str, Any]
    title: str | None
    where: str


def load_batch(path: str | os.PathLike) -> tuple[list[BatchEntry], Path]:
    """The entries of a batch file and the folder notebook names are relative to (the file's folder)."""
    from .yamlfile import YamlFileError, read_yaml

    path = Path(path)
    try:
        doc = read_yaml(path, "batch file")
    except YamlFileError as exc:
        raise ReportError(str(exc)) from None
    doc = doc or {}
    if not isinstance(doc, dict):
        raise ReportError(f"{path}: expected a mapping with 'reports' (a list) and 'all_notebooks' (true/false)")
    unknown = set(doc) - {"reports", "all_notebooks", "exclude"}
    if unknown:
        raise ReportError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"allowed: all_notebooks, exclude, reports")
    folder = path.parent
    entries: list[BatchEntry] = []
    reports = doc.get("reports") or []
    if not isinstance(reports, list):
        raise ReportError(f"{path}: 'reports' must be a list of {{notebook, parameters, title}}")
    for i, item in enumerate(reports, 1):
        where = f"{path.name}, report {i}: "
        if isinstance(item, str):
            item = {"notebook": item}
        if not isinstance(item, dict) or "notebook" not in item:
            raise ReportError(f"{where}expected a mapping with a 'notebook' key, got {item!r}")
        bad = set(item) - {"notebook", "parameters", "title"}
        if bad:
            raise ReportError(f"{where}unknown key(s) {', '.join(sorted(map(str, bad)))}; allowed: notebook, parameters, title")
        params = item.get("parameters") or {}
        if not isinstance(params, dict):
            raise ReportError(f"{where}'parameters' must be a mapping of names to values")
        entries.append(BatchEntry(str(item["notebook"]), params, item.get("title"), where))
    all_nb = doc.get("all_notebooks", False)
    if not isinstance(all_nb, bool):
        raise ReportError(f"{path}: 'all_notebooks' must be true or false")
    exclude = doc.get("exclude") or []
    if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
        raise ReportError(f"{path}: 'exclude' must be a list of notebook names")
    known = set(list_notebooks(folder))
    for name in exclude:
        if name not in known:
            raise ReportError(f"{path}: exclude: unknown notebook {name!r}; the notebooks are: {', '.join(sorted(known))}")
    if all_nb:
        for name in list_notebooks(folder, recursive=False):
            if name not in exclude:
                entries.append(BatchEntry(name, {}, None, f"{path.name}, all_notebooks ({name}): "))
    return entries, folder


def _jobs_from_batch(batch_file: Path, only: Sequence[str] | None, show_input: bool | None) -> tuple[list[Job], list[Job]]:
    """(all jobs of the batch, the ones selected by `only`); every entry checked before anything runs."""
    entries, folder = load_batch(batch_file)
    jobs: list[Job] = []
    problems: list[str] = []
    seen: dict[tuple, Job] = {}
    for e in entries:
        try:
            job = make_job(e.notebook, e.parameters, title=e.title, folder=folder, show_input=show_input, where=e.where)
        except (ReportError, ParameterError) as exc:
            msg = str(exc)
            problems.append(msg if msg.startswith(e.where) else f"{e.where}{msg}")
            continue
        key = (str(job.notebook), json.dumps(job.params, sort_keys=True, default=str))
        if key in seen:
            continue  # the same report listed twice (e.g. explicitly and by all_notebooks): build it once
        seen[key] = job
        jobs.append(job)
    if problems:
        raise ReportError("\n".join(problems))
    stems: dict[str, Job] = {}
    for j in jobs:
        if j.stem in stems:
            raise ReportError(f"{batch_file.name}: two reports would both be written to {j.file}")
        stems[j.stem] = j
    selected = jobs
    if only:
        wanted = set(only)
        selected = [j for j in jobs if j.name in wanted or j.stem in wanted or j.notebook.stem in wanted]
        missing = [w for w in only if not any(w in (j.name, j.stem, j.notebook.stem) for j in jobs)]
        if missing:
            names = sorted({j.name for j in jobs})
            raise ReportError(f"--only {', '.join(missing)}: not in {batch_file.name}; its notebooks are: {', '.join(names) or '(none)'}")
    return jobs, selected


# ---------------------------------------------------------------------------------------------
# Kernels: started ahead of need, over IPC, in a background event loop
# ---------------------------------------------------------------------------------------------


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
        code = "import sys; from rekit.reports import _zygote_main; _zygote_main(sys.argv[1], sys.argv[2:])"
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


def _preload() -> None:
    """Import what the worker threads use, once, in the calling thread: concurrent first imports of the
    same modules from several threads can fail (plotly's optional imports report a KeyError)."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    from jupyter_client.manager import AsyncKernelManager  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401

    from . import render  # noqa: F401

    _register_engine()


def _register_engine() -> str:
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


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
{%- if resources.rekit_plotly %}
<script src="{{ resources.rekit_plotly }}"></script>
{%- endif %}
{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block notebook_css -%}
<link rel="stylesheet" href="{{ resources.rekit_css }}">
{%- endblock notebook_css -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}
{{ super() }}
{{ resources.rekit_header }}
{%- endblock body_header -%}
"""

_CSS_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block header -%}{{ self.notebook_css() }}{%- endblock header -%}
{%- block body -%}{%- endblock body -%}
{%- block footer -%}{%- endblock footer -%}
"""

_HEADER_CSS = """
.rekit-report-header { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; color: #444;
  border-bottom: 1px solid #ddd; margin: 0 0 12px 0; padding: 8px 12px; background: #fafafa; }
.rekit-report-header a { color: #1565c0; }
.rekit-report-header table { border-collapse: collapse; margin-top: 4px; }
.rekit-report-header td { padding: 1px 10px 1px 0; vertical-align: top; font-family: var(--jp-code-font-family, monospace); }
.rekit-report-header td.changed { font-weight: bold; }
.rekit-report-header .rekit-built { color: #777; }
"""

_local = threading.local()


def _exporter(show_input: bool):
    """An HTMLExporter for this thread (nbconvert objects are not shared between threads)."""
    cache = getattr(_local, "exporters", None)
    if cache is None:
        cache = _local.exporters = {}
    if show_input not in cache:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        c = Config()
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
        c.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input", "hide-input", "hide_input"}
        c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
        ex = HTMLExporter(config=c, template_name="lab",
                          extra_loaders=[DictLoader({"rekit_report.html.j2": _TEMPLATE})],
                          template_file="rekit_report.html.j2")
        ex.exclude_input = not show_input
        ex.exclude_input_prompt = not show_input
        ex.exclude_output_prompt = not show_input
        cache[show_input] = ex
    return cache[show_input]


def lab_css() -> str:
    """The CSS nbconvert's `lab` template would inline in every page (light theme), plus the header's."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    import nbformat

    ex = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"rekit_css.j2": _CSS_TEMPLATE})],
                      template_file="rekit_css.j2")
    out, _ = ex.from_notebook_node(nbformat.v4.new_notebook())
    styles = re.findall(r"<style[^>]*>(.*?)</style>", out, flags=re.S)
    return "\n".join(s.strip() for s in styles) + "\n" + _HEADER_CSS


_EXTERNAL = r"""["']?\s*((?:https?:)?//[^"'\s>]+)"""
_SCRIPT_RE = re.compile(r"<script\b[^>]*\bsrc\s*=\s*" + _EXTERNAL + r"""[^>]*>\s*</script\s*>""", re.I)
_LINK_RE = re.compile(r"<link\b[^>]*\bhref\s*=\s*" + _EXTERNAL + r"[^>]*>", re.I)
_EMBED_RE = re.compile(r"<(img|iframe)\b[^>]*\bsrc\s*=\s*" + _EXTERNAL + r"[^>]*>(?:\s*</iframe\s*>)?", re.I)
_IMPORT_RE = re.compile(r"@import\s+(?:url\()?\s*" + _EXTERNAL + r"[^;]*;", re.I)


def make_offline(page: str) -> tuple[str, list[str]]:
    """Remove what would make a browser fetch from the web (scripts, stylesheets, images, frames, @import);
    returns the page and the URLs removed. Images and frames become links (they are content)."""
    removed: list[str] = []

    def drop(m: re.Match) -> str:
        removed.append(m.group(1))
        return ""

    def to_link(m: re.Match) -> str:
        url = m.group(2)
        removed.append(url)
        return f'<a href="{html.escape(url)}">[{m.group(1).lower()}: {html.escape(url)}]</a>'

    page = _SCRIPT_RE.sub(drop, page)
    page = _LINK_RE.sub(lambda m: drop(m) if re.search(r"rel\s*=\s*[\"']?(stylesheet|preload|modulepreload|icon|prefetch|dns-prefetch|preconnect)", m.group(0), re.I) else m.group(0), page)
    page = _EMBED_RE.sub(to_link, page)
    page = _IMPORT_RE.sub(drop, page)
    return page, removed


_WIDGET = "application/vnd.jupyter.widget-view+json"


def _prepare_outputs(nb) -> tuple[bool, int]:
    """Give plotly outputs that lack one a text/html rendering (a notebook that did not import
    rekit.render); returns (whether the notebook shows a plotly figure, how many widget outputs
    it has: a static page cannot show those)."""
    from .render import MIME, figure_html

    any_fig = False
    widgets = 0
    counts: dict[str, int] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if _WIDGET in data:
                widgets += 1
            if MIME in data:
                any_fig = True
                if "text/html" not in data:
                    text = json.dumps(data[MIME], sort_keys=True)
                    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
                    counts[digest] = counts.get(digest, 0) + 1
                    div = f"rekit-{digest}" + (f"-{counts[digest]}" if counts[digest] > 1 else "")
                    data["text/html"] = figure_html(text, div)
            elif "rekit-figure" in str(data.get("text/html", "")):
                any_fig = True
    return any_fig, widgets


def _value_text(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)


def _header(job: Job, built: str, index_link: bool, note: str = "") -> str:
    rows = "".join(
        f'<tr><td>{html.escape(k)}</td><td class="{"changed" if k in job.params else ""}">{html.escape(_value_text(v))}</td></tr>'
        for k, v in job.effective.items()
    )
    link = f'<a href="{INDEX}">All reports</a> · ' if index_link else ""
    params = f"<table>{rows}</table>" if rows else "<div>no parameters</div>"
    extra = f"<div><strong>{html.escape(note)}</strong></div>" if note else ""
    return (f'<header class="rekit-report-header">{extra}<div>{link}notebook <code>{html.escape(job.name)}</code> · '
            f'<span class="rekit-built">built {html.escape(built)}</span></div>{params}</header>')


def to_html(nb, job: Job, *, show_input: bool, built: str, index_link: bool = False, note: str = "") -> tuple[str, list[str]]:
    """Render an executed notebook as an offline report page; returns (html, warnings)."""
    has_fig, widgets = _prepare_outputs(nb)
    nb.metadata["title"] = job.title
    resources = {
        "metadata": {"name": job.title, "path": str(job.notebook.parent)},
        "rekit_plotly": "plotly.min.js" if has_fig else "",
        "rekit_css": CSS_NAME,
        "rekit_header": _header(job, built, index_link, note),
    }
    page, _ = _exporter(show_input).from_notebook_node(nb, resources=resources)
    page, removed = make_offline(page)
    warnings = [f"{job.file}: removed a reference to {u} (reports must work offline)" for u in removed]
    if widgets:
        warnings.append(f"{job.file}: {widgets} interactive widget output{'s' if widgets > 1 else ''} cannot be shown "
                        f"in a static report (they need a running kernel)")
    return page, warnings


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once, at import (os.umask is process-wide and not thread-safe to probe later)


def _write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then move it into place: readers (and a failed run)
    never see or leave a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def prepare_out(out_dir: str | os.PathLike) -> Path:
    """Create the output folder if needed and make sure we can write into it (ReportError if not)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".rekit-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReportError(f"cannot write reports to {out}: {reason}") from None
    return out.resolve()


def write_assets(out_dir: Path) -> None:
    """plotly.min.js and the page CSS, once per folder (rewritten only when they change)."""
    from .render import write_plotlyjs

    write_plotlyjs(out_dir)
    css = lab_css()
    dest = out_dir / CSS_NAME
    try:
        if dest.read_text(encoding="utf-8") == css:
            return
    except OSError:
        pass
    _write_atomic(dest, css)


def _load_manifest(out_dir: Path) -> dict[str, dict]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_manifest(out_dir: Path, manifest: dict[str, dict]) -> None:
    _write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True, default=str))


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


@dataclass
class ReportResult:
    job: Job
    status: str  # "ok" or "failed"
    seconds: float
    built: str
    path: Path | None = None  # the report (ok) or the last good report kept (failed), if any
    error: str | None = None  # "ValueError: supply went negative in 2031"
    where: str | None = None  # "cell In [4]"
    failed_page: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe_failure(self) -> str:
        where = f" in {self.where}" if self.where else ""
        keep = f"; the last good report is kept: {self.path}" if self.path else "; there is no earlier good report"
        return f"notebook {self.job.name!r}{_params_suffix(self.job)} failed{where}: {self.error}{keep}"


def _params_suffix(job: Job) -> str:
    return f" ({', '.join(f'{k}={_slug_text(v)}' for k, v in job.params.items())})" if job.params else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _now() -> str:
    return _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _execute_job(job: Job, kernel: concurrent.futures.Future, kernels: Kernels, out_dir: Path, tmp_dir: Path,
                 *, timeout: float | None, index_link: bool, keep_ipynb: bool, on_start=None) -> ReportResult:
    """Run one job with its (pre-started) kernel; never raises for a notebook's failure."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    engine = _register_engine()
    built = _now()
    dest = out_dir / job.file
    failed_dest = out_dir / f"{job.stem}.failed.html"
    executed = tmp_dir / f"{job.stem}.ipynb"
    km = None
    t0 = time.perf_counter()
    try:
        try:
            km = kernel.result()
        finally:
            if on_start:
                on_start()
        t0 = time.perf_counter()
        nb = pm.execute_notebook(
            str(job.notebook), str(executed), parameters=dict(job.params), engine_name=engine,
            kernel_name=kernels.kernel_name, progress_bar=False, request_save_on_cell_execute=False,
            execution_timeout=timeout, start_timeout=kernels.startup_timeout, km=km,
        )
        kernels.stop(km)
        km = None
        page, warns = to_html(nb, job, show_input=job.show_input, built=built, index_link=index_link)
        _write_atomic(dest, page)
        if keep_ipynb:
            _write_atomic(out_dir / f"{job.stem}.ipynb", nbformat.writes(nb))
        if failed_dest.exists():
            failed_dest.unlink()
        return ReportResult(job, "ok", time.perf_counter() - t0, built, path=dest, warnings=warns)
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}".rstrip(": ")
        where = f"cell In [{exc.exec_count}]" if exc.exec_count is not None else None
    except Exception as exc:  # kernel died, could not start, timeout, export failed...
        error = f"{type(exc).__name__}: {_ANSI.sub('', str(exc)).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(": ")
        where = None
    finally:
        if km is not None:
            kernels.stop(km)
    seconds = time.perf_counter() - t0
    failed_page = None
    if executed.exists():
        try:
            nb = nbformat.read(executed, as_version=4)
            note = f"FAILED: {error}" + (f" ({where})" if where else "")
            page, _ = to_html(nb, job, show_input=True, built=built, index_link=index_link, note=note)
            _write_atomic(failed_dest, page)
            failed_page = failed_dest
        except Exception:
            failed_page = None
    return ReportResult(job, "failed", seconds, built, path=dest if dest.exists() else None,
                        error=error, where=where, failed_page=failed_page)


def _record(manifest: dict, r: ReportResult) -> None:
    prev = manifest.get(r.job.stem, {})
    entry = {
        "notebook": r.job.name, "title": r.job.title, "parameters": r.job.params, "effective": r.job.effective,
        "status": r.status, "seconds": round(r.seconds, 2), "built": r.built, "error": r.error, "where": r.where,
        "last_good": r.built if r.ok else prev.get("last_good"),
    }
    manifest[r.job.stem] = entry


def run_one(notebook: str | os.PathLike, params: Mapping[str, Any] | None = None, out_dir: str | os.PathLike | None = None,
            *, show_input: bool | None = None, title: str | None = None, timeout: float | None = DEFAULT_TIMEOUT,
            kernel_name: str = KERNEL, keep_ipynb: bool = False, folder: Path | None = None,
            warm: bool = True) -> ReportResult:
    """Build one report. Raises ReportError / ParameterError (nothing run, nothing written) for bad input;
    returns a ReportResult whose status says whether the notebook ran (a failed one keeps the last good page)."""
    kernels = Kernels(kernel_name, fork=warm)  # first: the fork server preloads while we check the input
    try:
        job = make_job(notebook, params, title=title, folder=folder, show_input=show_input)
        out = prepare_out(out_dir or REPORTS)
        fut = kernels.start(job.notebook.parent, warm_code(job.modules) if warm else "")
        _preload()
        write_assets(out)
        with tempfile.TemporaryDirectory(prefix="rekit-run-") as tmp:
            result = _execute_job(job, fut, kernels, out, Path(tmp), timeout=timeout,
                                  index_link=(out / INDEX).exists(), keep_ipynb=keep_ipynb)
    finally:
        kernels.close()
    manifest = _load_manifest(out)
    _record(manifest, result)
    _save_manifest(out, manifest)
    return result


@dataclass
class BatchResult:
    results: list[ReportResult]
    index: Path
    seconds: float

    @property
    def failures(self) -> list[ReportResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


def run_batch(batch_file: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None,
              jobs: int | None = None, only: Sequence[str] | str | None = None, *, show_input: bool | None = None,
              timeout: float | None = DEFAULT_TIMEOUT, kernel_name: str = KERNEL, progress: bool = True,
              keep_ipynb: bool = False, warm: bool = True, ahead: int | None = None) -> BatchResult:
    """Build every report of a batch file in parallel and write index.html.

    Every entry is checked first (ReportError / ParameterError: nothing runs). `jobs` workers
    (default: the number of cores) each execute one notebook at a time; `ahead` more kernels
    (default: `jobs`) are started and warmed while they do."""
    t_start = time.perf_counter()
    batch = Path(batch_file or BATCH)
    if isinstance(only, str):
        only = [only]
    kernels = Kernels(kernel_name, fork=warm)  # first: the fork server preloads while we check the batch
    try:
        all_jobs, selected = _jobs_from_batch(batch, only, show_input)
        out = prepare_out(out_dir or REPORTS)
    except BaseException:
        kernels.close()
        raise
    workers = max(1, int(jobs or os.cpu_count() or 1))
    ahead = workers if ahead is None else max(0, ahead)
    results: list[ReportResult] = []
    lock = threading.Lock()
    futures: dict[int, concurrent.futures.Future] = {}
    next_start = 0

    def start_next() -> None:
        nonlocal next_start
        with lock:
            if next_start < len(selected):
                j = selected[next_start]
                futures[next_start] = kernels.start(j.notebook.parent, warm_code(j.modules) if warm else "")
                next_start += 1

    try:
        for _ in range(min(len(selected), workers + ahead)):
            start_next()
        _preload()  # while the first kernels start
        write_assets(out)
        from tqdm.auto import tqdm

        bar = tqdm(total=len(selected), desc="reports", unit="report", disable=not progress or not selected,
                   dynamic_ncols=True)
        with tempfile.TemporaryDirectory(prefix="rekit-batch-") as tmp, \
                concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rekit-report") as pool:
            def work(i: int) -> ReportResult:
                return _execute_job(selected[i], futures[i], kernels, out, Path(tmp), timeout=timeout,
                                    index_link=True, keep_ipynb=keep_ipynb, on_start=start_next)

            running = {pool.submit(work, i): i for i in range(len(selected))}
            try:
                for fut in concurrent.futures.as_completed(running):
                    r = fut.result()
                    results.append(r)
                    bar.set_postfix_str(f"{r.job.stem}: {r.status}", refresh=False)
                    bar.update(1)
            except BaseException:  # Ctrl-C: drop what has not started, kill the kernels so the rest ends now
                for f in running:
                    f.cancel()
                kernels.close(timeout=5)
                raise
            finally:
                bar.close()
    finally:
        kernels.close()
    order = {j.stem: k for k, j in enumerate(selected)}
    results.sort(key=lambda r: order[r.job.stem])
    manifest = _load_manifest(out)
    for r in results:
        _record(manifest, r)
    _save_manifest(out, manifest)
    index = write_index(out, all_jobs, {r.job.stem: r for r in results}, manifest)
    return BatchResult(results, index, time.perf_counter() - t_start)


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------

_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px 0; } .sub { color: #666; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e3e3e3; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; } td.params { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; white-space: pre-wrap; }
.changed { font-weight: bold; } .ok { color: #1b5e20; font-weight: 600; } .failed { color: #b71c1c; font-weight: 600; }
.notrun { color: #777; } td.built { white-space: nowrap; font-size: 12px; } .err { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; color: #b71c1c; white-space: pre-wrap; }
a { color: #1565c0; } .num { text-align: right; white-space: nowrap; }
"""


def write_index(out_dir: Path, jobs: Sequence[Job], results: Mapping[str, ReportResult], manifest: Mapping[str, dict]) -> Path:
    """index.html: every report of the batch with its parameters, status, run time and, for a failure,
    the notebook's error and links to the last good report and to the failed run."""
    e = html.escape
    rows = []
    n_ok = n_failed = n_other = 0
    for job in jobs:
        r = results.get(job.stem)
        rec = manifest.get(job.stem, {})
        exists = (out_dir / job.file).exists()
        params = "\n".join(
            f'<span class="{"changed" if k in job.params else ""}">{e(k)} = {e(_value_text(v))}</span>'
            for k, v in job.effective.items()) or "(no parameters)"
        if r is not None:
            status, seconds, built, error, where = r.status, f"{r.seconds:.1f} s", r.built, r.error, r.where
        elif rec:
            status, seconds, built = rec.get("status", "?"), f"{rec.get('seconds', 0):.1f} s", rec.get("built", "")
            error, where = rec.get("error"), rec.get("where")
        else:
            status, seconds, built, error, where = "not built", "", "", None, None
        fresh = r is not None
        if status == "ok":
            n_ok += 1
        elif status == "failed":
            n_failed += 1
        else:
            n_other += 1
        link = f'<a href="{e(job.file)}">{e(job.title)}</a>' if exists and status == "ok" else e(job.title)
        details = ""
        if status == "failed":
            details = f'<div class="err">{e(error or "failed")}{e(" (" + where + ")") if where else ""}</div>'
            if exists:
                lg = rec.get("last_good")
                details += f'<div>last good report: <a href="{e(job.file)}">{e(job.file)}</a>{e(" (built " + lg + ")") if lg else ""}</div>'
            else:
                details += "<div>no earlier good report</div>"
            if (out_dir / f"{job.stem}.failed.html").exists():
                details += f'<div><a href="{e(job.stem)}.failed.html">the failed run, with its code</a></div>'
        if not fresh and status in ("ok", "failed"):
            details += '<div class="notrun">not rebuilt in the last run</div>'
        cls = {"ok": "ok", "failed": "failed"}.get(status, "notrun")
        rows.append(
            f"<tr><td>{link}<div><code>{e(job.file)}</code></div></td><td><code>{e(job.name)}</code></td>"
            f'<td class="params">{params}</td><td class="{cls}">{e(status)}</td><td class="num">{e(seconds)}</td>'
            f'<td class="built">{e(built)}</td><td>{details}</td></tr>'
        )
    summary = f"{n_ok} ok, {n_failed} failed" + (f", {n_other} not built" if n_other else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>rekit reports</title><style>{_INDEX_CSS}</style></head>
<body><h1>rekit reports</h1><div class="sub">{e(summary)} · index written {e(_now())}</div>
<table><thead><tr><th>Report</th><th>Notebook</th><th>Parameters (bold: not the default)</th><th>Status</th>
<th>Run time</th><th>Built</th><th>Details</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    dest = out_dir / INDEX
    _write_atomic(dest, page)
    return dest
