"""The kit's YAML reader (rekit.data.yamlfile) in-process: what it reads as what, and what it refuses.

The command-line rows (special files, deals and batch files) are in tests/hostile/test_files.py
and test_batch.py; here the reader's own choices are pinned with values written by hand.
"""

from __future__ import annotations

import os

import pytest

from rekit.data.yamlfile import MAX_NUMBER, YamlFileError, parse_yaml, read_yaml


def test_dates_stay_text_so_the_reader_of_the_file_checks_them():
    # YAML 1.1 would give datetime.date(2025, 6, 13) and raise ValueError on 2025-02-30
    assert parse_yaml("a: 2025-06-13\nb: 2025-02-30\nc: 2030-01\n", "t") == {"a": "2025-06-13", "b": "2025-02-30", "c": "2030-01"}


def test_numbers_are_plain_decimals_as_in_json():
    got = parse_yaml("[017, 1_000, '1:30', 1:30, 0x1f, 1e5, -2.5, +3, .5, 2.]", "t")
    # 017 is seventeen (YAML 1.1: octal 15); 1_000, 1:30 (YAML 1.1: 1000 and 90) and 0x1f stay text;
    # 1e5 is a number (YAML 1.1 needs a dot: it was the text '1e5')
    assert got == [17, "1_000", "1:30", "1:30", "0x1f", 100000.0, -2.5, 3, 0.5, 2.0]
    assert [type(x) for x in got[:1] + got[5:]] == [int, float, float, int, float, float]


def test_booleans_and_null_as_before():
    assert parse_yaml("[true, false, yes, no, ~, null, '']", "t") == [True, False, True, False, None, None, ""]


@pytest.mark.parametrize("text", ["1000000000000", "-1000000000000", "1e12", "-1.0e+12", "0", "-0.0"])
def test_numbers_up_to_the_largest_bound_are_read(text):
    assert MAX_NUMBER == 1e12  # units.LARGEST: the mass ceiling, t
    assert abs(parse_yaml(f"a: {text}\n", "t")["a"]) <= 1e12


@pytest.mark.parametrize("text, fragment", [
    ("1000000000001", "'1000000000001' refused: 1e+12 is beyond the largest number allowed"),
    ("-1.1e12", "'-1.1e12' refused: -1.1e+12 is beyond the largest number allowed"),
    (".inf", "'.inf' refused: inf is not a finite number"),
    ("-.Inf", "'-.Inf' refused: -inf is not a finite number"),
    (".NaN", "'.NaN' refused: nan is not a finite number"),
    ("!!int 0x1f", "'0x1f' is not a plain decimal number within [-1e+12, 1e+12]"),
])
def test_numbers_beyond_the_bound_or_not_finite_are_refused_with_line_and_column(text, fragment):
    with pytest.raises(YamlFileError) as exc:
        parse_yaml(f"x: 1\na: {text}\n", "t.yml")
    assert str(exc.value).startswith("t.yml: line 2, column 4: ")
    assert fragment in str(exc.value)


def test_core_tags_are_allowed_and_merge_keys_work():
    assert parse_yaml("a: !!str 12\nb: !!float 3\nc: !!int '5'\nd: !!bool true\ne: !!null ''\n", "t") == \
        {"a": "12", "b": 3.0, "c": 5, "d": True, "e": None}
    # the merge key takes x and y from the anchor; the mapping's own y wins, as YAML says
    assert parse_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "t")["d"] == {"x": 1, "y": 3}


@pytest.mark.parametrize("text, fragment", [
    ("a: !!binary aGVsbG8=\n", "line 1, column 4: the type !!binary is not allowed"),
    ("a: !!set {x, y}\n", "line 1, column 4: the type !!set is not allowed"),
    ("a: !!omap [x: 1]\n", "line 1, column 4: the type !!omap is not allowed"),
    ("a: !!timestamp 2025-06-13\n", "line 1, column 4: the type !!timestamp is not allowed"),
    ("a: !!python/name:os.system ''\n", "line 1, column 4: the type !!python/name:os.system is not allowed"),
    ("a: !local x\n", "line 1, column 4: the type !local is not allowed"),
    ("- [1, !!binary aGVsbG8=]\n", "line 1, column 7: the type !!binary is not allowed"),
])
def test_types_json_has_no_word_for_are_refused(text, fragment):
    with pytest.raises(YamlFileError, match="only text, numbers, true/false, null, lists and mappings") as exc:
        parse_yaml(text, "t")
    assert fragment in str(exc.value)


@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: 2\na: 3\n", "t: key 'a' appears twice: line 1 and line 3"),
    ("d:\n  x:\n    y: 1\n    y: 2\n", "t: key 'y' appears twice (under d.x): line 3 and line 4"),
    # 2025 and 2025.0 are the same key once read (Python's dict would keep one of them)
    ("s:\n  2025: a\n  2025.0: b\n", "t: key 2025.0 appears twice (under s): line 2 and line 3"),
    ("{k: 1, k: 2}", "t: key 'k' appears twice: line 1 and line 1"),
    ("- {a: 1}\n- {b: 1, b: 2}\n", "t: key 'b' appears twice: line 2 and line 2"),
])
def test_a_key_twice_in_one_mapping_is_refused_naming_both_lines(text, message):
    with pytest.raises(YamlFileError) as exc:
        parse_yaml(text, "t")
    assert str(exc.value) == message


def test_a_duplicate_inside_an_anchored_mapping_is_refused_once_and_keys_must_be_scalars():
    with pytest.raises(YamlFileError, match="key 'x' appears twice \\(under a\\): line 1 and line 1"):
        parse_yaml("a: &m {x: 1, x: 2}\nb: *m\nc: *m\n", "t")
    with pytest.raises(YamlFileError, match="line 1, column 3: a key must be text or a number"):
        parse_yaml("? [a]\n: 1\n", "t")


def test_a_long_key_or_number_is_quoted_cut_short(tmp_path):
    key = "k" * 1000  # a plain key may be 1024 characters long
    with pytest.raises(YamlFileError) as exc:
        parse_yaml(f"{key}: 1\n{key}: 2\n", "t")
    assert "appears twice" in str(exc.value) and len(str(exc.value)) < 200
    with pytest.raises(YamlFileError) as exc:
        parse_yaml("a: " + "9" * 5000 + "\n", "t")
    assert len(str(exc.value)) < 200


def test_special_files_are_refused_before_they_are_read(tmp_path):
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)  # opening it to read would wait for a writer: the check comes first
    with pytest.raises(YamlFileError, match="is a FIFO \\(named pipe\\): only a regular file is read"):
        read_yaml(fifo, "batch file")
    with pytest.raises(YamlFileError, match="is a character device: only a regular file is read"):
        read_yaml("/dev/zero", "deals file")
    link = tmp_path / "zero.yml"
    link.symlink_to("/dev/zero")
    with pytest.raises(YamlFileError, match="is a character device"):
        read_yaml(link, "deals file")
    with pytest.raises(YamlFileError, match="is a folder: only a regular file is read"):
        read_yaml(tmp_path, "deals file")


def test_a_nul_or_control_character_is_named_on_one_line(tmp_path):
    f = tmp_path / "nul.yml"
    f.write_bytes(b"a: b\x00c\n")
    with pytest.raises(YamlFileError) as exc:
        read_yaml(f, "deals file")
    # "a: b" is 4 characters, so the NUL is the 5th
    assert str(exc.value) == "nul.yml: not valid YAML: control characters are not allowed (character 5)"
