"""The disagreement register: figures that measure the same thing and disagree, with the kit's resolutions.

Two observations are compared only when they measure the same thing: the same indicator,
entity, partner, unit, period basis (Indian fiscal against calendar years), `scope_key`, and class
(actual figures, reported or estimated, against each other; targets against targets). Withdrawn,
derived and assumed rows are never compared. Rows are grouped by that key and compared only within
a group, so the work grows with the rows times the size of a group, not with the square of all rows.

A wire story that several sites republished is one figure: rows whose sources report the same
original publisher (`reports_on`, e.g. Reuters) with the same period, value and range are merged
into one, the others listed in `also`. Each remaining pair is matched against data/resolutions.csv:
a resolution whose `rows` name both ids resolves it (`prefer` one, or keep both as a `range`).
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd

from rekit.data.periods import basis, parse_period

ACTUAL = ("reported", "estimate")  # figures that describe what happened, as opposed to targets
KEY = ["indicator", "entity", "partner_key", "unit", "basis", "scope_key_key", "klass"]
SIDE = ["id", "period", "value", "low", "high", "status", "scope", "source_id"]
COLUMNS = (["indicator", "entity", "partner", "unit", "scope_key"] + [f"{c}_{s}" for s in "ab" for c in SIDE]
           + ["also_a", "also_b", "resolution", "decision", "preferred", "reason"])


def _prepare(obs: pd.DataFrame, sources: pd.DataFrame, rel_tol: float) -> pd.DataFrame:
    """The comparable rows with their key, their interval [lo, hi] and their wire-story key."""
    o = obs[obs["status"].isin(ACTUAL + ("target",))].copy()
    o["klass"] = np.where(o["status"] == "target", "target", "actual")
    o["lo"] = o["low"].where(o["low"].notna(), o["value"].where(o["high"].isna(), 0.0)) * (1 - rel_tol)
    o["hi"] = o["high"].where(o["high"].notna(), o["value"].where(o["low"].isna(), math.inf)) * (1 + rel_tol)
    o["partner_key"] = o["partner"].fillna("")
    o["scope_key_key"] = o["scope_key"].fillna("") if "scope_key" in o else ""
    o["basis"] = [basis(parse_period(p)) for p in o["period"]]
    wire = sources.set_index("source_id")["reports_on"].dropna()
    o["wire"] = o["source_id"].map(wire)
    return o


def _merge_wire_copies(o: pd.DataFrame) -> pd.DataFrame:
    """One row per republished wire figure: same key, same original publisher, period, value and range."""
    o = o.sort_values("id")
    story = KEY + ["wire", "period", "value", "low", "high"]
    has_wire = o["wire"].notna()
    w = o[has_wire].copy()
    filled = w[story].astype("string").fillna("")
    w["story"] = filled.agg("\x1f".join, axis=1)
    also = w.groupby("story")["id"].agg(lambda ids: " ".join(list(ids)[1:]))
    first = w.drop_duplicates("story").copy()
    first["also"] = first["story"].map(also).replace("", pd.NA)
    rest = o[~has_wire].copy()
    rest["also"] = pd.NA
    return pd.concat([first.drop(columns="story"), rest]).sort_values("id")


def _pairs_in_group(g: pd.DataFrame) -> list[tuple[int, int]]:
    """Index pairs (i < j by id) in one group whose periods overlap and whose intervals do not."""
    n = len(g)
    if n < 2:
        return []
    start = g["period_start"].to_numpy()
    end = g["period_end"].to_numpy()
    lo = g["lo"].to_numpy()
    hi = g["hi"].to_numpy()
    overlap = (start[:, None] <= end[None, :]) & (start[None, :] <= end[:, None])
    apart = (hi[:, None] < lo[None, :]) | (hi[None, :] < lo[:, None])
    i, j = np.nonzero(np.triu(overlap & apart, k=1))
    return list(zip(i.tolist(), j.tolist()))


def find_conflicts(obs: pd.DataFrame, sources: pd.DataFrame, resolutions: pd.DataFrame | None = None,
                   rel_tol: float = 0.01) -> pd.DataFrame:
    """Every pair of figures that measure the same thing and disagree beyond their ranges, with any resolution.

    `obs` needs the loader's `period_start`/`period_end` columns. A range is [low, high]; a lower
    bound alone ("over 1,000 t") reaches up without limit and an upper bound alone down to zero; a
    point is widened by `rel_tol` on both sides so that rounding is not a conflict.
    """
    o = _merge_wire_copies(_prepare(obs, sources, rel_tol))
    rows = []
    for _, g in o.groupby(KEY, sort=False):
        if len(g) < 2:
            continue
        g = g.sort_values("id")
        recs = g.to_dict("records")
        for i, j in _pairs_in_group(g):
            rows.append((recs[i], recs[j]))
    out = pd.DataFrame([
        {"indicator": a["indicator"], "entity": a["entity"], "partner": a["partner"], "unit": a["unit"],
         "scope_key": a.get("scope_key"), **{f"{c}_a": a[c] for c in SIDE}, **{f"{c}_b": b[c] for c in SIDE},
         "also_a": a["also"], "also_b": b["also"]}
        for a, b in rows
    ], columns=COLUMNS[:-4])
    res = _resolution_index(resolutions)
    found = [res.get(frozenset((a, b))) for a, b in zip(out["id_a"], out["id_b"])]
    for col in ("resolution", "decision", "preferred", "reason"):
        out[col] = pd.Series([f[col] if f else None for f in found], index=out.index, dtype="string")
    for col in ("partner", "scope_key"):
        out[col] = out[col].astype("string")
    return out.sort_values(["indicator", "entity", "id_a", "id_b"]).reset_index(drop=True)


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
    """The register as CSV text (one pair a line, with a `state` column: unresolved or resolved)."""
    t = table.copy()
    t.insert(0, "state", np.where(t["resolution"].isna(), "unresolved", "resolved"))
    buf = io.StringIO()
    t.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buf.getvalue()


def split_register(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(unresolved, resolved) pairs of the register, each in the register's order."""
    resolved = table["resolution"].notna()
    return table[~resolved].reset_index(drop=True), table[resolved].reset_index(drop=True)
