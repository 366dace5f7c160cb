"""A class roster: which submission files are whose, so one student keeps one id across notebooks.

The roster is a CSV file with a header ``student,files``: one row per student, their id (1 to 64
letters, digits, '-', '_' or '.', as `student_id` takes) and the file names of their submissions
separated by ``;`` (names, not paths: ``alice_02.ipynb;alice-notebook3.ipynb``). A student named on
two rows, a file claimed twice, an id that is not allowed, or a missing column is refused with the
file, row and column; so is a submission the roster does not list (`student_of`).

The roster names students in the gradebook only: the values a student was given (and is graded on)
still come from the `student_id` in their notebook.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from rekit.errors import RekitError
from rekit.teaching.exercises import STUDENT_ID

__all__ = ["RosterError", "read_roster", "student_of", "COLUMNS"]

COLUMNS = ("student", "files")


class RosterError(RekitError, ValueError):
    """A roster that cannot be used: the message names the file, row and column, the value and what is allowed."""


def read_roster(path: str | Path) -> dict[str, str]:
    """{submission file name: student id} from a roster CSV (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"--roster: cannot read {path} ({type(exc).__name__}); give a UTF-8 CSV with columns "
                          f"{', '.join(COLUMNS)}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(f"{path.name}: missing column {', '.join(missing)}; the header must be {','.join(COLUMNS)} "
                          f"(got {','.join(header) or 'nothing'})")
    by_file: dict[str, str] = {}
    row_of_student: dict[str, int] = {}
    for row_no, raw in enumerate(reader, start=2):  # the header is row 1
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        student = row.get("student", "")
        if not STUDENT_ID.match(student):
            raise RosterError(f"{path.name}, row {row_no}, column student: {student!r} is not allowed; "
                              "give 1 to 64 letters, digits, '-', '_' or '.'")
        if student in row_of_student:
            raise RosterError(f"{path.name}, row {row_no}, column student: {student!r} is already on row "
                              f"{row_of_student[student]}; name each student once, with all their files on that row")
        row_of_student[student] = row_no
        files = [f.strip() for f in row.get("files", "").split(";") if f.strip()]
        if not files:
            raise RosterError(f"{path.name}, row {row_no}, column files: no file for {student!r}; give the file names "
                              "of their submissions separated by ';'")
        for f in files:
            if "/" in f or "\\" in f:
                raise RosterError(f"{path.name}, row {row_no}, column files: {f!r} is a path; give the file name only")
            if f in by_file:
                raise RosterError(f"{path.name}, row {row_no}, column files: {f!r} is already {by_file[f]!r}'s; "
                                  "a file belongs to one student")
            by_file[f] = student
    if not by_file:
        raise RosterError(f"{path.name}: no students; give one row per student under the header {','.join(COLUMNS)}")
    return by_file


def student_of(roster: Mapping[str, str], submissions: Iterable[str | Path], roster_name: str = "the roster") -> dict[str, str]:
    """{submission path (as given): student id}; RosterError naming every submission the roster does not list."""
    paths = [Path(p) for p in submissions]
    unknown = [p.name for p in paths if p.name not in roster]
    if unknown:
        raise RosterError(f"--roster: {', '.join(unknown)} is in no row of {roster_name}; add it to its student's files "
                          f"(the roster lists: {', '.join(sorted(roster))})")
    return {str(p): roster[p.name] for p in paths}
