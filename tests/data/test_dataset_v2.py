"""Dataset 0.2.0: tiers, withdrawn rows, scope keys, the disagreement register, versions, diff and sane values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA, ROOT, first_row, read_rows, set_cell, write_rows
from rekit.data import validate
from rekit.data.conflicts import conflicts_csv, find_conflicts, split_register
from rekit.data.dataset import load
from rekit.data.diff import DiffError, diff_packages
from rekit.data.periods import PeriodError, parse_period
from rekit.data.problems import DataError
from rekit.data.warnings import warnings
from rekit.data.yamlfile import YamlFileError, read_yaml

V010 = Path(__file__).parent / "fixtures" / "data_v0_1_0"


# --- the new columns and status ---------------------------------------------------------------

def test_every_source_has_a_tier_a_title_and_a_web_address_where_known(ds):
    tiers = {"primary", "official-secondary", "news", "wire-republished", "industry", "vendor", "academic"}
    assert set(ds.sources["tier"]) <= tiers
    assert ds.sources["title"].notna().all()
    assert not ds.sources["title"].str.contains("headline not recorded").any()
    # only the CNBC story (read in republished copies) has no address
    assert set(ds.sources.loc[ds.sources["url"].isna(), "source_id"]) == {"cnbc_argus_2025"}


def test_the_tier_is_a_column(ds):
    assert "tier" in ds.series("magnet_scheme_outlay").columns


def test_withdrawn_rows_keep_their_words_and_quote_the_revision(ds):
    w = ds.observations[ds.observations["status"] == "withdrawn"]
    assert set(w["id"]) == {"irel_nd_fy2024_25_reported_business_standard", "irel_nd_fy2025_26_target_business_standard",
                            "irel_nd_fy2026_27_target_business_standard"}
    assert w["quote"].notna().all() and w["revision"].str.contains("12 Nov 2025").all()
    assert not set(w["id"]) & set(ds.usable()["id"])


def test_no_deal_default_rests_on_a_withdrawn_row(ds):
    text = (DATA / "deals.yml").read_text()
    for oid in ds.observations.loc[ds.observations["status"] == "withdrawn", "id"]:
        assert oid not in text


def test_the_corrected_readings(ds):
    # IREL's 400-500 t is NdPr oxide; the gazette-based capacity is 400 t/yr
    assert ds.obs("irel_nd_2025_reported_taste_of_capital")["unit"] == "t NdPr oxide"
    assert ds.obs("irel_nd_2025_reported_india_manufacturing_review")["unit"] == "t NdPr oxide/yr"
    assert ds.value("irel_ndpr_oxide_capacity_2025_12_energetica") == 400
    # PIB's 2009-14 is five fiscal years: 1 Apr 2009 to 31 Mar 2014
    row = ds.obs("irel_re_production_2009_2014_pib")
    assert (row["period_start"], row["period_end"]) == (pd.Timestamp("2009-04-01"), pd.Timestamp("2014-03-31"))
    # the 0.1% rule is No. 61, the five elements No. 57
    assert "No. 61" in ds.obs("china_export_control_content_threshold_2025_10_09")["scope"]
    assert "No. 57" in ds.obs("china_export_controlled_elements_added_2025_10_09")["scope"]
    # the loose 90% is not a mining share
    assert ds.obs("china_re_share_global_2025_06_seed_outlook")["indicator"] == "re_share_unspecified"


def test_holes_are_marked_not_reported(ds):
    titles = " ".join(ds.events["title"])
    for what, day in (("REPM tender outcome", "2026-11-30"), ("IREL's FY2025-26 output", "2026-11-30"),
                      ("After 10 Nov 2026", "2026-12-03")):  # the last read again for data 0.4.0
        assert f"{what}: not reported as of {day}" in titles


# --- bad input: file, row and column, all in one run --------------------------------------------

def test_four_kinds_of_bad_input_named_in_one_run(data_copy):
    i = first_row(data_copy, "observations.csv", id="irel_nd_fy2025_26_target_business_standard")
    r_withdrawn = set_cell(data_copy, "observations.csv", i, "revision", "")
    r_scope = set_cell(data_copy, "observations.csv", 0, "scope_key", "magnets_everywhere")
    r_tier = set_cell(data_copy, "sources.csv", 0, "tier", "blog")
    r_res = set_cell(data_copy, "resolutions.csv", 0, "rows", "usgs2025_mine_australia_2024 no_such_row")
    found = {(p.file, p.row, p.column): p.message for p in validate.quick(data_copy)}
    assert "quote the source's retraction" in found[("observations.csv", r_withdrawn, "revision")]
    assert "'magnets_everywhere' is not allowed" in found[("observations.csv", r_scope, "scope_key")]
    assert "'blog' is not allowed" in found[("sources.csv", r_tier, "tier")]
    assert "'no_such_row' is not an id in observations.csv" in found[("resolutions.csv", r_res, "rows")]
    out = subprocess.run([sys.executable, "-m", "rekit.cli", "data", "check", "--quick", str(data_copy)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    for row, col in ((r_withdrawn, "revision"), (r_scope, "scope_key")):
        assert f"observations.csv:{row}: {col}:" in out.stdout
    assert f"sources.csv:{r_tier}: tier:" in out.stdout and f"resolutions.csv:{r_res}: rows:" in out.stdout


def test_prefer_must_name_one_of_its_rows(data_copy):
    i = first_row(data_copy, "resolutions.csv", decision="prefer")
    row = set_cell(data_copy, "resolutions.csv", i, "preferred", "usgs2026_mine_china_2024")
    found = {(p.file, p.row, p.column) for p in validate.quick(data_copy)}
    assert ("resolutions.csv", row, "preferred") in found


@pytest.mark.parametrize("value, fragment", [
    ("1e300", "must not exceed"), ("２９００", "full-width"), ("2_900", "'_' separators"), ("nan", "not a number"),
])
def test_insane_values_refused(data_copy, value, fragment):
    row = set_cell(data_copy, "observations.csv", 0, "value", value)
    hits = [p for p in validate.quick(data_copy) if (p.file, p.row, p.column) == ("observations.csv", row, "value")]
    assert hits and fragment in hits[0].message


@pytest.mark.parametrize("period", ["0000", "FY9999-00", "1899", "2101-01"])
def test_periods_outside_a_sane_span_are_a_clear_error(data_copy, period):
    with pytest.raises(PeriodError, match="outside 1900-2100"):
        parse_period(period)
    row = set_cell(data_copy, "observations.csv", 0, "period", period)
    with pytest.raises(DataError, match=f"observations.csv:{row}: period:"):
        load(data_copy)


def test_country_above_world_total(data_copy):
    i = first_row(data_copy, "observations.csv", id="usgs2026_mine_china_2024")
    row = set_cell(data_copy, "observations.csv", i, "value", "400000")
    # China 400,000 > World 380,000 in MCS 2026 for 2024
    hits = [p for p in validate.quick(data_copy) if (p.row, p.column) == (row, "value")]
    assert hits and "exceeds the World total 380000" in hits[0].message


def test_exact_duplicate_under_a_new_id(data_copy):
    path = data_copy / "observations.csv"
    rows = read_rows(path)
    copy = dict(rows[5], id="a_copy_of_row_7")
    write_rows(path, rows + [copy])
    hits = [p for p in validate.quick(data_copy) if p.column == "id" and "exact duplicate" in p.message]
    assert hits and hits[0].row == len(rows) + 2 and "repeats row 7" in hits[0].message


def test_observations_csv_that_is_a_folder(data_copy):
    (data_copy / "observations.csv").unlink()
    (data_copy / "observations.csv").mkdir()
    with pytest.raises(DataError, match="observations.csv:0: \\(file\\): is a folder, not a CSV file"):
        load(data_copy)


# --- the disagreement register --------------------------------------------------------------------

def test_resolutions_point_at_real_rows(ds):
    ids = set(ds.observations["id"])
    for r in ds.resolutions.itertuples():
        assert set(r.rows.split()) <= ids
        assert r.decision == "range" or r.preferred in r.rows.split()


def test_register_splits_resolved_and_unresolved_and_has_a_csv_form(ds):
    c = ds.conflicts()
    unresolved, resolved = split_register(c)
    assert len(unresolved) + len(resolved) == len(c) and len(resolved) == len(c)
    text = conflicts_csv(c)
    head = text.splitlines()[0].split(",")
    assert head[0] == "state" and "resolution" in head and len(text.splitlines()) == len(c) + 1


def test_a_wire_story_counts_once():
    """Two sites reprint one Reuters figure (1,000 t) against another source's 2,000 t: one disagreement, not two."""
    per = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")
    base = dict(indicator="x", entity="E", partner=None, period="2024", low=float("nan"), high=float("nan"), unit="t",
                scope="s", status="reported", scope_key=None, period_start=per[0], period_end=per[1])
    obs = pd.DataFrame([dict(base, id="a1", value=1000.0, source_id="site1"), dict(base, id="a2", value=1000.0, source_id="site2"),
                        dict(base, id="b", value=2000.0, source_id="paper")])
    src = pd.DataFrame({"source_id": ["site1", "site2", "paper"], "reports_on": ["Reuters", "Reuters", None]})
    c = find_conflicts(obs, src)
    assert list(zip(c["id_a"], c["id_b"], strict=True)) == [("a1", "b")] and c["also_a"].iloc[0] == "a2"


def test_warning_for_a_wire_figure_beside_a_primary_document(ds):
    msgs = [str(w) for w in warnings(ds)]
    assert any("china_mining_share_2025_08_india_manufacturing_review" in m and "primary" in m for m in msgs)


# --- versions, diff and the changelog -----------------------------------------------------------

def test_version_bumped():
    import json

    assert json.loads((DATA / "datapackage.json").read_text())["version"] == "0.7.0"
    assert json.loads((V010 / "datapackage.json").read_text())["version"] == "0.1.0"


def test_diff_lists_added_changed_and_withdrawn_rows():
    d = diff_packages(V010, DATA)
    o = d.tables["observations"]
    assert "irel_ndpr_oxide_capacity_2025_12_energetica" in o.added
    assert o.changed["irel_nd_fy2025_26_target_business_standard"]["status"] == ("target", "withdrawn")
    assert o.changed["irel_re_production_2009_2014_pib"]["period"] == ("2009/2014", "FY2009-10/FY2013-14")
    assert d.tables["resolutions"].added and not o.removed
    assert "data 0.1.0 -> 0.7.0" in d.text()


def test_diff_of_a_folder_with_itself_is_empty():
    assert diff_packages(DATA, DATA).empty


def test_diff_refuses_a_folder_that_is_not_a_data_package(tmp_path):
    with pytest.raises(DiffError, match="is not a data package"):
        diff_packages(tmp_path, DATA)
    with pytest.raises(DiffError, match="neither a folder nor a git revision"):
        diff_packages("no-such-revision~7", DATA)


def test_changelog_names_every_row_that_changed():
    text = (DATA / "CHANGELOG.md").read_text()
    section = text.split("## 0.1.0", 1)[0]  # every release since 0.1.0 (0.2.0, 0.3.0, ...)
    d = diff_packages(V010, DATA)
    for t in d.tables.values():
        for key in t.added + t.removed + list(t.changed):
            assert f"`{key}`" in section, f"data/CHANGELOG.md (0.2.0 onwards) does not name {t.table} row {key!r}"
    withdrawn = section.split("### Withdrawn", 1)[1].split("\n### ", 1)[0]
    for key, cols in d.tables["observations"].changed.items():
        if cols.get("status", ("", ""))[1] == "withdrawn":
            assert f"`{key}`" in withdrawn


# --- YAML limits --------------------------------------------------------------------------------

LAUGHS = "\n".join([
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    *(f'{b}: &{b} [{",".join([f"*{a}"] * 9)}]' for a, b in zip("abcdefgh", "bcdefghi", strict=True)),
]) + "\n"


def test_billion_laughs_refused_quickly(tmp_path):
    # nine levels of nine-fold aliases: 9^9 = 387,420,489 strings once expanded, from a few hundred bytes
    f = tmp_path / "lol.yml"
    f.write_text(LAUGHS + "#" * (687 - len(LAUGHS) - 1) + "\n")
    assert f.stat().st_size == 687
    with pytest.raises(YamlFileError, match="aliases are expanded") as exc:
        read_yaml(f, "deals file")
    assert len(str(exc.value)) < 200


def test_yaml_too_deep_too_big_or_not_utf8(tmp_path, monkeypatch):
    deep = tmp_path / "deep.yml"
    deep.write_text("[" * 60 + "]" * 60)
    with pytest.raises(YamlFileError, match="deeper than 50"):
        read_yaml(deep, "deals file")
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(YamlFileError, match="not UTF-8"):
        read_yaml(bad, "deals file")
    import rekit.data.yamlfile as y

    monkeypatch.setattr(y, "MAX_BYTES", 100)
    big = tmp_path / "big.yml"
    big.write_text("a: " + "x" * 200)
    with pytest.raises(YamlFileError, match="larger than the limit of 100 bytes"):
        read_yaml(big, "deals file")


# --- the commands -------------------------------------------------------------------------------

def rekit(*args):
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_conflicts_unresolved_and_resolved_apart_and_as_csv():
    out = rekit("data", "conflicts")
    assert out.returncode == 0
    assert out.stdout.index("Unresolved: 0 pairs") < out.stdout.index("Resolved: 20 pairs")
    assert "the kit prefers usgs2026_mine_australia_2024" in out.stdout.replace("\n    ", " ")
    csv_out = rekit("data", "conflicts", "--format", "csv")
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("state,indicator,") and len(lines) == 21 and all(l.startswith("resolved,") for l in lines[1:])


def test_cli_diff_of_two_versions_and_of_a_folder_that_is_not_a_package(tmp_path):
    out = rekit("data", "diff", str(V010), str(DATA))
    assert out.returncode == 0 and "data 0.1.0 -> 0.7.0" in out.stdout
    assert "  ~ irel_nd_fy2025_26_target_business_standard: " in out.stdout and "status" in out.stdout
    bad = rekit("data", "diff", str(tmp_path), str(DATA))
    assert bad.returncode == 2 and "is not a data package" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_check_warns_without_failing():
    """(That the bundled data passes: test_data_validation.py; `cite`: ds.cite in test_data_helpers.py,
    the command in tests/reports/test_cli_v2.py.)"""
    out = rekit("data", "check", "--quick")
    assert out.returncode == 0 and "data 0.7.0" in out.stdout and "warning" in out.stdout
    assert "china_mining_share_2025_08_india_manufacturing_review" in out.stderr


def test_diff_between_git_revisions():
    """29735dc holds data 0.1.0, the same files as the fixture: no row differs between the two."""
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", "29735dc"], capture_output=True).returncode != 0:
        pytest.skip("this copy has no git history")
    assert diff_packages("29735dc", V010).empty
    assert "irel_ndpr_oxide_capacity_2025_12_energetica" in diff_packages("29735dc", DATA).tables["observations"].added


def test_neodymium_in_irels_oxide_capacity(ds):
    # 400 t NdPr oxide x 0.75 (Nd2O3 in the 75:25 grade) x 0.8574 (Nd in Nd2O3) = 257.22 t Nd a year
    assert ds.value("irel_nd_capacity_from_ndpr_oxide_2025_12_derived") == pytest.approx(257.2, abs=0.05)
    assert ds.value("irel_ndpr_oxide_capacity_2025_12_energetica") * ds.value("nd2o3_share_ndpr_oxide_fastmarkets_2024") \
        * ds.value("nd_in_nd2o3_derived") == pytest.approx(257.22, abs=0.01)
