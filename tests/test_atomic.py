"""rekit/atomic.py: the kit's one helper that writes files whole, one or several, all or none."""

from __future__ import annotations

import os
import stat

import pytest

from rekit.atomic import write_all_atomic, write_atomic


def test_text_and_bytes_are_written_whole_with_the_umask_mode(tmp_path):
    write_atomic(tmp_path / "a.txt", "naïve\n")
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == b"na\xc3\xafve\n"  # UTF-8: i-diaeresis is C3 AF, no newline translation
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]  # no temporary file left


def test_a_given_mode_is_kept(tmp_path):
    write_atomic(tmp_path / "nb.ipynb", "{}", mode=0o640)
    assert stat.S_IMODE((tmp_path / "nb.ipynb").stat().st_mode) == 0o640


def test_a_failure_leaves_none_of_the_files_and_the_old_one_as_it_was(tmp_path):
    (tmp_path / "page.html").write_text("the last good page")
    with pytest.raises(OSError) as err:
        write_all_atomic({tmp_path / "page.html": "new page", tmp_path / "missing" / "chart.csv": "a,b\n"})
    assert err.value.filename == str(tmp_path / "missing" / "chart.csv")  # the file meant, not a temporary name
    assert (tmp_path / "page.html").read_text() == "the last good page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]
