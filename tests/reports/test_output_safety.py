"""Output that is safe to open: every value from a batch file, a notebook's parameters or a failure that
reaches a report page or the index is escaped.

One real batch (papermill, nbconvert; no mocks) of a small notebook that prints a free-text parameter
and, when asked, raises with it. The payloads go into the parameter, the report title given in the
batch file and the error message; the pages must hold them only escaped.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from rekit.cli.app import main as cli

PAYLOADS = ['<img src=x onerror=alert(1)>', '"><script>alert(2)</script>', "' onmouseover='alert(3)"]
LABEL = "".join(PAYLOADS)
RAW = [re.compile(p, re.I) for p in (r"<img src=x onerror", r"<script>alert\(2\)", r"""=['"]?\s*onmouseover='alert""")]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    nbs = tmp_path_factory.mktemp("nb")
    nb = new_notebook(metadata={"kernelspec": {"name": "rekit", "display_name": "Python (rekit)", "language": "python"}})
    nb.cells = [
        new_markdown_cell("# Echo\n\nPrints a text parameter; raises with it on request."),
        new_code_cell('label = "plain"  # any text\nfail = False  # raise with the label; true/false',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("print(label)"),
        new_code_cell("if fail:\n    raise ValueError(label)"),
    ]
    for i, c in enumerate(nb.cells):
        c.id = f"echo-{i}"
    nbformat.write(nb, nbs / "echo.ipynb")
    (nbs / "broken.ipynb").write_text('{"cells": [')  # unreadable: its failure page shows the title too
    quoted = LABEL.replace("'", "''")
    (nbs / "batch.yml").write_text(
        "reports:\n"
        f"  - notebook: echo\n    parameters: {{label: '{quoted}'}}\n    title: '{quoted}'\n"
        f"  - notebook: echo\n    parameters: {{label: '{quoted}', fail: true}}\n    title: 'fails: {quoted}'\n"
        f"  - notebook: broken\n    title: 'unreadable: {quoted}'\n")
    out = tmp_path_factory.mktemp("out")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli(["reports", "--batch", str(nbs / "batch.yml"), "--out", str(out), "-q", "--jobs", "1"])
    return {"out": out, "code": code, "stderr": err.getvalue()}


def pages(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in out.glob("*.html")}


def test_the_batch_ran_and_failed_where_asked(built):
    assert built["code"] == 1
    assert f"ValueError: {LABEL}" in built["stderr"]  # the terminal gets the text as it is
    names = sorted(pages(built["out"]))
    assert "index.html" in names and "broken.failed.html" in names
    assert len([n for n in names if n.startswith("echo--") and n.endswith(".failed.html")]) == 1
    assert len([n for n in names if n.startswith("echo--") and not n.endswith(".failed.html")]) == 1
    for n in names:  # file names from parameters are file-safe
        assert re.fullmatch(r"[A-Za-z0-9_.+=-]+\.html", n), n


@pytest.mark.parametrize("which", ["index.html", "report", "failed", "broken.failed.html"])
def test_payloads_reach_the_pages_only_escaped(built, which):
    all_pages = pages(built["out"])
    if which == "report":
        name = next(n for n in all_pages if n.startswith("echo--") and not n.endswith(".failed.html"))
    elif which == "failed":
        name = next(n for n in all_pages if n.startswith("echo--") and n.endswith(".failed.html"))
    else:
        name = which
    page = all_pages[name]
    for raw in RAW:
        assert not raw.search(page), (name, raw.pattern, page[max(0, raw.search(page).start() - 200):][:400])
    # and the values are there, escaped, for a reader to see
    assert "&lt;img src=x onerror=alert(1)&gt;" in page, name
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page, name
    text = html.unescape(page)
    if which in ("index.html", "failed"):
        assert f"ValueError: {LABEL}" in text


def test_the_index_links_only_local_report_files(built):
    page = pages(built["out"])["index.html"]
    for href in re.findall(r'href="([^"]*)"', page):
        assert re.fullmatch(r"[A-Za-z0-9_.+=-]+\.html", html.unescape(href)), href
