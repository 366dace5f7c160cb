"""A real local Dask cluster for the tests of rekit.run: a `dask scheduler` and `dask worker`
processes on 127.0.0.1, each in its own process group (the `cluster` fixture in conftest.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path


DASK = Path(sys.executable).with_name("dask")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process's group, then SIGKILL it if it is still there after 10 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


class Cluster:
    """A real Dask scheduler and workers on 127.0.0.1, each its own process group."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def start(self, proc_args: list[str], log: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        out = open(self.tmp / log, "wb")
        p = subprocess.Popen([str(DASK), *proc_args], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                             start_new_session=True, env={**os.environ, **(env or {})})
        self.procs.append(p)
        return p

    def scheduler(self) -> None:
        self.start(["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"], "scheduler.log")

    def worker(self, env: dict[str, str] | None = None) -> subprocess.Popen:
        p = self.start(["worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                        "--host", "127.0.0.1", "--death-timeout", "60"], f"worker{len(self.workers)}.log", env)
        self.workers.append(p)
        return p

    def close(self) -> None:
        for p in reversed(self.procs):
            stop(p)
