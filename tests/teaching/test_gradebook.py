"""`rekit teach grade --roster FILE --feedback DIR`: one id per student across notebooks, broken submissions out of
their full marks, totals per student and per assignment, and a feedback page per student. Real commands; one
real kernel for a readable submission.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def rekit(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rekit.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def _broken_class(tmp_path: Path) -> list[str]:
    (tmp_path / "alice_02.ipynb").write_text("<script>alert(1)</script>", encoding="utf-8")
    (tmp_path / "alice-nb3.ipynb").write_text("{", encoding="utf-8")
    (tmp_path / "bob_03.ipynb").write_text("not json", encoding="utf-8")
    (tmp_path / "roster.csv").write_text("student,files\nalice-01,alice_02.ipynb; alice-nb3.ipynb\nbob,bob_03.ipynb\n",
                                         encoding="utf-8")
    return ["alice_02.ipynb", "alice-nb3.ipynb", "bob_03.ipynb"]


def test_roster_names_one_student_across_files_and_broken_files_count_out_of_full_marks(tmp_path):
    files = _broken_class(tmp_path)
    out = rekit("teach", "grade", *files, "--roster", "roster.csv", "--format", "csv", "--feedback", "fb", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    broken = [r for r in rows if r["exercise"] == "*"]
    assert [(r["student"], r["notebook"], float(r["max_points"])) for r in broken] == [
        # notebook 02's four hidden checks, one point each: 4; notebook 03: 03.1 (1) + the deal 03.2 (4) + 03.3 (1) = 6.
        # alice-nb3.ipynb names no notebook ('nb3' is not a notebook number): nothing to score it out of
        ("alice-01", "02_export_share_yourself", 4.0), ("alice-01", "", 0.0), ("bob", "03_design_a_deal", 6.0)]
    totals = {(r["student"], r["notebook"]): (float(r["points"]), float(r["max_points"])) for r in rows if r["exercise"] == "total"}
    assert totals[("alice-01", "all")] == (0.0, 4.0)  # 4 + 0
    assert totals[("bob", "all")] == (0.0, 6.0)
    assert totals[("all", "03_design_a_deal")] == (0.0, 6.0)
    assert {s for s, _ in totals} == {"alice-01", "bob", "all"}  # no student under a file name
    page = (tmp_path / "fb" / "alice-01.html").read_text(encoding="utf-8")
    assert "Total: 0 of 4 points" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # the file's text, escaped, in full
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == ["alice-01.html", "bob.html"]
    table = rekit("teach", "grade", *files, "--roster", "roster.csv", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "Totals per student (every notebook):" in table.stdout and "Totals per assignment (every student):" in table.stdout


@pytest.mark.parametrize("roster, fragment", [
    ("student,files\nalice,a.ipynb\nalice,b.ipynb\n", "roster.csv, row 3, column student: 'alice' is already on row 2"),
    ("student,files\nalice,a.ipynb\nbob,a.ipynb\n", "roster.csv, row 3, column files: 'a.ipynb' is already 'alice''s"),
    ("student,files\nal ice,a.ipynb\n", "roster.csv, row 2, column student: 'al ice' is not allowed"),
    ("name,files\nalice,a.ipynb\n", "roster.csv: missing column student"),
    ("student,files\nalice,a.ipynb\n", "--roster: alice_02.ipynb is in no row of roster.csv"),
])
def test_a_bad_roster_is_refused_before_anything_runs(tmp_path, roster, fragment):
    files = _broken_class(tmp_path)
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    out = rekit("teach", "grade", files[0], "--roster", "roster.csv", "--feedback", "fb", cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "rekit: error: " in out.stderr and fragment in out.stderr, out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr
    assert not (tmp_path / "fb").exists()  # nothing written


def test_a_graded_submission_is_named_by_the_roster_and_totalled(tmp_path):
    built = rekit("teach", "build", "--out", str(tmp_path / "ed"))
    assert built.returncode == 0, built.stderr
    shutil.copy(tmp_path / "ed" / "student" / "01_where_numbers_come_from.ipynb", tmp_path / "carol_1.ipynb")
    doc = json.loads((tmp_path / "carol_1.ipynb").read_text(encoding="utf-8"))
    for cell in doc["cells"]:  # saved by an older editor: format 4.5 without the cell ids nbformat warns about
        cell.pop("id", None)
    (tmp_path / "carol_1b.ipynb").write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "roster.csv").write_text("student,files\ncarol-7,carol_1.ipynb;carol_1b.ipynb\n", encoding="utf-8")
    out = rekit("teach", "grade", "carol_1.ipynb", "carol_1b.ipynb", "--roster", "roster.csv", "--format", "csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no kernel or nbformat warnings in the grader's output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    graded = [r for r in rows if r["exercise"] not in ("total", "-")]
    assert [r["exercise"] for r in graded] == ["01.1", "01.2", "01.3", "01.4"] * 2
    assert {r["student"] for r in rows} == {"carol-7", "all"}
    total = next(r for r in rows if r["student"] == "carol-7" and r["notebook"] == "all")
    assert (float(total["points"]), float(total["max_points"])) == (0.0, 8.0)  # unanswered: 0 of 2 files x 4 x 1 point


def test_answer_key_gives_each_student_their_own_values():
    import hashlib

    out = rekit("teach", "key", "--student", "alice-01", "--student", "bob", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(io.StringIO(out.stdout))}
    # 02.3: the export share, 1,000 t exported / 2,900 t mined = 0.344828 (data/observations.csv), the same for everyone
    assert rows[("alice-01", "02.3")]["expected"] == rows[("bob", "02.3")]["expected"] == "0.344828"
    # 03.1's year: the (2030, 2028, 2029, 2031, 2032) entry at sha256("ID|03.1") mod 5, as the notebook's text says
    years = (2030, 2028, 2029, 2031, 2032)
    for sid in ("alice-01", "bob"):
        year = years[int(hashlib.sha256(f"{sid}|03.1".encode()).hexdigest(), 16) % 5]
        assert rows[(sid, "03.1")]["given"] == f"year={year}"
    assert rows[("alice-01", "03.2")]["points"] == "4.0"
    bad = rekit("teach", "key", "--student", "a b")
    assert bad.returncode == 2 and "--student: 'a b' is not allowed" in bad.stderr and bad.stdout == ""


def test_reveal_off_hides_the_answer_and_every_reveal_is_recorded(monkeypatch):
    from rekit.teaching import exercises as ex

    ex.start_session(None)
    ex.allow_reveal(None)
    monkeypatch.setenv(ex.REVEAL_ENV, "off")  # the class's environment, as an instructor sets it
    before = len(ex.reveals())
    v = ex.check_exercise("02.1", 5.0, reveal=True)  # 2,900 t is the answer; 5 is wrong
    assert v.revealed is False and "turned reveal=True off" in v.message
    monkeypatch.setenv(ex.REVEAL_ENV, "on")
    shown = ex.check_exercise("02.1", 5.0, reveal=True)
    assert shown.revealed is True and shown.expected == 2900.0  # data/observations.csv: IREL's 2,900 t mined in 2024
    assert ex.reveals()[before:] == [("02.1", False), ("02.1", True)]


def test_no_reveal_editions_and_the_gradebook_row_of_each_reveal(tmp_path):
    import nbformat

    built = rekit("teach", "build", "--out", str(tmp_path / "ed"), "--no-reveal")
    assert built.returncode == 0, built.stderr
    nb = nbformat.read(tmp_path / "ed" / "student" / "01_where_numbers_come_from.ipynb", as_version=4)
    assert nb.cells[0].metadata["tags"] == ["injected"] and "allow_reveal(False)" in nb.cells[0].source
    assert nb.metadata["rekit"]["reveal"] is False
    nb.cells.append(nbformat.v4.new_code_cell('import rekit.exercises\nrekit.exercises.check("01.2", 5.0, reveal=True)'))
    nbformat.write(nb, tmp_path / "dan_01.ipynb")
    out = rekit("teach", "grade", "dan_01.ipynb", "--no-reveal", "--format", "csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    asked = [r for r in csv.DictReader(io.StringIO(out.stdout)) if "reveal" in r["status"]]
    assert [(r["exercise"], r["status"], r["points"]) for r in asked] == [("01.2", "reveal refused", "0.0")]
    assert "not shown: reveal is turned off for this class" in asked[0]["feedback"]
