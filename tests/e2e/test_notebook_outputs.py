"""The notebooks' stored outputs are present and current, so what nbval compares them with means something.

nbval (configured in pyproject.toml and tests/conftest_nbval.py) re-runs every notebook and
compares each cell's outputs with the stored ones, but it compares nothing for a cell that was
never run (no execution_count), and it cannot know that the code changed since the outputs were
stored. This test fails in both cases; `rekit notebooks refresh NAME` re-executes the notebook in
place with its defaults and records a hash of its code, then review the output diff and commit.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rekit.reports.stored import RefreshError, code_hash, problems, refresh

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS])
def test_stored_outputs_are_present_and_current(path: Path):
    found = problems(path)
    assert not found, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(found)


# ---------------------------------------------------------------------------------------------
# the check itself
# ---------------------------------------------------------------------------------------------

KERNEL = {"kernelspec": {"name": "rekit", "display_name": "Python (rekit)", "language": "python"}}


def _write(tmp_path: Path, cells, stamp: bool = True, name: str = "nb.ipynb") -> Path:
    nb = new_notebook(cells=cells, metadata=dict(KERNEL))
    if stamp:
        nb.metadata["rekit"] = {"outputs_of": code_hash(nb)}
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _ran(source: str, count: int, text: str = "") -> nbformat.NotebookNode:
    cell = new_code_cell(source, execution_count=count)
    if text:
        cell.outputs = [new_output("stream", name="stdout", text=text)]
    return cell


def test_a_clean_current_run_passes(tmp_path):
    path = _write(tmp_path, [new_markdown_cell("# t"), _ran("x = 1", 1), _ran("print(x)", 2, "1\n"), new_code_cell("")])
    assert problems(path) == []


def test_cells_never_run_fail(tmp_path):
    path = _write(tmp_path, [new_markdown_cell("# t"), _ran("x = 1", 1), new_code_cell("print(x)")])
    [msg] = problems(path)
    assert "code cell 3 (counting all cells from 1) has no stored outputs: nbval would compare nothing" in msg


def test_cells_run_out_of_order_fail(tmp_path):
    path = _write(tmp_path, [_ran("x = 1", 3), _ran("print(x)", 2, "1\n")])
    assert any("not run once, top to bottom" in m and "3, 2" in m for m in problems(path))


def test_code_changed_since_the_outputs_were_stored_fails(tmp_path):
    path = _write(tmp_path, [_ran("x = 1", 1), _ran("print(x)", 2, "1\n")])
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = "print(x + 1)"
    nbformat.write(nb, path)
    assert problems(path) == ["stale: the code changed since the outputs were stored; run `rekit notebooks refresh nb`"]


def test_outputs_not_stored_by_refresh_fail(tmp_path):
    path = _write(tmp_path, [_ran("x = 1", 1)], stamp=False)
    assert problems(path) == ["outputs were not stored by `rekit notebooks refresh nb` (no metadata.rekit.outputs_of)"]


def test_refresh_stores_a_clean_deterministic_run_and_refuses_a_failing_one(tmp_path):
    path = _write(tmp_path, [new_markdown_cell("# t"),
                             new_code_cell("n = 2  # count, 1..5", metadata={"tags": ["parameters"]}),
                             new_code_cell("print(n * 21)", execution_count=7)], stamp=False)
    assert problems(path)
    assert refresh(path) is True
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2]
    assert nb.cells[2].outputs[0]["text"] == "42\n" and "execution" not in nb.cells[2].metadata
    assert problems(path) == []
    assert refresh(path) is False  # nothing changed: a second refresh leaves the file as it was

    nb.cells[2].source = "raise RuntimeError('no data for 2031')"
    nbformat.write(nb, path)
    before = path.read_text()
    with pytest.raises(RefreshError, match=r"a cell failed; the notebook is unchanged. RuntimeError: no data for 2031"):
        refresh(path)
    assert path.read_text() == before
