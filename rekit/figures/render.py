"""Plotly output that shows in JupyterLab *and* in the HTML reports, offline.

Importing this module registers a plotly renderer named ``rekit`` and, in a Jupyter kernel, makes
it the default.
Each figure is emitted as one display bundle with:

* ``application/vnd.plotly.v1+json`` - what JupyterLab draws (plotly >= 6 emits only this under a
  kernel, and nbconvert's HTML export drops it);
* ``text/html`` - a ``<div>`` and a small script that draws the figure with a *global* ``Plotly``.
  The reports load ``plotly.min.js`` once, from a file beside them (`write_plotlyjs`); a page
  without it loads ``plotly.min.js`` from its own folder (so plain ``jupyter nbconvert`` output
  placed beside that file works too). No plotly.js is inlined and nothing is fetched from the web.
* ``text/plain`` - a one-line summary (title and traces) and, on the next line, the chart's text
  description (``layout.meta.alt``, rekit.figures.charts: what it shows and its main numbers), which
  nbval compares and terminals show: a stored chart whose numbers change fails the notebook check.

The div id is derived from a hash of the figure's JSON (plus a per-kernel counter for repeats of
the same figure), never random, and trace ``uid``s are removed, so re-running a notebook gives the
same outputs - which keeps notebook diffs and nbval quiet.

Map traces (scattergeo, choropleth) are the exception to "offline": plotly.js fetches their
base-map topojson from its CDN unless `config.topojsonURL` points at local files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

from rekit.atomic import write_atomic

__all__ = ["RekitRenderer", "PLOTLYJS", "figure_html", "write_plotlyjs", "activate", "DEFAULT_CONFIG"]

PLOTLYJS = "plotly.min.js"  # file name of plotly.js beside every report
MIME = "application/vnd.plotly.v1+json"
DEFAULT_CONFIG: dict[str, Any] = {"responsive": True, "displaylogo": False}
DEFAULT_HEIGHT = 450

_seen: Counter[str] = Counter()  # figure hash -> times displayed in this kernel (unique ids for repeats)


def _figure_json(fig_dict: dict) -> str:
    """Canonical JSON of a figure without trace uids (the same figure gives the same text)."""
    fig = dict(fig_dict)
    data = []
    for trace in fig.get("data", []) or []:
        if isinstance(trace, dict) and "uid" in trace:
            trace = {k: v for k, v in trace.items() if k != "uid"}
        data.append(trace)
    fig["data"] = data
    return pio.to_json(fig, validate=False, remove_uids=True)


def _script_safe(text: str) -> str:
    """JSON text that can sit inside a <script> element."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _summary(fig: dict) -> str:
    layout = fig.get("layout") or {}
    title = layout.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    kinds = Counter(str(t.get("type", "scatter")) for t in fig.get("data", []) or [] if isinstance(t, dict))
    traces = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no traces"
    line = f"<Figure {title!r}: {traces}>" if title else f"<Figure: {traces}>"
    meta = layout.get("meta")
    alt = meta.get("alt") if isinstance(meta, dict) else None
    return f"{line}\n{alt}" if isinstance(alt, str) and alt else line


_CSS_SIZE = re.compile(r"\d{1,5}(\.\d{1,3})?(px|%|em|rem|vh|vw)?")
_DIV_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,80}")


def _css_size(value: Any, default: str) -> str:
    """A width or height for the div's style: a number (px) or a plain CSS length; anything else
    (text that could close the attribute) gives `default`."""
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, (int, float)):
        return f"{value:g}px" if 0 < value < 100_000 else default
    text = str(value).strip()
    return (text + "px" if text.replace(".", "", 1).isdigit() else text) if _CSS_SIZE.fullmatch(text) else default


def figure_html(fig_json: str, div_id: str, config: dict | None = None,
                width: int | str | None = None, height: int | str | None = None) -> str:
    """The <div> and <script> that draw a figure (given as JSON text) with a global Plotly.

    The script carries ``data-rekit-figure`` (and the plotly.js it loads ``data-rekit-plotly``): the
    kit's own scripts are known by these attributes. The figure's JSON is made safe to sit inside
    the script (`_script_safe`); the div's id must be a plain HTML id and its size a CSS length."""
    if not _DIV_ID.fullmatch(div_id):
        raise ValueError(f"figure div id {div_id!r} is not a plain HTML id (a letter, then letters, digits, - or _)")
    fig = json.loads(fig_json)
    layout = fig.get("layout") or {}
    h = _css_size(height or layout.get("height"), f"{DEFAULT_HEIGHT}px")
    w = _css_size(width or layout.get("width"), "100%")
    cfg = dict(DEFAULT_CONFIG)
    cfg.update(config or {})
    payload = _script_safe(fig_json)
    cfg_json = _script_safe(json.dumps(cfg, sort_keys=True))
    return (
        f'<div id="{div_id}" class="plotly-graph-div rekit-figure" style="height:{h}; width:{w};"></div>\n'
        '<script type="text/javascript" data-rekit-figure>\n'
        "(function () {\n"
        f'  var id = "{div_id}", fig = {payload}, config = {cfg_json};\n'
        "  function draw() { window.Plotly.newPlot(id, fig.data || [], fig.layout || {}, Object.assign({}, fig.config || {}, config)); }\n"
        "  function fail() { var el = document.getElementById(id); if (el) { el.textContent = "
        f"'Chart not drawn: {PLOTLYJS} was not found beside this page.'; }} }}\n"
        "  if (window.Plotly) { draw(); return; }\n"
        f"  var s = document.querySelector('script[data-rekit-plotly]');\n"
        "  if (!s) {\n"
        f"    s = document.createElement('script'); s.src = '{PLOTLYJS}'; s.setAttribute('data-rekit-plotly', '');\n"
        "    document.head.appendChild(s);\n"
        "  }\n"
        "  s.addEventListener('load', draw); s.addEventListener('error', fail);\n"
        "})();\n"
        "</script>"
    )


class RekitRenderer(MimetypeRenderer):
    """Plotly JSON for JupyterLab + offline HTML for reports + a text summary, with stable ids."""

    def __init__(self, config: dict | None = None, width: int | None = None, height: int | None = None):
        self.config = dict(config) if config else {}
        self.width = width
        self.height = height

    def to_mimebundle(self, fig_dict: dict) -> dict[str, Any]:
        text = _figure_json(fig_dict)
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        _seen[digest] += 1
        n = _seen[digest]
        div_id = f"rekit-{digest}" + (f"-{n}" if n > 1 else "")
        fig = json.loads(text)
        if self.config:
            fig["config"] = {**DEFAULT_CONFIG, **self.config}
        layout = fig.setdefault("layout", {})
        if self.width and "width" not in layout:
            layout["width"] = self.width
        if self.height and "height" not in layout:
            layout["height"] = self.height
        return {
            MIME: fig,
            "text/html": figure_html(text, div_id, self.config, self.width, self.height),
            "text/plain": _summary(fig),
        }


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return hasattr(get_ipython(), "kernel")  # a Jupyter kernel (JupyterLab, papermill, nbval), not a terminal


def activate(force: bool = False) -> None:
    """Register the ``rekit`` renderer and, in a Jupyter kernel (or with `force`), make it the default.

    Elsewhere (a script, a terminal) plotly keeps its own default, e.g. opening a browser tab:
    a display bundle has nowhere to go there."""
    if "rekit" not in pio.renderers:
        pio.renderers["rekit"] = RekitRenderer()
    if force or _in_kernel():
        pio.renderers.default = "rekit"


def write_plotlyjs(folder: str | os.PathLike) -> Path:
    """Write plotly.min.js (the version plotly.py bundles) into `folder` unless an identical copy is there.

    Written whole (rekit.atomic), so a reader never sees half a file."""
    from plotly.offline import get_plotlyjs

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / PLOTLYJS
    data = get_plotlyjs().encode("utf-8")
    try:
        if dest.stat().st_size == len(data) and dest.read_bytes() == data:
            return dest
    except OSError:
        pass
    write_atomic(dest, data)
    return dest


activate()
