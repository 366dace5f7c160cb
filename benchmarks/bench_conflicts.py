"""How long the disagreement register takes on many rows, against the 0.1.0 way on the same rows.

Run: .venv/bin/python benchmarks/bench_conflicts.py [--rows N ...] [--repeat R]
Builds N observation rows by copying the bundled observations under new entities (so every
comparison group keeps its real size: the growth is in the number of groups, as when more
countries, years and sources are added), then times

- new: rekit.data.conflicts.find_conflicts (rows grouped by the full comparison key, wire copies
  merged, pairs formed only inside groups of two or more rows);
- old: the 0.1.0 `Dataset.conflicts` (a self-join of all comparable rows on indicator, entity,
  partner, unit and class, then filtering every candidate pair), copied here verbatim;

and prints both, median of R runs, with their ratio. The old way finds more pairs because it
ignores scope_key and period basis; the ratio compares the time to build the register.
"""

from __future__ import annotations

import argparse
import math

import pandas as pd
from timing import median_ms

from rekit.data.conflicts import find_conflicts
from rekit.data.dataset import load

ACTUAL = ("reported", "estimate")


def old_conflicts(obs: pd.DataFrame, rel_tol: float = 0.01) -> pd.DataFrame:
    """The 0.1.0 implementation of Dataset.conflicts (pairs by a self-join on five columns)."""
    o = obs.copy()
    o["klass"] = o["status"].map(lambda s: "actual" if s in ACTUAL else ("target" if s == "target" else None))
    o = o[o["klass"].notna()]
    o["lo"] = o["low"].where(o["low"].notna(), o["value"].where(o["high"].isna(), 0.0)) * (1 - rel_tol)
    o["hi"] = o["high"].where(o["high"].notna(), o["value"].where(o["low"].isna(), math.inf)) * (1 + rel_tol)
    o["partner_key"] = o["partner"].fillna("")
    keys = ["indicator", "entity", "partner_key", "unit", "klass"]
    pairs = o.merge(o, on=keys, suffixes=("_a", "_b"))
    pairs = pairs[
        (pairs["id_a"] < pairs["id_b"])
        & (pairs["period_start_a"] <= pairs["period_end_b"])
        & (pairs["period_start_b"] <= pairs["period_end_a"])
        & ((pairs["hi_a"] < pairs["lo_b"]) | (pairs["hi_b"] < pairs["lo_a"]))
    ]
    cols = ["indicator", "entity", "partner", "unit"]
    side = ["id", "period", "value", "low", "high", "status", "scope", "source_id"]
    out = pairs.rename(columns={"partner_a": "partner"})[cols + [f"{c}_{s}" for s in "ab" for c in side]]
    return out.sort_values(["indicator", "entity", "id_a", "id_b"]).reset_index(drop=True)


def many_rows(obs: pd.DataFrame, n: int) -> pd.DataFrame:
    """About `n` rows: the observations copied under entities 'X#k' and ids 'id#k'."""
    copies = max(1, math.ceil(n / len(obs)))
    parts = [obs.assign(id=obs["id"] + f"#{k}", entity=obs["entity"] + f"#{k}") for k in range(copies)]
    return pd.concat(parts, ignore_index=True).iloc[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[2_000, 20_000, 200_000], help="row counts (default 2000 20000 200000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    args = ap.parse_args()
    ds = load()
    print(f"{'rows':>8} {'new ms':>9} {'old ms':>9} {'old/new':>8} {'pairs new':>10} {'pairs old':>10}")
    for n in args.rows:
        obs = many_rows(ds.observations, n)
        new_ms = median_ms(lambda obs=obs: find_conflicts(obs, ds.sources, ds.resolutions), args.repeat)
        old_ms = median_ms(lambda obs=obs: old_conflicts(obs), args.repeat)
        n_new, n_old = len(find_conflicts(obs, ds.sources, ds.resolutions)), len(old_conflicts(obs))
        print(f"{len(obs):>8} {new_ms:>9.0f} {old_ms:>9.0f} {old_ms / new_ms:>8.2f} {n_new:>10} {n_old:>10}")


if __name__ == "__main__":
    main()
