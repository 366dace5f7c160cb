"""`rekit teach`: the teaching notebooks' student and instructor editions, and grading submissions.

`teach_app` holds the group (added as ``rekit teach`` in rekit/cli/app.py):

* ``rekit teach build --out DIR``: rekit.teaching.editions.build - DIR/student/ (no solution or
  hidden cells, no outputs) and DIR/instructor/ (everything);
* ``rekit teach grade SUBMISSION.ipynb... --format csv|table``: rekit.teaching.grading.grade -
  each submission run in a fresh kernel with the hidden checks appended, one job on local processes
  (``--jobs``) or a Dask cluster (``--scheduler``); the gradebook on stdout.

Options are checked before anything heavy is imported (nbformat, nbclient, pandas).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from rekit.cli.common import at_least, fail, new_app, positive_seconds

teach_app = new_app(help="teaching notebooks: student and instructor editions, grading submissions")


@teach_app.command("build", short_help="write the student and instructor editions of the teaching notebooks")
def build(
    out: Annotated[str, typer.Option("--out", metavar="DIR", help="folder for the editions (student/ and instructor/)")],
    notebooks: Annotated[Path | None, typer.Option(
        "--notebooks", metavar="DIR", help="folder of the teaching notebooks (default: notebooks/teaching)")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal/--no-reveal", help="whether check(..., reveal=True) shows the answer in the student edition")] = True,
) -> int:
    """Write DIR/student/ (no solution or hidden cells, outputs cleared, a note where a solution was) and
    DIR/instructor/ (every cell) for every teaching notebook."""
    if not out.strip():
        fail("--out: an empty folder name is not allowed; give the folder to write the editions into")
    folder = Path(out)
    if notebooks is not None and not notebooks.is_dir():
        fail(f"--notebooks: no folder at {notebooks}")
    from rekit.teaching.editions import build as build_editions

    try:
        written = build_editions(folder, notebooks, reveal=reveal)
    except FileNotFoundError as exc:
        fail(str(exc))
    for edition, paths in written.items():
        for p in paths:
            print(f"{edition}: {p}")
    return 0


@teach_app.command("grade", short_help="grade submissions into a gradebook (csv or table)")
def grade(
    submissions: Annotated[list[str] | None, typer.Argument(
        metavar="SUBMISSION.ipynb...", show_default=False, help="the students' notebooks")] = None,
    format: Annotated[Literal["csv", "table"], typer.Option("--format", help="gradebook format")] = "table",
    timeout: Annotated[float, typer.Option("--timeout", metavar="S", help="seconds each cell may run, > 0")] = 300.0,
    notebooks: Annotated[Path | None, typer.Option(
        "--notebooks", metavar="DIR",
        help="instructor notebooks with the hidden checks (default: notebooks/teaching)")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", metavar="N", show_default=False, help="submissions graded at once in local processes, >= 1 (default: 1)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDR", show_default=False,
        help="grade on the Dask scheduler at ADDR (tcp://HOST:PORT; default: $REKIT_SCHEDULER if set); its workers "
             "must see the submissions at the same paths")] = None,
    roster: Annotated[Path | None, typer.Option(
        "--roster", metavar="FILE", help="CSV student,files: each student once, their submission file names separated "
                                         "by ';' (one id per student across notebooks)")] = None,
    feedback: Annotated[Path | None, typer.Option(
        "--feedback", metavar="DIR", help="also write DIR/STUDENT.html for each student: every feedback in full")] = None,
    reveal: Annotated[bool | None, typer.Option(
        "--reveal/--no-reveal", show_default=False,
        help="whether the student's check(..., reveal=True) was allowed (default: as $REKIT_REVEAL says); every "
             "reveal is a gradebook row either way")] = None,
) -> int:
    """Run each submission in a fresh kernel with the instructor's hidden checks appended and print the
    gradebook: one row per student and exercise with points, partial credit and the feedback. A broken
    submission (not a notebook, a timeout, a dead kernel) gets a row saying so."""
    positive_seconds("--timeout", timeout)
    if jobs is not None:
        at_least("--jobs", jobs, 1)
    if jobs is not None and scheduler is not None:
        fail(f"--jobs {jobs} and --scheduler {scheduler}: give one (a Dask cluster sets its own workers)")
    if not submissions:
        fail("no submissions given; pass one or more SUBMISSION.ipynb files")
    paths = [Path(p) for p in submissions]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        fail(f"no such submission: {', '.join(missing)}")
    if notebooks is not None and not notebooks.is_dir():
        fail(f"--notebooks: no folder at {notebooks}")
    if feedback is not None and feedback.exists() and not feedback.is_dir():
        fail(f"--feedback: {feedback} is a file; give a folder for the feedback pages")
    students = None
    if roster is not None:  # read and matched before any submission runs
        from rekit.teaching.roster import read_roster, student_of

        students = student_of(read_roster(roster), paths, roster.name)
    from rekit.teaching.editions import source_notebooks
    from rekit.teaching.gradebook import out_of_full_marks, totals_text, with_roster, with_totals, write_feedback
    from rekit.teaching.grading import format_gradebook, grade as grade_submissions

    df = grade_submissions(paths, timeout=timeout, notebooks=notebooks, jobs=jobs, scheduler=scheduler, reveal=reveal)
    df = out_of_full_marks(df, {p.stem: p for p in source_notebooks(notebooks)})
    if students:
        df = with_roster(df, students)
    if format == "csv":
        sys.stdout.write(format_gradebook(with_totals(df), "csv"))
    else:
        sys.stdout.write(format_gradebook(df, "table") + totals_text(df))
    if feedback is not None:
        feedback.mkdir(parents=True, exist_ok=True)
        pages = write_feedback(df, feedback)
        print(f"feedback: {len(pages)} page{'s' if len(pages) != 1 else ''} in {feedback}", file=sys.stderr)
    return 0


@teach_app.command("key", short_help="the answer key per student: each exercise's expected answer for that student's values")
def key(
    student: Annotated[list[str] | None, typer.Option(
        "--student", metavar="ID", help="a student id (repeatable; default: the shared values the notebooks' text names)")] = None,
    roster: Annotated[Path | None, typer.Option(
        "--roster", metavar="FILE", help="every student of a roster (CSV student,files, as teach grade takes)")] = None,
    format: Annotated[Literal["csv", "table"], typer.Option("--format", help="answer key format")] = "table",
) -> int:
    """The answer key per student: for each exercise, the values the student was given (from their id) and
    the expected answer as the grader computes it, with its unit and tolerance."""
    from rekit.teaching.exercises import STUDENT_ID

    ids: list[str | None] = list(student or [])
    for sid in ids:
        if not STUDENT_ID.match(str(sid)):
            fail(f"--student: {sid!r} is not allowed; give 1 to 64 letters, digits, '-', '_' or '.'")
    if roster is not None:
        from rekit.teaching.roster import read_roster

        ids += [s for s in dict.fromkeys(read_roster(roster).values()) if s not in ids]
    from rekit.csvcells import frame_csv
    from rekit.teaching.answer_key import answer_key

    table = answer_key(ids or [None])
    if format == "csv":
        sys.stdout.write(frame_csv(table))
    else:
        sys.stdout.write(table.drop(columns="question").to_string(index=False) + "\n")
    return 0
