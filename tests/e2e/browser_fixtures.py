"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright, a private JupyterLab,
and reports built with the `rekit` command.

Loaded once as a pytest plugin (``-p browser_fixtures`` in pyproject.toml), so every test folder shares
one session's Chromium; a test module imports only its helpers (never a fixture: a fixture imported
into a module would be a second session-scoped copy, and a second Playwright started in the same
thread fails). Everything binds to 127.0.0.1; every wait has a timeout; when Chromium or Playwright
is missing the tests are skipped with the reason (under CI=true they fail instead, tests/conftest.py),
never left hanging.

Environment:
  REKIT_CHROMIUM      path of the browser (default /usr/bin/chromium)
  REKIT_SCREENSHOTS=1 also copy the screenshots to docs/images/ (for the README)
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
IMAGES = ROOT / "docs" / "images"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("REKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

__all__ = ["browser", "chromium_path", "find_chromium", "jupyter_lab", "built_reports", "screenshot_dir", "save_screenshot",
           "LabServer", "free_port", "offline_context", "ROOT", "NOTEBOOKS", "BIN", "LOCAL_SCHEMES"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_chromium() -> str:
    """The browser to drive, or pytest.skip with the reason (no browser, or no playwright package)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (run `make browser`, or set REKIT_CHROMIUM): browser tests skipped")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (it is in the dev extras): browser tests skipped")
    return CHROMIUM


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return find_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path, tmp_path_factory):
    """One headless Chromium for the session (Playwright's launch gives it a fresh profile)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS, timeout=60_000)
    except PlaywrightError as exc:  # a browser that cannot start is an environment problem (a failure under CI)
        pw.stop()
        pytest.skip(f"Chromium at {chromium_path} did not start: {exc}")
    yield b
    b.close()
    pw.stop()


def offline_context(browser, allowed_hosts: tuple[str, ...] = (), height: int = 1100):
    """A browser context that records every request and aborts any that would leave the machine.

    Returns (context, requests, blocked): every URL asked for, and those refused (neither a local
    scheme nor one of `allowed_hosts`, e.g. "127.0.0.1:8888").
    """
    ctx = browser.new_context(viewport={"width": 1440, "height": height}, device_scale_factor=1)
    requests: list[str] = []
    blocked: list[str] = []

    def local(url: str) -> bool:
        if url.startswith(LOCAL_SCHEMES):
            return True
        for host in allowed_hosts:
            if url.startswith((f"http://{host}/", f"ws://{host}/")) or url in (f"http://{host}", f"ws://{host}"):
                return True
        return False

    def on_route(route):
        url = route.request.url
        if local(url):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    ctx.on("request", lambda r: requests.append(r.url))
    ctx.route("**/*", on_route)
    return ctx, requests, blocked


# ---------------------------------------------------------------------------------------------
# JupyterLab
# ---------------------------------------------------------------------------------------------


class LabServer:
    """A JupyterLab server on 127.0.0.1 with a random token, private config/settings folders and no
    news or update checks, serving `root`."""

    def __init__(self, root: Path, home: Path):
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.home = home
        self.log_path = home / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _config(self) -> dict[str, str]:
        cfg = self.home / "config"
        (cfg / "labconfig").mkdir(parents=True, exist_ok=True)
        # no news/announcement toasts, no extension manager (it would query PyPI)
        (cfg / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
            "@jupyterlab/apputils-extension:announcements": True,
            "@jupyterlab/extensionmanager-extension": True,
        }}))
        settings = self.home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(json.dumps(
            {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}))
        env = dict(os.environ)
        env.update({
            "JUPYTER_CONFIG_DIR": str(cfg),
            "JUPYTERLAB_SETTINGS_DIR": str(self.home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),  # the notebook-signing key goes here, not into ~
            "IPYTHONDIR": str(self.home / "ipython"),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start(self, timeout: float = 90) -> LabServer:
        cmd = [str(BIN / "jupyter"), "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--ServerApp.token={self.token}", "--ServerApp.password=",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_root=True",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self._config(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer /api/status within {timeout:.0f} s:\n{self.log()}")

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def stop(self, timeout: float = 15) -> None:
        """Shut down: the server's own shutdown API first (it stops its kernels), then SIGTERM/SIGKILL of its group."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.api("/api/shutdown", method="POST")
            self.proc.wait(timeout=timeout)
        except (OSError, ValueError, subprocess.TimeoutExpired):  # no answer, a bad one, or too slow: signals next
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def jupyter_lab(chromium_path, tmp_path_factory):
    """A running JupyterLab whose root folder holds a copy of notebooks/explorer.ipynb."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("rekit")
    except NoSuchKernel:
        pytest.fail("no Jupyter kernel named 'rekit' (explorer.ipynb uses it): run `make env`")
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copy(NOTEBOOKS / "explorer.ipynb", root / "explorer.ipynb")
    server = LabServer(root, tmp_path_factory.mktemp("lab-home"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------

#: A small notebook in the project's convention (title, parameters, check, a chart), written into a
#: temporary folder so the report tests depend on no story notebook.
CHART_NOTEBOOK = {
    "title": "# India's neodymium self-sufficiency under partner deals",
    "parameters": 'deals = ["status_quo", "toll_japan"]  # deals to compare; names from data/deals.yml\n'
                  "draws = 200  # Monte Carlo draws; 1..100000",
    "check": 'from rekit.parameters.registry import check\n\np = check({"deals": deals, "draws": draws})',
    "chart": "import rekit.data, rekit.model\nfrom rekit.figures import charts\n\n"
             "ds = rekit.data.load()\nbook = rekit.model.load_deals(ds=ds)\n"
             'result = rekit.model.simulate(book, p["deals"], years=(2024, 2035), draws=p["draws"])\n'
             "charts.self_sufficiency_chart(result, ds, book)",
}


def write_chart_notebook(folder: Path, name: str = "deal_chart") -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(CHART_NOTEBOOK["title"]),
                nbformat.v4.new_code_cell(CHART_NOTEBOOK["parameters"], metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(CHART_NOTEBOOK["check"]),
                nbformat.v4.new_code_cell(CHART_NOTEBOOK["chart"])]
    nb.metadata["kernelspec"] = {"name": "rekit", "display_name": "Python (rekit)", "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def rekit_command() -> list[str]:
    """The `rekit` executable of this environment (``make env`` installs it)."""
    rekit = BIN / "rekit"
    if not rekit.exists():
        pytest.fail(f"no rekit executable at {rekit}: run `make env`")
    return [str(rekit)]


@pytest.fixture(scope="module")
def built_reports(tmp_path_factory):
    """{"page": one report from `rekit run`, "index": index.html of a two-report batch from `rekit reports`,
    "how": the command used}."""
    base = tmp_path_factory.mktemp("reports")
    nbs = base / "notebooks"
    nbs.mkdir()
    nb = write_chart_notebook(nbs)
    cmd = rekit_command()
    one = base / "one"
    run = subprocess.run([*cmd, "run", str(nb), "--out", str(one)], capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert run.returncode == 0, f"{' '.join(cmd)} run failed:\n{run.stdout}\n{run.stderr}"
    (nbs / "batch.yml").write_text(
        "all_notebooks: true\n"
        "reports:\n"
        "  - notebook: deal_chart\n"
        "    parameters: {deals: [repm_scheme, partner_plant_india], draws: 100}\n"
        "    title: Self-sufficiency, domestic magnet making\n", encoding="utf-8")
    batch = base / "batch"
    run2 = subprocess.run([*cmd, "reports", "--batch", str(nbs / "batch.yml"), "--out", str(batch), "--quiet", "-j", "2"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run2.returncode == 0, f"{' '.join(cmd)} reports failed:\n{run2.stdout}\n{run2.stderr}"
    return {"page": one / "deal_chart.html", "index": batch / "index.html", "how": " ".join(Path(c).name for c in cmd)}


# ---------------------------------------------------------------------------------------------
# Screenshots
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def save_screenshot(locator_or_page, name: str, folder: Path) -> Path:
    """Write NAME.png into `folder`; with REKIT_SCREENSHOTS=1 also into docs/images/ for the README."""
    path = folder / f"{name}.png"
    if hasattr(locator_or_page, "goto"):  # a whole page: all of it, not only the viewport
        locator_or_page.screenshot(path=str(path), timeout=30_000, full_page=True)
    else:
        locator_or_page.screenshot(path=str(path), timeout=30_000)
    if os.environ.get("REKIT_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, IMAGES / f"{name}.png")
    return path
