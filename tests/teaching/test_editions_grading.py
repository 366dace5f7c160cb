"""Student and instructor editions, and grading a class's submissions (rekit.teaching.editions, .grading).

The graded submissions are copies of notebook 02's student edition with the answers typed in.
Known values by hand (data: re_production and re_exports, IREL, 2024): production 2,900 t,
exports 1,000 t, share 1,000 / 2,900 = 0.3448, "at least" (the exports are a floor). Each of the
four exercises gives 1 point.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import nbformat
import pytest

from rekit.teaching import editions, grading

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "notebooks" / "teaching"
NB02 = "02_export_share_yourself"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return editions.build(tmp_path_factory.mktemp("editions"), TEACHING)


def test_editions_are_written_for_every_notebook(built):
    sources = sorted(p.name for p in TEACHING.glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p.name for p in built["student"]) == sources == sorted(p.name for p in built["instructor"])


def test_the_student_edition_has_no_solutions_hidden_checks_or_outputs(built):
    for path in built["student"]:
        source = nbformat.read(TEACHING / path.name, as_version=4)
        nb = nbformat.read(path, as_version=4)
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        assert "solution" not in tags and "hidden" not in tags
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "if reveal_solutions:" not in code and "assert_answer" not in code  # nothing of them left
        assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
        n_solutions = sum("solution" in c.metadata.get("tags", []) for c in source.cells)
        assert n_solutions and sum(c.source == editions.SOLUTION_NOTE for c in nb.cells) == n_solutions
        assert nb.metadata["rekit"] == {"edition": "student", "notebook": path.stem}
        nbformat.validate(nb)


def test_the_instructor_edition_has_everything(built):
    for path in built["instructor"]:
        source = nbformat.read(TEACHING / path.name, as_version=4)
        nb = nbformat.read(path, as_version=4)
        assert [c.source for c in nb.cells] == [c.source for c in source.cells]
        assert nb.metadata["rekit"]["edition"] == "instructor" and nb.metadata["rekit"]["notebook"] == path.stem
        assert nb.metadata["rekit"].get("outputs_of") == source.metadata.get("rekit", {}).get("outputs_of")


def test_build_refuses_a_folder_without_notebooks_or_an_empty_out(tmp_path):
    with pytest.raises(FileNotFoundError, match="no teaching notebooks"):
        editions.build(tmp_path / "out", tmp_path)
    with pytest.raises(ValueError, match="empty path"):
        editions.build("", TEACHING)


def _submission(built, folder: Path, name: str, answers: dict[str, str], extra_cell: str | None = None,
                at: int = 4) -> Path:
    nb = nbformat.read(next(p for p in built["student"] if p.stem == NB02), as_version=4)
    for cell in nb.cells:
        for var, value in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(f"{var} = None"):
                cell.source = f"{var} = {value}"
    if extra_cell is not None:
        nb.cells.insert(at, nbformat.v4.new_code_cell(extra_cell))
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def gradebook(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    paths = [
        _submission(built, folder, "right", {"answer_02_1": "2900", "answer_02_2": "1000", "answer_02_3": "0.34",
                                             "answer_02_4": '"at least"'}),
        _submission(built, folder, "wrong", {"answer_02_1": "1000", "answer_02_2": "2900", "answer_02_3": "2.9",
                                             "answer_02_4": '"at most"'}),
        # partly right: 02.3 as a percentage (34.48 / 100 = 0.3448: half of 1 point), 02.4 left empty, and a cell that raises
        _submission(built, folder, "partly", {"answer_02_1": "2900", "answer_02_2": "1000", "answer_02_3": "34.48"},
                    extra_cell="1 / 0"),
    ]
    bad = folder / "garbled.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    paths.append(bad)
    return grading.grade(paths, notebooks=TEACHING, timeout=300, jobs=2)  # two local processes, one submission a job


def _points(df, student):
    rows = df[(df["student"] == student) & df["exercise"].str.match(r"\d")]
    return dict(zip(rows["exercise"], rows["points"], strict=True)), dict(zip(rows["exercise"], rows["status"], strict=True))


def test_grading_a_correct_submission(gradebook):
    points, status = _points(gradebook, "right")
    assert points == {"02.1": 1, "02.2": 1, "02.3": 1, "02.4": 1}  # 0.34 is 0.3448 to 2 significant figures
    assert set(status.values()) == {"correct"}
    assert gradebook[gradebook["student"] == "right"]["points"].sum() == 4


def test_grading_a_wrong_submission(gradebook):
    points, status = _points(gradebook, "wrong")
    assert points == {"02.1": 0, "02.2": 0, "02.3": 0, "02.4": 0}
    assert set(status.values()) == {"wrong"}
    fb = gradebook[(gradebook["student"] == "wrong") & (gradebook["exercise"] == "02.3")]["feedback"].iloc[0]
    assert "divide the other way round" in fb and "expected 0.3448" in fb  # the feedback given, answer shown


def test_grading_a_partly_right_submission(gradebook):
    points, status = _points(gradebook, "partly")
    assert points == {"02.1": 1, "02.2": 1, "02.3": 0.5, "02.4": 0}  # total 2.5 of 4
    assert status == {"02.1": "correct", "02.2": "correct", "02.3": "partial", "02.4": "unanswered"}
    row = gradebook[(gradebook["student"] == "partly") & (gradebook["exercise"] == "02.3")].iloc[0]
    assert row["credit"] == 0.5 and "percentage" in row["feedback"]
    err = gradebook[(gradebook["student"] == "partly") & (gradebook["exercise"] == "-")]
    assert len(err) == 1 and "ZeroDivisionError" in err["feedback"].iloc[0] and "1 / 0" in err["feedback"].iloc[0]


def test_a_broken_submission_gets_a_row_not_a_crash(gradebook):
    rows = gradebook[gradebook["student"] == "garbled"]
    assert len(rows) == 1 and rows["status"].iloc[0] == "broken" and rows["exercise"].iloc[0] == "*"
    assert "not a readable notebook" in rows["feedback"].iloc[0]
    assert list(gradebook.columns) == grading.COLUMNS


def test_a_submission_that_runs_too_long_gets_a_row(built, tmp_path):
    # the first cell: nothing heavy runs before it, so only the sleep can reach the limit
    path = _submission(built, tmp_path, "slow", {}, extra_cell="import time\ntime.sleep(600)", at=0)
    df = grading.grade([path], notebooks=TEACHING, timeout=5)
    assert len(df) == 1 and df["status"].iloc[0] == "broken" and df["exercise"].iloc[0] == "*"
    assert df["feedback"].iloc[0] == "not graded: a cell ran longer than 5 s, in cell 1 (import time)"
    assert df["max_points"].iloc[0] == 4  # what the notebook's four exercises would have given


def test_gradebook_formats(gradebook):
    rows = list(csv.DictReader(io.StringIO(grading.format_gradebook(gradebook, "csv"))))
    assert len(rows) == len(gradebook) and rows[0]["student"] == "right"
    table = grading.format_gradebook(gradebook, "table")
    assert "Totals:" in table and "partly" in table
    with pytest.raises(grading.GradingError, match="allowed: csv, table"):
        grading.format_gradebook(gradebook, "xlsx")
    with pytest.raises(grading.GradingError, match="no submissions"):
        grading.grade([])


def test_csv_neutralises_formulas():
    import pandas as pd

    df = pd.DataFrame([{c: "" for c in grading.COLUMNS} | {"student": "=HYPERLINK(\"x\")", "feedback": "+1+1", "exercise": "-"},
                       {c: "" for c in grading.COLUMNS} | {"student": "b", "feedback": "-2", "exercise": "@x"}])
    out = grading.format_gradebook(df, "csv")
    assert "'=HYPERLINK" in out and ",'+1+1," in out and ",-," in out  # the bare '-' (a cell error row) stays
    # the plain number -2 written as text stays as it is (a spreadsheet reads the number); @x does not
    assert "b,,'@x,,,,,-2," in out
