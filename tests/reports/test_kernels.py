"""The kernel pool and its fork server, with real kernels (no mocks): start, run, fail, interrupt, shut down.

Each test starts kernels from a kernel spec written to a temporary Jupyter path whose interpreter is
this one, so the fork server applies (on Linux) whichever environment the ``rekit`` spec points at.
Both ways of starting are tested: forked from the server, and the usual way (``fork=False``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client import BlockingKernelClient

from rekit.reports.kernels import Kernels, preload_modules, register_engine, warm_code
from rekit.reports.kernels.forkserver import ForkServer, fork_provisioner

SPEC = "rekit-kernel-test"
FORKS = sys.platform.startswith("linux")
WAIT = 120  # seconds allowed for a kernel to answer on a busy machine (a limit, not a measurement)


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory):
    """A kernel spec named SPEC that runs this interpreter, first on JUPYTER_PATH while the module runs."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / SPEC
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "rekit kernel test", "language": "python",
    }))
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(root), *([before] if before else [])])
    yield root
    if before is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = before


@pytest.fixture(scope="module", params=[True, False], ids=["forked", "usual"])
def kernels(request, jupyter_path):
    pool = Kernels(SPEC, fork=request.param)
    yield pool
    pool.close()


def client(km) -> BlockingKernelClient:
    kc = BlockingKernelClient()
    kc.load_connection_info(km.get_connection_info())
    kc.start_channels()
    kc.wait_for_ready(timeout=WAIT)
    return kc


def run(kc: BlockingKernelClient, code: str) -> tuple[dict, str]:
    """Execute `code`; (the execute reply's content, everything it printed)."""
    printed: list[str] = []

    def hook(msg):
        if msg["header"]["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=WAIT, output_hook=hook)
    return reply["content"], "".join(printed)


def on_loop(pool: Kernels, coro):
    """Run a kernel manager's coroutine on the pool's own event loop (where its managers live)."""
    return asyncio.run_coroutine_threadsafe(coro, pool.loop).result(WAIT)


def test_a_kernel_starts_warm_in_its_folder_and_runs_code(kernels, tmp_path):
    km = kernels.start(tmp_path, warm_code(["json", "no_such_module_here"]) + "warmed = 6\n").result(WAIT)
    kc = client(km)
    try:
        reply, printed = run(kc, "import os, sys\nprint(warmed * 7, os.getcwd(), 'json' in sys.modules)")
        assert reply["status"] == "ok"
        assert reply["execution_count"] == 1  # the warm-up code ran silently, outside the history
        assert printed.split() == ["42", str(tmp_path), "True"]  # 6 * 7 = 42
        reply, printed = run(kc, "print(os.getpid(), os.getppid())")
        pid, ppid = map(int, printed.split())
        if kernels.fork_server is not None:  # forked: the server's child; jupyter_client's process is the launcher
            assert ppid == kernels.fork_server.proc.pid and pid != km.provisioner.pid
            assert isinstance(km.provisioner, fork_provisioner())
        else:  # the usual way: jupyter_client's process is the kernel
            assert pid == km.provisioner.pid
    finally:
        kc.stop_channels()
        kernels.stop(km)


def test_the_fork_server_is_used_where_it_applies(kernels):
    assert (kernels.fork_server is not None) == (FORKS and kernels.fork)


def test_a_failing_cell_gives_its_error(kernels, tmp_path):
    km = kernels.start(tmp_path).result(WAIT)
    kc = client(km)
    try:
        reply, _ = run(kc, "raise ValueError('supply went negative in 2031')")
        assert reply["status"] == "error"
        assert (reply["ename"], reply["evalue"]) == ("ValueError", "supply went negative in 2031")
        reply, printed = run(kc, "print(1 + 1)")  # the kernel goes on
        assert reply["status"] == "ok" and printed.strip() == "2"
    finally:
        kc.stop_channels()
        kernels.stop(km)


def test_a_failing_notebook_raises_through_the_engine(kernels, tmp_path):
    """The papermill engine runs a notebook on a pool kernel; a failing cell raises with its error."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    preload_modules()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 2"),
                                         nbformat.v4.new_code_cell("assert x == 3, f'x is {x}'")])
    src = tmp_path / "fails.ipynb"
    nbformat.write(nb, src)
    km = kernels.start(tmp_path).result(WAIT)
    try:
        with pytest.raises(PapermillExecutionError) as exc:
            pm.execute_notebook(str(src), str(tmp_path / "out.ipynb"), engine_name=register_engine(),
                                kernel_name=SPEC, progress_bar=False, km=km)
        assert exc.value.ename == "AssertionError" and exc.value.evalue == "x is 2"
        assert exc.value.exec_count == 2
    finally:
        kernels.stop(km)


def test_interrupt_stops_a_long_cell_and_the_kernel_survives(kernels, tmp_path):
    km = kernels.start(tmp_path).result(WAIT)
    kc = client(km)
    try:
        msg_id = kc.execute("import time\nprint('started', flush=True)\ntime.sleep(600)")
        while True:  # wait until the cell is running, so the interrupt hits the sleep
            msg = kc.get_iopub_msg(timeout=WAIT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["header"]["msg_type"] == "stream":
                break
        on_loop(kernels, km.interrupt_kernel())  # SIGINT, through the launcher when forked
        while True:
            reply = kc.get_shell_msg(timeout=WAIT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        reply, printed = run(kc, "print('still here')")
        assert reply["status"] == "ok" and printed.strip() == "still here"
        assert on_loop(kernels, km.is_alive())
    finally:
        kc.stop_channels()
        kernels.stop(km)


def test_closing_the_pool_leaves_no_process_behind(jupyter_path, tmp_path):
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    pool = Kernels(SPEC, fork=FORKS)
    kms = [pool.start(tmp_path).result(WAIT) for _ in range(2)]
    kernel_pids = []
    for km in kms:
        kc = client(km)
        try:
            kernel_pids.append(int(run(kc, "import os; print(os.getpid())")[1]))
        finally:
            kc.stop_channels()
    launchers = [km.provisioner.pid for km in kms]
    server = pool.fork_server.proc.pid if pool.fork_server is not None else None
    started = {p.pid for p in me.children(recursive=True)} - before
    assert set(launchers) <= started and (server is None or server in started)
    pool.stop(kms[0])  # one stopped on its own, the other by close()
    pool.close()
    gone = psutil.wait_procs([p for p in map(_process, [*kernel_pids, *launchers, server]) if p], timeout=WAIT)[1]
    assert not gone, f"still running after close: {gone}"
    left = {p.pid for p in me.children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE} - before
    assert not left, f"processes left behind: {left}"
    assert not Path(pool.folder).exists()


def test_a_kernel_leads_its_session_and_its_children_end_with_it(kernels, tmp_path):
    """What a notebook starts is in its kernel's process group (the kernel leads its own session,
    forked or not), so stopping the kernel kills it too, even a child of a shell that exited."""
    km = kernels.start(tmp_path).result(WAIT)
    kc = client(km)
    try:
        reply, printed = run(kc, "import os, subprocess\n"
                                 "child = subprocess.Popen(['sleep', '600'])\n"
                                 "os.system('sleep 600 & echo $! > shell.pid')\n"
                                 "import pathlib\n"
                                 "print(os.getpid(), os.getsid(0), os.getpgid(0), child.pid, pathlib.Path('shell.pid').read_text())")
        assert reply["status"] == "ok"
        pid, sid, pgid, child, shell = map(int, printed.split())
        assert sid == pid and pgid == pid  # a session leader, hence the leader of its group
        assert os.getpgid(child) == pid and os.getpgid(shell) == pid
    finally:
        kc.stop_channels()
        kernels.stop(km)
    gone = psutil.wait_procs([p for p in map(_process, [pid, child, shell]) if p], timeout=WAIT)[1]
    assert not [p for p in gone if p.status() != psutil.STATUS_ZOMBIE], f"still running after the kernel stopped: {gone}"


def test_closing_the_pool_now_kills_a_busy_kernel_and_its_children(jupyter_path, tmp_path):
    """After a signal the runner closes the pool with `now`: no polite shutdown of a kernel that is
    running a cell, no waiting for start-ups; the kernel, its child and the fork server are gone."""
    pool = Kernels(SPEC, fork=FORKS)
    km = pool.start(tmp_path).result(WAIT)
    kc = client(km)
    try:
        pid, child = map(int, run(kc, "import os, subprocess\nchild = subprocess.Popen(['sleep', '600'])\n"
                                      "print(os.getpid(), child.pid)")[1].split())
        kc.execute("import time\ntime.sleep(600)")  # busy: a polite shutdown would wait for it
    finally:
        kc.stop_channels()
    pool.start(tmp_path)  # a start-up that may still be in progress when the pool closes
    server = pool.fork_server.proc.pid if pool.fork_server is not None else None
    pool.close(timeout=60, now=True)
    procs = [p for p in map(_process, [pid, child, server]) if p]
    gone = psutil.wait_procs(procs, timeout=WAIT)[1]
    assert not [p for p in gone if p.status() != psutil.STATUS_ZOMBIE], f"still running after close(now=True): {gone}"
    assert not Path(pool.folder).exists()


def _process(pid):
    if pid is None:
        return None
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def test_the_launcher_command_replaces_only_ipykernel_launcher():
    server = ForkServer(proc=None, sock="/tmp/x.sock")
    cmd = server.launch_command(["/py", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"])
    assert cmd[:3] == [sys.executable, "-I", "-S"] and cmd[-3:] == ["/tmp/x.sock", "-f", "k.json"]
    other = ["/py", "-m", "other_kernel", "-f", "k.json"]
    assert server.launch_command(other) == other
