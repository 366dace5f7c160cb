"""HTML pages: an executed notebook as an offline report page (nbconvert's `lab` template), the batch's
index.html, the assets beside them (plotly.min.js, rekit-lab.css) and atomic writes of all three."""

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
from typing import Any, Mapping, Sequence

from rekit.reports.jobs import Job, ReportError, ReportResult


CSS_NAME = "rekit-lab.css"
INDEX = "index.html"


_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
{%- if resources.rekit_plotly %}
<script src="{{ resources.rekit_plotly }}"></script>
{%- endif %}
{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block notebook_css -%}
<link rel="stylesheet" href="{{ resources.rekit_css }}">
{%- endblock notebook_css -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}
{{ super() }}
{{ resources.rekit_header }}
{%- endblock body_header -%}
"""

_CSS_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block header -%}{{ self.notebook_css() }}{%- endblock header -%}
{%- block body -%}{%- endblock body -%}
{%- block footer -%}{%- endblock footer -%}
"""

_HEADER_CSS = """
.rekit-report-header { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; color: #444;
  border-bottom: 1px solid #ddd; margin: 0 0 12px 0; padding: 8px 12px; background: #fafafa; }
.rekit-report-header a { color: #1565c0; }
.rekit-report-header table { border-collapse: collapse; margin-top: 4px; }
.rekit-report-header td { padding: 1px 10px 1px 0; vertical-align: top; font-family: var(--jp-code-font-family, monospace); }
.rekit-report-header td.changed { font-weight: bold; }
.rekit-report-header .rekit-built { color: #777; }
"""

_local = threading.local()


def _exporter(show_input: bool):
    """An HTMLExporter for this thread (nbconvert objects are not shared between threads)."""
    cache = getattr(_local, "exporters", None)
    if cache is None:
        cache = _local.exporters = {}
    if show_input not in cache:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        c = Config()
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
        c.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input", "hide-input", "hide_input"}
        c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
        ex = HTMLExporter(config=c, template_name="lab",
                          extra_loaders=[DictLoader({"rekit_report.html.j2": _TEMPLATE})],
                          template_file="rekit_report.html.j2")
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
_IMPORT_RE = re.compile(r"@import\s+(?:url\()?\s*" + _EXTERNAL + r"[^;]*;", re.I)


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
    page = _LINK_RE.sub(lambda m: drop(m) if re.search(r"rel\s*=\s*[\"']?(stylesheet|preload|modulepreload|icon|prefetch|dns-prefetch|preconnect)", m.group(0), re.I) else m.group(0), page)
    page = _EMBED_RE.sub(to_link, page)
    page = _IMPORT_RE.sub(drop, page)
    return page, removed


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


def _header(job: Job, built: str, index_link: bool, note: str = "") -> str:
    rows = "".join(
        f'<tr><td>{html.escape(k)}</td><td class="{"changed" if k in job.params else ""}">{html.escape(_value_text(v))}</td></tr>'
        for k, v in job.effective.items()
    )
    link = f'<a href="{INDEX}">All reports</a> · ' if index_link else ""
    params = f"<table>{rows}</table>" if rows else "<div>no parameters</div>"
    extra = f"<div><strong>{html.escape(note)}</strong></div>" if note else ""
    return (f'<header class="rekit-report-header">{extra}<div>{link}notebook <code>{html.escape(job.name)}</code> · '
            f'<span class="rekit-built">built {html.escape(built)}</span></div>{params}</header>')


def to_html(nb, job: Job, *, show_input: bool, built: str, index_link: bool = False, note: str = "") -> tuple[str, list[str]]:
    """Render an executed notebook as an offline report page; returns (html, warnings)."""
    has_fig, widgets = _prepare_outputs(nb)
    nb.metadata["title"] = job.title
    resources = {
        "metadata": {"name": job.title, "path": str(job.notebook.parent)},
        "rekit_plotly": "plotly.min.js" if has_fig else "",
        "rekit_css": CSS_NAME,
        "rekit_header": _header(job, built, index_link, note),
    }
    page, _ = _exporter(show_input).from_notebook_node(nb, resources=resources)
    page, removed = make_offline(page)
    warnings = [f"{job.file}: removed a reference to {u} (reports must work offline)" for u in removed]
    if widgets:
        warnings.append(f"{job.file}: {widgets} interactive widget output{'s' if widgets > 1 else ''} cannot be shown "
                        f"in a static report (they need a running kernel)")
    return page, warnings


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once, at import (os.umask is process-wide and not thread-safe to probe later)


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then move it into place: readers (and a failed run)
    never see or leave a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
    css = lab_css()
    dest = out_dir / CSS_NAME
    try:
        if dest.read_text(encoding="utf-8") == css:
            return
    except OSError:
        pass
    write_atomic(dest, css)


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------

_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px 0; } .sub { color: #666; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e3e3e3; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; } td.params { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; white-space: pre-wrap; }
.changed { font-weight: bold; } .ok { color: #1b5e20; font-weight: 600; } .failed { color: #b71c1c; font-weight: 600; }
.notrun { color: #777; } td.built { white-space: nowrap; font-size: 12px; } .err { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; color: #b71c1c; white-space: pre-wrap; }
a { color: #1565c0; } .num { text-align: right; white-space: nowrap; }
"""


def write_index(out_dir: Path, jobs: Sequence[Job], results: Mapping[str, ReportResult], manifest: Mapping[str, dict]) -> Path:
    """index.html: every report of the batch with its parameters, status, run time and, for a failure,
    the notebook's error and links to the last good report and to the failed run."""
    e = html.escape
    rows = []
    n_ok = n_failed = n_other = 0
    for job in jobs:
        r = results.get(job.stem)
        rec = manifest.get(job.stem, {})
        exists = (out_dir / job.file).exists()
        params = "\n".join(
            f'<span class="{"changed" if k in job.params else ""}">{e(k)} = {e(_value_text(v))}</span>'
            for k, v in job.effective.items()) or "(no parameters)"
        if r is not None:
            status, seconds, built, error, where = r.status, f"{r.seconds:.1f} s", r.built, r.error, r.where
        elif rec:
            status, seconds, built = rec.get("status", "?"), f"{rec.get('seconds', 0):.1f} s", rec.get("built", "")
            error, where = rec.get("error"), rec.get("where")
        else:
            status, seconds, built, error, where = "not built", "", "", None, None
        fresh = r is not None
        if status == "ok":
            n_ok += 1
        elif status == "failed":
            n_failed += 1
        else:
            n_other += 1
        link = f'<a href="{e(job.file)}">{e(job.title)}</a>' if exists and status == "ok" else e(job.title)
        details = ""
        if status == "failed":
            details = f'<div class="err">{e(error or "failed")}{e(" (" + where + ")") if where else ""}</div>'
            if exists:
                lg = rec.get("last_good")
                details += f'<div>last good report: <a href="{e(job.file)}">{e(job.file)}</a>{e(" (built " + lg + ")") if lg else ""}</div>'
            else:
                details += "<div>no earlier good report</div>"
            if (out_dir / f"{job.stem}.failed.html").exists():
                details += f'<div><a href="{e(job.stem)}.failed.html">the failed run, with its code</a></div>'
        if not fresh and status in ("ok", "failed"):
            details += '<div class="notrun">not rebuilt in the last run</div>'
        cls = {"ok": "ok", "failed": "failed"}.get(status, "notrun")
        rows.append(
            f"<tr><td>{link}<div><code>{e(job.file)}</code></div></td><td><code>{e(job.name)}</code></td>"
            f'<td class="params">{params}</td><td class="{cls}">{e(status)}</td><td class="num">{e(seconds)}</td>'
            f'<td class="built">{e(built)}</td><td>{details}</td></tr>'
        )
    summary = f"{n_ok} ok, {n_failed} failed" + (f", {n_other} not built" if n_other else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>rekit reports</title><style>{_INDEX_CSS}</style></head>
<body><h1>rekit reports</h1><div class="sub">{e(summary)} · index written {e(build_time())}</div>
<table><thead><tr><th>Report</th><th>Notebook</th><th>Parameters (bold: not the default)</th><th>Status</th>
<th>Run time</th><th>Built</th><th>Details</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    dest = out_dir / INDEX
    write_atomic(dest, page)
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
