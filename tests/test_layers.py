"""The folders are the layers: data -> model -> figures -> explore / teaching / reports -> cli.

The rules are read from the source (every import statement, including those inside functions and
under ``TYPE_CHECKING``), so a lazy import cannot hide a wrong direction; a second check imports
each lower layer in a fresh interpreter and looks at what third-party packages it pulled in.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rekit"

# What each layer may not import from the kit. Top-level modules (rekit.paths, rekit.errors) are
# below every layer; the two back-compatibility modules (rekit.params, rekit.exercises) above all.
FORBIDDEN = {
    "data": ("model", "figures", "explore", "teaching", "reports", "cli", "params", "exercises"),
    "model": ("figures", "explore", "teaching", "reports", "cli", "params", "exercises"),
    "figures": ("explore", "teaching", "reports", "cli", "params", "exercises"),
    "explore": ("teaching", "reports", "cli", "params", "exercises"),
    "teaching": ("reports", "cli", "params", "exercises"),
    "reports": ("cli", "explore", "teaching", "params", "exercises"),
    "paths": ("data", "model", "figures", "explore", "teaching", "reports", "cli"),
    "errors": ("data", "model", "figures", "explore", "teaching", "reports", "cli"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import of the kit in `path`.

    ``from rekit.pkg import sub`` where ``sub`` is a submodule counts as importing ``rekit.pkg.sub``.
    """
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "rekit"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "rekit":
            names = [a.name for a in node.names]
            subs = [n for n in names if f"{node.module}.{n}" in MODULES]
            out += [(f"{node.module}.{n}", [], node.lineno) for n in subs]
            rest = [n for n in names if n not in subs]
            if rest or not subs:
                out.append((node.module, rest, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level:
            out.append(("<relative>", [], node.lineno))
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "rekit"


def test_no_relative_imports():
    """Imports name their module in full, so a move shows in every line that depends on it."""
    bad = [f"{m}:{line}" for m, p in MODULES.items() for target, _, line in imports(p) if target == "<relative>"]
    assert not bad, bad


@pytest.mark.parametrize("lower", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(lower):
    bad = []
    for m, p in MODULES.items():
        if layer(m) != lower:
            continue
        for target, _, line in imports(p):
            if layer(target) in FORBIDDEN[lower]:
                bad.append(f"{m}:{line} imports {target}")
    assert not bad, "\n".join(bad)


def test_no_private_name_crosses_a_module():
    bad = []
    for m, p in MODULES.items():
        for target, names, line in imports(p):
            if target != m:
                bad += [f"{m}:{line} imports {target}.{n}" for n in names if n.startswith("_")]
            if any(part.startswith("_") and part != "__main__" for part in target.split(".")):
                bad.append(f"{m}:{line} imports private module {target}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = {m: sorted({t for t, _, _ in imports(p) if t in MODULES and t != m}) for m, p in MODULES.items()}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_every_module_says_what_it_holds():
    missing = [m for m, p in MODULES.items() if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, missing


def test_the_rules_catch_a_wrong_import(tmp_path, monkeypatch):
    """The checks above can fail: a data module importing the model is caught."""
    fake = tmp_path / "rekit" / "data"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text('"""bad"""\nfrom rekit.model.simulation import simulate, _private\n')
    found = imports(fake / "bad.py")
    assert ("rekit.model.simulation", ["simulate", "_private"], 2) in found
    assert layer("rekit.model.simulation") in FORBIDDEN["data"]


def modules_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module, forbidden", [
    ("rekit.data", {"plotly", "papermill", "frictionless", "nbformat", "rekit.model"}),
    ("rekit.model", {"plotly", "papermill", "nbconvert", "nbformat", "rekit.figures"}),
    ("rekit.figures.charts", {"papermill", "nbconvert", "rekit.reports"}),
])
def test_lower_layers_do_not_load_upper_packages(module, forbidden):
    loaded = modules_after_import(module)
    assert not (forbidden & loaded), f"{module} pulls in {sorted(forbidden & loaded)}"
