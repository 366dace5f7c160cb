"""Student and instructor editions of the teaching notebooks (in the spirit of nbgrader, kept small).

The notebooks in notebooks/teaching/ are the instructor's sources. Two cell tags drive the
editions:

* ``solution``: a worked solution (runs with ``reveal_solutions = True``);
* ``hidden``: a hidden check, which recomputes the expected value from the data and asserts the
  answer (`rekit.teaching.exercises.assert_answer`); the grader runs these after a student's cells.

`build(out_dir)` writes ``out_dir/student/`` - no solution or hidden cells, every output and
execution count cleared, and a short note where a solution was - and ``out_dir/instructor/`` with
every cell. Each edition's notebook metadata says which edition it is and which source notebook
it comes from (``metadata.rekit``), which the grader reads to find the hidden checks.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

__all__ = ["SOLUTION", "HIDDEN", "SOLUTION_NOTE", "build", "student_edition", "instructor_edition",
           "source_notebooks", "is_tagged"]

SOLUTION = "solution"
HIDDEN = "hidden"
#: The markdown left in the student edition where a solution cell was.
SOLUTION_NOTE = ("*A worked solution to this exercise is in the instructor edition. Stuck? Run the check: it gives "
                 "a hint, then a stronger one, and the answer after three tries or with `reveal=True`.*")


def source_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """The teaching notebooks (NN_name.ipynb) in `folder`, by default notebooks/teaching/ of the folder in use."""
    from rekit.paths import notebooks_dir

    folder = Path(folder) if folder is not None else notebooks_dir() / "teaching"
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no teaching notebooks (NN_name.ipynb) in {folder}")
    return found


def is_tagged(cell, *tags: str) -> bool:
    """Whether `cell` carries any of `tags` in its metadata."""
    have = cell.get("metadata", {}).get("tags", []) or []
    return any(t in have for t in tags)


def _clear(cell) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell.metadata.pop("execution", None)


#: The cell `build(..., reveal=False)` puts first in each student edition (tagged ``injected``: the grader drops it
#: and sets the class's choice itself).
NO_REVEAL_CELL = ("# Set by your instructor: check(..., reveal=True) does not show the answer in this class\n"
                  "from rekit.teaching.exercises import allow_reveal\nallow_reveal(False)")


def student_edition(nb, name: str, reveal: bool = True):
    """A copy of notebook `nb` for students: no solution or hidden cells, no outputs, a note where a solution was;
    with `reveal` False, a first cell that turns check(..., reveal=True) off (NO_REVEAL_CELL)."""
    import nbformat

    out = copy.deepcopy(nb)
    cells = []
    if not reveal:
        first = nbformat.v4.new_code_cell(NO_REVEAL_CELL, id="rekit-no-reveal")
        first.metadata["tags"] = ["injected"]
        cells.append(first)
    for cell in out.cells:
        if is_tagged(cell, HIDDEN):
            continue
        if is_tagged(cell, SOLUTION):
            note = nbformat.v4.new_markdown_cell(SOLUTION_NOTE, id=f"{cell.get('id', 'cell')}-note"[:64])
            note.metadata["tags"] = ["solution-note"]
            cells.append(note)
            continue
        _clear(cell)
        cells.append(cell)
    out.cells = cells
    out.metadata["rekit"] = {"edition": "student", "notebook": name, **({} if reveal else {"reveal": False})}
    return out


def instructor_edition(nb, name: str):
    """A copy of notebook `nb` with every cell (solutions and hidden checks), marked as the instructor's."""
    out = copy.deepcopy(nb)
    out.metadata["rekit"] = {**out.metadata.get("rekit", {}), "edition": "instructor", "notebook": name}
    return out


def build(out_dir: str | os.PathLike, notebooks: str | os.PathLike | None = None, reveal: bool = True) -> dict[str, list[Path]]:
    """Write the student and instructor editions of every teaching notebook under `out_dir`.

    Returns {"student": [paths], "instructor": [paths]}. `notebooks` is the folder of sources
    (default: notebooks/teaching/); `reveal` False turns check(..., reveal=True) off in the student edition
    (student_edition). Raises FileNotFoundError naming the folder when it holds none.
    """
    import nbformat

    if not str(os.fspath(out_dir)).strip():  # Path("") would quietly mean the current folder
        raise ValueError("out_dir: got an empty path; allowed: a folder to write the editions into")
    out_dir = Path(out_dir)
    written: dict[str, list[Path]] = {"student": [], "instructor": []}
    for src in source_notebooks(notebooks):
        nb = nbformat.read(src, as_version=4)
        for edition, make in (("student", lambda n, s: student_edition(n, s, reveal)), ("instructor", instructor_edition)):
            folder = out_dir / edition
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / src.name
            tmp = dest.with_suffix(".ipynb.tmp")
            nbformat.write(make(nb, src.stem), tmp)
            tmp.replace(dest)  # a reader never sees half a notebook
            written[edition].append(dest)
    return written
