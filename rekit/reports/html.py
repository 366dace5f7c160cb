"""HTML pages: an executed notebook as an offline report page (nbconvert's `lab` template), the batch's
index.html (a landing page with one card per story, then the build table), the shared methods page,
the assets beside them (plotly.min.js, rekit-lab.css) and atomic writes of all of them.

Everything we write into a page comes from jinja2 templates in rekit/reports/templates/ rendered
with autoescape on: a data value holding HTML or script is shown as text, and only http(s)
addresses become links. Each chart of a report is wrapped in a <figure> with its text description
(``aria-label`` on a ``role="img"`` element, and a "Text description" under it), its sources as
numbered references into the report's source list, and a "Download data" link to a CSV of the
numbers drawn (rekit.reports.downloads). Each report ends with its sources, its parameters and the
model inputs they select, a methods note and a "Cite this" block; its executed notebook is written
beside it. plotly.js is loaded with ``defer`` (it never blocks the first paint) or, for a
self-contained page, inlined.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from typing import Any

from rekit.atomic import write_all_atomic, write_atomic
from rekit.reports.jobs import Job, ReportError, ReportResult
from rekit.reports import citation, downloads


CSS_NAME = "rekit-lab.css"
INDEX = "index.html"


TEMPLATES = Path(__file__).resolve().parent / "templates"
METHODS = "methods.html"
REPORT_TEMPLATE = "rekit_report.html.j2"


def templates():
    """The jinja2 environment of our own templates (autoescape on for every one of them)."""
    env = getattr(_local, "env", None)
    if env is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        env = _local.env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                       undefined=StrictUndefined, trim_blocks=False)
    return env


def render(template: str, **context) -> str:
    """Render one of rekit/reports/templates/ with autoescape."""
    from markupsafe import Markup

    return Markup(templates().get_template(template).render(**context))


_CSS_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{#- only the CSS the lab template would inline -#}
{%- block header -%}{{ self.notebook_css() }}{%- endblock header -%}
{%- block body -%}{%- endblock body -%}
{%- block footer -%}{%- endblock footer -%}
"""

_HEADER_CSS = """
.rekit-chart { margin: 8px 0 20px 0; } .rekit-chart figcaption { font-size: 14px; line-height: 1.45; color: #333; max-width: 60em; }
.rekit-chart .rekit-note { color: #444; } .rekit-download { font-weight: 600; margin-left: 4px; }
.rekit-report-footer { font-family: var(--jp-ui-font-family, sans-serif); font-size: 15px; line-height: 1.5; color: #222;
  max-width: 70em; margin: 24px auto; padding: 0 20px; }
.rekit-report-footer h2 { font-size: 20px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.rekit-report-footer a, .rekit-chart figcaption a { color: #1565c0; text-decoration: underline; }
.rekit-source-list li { margin-bottom: 4px; } .rekit-nolink { color: #666; word-break: break-all; }
.rekit-table-scroll, .rekit-table-wrap { overflow-x: auto; max-width: 100%; }
.rekit-table { border-collapse: collapse; font-size: 14px; } .rekit-table th, .rekit-table td { border-bottom: 1px solid #e3e3e3;
  padding: 4px 8px; text-align: left; vertical-align: top; }
.rekit-table .num, .rekit-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.rekit-table th { background: #f5f5f5; } .changed { font-weight: bold; }
.rekit-cite pre { white-space: pre-wrap; background: #f7f7f7; padding: 8px; } .rekit-provenance { color: #555; font-size: 13px; }
.rekit-failed { color: #b71c1c; }
.rekit-report-header { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; color: #444;
  border-bottom: 1px solid #ddd; margin: 0 0 12px 0; padding: 8px 12px; background: #fafafa; }
.rekit-report-header a { color: #1565c0; }
.rekit-report-header table { border-collapse: collapse; margin-top: 4px; }
.rekit-report-header td { padding: 1px 10px 1px 0; vertical-align: top; font-family: var(--jp-code-font-family, monospace); }
.rekit-report-header td.changed { font-weight: bold; }
.rekit-report-header .rekit-built { color: #777; }
.rekit-toc { font-family: var(--jp-ui-font-family, sans-serif); font-size: 14px; margin: 0 12px 12px 12px; padding: 6px 12px;
  border-left: 3px solid #0072B2; background: #f7fafd; } .rekit-toc ol { margin: 4px 0; padding-left: 22px; columns: 2; }
.rekit-toc a { color: #1565c0; }
"""

_local = threading.local()


def _exporter(show_input: bool):
    """An HTMLExporter for this thread (nbconvert objects are not shared between threads)."""
    cache = getattr(_local, "exporters", None)
    if cache is None:
        cache = _local.exporters = {}
    if show_input not in cache:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        c = Config()
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
        c.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input", "hide-input", "hide_input"}
        c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
        from jinja2 import FileSystemLoader

        ex = HTMLExporter(config=c, template_name="lab", extra_loaders=[FileSystemLoader(str(TEMPLATES))],
                          template_file=REPORT_TEMPLATE)
        ex.exclude_input = not show_input
        ex.exclude_input_prompt = not show_input
        ex.exclude_output_prompt = not show_input
        cache[show_input] = ex
    return cache[show_input]


def lab_css() -> str:
    """The CSS nbconvert's `lab` template would inline in every page (light theme), plus the header's."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    import nbformat

    ex = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"rekit_css.j2": _CSS_TEMPLATE})],
                      template_file="rekit_css.j2")
    out, _ = ex.from_notebook_node(nbformat.v4.new_notebook())
    styles = re.findall(r"<style[^>]*>(.*?)</style>", out, flags=re.S)
    return "\n".join(s.strip() for s in styles) + "\n" + _HEADER_CSS


_EXTERNAL = r"""["']?\s*((?:https?:)?//[^"'\s>]+)"""
_SCRIPT_RE = re.compile(r"<script\b[^>]*\bsrc\s*=\s*" + _EXTERNAL + r"""[^>]*>\s*</script\s*>""", re.I)
_LINK_RE = re.compile(r"<link\b[^>]*\bhref\s*=\s*" + _EXTERNAL + r"[^>]*>", re.I)
_EMBED_RE = re.compile(r"<(img|iframe)\b[^>]*\bsrc\s*=\s*" + _EXTERNAL + r"[^>]*>(?:\s*</iframe\s*>)?", re.I)
# @import url(URL) (quoted or not: an unquoted URL ends at its ')') or @import "URL", then any media list up to
# its ';' (or the end of the rule's text): never past a '{', '}' or '<', so nothing after the rule goes with it
_IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*["']?\s*((?:https?:)?//[^"'\s>()]+)["']?\s*\)"""
                        r"""|["']\s*((?:https?:)?//[^"'\s>]+)["'])[^;<{}]*;?""", re.I)


def make_offline(page: str) -> tuple[str, list[str]]:
    """Remove what would make a browser fetch from the web (scripts, stylesheets, images, frames, @import);
    returns the page and the URLs removed. Images and frames become links (they are content)."""
    removed: list[str] = []

    def drop(m: re.Match) -> str:
        removed.append(m.group(1))
        return ""

    def to_link(m: re.Match) -> str:
        url = m.group(2)
        removed.append(url)
        return f'<a href="{html.escape(url)}">[{m.group(1).lower()}: {html.escape(url)}]</a>'

    page = _SCRIPT_RE.sub(drop, page)
    fetching = r"rel\s*=\s*[\"']?(stylesheet|preload|modulepreload|icon|prefetch|dns-prefetch|preconnect)"
    page = _LINK_RE.sub(lambda m: drop(m) if re.search(fetching, m.group(0), re.I) else m.group(0), page)
    page = _EMBED_RE.sub(to_link, page)
    def drop_import(m: re.Match) -> str:
        removed.append(m.group(1) or m.group(2))
        return ""

    page = _IMPORT_RE.sub(drop_import, page)
    return page, removed


TOC_MIN = 4  # sections a page needs to get a table of contents
_H2_RE = re.compile(r'<h2\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h2>', re.S | re.I)
_HEADER_END = '</header>'


def add_contents(page: str) -> str:
    """A table of contents after the report's header, linking every section (each ``<h2>`` with an id: the
    notebook's headings and the footer's Sources, Parameters, Methods, Cite this, Downloads), for a page of
    `TOC_MIN` sections or more; a shorter page is returned unchanged. The headings' text is shown as text."""
    found = [(i, re.sub(r"<[^>]+>", "", body)) for i, body in _H2_RE.findall(page)]
    found = [(i, html.unescape(t).replace("¶", "").strip()) for i, t in found]
    found = [(i, t) for i, t in found if t]
    start = page.find('<header class="rekit-report-header">')
    end = page.find(_HEADER_END, start) if start >= 0 else -1
    if len(found) < TOC_MIN or end < 0:
        return page
    items = "".join(f'<li><a href="#{html.escape(i)}">{html.escape(t)}</a></li>' for i, t in found)
    nav = f'<nav class="rekit-toc" aria-label="Contents"><strong>Contents</strong><ol>{items}</ol></nav>'
    end += len(_HEADER_END)
    return page[:end] + nav + page[end:]


_WIDGET = "application/vnd.jupyter.widget-view+json"


def _prepare_outputs(nb) -> tuple[bool, int]:
    """Give plotly outputs that lack one a text/html rendering (a notebook that did not import
    rekit.render); returns (whether the notebook shows a plotly figure, how many widget outputs
    it has: a static page cannot show those)."""
    from rekit.figures.render import MIME, figure_html

    any_fig = False
    widgets = 0
    counts: dict[str, int] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if _WIDGET in data:
                widgets += 1
            if MIME in data:
                any_fig = True
                if "text/html" not in data:
                    text = json.dumps(data[MIME], sort_keys=True)
                    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
                    counts[digest] = counts.get(digest, 0) + 1
                    div = f"rekit-{digest}" + (f"-{counts[digest]}" if counts[digest] > 1 else "")
                    data["text/html"] = figure_html(text, div)
            elif "rekit-figure" in str(data.get("text/html", "")):
                any_fig = True
    return any_fig, widgets


def _value_text(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)


def build_time() -> str:
    return _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def deals_file_label(path: str | os.PathLike) -> str:
    """A deals file as a page shows it: its name and the first 12 hex digits of its SHA-256, not its
    folder (``my_deals.yml (sha256 1a2b3c4d5e6f)``); a file that cannot be read shows its name alone."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return Path(path).name
    return f"{Path(path).name} (sha256 {digest})"


def _param_rows(job: Job) -> list[dict]:
    return [{"name": k, "value": deals_file_label(v) if k == "deals_file" and v else _value_text(v),
             "changed": k in job.params} for k, v in job.effective.items()]


_data_cache: dict[tuple, Any] = {}
_data_lock = threading.Lock()


def _dataset():
    """The dataset in use (loaded once per data folder and process)."""
    from rekit.data.dataset import load
    from rekit.paths import data_dir

    key = ("ds", str(data_dir()))
    with _data_lock:
        if key not in _data_cache:
            _data_cache[key] = load()
        return _data_cache[key]


def _deal_book(ds, deals_file: str | None):
    from rekit.model.deals import load_deals

    key = ("book", id(ds), deals_file or "")
    with _data_lock:
        if key not in _data_cache:
            _data_cache[key] = load_deals(deals_file, ds=ds) if deals_file else load_deals(ds=ds)
        return _data_cache[key]


def _methods() -> dict:
    """What the methods page prints, generated from the model (rekit.model.docs.methods), once per data folder."""
    from rekit.model.docs import methods

    ds = _dataset()
    key = ("methods", id(ds))
    if key not in _data_cache:
        _data_cache[key] = methods(_deal_book(ds, None))
    return _data_cache[key]


def _formulas() -> list[dict]:
    """The metrics with a formula, for a report's methods section (rekit.model.docs.headline_formulas)."""
    from rekit.model.docs import headline_formulas

    return headline_formulas()


def _field(row, name: str) -> str:
    try:
        v = row[name]
    except (KeyError, IndexError):
        return ""
    if v is None or (isinstance(v, float) and v != v) or str(v) in ("nan", "<NA>", "NaT"):
        return ""
    return str(v)


class Sources:
    """A report's numbered source list: ids in order of first use, each with its number."""

    def __init__(self, ds):
        self.ds = ds
        self.ids: list[str] = []

    def number(self, source_id: str) -> int | None:
        if self.ds is None:
            return None
        try:
            self.ds.source(source_id)
        except KeyError:
            return None
        if source_id not in self.ids:
            self.ids.append(source_id)
        return self.ids.index(source_id) + 1

    def refs(self, text: str) -> list[int]:
        """Numbers for the source ids and ``obs:ID`` tokens in a deals-file source string."""
        out = []
        by_obs = None
        for token in str(text).split():
            sid = None
            if token.startswith("obs:"):
                if by_obs is None:
                    by_obs = dict(zip(self.ds.observations["id"], self.ds.observations["source_id"], strict=True))
                sid = by_obs.get(token[4:])
            elif token in set(self.ds.sources["source_id"]):
                sid = token
            n = self.number(sid) if sid else None
            if n is not None and n not in out:
                out.append(n)
        return out

    def entries(self) -> list[dict]:
        out = []
        for sid in self.ids:
            row = self.ds.source(sid)
            url = _field(row, "url")
            out.append({"id": sid, "title": _field(row, "title"), "publisher": _field(row, "publisher"),
                        "date": _field(row, "date"), "reports_on": _field(row, "reports_on"),
                        "accessed": _field(row, "accessed"), "url": url,
                        "link": url.strip() if citation.is_web_link(url) else ""})
        return out


def _fmt_num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


SHARED = "shared"  # the owner of an input's value that two or more deals of a report have alike


def input_label(name: str) -> str:
    """A deal input in plain words, from the model's parameter table (rekit.model.deals.PARAMS: its
    meaning before the first ':' or ' ('), e.g. eta_metal -> "Reduction of NdPr oxide to metal"; a share
    ``share X`` -> "Share of IREL's neodymium: X"; the id itself when the table does not know it."""
    from rekit.model.deals import PARAMS

    if name.startswith("share "):
        return f"Share of IREL's neodymium: {name[6:]}"
    doc = getattr(PARAMS.get(name), "doc", "")
    words = doc.split(":")[0].split(" (")[0].strip()
    return (words[0].upper() + words[1:]) if words else name


def assumptions(book, deals: Sequence[str], basis: str | None, sources: Sources) -> list[dict]:
    """The model inputs a report used: every parameter of its deals and its production basis, by year
    where it is a schedule, with value, range, unit and source (numbered into `sources`). An input the
    deals share is listed once (the value most of them have), its owner `SHARED`; then, per deal, only the
    inputs it sets otherwise.
    Each row names the input in plain words (`input_label`) and keeps its id (``id``: what a deals file
    or ``--set`` takes)."""
    ids = set(sources.ds.sources["source_id"])

    def rows_of(owner: str, name: str, schedule, unit: str | None = None) -> list[dict]:
        out = []
        for year, q in getattr(schedule, "points", ()):
            text = str(q.source)
            out.append({"owner": owner, "shared": owner == SHARED, "name": input_label(name), "id": name,
                        "year": str(year) if year else "all",
                        "value": _fmt_num(q.value), "range": "" if q.low == q.high else f"{_fmt_num(q.low)}–{_fmt_num(q.high)}",
                        "unit": unit or q.unit, "source": text,
                        "note": getattr(q, "note", "") or ""})
        return out

    rows: list[dict] = []
    if basis:
        try:
            rows += rows_of(f"basis {basis}", "IREL output", book.basis(basis).schedule)
        except Exception:
            pass
    per_deal: dict[str, dict[str, list[dict]]] = {}
    for d in deals:
        try:
            deal = book.get(d)
        except Exception:
            continue
        inputs = {f"share {share}": sched for share, sched in deal.shares.items() if sched is not None}
        inputs.update(deal.params)
        per_deal[d] = {name: rows_of(d, name, sched) for name, sched in inputs.items()}

    def key(rs: list[dict]) -> str:
        return json.dumps([{k: v for k, v in r.items() if k != "owner"} for r in rs], sort_keys=True, default=str)

    names = list(dict.fromkeys(n for by in per_deal.values() for n in by))
    common: dict[str, str] = {}  # input -> the value most deals share (two or more), listed once
    for n in names:
        groups: dict[str, list[str]] = {}
        for d, by in per_deal.items():
            if n in by:
                groups.setdefault(key(by[n]), []).append(d)
        best = max(groups.items(), key=lambda kv: len(kv[1]), default=None)
        if best is not None and len(best[1]) >= 2:
            common[n] = best[0]
            rows += [{**r, "owner": SHARED, "shared": True} for r in per_deal[best[1][0]][n]]
    for by in per_deal.values():
        for n, rs in by.items():
            if common.get(n) != key(rs):
                rows += rs
    for r in rows:  # numbered in the order shown
        text = r.pop("source")
        r["refs"] = sources.refs(text)
        r["text"] = " ".join(t for t in text.split() if not t.startswith("obs:") and t not in ids)
    return rows


_ID_RE = re.compile(r'id="(rekit-[0-9a-f]+(?:-\d+)?)"')


def _strip_source_note(fig: dict) -> dict:
    """The figure without its sources annotation (the report lists them under it as references)."""
    from rekit.figures.charts import SOURCES_NAME

    fig = json.loads(json.dumps(fig))
    layout = fig.setdefault("layout", {})
    if isinstance(layout.get("meta"), dict):
        layout["meta"].pop("table", None)  # the download's rows: in the CSV beside the page, not in its script
    anns = layout.get("annotations") or []
    keep = [a for a in anns if not (isinstance(a, dict) and a.get("name") == SOURCES_NAME)]
    if len(keep) != len(anns):
        layout["annotations"] = keep
        lines = int((layout.get("meta") or {}).get("source_lines") or 0)
        margin = layout.setdefault("margin", {})
        if margin.get("b"):
            margin["b"] = max(50, margin["b"] - 17 * lines - 20)
        if layout.get("height"):
            layout["height"] = max(250, layout["height"] - 17 * lines - 30)
    return fig


@dataclass
class Rendered:
    """A report page and what comes with it: files to write beside it (name -> text), its finding
    (a one-line result for the landing page), its first chart (for a thumbnail), warnings."""

    page: str
    warnings: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    finding: str = ""
    first_figure: dict | None = None
    envelope: str = ""  # the finding's structural envelope, in words (the landing-page card shows it under the finding)
    alone: bool = False  # a self-contained page: written alone, without downloads or a landing-page card


def _finding(nb, first_alt: str = "") -> str:
    """The report's one-line finding: a `rekit.figures.headlines.finding` output if the notebook shows
    one, else the numbers of its first chart's description (what follows its title), shortened."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            meta = out.get("metadata") or {}
            f = (meta.get("rekit") or {}).get("finding") if isinstance(meta.get("rekit"), dict) else None
            if f:
                return " ".join(str(f).split())
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z0-9])", " ".join(first_alt.split()))
    out = ""
    for sent in sentences[1:]:
        if out and len(out) + len(sent) > 240:
            break
        out = f"{out} {sent}".strip()
    if not out and first_alt:  # a description of one sentence: that sentence, shortened at a word
        import textwrap

        out = textwrap.shorten(" ".join(first_alt.split()), 240, placeholder="…")
    return out


def _finding_envelope(nb) -> str:
    """The structural envelope that came with the report's finding (``rekit.envelope`` beside
    ``rekit.finding`` in the output's metadata, from `rekit.figures.headlines.finding`), or ''."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            meta = (out.get("metadata") or {}).get("rekit")
            if isinstance(meta, dict) and meta.get("finding"):
                return " ".join(str(meta.get("envelope") or "").split())
    return ""


def render_report(nb, job: Job, *, show_input: bool, built: str, index_link: bool = False, note: str = "",
                  downloads_too: bool = True, self_contained: bool = False) -> Rendered:
    """Render an executed notebook as a report page: figures wrapped with their description, numbered
    sources and data download; header, sources, parameters, methods and "Cite this" from templates.
    With `downloads_too`, `files` holds what is written beside it: each chart's and headline table's
    tidy CSV with its ``.metadata.json`` (rekit.reports.downloads), the executed notebook, and one zip of
    them all with a README. A `self_contained` page has no files beside it: it is the one file written."""
    import nbformat
    from rekit.figures.render import MIME, figure_html

    downloads_too = downloads_too and not self_contained

    has_fig, widgets = _prepare_outputs(nb)
    nb.metadata["title"] = job.title
    warnings: list[str] = []
    try:
        ds = _dataset()
    except Exception as exc:  # the data cannot be read: the page still shows, without its source list
        ds = None
        warnings.append(f"{job.file}: the data could not be loaded for the source list ({exc})")
    sources = Sources(ds)
    deals_file = job.effective.get("deals_file") or None
    info = citation.kit_info(built[:10])
    files: dict[str, str | bytes] = {}
    first = None
    k = n_tables = 0
    param_values = dict(job.effective)
    if deals_file:  # by its name and hash, as the page shows it
        param_values["deals_file"] = deals_file_label(deals_file)
    for cell in nb.cells:
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            table = ((out.get("metadata") or {}).get("rekit") or {}).get("table") if isinstance(
                (out.get("metadata") or {}).get("rekit"), dict) else None
            if downloads_too and isinstance(table, dict) and "text/html" in data:
                n_tables += 1
                name = downloads.table_file(job.stem, n_tables)
                files[name] = downloads.table_csv(table.get("columns") or [], table.get("data") or [])
                files[downloads.metadata_file(name)] = downloads.metadata_json(downloads.metadata(
                    title=str(table.get("caption") or f"Table {n_tables}"), report=job.title, file=name,
                    columns={str(c): {"unit": str((table.get("units") or {}).get(c, ""))} for c in table.get("columns") or []},
                    parameters=param_values, provenance=info))
                data["text/html"] = str(data["text/html"]) + str(render("table_download.html.j2", csv=name))
            if MIME not in data:
                continue
            k += 1
            fig = data[MIME]
            meta = (fig.get("layout") or {}).get("meta") or {}
            meta = meta if isinstance(meta, dict) else {}
            refs = [n for n in (sources.number(str(sid)) for sid in meta.get("sources") or []) if n is not None]
            csv_name = downloads.chart_file(job.stem, k) if downloads_too else ""
            if downloads_too:
                cited = [{"id": str(s), "citation": ds.cite(s, "text") if ds is not None else str(s)}
                         for s in meta.get("sources") or [] if sources.number(str(s))]
                files[csv_name] = downloads.figure_csv(fig)
                files[downloads.metadata_file(csv_name)] = downloads.metadata_json(downloads.figure_metadata(
                    fig, cited, param_values, info, report=job.title, csv_name=csv_name))
            if first is None:
                first = fig
            m = _ID_RE.search(str(data.get("text/html", "")))
            div = m.group(1) if m else f"rekit-{hashlib.sha1(json.dumps(fig, sort_keys=True).encode()).hexdigest()[:12]}-{k}"
            plot = figure_html(json.dumps(_strip_source_note(fig)), div)
            title = (fig.get("layout") or {}).get("title")
            title = title.get("text") if isinstance(title, dict) else title
            alt = str(meta.get("alt") or title or f"chart {k}")
            data["text/html"] = str(render("figure.html.j2", k=k, alt=alt, plot=_markup(plot), note=meta.get("note") or "",
                                           refs=refs, csv=csv_name))
    notebook_file = f"{job.stem}.ipynb" if downloads_too else ""
    zip_name = downloads.zip_file(job.stem) if downloads_too else ""
    dl = []
    if downloads_too:
        dl.append({"href": zip_name, "label": "Everything in one zip: the data (CSV) and metadata of every chart and table, "
                                              "a README with the citation, licence and caveats, and the executed notebook"})
        dl += [{"href": downloads.chart_file(job.stem, i), "label": f"Chart {i}: data (CSV)"} for i in range(1, k + 1)]
        dl += [{"href": downloads.table_file(job.stem, i), "label": f"Table {i}: data (CSV)"} for i in range(1, n_tables + 1)]
        dl.append({"href": notebook_file, "label": "The executed notebook (.ipynb)"})
    deals = job.effective.get("deals") or ([job.effective["deal"]] if job.effective.get("deal") else [])
    rows = []
    if ds is not None and deals:
        try:
            rows = assumptions(_deal_book(ds, deals_file), list(deals), job.effective.get("basis"), sources)
        except Exception as exc:
            warnings.append(f"{job.file}: the model inputs could not be listed ({exc})")
    params = _param_rows(job)
    header = render("report_header.html.j2", note=note, index_link=index_link, name=job.name, built=built,
                    notebook_file=notebook_file, deals_file=deals_file and deals_file_label(deals_file), params=params,
                    footer=True)
    footer = render("report_footer.html.j2", sources=sources.entries() if ds is not None else [], params=params,
                    assumptions=rows, deals_file=deals_file and deals_file_label(deals_file), methods=METHODS, info=info,
                    formulas=_formulas(),
                    citation=citation.cite_kit("text", title=job.title, built=info["built"]),
                    bibtex=citation.cite_kit("bibtex", title=job.title, built=info["built"]), downloads=dl)
    resources = {
        "metadata": {"name": job.title, "path": str(job.notebook.parent)},
        "rekit_plotly": "plotly.min.js" if has_fig else "",
        "rekit_css": CSS_NAME,
        "rekit_header": header,
        "rekit_footer": footer,
    }
    if self_contained:
        resources["rekit_plotly_inline"] = _markup(_inline_js(plotly_js())) if has_fig else ""
        resources["rekit_css_inline"] = _markup(lab_css().replace("</style", "<\\/style"))
    page, _ = _exporter(show_input).from_notebook_node(nb, resources=resources)
    page, removed = make_offline(page)
    page = add_contents(page)
    warnings += [f"{job.file}: removed a reference to {u} (reports must work offline)" for u in removed]
    if widgets:
        warnings.append(f"{job.file}: {widgets} interactive widget output{'s' if widgets > 1 else ''} cannot be shown "
                        f"in a static report (they need a running kernel)")
    if downloads_too:
        files[notebook_file] = nbformat.writes(nb)
        cite = citation.cite_kit("text", title=job.title, built=info["built"])
        caveats = ["Model results are the median and p05-p95 of Monte Carlo draws under the parameters named in each "
                   "metadata file: projections under stated assumptions, not forecasts.",
                   "Each number's source is named in the metadata; check a source's own words before quoting a figure."]
        inside = {name: text for name, text in files.items()}
        inside["README.md"] = downloads.readme(job.title, cite, [*files, "README.md"], info, caveats)
        files[zip_name] = downloads.zip_bytes(inside)
    first_meta = ((first or {}).get("layout") or {}).get("meta") or {}
    finding = _finding(nb, str(first_meta.get("alt") or "") if isinstance(first_meta, dict) else "")
    return Rendered(page, warnings, files, finding, first, _finding_envelope(nb), alone=self_contained)


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


def plotly_js() -> str:
    """plotly.js as plotly.py bundles it (ReportError if it cannot be read: a self-contained page needs it)."""
    try:
        from plotly.offline import get_plotlyjs

        js = get_plotlyjs()
    except Exception as exc:
        raise ReportError(f"--self-contained: cannot read plotly.js to inline it ({exc})") from None
    if not js or len(js) < 1000:
        raise ReportError("--self-contained: plotly.js as bundled with plotly.py is empty; reinstall plotly")
    return js


def _inline_js(js: str) -> str:
    """Script text that cannot end its <script> element early."""
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.I)


def to_html(nb, job: Job, *, show_input: bool, built: str, index_link: bool = False, note: str = "") -> tuple[str, list[str]]:
    """Render an executed notebook as an offline report page; returns (html, warnings). No files beside it."""
    r = render_report(nb, job, show_input=show_input, built=built, index_link=index_link, note=note, downloads_too=False)
    return r.page, r.warnings


def write_report(out_dir: Path, rendered: Rendered, job: Job) -> Path:
    """Write a rendered report, its downloads and its record for the landing page (finding, first chart),
    all or none (`write_all_atomic`): a full disk leaves no chart CSV without its page."""
    meta = {"finding": rendered.finding, "envelope": rendered.envelope, "title": job.title, "figure": rendered.first_figure}
    dest = out_dir / job.file
    files: dict[Path, str | bytes] = {out_dir / name: text for name, text in rendered.files.items()}
    if not rendered.alone:  # a self-contained page is the one file written
        files[out_dir / f".{job.stem}.card.json"] = json.dumps(meta, default=str)
    files[dest] = rendered.page  # moved in last
    write_all_atomic(files)
    return dest


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def prepare_out(out_dir: str | os.PathLike) -> Path:
    """Create the output folder if needed and make sure we can write into it (ReportError if not)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".rekit-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReportError(f"cannot write reports to {out}: {reason}") from None
    return out.resolve()


def write_assets(out_dir: Path) -> None:
    """plotly.min.js and the page CSS, once per folder (rewritten only when they change)."""
    from rekit.figures.render import write_plotlyjs

    write_plotlyjs(out_dir)
    pages = {CSS_NAME: lab_css(),
             METHODS: str(render("methods.html.j2", css=CSS_NAME, info=citation.kit_info(), m=_methods()))}
    for name, text in pages.items():
        dest = out_dir / name
        try:
            if dest.read_text(encoding="utf-8") == text:
                continue
        except OSError:
            pass
        write_atomic(dest, text)


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------

_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px 0; } .sub { color: #666; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td.params { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; white-space: pre-wrap; }
.changed { font-weight: bold; } .ok { color: #1b5e20; font-weight: 600; } .failed { color: #b71c1c; font-weight: 600; }
.notrun { color: #777; } td.built { white-space: nowrap; font-size: 12px; }
.err { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; color: #b71c1c; white-space: pre-wrap; }
a { color: #1565c0; } .num { text-align: right; white-space: nowrap; }
.intro { max-width: 60em; } .intro p { font-size: 16px; line-height: 1.5; } h2 { font-size: 19px; margin-top: 28px; }
.cards { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 16px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 12px; background: #fff; }
.card img { width: 100%; height: auto; border: 1px solid #eee; } .card h3 { font-size: 16px; margin: 8px 0 4px 0; }
.card .finding { font-size: 14px; line-height: 1.4; color: #333; margin: 0; } .scroll { overflow-x: auto; }
.card .envelope { font-size: 13px; line-height: 1.4; color: #555; margin: 6px 0 0 0; }
.card.lead { grid-column: 1 / -1; border-color: #0072B2; } .card.lead h3 { font-size: 19px; }
.card.lead .finding { font-size: 17px; } .card.lead img { max-width: 640px; }
"""


THUMB_SIZE = (640, 400)  # px of a card's thumbnail (shown at half size)
LEAD = "self_sufficiency"  # the story the landing page opens with: its report with the notebook's defaults, then its variants


def _lead_order(job: Job) -> int:
    """A card's place: the lead story's default report first, its other reports next, then the rest in batch order."""
    return 0 if job.name == LEAD and not job.params else (1 if job.name == LEAD else 2)


def _card(out_dir: Path, job: Job) -> dict:
    try:
        return json.loads((out_dir / f".{job.stem}.card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_thumbnails(out_dir: Path, jobs: Sequence[Job]) -> str:
    """A small PNG of each report's first chart (kaleido + Chromium), made when missing or older than
    its report; returns a note when they cannot be made (no browser), else ''."""
    from rekit.figures.images import ImageExportError, find_browser, write_images

    todo = []
    for job in jobs:
        page, thumb = out_dir / job.file, out_dir / f"{job.stem}.thumb.png"
        fig = _card(out_dir, job).get("figure")
        if not fig or not page.exists():
            continue
        if thumb.exists() and thumb.stat().st_mtime >= page.stat().st_mtime:
            continue
        fig = _strip_source_note(fig)
        layout = fig.setdefault("layout", {})
        layout.update({"width": THUMB_SIZE[0], "height": THUMB_SIZE[1], "showlegend": False,
                       "margin": {"l": 40, "r": 20, "t": 60, "b": 40}})
        todo.append((fig, thumb))
    if not todo:
        return ""
    if find_browser() is None:
        return "Thumbnails left out: no Chrome or Chromium here to draw them (install Debian's chromium)."
    try:
        write_images(todo, scale=1)
    except ImageExportError as exc:
        return f"Thumbnails left out: {exc}"
    return ""


def write_index(out_dir: Path, jobs: Sequence[Job], results: Mapping[str, ReportResult], manifest: Mapping[str, dict],
                skipped: Sequence[str] = (), thumbnails: bool = True) -> Path:
    """index.html: a landing page (what the kit is; one card per story with its title, its finding and
    a thumbnail of its first chart), then every report of the batch with its parameters, status, run
    time and, for a failure, the notebook's error and links to the last good report and to the failed run."""
    rows = []
    cards = []
    n_ok = n_failed = n_other = 0
    thumb_note = write_thumbnails(out_dir, jobs) if thumbnails else ""
    for job in jobs:
        r = results.get(job.stem)
        rec = manifest.get(job.stem, {})
        exists = (out_dir / job.file).exists()
        if r is not None:
            status, seconds, built, error, where = r.status, f"{r.seconds:.1f} s", r.built, r.error, r.where
        elif rec:
            status, seconds, built = rec.get("status", "?"), f"{rec.get('seconds', 0):.1f} s", rec.get("built", "")
            error, where = rec.get("error"), rec.get("where")
        else:
            status, seconds, built, error, where = "not built", "", "", None, None
        if status == "ok":
            n_ok += 1
        elif status == "failed":
            n_failed += 1
        else:
            n_other += 1
        failed_page = f"{job.stem}.failed.html" if (out_dir / f"{job.stem}.failed.html").exists() else ""
        rows.append({"link": exists and status == "ok", "file": job.file, "title": job.title, "name": job.name,
                     "params": _param_rows(job), "cls": {"ok": "ok", "failed": "failed"}.get(status, "notrun"),
                     "status": status, "seconds": seconds, "built": built, "failed": status == "failed",
                     "error": error or "failed", "where": where, "exists": exists, "last_good": rec.get("last_good"),
                     "failed_page": failed_page, "skipped": job.stem in skipped,
                     "stale": r is None and status in ("ok", "failed") and job.stem not in skipped})
        card = _card(out_dir, job)
        thumb = out_dir / f"{job.stem}.thumb.png"
        fig = card.get("figure") or {}
        alt = ((fig.get("layout") or {}).get("meta") or {}).get("alt") if isinstance(fig, dict) else ""
        cards.append({"order": _lead_order(job), "title": job.title, "href": job.file if exists else "",
                      "finding": card.get("finding", ""),
                      "envelope": card.get("envelope", ""),
                      "thumb": thumb.name if thumb.exists() else "", "thumb_alt": f"First chart of the report: {alt or job.title}",
                      "status": status})
    cards.sort(key=lambda c: c["order"])  # stable: the batch's order within each place
    summary = f"{n_ok} ok, {n_failed} failed" + (f", {n_other} not built" if n_other else "")
    if skipped:
        summary += f", {len(skipped)} unchanged (not rebuilt)"
    page = render("index.html.j2", css=_markup(_INDEX_CSS), cards=cards, rows=rows, summary=summary,
                  written=build_time(), methods=METHODS, thumb_note=thumb_note)
    dest = out_dir / INDEX
    write_atomic(dest, str(page))
    return dest


_INTERRUPTED_CSS = ("background:#fff3e0;border:1px solid #ef6c00;color:#bf360c;padding:8px 12px;margin:0 0 12px 0;"
                    "font-weight:600")


def mark_interrupted(index: Path, message: str, items: Sequence[str] = ()) -> None:
    """Put a banner saying the run was interrupted (`message`, and a list of `items`: what was stopped
    where; all escaped) at the top of a written index.html."""
    page = index.read_text(encoding="utf-8")
    listed = "".join(f"<li>{html.escape(x)}</li>" for x in items)
    banner = (f'<div class="interrupted" role="alert" style="{_INTERRUPTED_CSS}">{html.escape(message)}'
              + (f'<ul style="font-weight:400">{listed}</ul>' if listed else "") + "</div>")
    m = re.search(r"<body[^>]*>", page)
    page = page[:m.end()] + banner + page[m.end():] if m else banner + page
    write_atomic(index, page)
