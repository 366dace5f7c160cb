"""Batch files a stranger hands ``rekit reports``: notebooks from elsewhere, titles that are not text,
YAML types JSON has no word for, duplicate keys and special files.

A batch file runs only the notebooks of its own folder, named as NAME or SUB/NAME (a user's
notebooks beside their batch file, or the kit's in notebooks/). Each row writes a folder T with
``nb/`` (the fixture notebook ``sample`` and a copy of it as ``teaching/intro``), a notebook
outside it (``T/x.ipynb``) and the batch file, runs ``rekit reports --batch FILE`` and checks the
exit status and a fragment of the message (`expect`). A refused batch runs nothing: no output
folder is made. The control row (which runs a kernel) and the special files run a real process
under a timeout, so a batch file that blocks (a FIFO) fails its row instead of hanging the suite;
the others run in the test's process (hostile.cases.run_rekit).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile.cases import ROOT, expect, run_rekit
from reports import test_batch_safety

#: The batch-safety tests' short folder under /tmp as this module's tmp_path fixture (kernel sockets fit).
tmp_path = test_batch_safety.tmp_path

FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
TIMEOUT = 120  # seconds; the control row runs one notebook in a kernel
FIFO, DEV_ZERO, FOLDER, LINK_OUT = "<fifo>", "<link to /dev/zero>", "<folder>", "<link out>"


def make(tmp: Path, batch: str) -> Path:
    """T/nb with sample and teaching/intro, T/x.ipynb outside it, T/nb/link.ipynb pointing at it; the
    batch file T/nb/batch.yml holds `batch` (or is a FIFO, a link to /dev/zero, a folder)."""
    nb = tmp / "nb"
    (nb / "teaching").mkdir(parents=True)
    (tmp / "tmp").mkdir()
    shutil.copy(FIXTURES / "sample.ipynb", nb / "sample.ipynb")
    shutil.copy(FIXTURES / "sample.ipynb", nb / "teaching" / "intro.ipynb")
    shutil.copy(FIXTURES / "sample.ipynb", tmp / "x.ipynb")
    path = nb / "batch.yml"
    if batch == FIFO:
        os.mkfifo(path)
    elif batch == DEV_ZERO:
        path.symlink_to("/dev/zero")
    elif batch == FOLDER:
        path.mkdir()
    else:
        if batch == LINK_OUT:
            (nb / "link.ipynb").symlink_to(tmp / "x.ipynb")
            batch = "reports:\n  - notebook: link\n"
        path.write_text(batch.replace("{T}", str(tmp)), encoding="utf-8")
    return path


ROWS = [
    # -- the control: a notebook of a subfolder, with a title, builds -----------------------------
    ("control", 'reports:\n  - notebook: teaching/intro\n    title: "A sample, from a subfolder"\n', 0, "1 ok, 0 failed"),
    # -- notebooks from outside the folder --------------------------------------------------------
    ("absolute-ipynb", "reports:\n  - notebook: {T}/x.ipynb\n", 2,
     "batch.yml, report 1: notebook '{T}/x.ipynb' refused: it is an absolute path; "
     "name a notebook of the batch file's folder {T}/nb, as NAME or SUB/NAME (without .ipynb)"),
    ("dot-dot", "reports:\n  - notebook: teaching/../../x\n", 2,
     "batch.yml, report 1: notebook 'teaching/../../x' refused: it has a '..' part, which leaves the folder"),
    ("dot-dot-ipynb", "reports:\n  - notebook: ../x.ipynb\n", 2, "notebook '../x.ipynb' refused: it has a '..' part"),
    ("home", "reports:\n  - notebook: ~/x\n", 2, "notebook '~/x' refused: it starts from a home folder (~)"),
    ("backslash", "reports:\n  - notebook: 'teaching\\..\\..\\x'\n", 2, "refused: it has a backslash"),
    ("symlink-out", LINK_OUT, 2, "batch.yml, report 1: notebook 'link' refused: it is a symbolic link that leads out of the folder"),
    ("number-as-notebook", "reports:\n  - notebook: 123\n", 2, "batch.yml, report 1: notebook 123 is not a notebook name"),
    # -- titles ------------------------------------------------------------------------------------
    ("title-number", "reports:\n  - notebook: sample\n    title: 123\n", 2,
     "batch.yml, report 1: 'title' must be text (quote it in the batch file), got 123"),
    ("title-list", "reports:\n  - notebook: sample\n    title: [a, b]\n", 2,
     "batch.yml, report 1: 'title' must be text (quote it in the batch file), got ['a', 'b']"),
    ("title-empty", "reports:\n  - notebook: sample\n    title: '  '\n", 2, "'title' must be text"),
    # `!!binary` became the text "b'hello'"; line 3 is `    title: !!binary aGVsbG8=`, the tag in column 12
    ("title-binary", "reports:\n  - notebook: sample\n    title: !!binary aGVsbG8=\n", 2,
     "batch.yml: line 3, column 12: the type !!binary is not allowed; only text, numbers, true/false, null, lists and mappings"),
    ("parameter-python", "reports:\n  - notebook: sample\n    parameters: {n: !!python/object/apply:os.system ['touch {T}/ran']}\n", 2,
     "the type !!python/object/apply:os.system is not allowed"),
    ("parameter-inf", "reports:\n  - notebook: sample\n    parameters: {n: .inf}\n", 2, "'.inf' refused: inf is not a finite number"),
    # -- duplicate keys ----------------------------------------------------------------------------
    ("duplicate-reports", "reports:\n  - notebook: sample\nreports:\n  - notebook: teaching/intro\n", 2,
     "batch.yml: key 'reports' appears twice: line 1 and line 3"),
    ("duplicate-parameter", "reports:\n  - notebook: sample\n    parameters:\n      n: 2\n      n: 3\n", 2,
     "batch.yml: key 'n' appears twice (under reports.parameters): line 4 and line 5"),
    ("duplicate-title", "reports:\n  - notebook: sample\n    title: a\n    title: b\n", 2, "key 'title' appears twice"),
    ("deals-file-list", "deals_file: [a, b]\nreports:\n  - notebook: sample\n", 2,
     "'deals_file' must be a file name (text), got ['a', 'b']"),
    # -- special files, refused before they are opened --------------------------------------------
    ("fifo", FIFO, 2, "batch.yml' is a FIFO (named pipe): only a regular file is read"),
    ("dev-zero", DEV_ZERO, 2, "batch.yml' is a character device: only a regular file is read"),
    ("folder", FOLDER, 2, "batch.yml' is a folder: only a regular file is read"),
]


@pytest.mark.parametrize("batch, code, fragment", [pytest.param(*row[1:], id=row[0]) for row in ROWS])
def test_batch_file(tmp_path, batch, code, fragment):
    path = make(tmp_path, batch)
    env = {"TMPDIR": str(tmp_path / "tmp")}
    args = ["reports", "--batch", path, "--out", tmp_path / "out", "-q"]
    try:
        proc = run_rekit(args, env=env, cwd=tmp_path, timeout=TIMEOUT, process=not code or batch in (FIFO, DEV_ZERO))
    except subprocess.TimeoutExpired:
        pytest.fail(f"rekit reports --batch {path} still ran after {TIMEOUT} s (blocked on the batch file?)")
    expect(proc, code, fragment.replace("{T}", str(tmp_path)))
    assert not (tmp_path / "ran").exists()  # no YAML tag ran a command
    if code:
        assert not (tmp_path / "out").exists()  # refused before anything ran
    else:
        assert (tmp_path / "out" / "teaching.intro.html").is_file()
        assert "A sample, from a subfolder" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
