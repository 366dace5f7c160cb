"""Every path the kit uses, in one place.

The bundled data, notebooks and the default report folder sit beside the package in a source
checkout (the repository's data/, notebooks/ and reports/; an editable install reads them there).
An installed wheel carries the data and notebooks inside the package, as ``rekit/_bundle/data``
and ``rekit/_bundle/notebooks`` (pyproject.toml maps the top-level folders there), found through
importlib.resources whatever the installation: a venv, ``--user``, ``--target``, a zip on
sys.path (then they are copied once to a temporary folder, removed at exit, since the kit reads
them as files); reports then go to ``./reports`` of the folder the command runs in.
``REKIT_DATA`` and ``REKIT_NOTEBOOKS`` point at other folders (a user's copy of the data, a
test's fixture notebooks); they are read when asked for, not at import, so a test or a user can
set them late.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the source checkout (the folder holding data/, notebooks/, reports/)
CHECKOUT = (ROOT / "pyproject.toml").is_file() and (ROOT / "data").is_dir()


#: The folder inside the installed package that holds the data and notebooks (pyproject.toml).
BUNDLE = "_bundle"


def bundled(name: str) -> Path:
    """The bundled folder `name` (``data`` or ``notebooks``): the checkout's top-level folder, else the
    installed package's ``_bundle/<name>`` (importlib.resources), copied out of a zip if need be."""
    if CHECKOUT:
        return ROOT / name
    from importlib.resources import files

    found = files("rekit").joinpath(BUNDLE, name)
    if isinstance(found, Path):
        return found
    return _copied_out(found, name)  # a zip import: the kit reads files, so they are put on disk once


def _copied_out(tree, name: str) -> Path:
    import atexit
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="rekit-bundle-"))
    atexit.register(shutil.rmtree, root, True)

    def copy(src, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        for item in src.iterdir():
            if item.is_dir():
                copy(item, dest / item.name)
            else:
                (dest / item.name).write_bytes(item.read_bytes())

    copy(tree, root / name)
    return root / name


BUNDLED_DATA = bundled("data")
BUNDLED_NOTEBOOKS = bundled("notebooks")
REPORTS = ROOT / "reports" if CHECKOUT else Path.cwd() / "reports"
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
