"""The data layer: read, type and check the curated dataset in ``data/``.

Modules: ``dataset`` (``load()`` and the ``Dataset`` with its look-ups), ``schema`` (the
Frictionless descriptor), ``tables`` (schema-driven CSV reading), ``rules`` (the domain's rules),
``validate`` (both together, plus the Frictionless validator), ``periods`` (calendar and fiscal
years, dates), ``units`` (the controlled unit list), ``problems`` (a problem named by file, row
and column), ``overview`` (one line per indicator), ``yamlfile`` (safe YAML reading with
positions in errors, and size, depth and alias limits), ``jsonfile`` (the same limits for JSON,
with duplicate keys and numbers bounded), ``files`` (regular files only, a cap by reading, and
resource paths kept inside their package), ``conflicts`` (the disagreement
register with its resolutions), ``diff`` (rows added, removed and changed between two versions),
``warnings`` (what `rekit data check` flags without failing).

Nothing here knows of deals, the model, charts or reports.
"""

from __future__ import annotations

from typing import Any

from rekit.paths import data_dir

__all__ = ["Dataset", "DataError", "data_dir", "load"]


def __getattr__(name: str) -> Any:
    """`Dataset`, `load` and `DataError`, imported when first asked for (PEP 562): the small readers
    here (``jsonfile``, ``files``, ``periods``) are used by commands that must not wait for pandas."""
    if name in ("Dataset", "load"):
        from rekit.data import dataset

        return getattr(dataset, name)
    if name == "DataError":
        from rekit.data.problems import DataError

        return DataError
    raise AttributeError(f"module 'rekit.data' has no attribute {name!r}")
