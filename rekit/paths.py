"""Every path the kit uses, in one place.

The bundled data, notebooks and the default report folder sit beside the package in a source
checkout. ``REKIT_DATA`` and ``REKIT_NOTEBOOKS`` point at other folders (a user's copy of the
data, a test's fixture notebooks); they are read when asked for, not at import, so a test or a
user can set them late.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the source checkout (the folder holding data/, notebooks/, reports/)
BUNDLED_DATA = ROOT / "data"
BUNDLED_NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
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
