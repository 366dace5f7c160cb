"""The project's set-up stays consistent: one source of dependencies, the README's commands exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
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


BIN = Path(sys.executable).parent


def test_make_test_lints_and_type_checks_before_anything_slow():
    """`make test` runs lint and types right after the environment, so a finding stops it in seconds."""
    makefile = (ROOT / "Makefile").read_text()
    prereqs = re.search(r"^test: ([a-z ]+?)\s+##", makefile, re.M).group(1).split()
    assert prereqs[:3] == ["env", "lint", "types"] and "browser" in prereqs[3:]
    assert "ruff check" in makefile and "nbqa ruff notebooks" in makefile and "$(BIN)/mypy" in makefile


def test_the_lint_settings_catch_an_unused_import_and_a_zip_without_strict(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef pairs(a, b):\n    return list(zip(a, b))\n")
    out = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                          "--output-format", "concise", str(bad)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    assert re.findall(r":\d+:\d+: ([A-Z]+\d+) ", out.stdout) == ["F401", "B905"]


def test_the_type_settings_catch_an_optional_used_unchecked(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def first(xs: list[int] | None) -> int:\n    return xs[0]\n")
    # the project's settings and cache (make types has filled it); a file named on the line replaces `files`
    out = subprocess.run([str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), str(bad)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 1, out.stdout + out.stderr
    assert 'bad.py:2: error: Value of type "list[int] | None" is not indexable  [index]' in out.stdout


@pytest.mark.parametrize("stage", ["lint", "types"])
def test_ci_run_ends_by_naming_the_check_that_stopped_make_test(tmp_path, stage):
    """.ci/run's last line names the check that failed, in the words the Makefile's own target prints;
    here a stand-in `make test` prints them (the real one would run the whole suite)."""
    words = re.search(rf'echo "({stage}: [a-z]+ found the [a-z]+ above \(make {stage}\))"; exit 1',
                      (ROOT / "Makefile").read_text()).group(1)
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "Makefile").write_text(f"test:\n\t@echo 'x.py:1:1: F401 an unused import'\n\t@echo '{words}'; exit 1\n")
    out = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2  # make's status when a recipe fails
    assert out.stdout.splitlines()[-1] == f"{stage} failed: see its findings above (run make {stage}); the tests did not run"


def test_ci_run_ends_with_the_skip_count_when_the_tests_ran(tmp_path):
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "Makefile").write_text("test:\n\t@echo 'lint: ruff check rekit tests'\n\t@echo 'skipped: 0'\n")
    out = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "skipped: 0"


def test_rekit_kernel_runs_in_this_environment():
    out = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"], capture_output=True, text=True, check=True)
    import json

    spec = json.loads(out.stdout)["kernelspecs"]["rekit"]
    argv0 = json.loads((Path(spec["resource_dir"]) / "kernel.json").read_text())["argv"][0]
    assert Path(argv0).resolve().parent == Path(sys.executable).resolve().parent


def test_versions_agree_across_the_project():
    """One kit version in pyproject.toml, CITATION.cff, .zenodo.json, rekit.__version__ and `rekit --version`.

    The data package is versioned apart (data/datapackage.json's `version`, bumped with each data
    release, data/CHANGELOG.md): "agree" for it means `rekit --version` reports the descriptor's
    own version beside the kit's, not that the two numbers are equal."""
    kit = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    zenodo = json.loads((ROOT / ".zenodo.json").read_text())
    data = json.loads((ROOT / "data" / "datapackage.json").read_text())["version"]
    import rekit

    assert str(cff["version"]) == kit and zenodo["version"] == kit and rekit.__version__ == kit
    out = subprocess.run([sys.executable, "-m", "rekit.cli", "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout == f"rekit {kit} (data {data})\n", out.stdout + out.stderr


def test_archive_metadata_matches_the_citation_file():
    """.zenodo.json says what CITATION.cff says: title, abstract, authors, licence, keywords."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    zenodo = json.loads((ROOT / ".zenodo.json").read_text())
    assert zenodo["title"] == cff["title"] and zenodo["description"] == cff["abstract"]
    assert [c["name"] for c in zenodo["creators"]] == [a["name"] for a in cff["authors"]]
    assert zenodo["license"] == cff["license"] and zenodo["keywords"] == cff["keywords"]
    assert zenodo["upload_type"] == "software" == cff["type"]


def test_the_data_package_declares_v2_and_its_contributors():
    desc = json.loads((ROOT / "data" / "datapackage.json").read_text())
    assert desc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert desc["contributors"] and all(c["title"] and c["roles"] for c in desc["contributors"])


def test_the_kit_s_citation_names_the_lock_s_hash():
    """A report's "Cite this" block (cite_kit, text and BibTeX) names the hash of requirements.lock
    beside the versions, so the dependency set a number was computed with can be found again."""
    import hashlib

    from rekit.reports.citation import cite_kit

    digest = hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()[:16]
    for fmt in ("text", "bibtex"):
        text = cite_kit(fmt)
        assert f"dependencies sha256:{digest} (requirements.lock)" in text, text
        assert "0.1.0" in text  # the kit's version (pyproject.toml)


def test_the_readme_is_short_and_links_pages_that_exist():
    """The README stays a page a newcomer reads to the end (at most 250 lines); the manual is the docs site."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", readme):
        assert (ROOT / target).exists(), f"README links {target}, which does not exist"
    assert "make lock" in readme and "make docs" in readme and "## Security" in readme
