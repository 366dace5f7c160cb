"""The safe file readers: rekit.data.files (regular files, a cap by reading, resource paths inside
the package) and rekit.data.jsonfile (depth, duplicate keys with their lines, finite bounded numbers).

Values and lines are worked out by hand in the comments; real FIFOs and devices are used.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from rekit.data.files import UnsafeFileError, clip, clip_path, read_capped, resource_path
from rekit.data.jsonfile import JsonFileError, parse_json, read_json
from rekit.data.units import LARGEST
from rekit.data.yamlfile import MAX_DEPTH


# --- read_capped ---------------------------------------------------------------------------------


def test_a_file_at_the_cap_is_read_and_one_byte_more_is_refused(tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    assert read_capped(f, 10, "file") == b"x" * 10
    with pytest.raises(UnsafeFileError, match="larger than the limit of 9 bytes"):
        read_capped(f, 9, "file")


def test_a_file_that_grew_past_its_size_is_still_capped_by_reading():
    """/proc/self/status has st_size 0 yet holds hundreds of bytes: the cap counts bytes read.
    It is a regular file, so only the cap (8 bytes) can refuse it."""
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(UnsafeFileError, match="larger than the limit of 8 bytes"):
        read_capped("/proc/self/status", 8, "file")


def test_a_device_is_refused_without_reading():
    with pytest.raises(UnsafeFileError, match="is a character device: only a regular file is read"):
        read_capped("/dev/zero", 1_000_000, "deals file")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result: list[BaseException | bytes] = []
    t = threading.Thread(target=lambda: result.append(_try(read_capped, fifo, 100, "file")), daemon=True)
    t.start()
    t.join(60)  # not a timing assertion: a blocked open would never return
    if t.is_alive():  # unblock the reader so the test process can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("read_capped blocked on a FIFO")
    assert isinstance(result[0], UnsafeFileError) and "is a FIFO (named pipe)" in str(result[0])


def _try(fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed back to the test
        return exc


def test_a_folder_and_a_missing_file_are_named(tmp_path):
    with pytest.raises(UnsafeFileError, match="is a folder"):
        read_capped(tmp_path, 10, "batch file")
    with pytest.raises(UnsafeFileError, match="does not exist"):
        read_capped(tmp_path / "nope", 10, "batch file")


def test_clip_cuts_a_long_value_to_80_characters():
    # repr adds two quotes: 'aaa…' is 1 + 78 a's + the ellipsis = 80 characters
    shown = clip("a" * 500)
    assert shown == "'" + "a" * 78 + "…" and len(shown) == 80
    assert clip("IREL") == "'IREL'"


def test_a_long_path_is_cut_in_the_middle_and_keeps_its_file_name(tmp_path):
    # "'/" + 98 x's + "/missing.yml'" is 2 + 98 + 13 = 113 characters; cut to 80: the first (80 - 1) // 3 = 26
    # ("'/" and 24 x's), the ellipsis, and the last 80 - 1 - 26 = 53 (40 x's and "/missing.yml'")
    path = "/" + "x" * 98 + "/missing.yml"
    shown = clip_path(path)
    assert shown == "'/" + "x" * 24 + "…" + "x" * 40 + "/missing.yml'" and len(shown) == 80
    assert clip_path("/a/b.yml") == "'/a/b.yml'"
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "missing.yml"
    with pytest.raises(UnsafeFileError, match=r"….*/missing\.yml' does not exist"):
        read_capped(deep, 10, "deals file")


# --- resource_path -------------------------------------------------------------------------------


@pytest.fixture
def package(tmp_path) -> Path:
    p = tmp_path / "pkg"
    (p / "sub").mkdir(parents=True)
    (p / "a.csv").write_text("x\n1\n")
    (p / "sub" / "b.csv").write_text("x\n1\n")
    (tmp_path / "outside.csv").write_text("x\n1\n")
    return p


@pytest.mark.parametrize("path, fragment", [
    ("/etc/passwd", "is absolute"),
    ("\\\\server\\share\\a.csv", "is absolute"),
    ("C:\\data\\a.csv", "is absolute"),
    ("C:a.csv", "is absolute"),
    ("../outside.csv", "has a '..' part"),
    ("sub/../../outside.csv", "has a '..' part"),
    ("sub\\..\\..\\outside.csv", "has a '..' part"),
    ("https://example.org/a.csv", "is a URL"),
    ("file:///etc/passwd", "is a URL"),
    ("", "is not a file name"),
    ("a\x00.csv", "holds a NUL character"),
    ("sub", "is a folder, not a CSV file"),
    ("missing.csv", "is missing: file not found"),
])
def test_a_resource_path_is_refused_with_its_reason(package, path, fragment):
    with pytest.raises(UnsafeFileError, match=fragment.replace("(", "\\(").replace(".", "\\.")):
        resource_path(package, path)


def test_a_resource_path_that_is_not_text_is_refused(package):
    with pytest.raises(UnsafeFileError, match="is not a file name"):
        resource_path(package, ["a.csv"])


def test_links_are_followed_inside_and_refused_outside(package):
    (package / "in.csv").symlink_to("sub/b.csv")
    (package / "out.csv").symlink_to(package.parent / "outside.csv")
    (package / "loop.csv").symlink_to("loop.csv")
    assert resource_path(package, "in.csv") == (package / "sub" / "b.csv").resolve()
    assert resource_path(package, "sub/b.csv") == (package / "sub" / "b.csv").resolve()
    with pytest.raises(UnsafeFileError, match="leads outside the package folder"):
        resource_path(package, "out.csv")
    with pytest.raises(UnsafeFileError, match="a loop of symbolic links"):
        resource_path(package, "loop.csv")


# --- the JSON reader -----------------------------------------------------------------------------


def test_duplicate_keys_are_named_with_both_lines():
    text = '{\n  "a": {\n    "x": 1,\n    "y": 2,\n    "x": 3\n  }\n}'
    # "x" first on line 3, again on line 5
    with pytest.raises(JsonFileError, match="the key 'x' appears twice in one object, on line 3 and line 5"):
        parse_json(text, "t.json")


def test_the_same_key_in_two_objects_is_not_a_duplicate():
    assert parse_json('[{"a": 1}, {"a": 2}, {"b": {"a": 3}}]', "t.json") == [{"a": 1}, {"a": 2}, {"b": {"a": 3}}]


def test_a_key_spelled_with_an_escape_is_the_same_key():
    # "\u0061" is "a": Python's json would keep the second silently
    with pytest.raises(JsonFileError, match="the key 'a' appears twice"):
        parse_json('{"a": 1, "\\u0061": 2}', "t.json")


def test_brackets_and_colons_inside_strings_do_not_count():
    text = '{"k": "[[[[{{{{ \\" : \\"", "k2": ":"}'
    assert parse_json(text, "t.json") == {"k": '[[[[{{{{ " : "', "k2": ":"}


def test_depth_is_bounded_at_max_depth():
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH  # 50 levels: allowed
    assert parse_json(ok, "t.json") is not None
    with pytest.raises(JsonFileError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "t.json")
    with pytest.raises(JsonFileError, match="line 1: refused: nested deeper"):
        parse_json("[" * 100_000 + "]" * 100_000, "t.json")


@pytest.mark.parametrize("number, ok", [
    ("1e12", True),  # LARGEST, the largest bound of any unit (mass: 1e12 t)
    ("-1e12", True),
    ("1000000000001", False),  # 1e12 + 1
    ("1e308", False),
    ("1e400", False),  # float() gives inf
    ("-1e308", False),
    ("0.5", True),
])
def test_numbers_are_bounded_like_the_csv_tables(number, ok):
    assert LARGEST == 1e12
    text = f'{{"v": {number}}}'
    if ok:
        assert parse_json(text, "t.json") == {"v": float(number) if "." in number or "e" in number else int(number)}
    else:
        with pytest.raises(JsonFileError, match="is out of bounds: numbers must be finite and at most 1e\\+12"):
            parse_json(text, "t.json")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_are_refused(constant):
    with pytest.raises(JsonFileError, match=f"line 2: {constant} is not a JSON number"):
        parse_json('{\n"v": ' + constant + "}", "t.json")


def test_syntax_errors_keep_their_line_and_column():
    with pytest.raises(JsonFileError, match="t.json: line 2, column 1: not valid JSON"):
        parse_json('{"a": 1,\n}', "t.json")


def test_read_json_refuses_a_device_and_reads_a_regular_file(tmp_path):
    with pytest.raises(JsonFileError, match="is a character device"):
        read_json("/dev/zero", "notebook")
    f = tmp_path / "d.json"
    f.write_text('\ufeff{"version": "1"}', encoding="utf-8")  # a byte-order mark is read as usual
    assert read_json(f, "descriptor") == {"version": "1"}
