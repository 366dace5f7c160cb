"""rekit.run: the executor interface on real local processes and on a real Dask cluster (a
`dask scheduler` and two `dask worker` processes on 127.0.0.1, started here and stopped in the
fixture's finaliser), and a chunked Sobol analysis on each, compared with one local run bit for bit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rekit.errors import FailedError, RekitError
from rekit.model.deals import load_deals
from rekit.model.sensitivity import sensitivity
from rekit.run.chunks import chunked
from rekit.run.executor import DaskExecutor, JobFailed, LocalExecutor, open_executor
from run.cluster import DASK, Cluster, free_port

ROOT = Path(__file__).resolve().parents[2]
# a small Sobol analysis: N = 32 gives 32 x (k + 2) rows; chunks of 100 rows make a dozen jobs or more
SOBOL = dict(deal="toll_japan", metric="self_sufficiency", years=(2024, 2030), n=32, seed=7)


@pytest.fixture(scope="module")
def book():
    from rekit.data.dataset import load

    return load_deals(ds=load())


@pytest.fixture(scope="module")
def local_table(book):
    """The analysis run here, in one go: what every chunked run must equal."""
    return sensitivity(book, **SOBOL)


def test_local_executor_map_submit_and_as_completed():
    with LocalExecutor(2) as ex:
        assert list(ex.map(pow, [2, 3, 10], [10, 2, 3])) == [1024, 9, 1000]  # 2^10, 3^2, 10^3
        futures = [ex.submit(divmod, 17, 5), ex.submit(divmod, 9, 3)]
        assert sorted(f.result() for f in ex.as_completed(futures)) == [(3, 0), (3, 2)]  # 9 = 3x3+0, 17 = 3x5+2


def test_a_dead_local_worker_fails_the_job_by_name():
    with LocalExecutor(1) as ex:
        with pytest.raises(JobFailed, match=r"^the report 'b' failed on 1 local process: its worker process died"):
            list(ex.map(os._exit, [3], names=["the report 'b'"]))  # the job ends its own process: the pool breaks


def test_interrupt_reaches_a_running_local_job():
    """`interrupt` sends SIGTERM to the worker processes: a job that does not catch it (a 600 s sleep)
    ends, and its future fails naming it; asked again until the worker, which starts on demand, is there."""
    import time

    with LocalExecutor(1) as ex:
        f = ex.submit(time.sleep, 600)
        deadline = time.monotonic() + 120
        while not f.running():  # handed to the worker: past cancelling
            assert time.monotonic() < deadline, "the job was never handed to a worker"
            time.sleep(0.05)
        while not f.done():
            assert time.monotonic() < deadline, "the job still runs 120 s after the first interrupt"
            ex.interrupt([f])
            time.sleep(0.5)
        with pytest.raises(JobFailed, match=r"^the sleep failed on 1 local process: its worker process died"):
            from rekit.run.executor import result_of

            result_of(f, "the sleep", ex.where)


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5])
def test_jobs_below_one_or_not_whole_is_refused(jobs):
    with pytest.raises(RekitError, match=rf"--jobs: {jobs!r} is not allowed; give a whole number >= 1"):
        LocalExecutor(jobs)


def test_jobs_and_scheduler_together_are_refused():
    with pytest.raises(RekitError, match="--scheduler tcp://127.0.0.1:1 and --jobs 2: give one"):
        open_executor(jobs=2, scheduler="tcp://127.0.0.1:1")


def test_a_scheduler_that_does_not_answer_is_named():
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(FailedError, match=rf"the Dask scheduler at {address} did not answer within 2 s"):
        DaskExecutor(address, connect_timeout=2)


def test_a_scheduler_address_without_a_protocol_is_refused():
    with pytest.raises(RekitError, match=r"--scheduler: '127.0.0.1:8786' is not allowed; give a Dask scheduler address"):
        DaskExecutor("127.0.0.1:8786")


def test_chunked_sobol_on_local_processes_equals_one_run(book, local_table):
    with LocalExecutor(2) as ex:
        table = sensitivity(book, **SOBOL, evaluator=chunked(ex, rows=100))
    pd.testing.assert_frame_equal(table, local_table, check_exact=True)


def test_chunked_sobol_on_a_dask_cluster_equals_one_run(book, local_table, cluster):
    with DaskExecutor(cluster.address, worker_timeout=60) as ex:
        table = sensitivity(book, **SOBOL, evaluator=chunked(ex, rows=100))
    pd.testing.assert_frame_equal(table, local_table, check_exact=True)


def test_killing_a_worker_mid_run_still_finishes_with_the_same_numbers(book, local_table, cluster):
    """One of the two workers is killed (SIGKILL) a second after the chunks were submitted (about 50
    jobs of 20 rows): Dask runs its chunks again on the other, and the result is still the one-run
    table. (Whether the kill lands before or after its first chunk, the outcome asserted is the same.)"""
    import threading

    victim = cluster.workers[0]
    with DaskExecutor(cluster.address, worker_timeout=60) as ex:
        evaluate = chunked(ex, rows=20)
        kill = threading.Timer(1.0, os.killpg, (victim.pid, signal.SIGKILL))

        def run(*args, **kwargs):
            kill.start()
            return evaluate(*args, **kwargs)

        try:
            table = sensitivity(book, **SOBOL, evaluator=run)
        finally:
            kill.join()
    victim.wait(10)
    assert victim.returncode == -signal.SIGKILL
    pd.testing.assert_frame_equal(table, local_table, check_exact=True)


def test_the_command_line_runs_chunks_on_the_cluster_with_the_local_numbers(cluster, tmp_path):
    rekit = Path(sys.executable).with_name("rekit")
    args = [str(rekit), "sensitivity", "--deal", "toll_japan", "--n", "32", "--years", "2024-2026", "--format", "csv"]
    local = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    dask = subprocess.run(args + ["--scheduler", cluster.address], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    env = dict(os.environ, REKIT_SCHEDULER=cluster.address)
    by_env = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    assert local.returncode == dask.returncode == by_env.returncode == 0, dask.stderr + by_env.stderr
    assert dask.stdout == local.stdout and by_env.stdout == local.stdout


def test_saved_samples_run_elsewhere_and_analysed_back_equal_one_run(book, local_table, tmp_path):
    from rekit.run.chunks import SamplesSaved, evaluate_samples, reading, saving

    about = {"basis": None, "demand": None, "framing": None}
    with pytest.raises(SamplesSaved, match=r"wrote the design, [\d,]+ rows x \d+ factors, to .*samples.npz"):
        sensitivity(book, **SOBOL, evaluator=saving(tmp_path / "samples.npz", about))
    with np.load(tmp_path / "samples.npz") as z:
        k = len(z["names"])
        assert z["X"].shape == (32 * (k + 2), k)  # Sobol without second order: N x (k + 2) rows
        assert list(z["years"]) == list(range(2024, 2031))  # the runs start at the model's first year, 2024
    with LocalExecutor(2) as ex:  # "elsewhere": two processes, in chunks
        evaluate_samples(tmp_path / "samples.npz", tmp_path / "results.npz", book, executor=ex, rows=100)
    table = sensitivity(book, **SOBOL, evaluator=reading(tmp_path / "results.npz"))
    pd.testing.assert_frame_equal(table, local_table, check_exact=True)
    with np.load(tmp_path / "samples.npz") as z:
        assert json.loads(str(z["about"]))["deals"] == ["toll_japan"]


def test_results_of_another_design_are_refused(book, tmp_path):
    from rekit.run.chunks import reading

    np.save(tmp_path / "short.npy", np.zeros((5, 7)))
    with pytest.raises(RekitError, match=r"--analyse .*short.npy: Y has shape \(5, 7\) \(float64\); these options and seed "
                                         r"give a design of [\d,]+ rows over 7 years \(2024-2030\)"):
        sensitivity(book, **SOBOL, evaluator=reading(tmp_path / "short.npy"))


def test_a_worker_with_another_rekit_version_is_named(tmp_path):
    """A worker whose installed rekit reports version 9.9.0 (a distribution's metadata found first on
    its path): connecting says which worker and which version, and stops before any job."""
    import importlib.metadata

    fake = tmp_path / "site"
    (fake / "rekit-9.9.0.dist-info").mkdir(parents=True)
    (fake / "rekit-9.9.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: rekit\nVersion: 9.9.0\n")
    if not DASK.exists():
        pytest.skip(f"no dask command at {DASK} (install the kit's dependencies)")
    c = Cluster(tmp_path)
    try:
        c.scheduler()
        c.worker(env={"PYTHONPATH": str(fake)})
        ours = importlib.metadata.version("rekit")
        with pytest.raises(FailedError, match=rf"the Dask scheduler at {c.address} has workers that cannot run rekit "
                                              rf"{ours}: tcp://127.0.0.1:\d+ has rekit 9.9.0 \(install rekit {ours} on every worker\)"):
            DaskExecutor(c.address, worker_timeout=60)
    finally:
        c.close()
    assert all(p.poll() is not None for p in c.procs)


def test_a_report_run_on_a_scheduler_that_does_not_answer_leaves_no_folder_it_made(tmp_path, monkeypatch):
    """The run fails before anything is written; the folders the run created for its output go again, one
    that was there before stays (empty, as it was)."""
    from rekit.reports.runner import run_one
    from rekit.run import executor

    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 1.0)  # the kit's own constant: a one-second wait here
    sample = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks" / "sample.ipynb"
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    made, there = tmp_path / "new" / "reports", tmp_path / "there"
    there.mkdir()
    for out in (made, there):
        with pytest.raises(FailedError, match=rf"the Dask scheduler at {address} did not answer within 1 s"):
            run_one(sample, {}, out, scheduler=address)
    assert not (tmp_path / "new").exists()  # both folders the run made, and nothing above them
    assert tmp_path.is_dir()
    assert there.is_dir() and list(there.iterdir()) == []
