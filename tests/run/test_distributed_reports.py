"""The report batch and the grading on a real Dask cluster (a `dask scheduler` and two `dask worker`
processes on 127.0.0.1): the same pages and gradebook as a local run, and a worker killed mid-batch.

The notebooks are copies of the fixtures (tests/fixtures/notebooks): `sample` (parameter n: a table
of the squares of 1..n and a chart) and `sleepy` (writes sleepy.started in its folder when its long
cell starts, then sleeps `seconds`)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import alive
from run.cluster import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
# what differs between two builds of the same report: the build time, and the kit's git commit (the
# working tree may be committed to while the test runs)
BUILT = re.compile(rb"built \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^<]*|commit:? (<code>)?[0-9a-f]{12,40}(\+dirty)?")
TWO = "reports:\n  - notebook: sample\n  - notebook: sample\n    parameters: {n: 4}\n"


def folder(tmp: Path, batch: str) -> Path:
    nbs = tmp / "nb"
    nbs.mkdir()
    for name in ("sample", "sleepy"):
        shutil.copy(FIXTURES / f"{name}.ipynb", nbs / f"{name}.ipynb")
    (nbs / "batch.yml").write_text(batch)
    return nbs


def reports(nbs: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "rekit.cli", "reports", "-q", "--batch", str(nbs / "batch.yml"), "--out", str(out), *args]
    environ = {k: v for k, v in os.environ.items() if k != "REKIT_SCHEDULER"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=nbs.parent,
                          env={**environ, "PYTHONPATH": str(ROOT), **(env or {})})


def pages(out: Path) -> dict[str, object]:
    """Every report file of a folder: pages and chart CSVs with the build time and commit blanked, and of
    each executed notebook its cells' sources and outputs (papermill records each cell's run times)."""
    import nbformat

    found: dict[str, object] = {}
    for p in sorted(out.iterdir()):
        if p.suffix == ".ipynb":
            found[p.name] = [(c.source, c.get("outputs")) for c in nbformat.read(p, as_version=4).cells]
        elif p.suffix in (".html", ".csv") and p.name not in ("index.html", "methods.html"):
            found[p.name] = BUILT.sub(b"", p.read_bytes())
    return found


def test_the_batch_on_a_dask_cluster_gives_the_local_pages_byte_for_byte(cluster, tmp_path):
    nbs = folder(tmp_path, TWO)
    local = reports(nbs, tmp_path / "local", "-j", "1")
    dask = reports(nbs, tmp_path / "dask", env={"REKIT_SCHEDULER": cluster.address})  # --scheduler: the next test
    for r in (local, dask):
        assert r.returncode == 0, r.stderr
        assert "built 2 reports" in r.stdout and "2 ok, 0 failed" in r.stdout
    one, two = (pages(tmp_path / d) for d in ("local", "dask"))
    # sample and sample--n-4: a page, one chart CSV and the executed notebook each
    assert sorted(one) == ["sample--n-4.chart-1.csv", "sample--n-4.html", "sample--n-4.ipynb",
                           "sample.chart-1.csv", "sample.html", "sample.ipynb"]
    assert one == two
    assert b"Squares of 1..4" in one["sample--n-4.html"]


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """A cluster of its own whose two workers keep their jobs' files in a short TMPDIR of their own, so
    each job's kernel is found by its connection file there; the tests below run in order on it."""
    import tempfile

    from run.cluster import DASK, Cluster

    if not DASK.exists():
        pytest.skip(f"no dask command at {DASK} (install the kit's dependencies)")
    tmp = Path(tempfile.mkdtemp(prefix="rkd-", dir="/tmp"))  # kernels' Unix sockets: a path of at most 107 bytes
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.scheduler()
        workers = [c.worker(env={"TMPDIR": str(tmp)}) for _ in range(2)]
        yield c, workers, tmp
    finally:
        c.close()
        shutil.rmtree(tmp, ignore_errors=True)
    assert all(p.poll() is not None for p in c.procs)


def start_batch(nbs: Path, out: Path, address: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rekit.cli", "reports", "-q", "--batch", str(nbs / "batch.yml"),
                             "--out", str(out), "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=nbs.parent, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)


def wait_started(proc: subprocess.Popen, nbs: Path) -> None:
    deadline = time.monotonic() + 240
    while not (nbs / "sleepy.started").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the sleepy cell never started"
        time.sleep(0.05)


def wait_gone(kernels: list[tuple[int, int]], limit: float = 30) -> list[tuple[int, int]]:
    deadline = time.monotonic() + limit
    while [k for k in kernels if alive(k[0])] and time.monotonic() < deadline:
        time.sleep(0.2)
    return [k for k in kernels if alive(k[0])]


def test_ctrl_c_stops_the_kernel_running_on_a_worker(watched, tmp_path):
    """Ctrl-C while `sleepy` (600 s) runs on a worker: the run exits 130 and the kernel on the worker is
    killed (the job watches the run's stop event), though the worker itself goes on."""
    c, workers, tmp = watched
    nbs = folder(tmp_path, "reports:\n  - notebook: sleepy\n    parameters: {seconds: 600}\n")
    proc = start_batch(nbs, tmp_path / "out", c.address)
    wait_started(proc, nbs)
    kernels = running_kernels(tmp)
    assert len(kernels) == 1
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "rekit: error: interrupted; reports already built are in place" in err and "Traceback" not in err
    assert wait_gone(kernels) == []
    assert all(w.poll() is None for w in workers)


def test_killing_a_worker_mid_batch_still_finishes_it(watched, tmp_path):
    """The worker running `sleepy` (8 s) is killed (SIGKILL) once the cell has started: Dask runs the
    job again on the other worker and the batch ends with every report built; the killed worker's
    kernel ends with it (no process is left with its connection file in the workers' TMPDIR)."""
    c, workers, tmp = watched
    nbs = folder(tmp_path, "reports:\n  - notebook: sleepy\n    parameters: {seconds: 8}\n  - notebook: sample\n")
    proc = start_batch(nbs, tmp_path / "out", c.address)
    wait_started(proc, nbs)
    kernels = running_kernels(tmp)
    assert len(kernels) >= 1
    # the worker whose job folder holds the sleepy kernel's connection file is its parent
    victim = next(w for w in workers if any(ppid == w.pid for _, ppid in kernels))
    os.killpg(victim.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "built 2 reports" in out and "2 ok, 0 failed" in out
    assert (tmp_path / "out" / "sleepy--seconds-8.html").exists() and (tmp_path / "out" / "sample.html").exists()
    assert wait_gone(kernels) == []  # ipykernel's parent poller ends an orphaned kernel within a second or two


def running_kernels(tmp: Path) -> list[tuple[int, int]]:
    """(pid, parent pid) of each live process whose command line names a file in `tmp` (a job's kernel)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if str(tmp).encode() + b"/" in cmd and stat[0] != "Z":
            found.append((int(pid), int(stat[1])))
    return found


def test_grading_on_a_dask_cluster_gives_the_local_gradebook(cluster, tmp_path):
    """A filled-in submission of notebook 02 (all four answers right: 2,900 t produced, 1,000 t
    exported, a share of 1,000 / 2,900 = 0.34, "at least") and a garbled file, graded on the cluster
    and locally: the same gradebook, 4 points for the first."""
    import nbformat

    from rekit.teaching import editions, grading

    teaching = ROOT / "notebooks" / "teaching"
    built = editions.build(tmp_path / "editions", teaching)
    nb = nbformat.read(next(p for p in built["student"] if p.stem == "02_export_share_yourself"), as_version=4)
    answers = {"answer_02_1": "2900", "answer_02_2": "1000", "answer_02_3": "0.34", "answer_02_4": '"at least"'}
    for cell in nb.cells:
        for var, value in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(f"{var} = None"):
                cell.source = f"{var} = {value}"
    right = tmp_path / "right.ipynb"
    nbformat.write(nb, right)
    garbled = tmp_path / "garbled.ipynb"
    garbled.write_text('{"cells": [', encoding="utf-8")
    local = grading.grade([right, garbled], notebooks=teaching, jobs=1)
    dask = grading.grade([right, garbled], notebooks=teaching, scheduler=cluster.address)
    pd.testing.assert_frame_equal(dask, local)
    assert local[local["student"] == "right"]["points"].sum() == 4
    assert list(local[local["student"] == "garbled"]["status"]) == ["broken"]
