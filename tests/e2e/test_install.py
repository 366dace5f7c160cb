"""Every way of installing finds the data: a wheel built from this checkout carries the data, the
notebooks and the templates inside the package (rekit/_bundle/, found through importlib.resources),
and `rekit data check` and a simulation work from another folder without the checkout, whether the
wheel is installed with `pip install --target` into an empty folder or that folder is zipped and
imported from the zip.

The wheel is installed with `pip install --no-deps --target` (nothing of this environment is
touched: its own editable install stays) and run with that folder alone on PYTHONPATH; the
dependencies come from the environment running the tests (so nothing is downloaded but the build
backend, if pip needs it). Skipped, with the reason, when the wheel cannot be built here (no build
backend reachable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from rekit.model.simulation import METRICS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    skip = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".ipynb_checkpoints", "_build")

    def ignore(folder, names):  # the built reports and build folders at the top only (rekit/reports is code)
        top = {"reports", "build", "dist"} if Path(folder) == ROOT else set()
        return set(skip(folder, names)) | (top & set(names))

    shutil.copytree(ROOT, src, ignore=ignore)
    wheels = base / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(wheels), "-q"],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0:
        pytest.skip(f"the wheel could not be built here: {build.stderr.strip().splitlines()[-1:]}")
    wheel = next(wheels.glob("rekit-*.whl"))
    target = base / "target"
    target.mkdir()  # an empty folder
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--target", str(target),
                           str(wheel), "-q"], capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("REKIT_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return {"wheel": wheel, "target": target, "env": env, "cwd": elsewhere, "base": base}


def run(installed, code: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env or installed["env"],
                          cwd=installed["cwd"], timeout=timeout)


def rekit(installed, *args, env: dict | None = None, timeout=300) -> subprocess.CompletedProcess:
    """The `rekit` command as the installed kit runs it."""
    return subprocess.run([sys.executable, "-c", "import sys; from rekit.cli import main; sys.exit(main())", *args],
                          capture_output=True, text=True, env=env or installed["env"], cwd=installed["cwd"], timeout=timeout)


def test_every_package_in_the_source_is_in_pyproject_s_list():
    """pyproject.toml lists the packages (the bundle's mapping needs a list): a new subpackage must join it."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "rekit").rglob("*")
             if p.is_dir() and p.name != "__pycache__" and any(f.is_file() for f in p.iterdir())} | {"rekit"}
    assert found <= listed, sorted(found - listed)


def test_the_wheel_carries_data_notebooks_and_templates_inside_the_package(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for want in ("rekit/reports/templates/report_footer.html.j2", "rekit/reports/templates/index.html.j2",
                 "rekit/teaching/templates/verdict.html.j2", "rekit/explore/templates/panel.html.j2",
                 "rekit/explore/app.ipynb",
                 "rekit/_bundle/data/observations.csv", "rekit/_bundle/data/datapackage.json",
                 "rekit/_bundle/data/deals.yml", "rekit/_bundle/notebooks/self_sufficiency.ipynb",
                 "rekit/_bundle/notebooks/batch.yml", "rekit/_bundle/notebooks/teaching/03_design_a_deal.ipynb"):
        assert want in names, want
    assert not [n for n in names if ".data/" in n], "nothing rides as data-files outside the package"
    for f in (ROOT / "data").iterdir():  # every file of the data package, byte for byte
        if f.suffix in (".csv", ".json", ".yml"):
            assert zipfile.ZipFile(installed["wheel"]).read(f"rekit/_bundle/data/{f.name}") == f.read_bytes(), f.name


def test_a_target_install_finds_its_data_from_another_folder(installed):
    where = run(installed, "import rekit.paths as p; print(p.PACKAGE); print(p.BUNDLED_DATA); print(p.REPORTS)")
    package, data, reports = where.stdout.split()
    target = str(installed["target"])
    assert package == f"{target}/rekit" and data == f"{target}/rekit/_bundle/data", where.stdout + where.stderr
    assert reports == str(installed["cwd"] / "reports")
    check = rekit(installed, "data", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    sim = rekit(installed, "simulate", "--deal", "toll_japan", "--draws", "50", "--metric", "self_sufficiency")
    assert sim.returncode == 0 and "toll_japan" in sim.stdout, sim.stdout + sim.stderr
    api = run(installed, "import rekit; r = rekit.simulate('toll_japan', years=(2030, 2031), draws=20); "
                         "print(rekit.__file__); print(r.to_frame().shape)")
    lines = api.stdout.splitlines()
    # 1 deal x 2 years x every metric of the registry (this checkout's: the wheel was built from it), 10 columns
    assert api.returncode == 0 and lines == [f"{target}/rekit/__init__.py", f"({2 * len(METRICS)}, 10)"], api.stdout + api.stderr


def test_a_zip_of_the_install_works_too(installed):
    """The installed folder zipped and put on sys.path: the data are read from the zip (copied out once)."""
    kit = installed["base"] / "kit.zip"
    with zipfile.ZipFile(kit, "w") as z:
        for f in installed["target"].rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and ".dist-info" not in str(f):
                z.write(f, f.relative_to(installed["target"]))
    env = dict(installed["env"], PYTHONPATH=str(kit))
    out = run(installed, "import rekit, rekit.paths as p; print(rekit.__file__); print((p.BUNDLED_DATA / 'deals.yml').is_file()); "
                         "print(rekit.simulate('toll_japan', years=(2030, 2030), draws=10).to_frame().shape)", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"{kit}/rekit/__init__.py", "True", f"({len(METRICS)}, 10)"]
    check = rekit(installed, "data", "check", env=env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_installing_the_wheel_elsewhere_leaves_this_environment_alone(installed):
    """The target install must not touch the environment's own rekit: from another folder, with no
    PYTHONPATH, rekit still imports from this checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", "import rekit; print(rekit.__file__)"], capture_output=True, text=True,
                         env=env, cwd=installed["cwd"], timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(ROOT / "rekit" / "__init__.py")
