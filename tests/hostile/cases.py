"""The hostile-input suite: what a stranger's data folder, deals file, batch file or argument can do.

Every case is one row: the input (a command line, with files a fixture writes into a temporary
folder), the exit status expected, and a fragment the message must hold. A row runs the command
line as a user's shell would, with no standard input, and checks too that no Python traceback and no
catch-all "a bug in rekit" (exit 70) reaches the user. Rows whose input a process must meet - a
FIFO or /dev/zero that could block a reader (under a timeout), /proc/self/environ, a run of
kernels - start a real ``python -m rekit.cli``; the others run the same command in the test's
process (conftest.rekit_in_process), which tests/cli/test_in_process.py holds to the real one.

The files of this folder are split by what the input attacks: ``test_html_payloads.py`` (script in a
report), ``test_paths.py`` (data paths that leave the package), ``test_csv.py`` (formula
injection), ``test_files.py`` (YAML and JSON: size, special files, numbers, duplicate keys),
``test_batch.py`` (batch files), ``test_rules.py`` (data rules), ``test_args.py`` (lenient
arguments) and ``test_processes.py`` (signals, children, full disks).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from conftest import rekit_in_process

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
BUG = "a bug in rekit"


def run_rekit(args: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None,
              timeout: float = 120, *, process: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rekit.cli ARGS`` in a fresh process (stdin closed), or, with ``process=False``,
    the same command in this process (conftest.rekit_in_process; no timeout there)."""
    if not process:
        return rekit_in_process(args, env=env, cwd=cwd)
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REKIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "rekit.cli", *map(str, args)], env=full_env, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def expect(proc: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    """The process exited with `code`, its output holds `fragment`, and nothing leaked a traceback."""
    out = proc.stdout + proc.stderr
    assert "Traceback (most recent call last)" not in out, out[-3000:]
    assert BUG not in out, out[-3000:]
    assert proc.returncode == code, f"exit {proc.returncode}, expected {code}:\n{out[-3000:]}"
    assert fragment in out, f"{fragment!r} not in:\n{out[-3000:]}"
