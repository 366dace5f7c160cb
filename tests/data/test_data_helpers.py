"""What a researcher does with the dataset: series, citations, conflicts, summaries, and the CLI over them."""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache

import pandas as pd
import pytest

from conftest import DATA, set_cell
from rekit.model.conversions import ND_PER_ND2FE14B, ND_PER_ND2O3
from rekit.data.dataset import load
from rekit.data.overview import indicator_summary


@lru_cache(maxsize=1)
def ds():
    return load()


def rekit(*args):
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True)


def test_tables_are_typed_and_periods_parsed():
    o = ds().observations
    assert o["value"].dtype == "float64" and o["low"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(o["period_start"])
    fy = o[o["period"] == "FY2024-25"].iloc[0]
    assert (fy["period_start"], fy["period_end"]) == (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    assert pd.api.types.is_datetime64_any_dtype(ds().events["date_start"])


def test_every_observation_resolves_to_a_source_with_a_quote_or_a_derivation():
    o = ds().observations
    assert o["source_id"].isin(ds().sources["source_id"]).all()
    quoted = o["quote"].notna()
    derived = (o["status"] == "derived") & o["derived_from"].notna() & o["note"].notna()
    assert (quoted | derived).all(), o.loc[~(quoted | derived), "id"].tolist()


def test_required_events_are_there():
    ids = set(ds().events["id"])
    kinds = ds().events.set_index("id")["kind"]
    assert {"irel_toyotsu_agreement_2012", "china_export_controls_announcement_18", "india_directs_irel_halt_japan_exports",
            "irel_seeks_japan_korea_partners", "china_export_controls_expansion_oct_2025",
            "china_suspends_oct_controls_announcement_70", "india_repm_scheme_approved",
            "india_japan_moc_mineral_resources"} <= ids
    april = ds().events.set_index("id").loc["china_export_controls_announcement_18", "description"].lower()
    for element in ("samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium", "yttrium"):
        assert element in april
    assert kinds["china_export_controls_announcement_18"] == "export_control"


def test_series_selects_and_sorts_by_period():
    s = ds().series("nd_production", entity="IREL")
    assert list(s["period_start"]) == sorted(s["period_start"])
    assert {"title", "publisher", "date"} <= set(s.columns)
    with pytest.raises(KeyError, match="unknown indicator 'nd_prod'"):
        ds().series("nd_prod")


def test_citations():
    full = ds().cite("seed_2025_06_outlook_business")
    assert full.startswith("Outlook Business (2025-06).") and "Reporting Reuters." in full and "accessed 2026-11-22" in full
    short = ds().cite("usgs_mcs_2026", "short")
    assert "U.S. Geological Survey" in short and "2026" in short
    with pytest.raises(KeyError, match="did you mean usgs_mcs_2026"):
        ds().cite("usgs_mcs_2062")
    # the source's tier closes the citation
    assert ds().cite("gazette_mhi_2025_12_15").endswith("[primary]")
    assert ds().cite("pib_mines_2026_02_03").endswith("[primary]")
    assert "wire-republished" in ds().cite("reuters_kitco_2025_11_26", "short")


def test_conflicts_keep_the_disagreements_the_field_knows():
    c = ds().conflicts()
    pairs = {frozenset((a, b)) for a, b in zip(c["id_a"], c["id_b"], strict=True)}
    # rare-earth magnet imports FY2024-25: CRISIL's 540 t against Moneycontrol's expected 700 t
    assert frozenset(("india_re_magnet_imports_fy2024_25_crisil", "india_re_magnet_imports_fy2024_25_moneycontrol")) in pairs
    # IREL's NdPr oxide capacity: 400-500 t (Aug 2025) against Primus's 1,500 t
    assert frozenset(("irel_nd_2025_reported_india_manufacturing_review", "irel_ndpr_oxide_capacity_2025_08_primus")) in pairs
    # USGS editions revise Australia's 2024 output
    usgs = c[(c["indicator"] == "mine_production") & (c["entity"] == "Australia")]
    assert not usgs.empty
    # a figure is never in conflict with a rounding of itself
    assert frozenset(("india_magnet_imports_fy2024_25_indian_express", "india_magnet_imports_fy2024_25_reuters_kitco")) not in pairs


def test_conflicts_compare_only_the_same_scope():
    """All permanent magnets (53,700 t) against rare-earth magnets (540 t), a budget part against its total,
    a withdrawn figure against anything: none is a disagreement."""
    c = ds().conflicts()
    pairs = {frozenset((a, b)) for a, b in zip(c["id_a"], c["id_b"], strict=True)}
    assert frozenset(("india_magnet_imports_fy2024_25_indian_express", "india_re_magnet_imports_fy2024_25_crisil")) not in pairs
    assert frozenset(("repm_scheme_outlay_capital_subsidy_ndtv_profit", "repm_scheme_outlay_total_ndtv_profit")) not in pairs
    withdrawn = set(ds().observations.query("status == 'withdrawn'")["id"])
    assert withdrawn and not (set(c["id_a"]) | set(c["id_b"])) & withdrawn


def test_every_disagreement_is_resolved():
    c = ds().conflicts()
    assert not c.empty and c["resolution"].notna().all()


def test_conflicts_respect_ranges():
    """400-500 and 450 agree; a lower bound ('over 1,000 t') agrees with anything above it."""
    c = ds().conflicts()
    pairs = {frozenset((a, b)) for a, b in zip(c["id_a"], c["id_b"], strict=True)}
    assert frozenset(("irel_re_exports_japan_2024_seed_outlook", "irel_re_exports_japan_2024_reuters_evmagz")) not in pairs


def test_conversion_factors_in_code_match_the_data():
    assert ND_PER_ND2O3 == pytest.approx(ds().value("nd_in_nd2o3_derived"), abs=1e-4)
    assert ND_PER_ND2FE14B == pytest.approx(ds().value("nd_in_ndfeb_derived"), abs=1e-4)
    weights = ds().series("atomic_weight").set_index("entity")["value"]
    from rekit.model.conversions import ATOMIC_WEIGHT

    for element, w in ATOMIC_WEIGHT.items():
        assert weights[element] == w


def test_summary_counts_rows_and_sources():
    table = indicator_summary(ds())
    nd = table.set_index("indicator").loc["nd_production"]
    assert nd["rows"] == len(ds().series("nd_production"))
    assert nd["sources"] == ds().series("nd_production")["source_id"].nunique()


def test_readme_dataset_table_is_current():
    """The dataset page's table of indicators (docs/data.md, once the README's) is `rekit data summary
    --markdown`; regenerate it when the data change."""
    from rekit.data.overview import to_markdown

    page = (DATA.parent / "docs" / "data.md").read_text()
    assert to_markdown(indicator_summary(ds())) in page


# --- command line -----------------------------------------------------------------------------

def test_cli_check_prints_every_problem_and_exits_non_zero(data_copy):
    set_cell(data_copy, "observations.csv", 1, "unit", "tonnes")
    set_cell(data_copy, "observations.csv", 2, "value", "x")
    out = rekit("data", "check", str(data_copy))
    assert out.returncode == 1
    assert "observations.csv:3: unit: 'tonnes' is not allowed" in out.stdout
    assert "observations.csv:4: value: 'x' is not a number" in out.stdout
    assert "Traceback" not in out.stderr


def test_cli_show_prints_rows_with_quotes_and_sources():
    out = rekit("data", "show", "nd_production", "--entity", "IREL")
    assert out.returncode == 0
    assert "clocking about 20-40 tonnes" in out.stdout and "Business Standard" in out.stdout


def test_cli_conflicts_side_by_side():
    out = rekit("data", "conflicts", "--indicator", "ndpr_oxide_capacity")
    assert out.returncode == 0
    assert "400–500" in out.stdout and "1,500" in out.stdout


def test_cli_help_names_every_command():
    out = rekit("--help")
    for cmd in ("data", "cite", "deals", "simulate", "concentration"):
        assert cmd in out.stdout
