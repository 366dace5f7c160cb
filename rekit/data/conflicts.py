"""The disagreement register: figures that measure the same thing and disagree, with the kit's resolutions.

Two observations are compared only when they measure the same thing: the same indicator,
entity, partner, unit, period basis (Indian fiscal against calendar years), `scope_key`, and class
(actual figures, reported or estimated, against each other; targets against targets). Withdrawn,
derived and assumed rows are never compared. Rows are grouped by that key and compared only within
a group, so the work grows with the rows times the size of a group, not with the square of all rows
(benchmarks/bench_conflicts.py measures it).

A wire story that several sites republished is one figure: rows whose sources report the same
original publisher (`reports_on`, e.g. Reuters) with the same period, value and range are merged
into one, the others listed in `also`. Each remaining pair is matched against data/resolutions.csv:
a resolution whose `rows` name both ids resolves it (`prefer` one, or keep both as a `range`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rekit.csvcells import frame_csv


ACTUAL = ("reported", "estimate")  # figures that describe what happened, as opposed to targets
KEY = ["indicator", "entity", "partner_key", "unit", "basis", "scope_key_key", "klass"]
SIDE = ["id", "period", "value", "low", "high", "status", "scope", "source_id"]
COLUMNS = (["indicator", "entity", "partner", "unit", "scope_key"] + [f"{c}_{s}" for s in "ab" for c in SIDE]
           + ["also_a", "also_b", "resolution", "decision", "preferred", "reason"])


def _prepare(obs: pd.DataFrame, sources: pd.DataFrame, rel_tol: float) -> pd.DataFrame:
    """The comparable rows with their key, their interval [lo, hi] and the wire service their source reprints."""
    o = obs[obs["status"].isin(ACTUAL + ("target",))].copy()
    o["klass"] = np.where(o["status"] == "target", "target", "actual")
    o["lo"] = o["low"].where(o["low"].notna(), o["value"].where(o["high"].isna(), 0.0)) * (1 - rel_tol)
    o["hi"] = o["high"].where(o["high"].notna(), o["value"].where(o["low"].isna(), math.inf)) * (1 + rel_tol)
    o["partner_key"] = o["partner"].astype("string").fillna("")
    o["scope_key_key"] = o["scope_key"].astype("string").fillna("") if "scope_key" in o else ""
    # rekit.data.periods.basis, vectorised: a period written with FY is on the fiscal basis
    o["basis"] = np.where(o["period"].astype("string").str.contains("FY", regex=False).fillna(False), "fiscal", "calendar")
    wire = sources.dropna(subset=["reports_on"]).drop_duplicates("source_id").set_index("source_id")["reports_on"]
    o["wire"] = o["source_id"].map(wire)
    o["key_hash"] = _row_hash(o, KEY)
    return o


def _row_hash(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """A 64-bit hash of each row's values in `cols` (vectorised; equal rows hash equal)."""
    return pd.util.hash_pandas_object(df[cols], index=False)


def _merge_wire_copies(o: pd.DataFrame) -> pd.DataFrame:
    """One row per republished wire figure: same key, same original publisher, period, value and range."""
    has_wire = o["wire"].notna().to_numpy()
    w = o[has_wire]
    story = (w["key_hash"] * 31 + _row_hash(w, ["wire", "period", "value", "low", "high"])).to_numpy()
    ids = w["id"].to_numpy(dtype=object)
    order = np.lexsort((ids.astype(str), story))  # by story, then id: the smallest id stands for the story
    s_story, s_ids = story[order], ids[order]
    lead = np.ones(len(order), dtype=bool)
    lead[1:] = s_story[1:] != s_story[:-1]
    head = np.maximum.accumulate(np.where(lead, np.arange(len(order)), 0))  # position of each row's story lead
    also: dict[str, list[str]] = {}
    for pos in np.nonzero(~lead)[0]:  # only the copies: few
        also.setdefault(s_ids[head[pos]], []).append(s_ids[pos])
    kept = w.iloc[order[lead]]
    kept = kept.assign(also=kept["id"].map({k: " ".join(v) for k, v in also.items()}))
    return pd.concat([kept, o[~has_wire].assign(also=pd.NA)])


def _pairs(o: pd.DataFrame) -> pd.DataFrame:
    """Pairs (a before b by id) within one comparison key whose periods overlap and whose intervals do not.

    Rows are first reduced to the groups that hold two or more rows (by a 64-bit hash of the key);
    pairs are then formed by a hash join on it, so the work is the sum over groups of (rows in the group) squared:
    linear in the rows while groups stay small, as they do when the key is the full comparison key.
    """
    gid = o["key_hash"]
    multi = gid.duplicated(keep=False).to_numpy()
    o = o[multi].assign(gid=gid[multi].to_numpy())
    cols = ["gid", "id", "period_start", "period_end", "lo", "hi"]
    left = o[cols].reset_index().rename(columns={"index": "ia"})
    right = o[cols].reset_index().rename(columns={"index": "ib"})
    m = left.merge(right, on="gid", suffixes=("_a", "_b"))
    m = m[(m["id_a"] < m["id_b"])
          & (m["period_start_a"] <= m["period_end_b"]) & (m["period_start_b"] <= m["period_end_a"])
          & ((m["hi_a"] < m["lo_b"]) | (m["hi_b"] < m["lo_a"]))]
    # a 64-bit hash could in theory join two different keys: keep only pairs whose keys are equal
    same = (o.loc[m["ia"], KEY].to_numpy() == o.loc[m["ib"], KEY].to_numpy()).all(axis=1)
    return m.loc[same, ["ia", "ib"]]


def find_conflicts(obs: pd.DataFrame, sources: pd.DataFrame, resolutions: pd.DataFrame | None = None,
                   rel_tol: float = 0.01) -> pd.DataFrame:
    """Every pair of figures that measure the same thing and disagree beyond their ranges, with any resolution.

    `obs` needs the loader's `period_start`/`period_end` columns. A range is [low, high]; a lower
    bound alone ("over 1,000 t") reaches up without limit and an upper bound alone down to zero; a
    point is widened by `rel_tol` on both sides so that rounding is not a conflict.
    """
    o = _merge_wire_copies(_prepare(obs, sources, rel_tol)).reset_index(drop=True)
    pairs = _pairs(o)
    a = o.loc[pairs["ia"].to_numpy()].reset_index(drop=True)
    b = o.loc[pairs["ib"].to_numpy()].reset_index(drop=True)
    out = pd.DataFrame({"indicator": a["indicator"], "entity": a["entity"], "partner": a["partner"], "unit": a["unit"],
                        "scope_key": a["scope_key"] if "scope_key" in a else pd.NA})
    for c in SIDE:
        out[f"{c}_a"] = a[c]
    for c in SIDE:
        out[f"{c}_b"] = b[c]
    out["also_a"], out["also_b"] = a["also"], b["also"]
    res = _resolution_index(resolutions)
    found = [res.get(frozenset((x, y))) for x, y in zip(out["id_a"], out["id_b"], strict=True)]
    for col in ("resolution", "decision", "preferred", "reason"):
        out[col] = pd.Series([f[col] if f else None for f in found], index=out.index, dtype="string")
    for col in ("partner", "scope_key", "also_a", "also_b"):
        out[col] = out[col].astype("string")
    return out[COLUMNS].sort_values(["indicator", "entity", "id_a", "id_b"]).reset_index(drop=True)


def _resolution_index(resolutions: pd.DataFrame | None) -> dict[frozenset, dict]:
    """Every pair of ids a resolution names, mapped to that resolution."""
    out: dict[frozenset, dict] = {}
    if resolutions is None or resolutions.empty:
        return out
    for r in resolutions.itertuples(index=False):
        ids = str(r.rows).split()
        rec = {"resolution": r.resolution_id, "decision": r.decision,
               "preferred": None if pd.isna(r.preferred) else r.preferred, "reason": r.reason}
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                out[frozenset((a, b))] = rec
    return out


def conflicts_csv(table: pd.DataFrame) -> str:
    """The register as CSV text (one pair a line, with a `state` column: unresolved or resolved); text
    a spreadsheet would run as a formula is neutralised (rekit.csvcells), numbers stay numbers."""
    t = table.copy()
    t.insert(0, "state", np.where(t["resolution"].isna(), "unresolved", "resolved"))
    return frame_csv(t)


def split_register(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(unresolved, resolved) pairs of the register, each in the register's order."""
    resolved = table["resolution"].notna()
    return table[~resolved].reset_index(drop=True), table[resolved].reset_index(drop=True)
