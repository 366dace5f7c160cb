"""The teaching notebooks and their self-checking exercises (rekit.exercises).

Every notebook runs twice with papermill (kernel `rekit`): as a student gets it (every answer None:
it must run top to bottom, every check saying "not answered yet") and with its solutions filled in
(`reveal_solutions=True`: every check must pass). So an exercise whose data or code changes under
it fails here instead of rotting. The checks report through a display bundle of their own
(`application/vnd.rekit.verdict+json`), read from the executed notebooks.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from rekit.teaching import exercises as E
from rekit.data.dataset import load

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "notebooks" / "teaching"
NOTEBOOKS = sorted(TEACHING.glob("[0-9][0-9]_*.ipynb"))
ANSWER = re.compile(r"^(answer_\w+|my_deal) = None\b", re.M)


@pytest.fixture(autouse=True)
def _fresh_session():
    E.reset()
    yield
    E.reset()


# --- the checkers -------------------------------------------------------------------------------


def test_check_number_feedback():
    v = E.check_number(None, 0.345, tol=0.001, unit="share", hint="exports / production", exercise="t.1")
    assert v.status == "unanswered" and not v and "Replace None" in v.text() and "Hint: exports / production" in v.text()
    v = E.check_number(1000 / 2900, 0.3448, tol=0.001, unit="share", exercise="t.1")
    assert v and v.status == "correct" and "You gave 0.3448" in v.text()
    v = E.check_number(34.48, 1000 / 2900, tol=0.001, unit="share", hint="h", exercise="t.1")
    assert v.status == "wrong" and "percentage" in v.message and "expected 0.3448" in v.message and "Hint: h" in v.text()
    v = E.check_number(2.9, 1000 / 2900, tol=0.001, mistakes=[(2.9, "divided the other way round")])
    assert v.status == "wrong" and "other way round" in v.message and "too high" in v.message
    for bad in ("0.34", True, float("nan"), [1, 2]):
        assert E.check_number(bad, 0.34).status == "invalid"
    import numpy as np
    import pandas as pd

    assert E.check_number(np.float64(0.34), 0.34) and E.check_number(pd.Series([0.34]), 0.34)


def test_check_choice_feedback():
    assert E.check_choice(" Business_Standard_2025_11_09 ", "business_standard_2025_11_09").correct
    v = E.check_choice("usgs_mcs_2026", "a", ["a", "b"])
    assert v.status == "invalid" and "not one of the possible answers" in v.message
    v = E.check_choice("b", "a", ["a", "b"], hint="look again")
    assert v.status == "wrong" and "expected 'a'" in v.message
    assert E.check_choice(3, "a").status == "invalid"


def test_verdict_display_and_summary():
    v = E.check_number(1.0, 1.0, exercise="t.9")
    bundle = v._repr_mimebundle_()
    assert bundle[E.VERDICT_MIME] == {"exercise": "t.9", "status": "correct", "given": 1.0, "expected": 1.0}
    assert 'data-status="correct"' in bundle["text/html"] and bundle["text/plain"].startswith("✓ Exercise t.9")
    E.check_number(None, 1.0, exercise="t.10")
    s = E.summary()
    assert s.status == "wrong" and "1 of 2 exercises correct" in s.message and "t.10" in s.message
    E.check_number(1.0, 1.0, exercise="t.10")
    assert E.summary().correct


def test_named_exercises_follow_the_data(tmp_path):
    """Expected values are computed from the data when checked: change the data, the answer changes."""
    ds = load()
    assert E.check("02.3", 1000 / 2900, ds=ds).correct
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    obs = data / "observations.csv"
    with open(obs, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    for r in rows:
        if r["indicator"] == "re_production" and r["entity"] == "IREL" and r["period"] == "2024":
            r["value"] = "2000"
    for r in rows:  # keep the derived share consistent with its inputs, as the data check demands
        if r["id"] == "irel_re_export_share_japan_2024_derived":
            r["value"] = "0.5"
    with open(obs, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    changed = load(data)
    assert E.check("02.3", 0.5, ds=changed).correct
    assert E.check("02.3", 1000 / 2900, ds=changed).status == "wrong"


def test_every_exercise_key_is_known_and_unknown_keys_are_refused():
    with pytest.raises(KeyError, match="no exercise"):
        E.check("99.9", 1)
    used = set()
    for nb in NOTEBOOKS:
        used |= set(re.findall(r'check\("(\d\d\.\d)"', _code(nb)))
    assert used == set(E.EXERCISES), "every named exercise is used by a notebook, and only those"


def test_design_a_deal_checker():
    assert E.check_deal(None).status == "unanswered"
    bad = E.check_deal({"description": "x", "shares": {"export": 0.5}})
    assert bad.status == "invalid" and "shares" in bad.message
    halt = E.check_deal({"description": "exports stop, nothing else", "shares": {
        2024: {"export": {"value": 0.3, "source": "assumption: x"}, "toll": {"value": 0, "source": "assumption: x"},
               "domestic": {"value": 0, "source": "assumption: x"}, "stock": "rest"},
        2025: {"export": {"value": 0, "source": "assumption: x"}, "toll": {"value": 0, "source": "assumption: x"},
               "domestic": {"value": 0, "source": "assumption: x"}, "stock": "rest"}}})
    assert halt.status == "wrong"
    assert [ok for ok, _ in halt.details] == [True, True, True, False]  # loads, no exports, stock kept, but no magnets
    assert "toll_japan" in halt.details[-1][1]


# --- the notebooks ------------------------------------------------------------------------------


def test_there_are_three_teaching_notebooks():
    names = [p.name for p in NOTEBOOKS]
    for want in ("01_where_numbers_come_from.ipynb", "02_export_share_yourself.ipynb", "03_design_a_deal.ipynb"):
        assert want in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    """Title, parameters (reveal_solutions), check; every answer cell followed by a hidden solution cell."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert "parameters" in cells[1].metadata.get("tags", []) and "reveal_solutions = False" in cells[1].source
    assert "rekit.params.check" in cells[2].source
    answers = [i for i, c in enumerate(cells) if c.cell_type == "code" and ANSWER.search(c.source)]
    assert answers, "a teaching notebook has exercises"
    for i in answers:
        var = ANSWER.search(cells[i].source).group(1)
        sol = cells[i + 1]
        assert "solution" in sol.metadata.get("tags", []), f"cell {i + 2} should be the solution of {var}"
        assert sol.metadata.get("jupyter", {}).get("source_hidden") is True
        assert "if reveal_solutions:" in sol.source and f"{var} =" in sol.source
        assert var in cells[i + 2].source, f"cell {i + 3} should check {var}"


def _run(path: Path, tmp_path: Path, reveal: bool) -> nbformat.NotebookNode:
    import papermill as pm

    out = tmp_path / f"{path.stem}-{reveal}.ipynb"
    pm.execute_notebook(str(path), str(out), parameters={"reveal_solutions": reveal}, kernel_name="rekit",
                        cwd=str(path.parent), progress_bar=False, execution_timeout=300)
    return nbformat.read(out, as_version=4)


def _verdicts(nb) -> list[dict]:
    return [o["data"][E.VERDICT_MIME] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if E.VERDICT_MIME in o.get("data", {})]


def _code(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def _exercises_of(path: Path) -> set[str]:
    text = _code(path)
    keys = set(re.findall(r'check\("(\d\d\.\d)"', text))
    if "check_deal(" in text:
        keys.add("03.2")
    return keys


@pytest.mark.parametrize("reveal", [False, True], ids=["student", "solutions"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, reveal, tmp_path):
    nb = _run(path, tmp_path, reveal)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    verdicts = _verdicts(nb)
    by_key = {v["exercise"]: v["status"] for v in verdicts if v["exercise"]}
    assert set(by_key) == _exercises_of(path), "every exercise is checked once in its notebook"
    want = "correct" if reveal else "unanswered"
    assert all(s == want for s in by_key.values()), by_key
    final = [v for v in verdicts if not v["exercise"]]
    assert final and final[-1]["status"] == want, "the notebook ends with summary()"
