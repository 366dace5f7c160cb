"""A summary of the dataset by indicator: units, periods covered, rows and sources (the README's table)."""

from __future__ import annotations

import pandas as pd

from rekit.data.dataset import Dataset


def indicator_summary(ds: Dataset) -> pd.DataFrame:
    """One row per indicator: title, units, first and last period, number of rows and of distinct sources."""
    o = ds.observations.sort_values("period_start")
    g = o.groupby("indicator", sort=True)
    out = pd.DataFrame({
        "units": g["unit"].agg(lambda u: ", ".join(sorted(set(u)))),
        "periods": g.apply(lambda d: d["period"].iloc[0] if d["period"].nunique() == 1
                           else f"{d['period'].iloc[0]} … {d.sort_values('period_end')['period'].iloc[-1]}", include_groups=False),
        "rows": g.size(),
        "sources": g["source_id"].nunique(),
    })
    titles = ds.indicators.set_index("indicator")["title"]
    out.insert(0, "title", titles.reindex(out.index))
    return out.reset_index()


def to_markdown(table: pd.DataFrame) -> str:
    """A GitHub Markdown table of a small DataFrame (no extra dependency)."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)
