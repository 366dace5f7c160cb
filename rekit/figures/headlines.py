"""Headline tables the notebooks print: small, rounded, stable, so nbval can hold them.

Each takes data or model results and returns a DataFrame; rounding is part of the headline
(a change in the third significant figure is a change a reviewer should see, noise is not).
"""

from __future__ import annotations

import pandas as pd

from rekit.model.conversions import nd_to_nd2o3
from rekit.data.dataset import Dataset
from rekit.data.periods import parse_period
from rekit.model.simulation import Result
from rekit.model.supply import concentration_table


def _pick_year(result: Result, year: int) -> int:
    years = result.years.tolist()
    if year not in years:
        raise KeyError(f"year {year} is outside the modelled years {years[0]}-{years[-1]}; choose one inside them")
    return year


def metric_table(result: Result, metric: str, year: int, digits: int = 2) -> pd.DataFrame:
    """p05, median and p95 of one metric in one year, one row per deal."""
    _pick_year(result, year)
    t = result.summary()
    t = t[(t["metric"] == metric) & (t["year"] == year)].set_index("deal")[["p05", "p50", "p95"]]
    return t.reindex(list(result.deals)).round(digits).rename(columns={"p50": "median"})


def first_year_reaching(result: Result, metric: str, level: float) -> pd.Series:
    """By deal, the first modelled year whose median reaches `level` (or 'not by END')."""
    t = result.summary()
    t = t[t["metric"] == metric]
    out = {}
    for deal in result.deals:
        rows = t[(t["deal"] == deal) & (t["p50"] >= level)]
        out[deal] = str(int(rows["year"].min())) if not rows.empty else f"not by {int(result.years[-1])}"
    return pd.Series(out, name=f"first year median >= {level:g}")


def observed_export_share(ds: Dataset) -> pd.DataFrame:
    """IREL's export share as observed: each source's figure with its status."""
    s = ds.series("re_export_share", entity="IREL")
    return pd.DataFrame({
        "period": s["period"].astype(str), "share": s["value"].round(3), "status": s["status"].astype(str),
        "source": s["publisher"].astype(str),
    }).set_index("period")


def concentration_headline(ds: Dataset, edition: list[str] | None = None) -> pd.DataFrame:
    """Top-3 share, HHI and the leading country by USGS edition and year."""
    t = concentration_table(ds, edition=edition)
    g = t.groupby(["edition", "year"])
    out = g.agg(top3_share=("top3_share", "first"), hhi=("hhi", "first"))
    lead = t[t["rank"] == 1].set_index(["edition", "year"])
    out["leader"] = lead["entity"].astype(str)
    out["leader_share"] = lead["share"]
    return out.round({"top3_share": 3, "hhi": 0, "leader_share": 3})


def flows_table(result: Result, deal: str, year: int) -> pd.DataFrame:
    """Flows of one deal and year: Nd flows in t Nd (with their Nd2O3 equivalent, the form IREL ships), magnets in t magnet."""
    _pick_year(result, year)
    t = result.summary()
    t = t[(t["deal"] == deal) & (t["year"] == year)]
    if t.empty:
        raise KeyError(f"deal {deal!r} is not in this result; it has {', '.join(result.deals)}")
    keep = ["production", "exports", "tolled", "domestic", "stocked", "losses", "magnets_returned",
            "magnets_kept_by_partner", "magnets_domestic", "magnet_demand", "self_sufficiency"]
    t = t.set_index("metric").loc[keep, ["unit", "p05", "p50", "p95"]]
    oxide = t["p50"].where(t["unit"] == "t Nd").map(nd_to_nd2o3)  # t Nd2O3 = t Nd / 0.857 (rekit.conversions)
    t = t.round({"p05": 2, "p50": 2, "p95": 2}).rename(columns={"p50": "median"})
    t["median as t Nd2O3"] = oxide.map(lambda x: "" if pd.isna(x) else f"{x:.1f}")
    return t


def events_table(ds: Dataset, since: str | None = None) -> pd.DataFrame:
    """Date, actor, kind and title of each event since a date."""
    ev = ds.events
    if since:
        ev = ev[ev["date_start"] >= pd.Timestamp(parse_period(since).start)]
    return ev[["date", "actor", "kind", "title"]].astype(str).set_index("date")
