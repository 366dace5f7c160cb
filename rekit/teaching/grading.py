"""Grading a class's submissions: run each in a fresh kernel with the hidden checks appended, and keep a gradebook.

`grade(paths)` takes the students' notebooks (filled-in student editions) and, for each:

1. reads it - a file that is not a notebook gets a "broken" row saying why;
2. finds which teaching notebook it is (``metadata.rekit.notebook`` written by
   `rekit.teaching.editions.build`, else its file name or the exercise keys its code checks);
3. drops any cell tagged ``solution`` or ``hidden`` the submission brought along (only the
   instructor's hidden checks count), clears the outputs, and appends the instructor edition's
   hidden checks, preceded by a cell that seeds the session with the student's `student_id`
   (read from the submission's parameters cell), so each student's own expected values are
   recomputed;
4. executes it with nbclient in a fresh ``rekit`` kernel, cell errors allowed, each cell limited
   to `timeout` seconds - a timeout or a dead kernel gives a "broken" row, not a crash;
5. reads the graded verdicts (``application/vnd.rekit.verdict+json`` with points) from the hidden
   cells' outputs.

Each submission is one job on `rekit.run`'s executor: `jobs` local processes (default 1), or the
Dask scheduler at `scheduler` (or ``REKIT_SCHEDULER``), whose workers must see the submissions
and the instructor notebooks at the same paths (a shared folder). A submission whose worker died
gets a "broken" row naming it and why; the others are graded.

The gradebook (a DataFrame, `COLUMNS`) has one row per student, notebook and exercise: status
(correct, partial, wrong, unanswered, invalid, or error when the check could not run), points, the
most the exercise gives, the credit (points / max), and the feedback the student would see; a
student cell that raised adds a row (exercise ``-``) naming the cell, and a broken submission one
row (exercise ``*``) saying what is wrong. `format_gradebook(df, "csv" | "table")` writes it out; in
CSV, text that a spreadsheet would read as a formula is neutralised by the kit's one rule
(rekit.csvcells).
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Mapping

import pandas as pd

from rekit.csvcells import frame_csv
from rekit.errors import RekitError
from rekit.teaching.editions import HIDDEN, SOLUTION, is_tagged, source_notebooks
from rekit.teaching.exercises import DEAL_EXERCISE, DEAL_POINTS, EXERCISES, STUDENT_ID
from rekit.teaching.figures import STATIC_IMAGES_ENV
from rekit.teaching.verdicts import VERDICT_MIME

__all__ = ["COLUMNS", "FORMATS", "grade", "grade_one", "format_gradebook", "GradingError"]

COLUMNS = ["student", "notebook", "exercise", "status", "points", "max_points", "credit", "feedback", "submission"]
FORMATS = ("csv", "table")
INJECTED = "injected"
_KEY = re.compile(r'(?:assert_answer|check)\("(\d\d\.\d)"')


class GradingError(RekitError, ValueError):
    """A grading request that cannot be carried out (no submissions, an unknown format); the message says why."""


def _max_points(key: str) -> float:
    return float(DEAL_POINTS) if key == DEAL_EXERCISE else float(EXERCISES[key].points) if key in EXERCISES else 0.0


def _row(student: str, notebook: str, exercise: str, status: str, points: float, max_points: float, feedback: str,
         submission: Path) -> dict[str, Any]:
    credit = points / max_points if max_points else 0.0
    return {"student": student, "notebook": notebook, "exercise": exercise, "status": status, "points": float(points),
            "max_points": float(max_points), "credit": round(credit, 4), "feedback": feedback, "submission": str(submission)}


def _student_id(nb) -> str | None:
    """The `student_id` literal of the submission's parameters cell (None when absent or not a literal)."""
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_tagged(cell, "parameters"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            return None
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "student_id"):
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    return None
                return value if isinstance(value, str) else None
    return None


def _which(nb, path: Path, sources: Mapping[str, Path]) -> str | None:
    """The source notebook's name (e.g. 02_export_share_yourself) a submission is a copy of."""
    meta = nb.metadata.get("rekit", {}) if isinstance(nb.metadata.get("rekit"), Mapping) else {}
    if meta.get("notebook") in sources:
        return meta["notebook"]
    for name in sources:
        if name in path.name:
            return name
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    prefixes = {k[:2] for k in _KEY.findall(code)} | ({DEAL_EXERCISE[:2]} if "check_deal(" in code else set())
    matches = [name for name in sources if name[:2] in prefixes]
    return matches[0] if len(matches) == 1 else None


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty cell)"


def _error_text(outputs: Iterable[Mapping]) -> str | None:
    for o in outputs:
        if o.get("output_type") == "error":
            return f"{o.get('ename', 'Error')}: {o.get('evalue', '')}".strip()
    return None


def _verdict(outputs: Iterable[Mapping]) -> dict | None:
    for o in outputs:
        data = o.get("data", {})
        if VERDICT_MIME in data and data[VERDICT_MIME].get("points") is not None:
            return data[VERDICT_MIME]
    return None


def _feedback(record: Mapping) -> str:
    text = record.get("message", "")
    for ok, line in record.get("details") or []:
        text += f" [{'met' if ok else 'not met'}: {line}]"
    return text.strip()


def grade_one(path: str | os.PathLike, *, sources: Mapping[str, Path] | None = None, timeout: float = 300,
              kernel_name: str = "rekit", student_id: str | None = None, reveal: bool | None = None) -> list[dict[str, Any]]:
    """The gradebook rows of one submission (see the module docstring); never raises for a bad submission.
    `reveal` False refuses the student's check(..., reveal=True) (None: as REKIT_REVEAL says); every reveal
    asked for is a row (rekit.teaching.gradebook.reveal_rows)."""
    import nbformat

    path = Path(path)
    sources = dict(sources) if sources is not None else {p.stem: p for p in source_notebooks()}
    fallback = path.stem
    try:
        from rekit.teaching.gradebook import read_submission

        nb = read_submission(path)  # a v4 notebook's missing cell ids added first: no nbformat warning
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - invalid JSON, not a notebook, unreadable: a row, not a crash
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
        return [_row(fallback, "", "*", "broken", 0, 0, f"not graded: {path.name} is not a readable notebook ({reason})", path)]
    name = _which(nb, path, sources)
    sid = student_id if student_id is not None else _student_id(nb)
    student = sid or fallback
    if name is None:
        return [_row(student, "", "*", "broken", 0, 0, "not graded: cannot tell which teaching notebook this is "
                     f"(known: {', '.join(sources)})", path)]
    if sid and not STUDENT_ID.match(sid):
        return [_row(fallback, name, "*", "broken", 0, 0, f"not graded: student_id {sid!r} is not allowed "
                     "(1 to 64 letters, digits, '-', '_' or '.')", path)]
    instructor = nbformat.read(sources[name], as_version=4)
    hidden = [c for c in instructor.cells if c.cell_type == "code" and is_tagged(c, HIDDEN)]
    keys = [(_KEY.findall(c.source) or [DEAL_EXERCISE])[0] for c in hidden]

    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    setup = nbformat.v4.new_code_cell(f"import os\nos.environ[{STATIC_IMAGES_ENV!r}] = '0'  # grading reads verdicts, not charts\n"
                                      f"from rekit.teaching.exercises import allow_reveal\nallow_reveal({reveal!r})")
    setup.metadata["tags"] = [INJECTED]
    student_cells = []
    for cell in nb.cells:
        if is_tagged(cell, SOLUTION, HIDDEN, INJECTED):
            continue
        cell = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        student_cells.append(cell)
    seed = nbformat.v4.new_code_cell("from rekit.teaching.exercises import start_session\n"
                                     f"start_session({sid!r})  # the student's own values, recomputed")
    seed.metadata["tags"] = [INJECTED, HIDDEN]
    checks = []
    for cell in hidden:
        c = nbformat.v4.new_code_cell(cell.source)
        c.metadata["tags"] = [HIDDEN]
        checks.append(c)
    asked = nbformat.v4.new_code_cell("from rekit.teaching.exercises import show_reveals\nshow_reveals()")
    asked.metadata["tags"] = [INJECTED, HIDDEN]
    run.cells = [setup, *student_cells, asked, seed, *checks]

    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started: list[int] = []  # index in run.cells of each cell as it starts
    # the kernel logs errors only: its start-up notice that TCP on 127.0.0.1 is unencrypted is not the
    # student's or the instructor's business, and the grader's output carries no kernel warnings
    client = NotebookClient(run, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(sources[name].parent)}},
                            on_cell_execute=lambda cell, cell_index: started.append(cell_index))
    most = sum(map(_max_points, keys))
    try:
        client.execute()
    except CellTimeoutError:
        return [_row(student, name, "*", "broken", 0, most, f"not graded: a cell ran longer than {timeout:g} s"
                     f"{_where(run, student_cells, started)}", path)]
    except DeadKernelError as exc:
        return [_row(student, name, "*", "broken", 0, most,
                     f"not graded: the kernel died ({exc}){_where(run, student_cells, started)}", path)]
    except Exception as exc:  # noqa: BLE001 - the kernel would not start, say: a row, not a crash
        return [_row(student, name, "*", "broken", 0, most, f"not graded: {type(exc).__name__}: {exc}", path)]

    rows = []
    for i, cell in enumerate(student_cells, start=1):
        if cell.cell_type == "code":
            err = _error_text(cell.get("outputs", []))
            if err:
                rows.append(_row(student, name, "-", "error", 0, 0, f"cell {i} ({_first_line(cell.source)}) raised "
                                 f"{err}; the exercises were graded from what ran", path))
    for key, cell in zip(keys, checks, strict=True):
        record = _verdict(cell.get("outputs", []))
        if record is None:
            err = _error_text(cell.get("outputs", [])) or "no verdict"
            rows.append(_row(student, name, key, "error", 0, _max_points(key), f"the check could not run: {err}", path))
        else:
            status = "partial" if 0 < record["points"] < record["max_points"] else record["status"]
            rows.append(_row(student, name, key, status, record["points"], record["max_points"], _feedback(record), path))
    from rekit.teaching.gradebook import reveal_rows

    rows += [_row(student, name, *r, path) for r in reveal_rows(asked.get("outputs", []))]
    return rows


def _where(run, student_cells, started: list[int]) -> str:
    """', in cell N (first line)' for the student cell that was running when execution stopped, if known."""
    if not started:
        return ""
    cell = run.cells[started[-1]]
    for i, own in enumerate(student_cells, start=1):
        if own is cell:
            return f", in cell {i} ({_first_line(cell.source)})"
    return ""


def grade_job(path: Path, sources: Mapping[str, Path], timeout: float, kernel_name: str,
              student_id: str | None, reveal: bool | None = None) -> list[dict[str, Any]]:
    """`grade_one` with positional arguments: the job one submission is on the executor."""
    return grade_one(path, sources=sources, timeout=timeout, kernel_name=kernel_name, student_id=student_id, reveal=reveal)


def grade(submissions: Iterable[str | os.PathLike], *, timeout: float = 300, kernel_name: str = "rekit",
          notebooks: str | os.PathLike | None = None, student_ids: Mapping[str, str] | None = None,
          jobs: int | None = None, scheduler: str | None = None, reveal: bool | None = None) -> pd.DataFrame:
    """Grade every submission (each in a fresh kernel, one job on the executor) and return the gradebook
    (`COLUMNS`), in the order given.

    `notebooks` is the folder of instructor notebooks (default notebooks/teaching/, or an
    instructor edition written by `build`); `student_ids` maps a submission path to the id to
    grade it with, instead of the one in its parameters cell; `jobs` local processes (default 1) or
    the Dask `scheduler` run the jobs (rekit.run.executor.open_executor). Raises GradingError when
    there is nothing to grade or `timeout` is not positive; RekitError for `jobs` below 1 or both
    `jobs` and `scheduler`; FailedError for a scheduler that does not answer."""
    paths = [Path(p) for p in submissions]
    if not paths:
        raise GradingError("no submissions given; pass one or more .ipynb files")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise GradingError(f"timeout: got {timeout!r}; allowed: a number of seconds above 0")
    sources = {p.stem: p for p in source_notebooks(notebooks)}
    ids = {str(Path(k)): v for k, v in (student_ids or {}).items()}
    from rekit.run.executor import JobFailed, open_executor, result_of

    rows: list[dict[str, Any]] = []
    with open_executor(jobs=jobs, scheduler=scheduler) as ex:
        futures = [ex.submit(grade_job, path, sources, timeout, kernel_name, ids.get(str(path)), reveal) for path in paths]
        for path, f in zip(paths, futures, strict=True):
            try:
                rows += result_of(f, f"submission {path.name}", ex.where)
            except JobFailed as exc:
                rows.append(_row(path.stem, "", "*", "broken", 0, 0, f"not graded: {exc}", path))
    return pd.DataFrame(rows, columns=COLUMNS)


def format_gradebook(df: pd.DataFrame, fmt: str = "table") -> str:
    """The gradebook as CSV (formulas neutralised) or as a plain-text table with each student's total."""
    if fmt not in FORMATS:
        raise GradingError(f"format: got {fmt!r}; allowed: {', '.join(FORMATS)}")
    if fmt == "csv":
        return frame_csv(df)
    if df.empty:
        return "(no rows)\n"
    shown = df.drop(columns=["submission"]).copy()
    shown["feedback"] = shown["feedback"].str.slice(0, 100)
    totals = df.groupby(["student", "notebook"], sort=False)[["points", "max_points"]].sum().reset_index()
    lines = [shown.to_string(index=False), "", "Totals:",
             totals.to_string(index=False, formatters={"points": "{:g}".format, "max_points": "{:g}".format})]
    return "\n".join(lines) + "\n"
