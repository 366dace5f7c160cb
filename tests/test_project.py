"""The project's set-up stays consistent: one source of dependencies, the README's commands exist."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_installs_what_pyproject_declares():
    """environment.yml supplies only Python and pip, with the same Python floor, and installs the package with its extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = [d for d in deps if isinstance(d, dict)]
    floor = project["requires-python"].removeprefix(">=")
    assert sorted(conda) == sorted([f"python>={floor}", "pip"]), "conda packages drift from pyproject.toml: list them there"
    extras = ",".join(sorted(project["optional-dependencies"]))
    assert pip == [{"pip": ["-c requirements.lock", f"-e .[{extras}]"]}]


def test_make_env_installs_from_the_lock_and_the_lock_pins_every_dependency():
    """`make env` installs with the lock as constraints, is redone when the lock changes, and the
    lock pins one exact version of every dependency pyproject.toml declares (extras included)."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): pyproject.toml \$\(LOCK\)$", makefile, re.M)
    assert "pip install --quiet -c $(LOCK) -e '.[dev]'" in makefile
    assert re.search(r"^LOCK := requirements.lock$", makefile, re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), f"not an exact pin: {line}"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    assert "rekit" not in pins
    wanted = list(project["dependencies"]) + [d for ds in project["optional-dependencies"].values() for d in ds]
    for dep in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0]).lower()
        assert name in pins, f"{dep} (pyproject.toml) is not pinned in requirements.lock: run make lock"
        assert Requirement(dep).specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject.toml's {dep}: run make lock"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make test" in (ROOT / ".ci" / "run").read_text()


def test_makefile_targets_named_in_readme_exist():
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.M))
    for cmd in re.findall(r"`make ([a-z-]+)`", (ROOT / "README.md").read_text()):
        assert cmd in targets, f"README names `make {cmd}`, which the Makefile lacks"


def test_rekit_kernel_runs_in_this_environment():
    out = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"], capture_output=True, text=True, check=True)
    import json

    spec = json.loads(out.stdout)["kernelspecs"]["rekit"]
    argv0 = json.loads((Path(spec["resource_dir"]) / "kernel.json").read_text())["argv"][0]
    assert Path(argv0).resolve().parent == Path(sys.executable).resolve().parent
