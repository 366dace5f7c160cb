"""Speed of the deal model (material-flow system, v2) against the model it replaced (v1), in the same run.

Run: .venv/bin/python benchmarks/bench_model.py [--draws 10000] [--repeat 5]
Prints medians in milliseconds for:
  - every preset x 2024-2050 x N draws with the elements (Nd, Pr, Dy, Tb), simulate() alone and with
    the p05/p50/p95 summary (target for simulate(): 0.5 s);
  - the v1 model (git commit V1_COMMIT: the Nd-only model with no stocks) on its own presets, same
    draws and years, read from git into a temporary package, and the ratio;
  - one deal, no draws, 2024-2050 (what a slider needs), and the plain way, one call per year;
  - every preset with a recycling lever, simulate() with and without the stock model and recycling, and the ratio
    (target: at most 2x);
  - with --against COMMIT (default PART1_COMMIT, model v3 part 1, before origin tracing): that commit's
    model read from git into a temporary package, on that commit's deals.yml, every preset x 2024-2050 x
    N draws, simulate() plus summary(), in CPU seconds of the process (time.process_time, every thread
    summed; the machine is shared, so wall time is unreliable), and the ratio now / then.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import median_ms

ROOT = Path(__file__).resolve().parent.parent
V1_COMMIT = "29735dc"  # the last commit with the v1 model (rekit/model before the material-flow system)
V1_FILES = ("__init__.py", "conversions.py", "deals.py", "metrics.py", "quantities.py", "simulation.py")
PART1_COMMIT = "f502d2b"  # model v3 part 1, the last commit before origin tracing (rekit/model/origin.py)
#: The deals file both models run in the comparison: the part-1 presets with the China shares of the trade figures
#: (the last deals.yml the part-1 reader can read; later ones name partners).
PART1_DEALS = "6b820b0"
PART1_FILES = ("__init__.py", "conversions.py", "deals.py", "flows.py", "metrics.py", "quantities.py", "simulation.py")


def load_commit(tmp: Path, commit: str, files=PART1_FILES, name: str = "rekit_part1model", deals_at: str | None = None):
    """(simulate, book) of the model at `commit`, read from git into a temporary package `name`, on the deals.yml of
    `deals_at` (default: `commit`'s own)."""
    pkg = tmp / name
    pkg.mkdir()
    for f in files:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:rekit/model/{f}"], capture_output=True, text=True,
                             check=True).stdout
        src = src.replace("from rekit.model import", f"from {name} import").replace("rekit.model.", f"{name}.")
        (pkg / f).write_text("" if f == "__init__.py" else src)
    data = tmp / "data"
    if not data.exists():
        shutil.copytree(ROOT / "data", data)
    (data / "deals.yml").write_text(subprocess.run(["git", "-C", str(ROOT), "show", f"{deals_at or commit}:data/deals.yml"],
                                                   capture_output=True, text=True, check=True).stdout)
    sys.path.insert(0, str(tmp))
    from rekit.data.dataset import load

    deals = importlib.import_module(f"{name}.deals")
    sim = importlib.import_module(f"{name}.simulation")
    return sim.simulate, deals.load_deals(ds=load(data))


def median_cpu_s(fn, repeat: int) -> float:
    """Median CPU seconds of this process (every thread) of `fn()` over `repeat` calls, after one untimed call."""
    import statistics
    import time

    fn()
    out = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return statistics.median(out)


def against(commit: str, draws: int, repeat: int) -> None:
    """CPU time of every preset x 2024-2050 x `draws` (simulate() + summary()) at `commit` on the deals.yml of
    PART1_DEALS, and today's model on today's deals.yml with the same preset names."""
    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate

    span = (2024, 2050)
    with tempfile.TemporaryDirectory() as tmp:
        old_simulate, old_book = load_commit(Path(tmp), commit, deals_at=PART1_DEALS)
        # today's model on today's deals.yml (origin traced, the scheme beneficiary by beneficiary), the same
        # preset names as part 1's file (the part-1 reader cannot read today's file, nor today's reader part 1's)
        today = load_deals()
        deals = list(old_book.deals)
        runs = {"then": lambda: old_simulate(old_book, deals, years=span, draws=draws),
                "today": lambda: simulate(today, deals, years=span, draws=draws)}
        cpu = {k: (median_cpu_s(f, repeat), median_cpu_s(lambda f=f: f().summary(), repeat)) for k, f in runs.items()}
    print(f"against {commit}: {len(deals)} presets x {span[0]}-{span[1]} x {draws:,} draws, then on the deals.yml of "
          f"{PART1_DEALS}, today on today's, CPU seconds (every thread)")
    for k, (sim, both) in cpu.items():  # today: today's deals.yml (scheme per beneficiary)
        print(f"  {k:5s} simulate(): {sim:7.2f} s   simulate() + summary(): {both:7.2f} s")
    for k in ("today",):
        print(f"  {k} / then: simulate() {cpu[k][0] / cpu['then'][0]:.2f}, with summary() "
              f"{cpu[k][1] / cpu['then'][1]:.2f} (target <= 1.5)")


def load_v1(tmp: Path):
    """(simulate, book) of the v1 model, read from git at V1_COMMIT into a temporary package `rekit_v1model`."""
    pkg = tmp / "rekit_v1model"
    pkg.mkdir()
    for name in V1_FILES:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{V1_COMMIT}:rekit/model/{name}"], capture_output=True,
                             text=True, check=True).stdout
        src = src.replace("from rekit.model import metrics", "from rekit_v1model import metrics")
        src = src.replace("rekit.model.", "rekit_v1model.")
        (pkg / name).write_text("" if name == "__init__.py" else src)
    data = tmp / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "deals.yml").write_text(subprocess.run(["git", "-C", str(ROOT), "show", f"{V1_COMMIT}:data/deals.yml"],
                                                   capture_output=True, text=True, check=True).stdout)
    sys.path.insert(0, str(tmp))
    from rekit.data.dataset import load

    deals = importlib.import_module("rekit_v1model.deals")
    sim = importlib.import_module("rekit_v1model.simulation")
    return sim.simulate, deals.load_deals(ds=load(data))


#: The recycling lever given to every preset when timing the stock model and recycling (rekit.model.recycling).
LEVER = {"recycling_share": 0.01, "recycling_collection": 0.3, "recycling_dismantling": 0.8, "recycling_recovery": 0.97}


def recycling_cost(book, deals: list[str], span: tuple[int, int], draws: int, repeat: int) -> tuple[float, float]:
    """(ms without, ms with) the stock model and recycling: every preset with LEVER, simulate() on the same grid,
    once with the book's end-use mix taken away (the run skips both) and once as it is."""
    import dataclasses

    from rekit.model.simulation import simulate

    bare = dataclasses.replace(book, demands={k: dataclasses.replace(d, end_uses=()) for k, d in book.demands.items()})
    without = median_ms(lambda: simulate(bare, deals, years=span, draws=draws, overrides=LEVER), repeat)
    with_ = median_ms(lambda: simulate(book, deals, years=span, draws=draws, overrides=LEVER), repeat)
    return without, with_


def loop_per_year(book, deal: str, years: range) -> list[float]:
    """The plain way: one simulate() per year (what a naive model would do), for the ratio."""
    from rekit.model.simulation import simulate

    return [float(simulate(book, [deal], years=(y, y), draws=0).arrays["self_sufficiency"][0, 0, 0]) for y in years]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--against", nargs="?", const=PART1_COMMIT, default=None, metavar="COMMIT",
                    help=f"only compare CPU time with the model at COMMIT (default {PART1_COMMIT}, model v3 part 1)")
    args = ap.parse_args()
    if args.against:
        against(args.against, args.draws, args.repeat)
        return

    from rekit.model.deals import load_deals
    from rekit.model.simulation import simulate

    book = load_deals()
    deals = list(book.deals)
    span = (2024, 2050)
    full = median_ms(lambda: simulate(book, deals, years=span, draws=args.draws), args.repeat)
    full_q = median_ms(lambda: simulate(book, deals, years=span, draws=args.draws).summary(), max(2, args.repeat // 2))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            v1_simulate, v1_book = load_v1(Path(tmp))
            v1_deals = list(v1_book.deals)
            v1 = median_ms(lambda: v1_simulate(v1_book, v1_deals, years=span, draws=args.draws), args.repeat)
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            v1, v1_deals = float("nan"), []
            print(f"v1 model not available from git ({exc}); no ratio")
    one = median_ms(lambda: simulate(book, ["toll_japan"], years=span, draws=0), 50)
    plain = median_ms(lambda: loop_per_year(book, "toll_japan", range(span[0], span[1] + 1)), 5)
    years = span[1] - span[0] + 1
    print(f"v2: {len(deals)} presets x {span[0]}-{span[1]} x {args.draws:,} draws x 4 elements")
    print(f"  simulate():                       {full:8.1f} ms   (target 500 ms)")
    print(f"  simulate() + summary() quantiles: {full_q:8.1f} ms")
    print(f"v1 ({V1_COMMIT}): {len(v1_deals)} presets x {years} years x {args.draws:,} draws, Nd only, no stocks")
    per_deal = full / len(deals) / (v1 / max(len(v1_deals), 1))
    print(f"  simulate():                       {v1:8.1f} ms   (v2 / v1 = {full / v1:.2f}; per deal {per_deal:.2f})")
    print("one deal, no draws, 2024-2050 (slider):")
    print(f"  simulate():                       {one:8.2f} ms per call")
    print(f"  plain way, one call per year:     {plain:8.2f} ms   (ratio {plain / one:.1f}x)")
    bare, rec = recycling_cost(book, deals, span, args.draws, args.repeat)
    print(f"stock model + recycling, every preset with {LEVER} (target: at most 2x):")
    print(f"  without: {bare:8.1f} ms   with: {rec:8.1f} ms   (with / without = {rec / bare:.2f})")
    check = simulate(book, ["toll_japan"], years=span, draws=0).arrays["self_sufficiency"][0, :, 0]
    assert np.allclose(check[:2], loop_per_year(book, "toll_japan", range(span[0], span[0] + 2)))


if __name__ == "__main__":
    main()
