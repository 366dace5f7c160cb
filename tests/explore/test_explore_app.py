"""The explorer as a web app, without a browser: the app notebook shipped in the package shows no code
and reads its options; `rekit explore` refuses a port in use, a port out of range and a missing --serve
before anything starts (the real command, in a subprocess). The browser test of the running app is
tests/e2e/test_app_browser.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from rekit.explore.serve import APP_ENV, HOST, app_notebook, app_options, check_port, voila_command
from rekit.errors import RekitError

ROOT = Path(__file__).resolve().parents[2]
REKIT = Path(sys.executable).parent / "rekit"


def _rekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REKIT), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_app_notebook_is_shipped_small_and_runs_the_explorer():
    nb = nbformat.read(app_notebook(), as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and code[0].rstrip().endswith("explore(**options)")
    assert nb.metadata["kernelspec"]["name"] == "python3"  # jupyter_client runs it with the server's own Python
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "the app notebook is stored without outputs"
    assert app_notebook() == ROOT / "rekit" / "explore" / "app.ipynb"
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "app.ipynb" in package_data["rekit.explore"], "the wheel must carry the app notebook"


def test_voila_runs_on_this_machine_only_without_code_or_other_ports():
    cmd = voila_command(Path("app.ipynb"), 8866, "tok")
    assert cmd[:3] == [sys.executable, "-m", "voila"]
    for flag in ("--port=8866", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--strip_sources=True",
                 "--no-browser", "--Voila.token=tok", "--show_tracebacks=False"):
        assert flag in cmd, flag


def test_app_options_read_from_the_environment():
    env = {APP_ENV["deals"]: "toll_japan  repm_scheme", APP_ENV["demand"]: "imports", APP_ENV["basis"]: " ",
           "OTHER": "x"}
    # blank values are left out; the deals are split on spaces
    assert app_options(env) == {"deals": ["toll_japan", "repm_scheme"], "demand": "imports"}
    assert app_options({}) == {}


def test_a_port_in_use_is_refused_with_its_number():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(RekitError, match=f"port {port} on 127.0.0.1 is already in use"):
            check_port(port)
        proc = _rekit("explore", "--serve", "--port", str(port))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"rekit: error: --port: port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert "--port 0 for any free port" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""  # nothing started, nothing printed


@pytest.mark.parametrize("args, words", [
    (("explore",), "give --serve to run the explorer as a web app on 127.0.0.1"),
    (("explore", "--serve", "--port", "70000"), "--port: 70000 is not allowed; give a whole number from 1024 to 65535"),
    (("explore", "--serve", "--port", "-1"), "--port: -1 is not allowed"),
    (("explore", "--serve", "--deal", "tol_japan"), "unknown deal 'tol_japan' (did you mean toll_japan?)"),
    (("explore", "--serve", "--demand", "import"), "unknown demand basis 'import' (did you mean imports?)"),
    (("explore", "--serve", "--framing", "official"), "unknown framing 'official' (did you mean officials?)"),
])
def test_bad_input_is_refused_before_anything_starts(args, words):
    proc = _rekit(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_a_free_port_is_chosen_for_port_zero():
    port = check_port(0)
    assert 1024 <= port <= 65535
