"""Mutation testing of the kit's core: each module against its own test files, with the kill rate per module.

mutmut (https://mutmut.readthedocs.io, version 3) makes small deliberate bugs in a module (an operator
flipped, a constant changed, a string altered, an argument dropped) and runs the module's own tests
against each one; a mutant the tests do not notice "survives". The kill rate is

    killed / (killed + survived + not covered)

where "killed" counts mutants a test failed on or that ran out of time, and "not covered" counts
mutants in functions no selected test calls (they survive by default).

This is not part of `make test`: it takes minutes a module. mutmut is the `mutation` extra of
pyproject.toml; install it once into the project's environment:

    .venv/bin/python -m pip install -e '.[mutation]'

then run, from the repository root:

    .venv/bin/python tools/mutation.py --list                      # the modules and their test files
    .venv/bin/python tools/mutation.py rekit/data/periods.py       # one module (or several)
    .venv/bin/python tools/mutation.py --all                       # every module below
    .venv/bin/python tools/mutation.py rekit/model/quantities.py --show   # and the diff of every survivor
    .venv/bin/python tools/mutation.py rekit/model/conversions.py --tests tests/model/test_conversions.py
    .venv/bin/python tools/mutation.py rekit/model/simulation.py --only 'simulate*' 'step_*'  # some functions

Mutants run one at a time unless `--jobs N` says otherwise (each runs a pytest process: on a
shared machine one is the polite number).

Each module runs in its own scratch copy of rekit/, tests/, data/, notebooks/ and docs/ (under --workdir, default
/tmp/rekit-mutation): the working tree is never modified, so it is safe to run while editing.
`--commit HEAD` copies them from a commit instead of the working tree, so that a rate quoted names
exactly what it was measured on (others' unsaved edits are left out).
The scratch copy uses its own pytest settings (no nbval, no cache) and a small plugin that clears
rekit's functools caches before each test (mutmut forks its workers from a process that has already
run the tests once, and a cached result would hide a mutant).

Limits of mutmut 3 worth knowing when reading a rate: it mutates the bodies of functions and
methods only (not module-level constants, nor a value computed once at import from a mutated
function), and it leaves a function with any decorator other than `@staticmethod` or
`@classmethod` alone (the body of a `@property` or an `@lru_cache` function is not mutated).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Module -> its own test files (those that exist are used). The core: the model, two data
#: modules, the escaping and fingerprint code of the reports, the teaching verdicts.
MODULES: dict[str, list[str]] = {
    "rekit/model/quantities.py": ["tests/model/test_quantities.py"],
    "rekit/model/conversions.py": ["tests/model/test_conversions.py", "tests/model/test_model.py"],
    "rekit/model/metrics.py": ["tests/model/test_metrics.py", "tests/model/test_metric_values.py",
                               "tests/model/test_metrics_inputs.py"],
    "rekit/model/flows.py": ["tests/model/test_flows_values.py"],
    "rekit/model/origin.py": ["tests/model/test_origin.py", "tests/model/test_origin_values.py", "tests/model/test_origin_rows.py"],
    "rekit/model/supply.py": ["tests/model/test_supply_values.py", "tests/model/test_metrics.py"],
    "rekit/model/docs.py": ["tests/model/test_docs.py", "tests/model/test_docs_values.py"],
    "rekit/model/stocks_in_use.py": ["tests/model/test_stocks_in_use.py", "tests/model/test_stocks_in_use_values.py"],
    "rekit/model/recycling.py": ["tests/model/test_recycling.py", "tests/model/test_recycling_values.py"],
    # goal and scenarios: their fast value tests (small direct calls, central values or a few draws); test_goal.py and
    # test_scenarios.py run the model at hundreds of draws and the command line, about 17 s a mutant
    "rekit/model/goal.py": ["tests/model/test_goal_values.py"],
    "rekit/model/scenarios.py": ["tests/model/test_scenarios_values.py"],
    "rekit/model/grades.py": ["tests/model/test_grades.py"],
    "rekit/model/custom.py": ["tests/model/test_custom_values.py"],
    "rekit/model/demand.py": ["tests/model/test_demand.py", "tests/model/test_demand_values.py",
                              "tests/model/test_demand_bottom_up_values.py"],
    "rekit/model/sensitivity.py": ["tests/model/test_sensitivity.py", "tests/model/test_sensitivity_values.py"],
    "rekit/model/deals.py": ["tests/model/test_deal_rules_values.py", "tests/model/test_deal_settings_values.py",
                             "tests/model/test_model.py", "tests/reports/test_deals_file.py"],
    "rekit/model/simulation.py": ["tests/model/test_simulation_values.py", "tests/model/test_metric_values.py",
                                  "tests/model/test_model.py"],
    "rekit/data/periods.py": ["tests/data/test_periods.py", "tests/data/test_period_values.py"],
    # rules, freeze and citation: their fast value tests (the end-to-end ones load the whole data or
    # build real reports for every mutant: an hour and more a run)
    "rekit/data/rules.py": ["tests/data/test_rules_mutants.py"],
    "rekit/reports/freeze.py": ["tests/reports/test_fingerprint_values.py"],
    # html: its escaping code, with --only (see CONTRIBUTING.md); the whole module builds reports
    "rekit/reports/html.py": ["tests/reports/test_escaping_values.py", "tests/reports/test_html.py",
                              "tests/reports/test_output_safety.py"],
    "rekit/reports/citation.py": ["tests/reports/test_citation_values.py"],
    "rekit/csvcells.py": ["tests/reports/test_escaping_values.py"],
    "rekit/teaching/verdicts.py": ["tests/teaching/test_verdicts.py", "tests/teaching/test_verdict_messages.py",
                                   "tests/teaching/test_verdict_survivors.py"],
}

#: mutmut's statuses that count as caught, and those that count as missed.
CAUGHT = {"killed", "timeout"}
MISSED = {"survived", "no tests"}

PLUGIN = '''"""Loaded by tools/mutation.py: clear rekit's functools caches before every test."""
import sys

import pytest


@pytest.fixture(autouse=True)
def _clear_rekit_caches():
    for name, module in list(sys.modules.items()):
        if name == "rekit" or name.startswith("rekit.") or ".rekit." in name:
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()
    yield
'''

PYPROJECT = '''[tool.pytest.ini_options]
pythonpath = ["tests"]
addopts = "-p no:cacheprovider -p mutation_caches"

[tool.mutmut]
source_paths = ["rekit"]
only_mutate = ["{module}"]
also_copy = ["data", "notebooks", "docs"]
pytest_add_cli_args_test_selection = [{tests}]
'''


def slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


#: docs/: tests/model/test_docs.py compares docs/model.md's parameter tables with the data.
FOLDERS = ("rekit", "tests", "data", "notebooks", "docs")


def prepare(module: str, tests: list[str], workdir: Path, commit: str | None = None) -> Path:
    """A fresh scratch copy for one module: rekit/, tests/, data/, notebooks/, docs/ (of the working tree, or of
    `commit`) and the settings above."""
    where = workdir / slug(module)
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    if commit:
        archive = subprocess.run(["git", "archive", "--format=tar", commit, *FOLDERS], cwd=ROOT, capture_output=True)
        if archive.returncode != 0:
            raise SystemExit(f"--commit {commit!r}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    else:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".hypothesis")
        for folder in FOLDERS:
            shutil.copytree(ROOT / folder, where / folder, ignore=ignore)
    return where


def prepare_settings(where: Path, module: str, tests: list[str]) -> None:
    """The cache-clearing plugin and the pytest and mutmut settings of a scratch copy."""
    (where / "tests" / "mutation_caches.py").write_text(PLUGIN, encoding="utf-8")
    (where / "pyproject.toml").write_text(
        PYPROJECT.format(module=module, tests=", ".join(f'"{t}"' for t in tests)), encoding="utf-8")


def mutmut(where: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mutmut")
    if not exe.exists():
        raise SystemExit(f"mutmut is not installed in {Path(sys.executable).parent.parent}: "
                         f"run {sys.executable} -m pip install -e '.[mutation]'")
    return subprocess.run([str(exe), *args], cwd=where, capture_output=True, text=True, check=check)


def statuses(where: Path) -> dict[str, str]:
    """mutant name -> status, from `mutmut results --all true` ("    name: status" a line)."""
    out = mutmut(where, "results", "--all", "true").stdout
    return {m[1]: m[2] for m in re.finditer(r"^\s*(\S+): (.+?)\s*$", out, re.M)}


def patterns(module: str, functions: list[str]) -> list[str]:
    """mutmut's mutant-name globs for function-name globs: `simulate*` -> the module's functions and
    methods whose name matches (mutmut names them `pkg.mod.x_name__mutmut_N` and
    `pkg.mod.xǁClassǁname__mutmut_N`)."""
    return [p for f in functions for p in (f"{slug(module)}.x_{f}__mutmut_*", f"{slug(module)}.xǁ*ǁ{f}__mutmut_*")]


def run_one(module: str, workdir: Path, children: int, show: bool, only_tests: list[str] | None = None,
            functions: list[str] | None = None, commit: str | None = None) -> tuple[int, int, dict[str, str]]:
    where = prepare(module, [], workdir, commit)
    tests = [t for t in (only_tests or MODULES[module]) if (where / t).is_file()]
    if not tests:
        raise SystemExit(f"{module}: none of its test files exist ({', '.join(only_tests or MODULES[module])})")
    prepare_settings(where, module, tests)
    only = f", functions {' '.join(functions)}" if functions else ""
    at = f" at {commit}" if commit else " (working tree)"
    print(f"{module}{only}{at}: mutating, against {' '.join(tests)} (in {where})", flush=True)
    run = mutmut(where, "run", "--max-children", str(children), *patterns(module, functions or []), check=False)
    if run.returncode != 0:
        tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
        raise SystemExit(f"{module}: mutmut failed (exit {run.returncode}):\n{tail}")
    found = statuses(where)
    caught = sum(s in CAUGHT for s in found.values())
    counted = sum(s in CAUGHT | MISSED for s in found.values())
    left = {k: v for k, v in sorted(found.items()) if v not in CAUGHT and v != "not checked"}
    for name, status in left.items():
        print(f"  {status:10} {name}")
        if show:
            diff = mutmut(where, "show", name, check=False).stdout
            print("\n".join("      " + line for line in diff.strip().splitlines()[2:]))
    return caught, counted, left


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help="module paths (rekit/...); see --list")
    ap.add_argument("--all", action="store_true", help="every module of the list")
    ap.add_argument("--list", action="store_true", help="print the modules and their test files")
    ap.add_argument("--show", action="store_true", help="print the diff of every mutant not killed")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rekit-mutation"), help="scratch folder (default %(default)s)")
    ap.add_argument("--tests", nargs="+", metavar="FILE", help="run against these test files instead of the module's own")
    ap.add_argument("--jobs", "--max-children", type=int, default=1, dest="jobs",
                    help="mutants run side by side, each a pytest process (default %(default)s)")
    ap.add_argument("--commit", metavar="REV", help="mutate and test the files of this commit (git archive), "
                    "not the working tree: a rate then names what it was measured on")
    ap.add_argument("--only", nargs="+", metavar="GLOB",
                    help="mutate only the functions and methods whose name matches (fnmatch globs: 'simulate*')")
    args = ap.parse_args(argv)
    if args.list:
        for m, t in MODULES.items():
            print(f"{m}: {' '.join(t)}")
        return 0
    chosen = list(MODULES) if args.all else args.modules
    if not chosen:
        ap.error("name one or more modules, or --all (see --list)")
    if args.jobs < 1:
        ap.error(f"--jobs must be 1 or more, not {args.jobs}")
    if args.only and len(chosen) != 1:
        ap.error(f"--only names functions of one module; {len(chosen)} modules given")
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        ap.error(f"not in the list: {', '.join(unknown)}; allowed: {', '.join(MODULES)}")
    rows = []
    for module in chosen:
        caught, counted, _ = run_one(module, args.workdir, args.jobs, args.show, args.tests, args.only, args.commit)
        rows.append((module, caught, counted))
    print("\nkill rate per module (killed / mutants, killed including timeouts):")
    for module, caught, counted in rows:
        rate = caught / counted if counted else float("nan")
        print(f"  {module:32} {caught:4d} / {counted:4d}  {rate:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
