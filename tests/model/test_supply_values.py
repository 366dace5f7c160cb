"""World mine production and its concentration, on a small hand-made dataset (not the bundled data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rekit.errors import RekitError
from rekit.data.dataset import Dataset
from rekit.model.supply import concentration_table, mine_production

# Two editions; edition "e1" reports 2023 with a World total and an "Other" row, edition "e2"
# reports 2024 without a World row; one quarterly row and one row of another indicator are noise.
ROWS = [
    # id, indicator, entity, period, period_kind, value, status, source_id
    ("o1", "mine_production", "A", "2023", "year", 60.0, "estimate", "e1"),
    ("o2", "mine_production", "B", "2023", "year", 20.0, "estimate", "e1"),
    ("o3", "mine_production", "Other", "2023", "year", 10.0, "estimate", "e1"),
    ("o4", "mine_production", "World", "2023", "year", 100.0, "reported", "e1"),
    ("o5", "mine_production", "A", "2024", "year", 30.0, "reported", "e2"),
    ("o6", "mine_production", "B", "2024", "year", 10.0, "reported", "e2"),
    ("o7", "mine_production", "A", "2024-Q1", "quarter", 9.0, "reported", "e2"),
    ("o8", "oxide_output", "A", "2024", "year", 5.0, "reported", "e2"),
]


@pytest.fixture(scope="module")
def ds() -> Dataset:
    obs = pd.DataFrame(ROWS, columns=["id", "indicator", "entity", "period", "period_kind", "value", "status", "source_id"])
    obs = obs.astype({c: "string" for c in obs.columns if c != "value"})
    obs["partner"] = pd.Series([pd.NA] * len(obs), dtype="string")
    obs["period_start"] = pd.to_datetime(obs["period"].str.slice(0, 4) + "-01-01")
    sources = pd.DataFrame({"source_id": ["e1", "e2"], "title": ["T1", "T2"], "publisher": ["P", "P"],
                            "date": ["2024-01", "2025-01"], "tier": ["primary", "primary"]})
    indicators = pd.DataFrame({"indicator": ["mine_production", "oxide_output"], "title": ["", ""], "description": ["", ""]})
    return Dataset(observations=obs, sources=sources, events=pd.DataFrame(), indicators=indicators, path=Path("."))


def test_mine_production_keeps_the_yearly_rows_with_the_columns_named_and_typed(ds):
    t = mine_production(ds)
    assert list(t.columns) == ["edition", "year", "entity", "value", "status"]
    assert len(t) == 6  # o1..o6: the quarter and the other indicator are left out
    assert set(t["year"]) == {2023, 2024} and t["year"].dtype.kind == "i"
    assert t["edition"].tolist().count("e1") == 4 and t["edition"].tolist().count("e2") == 2
    row = t[(t["entity"] == "World")].iloc[0]
    assert (row["edition"], row["year"], row["value"], row["status"]) == ("e1", 2023, 100.0, "reported")
    for column in ("edition", "entity", "status"):
        assert all(isinstance(v, str) for v in t[column])


@pytest.mark.parametrize("edition", [None, []])
def test_no_edition_means_every_edition(ds, edition):
    assert len(mine_production(ds, edition)) == 6


def test_an_edition_chooses_its_rows(ds):
    t = mine_production(ds, ["e2"])
    assert sorted(zip(t["entity"], t["value"], strict=True)) == [("A", 30.0), ("B", 10.0)]
    assert len(mine_production(ds, ["e1", "e2"])) == 6


def test_an_unknown_edition_is_named_with_the_known_ones(ds):
    with pytest.raises(RekitError) as caught:  # the user's input, not a bug: exit 2 on the command line
        mine_production(ds, ["e9", "e2", "e0"])
    assert caught.value.args[0] == "no mine production in edition(s) e0, e9; editions: e1, e2"


def test_concentration_table_by_edition_and_year(ds):
    t = concentration_table(ds)
    assert "edition" in t.columns and "group" not in t.columns
    e1 = t[t["edition"] == "e1"].set_index("entity")
    # e1 2023: World 100 t; "Other" excluded from the countries; A 60/100, B 20/100
    assert list(e1.index) == ["A", "B"]
    assert e1.loc["A", "share"] == pytest.approx(0.6) and e1.loc["B", "share"] == pytest.approx(0.2)
    assert e1.loc["A", "top3_share"] == pytest.approx(0.8)  # 0.6 + 0.2
    assert e1.loc["A", "hhi"] == pytest.approx(60**2 + 20**2)  # 3600 + 400 = 4000
    e2 = t[t["edition"] == "e2"].set_index("entity")
    # e2 2024: no World row, the countries' sum 30 + 10 = 40 t: A 0.75, B 0.25, HHI 75² + 25² = 6250
    assert e2.loc["A", "share"] == pytest.approx(0.75) and e2.loc["B", "share"] == pytest.approx(0.25)
    assert e2.loc["A", "hhi"] == pytest.approx(6250)
    assert len(concentration_table(ds, ["e2"])) == 2
