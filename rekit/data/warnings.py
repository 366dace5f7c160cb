"""Warnings of `rekit data check`: things that are allowed but that a researcher should look at.

Unlike the rules (rekit.data.rules), a warning does not make the data unusable and does not
make the check fail. Each names the file, row and column like a Problem.
"""

from __future__ import annotations

from rekit.data.dataset import Dataset
from rekit.data.problems import Problem

HEADLINE = ("reported", "estimate", "target")  # figures a chart or a model default may rest on


def wire_over_primary(ds: Dataset) -> list[Problem]:
    """A headline figure that rests on a republished wire story while a primary document exists for the same indicator.

    The wire row is not wrong, but the primary document should be read, cited and preferred.
    """
    o = ds.observations.merge(ds.sources[["source_id", "tier"]], on="source_id", how="left")
    o = o.reset_index(drop=True)
    o["row"] = o.index + 2  # load() keeps the file's order: the header is row 1
    primary = o[o["tier"] == "primary"]
    have = {(i, e): ids for (i, e), ids in primary.groupby(["indicator", "entity"])["id"]}
    out = []
    for r in o[(o["tier"] == "wire-republished") & o["status"].isin(HEADLINE)].itertuples(index=False):
        ids = have.get((r.indicator, r.entity))
        if ids is not None:
            out.append(Problem("observations.csv", r.row, "source_id",
                               f"warning: {r.id!r} rests on a republished wire story ({r.source_id}) while a primary document "
                               f"exists for {r.indicator} / {r.entity} (e.g. {ids.iloc[0]!r}): read and prefer the primary"))
    return out


def warnings(ds: Dataset) -> list[Problem]:
    """Every warning for the dataset, in file order."""
    return sorted(wire_over_primary(ds))
