"""The command line run in the test's process (conftest.rekit_in_process) answers as a real
``python -m rekit.cli`` process does: the same exit status, standard output and standard error, byte
for byte, for a sample of the kinds of row the bad-input and hostile suites run that way. And it puts
back what it changed: the environment, the folder, the standard streams.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, rekit_in_process, set_cell

MISSING = "/nonexistent/rekit-data"

ROWS = [  # (id, command line with {D} for a copy of the data whose first observation lacks its unit, extra environment)
    ("a bad number", ["simulate", "--draws", "0"], {}),
    ("an unknown option", ["simulate", "--nosuch"], {}),
    ("an unknown command", ["nosuch"], {}),
    ("a missing folder from the environment", ["data", "check"], {"REKIT_DATA": MISSING}),
    ("a broken cell, quick", ["data", "check", "--quick", "{D}"], {}),
    ("a broken cell, full", ["data", "check", "{D}"], {}),
    ("a result as CSV", ["simulate", "--deal", "toll_japan", "--draws", "10", "--years", "2024-2025", "--format", "csv"], {}),
    ("a table", ["data", "show", "mine_production", "--data", "data"], {}),
    ("a lenient argument", ["simulate", "--deal", "toll_japan", "--draws", "5", "--years", "2024 to 2030"], {}),
]


@pytest.mark.parametrize("args, env", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_in_process_answers_as_a_process(data_copy, args, env):
    set_cell(data_copy, "observations.csv", 0, "unit", "")
    args = [a.replace("{D}", str(data_copy)) for a in args]
    real = subprocess.run([sys.executable, "-m", "rekit.cli", *args], env={**os.environ, **env}, cwd=ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    here = rekit_in_process(args, env=env, cwd=ROOT)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)
    assert real.stdout + real.stderr  # the command said something: the comparison is not of two empty runs


def test_what_it_changes_is_put_back(tmp_path):
    env, cwd, streams = dict(os.environ), os.getcwd(), (sys.stdin, sys.stdout, sys.stderr)
    proc = rekit_in_process(["data", "check", "--quick", "data"], env={"REKIT_TEST_MARK": "1"}, cwd=ROOT)
    assert proc.returncode == 0 and "quick check passed" in proc.stdout
    assert dict(os.environ) == env and os.getcwd() == cwd and (sys.stdin, sys.stdout, sys.stderr) == streams
    # and a relative path is read from the folder given, not from this one
    os.chdir(tmp_path)
    try:
        assert rekit_in_process(["data", "check", "--quick", "data"], cwd=ROOT).returncode == 0
        assert rekit_in_process(["data", "check", "--quick", "data"]).returncode == 2  # no ./data here
    finally:
        os.chdir(cwd)
    assert Path.cwd() == Path(cwd)
