"""The incremental build rebuilds a report after a change to the data, the code or its parameters, and
only then: touching a file without changing it, or changing a file it does not depend on, rebuilds nothing.

Each step runs `python -m rekit.cli reports` for real (papermill, a kernel) on the fixture notebook
`sample`, with a private copy of the kit's code (on PYTHONPATH, so its own code can be edited) and
its data beside it (where a checkout keeps them, and where the report's kernel reads them), and reads what was
rebuilt from the page's modification time and the run's own message for a report left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "tests" / "fixtures" / "notebooks"
UNCHANGED = "unchanged since its last good build"


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("incremental")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "rekit", base / "code" / "rekit", ignore=ignore)
    shutil.copytree(ROOT / "data", base / "code" / "data", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", base / "code" / "pyproject.toml")  # what marks a checkout (rekit.paths)
    nbs = base / "notebooks"
    nbs.mkdir()
    shutil.copy(NOTEBOOKS / "sample.ipynb", nbs / "sample.ipynb")
    (nbs / "batch.yml").write_text("reports:\n  - notebook: sample\n    parameters: {n: 4}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REKIT_")}
    env.update(PYTHONPATH=str(base / "code"), REKIT_NOTEBOOKS=str(nbs))
    return {"base": base, "code": base / "code" / "rekit", "data": base / "code" / "data", "nbs": nbs, "env": env,
            "out": base / "out"}


def build(kit: dict) -> str:
    """One `rekit reports` run (progress on, so a report left alone is named); its standard error."""
    proc = subprocess.run([sys.executable, "-m", "rekit.cli", "reports", "-j", "1", "--out", str(kit["out"])],
                          env=kit["env"], cwd=kit["base"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stderr


def page(kit: dict, stem: str = "sample--n-4") -> int:
    return (kit["out"] / f"{stem}.html").stat().st_mtime_ns


def rebuilt(kit: dict, before: int, stem: str = "sample--n-4") -> bool:
    """Run a build; True when the page was written again, False when the run left it alone and said so."""
    err = build(kit)
    after = page(kit, stem)
    if after == before:
        assert f"{stem}.html: {UNCHANGED}" in err, err[-2000:]
        return False
    assert UNCHANGED not in err, err[-2000:]
    return True


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def test_rebuilds_after_a_data_code_or_parameter_change_and_only_then(kit):
    build(kit)
    first = page(kit)
    assert not rebuilt(kit, first)                               # nothing changed

    # touched, not changed: a newer time on a data file and a code file, the same bytes
    for p in (kit["data"] / "sources.csv", kit["code"] / "model" / "supply.py"):
        os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    # a file the report does not depend on: beside the notebooks, and a compiled-code cache
    (kit["nbs"] / "notes.txt").write_text("not a notebook")
    (kit["code"] / "__pycache__").mkdir(exist_ok=True)
    (kit["code"] / "__pycache__" / "stray.pyc").write_bytes(b"\0")
    assert not rebuilt(kit, first)

    append(kit["data"] / "CHANGELOG.md", "\nA note added by the incremental-build test.\n")   # a data change
    assert rebuilt(kit, first)
    second = page(kit)
    assert not rebuilt(kit, second)

    append(kit["code"] / "model" / "supply.py", "\n# a comment added by the incremental-build test\n")   # a code change
    assert rebuilt(kit, second)
    third = page(kit)
    assert not rebuilt(kit, third)

    templates = sorted(kit["code"].rglob("*.j2"))
    assert templates, "no jinja2 template under rekit/"
    append(templates[0], "\n")                                   # a template is code too
    assert rebuilt(kit, third)
    fourth = page(kit)
    assert not rebuilt(kit, fourth)

    # a parameter change: n = 4 -> 5 is another report, built; the n = 4 page is not rewritten
    (kit["nbs"] / "batch.yml").write_text("reports:\n  - notebook: sample\n    parameters: {n: 5}\n")
    build(kit)
    assert page(kit) == fourth and (kit["out"] / "sample--n-5.html").is_file()
    five = page(kit, "sample--n-5")
    assert not rebuilt(kit, five, "sample--n-5")
    # and back to n = 4: its fingerprint was kept, and nothing it depends on changed since
    (kit["nbs"] / "batch.yml").write_text("reports:\n  - notebook: sample\n    parameters: {n: 4}\n")
    assert not rebuilt(kit, fourth)
    # a notebook's default parameter value is part of the notebook: changed, every report of it is rebuilt
    nb = kit["nbs"] / "sample.ipynb"
    before, after = '"deals = [\\"status_quo\\", \\"toll_japan\\"]', '"deals = [\\"toll_japan\\", \\"status_quo\\"]'
    nb.write_text(nb.read_text().replace(before, after, 1))
    assert rebuilt(kit, fourth)
