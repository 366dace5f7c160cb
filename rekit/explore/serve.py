"""The explorer as a web app: Voilà serving the app notebook (``rekit/explore/app.ipynb``, shipped in the
package) on 127.0.0.1, with no code shown.

`serve()` is what ``rekit explore --serve`` and ``make app`` run. It checks the port first (a port in use
is refused with a message naming it, not moved elsewhere: Voilà's own retries are off), starts Voilà in
a session of its own with a random token, waits until the page answers, prints the address, and stays
in the foreground. Ctrl-C (or SIGTERM) stops it: Voilà is sent SIGTERM, on which it shuts its kernels
down and exits; what is still running after `STOP_WAIT` seconds is killed with its process group. No
process is left behind either way.

The deals shown first, a user's deals file, the production basis, the demand basis and the framing
reach the app's kernel as environment variables (`APP_ENV`), which the app notebook reads with
`app_options`.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, TextIO

from rekit.errors import FailedError, RekitError, Terminated

__all__ = ["APP_ENV", "DEFAULT_PORT", "HOST", "START_WAIT", "STOP_WAIT", "TEMPLATE", "AppServer", "app_notebook",
           "app_options", "check_port", "serve", "voila_command", "write_template"]

#: Where the app listens: this machine only.
HOST = "127.0.0.1"
#: Voilà's own default port.
DEFAULT_PORT = 8866
#: Seconds to wait for the page to answer after the start (a cold start imports the kit in the kernel
#: only when the page is opened; the server itself answers in a few seconds on 2 busy cores).
START_WAIT = 120.0
#: Seconds Voilà has, after SIGTERM, to shut its kernels down and exit before it is killed.
STOP_WAIT = 20.0
#: The explorer's options as the app's kernel reads them: option -> environment variable.
APP_ENV = {"deals": "REKIT_APP_DEALS", "deals_file": "REKIT_APP_DEALS_FILE", "basis": "REKIT_APP_BASIS",
           "demand": "REKIT_APP_DEMAND", "framing": "REKIT_APP_FRAMING"}


def app_notebook() -> Path:
    """The app notebook shipped in the package (rekit/explore/app.ipynb)."""
    found = files("rekit.explore").joinpath("app.ipynb")
    if not isinstance(found, Path) or not found.is_file():
        raise FailedError(f"the explorer's app notebook is missing from the installed package ({found}); reinstall rekit")
    return found


def app_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The keyword arguments of rekit.explore.explore that `serve` passed to the app's kernel (APP_ENV):
    deals (a list, from names separated by spaces), deals_file, basis, demand, framing; only those set."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key, var in APP_ENV.items():
        value = env.get(var, "").strip()
        if value:
            out[key] = value.split() if key == "deals" else value
    return out


def check_port(port: int) -> int:
    """`port` if the app can listen on it at 127.0.0.1 now (0: a free port, chosen here); RekitError naming
    the port otherwise (in use, not allowed, out of range)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise RekitError(f"--port: {port!r} is not allowed; give a whole number from 1024 to 65535 (or 0 for any free port)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will (tornado)
        try:
            s.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise RekitError(f"--port: port {port} on {HOST} is already in use (another explorer or server?); "
                                 "choose another with --port N, or --port 0 for any free port") from None
            if exc.errno == errno.EACCES:
                raise RekitError(f"--port: not allowed to listen on port {port} on {HOST} (ports below 1024 need root); "
                                 "give one from 1024 to 65535") from None
            raise RekitError(f"--port: cannot listen on port {port} on {HOST}: {exc.strerror}") from None
        return int(s.getsockname()[1])


#: The name of the app's Voilà template (Voilà's "lab" without its CDN style sheets; `write_template`).
TEMPLATE = "rekit"


def write_template(folder: Path) -> Path:
    """Write the app's Voilà template into `folder` as a Jupyter data folder (voila/templates/rekit: a
    conf.json naming "lab" as its base, and templates/voila_index.html.j2 of this package as its
    index.html.j2); returns `folder`, for JUPYTER_PATH."""
    where = folder / "voila" / "templates" / TEMPLATE
    where.mkdir(parents=True, exist_ok=True)
    (where / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    page = files("rekit.explore").joinpath("templates", "voila_index.html.j2").read_text(encoding="utf-8")
    (where / "index.html.j2").write_text(page, encoding="utf-8")
    return folder


def voila_command(notebook: Path, port: int, token: str) -> list[str]:
    """The Voilà command line: this Python's voila, on HOST:port, with `token`, sources stripped, no
    tracebacks in the page, no browser opened, no other port tried, and the app's template (TEMPLATE)."""
    return [sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={HOST}",
            "--Voila.port_retries=0", "--no-browser", f"--Voila.token={token}", "--strip_sources=True",
            "--show_tracebacks=False", "--theme=light", f"--template={TEMPLATE}"]


class AppServer:
    """One Voilà server of the app notebook: `start()` it, read `url`, `stop()` it (also on leaving a `with`).

    `options` are rekit.explore.explore's (deals, deals_file, basis, demand, framing), passed to the
    app's kernel through APP_ENV. The server's output goes to `log_path` (in a temporary folder
    removed on stop); `log()` reads its tail.
    """

    def __init__(self, port: int = DEFAULT_PORT, options: Mapping[str, Any] | None = None):
        self.port = check_port(port)
        self.token = secrets.token_urlsafe(24)
        self.options = dict(options or {})
        self.proc: subprocess.Popen | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="rekit-app-")
        self.log_path = Path(self._tmp.name) / "voila.log"
        self._log: TextIO | None = None

    @property
    def url(self) -> str:
        """The app's address with its token (the page sets a cookie, so the token is needed once)."""
        return f"http://{HOST}:{self.port}/?token={self.token}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, var in APP_ENV.items():
            env.pop(var, None)
            value = self.options.get(key)
            if value:
                env[var] = " ".join(value) if key == "deals" else str(value)
        env["PYTHONUNBUFFERED"] = "1"
        data = str(write_template(Path(self._tmp.name) / "jupyter"))
        env["JUPYTER_PATH"] = os.pathsep.join([data, *filter(None, [env.get("JUPYTER_PATH")])])
        return env

    def start(self, timeout: float = START_WAIT) -> AppServer:
        """Start Voilà and wait until its page answers; FailedError with the server's last lines if it
        exits or does not answer within `timeout` seconds."""
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(voila_command(app_notebook(), self.port, self.token), env=self._env(),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # Ctrl-C reaches rekit, which stops the server in order
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log()
                self.stop()
                raise FailedError(f"the Voilà server exited with status {self.proc.returncode} before answering:\n{tail}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/api/status?token={self.token}", timeout=2):
                    return self
            except urllib.error.HTTPError:  # it answers (even a 404 is an answer): it is up
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        tail = self.log()
        self.stop()
        raise FailedError(f"the Voilà server did not answer within {timeout:.0f} s:\n{tail}")

    def log(self, tail: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self, timeout: float = STOP_WAIT) -> None:
        """SIGTERM to Voilà (it shuts its kernels down and exits), then SIGKILL to its process group if it
        is still there after `timeout` seconds; the temporary folder is removed."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        self._tmp.cleanup()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(port: int = DEFAULT_PORT, options: Mapping[str, Any] | None = None, out: TextIO | None = None) -> int:
    """Run the app in the foreground until Ctrl-C or SIGTERM, then stop it and everything it started.

    Prints the address (with its token) to `out` (default stdout). Returns 0 after a stop asked for;
    FailedError if the server fails on its own."""
    out = out or sys.stdout
    server = AppServer(port, options)

    def on_term(signum: int, frame: object) -> None:
        raise Terminated

    old = signal.signal(signal.SIGTERM, on_term)
    try:
        server.start()
        print(f"The deal explorer is running at {server.url}\nOpen it in a browser; Ctrl-C stops it.", file=out, flush=True)
        assert server.proc is not None
        code = server.proc.wait()
        raise FailedError(f"the Voilà server stopped by itself with status {code}:\n{server.log()}")
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (Terminated): a stop asked for
        server.stop()
        print("The deal explorer has stopped.", file=out, flush=True)
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, old)

