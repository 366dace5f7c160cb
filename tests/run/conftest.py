"""The `cluster` fixture: a real Dask scheduler and two workers on 127.0.0.1 (tests/run/cluster.py),
stopped in the finaliser; nothing is left running."""

from __future__ import annotations

import pytest

from run.cluster import DASK, Cluster


@pytest.fixture
def cluster(tmp_path):
    if not DASK.exists():
        pytest.skip(f"no dask command at {DASK} (install the kit's dependencies)")
    c = Cluster(tmp_path)
    try:
        c.scheduler()
        c.worker()
        c.worker()
        yield c
    finally:
        c.close()
        assert all(p.poll() is not None for p in c.procs)  # nothing left running


