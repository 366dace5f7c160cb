"""pytest plugin for nbval on rekit's notebooks (loaded by `-p conftest_nbval` in pyproject.toml).

`pytest` (what `make test` runs) also collects notebooks/**/*.ipynb: nbval re-executes each with
the `rekit` kernel and compares every code cell's outputs with the ones stored in the notebook,
after the substitutions in tests/nbval_sanitize.cfg (figure ids, uids, addresses, timings).

nbval 0.11 has no option for which mimetypes to compare: it keeps a `skip_compare` tuple on each
notebook collector, and its docs' recipe is to extend it in `pytest_collectstart` (PR #169 fixed
the recipe to check the collector's type). We skip the heavy renderings whose text changes
without the result changing - plotly JSON, HTML (plotly divs, DataFrame HTML), widget and
JavaScript payloads - and keep text/plain, which every one of them also carries (a DataFrame's
table, a figure's one-line summary from rekit.render) and which nbval then compares.

Stale or missing stored outputs (nbval compares nothing for a cell never run) are caught by
tests/e2e/test_notebook_outputs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SKIP_MIMETYPES = (
    "application/vnd.plotly.v1+json",
    "text/html",
    "application/javascript",
    "application/vnd.jupyter.widget-state+json",
    "image/svg+xml",
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    # the sanitize file is named relative to the repository root: make it work from any directory
    opt = config.option
    name = getattr(opt, "nbval_sanitize_with", None)
    if name and not Path(name).is_file():
        candidate = Path(config.rootpath) / name
        if candidate.is_file():
            opt.nbval_sanitize_with = str(candidate)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # notebooks under tests/fixtures are inputs of the report tests (one fails on purpose), not nbval tests
    if collection_path.suffix == ".ipynb":
        p = collection_path.resolve()
        if FIXTURES in p.parents or ".ipynb_checkpoints" in p.parts:
            return True
    return None


def pytest_collectstart(collector: pytest.Collector) -> None:
    try:
        from nbval.plugin import IPyNbFile
    except ImportError:  # nbval not installed: nothing to configure
        return
    if isinstance(collector, IPyNbFile):
        collector.skip_compare = tuple(collector.skip_compare) + SKIP_MIMETYPES
