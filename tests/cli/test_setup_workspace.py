"""`make workspace` (run by `make lab`): the user's notebooks live in a git-ignored folder, apart from notebooks/.

Runs the real make target into a temporary folder; nothing is written in the checkout.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make_workspace(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "workspace", f"WORKSPACE={where}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)


def test_workspace_copies_the_kit_notebooks_once_and_keeps_edits(tmp_path):
    ws = tmp_path / "ws"
    first = _make_workspace(ws)
    assert first.returncode == 0, first.stderr
    kit = sorted(p.relative_to(ROOT / "notebooks") for p in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("notebooks/teaching/*.ipynb")])
    copied = sorted(p.relative_to(ws / "kit") for p in (ws / "kit").rglob("*.ipynb"))
    assert copied == kit
    assert (ws / "kit" / "explorer.ipynb").read_bytes() == (ROOT / "notebooks" / "explorer.ipynb").read_bytes()
    (ws / "kit" / "nd_flows.ipynb").write_text("my edits", encoding="utf-8")
    again = _make_workspace(ws)
    assert again.returncode == 0, again.stderr
    assert (ws / "kit" / "nd_flows.ipynb").read_text(encoding="utf-8") == "my edits"  # a second run keeps the user's copy


def test_workspace_and_handouts_are_ignored_by_git_and_outside_the_test_paths():
    for path in ("workspace/mine.ipynb", "workspace/kit/explorer.ipynb", "handout/student/01.ipynb"):
        r = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert r.returncode == 0, f"{path} is not ignored by git"
    tested = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["testpaths"]
    assert "workspace" not in tested and all(not t.startswith("workspace") for t in tested)  # nbval never collects it
    lab = next(line for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines() if line.startswith("\t$(BIN)/jupyter lab"))
    assert "--notebook-dir=$(WORKSPACE)" in lab
