"""The structural grid on the executor (rekit.run): `rekit simulate --grid --jobs 2` on two local processes and
`--scheduler` on a real local Dask cluster (tests/run/conftest.py's `cluster`) give the numbers of one local run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rekit.model.deals import FRAMINGS, load_deals

ARGS = ["simulate", "--grid", "--deal", "toll_korea", "--deal", "repm_scheme", "--years", "2029-2030", "--draws", "20",
        "--seed", "3", "--metric", "own_feedstock_coverage", "--metric", "magnets_returned", "--format", "csv"]


def rekit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("rekit")), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_the_grid_on_local_processes_and_on_a_dask_cluster_equals_one_local_run(cluster, tmp_path):
    local = rekit(*ARGS, cwd=tmp_path)
    jobs = rekit(*ARGS, "--jobs", "2", cwd=tmp_path)
    dask = rekit(*ARGS, "--scheduler", cluster.address, cwd=tmp_path)
    assert local.returncode == jobs.returncode == dask.returncode == 0, jobs.stderr + dask.stderr
    # 2 deals: repm_scheme (partner none) and toll_korea (plants, home): 3 x the book's scenarios x 2 years x 2 metrics
    book = load_deals()
    assert len(local.stdout.splitlines()) == 1 + 3 * len(book.bases) * len(book.demands) * len(FRAMINGS) * 2 * 2
    assert jobs.stdout == local.stdout and dask.stdout == local.stdout
