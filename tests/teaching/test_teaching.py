"""The teaching notebooks and their self-checking exercises (rekit.exercises, rekit.teaching).

Every notebook runs twice with papermill (kernel `rekit`): its student edition as a student gets
it (no solution or hidden cells, every answer None: it must run top to bottom, every check saying
"not answered yet") and its instructor edition with the solutions filled in
(`reveal_solutions=True`: every check and every hidden check must pass, with full points). So an
exercise whose data or code changes under it fails here instead of rotting. The checks report
through a display bundle of their own (`application/vnd.rekit.verdict+json`), read from the
executed notebooks. The checkers themselves are tested in test_verdicts.py.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from rekit.data.dataset import load
from rekit.teaching import editions
from rekit.teaching import exercises as E
from rekit.teaching.verdicts import VERDICT_MIME

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "notebooks" / "teaching"
NOTEBOOKS = sorted(TEACHING.glob("[0-9][0-9]_*.ipynb"))
ANSWER = re.compile(r"^(answer_\w+|my_deal) = None\b", re.M)


@pytest.fixture(autouse=True)
def _fresh_session():
    E.start_session()
    yield
    E.start_session()


# --- the catalogue -------------------------------------------------------------------------------


def test_named_exercises_follow_the_data(tmp_path):
    """Expected values are computed from the data when checked: change the data, the answer changes."""
    ds = load()
    assert E.check_exercise("02.3", 1000 / 2900, ds=ds).correct
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
    assert E.check_exercise("02.3", 0.5, ds=changed).correct
    assert E.check_exercise("02.3", 1000 / 2900, ds=changed).status == "wrong"


def test_every_exercise_key_is_known_and_unknown_keys_are_refused():
    with pytest.raises(KeyError, match="no exercise"):
        E.check_exercise("99.9", 1)
    used = set()
    for nb in NOTEBOOKS:
        used |= set(re.findall(r'(?<!_)check\("(\d\d\.\d)"', _code(nb)))
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
    graded = E.grade_answer("03.2", halt.given and {"description": "exports stop, nothing else", "shares": {
        2024: {"export": {"value": 0.3, "source": "assumption: x"}, "toll": {"value": 0, "source": "assumption: x"},
               "domestic": {"value": 0, "source": "assumption: x"}, "stock": "rest"},
        2025: {"export": {"value": 0, "source": "assumption: x"}, "toll": {"value": 0, "source": "assumption: x"},
               "domestic": {"value": 0, "source": "assumption: x"}, "stock": "rest"}}})
    assert (graded.points, graded.max_points) == (3, 4)  # one point per criterion met: 3 of the 4
    assert E.grade_answer("03.2", {"description": "x", "shares": {"export": 0.5}}).points == 0  # does not load


# --- the notebooks ------------------------------------------------------------------------------


def test_there_are_three_teaching_notebooks():
    names = [p.name for p in NOTEBOOKS]
    for want in ("01_where_numbers_come_from.ipynb", "02_export_share_yourself.ipynb", "03_design_a_deal.ipynb"):
        assert want in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    """Title, parameters (reveal_solutions, student_id), check; every answer cell followed by a collapsed
    solution cell, its check, and a hidden check of the same answer."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    params = cells[1]
    assert "parameters" in params.metadata.get("tags", [])
    assert "reveal_solutions = False" in params.source and 'student_id = ""' in params.source
    assert "rekit.params.check" in cells[2].source and "reset(student_id)" in cells[3].source
    answers = [i for i, c in enumerate(cells) if c.cell_type == "code" and ANSWER.search(c.source)]
    assert answers, "a teaching notebook has exercises"
    for i in answers:
        var = ANSWER.search(cells[i].source).group(1)
        sol, chk, hidden = cells[i + 1], cells[i + 2], cells[i + 3]
        assert "solution" in sol.metadata.get("tags", []), f"cell {i + 2} should be the solution of {var}"
        assert sol.metadata.get("jupyter", {}).get("source_hidden") is True
        assert "if reveal_solutions:" in sol.source and f"{var} =" in sol.source
        assert var in chk.source and not chk.metadata.get("tags"), f"cell {i + 3} should check {var}"
        assert "hidden" in hidden.metadata.get("tags", []), f"cell {i + 4} should be the hidden check of {var}"
        assert f'globals().get("{var}")' in hidden.source and "assert_answer(" in hidden.source
    tagged = [c for c in cells if {"solution", "hidden"} & set(c.metadata.get("tags", []))]
    assert len(tagged) == 2 * len(answers), "solution and hidden cells only beside an exercise"


def _run(path: Path, tmp_path: Path, reveal: bool | None) -> nbformat.NotebookNode:
    """Execute `path` with papermill (reveal_solutions given unless None) and read the result back."""
    import papermill as pm

    out = tmp_path / f"{path.stem}-{reveal}.ipynb"
    params = {} if reveal is None else {"reveal_solutions": reveal}
    pm.execute_notebook(str(path), str(out), parameters=params, kernel_name="rekit",
                        cwd=str(path.parent), progress_bar=False, execution_timeout=300)
    return nbformat.read(out, as_version=4)


def _verdicts(nb, hidden: bool = False) -> list[dict]:
    return [o["data"][VERDICT_MIME] for c in nb.cells if c.cell_type == "code"
            and ("hidden" in c.metadata.get("tags", [])) == hidden
            for o in c.get("outputs", []) if VERDICT_MIME in o.get("data", {})]


def _code(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def _exercises_of(path: Path) -> set[str]:
    text = _code(path)
    keys = set(re.findall(r'(?<!_)check\("(\d\d\.\d)"', text))
    if "check_deal(" in text:
        keys.add("03.2")
    return keys


@pytest.mark.parametrize("edition", ["student", "instructor"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, edition, tmp_path, monkeypatch):
    """The student edition runs with every answer empty; the instructor edition, solutions on, passes every check."""
    if edition == "student":
        monkeypatch.setenv("REKIT_STATIC_IMAGES", "0")  # the charts' static copies are tested on the instructor run
    built = editions.build(tmp_path / "editions", TEACHING)
    source = next(p for p in built[edition] if p.name == path.name)
    nb = _run(source, tmp_path, None if edition == "student" else True)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    verdicts = _verdicts(nb)
    by_key = {v["exercise"]: v["status"] for v in verdicts if v["exercise"]}
    assert set(by_key) == _exercises_of(path), "every exercise is checked once in its notebook"
    want = "correct" if edition == "instructor" else "unanswered"
    assert all(s == want for s in by_key.values()), by_key
    final = [v for v in verdicts if not v["exercise"]]
    assert final and final[-1]["status"] == want, "the notebook ends with summary()"
    hidden = _verdicts(nb, hidden=True)
    if edition == "student":
        assert not hidden
    else:
        assert {v["exercise"] for v in hidden} == _exercises_of(path)
        assert all(v["points"] == v["max_points"] > 0 for v in hidden), hidden
        charts = [o for c in nb.cells for o in c.get("outputs", []) if "application/vnd.plotly.v1+json" in o.get("data", {})]
        from rekit.figures.images import find_browser

        for o in charts:  # every chart also carries a static copy for nbconvert exports (or says why not)
            if find_browser():
                assert "image/png" in o["data"] and "text/html" not in o["data"]
            else:
                assert "no static copy" in o["data"]["text/plain"]
        if charts and find_browser():  # a plain `jupyter nbconvert --to html` export keeps them as images
            from nbconvert import HTMLExporter

            body, _ = HTMLExporter().from_notebook_node(nb)
            assert body.count('src="data:image/png;base64,') >= len(charts)
