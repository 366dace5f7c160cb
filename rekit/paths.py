"""Every path the kit uses, in one place.

The bundled data, notebooks and the default report folder sit beside the package in a source
checkout. An installed wheel (``pip install .``, not editable) carries the data and notebooks as
data files under ``<prefix>/share/rekit/`` (pyproject.toml, ``[tool.setuptools.data-files]``);
they are found there when there is no checkout, and reports then go to ``./reports`` of the
folder the command runs in. ``REKIT_DATA`` and ``REKIT_NOTEBOOKS`` point at other folders (a
user's copy of the data, a test's fixture notebooks); they are read when asked for, not at
import, so a test or a user can set them late.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the source checkout (the folder holding data/, notebooks/, reports/)
CHECKOUT = (ROOT / "pyproject.toml").is_file() and (ROOT / "data").is_dir()


def installed_share() -> Path | None:
    """``<prefix>/share/rekit`` of an installed wheel: beside the site-packages that holds the package
    (<prefix>/lib/pythonX.Y/site-packages/rekit), else under sys.prefix; None when absent."""
    candidates = []
    if len(PACKAGE.parents) > 3:
        candidates.append(PACKAGE.parents[3] / "share" / "rekit")
    candidates += [Path(sys.prefix) / "share" / "rekit", Path(sys.base_prefix) / "share" / "rekit"]
    for c in candidates:
        if (c / "data").is_dir():
            return c
    return None


_SHARE = None if CHECKOUT else installed_share()
BUNDLED_DATA = _SHARE / "data" if _SHARE else ROOT / "data"
BUNDLED_NOTEBOOKS = _SHARE / "notebooks" if _SHARE else ROOT / "notebooks"
REPORTS = ROOT / "reports" if CHECKOUT or not _SHARE else Path.cwd() / "reports"
DEALS_FILE = "deals.yml"
BATCH_FILE = "batch.yml"


def data_dir() -> Path:
    """The data folder in use: ``REKIT_DATA`` when set, else the bundled one."""
    return Path(os.environ.get("REKIT_DATA") or BUNDLED_DATA)


def notebooks_dir() -> Path:
    """The notebook folder in use: ``REKIT_NOTEBOOKS`` when set, else the bundled one."""
    return Path(os.environ.get("REKIT_NOTEBOOKS") or BUNDLED_NOTEBOOKS)


def batch_file() -> Path:
    """The batch file of the notebook folder in use."""
    return notebooks_dir() / BATCH_FILE
