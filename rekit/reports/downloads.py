"""The data behind a chart, as a CSV file of exactly the numbers drawn, in the spirit of Our World
in Data's downloads: ``#`` header lines give the chart's title, units (its axis titles), sources,
the report's parameters, rekit version, data version, git commit and build date; then one row per
point drawn.

Every cell and header line goes through the kit's one CSV rule (rekit.csvcells): text a
spreadsheet would run as a formula is neutralised, and the header lines are CSV-quoted.

The rows come from the figure itself (plotly's JSON), not from a second computation, so the file
cannot disagree with the picture: scatter/bar traces give one row per point (trace, x, y and the
hover extras), a Sankey one row per link (from, to, value).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rekit import csvcells


def _text(value: Any) -> str:
    """A chart's text as the reader saw it: the kit's own line breaks as spaces, and the entities
    data text was escaped to for plotly (rekit.figures.charts.plain) back to their characters; the
    CSV writer then neutralises it (rekit.csvcells), so nothing is left as markup or formula."""
    return html.unescape(str(value).replace("<br>", " "))


def _title(obj: Any) -> str:
    if isinstance(obj, dict):
        obj = obj.get("text")
    return _text(obj or "")


def _axis_titles(layout: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in layout.items():
        if (key.startswith("xaxis") or key.startswith("yaxis")) and isinstance(value, dict):
            t = _title(value.get("title"))
            if t:
                out[key] = t
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return ""
    return _text(v) if isinstance(v, str) else v


def _cells(values: Any, n: int) -> list[Any]:
    """A trace's per-point array as a list of n values (plotly may store typed arrays as {dtype, bdata})."""
    if values is None:
        return [""] * n
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        if "shape" in values:
            arr = arr.reshape([int(x) for x in str(values["shape"]).split(",")])
        values = arr.tolist()
    if not isinstance(values, (list, tuple)):
        return [values] * n
    return list(values) + [""] * (n - len(values))


def figure_rows(fig: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of the numbers a plotly figure (as a dict) draws."""
    data = fig.get("data") or []
    if any(t.get("type") == "sankey" for t in data):
        rows = []
        for t in data:
            if t.get("type") != "sankey":
                continue
            labels = _cells((t.get("node") or {}).get("label"), 0)
            link = t.get("link") or {}
            src, dst = _cells(link.get("source"), 0), _cells(link.get("target"), 0)
            val = _cells(link.get("value"), len(src))
            # a hand-made sankey may give fewer targets than sources: plotly draws the links both give, so does the CSV
            for s, d, v in zip(src, dst, val, strict=False):
                rows.append([_text(labels[int(s)]) if int(s) < len(labels) else s,
                             _text(labels[int(d)]) if int(d) < len(labels) else d, v])
        unit = next((t.get("valuesuffix", "").strip() for t in data if t.get("type") == "sankey"), "")
        return ["from", "to", f"value ({unit})" if unit else "value"], rows
    extra_n = 0  # detail columns: as many as the longest customdata row of any trace (not its first row's)
    for t in data:
        cd = t.get("customdata")
        if isinstance(cd, list):
            extra_n = max([extra_n] + [len(r) for r in cd if isinstance(r, (list, tuple))])
    columns = ["series", "x", "y"] + [f"detail_{i + 1}" for i in range(extra_n)]
    rows = []
    for k, t in enumerate(data):
        x, y = t.get("x"), t.get("y")
        if x is None and y is None:
            continue
        n = max(len(_cells(x, 0)), len(_cells(y, 0)))
        xs, ys = _cells(x, n), _cells(y, n)
        cd = _cells(t.get("customdata"), n)
        name = _text(t.get("name") or f"trace {k + 1}")
        for i in range(n):
            extras = list(cd[i]) if isinstance(cd[i], (list, tuple)) else ([cd[i]] if cd[i] != "" else [])
            extras = [_text(e) if isinstance(e, str) else e for e in extras]
            rows.append([name, _plain(xs[i]), _plain(ys[i])] + extras + [""] * (extra_n - len(extras)))
    return columns, rows


def header_lines(fig: Mapping[str, Any], sources: Sequence[str], parameters: Mapping[str, Any],
                 provenance: Mapping[str, str], report: str = "") -> list[str]:
    """The ``#`` lines at the top of a chart's CSV (without the ``#``)."""
    layout = fig.get("layout") or {}
    meta = layout.get("meta") or {}
    lines = [f"title: {_title(layout.get('title'))}"]
    if report:
        lines.append(f"report: {report}")
    for axis, t in _axis_titles(layout).items():
        lines.append(f"{axis}: {t}")
    if isinstance(meta, dict) and meta.get("note"):
        lines.append(f"method: {meta['note']}")
    for i, s in enumerate(sources, 1):
        lines.append(f"source [{i}]: {s}")
    for k, v in parameters.items():
        lines.append(f"parameter {k}: {json.dumps(v, default=str, ensure_ascii=False)}")
    for k in ("rekit_version", "data_version", "commit", "built"):
        if k in provenance:
            lines.append(f"{k.replace('_', ' ')}: {provenance[k]}")
    return [" ".join(str(line).split()) for line in lines]


def figure_csv(fig: Mapping[str, Any], sources: Sequence[str] = (), parameters: Mapping[str, Any] | None = None,
               provenance: Mapping[str, str] | None = None, report: str = "") -> str:
    """The CSV text: ``#`` header lines, then the column names and the rows drawn.

    Every line is written by the kit's CSV writer (rekit.csvcells): each header line is one cell
    (quoted when it holds a comma or a quote, so a source title such as ``a,"=HYPERLINK(1)``
    cannot start a second cell), and every cell is neutralised (a series named after a deal
    ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``); numbers stay numbers."""
    columns, rows = figure_rows(fig)
    buf = io.StringIO()
    w = csvcells.writer(buf)
    for line in header_lines(fig, sources, parameters or {}, provenance or {}, report):
        w.writerow([f"# {line}"])
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def read_figure_csv(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(header fields, rows) of a CSV written by `figure_csv` (for tests and for readers in Python).

    The header lines are the one-cell rows starting with ``# `` before the column names; cells
    come back as written (a neutralised cell keeps its leading ``'``)."""
    head: dict[str, str] = {}
    records = csv.reader(io.StringIO(text, newline=""))
    columns: list[str] | None = None
    for record in records:
        if len(record) == 1 and record[0].startswith("# "):
            k, _, v = record[0][2:].partition(": ")
            head[k] = v
            continue
        columns = record
        break
    if columns is None:
        return head, []
    return head, [dict(zip(columns, record, strict=True)) for record in records if record]


def chart_file(stem: str, k: int) -> str:
    """File name of a report's k-th chart data (1-based)."""
    return f"{stem}.chart-{k}.csv"


def iter_figures(nb) -> Iterable[dict]:
    from rekit.figures.render import MIME

    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if MIME in data:
                yield data[MIME]
