"""A normal install works: a wheel built from this checkout carries the data, the notebooks and the
templates, and `rekit data check` and `rekit simulate` work from another folder without the checkout.

The wheel is installed with `pip install --no-deps --ignore-installed --prefix` into a temporary prefix
(`--ignore-installed`: pip must not uninstall the environment's own editable install of rekit first) and run with
that prefix's site-packages first on the path; the dependencies come from the environment running
the tests (so nothing is downloaded but the build backend, if pip needs it). Skipped, with the
reason, when the wheel cannot be built here (no build backend reachable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    skip = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".ipynb_checkpoints")

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
    prefix = base / "prefix"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--ignore-installed", "--no-compile", "--prefix", str(prefix), str(wheel), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr
    site = next(prefix.glob("lib/python*/site-packages"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REKIT_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return {"wheel": wheel, "prefix": prefix, "site": site, "env": env, "cwd": elsewhere}


def rekit(installed, *args, timeout=300):
    return subprocess.run([sys.executable, "-c", "import sys; from rekit.cli.app import main; sys.exit(main())", *args],
                          capture_output=True, text=True, env=installed["env"], cwd=installed["cwd"], timeout=timeout)


def test_the_wheel_carries_data_notebooks_and_templates(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for want in ("rekit/reports/templates/report_footer.html.j2", "rekit/reports/templates/index.html.j2",
                 ".data/data/share/rekit/data/observations.csv", ".data/data/share/rekit/data/datapackage.json",
                 ".data/data/share/rekit/data/deals.yml", ".data/data/share/rekit/notebooks/self_sufficiency.ipynb",
                 ".data/data/share/rekit/notebooks/batch.yml"):
        assert any(n.endswith(want) for n in names), want


def test_installed_rekit_finds_its_data_from_another_folder(installed):
    where = subprocess.run([sys.executable, "-c", "import rekit.paths as p; print(p.PACKAGE); print(p.BUNDLED_DATA); print(p.REPORTS)"],
                           capture_output=True, text=True, env=installed["env"], cwd=installed["cwd"], timeout=120)
    package, data, reports = where.stdout.split()
    assert package.startswith(str(installed["site"])) and data.startswith(str(installed["prefix"]))
    assert reports == str(installed["cwd"] / "reports")
    check = rekit(installed, "data", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    sim = rekit(installed, "simulate", "--deal", "toll_japan", "--draws", "50", "--metric", "self_sufficiency")
    assert sim.returncode == 0 and "toll_japan" in sim.stdout, sim.stdout + sim.stderr


def test_installing_the_wheel_elsewhere_leaves_this_environment_alone(installed):
    """The prefix install must not uninstall the environment's own rekit (pip does, without
    --ignore-installed): from another folder, with no PYTHONPATH, rekit still imports from here."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", "import rekit; print(rekit.__file__)"], capture_output=True, text=True,
                         env=env, cwd=installed["cwd"], timeout=120)
    assert out.returncode == 0, out.stderr
    assert not out.stdout.strip().startswith(str(installed["prefix"]))
