"""Charts in the teaching notebooks that survive export: the interactive figure plus a static PNG in one output.

JupyterLab draws ``application/vnd.plotly.v1+json`` (interactive); ``jupyter nbconvert --to html``
and printouts do not, so the same display bundle also carries an ``image/png`` rendered by kaleido
with the Chrome or Chromium browser `rekit.figures.images` finds (/usr/bin/chromium here). The
bundle has no ``text/html``, so nbconvert's HTML export falls through to the PNG.

Without a browser (or with ``REKIT_STATIC_IMAGES=0``, which the grader sets: it reads verdicts,
not charts) the figure is shown as usual, interactive only, with a one-line note saying why
there is no static copy - never an error.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["FigureWithImage", "figure_with_image", "STATIC_IMAGES_ENV"]

#: Environment variable that switches the static copy off when set to 0, no or false.
STATIC_IMAGES_ENV = "REKIT_STATIC_IMAGES"


class FigureWithImage:
    """A plotly figure whose display bundle adds a static PNG (or a note saying why there is none)."""

    def __init__(self, fig, width: int = 900, height: int = 450):
        self.fig = fig
        self.width = width
        self.height = height
        self.note = ""
        self._png: bytes | None = None
        self._rendered = False

    def png(self) -> bytes | None:
        """The static image (rendered once), or None with `note` saying why."""
        if self._rendered:
            return self._png
        self._rendered = True
        if os.environ.get(STATIC_IMAGES_ENV, "1").strip().lower() in ("0", "no", "false"):
            self.note = f"static copy not rendered ({STATIC_IMAGES_ENV} is off)"
            return None
        from rekit.figures.images import ImageExportError, write_image

        fig = self.fig
        if fig.layout.width is None or fig.layout.height is None:
            fig = type(fig)(fig)  # a copy with a fixed size for the static copy; the interactive one stays responsive
            fig.update_layout(width=fig.layout.width or self.width, height=fig.layout.height or self.height)
        with tempfile.TemporaryDirectory(prefix="rekit-figure-") as tmp:
            path = Path(tmp) / "figure.png"
            try:
                write_image(fig, path, scale=1.0)
                self._png = path.read_bytes()
            except ImageExportError as exc:
                self.note = f"no static copy of this chart for exports: {exc}"
        return self._png

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        from rekit.figures.render import RekitRenderer

        bundle = RekitRenderer().to_mimebundle(self.fig.to_dict())
        png = self.png()
        if png is not None:
            bundle.pop("text/html", None)  # nbconvert would prefer it over the PNG, and it needs plotly.js beside the page
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        else:
            bundle["text/plain"] += f"\n({self.note})"
            bundle["text/html"] += f'\n<p class="rekit-figure-note" style="font-size:12px;color:#666">({_escape(self.note)})</p>'
        return bundle


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def figure_with_image(fig, width: int = 900, height: int = 450) -> FigureWithImage | None:
    """Wrap `fig` for display with a static copy; None stays None (a cell whose chart is not made yet)."""
    return None if fig is None else FigureWithImage(fig, width, height)
