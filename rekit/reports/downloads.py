"""The data behind a chart, as Our World in Data gives it: a tidy CSV that a bare
``pandas.read_csv(path)`` reads (one row per deal × year × metric, or per bar, link or event, with
columns such as ``deal, year, metric, unit, p05, p50, p95`` and the bases), and beside it a
``NAME.metadata.json`` with the title, the units, the sources with their citations, the report's
parameters, rekit and data versions, the git commit, the build date and the licences. A report's
downloads, its executed notebook and a README (citation, licence, caveats) also come as one zip.

The rows come from the figure itself, so the file cannot disagree with the picture: a chart of
rekit.figures.charts carries the table its traces were drawn from in ``layout.meta.table``
(`rekit.figures.charts.set_table`), one frame for the traces and the download. A figure without one
(a user's own plot) gives one row per point drawn (``series, x, y`` and the hover extras), a Sankey
one row per link (``from, to, value``); traces marked as comparisons (the grey medians behind each
panel, ``legendgroup`` ``others``) are left out, as they repeat another series' rows.

Every cell goes through the kit's one CSV rule (rekit.csvcells): text a spreadsheet would run as a
formula is neutralised; numbers stay numbers.
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rekit import csvcells

#: Licences: the kit's code (pyproject.toml) and the data package's (data/datapackage.json).
LICENCES = {"code": "MIT", "data": "CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)"}
COMPARISON_GROUP = "others"  # legendgroup of the grey comparison lines (rekit.figures.charts.projection_chart)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry's time in the zip: the same downloads give the same bytes


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
    if v is None or (isinstance(v, float) and v != v):
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


def _meta(fig: Mapping[str, Any]) -> dict[str, Any]:
    meta = (fig.get("layout") or {}).get("meta") or {}
    return meta if isinstance(meta, dict) else {}


def carried_table(fig: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]] | None:
    """(columns, rows) of the table a kit chart carries (``layout.meta.table``), or None."""
    t = _meta(fig).get("table")
    if not isinstance(t, dict) or not isinstance(t.get("columns"), list) or not isinstance(t.get("data"), list):
        return None
    columns = [str(c) for c in t["columns"]]
    rows = [[_plain(v) for v in r] + [""] * (len(columns) - len(r)) for r in t["data"] if isinstance(r, (list, tuple))]
    return columns, [r[:len(columns)] for r in rows]


def trace_rows(fig: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of the numbers a plotly figure (as a dict) draws, for a figure that carries no
    table: one row per link of a Sankey, else one row per point of each trace but the comparisons."""
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
    drawn = [t for t in data if t.get("legendgroup") != COMPARISON_GROUP]
    extra_n = 0  # detail columns: as many as the longest customdata row of any trace (not its first row's)
    for t in drawn:
        cd = t.get("customdata")
        if isinstance(cd, list):
            extra_n = max([extra_n] + [len(r) for r in cd if isinstance(r, (list, tuple))])
    columns = ["series", "x", "y"] + [f"detail_{i + 1}" for i in range(extra_n)]
    rows = []
    for k, t in enumerate(data):
        if t not in drawn:
            continue
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


def figure_rows(fig: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of a chart's download: the table it carries, else the numbers its traces draw."""
    return carried_table(fig) or trace_rows(fig)


def figure_csv(fig: Mapping[str, Any]) -> str:
    """The chart's tidy CSV: one line of column names, then one line per row; no other line, so a bare
    ``pandas.read_csv`` reads it. Every cell is written by the kit's CSV writer (rekit.csvcells): a
    series named after a deal ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``; numbers stay numbers."""
    columns, rows = figure_rows(fig)
    buf = io.StringIO()
    w = csvcells.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A headline table's CSV (column names, then rows), through the kit's CSV rule."""
    buf = io.StringIO()
    w = csvcells.writer(buf)
    w.writerow(list(columns))
    w.writerows([[_plain(v) for v in r] for r in rows])
    return buf.getvalue()


def read_figure_csv(text: str) -> list[dict[str, str]]:
    """The rows of a CSV written by `figure_csv` or `table_csv`, each a dict by column (for tests and
    readers in Python); cells come back as written (a neutralised cell keeps its leading ``'``)."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def figure_metadata(fig: Mapping[str, Any], sources: Sequence[Mapping[str, str]] = (),
                    parameters: Mapping[str, Any] | None = None, provenance: Mapping[str, str] | None = None,
                    report: str = "", csv_name: str = "") -> dict[str, Any]:
    """What a chart's CSV needs to be read and cited (its ``NAME.metadata.json``): title, the report,
    the text description, the method note, the columns and their units, the sources (each ``id`` and
    ``citation``), the parameters, rekit and data versions, commit, build date and licences."""
    layout = fig.get("layout") or {}
    meta = _meta(fig)
    table = meta.get("table")
    units: dict[str, Any] = {}
    if isinstance(table, dict) and isinstance(table.get("units"), dict):
        units = table["units"]
    columns, _ = figure_rows(fig)
    return metadata(title=_title(layout.get("title")), report=report, file=csv_name,
                    description=str(meta.get("alt") or ""), method=str(meta.get("note") or ""),
                    columns={c: {"unit": _text(units.get(c, ""))} for c in columns},
                    axes=_axis_titles(layout), sources=sources, parameters=parameters, provenance=provenance)


def metadata(*, title: str, report: str = "", file: str = "", description: str = "", method: str = "",
             columns: Mapping[str, Any] | None = None, axes: Mapping[str, str] | None = None,
             sources: Sequence[Mapping[str, str]] = (), parameters: Mapping[str, Any] | None = None,
             provenance: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The metadata record of one download (see `figure_metadata`)."""
    prov = dict(provenance or {})
    return {
        "title": " ".join(title.split()), "report": report, "file": file, "description": description, "method": method,
        "columns": dict(columns or {}), "axes": dict(axes or {}),
        "sources": [dict(s) for s in sources], "parameters": json.loads(json.dumps(dict(parameters or {}), default=str)),
        "rekit_version": prov.get("rekit_version", ""), "data_version": prov.get("data_version", ""),
        "commit": prov.get("commit", ""), "built": prov.get("built", ""), "licence": dict(LICENCES),
    }


def metadata_json(record: Mapping[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def readme(title: str, citation: str, files: Sequence[str], provenance: Mapping[str, str], caveats: Sequence[str] = ()) -> str:
    """The README of a report's zip: what each file is, how to cite it, the licences and the caveats."""
    lines = [f"# {' '.join(title.split())}", "",
             "The data behind this report's charts and tables, as tidy CSV files (one line of column names, then one",
             "row per deal, year and metric, or per bar, link or event), each with a NAME.metadata.json beside it",
             "(title, units, sources with citations, parameters, versions), and the executed notebook.", "", "## Files", ""]
    lines += [f"- {f}" for f in files]
    lines += ["", "## Cite", "", citation, "",
              f"rekit {provenance.get('rekit_version', '?')}, data version {provenance.get('data_version', '?')}, "
              f"commit {provenance.get('commit', '?')}, built {provenance.get('built', '?')}.", "",
              "## Licence", "", f"Code: {LICENCES['code']}. Data: {LICENCES['data']}; each figure's own source is",
              "named in the metadata and must be cited with it.", "", "## Caveats", ""]
    lines += [f"- {c}" for c in caveats] or ["- Model results are projections under stated assumptions, not forecasts."]
    return "\n".join(lines) + "\n"


def zip_bytes(files: Mapping[str, str | bytes]) -> bytes:
    """A zip of `files` (name -> content), in the order given, each entry dated 1980-01-01 so the same
    files give the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, content)
    return buf.getvalue()


def chart_file(stem: str, k: int) -> str:
    """File name of a report's k-th chart data (1-based)."""
    return f"{stem}.chart-{k}.csv"


def table_file(stem: str, k: int) -> str:
    """File name of a report's k-th headline table (1-based)."""
    return f"{stem}.table-{k}.csv"


def metadata_file(csv_name: str) -> str:
    """``NAME.metadata.json`` beside ``NAME.csv``."""
    return csv_name.removesuffix(".csv") + ".metadata.json"


def zip_file(stem: str) -> str:
    """File name of a report's one zip of downloads."""
    return f"{stem}.zip"


def iter_figures(nb) -> Iterable[dict]:
    from rekit.figures.render import MIME

    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if MIME in data:
                yield data[MIME]
