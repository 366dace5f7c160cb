"""Build the same batch of reports three ways and compare: the plain way, `rekit reports` on local
processes, and `rekit reports` on a local Dask cluster of two workers - all with --force, in one run.

The plain way is what one would type without rekit: for each report, in sequence,

    papermill NOTEBOOK OUT.ipynb -k rekit --cwd NOTEBOOK_DIR -y '{...parameters...}'
    jupyter nbconvert --to html OUT.ipynb

Our way is one `rekit reports --batch FILE --force`: each report one job (papermill in a fresh
kernel, then the page) on `--jobs` local processes (default: one per core; rekit.reports.runner),
then the same with `--scheduler` on a `distributed.LocalCluster` of two single-threaded worker
processes started here. `TODAY` is the runner before this design (a fork server of pre-imported
kernels, warm kernels started ahead), measured at commit 55dd82b on this machine.

    .venv/bin/python benchmarks/bench_reports.py                      # the repo's notebooks/batch.yml
    .venv/bin/python benchmarks/bench_reports.py --batch tests/fixtures/notebooks/batch.yml --no-plain

`--old-tree DIR` also times another runner right after ours, under the same load: the same
notebooks, data and code with the runner files of commit 55dd82b put back (its fork server and
kernel pool), made with

    mkdir /tmp/oldrunner && git archive HEAD | tar -x -C /tmp/oldrunner && rm -r /tmp/oldrunner/rekit/parameters
    git archive 55dd82b rekit/reports/runner.py rekit/reports/guard.py rekit/reports/jobs.py \
        rekit/reports/freeze.py rekit/reports/kernels rekit/reports/params.py rekit/reports/specs.py \
        rekit/cli/reports.py rekit/params.py | tar -x -C /tmp/oldrunner
    rm /tmp/oldrunner/rekit/reports/execute.py
    .venv/bin/python benchmarks/bench_reports.py --no-plain --old-tree /tmp/oldrunner

Prints the times (wall clock, and CPU seconds of the processes involved, where they are our
children: the figure to trust on a machine shared with other work), the ratios and every report's
HTML size. No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rekit.paths import batch_file  # noqa: E402
from rekit.reports.jobs import jobs_from_batch  # noqa: E402

from rekit.reports.execute import KERNEL  # noqa: E402

BATCH = batch_file()
#: `rekit reports --force` on notebooks/batch.yml (16 reports, 2 cores) with the runner of commit 55dd82b
#: (fork server, warm kernels), measured twice here before it was replaced: wall seconds, load average then.
TODAY = ((24.5, 2.3), (33.1, 3.0))

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    exe = BIN / name
    return str(exe) if exe.exists() else shutil.which(name) or name


def plain(jobs, out: Path) -> tuple[float, list[str]]:
    """papermill CLI then jupyter nbconvert CLI per report, in sequence."""
    failures = []
    t0 = time.perf_counter()
    for job in jobs:
        executed = out / f"{job.stem}.ipynb"
        cmd = [_tool("papermill"), str(job.notebook), str(executed), "-k", KERNEL, "--cwd", str(job.notebook.parent),
               "--no-progress-bar"]
        if job.params:
            cmd += ["-y", json.dumps(job.params)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"papermill {job.stem}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1:]}")
        r = subprocess.run([_tool("jupyter"), "nbconvert", "--to", "html", str(executed), "--output-dir", str(out)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"nbconvert {job.stem}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1:]}")
    return time.perf_counter() - t0, failures


def ours(batch: Path, out: Path, jobs: int | None, scheduler: str | None = None, tree: Path | None = None) -> tuple[float, str]:
    """`rekit reports --force`; with `tree`, the rekit of that source tree (an earlier commit's runner)."""
    cmd = [sys.executable, "-m", "rekit.cli", "reports", "--batch", str(batch), "--out", str(out), "--quiet", "--force"]
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None  # the kernels inherit it: the same tree's rekit
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    note = " ".join(cmd[:3]) + " ..." + (f" (PYTHONPATH={tree})" if tree else "")
    if r.returncode != 0:
        note += f" (exit {r.returncode}: {r.stderr.strip()[-300:]})"
    return elapsed, note


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # every finished descendant (kernels are reaped too)
    return r.ru_utime + r.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Time the plain papermill + nbconvert way against `rekit reports`.")
    ap.add_argument("--batch", type=Path, default=BATCH, help=f"batch file (default: {os.path.relpath(BATCH)})")
    ap.add_argument("--jobs", type=int, default=None, help="workers for rekit reports (default: cores)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the outputs in this folder (plain/, ours/, dask/)")
    ap.add_argument("--no-plain", action="store_true", help="leave out the plain way (minutes)")
    ap.add_argument("--no-dask", action="store_true", help="leave out the local Dask cluster")
    ap.add_argument("--old-tree", type=Path, default=None,
                    help="also time the runner of this source tree, e.g. `git archive 55dd82b | tar -x -C /tmp/old`, "
                         "right after ours (the same load)")
    args = ap.parse_args(argv)

    _, jobs = jobs_from_batch(args.batch.resolve(), None, None)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-reports-"))
    plain_dir, ours_dir, dask_dir = work / "plain", work / "ours", work / "dask"
    for d in (plain_dir, ours_dir, dask_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    print(f"batch: {os.path.relpath(args.batch)}: {len(jobs)} reports; {os.cpu_count()} cores")

    c0 = _children_cpu()
    t_plain = None
    if not args.no_plain:
        t_plain, failures = plain(jobs, plain_dir)
        print(f"plain (papermill + jupyter nbconvert per report, in sequence): {t_plain:6.1f} s wall, "
              f"{_children_cpu() - c0:6.1f} s CPU")
        for f in failures:
            print(f"  failed: {f}")
    c1 = _children_cpu()
    t_ours, note = ours(args.batch.resolve(), ours_dir, args.jobs)
    c2 = _children_cpu()
    print(f"ours  (rekit reports --force, {args.jobs or os.cpu_count()} local processes): {t_ours:6.1f} s wall, "
          f"{c2 - c1:6.1f} s CPU   [{note}]")
    if args.old_tree:
        old_dir = work / "old"
        old_dir.mkdir(exist_ok=True)
        c3 = _children_cpu()
        t_old, note = ours(args.batch.resolve(), old_dir, args.jobs, tree=args.old_tree.resolve())
        print(f"old   (rekit reports --force of {args.old_tree}): {t_old:6.1f} s wall, {_children_cpu() - c3:6.1f} s CPU   [{note}]")
        print(f"ratio: ours takes {t_ours / t_old:.2f}x the old runner's time in this run (target: at most 1.2x)")
    if not args.no_dask:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            t_dask, note = ours(args.batch.resolve(), dask_dir, None, cluster.scheduler_address)
        print(f"dask  (rekit reports --force --scheduler, a LocalCluster of 2 workers): {t_dask:6.1f} s wall   [{note}]")
        print(f"ratio: the Dask cluster takes {t_dask / t_ours:.2f}x the local processes' time (target: at most 1.3x)")
    if t_plain is not None:
        print(f"ratio: {t_plain / t_ours:.1f}x faster than the plain way (wall clock; target: at least 5x)")
    today = ", ".join(f"{t:.1f} s (load {load:.1f})" for t, load in TODAY)
    print(f"ratio: {t_ours / min(t for t, _ in TODAY):.2f}x to {t_ours / max(t for t, _ in TODAY):.2f}x the runner of "
          f"55dd82b, measured {today} (target: at most 1.2x)")
    print(f"load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on this machine slows every way)")

    print(f"\n{'report':<48} {'plain KB':>9} {'ours KB':>9}")
    for job in jobs:
        p, o = plain_dir / f"{job.stem}.html", ours_dir / job.file
        ps = f"{p.stat().st_size / 1024:9.1f}" if p.exists() else f"{'-':>9}"
        os_ = f"{o.stat().st_size / 1024:9.1f}" if o.exists() else f"{'-':>9}"
        print(f"{job.file:<48} {ps} {os_}")
    shared = [ours_dir / n for n in ("plotly.min.js", "rekit-lab.css")]
    print("shared once beside ours: " + ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KB" for p in shared if p.exists()))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"outputs kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
