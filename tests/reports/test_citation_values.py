"""Citations of the kit and of a source, written out whole for given inputs.

The kit's citation reads its version, the data version, the git commit and the dependency lock: the
data version comes from a small descriptor (REKIT_DATA), the version from `rekit.__version__`, and
the commit and lock hash, which depend on the checkout, are fixed here. A source's citation comes
from a real `Dataset` built from a sources table of a few rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

import rekit
from rekit.data.dataset import Dataset
from rekit.reports import citation
from rekit.reports.citation import CitationError

COMMIT = "0123456789abcdef0123456789abcdef01234567"
#: SHA-256 of b"abc" (FIPS 180-2, appendix B.1): ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
LOCK = "sha256:ba7816bf8f01cfea"
TITLE = "rekit: a research kit on India's rare-earth supply chain"


@pytest.fixture
def kit(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "datapackage.json").write_text(json.dumps({"name": "x", "version": "0.4.0"}), encoding="utf-8")
    monkeypatch.setenv("REKIT_DATA", str(data))
    monkeypatch.setattr(rekit, "__version__", "9.8.7")
    monkeypatch.setattr(citation, "git_commit", lambda: COMMIT + "+dirty")
    monkeypatch.setattr(citation, "lock_hash", lambda: LOCK)
    return data


def test_the_data_version_is_the_descriptors_version_or_unknown(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    assert citation.data_version(d) == "unknown"  # no descriptor
    (d / "datapackage.json").write_text('{"version": "0.4.0"}', encoding="utf-8")
    assert citation.data_version(d) == "0.4.0"
    (d / "datapackage.json").write_text('{"version": 3}', encoding="utf-8")
    assert citation.data_version(d) == "3"
    (d / "datapackage.json").write_text('{"version": ""}', encoding="utf-8")
    assert citation.data_version(d) == "unknown"
    (d / "datapackage.json").write_text('{"name": "x"}', encoding="utf-8")
    assert citation.data_version(d) == "unknown"
    (d / "datapackage.json").write_text('{"version": ', encoding="utf-8")
    assert citation.data_version(d) == "unknown"


def test_the_data_version_reads_the_folder_in_use(kit):
    assert citation.data_version() == "0.4.0"


def test_the_lock_hash_is_the_first_16_hex_digits_of_the_locks_sha256(tmp_path):
    citation.lock_hash.cache_clear()
    (tmp_path / "requirements.lock").write_bytes(b"abc")
    assert citation.lock_hash(tmp_path) == LOCK
    assert citation.lock_hash(tmp_path / "elsewhere") == "unknown"
    assert citation.git_commit(tmp_path) == "unknown"  # no .git
    citation.lock_hash.cache_clear()


def test_kit_info_gathers_the_versions_and_the_build_date(kit):
    assert citation.kit_info("2025-07-01") == {"rekit_version": "9.8.7", "data_version": "0.4.0",
                                               "commit": COMMIT + "+dirty", "lock": LOCK, "built": "2025-07-01"}
    assert citation.kit_info()["built"] == dt.date.today().isoformat()


@pytest.mark.parametrize("commit, short", [
    ("unknown", "unknown"),
    (COMMIT, "0123456789ab"),
    (COMMIT + "+dirty", "0123456789ab+dirty"),
])
def test_a_commit_is_cited_by_its_first_12_digits(commit, short):
    assert citation._short_commit(commit) == short


def test_bibtex_escapes_its_special_characters():
    assert citation._bib_escape("a{b}c&d%e$f#g_h") == r"a\{b\}c\&d\%e\$f\#g\_h"
    assert citation._bib_escape(2025) == "2025"


def test_the_kit_cited_as_text_and_short(kit):
    tail = (", data version 0.4.0, commit 0123456789ab+dirty, dependencies sha256:ba7816bf8f01cfea (requirements.lock), "
            "built 2025-07-01.")
    assert citation.cite_kit("text", built="2025-07-01") == f"The rekit contributors (2025). {TITLE}. Version 9.8.7" + tail
    assert citation.cite_kit("text", "India & China", built="2025-07-01") == (
        f"The rekit contributors (2025). India & China. In: {TITLE}. Version 9.8.7" + tail)
    assert citation.cite_kit("short", built="2025-07-01") == "rekit 9.8.7 (data 0.4.0, 2025)"
    assert citation.cite_kit("short", "India & China", built="2025-07-01") == "India & China, rekit 9.8.7 (data 0.4.0, 2025)"
    assert citation.cite_kit("short", 2030, built="2025-07-01") == "2030, rekit 9.8.7 (data 0.4.0, 2025)"


def test_the_kit_cited_as_bibtex(kit, monkeypatch):
    monkeypatch.setattr(rekit, "__version__", "1.0_dev")
    note = "data version 0.4.0, commit 0123456789ab+dirty, dependencies sha256:ba7816bf8f01cfea (requirements.lock), built 2025-07-01"
    assert citation.cite_kit("bibtex", "Prices_100% {draft}", built="2025-07-01") == (
        "@software{rekit2025prices100draft,\n"
        "  author = {{The rekit contributors}},\n"
        f"  title = {{{{Prices\\_100\\% \\{{draft\\}}. In: {TITLE}}}}},\n"
        "  year = {2025},\n"
        "  version = {1.0\\_dev},\n"
        f"  note = {{{note}}}\n"
        "}")
    # the key keeps the title's first 20 lower-case letters and digits
    assert citation.cite_kit("bibtex", "A Very Long Report Title, Indeed", built="2025-07-01").startswith(
        "@software{rekit2025averylongreporttitle,\n")
    assert citation.cite_kit("bibtex", built="2025-07-01").startswith(
        "@software{rekit2025,\n  author = {{The rekit contributors}},\n" f"  title = {{{{{TITLE}}}}},\n")


def test_an_unknown_format_is_named_with_the_allowed_ones(kit):
    for call in (lambda: citation.cite_kit("apa"), lambda: citation.cite("s1", "apa"), lambda: citation.check_format("apa")):
        with pytest.raises(CitationError) as exc:
            call()
        assert str(exc.value) == "unknown citation format 'apa'; allowed: text, short, bibtex"
    assert citation.check_format("short") == "short"


def dataset(*rows: dict) -> Dataset:
    columns = ["source_id", "title", "publisher", "date", "url", "accessed", "tier", "reports_on"]
    sources = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    empty = pd.DataFrame()
    return Dataset(observations=empty, sources=sources, events=empty, indicators=empty, path=Path("data"))


DS = dataset(
    {"source_id": "ibm_2024:v2", "title": "Rare earths_50% {yearbook}", "publisher": "IBM & Co", "date": "2024-03-05",
     "url": "https://ibm.gov.in/yb", "accessed": "2025-01-02", "tier": "official", "reports_on": "Reuters"},
    {"source_id": "memo", "title": None, "publisher": None, "date": "2024", "url": float("nan"), "accessed": "",
     "tier": "official", "reports_on": "nan"},
)


def test_a_source_cited_as_bibtex_has_its_url_and_access_date():
    assert citation.cite_source(DS, "ibm_2024:v2", "bibtex") == (
        "@online{ibm_2024:v2,\n"
        "  title = {Rare earths\\_50\\% \\{yearbook\\}},\n"
        "  author = {{IBM \\& Co}},\n"
        "  year = {2024},\n"
        "  month = {03},\n"
        "  url = {https://ibm.gov.in/yb},\n"
        "  urldate = {2025-01-02},\n"
        "  note = {Reporting Reuters}\n"
        "}")


def test_a_source_without_url_title_or_publisher_is_a_misc_entry_under_its_id():
    # an empty author is "{}", kept; empty or missing fields are left out; a year alone has no month
    assert citation.cite_source(DS, "memo", "bibtex") == "@misc{memo,\n  title = {memo},\n  author = {{}},\n  year = {2024}\n}"


def test_a_source_id_is_made_a_safe_bibtex_key():
    ds = dataset({"source_id": "a b/c{d}", "title": "T", "publisher": "P", "date": "2024-03-05"})
    assert citation.cite_source(ds, "a b/c{d}", "bibtex").startswith("@misc{a_b_c_d_,\n")


def test_a_source_cited_as_text_and_short_is_the_datasets_citation():
    assert citation.cite_source(DS, "ibm_2024:v2", "short") == (
        "Rare earths_50% {yearbook} (IBM & Co, reporting Reuters, 2024-03-05; official)")
    assert citation.cite_source(DS, "ibm_2024:v2") == (
        "IBM & Co (2024-03-05). Rare earths_50% {yearbook}. Reporting Reuters. https://ibm.gov.in/yb (accessed 2025-01-02) [official]")


def test_an_unknown_source_is_named():
    with pytest.raises(CitationError) as exc:
        citation.cite_source(DS, "zzz", "bibtex")
    assert str(exc.value) == "unknown source 'zzz' (the 2 sources are in data/sources.csv)"
    with pytest.raises(CitationError) as exc:
        citation.cite("ibm_2024:v3", "text", ds=DS)
    assert str(exc.value) == "unknown source 'ibm_2024:v3'; did you mean ibm_2024:v2? (the 2 sources are in data/sources.csv)"


def test_cite_gives_the_kit_or_a_source_and_asks_for_one_of_them(kit):
    assert citation.cite(kit=True, fmt="short") == "rekit 9.8.7 (data 0.4.0, " + dt.date.today().isoformat()[:4] + ")"
    assert citation.cite("ibm_2024:v2", "short", ds=DS).startswith("Rare earths_50% {yearbook} (IBM & Co")
    for source in (None, ""):
        with pytest.raises(CitationError) as exc:
            citation.cite(source, "text", ds=DS)
        assert str(exc.value) == "name a source id to cite (see data/sources.csv), or ask for the kit with --kit"


@pytest.mark.parametrize("url, ok", [
    ("https://example.org/a?b=1", True),
    ("HTTP://EXAMPLE.ORG", True),
    ("  https://example.org/a  ", True),     # spaces around are stripped
    ("javascript:alert(1)", False),
    ("data:text/html,<b>x</b>", False),
    ("file:///etc/passwd", False),
    ("//example.org/a", False),
    ("https://", False),
    ("https://example.org/a b", False),
    ('https://example.org/"onmouseover', False),
    ("https://example.org/<script>", False),
    ("https://example.org/'x", False),
    ("see https://example.org", False),
    (None, False),
    (42, False),
])
def test_only_an_http_address_is_a_web_link(url, ok):
    assert citation.is_web_link(url) is ok


def test_the_default_format_is_text(kit):
    assert citation.cite_kit(built="2025-07-01").startswith("The rekit contributors (2025). ")
    assert citation.cite("ibm_2024:v2", ds=DS) == citation.cite_source(DS, "ibm_2024:v2", "text")
    assert citation.cite("ibm_2024:v2", ds=DS).startswith("IBM & Co (2024-03-05). ")


def test_a_source_is_cited_from_the_bundled_data_when_no_dataset_is_given(monkeypatch):
    monkeypatch.delenv("REKIT_DATA", raising=False)
    with pytest.raises(CitationError) as exc:
        citation.cite("no_such_source_zz", "bibtex")
    assert str(exc.value).startswith("unknown source 'no_such_source_zz'")


def test_a_dataset_that_refuses_a_source_without_words_gets_them():
    class Refusing:
        def source(self, source_id):
            raise KeyError()

    with pytest.raises(CitationError) as exc:
        citation.cite_source(Refusing(), "x", "bibtex")
    assert str(exc.value) == "unknown source 'x'"


def test_bibtex_fields_of_a_source_typed_as_the_loader_types_them():
    columns = ["source_id", "title", "publisher", "date", "url", "accessed", "tier", "reports_on"]
    sources = pd.DataFrame([
        ["USGS_MCS:2025", "Mineral Commodity Summaries", "USGS", "2025-01", pd.NA, pd.NA, "official", pd.NA],
        ["nodate", 2024.5, "P", pd.NA, pd.NA, pd.NA, "official", pd.NA],
    ], columns=columns)
    sources = sources.astype({c: "string" for c in columns if c != "title"})
    ds = Dataset(observations=pd.DataFrame(), sources=sources, events=pd.DataFrame(), indicators=pd.DataFrame(),
                 path=Path("data"))
    # capitals kept in the key; a month from "2025-01" (7 characters); no url: a misc entry
    assert citation.cite_source(ds, "USGS_MCS:2025", "bibtex") == (
        "@misc{USGS_MCS:2025,\n  title = {Mineral Commodity Summaries},\n  author = {{USGS}},\n  year = {2025},\n"
        "  month = {01}\n}")
    # a number as title is its text; no date: no year, no month
    assert citation.cite_source(ds, "nodate", "bibtex") == "@misc{nodate,\n  title = {2024.5},\n  author = {{P}}\n}"
