"""Build the same batch of reports two ways and compare: the plain way and `rekit reports`.

The plain way is what one would type without rekit: for each report, in sequence,

    papermill NOTEBOOK OUT.ipynb -k rekit --cwd NOTEBOOK_DIR -y '{...parameters...}'
    jupyter nbconvert --to html OUT.ipynb

Our way is one `rekit reports --batch FILE` (one process; notebooks run in parallel on
warm kernels forked from a pre-imported server; see rekit/reports.py and rekit/kernels.py).

    .venv/bin/python benchmarks/bench_reports.py                      # the repo's notebooks/batch.yml
    .venv/bin/python benchmarks/bench_reports.py --batch tests/fixtures/notebooks/batch.yml

Prints both times (wall clock, and CPU seconds of all the processes involved: the figure to trust
on a machine shared with other work), the ratios and every report's HTML size. No assertions.
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

BATCH = batch_file()
from rekit.reports.kernels.pool import KERNEL  # noqa: E402

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


def ours(batch: Path, out: Path, jobs: int | None) -> tuple[float, str]:
    rekit = _tool("rekit")
    probe = subprocess.run([rekit, "reports", "--help"], capture_output=True, text=True) if Path(rekit).exists() else None
    cmd = [rekit] if probe is not None and probe.returncode == 0 else [sys.executable, "-m", "rekit.report_cli"]
    cmd += ["reports", "--batch", str(batch), "--out", str(out), "--quiet"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    note = " ".join(cmd[:3]) + " ..."
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
    ap.add_argument("--keep", type=Path, default=None, help="keep both outputs in this folder (plain/ and ours/)")
    args = ap.parse_args(argv)

    _, jobs = jobs_from_batch(args.batch.resolve(), None, None)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-reports-"))
    plain_dir, ours_dir = work / "plain", work / "ours"
    for d in (plain_dir, ours_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    print(f"batch: {os.path.relpath(args.batch)}: {len(jobs)} reports; {os.cpu_count()} cores")

    c0 = _children_cpu()
    t_plain, failures = plain(jobs, plain_dir)
    c1 = _children_cpu()
    print(f"plain (papermill + jupyter nbconvert per report, in sequence): {t_plain:6.1f} s wall, {c1 - c0:6.1f} s CPU")
    for f in failures:
        print(f"  failed: {f}")
    t_ours, note = ours(args.batch.resolve(), ours_dir, args.jobs)
    c2 = _children_cpu()
    print(f"ours  (rekit reports, {args.jobs or os.cpu_count()} jobs):{' ' * 22}{t_ours:6.1f} s wall, {c2 - c1:6.1f} s CPU"
          f"   [{note}]")
    print(f"ratio: {t_plain / t_ours:.1f}x faster (wall clock), {(c1 - c0) / max(c2 - c1, 1e-9):.1f}x less CPU")
    print(f"load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on this machine slows both)")

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
