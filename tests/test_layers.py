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
# `run` (the executor) sits beside explore, teaching and reports: teaching and reports submit jobs
# to it, and it runs the model's functions, so it uses data and model only.
FORBIDDEN = {
    "data": ("model", "parameters", "figures", "explore", "teaching", "reports", "run", "cli", "params", "exercises"),
    "model": ("parameters", "figures", "explore", "teaching", "reports", "run", "cli", "params", "exercises"),
    # notebook parameters: checked against the data and the model, used by reports and the command line
    "parameters": ("figures", "explore", "teaching", "reports", "run", "cli", "params", "exercises"),
    "figures": ("explore", "teaching", "reports", "run", "cli", "params", "exercises"),
    "explore": ("teaching", "reports", "run", "cli", "params", "exercises"),
    "teaching": ("reports", "cli", "params", "exercises"),
    "reports": ("cli", "explore", "teaching", "params", "exercises"),
    "run": ("figures", "explore", "teaching", "reports", "cli", "params", "exercises"),
    "paths": ("data", "model", "figures", "explore", "teaching", "reports", "run", "cli"),
    "errors": ("data", "model", "figures", "explore", "teaching", "reports", "run", "cli"),
    "atomic": ("data", "model", "figures", "explore", "teaching", "reports", "run", "cli"),
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


# ---------------------------------------------------------------------------------------------
# no private name of another library
# ---------------------------------------------------------------------------------------------

#: Names that start with an underscore but are documented public API of their library.
PUBLIC_UNDERSCORED = {"os._exit"}


def _private(name: str) -> bool:
    """A private name: one leading underscore, not a dunder (``__file__``, ``__version__``)."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def foreign_private_uses(source: str) -> list[str]:
    """Every use of another library's private name in `source`: a private module or name imported
    from a package that is not rekit (``from plotly.io._base_renderers import X``, ``from typer
    import _x``), and an attribute ``X._name`` (or ``X.a._name``) whose root ``X`` is bound by an
    import of a package that is not rekit, read or set."""
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> the foreign module or name it stands for
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "rekit":
                    continue
                if any(_private(part) for part in a.name.split(".")):
                    bad.append(f"{node.lineno}: import {a.name}")
                bound[a.asname or a.name.split(".")[0]] = a.asname and a.name or a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] not in ("rekit", "__future__"):
            if any(_private(part) for part in node.module.split(".")):
                bad.append(f"{node.lineno}: from {node.module} import ...")
            for a in node.names:
                if _private(a.name):
                    bad.append(f"{node.lineno}: from {node.module} import {a.name}")
                bound[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain, root = [node.attr], node.value
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if not isinstance(root, ast.Name) or root.id not in bound:
            continue
        dotted = ".".join([bound[root.id]] + chain[::-1])
        if _private(node.attr) and dotted not in PUBLIC_UNDERSCORED:
            bad.append(f"{node.lineno}: {root.id}.{'.'.join(chain[::-1])} ({dotted})")
    return sorted(set(bad))


def test_no_private_name_of_another_library():
    """Another library's private names change without notice: the kit uses only public ones
    (imports and attribute access on an imported module or name)."""
    bad = [f"{m}:{use}" for m, p in MODULES.items() for use in foreign_private_uses(p.read_text())]
    assert not bad, "\n".join(bad)


def test_the_private_name_check_catches_each_form():
    """The check above can fail: each form the kit once used is caught; dunders, the kit's own
    private names, os._exit and private names of local objects are not."""
    src = (
        "import os, typer\n"
        "import plotly.io as pio\n"
        "from typer import _click\n"                                  # 3: a private name imported
        "from plotly.io._base_renderers import MimetypeRenderer\n"    # 4: a private module
        "from nbclient import NotebookClient\n"
        "from rekit.data.dataset import _cached\n"                    # the kit's own: another test
        "import typer._click.exceptions\n"                            # 7: a private module
        "typer._click\n"                                              # 8: read
        "pio._renderers.x = 1\n"                                      # 9: a private module, set
        "NotebookClient._cleanup_kernel\n"                            # 10: a private method
        "NotebookClient.execute, typer.__version__, os._exit\n"       # public, dunder, documented
        "self = object(); self._x\n"                                  # a local object: not foreign
    )
    lines = {int(use.split(":")[0]) for use in foreign_private_uses(src)}
    assert lines == {3, 4, 7, 8, 9, 10}
