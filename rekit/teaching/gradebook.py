"""The gradebook after grading: students named by the roster, broken submissions out of their full marks,
totals per student and per assignment, and one feedback page per student.

`rekit.teaching.grading.grade` gives one row per student, notebook and exercise (its `COLUMNS`);
here:

- `full_marks(notebook)`: the points an instructor notebook's hidden checks give in all (each
  exercise's `points` from the catalogue, 4 for the deal of 03.2), what a broken submission is
  scored out of (`out_of_full_marks`; the notebook a broken file was meant to be is read from its
  name: a teaching notebook's name, or its number such as ``_02``);
- `with_roster(df, students)`: the student column from the roster (rekit.teaching.roster);
- `totals(df)`: points and most points per student and assignment (notebook), per student over
  all of them (``notebook`` ``all``), and per assignment over the students (``student`` ``all``);
  `with_totals(df)` appends them to the gradebook as rows with exercise ``total``;
- `write_feedback(df, folder)`: ``FOLDER/STUDENT.html``, every row's feedback in full (escaped
  by jinja2's autoescaping).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from rekit.atomic import write_all_atomic
from rekit.teaching.exercises import DEAL_EXERCISE, DEAL_POINTS, EXERCISES

__all__ = ["read_submission", "reveal_rows", "TOTAL", "full_marks", "out_of_full_marks", "with_roster", "totals",
           "with_totals", "totals_text", "write_feedback"]

#: The exercise (and status) of a totals row.
TOTAL = "total"
_KEY = re.compile(r'(?:assert_answer|check)\("(\d\d\.\d)"')


def full_marks(notebook: str | Path) -> float:
    """The points of every hidden check of an instructor notebook (cells tagged ``hidden``), summed."""
    import nbformat

    nb = nbformat.read(Path(notebook), as_version=4)
    total = 0.0
    for cell in nb.cells:
        if cell.cell_type == "code" and "hidden" in cell.metadata.get("tags", []):
            key = (_KEY.findall(cell.source) or [DEAL_EXERCISE])[0]
            total += float(DEAL_POINTS) if key == DEAL_EXERCISE else float(EXERCISES[key].points) if key in EXERCISES else 0.0
    return total


def _meant(file_name: str, sources: Mapping[str, Path]) -> str:
    """The teaching notebook a (broken) file was meant to be, from its name; "" when the name does not say."""
    named = [n for n in sources if n in file_name]
    if len(named) == 1:
        return named[0]
    numbered = [n for n in sources if re.search(rf"(?<![0-9]){re.escape(n[:2])}(?![0-9])", Path(file_name).stem)]
    return numbered[0] if len(numbered) == 1 else ""


def out_of_full_marks(df: pd.DataFrame, sources: Mapping[str, Path]) -> pd.DataFrame:
    """The gradebook with each broken submission (exercise ``*``) scored 0 out of its notebook's full marks."""
    out = df.copy()
    marks = {name: full_marks(path) for name, path in sources.items()}
    for i in out.index[out["exercise"] == "*"]:
        name = out.at[i, "notebook"] or _meant(Path(str(out.at[i, "submission"])).name, sources)
        if name in marks:
            out.at[i, "notebook"] = name
            out.at[i, "max_points"] = marks[name]
            out.at[i, "credit"] = 0.0
    return out


def with_roster(df: pd.DataFrame, students: Mapping[str, str]) -> pd.DataFrame:
    """The gradebook with `student` taken from {submission path: student id} (rekit.teaching.roster.student_of)."""
    out = df.copy()
    named = out["submission"].map(lambda p: students.get(str(p)))
    out["student"] = named.where(named.notna(), out["student"])
    return out


def totals(df: pd.DataFrame) -> pd.DataFrame:
    """student, notebook, points, max_points, credit (points / max_points): per student and notebook, per student
    (notebook ``all``) and per notebook over every student (student ``all``); totals rows already in `df` are left out."""
    rows = df[df["exercise"] != TOTAL]
    parts = [rows.groupby(["student", "notebook"], sort=False)[["points", "max_points"]].sum().reset_index(),
             rows.groupby("student", sort=False)[["points", "max_points"]].sum().reset_index().assign(notebook="all"),
             rows.groupby("notebook", sort=False)[["points", "max_points"]].sum().reset_index().assign(student="all")]
    out = pd.concat(parts, ignore_index=True)[["student", "notebook", "points", "max_points"]]
    out["credit"] = (out["points"] / out["max_points"].where(out["max_points"] > 0)).fillna(0.0).round(4)
    return out


def with_totals(df: pd.DataFrame) -> pd.DataFrame:
    """The gradebook with the `totals` appended as rows (exercise and status ``total``, no feedback)."""
    t = totals(df).assign(exercise=TOTAL, status=TOTAL, feedback="", submission="")
    return pd.concat([df, t[list(df.columns)]], ignore_index=True)


def totals_text(df: pd.DataFrame) -> str:
    """Plain-text tables of the totals per student (over every notebook) and per assignment (over every student)."""
    t = totals(df)
    fmt = {"points": "{:g}".format, "max_points": "{:g}".format, "credit": "{:.0%}".format}
    per_student = t[(t["notebook"] == "all") & (t["student"] != "all")].drop(columns="notebook")
    per_nb = t[t["student"] == "all"].drop(columns="student")
    return ("\nTotals per student (every notebook):\n" + per_student.to_string(index=False, formatters=fmt)
            + "\n\nTotals per assignment (every student):\n" + per_nb.to_string(index=False, formatters=fmt) + "\n")


def write_feedback(df: pd.DataFrame, folder: str | Path) -> list[Path]:
    """FOLDER/STUDENT.html for every student of the gradebook: their rows, feedback in full, and their totals;
    every value escaped. Written all at once (rekit.atomic.write_all_atomic); returns the paths."""
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("rekit.teaching", "templates"), autoescape=True, trim_blocks=True)
    template = env.get_template("feedback.html.j2")
    folder = Path(folder)
    rows = df[df["exercise"] != TOTAL]
    pages: dict[Path, str] = {}
    for student, own in rows.groupby("student", sort=False):
        notebooks = []
        for nb, g in own.groupby("notebook", sort=False):
            notebooks.append({"name": nb, "points": f"{g['points'].sum():g}", "max_points": f"{g['max_points'].sum():g}",
                              "rows": [{"exercise": r.exercise, "status": r.status, "points": f"{r.points:g}",
                                        "max_points": f"{r.max_points:g}", "feedback": r.feedback} for r in g.itertuples()]})
        points, most = float(own["points"].sum()), float(own["max_points"].sum())
        pages[folder / f"{student}.html"] = template.render(
            student=student, points=f"{points:g}", max_points=f"{most:g}", percent=f"{points / most:.0%}" if most else "",
            notebooks=notebooks)
    write_all_atomic(pages)
    return list(pages)


def reveal_rows(outputs) -> list[tuple[str, str, float, float, str]]:
    """(exercise, status, points, max_points, feedback) for each reveal a graded notebook asked for, read from
    the outputs of its `show_reveals` cell (rekit.teaching.exercises.REVEALS_MIME): status ``revealed`` when
    the answer was shown, ``reveal refused`` when the instructor had turned reveal off; no points either way."""
    from rekit.teaching.exercises import REVEALS_MIME

    out = []
    for o in outputs:
        for r in (o.get("data") or {}).get(REVEALS_MIME) or []:
            key, allowed = str(r.get("exercise", "")), bool(r.get("allowed"))
            what = "the answer was shown" if allowed else "not shown: reveal is turned off for this class"
            out.append((key, "revealed" if allowed else "reveal refused", 0.0, 0.0,
                        f"asked for the answer with check({key!r}, ..., reveal=True); {what}"))
    return out


def read_submission(path: str | Path):
    """A submission as an nbformat v4 notebook, read without nbformat's warnings: a notebook of format 4.5 or
    later whose cells lack the ids that format requires gets them first (``cell-N``, unique, as nbformat's
    own repair would add), so the grader's output carries no MissingIDFieldWarning. Raises as
    nbformat.reads does for a file that is not a notebook."""
    import json

    import nbformat

    text = Path(path).read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError:  # not JSON: nbformat's own error, which quotes the start of the file
        return nbformat.reads(text, as_version=4)
    if isinstance(doc, dict) and doc.get("nbformat") == 4 and int(doc.get("nbformat_minor") or 0) >= 5 \
            and isinstance(doc.get("cells"), list):
        cells = [c for c in doc["cells"] if isinstance(c, dict)]
        taken = {c["id"] for c in cells if isinstance(c.get("id"), str)}
        for i, cell in enumerate(cells):
            if "id" not in cell:
                new, k = f"cell-{i}", 0
                while new in taken:
                    k += 1
                    new = f"cell-{i}-{k}"
                cell["id"] = new
                taken.add(new)
        text = json.dumps(doc)
    return nbformat.reads(text, as_version=4)
