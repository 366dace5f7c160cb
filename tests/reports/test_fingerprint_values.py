"""The incremental build's fingerprint, function by function, on small folders (no kernel, no report).

Every expected hash is built here from the layout the module documents, with hashlib itself: a file
counts as its path relative to the folder, a NUL, its bytes and a NUL, in sorted order; hidden
folders and files and ``__pycache__`` are left out. The fingerprint of a report is the SHA-256 of
its notebook's bytes, a JSON text of its title and parameters, the data hash, the code hash and
the bytes of its deals file. A report is rebuilt after a data, code or parameter change, and only
then (the slow end-to-end form of that, with a kernel, is tests/reports/test_incremental.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from rekit.reports import freeze
from rekit.reports.jobs import Job

#: The SHA-256 of no bytes at all (FIPS 180-4's test vector for the empty message).
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(path: Path, data: bytes, mtime_ns: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


@pytest.fixture(autouse=True)
def fresh_cache():
    """`_tree` is cached by (folder, suffixes, stamp): each test starts without a remembered hash."""
    freeze._tree.cache_clear()
    yield
    freeze._tree.cache_clear()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder under a hidden parent (the parent's dot must not hide the files below it), holding
    two counted files, a hidden folder, a hidden file and a __pycache__ folder."""
    root = tmp_path / ".parent" / "tree"
    write(root / "b.txt", b"B")
    write(root / "a" / "x.py", b"X")
    write(root / ".git" / "y.py", b"Y")
    write(root / ".env", b"E")
    write(root / "a" / "__pycache__" / "x.cpython-311.pyc", b"Z")
    return root


def test_a_tree_hashes_each_visible_file_as_path_nul_bytes_nul_in_sorted_order(tree):
    # sorted paths: a/x.py before b.txt; .git/y.py, .env and a/__pycache__/... are left out
    assert freeze._hash_tree(tree, None) == sha(b"a/x.py\0X\0b.txt\0B\0")
    assert freeze._hash_tree(tree, (".py",)) == sha(b"a/x.py\0X\0")
    assert freeze._hash_tree(tree, (".txt", ".j2")) == sha(b"b.txt\0B\0")
    assert freeze._hash_tree(tree / "no-such-folder", None) == EMPTY_SHA256
    assert freeze._hash_tree(tree, (".md",)) == EMPTY_SHA256


def test_a_tree_hash_tells_a_moved_file_from_an_unmoved_one(tmp_path):
    write(tmp_path / "one" / "a", b"same")
    write(tmp_path / "two" / "b", b"same")
    assert freeze._hash_tree(tmp_path / "one", None) == sha(b"a\0same\0")
    assert freeze._hash_tree(tmp_path / "two", None) == sha(b"b\0same\0")


def test_the_stamp_is_the_newest_mtime_and_the_file_count_outside_hidden_and_cache_folders(tmp_path):
    root = tmp_path / "pkg"
    write(root / "m.py", b"", mtime_ns=1_600_000_000_000_000_000)
    write(root / "sub" / "n.py", b"", mtime_ns=1_700_000_000_000_000_000)
    write(root / "__pycache__" / "m.pyc", b"", mtime_ns=1_900_000_000_000_000_000)  # not counted
    write(root / ".git" / "HEAD", b"", mtime_ns=1_800_000_000_000_000_000)  # not counted
    (root / "dangling").symlink_to(root / "nowhere")  # counted, but has no mtime to read
    # newest: max(1.6e18, 1.7e18) = 1.7e18 ns; files: m.py, sub/n.py, dangling = 3
    assert freeze._stamp(root) == (1_700_000_000_000_000_000, 3)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert freeze._stamp(empty) == (0, 0)


def test_the_code_hash_covers_py_and_j2_files_of_the_package(tmp_path, monkeypatch):
    pkg = tmp_path / "rekit"
    write(pkg / "m.py", b"M")
    write(pkg / "templates" / "t.j2", b"T")
    write(pkg / "notes.txt", b"N")  # neither .py nor .j2
    monkeypatch.setattr(freeze, "PACKAGE", pkg)
    assert freeze.code_hash() == sha(b"m.py\0M\0templates/t.j2\0T\0")


def test_the_data_hash_covers_every_file_of_the_folder_in_use(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write(data / "datapackage.json", b"{}")
    write(data / "obs.csv", b"id\n")
    expected = sha(b"datapackage.json\0{}\0obs.csv\0id\n\0")
    assert freeze.data_hash(data) == expected
    monkeypatch.setenv("REKIT_DATA", str(data))
    assert freeze.data_hash() == expected
    assert freeze.data_hash(tmp_path / "elsewhere") == EMPTY_SHA256  # the folder given wins over REKIT_DATA


def test_a_cached_hash_follows_a_change_of_content_with_a_new_mtime(tmp_path):
    data = tmp_path / "data"
    f = write(data / "obs.csv", b"1", mtime_ns=1_600_000_000_000_000_000)
    assert freeze.data_hash(data) == sha(b"obs.csv\x001\0")
    write(f, b"2", mtime_ns=1_600_000_000_000_000_001)
    assert freeze.data_hash(data) == sha(b"obs.csv\x002\0")


@pytest.fixture
def kit(tmp_path, monkeypatch) -> dict:
    """A notebook, a data folder (REKIT_DATA) and a package folder (freeze.PACKAGE), all small."""
    nb = write(tmp_path / "nbs" / "s.ipynb", b'{"cells": []}')
    data = tmp_path / "data"
    write(data / "obs.csv", b"v\n1\n", mtime_ns=1_600_000_000_000_000_000)
    pkg = tmp_path / "rekit"
    write(pkg / "m.py", b"x = 1\n", mtime_ns=1_600_000_000_000_000_000)
    monkeypatch.setenv("REKIT_DATA", str(data))
    monkeypatch.setattr(freeze, "PACKAGE", pkg)
    return {"nb": nb, "data": data, "pkg": pkg, "tmp": tmp_path}


def job(nb: Path, n: int = 4, title: str = "T", stem: str = "s--n-4", show_input: bool = False, **extra) -> Job:
    effective = {"n": n, **extra}
    return Job(notebook=nb, name="s", params={"n": n}, effective=effective, title=title, stem=stem, show_input=show_input)


def test_the_fingerprint_is_the_sha256_of_notebook_settings_data_and_code(kit):
    got = freeze.fingerprint(job(kit["nb"]))
    settings = b'{"effective": {"n": 4}, "params": {"n": 4}, "show_input": false, "stem": "s--n-4", "title": "T"}'
    data = sha(b"obs.csv\0v\n1\n\0").encode()
    code = sha(b"m.py\0x = 1\n\0").encode()
    assert got == "sha256:" + sha(b'{"cells": []}' + settings + data + code)


def test_the_fingerprint_takes_in_the_deals_file_it_names_or_says_it_is_missing(kit):
    deals = write(kit["tmp"] / "deals.yml", b"deals: []\n")
    data = sha(b"obs.csv\0v\n1\n\0").encode()
    code = sha(b"m.py\0x = 1\n\0").encode()

    def expected(path: Path, tail: bytes) -> str:
        settings = json.dumps({"effective": {"n": 4, "deals_file": str(path)}, "params": {"n": 4}, "show_input": False,
                               "stem": "s--n-4", "title": "T"}, sort_keys=True).encode()
        return "sha256:" + sha(b'{"cells": []}' + settings + data + code + tail)

    assert freeze.fingerprint(job(kit["nb"], deals_file=str(deals))) == expected(deals, b"deals: []\n")
    gone = kit["tmp"] / "gone.yml"
    assert freeze.fingerprint(job(kit["nb"], deals_file=str(gone))) == expected(gone, b"missing deals file")


def test_a_report_is_rebuilt_after_a_data_code_or_parameter_change_and_only_then(kit):
    base = freeze.fingerprint(job(kit["nb"]))
    # nothing that matters changed: the same job again, a hidden file, a compiled module
    old = 1_500_000_000_000_000_000  # older than the files below: the in-process cache is keyed by the newest mtime
    write(kit["data"] / ".notes", b"scratch", old)
    write(kit["pkg"] / "__pycache__" / "m.cpython-311.pyc", b"\0", old)
    write(kit["pkg"] / "README.txt", b"not code", old)
    assert freeze.fingerprint(job(kit["nb"])) == base
    # each change alone gives a new fingerprint
    assert freeze.fingerprint(job(kit["nb"], n=5)) != base
    assert freeze.fingerprint(job(kit["nb"], title="U")) != base
    assert freeze.fingerprint(job(kit["nb"], stem="other")) != base
    assert freeze.fingerprint(job(kit["nb"], show_input=True)) != base
    write(kit["data"] / "obs.csv", b"v\n2\n", mtime_ns=1_600_000_000_000_000_001)
    after_data = freeze.fingerprint(job(kit["nb"]))
    assert after_data != base
    write(kit["pkg"] / "m.py", b"x = 2\n", mtime_ns=1_600_000_000_000_000_001)
    after_code = freeze.fingerprint(job(kit["nb"]))
    assert after_code not in (base, after_data)
    write(kit["nb"], b'{"cells": [1]}')
    assert freeze.fingerprint(job(kit["nb"])) not in (base, after_data, after_code)


def test_the_record_reads_only_a_json_object_of_entries(tmp_path):
    assert freeze.load_record(tmp_path) == {}  # no record
    (tmp_path / freeze.RECORD).write_text("{not json", encoding="utf-8")
    assert freeze.load_record(tmp_path) == {}
    (tmp_path / freeze.RECORD).write_text('["a", "b"]', encoding="utf-8")
    assert freeze.load_record(tmp_path) == {}
    (tmp_path / freeze.RECORD).write_text('{"a": {"status": "ok"}, "b": 3, "7": {}}', encoding="utf-8")
    assert freeze.load_record(tmp_path) == {"a": {"status": "ok"}, "7": {}}


def test_the_record_is_written_sorted_with_one_space_indents_and_read_back(tmp_path):
    freeze.save_record(tmp_path, {"b": {"fingerprint": "sha256:2"}, "a": {"status": "failed", "fingerprint": None}})
    assert (tmp_path / ".rekit-reports.json").read_text(encoding="utf-8") == (
        '{\n "a": {\n  "fingerprint": null,\n  "status": "failed"\n },\n "b": {\n  "fingerprint": "sha256:2"\n }\n}')
    # only entries with a fingerprint count as good builds
    assert freeze.load(tmp_path) == {"b": "sha256:2"}


def test_split_builds_what_changed_or_has_no_page_and_skips_the_rest(kit):
    out = kit["tmp"] / "out"
    out.mkdir()
    same, changed, no_page = job(kit["nb"], stem="same"), job(kit["nb"], stem="changed"), job(kit["nb"], stem="nopage")
    freeze.save_record(out, {"same": {"fingerprint": freeze.fingerprint(same)},
                             "changed": {"fingerprint": "sha256:" + "0" * 64},
                             "nopage": {"fingerprint": freeze.fingerprint(no_page)}})
    (out / "same.html").write_text("page")
    (out / "changed.html").write_text("page")
    build, fresh = freeze.split([same, changed, no_page], out)
    assert [j.stem for j in build] == ["changed", "nopage"] and [j.stem for j in fresh] == ["same"]
    build, fresh = freeze.split([same, changed, no_page], out, force=True)
    assert [j.stem for j in build] == ["same", "changed", "nopage"] and fresh == []


def test_a_parameter_json_cannot_hold_is_fingerprinted_and_recorded_as_its_text(kit, tmp_path):
    import datetime as dt

    got = freeze.fingerprint(job(kit["nb"], start=dt.date(2024, 4, 1)))
    settings = (b'{"effective": {"n": 4, "start": "2024-04-01"}, "params": {"n": 4}, "show_input": false, '
                b'"stem": "s--n-4", "title": "T"}')
    data = sha(b"obs.csv\0v\n1\n\0").encode()
    code = sha(b"m.py\0x = 1\n\0").encode()
    assert got == "sha256:" + sha(b'{"cells": []}' + settings + data + code)
    freeze.save_record(tmp_path, {"s": {"built": dt.date(2024, 4, 1)}})
    assert (tmp_path / freeze.RECORD).read_text(encoding="utf-8") == '{\n "s": {\n  "built": "2024-04-01"\n }\n}'
