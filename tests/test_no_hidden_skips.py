"""Under CI=true a test that would skip fails, naming what is missing; outside CI it skips with its reason.

Two real pytest processes run over a small test folder that loads tests/conftest.py as a plugin,
one outside CI and one under CI=true; which values of CI mean "in CI" is read in this process
(conftest.in_ci, the one place the hooks ask), so each spelling costs no pytest process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SAMPLE = '''
import pytest

def test_runs():
    assert 1 + 1 == 2

def test_needs_a_browser():
    pytest.skip("no Chromium at /nowhere/chromium (run `make browser`)")

@pytest.mark.skipif(True, reason="needs root to mount a tmpfs")
def test_needs_root():
    pass

@pytest.mark.xfail(reason="a known bug, not a skip")
def test_known_bug():
    assert False
'''


def run(folder: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(TESTS)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rs", "-q",
         "-c", str(folder / "pytest.ini"), "--rootdir", str(folder), str(folder)],
        capture_output=True, text=True, env=env, cwd=folder, timeout=120)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    return tmp_path


@pytest.mark.parametrize("ci, on", [(None, False), ("", False), ("false", False), ("0", False), ("no", False),
                                     ("true", True), ("1", True), ("TRUE", True), (" yes ", True), ("on", True)])
def test_the_values_of_ci_that_mean_a_ci_run(monkeypatch, ci, on):
    from conftest import in_ci

    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    assert in_ci() is on


@pytest.mark.parametrize("ci", [None])
def test_outside_ci_skips_stay_with_their_reasons(sample, ci):
    proc = run(sample, ci)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "1 passed, 2 skipped, 1 xfailed" in out, out
    assert "no Chromium at /nowhere/chromium" in out and "needs root to mount a tmpfs" in out
    assert "skipped: 2\n" in out


@pytest.mark.parametrize("ci", ["TRUE"])  # a spelling other than "true": the note quotes it as given
def test_under_ci_a_skip_fails_and_names_what_is_missing(sample, ci):
    proc = run(sample, ci)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    # the call-time skip fails; the skipif (decided at set-up) is an error; the xfail stays an xfail
    assert "1 failed, 1 passed, 1 xfailed, 1 error" in out, out
    assert "test_sample.py::test_needs_a_browser would skip, and under CI=" in out
    assert "no test may skip: no Chromium at /nowhere/chromium (run `make browser`)" in out
    assert "no test may skip: needs root to mount a tmpfs" in out
    assert f"skipped: 0 (2 would have skipped and failed instead, CI={ci})" in out
