"""Static images (PNG, SVG, PDF) of plotly figures with kaleido and a Chrome or Chromium browser.

kaleido >= 1 drives an installed browser: Debian's `chromium` (/usr/bin/chromium), or whatever
BROWSER_PATH names. Without one, exporting stops at once with a message saying how to get one;
it never waits on a browser that is not there. MathJax is switched off so that nothing is
fetched from the network.

A figure's text description (``layout.meta.alt``, see rekit.figures.charts) goes with the image:
an SVG gets it as its <title> and <desc>, and every image gets a ``<file>.alt.txt`` beside it
for the page or document that embeds it.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator

import plotly.graph_objects as go

from rekit.errors import RekitError

FORMATS = ("png", "svg", "pdf")
DRIVER_LOGGERS = ("kaleido", "choreographer", "logistro")  # the loggers of kaleido and the browser driver under it
TRIES = 2  # a render that fails is tried once more with a fresh browser (see `tried`)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class ImageExportError(RekitError, RuntimeError):
    """Static images cannot be written here (no browser, or the browser failed)."""


def find_browser() -> str | None:
    """Path of a Chrome/Chromium binary: BROWSER_PATH if it exists, else the first candidate on PATH."""
    named = os.environ.get("BROWSER_PATH")
    if named:
        return named if Path(named).is_file() and os.access(named, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class _Held(logging.Handler):
    """Keeps the log records it is given, for the error message of a failed export."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def held_driver_logs(names: Iterable[str] = DRIVER_LOGGERS) -> Iterator[list[logging.LogRecord]]:
    """Hold the warnings kaleido and its browser driver log while images are made, and yield them.

    Without a handler of its own, Python's last-resort handler prints such a record to stderr, with
    its traceback: choreographer logs "JSONError decoding message. Ignoring" with one when the
    browser's closing message races its last reply, after every image has been written. The records
    go to this list instead, and `write_images` names them only when the export fails. Uses only
    logging's public API (a handler and ``propagate``) and restores both on the way out.
    """
    held = _Held()
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate))
        logger.addHandler(held)
        logger.propagate = False
    try:
        yield held.records
    finally:
        for logger, propagate in saved:
            logger.removeHandler(held)
            logger.propagate = propagate


def _driver_said(records: list[logging.LogRecord], last: int = 3) -> str:
    """The last few held messages, one line each and without tracebacks, for an error message."""
    lines = [f"{r.levelname.lower()}: {(r.getMessage().splitlines() or [''])[0]}" for r in records[-last:]]
    return f" (the browser driver said: {'; '.join(lines)})" if lines else ""


def tried(attempt: Callable[[], str], tries: int = TRIES) -> str:
    """Run `attempt` until it returns '' (success), at most `tries` times; '' or its last problem,
    saying how many tries it took.

    kaleido's browser page sometimes is not ready when the first figure is sent (seen under load:
    "ReferenceError: kaleido_scopes is not defined"), and its driver may read the browser's closing
    message with its last reply; a second browser then renders the same figures. A figure that
    cannot be drawn fails both times and is reported.
    """
    problem = ""
    for _ in range(tries):
        problem = attempt()
        if not problem:
            return ""
    return f"{problem} (tried {tries} times)" if tries > 1 else problem


def write_images(items: Iterable[tuple[go.Figure, str | os.PathLike]], scale: float = 2.0, timeout: float = 60) -> list[Path]:
    """Write each (figure, path) with one browser; the format comes from the path's suffix."""
    pairs = [(fig, Path(path)) for fig, path in items]
    for _, path in pairs:
        if path.suffix.lstrip(".") not in FORMATS:
            raise ImageExportError(f"{path}: unknown image format {path.suffix!r}; allowed: {', '.join('.' + f for f in FORMATS)}")
    browser = find_browser()
    if browser is None:
        where = f"BROWSER_PATH={os.environ['BROWSER_PATH']!r} is not an executable file" if os.environ.get("BROWSER_PATH") \
            else "no Chrome or Chromium on PATH"
        raise ImageExportError(f"static images need a Chrome or Chromium browser ({where}); install Debian's chromium "
                               f"(`apt-get install chromium`) or set BROWSER_PATH. Interactive charts and HTML reports do not need it.")
    import kaleido

    os.environ["BROWSER_PATH"] = browser
    specs = []
    for fig, path in pairs:
        path.parent.mkdir(parents=True, exist_ok=True)
        specs.append({"fig": fig.to_dict() if isinstance(fig, go.Figure) else fig, "path": str(path),
                      "opts": {"format": path.suffix.lstrip("."), "scale": scale}})

    def attempt() -> str:
        """One browser for every image: '' when each was written, else what went wrong."""
        with held_driver_logs() as said:
            try:
                errors = kaleido.write_fig_from_object_sync(specs, kopts={"timeout": timeout, "mathjax": False})
            except Exception as exc:  # the browser would not start or crashed: say so plainly
                return f"the browser at {browser} could not render the images: {exc}{_driver_said(said)}"
        if errors:
            return f"{len(errors)} image(s) failed: " + "; ".join(map(str, errors)) + _driver_said(said)
        missing = [str(p) for _, p in pairs if not p.exists()]
        return f"no image written at {', '.join(missing)}{_driver_said(said)}" if missing else ""

    problem = tried(attempt)
    if problem:
        raise ImageExportError(problem)
    for fig, path in pairs:
        write_alt(fig, path)
    return [p for _, p in pairs]


def figure_alt(fig) -> str:
    """The figure's text description (layout.meta.alt), else its title, else ''."""
    d = fig.to_dict() if isinstance(fig, go.Figure) else fig
    layout = d.get("layout") or {}
    meta = layout.get("meta") or {}
    title = layout.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    return str((meta.get("alt") if isinstance(meta, dict) else None) or title or "")


def write_alt(fig, path: Path) -> Path | None:
    """Write the figure's description beside its image (``<file>.alt.txt``); into an SVG also as <title>/<desc>."""
    from xml.sax.saxutils import escape

    alt = figure_alt(fig)
    if not alt:
        return None
    if path.suffix == ".svg":
        text = path.read_text(encoding="utf-8")
        i = text.find(">", text.find("<svg"))
        if i > 0 and "<desc>" not in text:
            text = text[:i + 1] + f"<title>{escape(alt.split('. ')[0])}</title><desc>{escape(alt)}</desc>" + text[i + 1:]
            text = text.replace("<svg ", '<svg role="img" ', 1)
            path.write_text(text, encoding="utf-8")
    side = path.with_name(path.name + ".alt.txt")
    side.write_text(alt + "\n", encoding="utf-8")
    return side


def write_image(fig: go.Figure, path: str | os.PathLike, scale: float = 2.0) -> str:
    """Write one figure; see write_images."""
    return str(write_images([(fig, path)], scale=scale)[0])
