"""`rekit teach build` and `rekit teach grade`, run as real commands.

Grading a readable submission (a kernel per submission) is tested through the function in
test_editions_grading.py; here the command's own part: editions written, the gradebook printed in
either format, and bad input refused with a message and exit status 2 before anything runs.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def rekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_build_writes_both_editions(tmp_path):
    out = rekit("teach", "build", "--out", str(tmp_path / "editions"))
    assert out.returncode == 0, out.stderr
    students = sorted((tmp_path / "editions" / "student").glob("*.ipynb"))
    assert len(students) == 3 and len(list((tmp_path / "editions" / "instructor").glob("*.ipynb"))) == 3
    assert out.stdout.count("student: ") == 3 and out.stdout.count("instructor: ") == 3
    for p in students:
        nb = nbformat.read(p, as_version=4)
        assert not any({"solution", "hidden"} & set(c.metadata.get("tags", [])) for c in nb.cells)


def test_grade_prints_a_row_for_a_broken_submission(tmp_path):
    bad = tmp_path / "alice.ipynb"
    bad.write_text("not a notebook", encoding="utf-8")
    out = rekit("teach", "grade", str(bad), "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = [r for r in csv.DictReader(io.StringIO(out.stdout)) if r["exercise"] != "total"]  # totals: test_gradebook.py
    assert len(rows) == 1 and rows[0]["student"] == "alice" and rows[0]["status"] == "broken"
    assert "not a readable notebook" in rows[0]["feedback"]
    table = rekit("teach", "grade", str(bad))
    assert table.returncode == 0 and "Totals:" in table.stdout and "broken" in table.stdout


def test_bad_input_is_refused_with_a_message(tmp_path):
    cases = [
        (("teach", "build", "--out", ""), "--out: an empty folder name is not allowed"),
        (("teach", "grade", str(tmp_path / "nosuch.ipynb")), "no such submission"),
        (("teach", "grade"), "no submissions given"),
        (("teach", "grade", "x.ipynb", "--format", "xlsx"), "allowed: csv, table"),
        (("teach", "grade", "x.ipynb", "--timeout", "0"), "--timeout: 0 is not allowed"),
        (("teach", "build", "--out", str(tmp_path / "o"), "--notebooks", str(tmp_path / "none")), "--notebooks: no folder"),
    ]
    for args, fragment in cases:
        out = rekit(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert fragment in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)
