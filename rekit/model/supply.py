"""World mine production from the USGS rows of the data, and its concentration by edition and year."""

from __future__ import annotations

import pandas as pd

from rekit.errors import RekitError
from rekit.model import metrics
from rekit.data.dataset import Dataset

INDICATOR = "mine_production"


def mine_production(ds: Dataset, edition: list[str] | None = None) -> pd.DataFrame:
    """USGS mine production rows (t REO): edition (the source_id), year, entity, value, status.

    An edition the data do not hold is refused (RekitError, exit 2 on the command line) naming the known ones."""
    rows = ds.series(INDICATOR)
    rows = rows[rows["period_kind"] == "year"]
    if edition:
        unknown = sorted(set(edition) - set(rows["source_id"]))
        if unknown:
            known = ", ".join(sorted(rows["source_id"].unique()))
            raise RekitError(f"no mine production in edition(s) {', '.join(unknown)}; editions: {known}")
        rows = rows[rows["source_id"].isin(edition)]
    return pd.DataFrame({
        "edition": rows["source_id"].astype(str),
        "year": rows["period"].astype(int),
        "entity": rows["entity"].astype(str),
        "value": rows["value"],
        "status": rows["status"].astype(str),
    })


def concentration_table(ds: Dataset, edition: list[str] | None = None) -> pd.DataFrame:
    """Shares, top-3 share and HHI for every edition and year (one row per country)."""
    prod = mine_production(ds, edition).rename(columns={"edition": "group"})
    out = metrics.concentration(prod)
    return out.rename(columns={"group": "edition"})
