"""Sphinx configuration of rekit's documentation site (`make docs` -> docs/_build/html/).

The generated pages (data dictionary, methods, command-line reference, the notebooks) are written
by docs/generate.py when this file is read. MyST-NB executes every notebook during the build and
the build fails on a cell that raises (`nb_execution_raise_on_error`), naming the notebook and
the cell. The site uses Sphinx's own search index (a script file), so it works from file://.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

import generate  # noqa: E402  (docs/generate.py)

import rekit  # noqa: E402

generate.write_all()

project = "rekit"
author = "The rekit contributors"
copyright = "The rekit contributors; data CC-BY-4.0, code MIT"
version = release = rekit.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "images", "generate.py", "**/.ipynb_checkpoints"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# notebooks: run them all, each in its own folder, with the kit's kernel; a raising cell fails the build
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 1800
nb_execution_allow_errors = False
nb_kernel_rgx_aliases = {".*": "rekit"}
nb_merge_streams = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}

html_theme = "alabaster"
html_title = f"rekit {release}"
html_theme_options = {"description": "India's rare-earth supply chain: data with sources, a deal model, notebooks",
                      "page_width": "1100px"}
html_static_path: list[str] = []
html_copy_source = False
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]


def _plotlyjs_beside_the_notebooks(app, exception) -> None:
    """The kit's figures draw with a global Plotly that a page without it loads from its own folder
    (rekit.figures.render): put plotly.min.js beside every notebook page, so charts draw offline."""
    if exception is not None or app.builder.format != "html":
        return
    from rekit.figures.render import write_plotlyjs

    out = Path(app.outdir) / "_generated" / "notebooks"
    for folder in {p.parent for p in out.rglob("*.html")}:
        write_plotlyjs(folder)


def setup(app):
    app.connect("build-finished", _plotlyjs_beside_the_notebooks)
    return {"parallel_read_safe": True}
