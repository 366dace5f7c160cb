"""The documentation site's pieces, checked without a full build (`make docs` executes every
notebook, which is outside `make test`'s budget, and Sphinx is in the `docs` extra, not `dev`).

docs/generate.py writes the generated pages; each is checked here against its source read
independently: the data dictionary against data/datapackage.json, the command-line reference
against `rekit --help`, the methods page's worked example by redoing its sum from the printed
numbers, the tutorials against notebooks/ and batch.yml. docs/conf.py is read as text (importing
it would write the pages): the notebooks are executed and a raising cell fails the build.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import generate  # noqa: E402  (docs/generate.py)


def conf() -> dict:
    """The simple assignments of docs/conf.py, read without running it."""
    out = {}
    for node in ast.parse((DOCS / "conf.py").read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def test_the_build_executes_the_notebooks_and_fails_on_a_raising_cell():
    c = conf()
    assert "myst_nb" in c["extensions"] and "sphinx.ext.autodoc" in c["extensions"]
    assert c["nb_execution_mode"] == "force" and c["nb_execution_raise_on_error"] is True
    assert c["nb_execution_allow_errors"] is False


def test_docs_stay_out_of_make_test_and_the_dev_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    names = lambda deps: {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in deps}  # noqa: E731
    assert {"sphinx", "myst-nb"} <= names(extras["docs"])
    assert not ({"sphinx", "myst-nb"} & names(extras["dev"]))
    makefile = (ROOT / "Makefile").read_text()
    test_line = re.search(r"^test:(.*)$", makefile, re.M).group(1)
    assert "docs" not in test_line.split("##")[0]
    assert re.search(r"^docs: .*## ", makefile, re.M)
    assert "-m sphinx -T -q -b html docs docs/_build/html" in makefile  # -T: the failing cell and its error are printed


def test_data_dictionary_has_every_resource_and_field_of_the_descriptor():
    desc = json.loads((ROOT / "data" / "datapackage.json").read_text())
    page = generate.data_dictionary()
    assert f"version {desc['version']}" in page
    for res in desc["resources"]:
        assert f"## `{res['name']}`" in page, res["name"]
        for field in res["schema"]["fields"]:
            assert re.search(rf"^\| `{re.escape(field['name'])}` \| {field.get('type', 'string')} \|", page, re.M), field["name"]


def test_data_dictionary_escapes_what_a_table_cell_cannot_hold(tmp_path):
    desc = {"name": "x", "title": "t", "version": "9.9.9", "resources": [{"name": "r", "path": "r.csv", "schema": {"fields": [
        {"name": "a", "type": "string", "title": "one | two\nthree", "constraints": {"enum": ["p", "q"], "required": True}}]}}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(desc))
    page = generate.data_dictionary(tmp_path / "datapackage.json")
    assert "| `a` | string | one \\| two three | required; one of `p`, `q` |" in page


def test_cli_reference_has_every_command_of_rekit_help():
    out = subprocess.run([sys.executable, "-m", "rekit.cli", "--help"], capture_output=True, text=True, timeout=120)
    commands = re.findall(r"^  ([a-z-]+)  ", out.stdout.split("Commands:", 1)[1], re.M)
    assert "simulate" in commands and "data" in commands
    page = generate.cli_reference()
    for c in commands:
        assert f"## `rekit {c}`" in page, c
    assert "## `rekit data check`" in page  # a group's commands too
    sim = page.split("## `rekit simulate`", 1)[1].split("\n## ", 1)[0]
    assert "--draws" in sim and "Usage: rekit simulate" in sim


def test_methods_page_s_worked_example_adds_up():
    page = generate.methods_page()
    for heading in ("## The system, one step a year", "## Metrics", "## Parameters", "## Structural choices"):
        assert heading in page
    example = page.split("## A headline number, worked by hand", 1)[1]
    assert "(own + R) / D" in example
    vals = {m.group(1): float(m.group(2).replace(",", "")) for m in re.finditer(r"- `(\w+)` = ([0-9.,e+-]+) ", example)}
    shown = float(re.search(r"gives \*\*([0-9.e+-]+)\*\*", example).group(1))
    # the printed inputs have 4 significant figures: (own + R) / D redone from them agrees to about 1e-3
    assert (vals["own"] + vals["R"]) / vals["D"] == pytest.approx(shown, rel=2e-3)


def test_tutorials_are_the_story_and_teaching_notebooks_but_the_explorer():
    batch = yaml.safe_load((ROOT / "notebooks" / "batch.yml").read_text())
    assert "explorer" in batch["exclude"]
    names = generate.story_notebooks()
    on_disk = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")} - {"explorer"}
    assert {n for n in names if "/" not in n} == on_disk
    teaching = {p.stem for p in (ROOT / "notebooks" / "teaching").glob("*.ipynb")}
    assert {n.split("/")[1] for n in names if n.startswith("teaching/")} == teaching
    page = generate.tutorials_page()
    assert all(f"notebooks/{n}" in page for n in names) and "explorer" not in page


def test_write_all_writes_the_pages_and_notebooks(tmp_path):
    written = generate.write_all(tmp_path / "gen")
    rel = {p.relative_to(tmp_path / "gen").as_posix() for p in written}
    assert {"data_dictionary.md", "methods.md", "cli.md", "tutorials.md", "notebooks/self_sufficiency.ipynb",
            "notebooks/teaching/03_design_a_deal.ipynb"} <= rel
    assert (tmp_path / "gen" / "notebooks" / "self_sufficiency.ipynb").read_bytes() == \
        (ROOT / "notebooks" / "self_sufficiency.ipynb").read_bytes()


def test_the_index_links_every_page_and_the_security_page_exists():
    index = (DOCS / "index.md").read_text()
    tocs = [part.split("```", 1)[0] for part in index.split("```{toctree}")[1:]]
    entries = [line.strip() for toc in tocs for line in toc.splitlines() if line.strip() and not line.startswith(":")]
    assert {"api", "data", "model", "reports", "security", "changelog"} <= set(entries)
    for entry in entries:
        generated = entry.startswith("_generated/")
        assert generated or (DOCS / f"{entry}.md").is_file(), entry
    assert "import rekit" in index and "rekit.simulate(" in index and "to_frame()" in index and "rekit.chart(" in index
    # the security page names every file of the hostile-input suite, and names no file that is not there
    security = (DOCS / "security.md").read_text()
    named = set(re.findall(r"tests/hostile/(test_\w+\.py)", security))
    present = {p.name for p in (DOCS.parent / "tests" / "hostile").glob("test_*.py")}
    assert named == present, (named ^ present)
