"""Plotly figures for the kit, in one visual style, each with its sources written under it.

Functions take data (a Dataset) or model results and return `plotly.graph_objects.Figure`;
nothing here computes the model or runs notebooks. Ranges and conflicting sources are drawn as
such: reported ranges as error bars, each source its own marker, Monte Carlo results as
median lines inside p05-p95 bands.

Every figure carries, in ``layout.meta``: ``sources`` (source ids, in order), ``note`` (the
method note printed with them), ``alt`` (a text description for screen readers and static
images, written from the numbers drawn) and ``table`` (`set_table`: the tidy table its traces were
drawn from, one row per deal × year × metric, or per bar, link or event, which a report offers as the
chart's CSV download, so the file and the picture come from one frame). The sources note under the plot is an annotation named
``rekit-sources``: reports replace it with numbered references into the report's source list.

Text from the data or the user (deal names, titles, publishers, quotes, notes, entities, parameter
names) goes into a figure through `plain`: plotly.js reads the text of titles, legends, hover labels,
annotations and tick labels as a small HTML dialect (``<b>``, ``<br>``, ``<a href>``), so each value
is escaped there and shows as the characters it holds. Only the kit's own ``<br>`` and ``<b>`` are
markup. ``layout.meta`` (``alt``, ``note``) stays plain text: the pages that show it escape it.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
distinguishable under the common colour-vision deficiencies and pairs no red with a green.
"""

from __future__ import annotations

import html
import json
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from rekit.figures import render  # noqa: F401  (registers the renderer that works in JupyterLab and in reports)
from rekit.data.dataset import Dataset
from rekit.data.periods import parse_period
from rekit.model.custom import settings_note
from rekit.model.deals import DealBook
from rekit.model.simulation import METRICS, Result, canonical
from rekit.model.supply import concentration_table

# Okabe–Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
GREY = "#BBBBBB"  # the other deals behind a highlighted one, and "Other" in stacks
FONT = "Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif"
SOURCE_WRAP = 100  # characters a line in the sources note (fits a 700 px wide chart at 12 px)
SOURCES_NAME = "rekit-sources"  # name of the sources annotation (reports swap it for numbered references)

pio.templates["rekit"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#222"),
        colorway=list(PALETTE),
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis=dict(showgrid=False, linecolor="#999", ticks="outside", tickcolor="#999"),
        yaxis=dict(gridcolor="#e6e6e6", zeroline=False, linecolor="#999"),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, bgcolor="rgba(0,0,0,0)"),
        title=dict(x=0.01, xanchor="left", xref="container", y=0.98, yref="container", yanchor="top", font=dict(size=17)),
        hoverlabel=dict(font=dict(family=FONT)),
        margin=dict(l=70, r=30, t=120),
    )
)


def plain(value) -> str:
    """`value` as text plotly.js shows as it is: ``&``, ``<`` and ``>`` as HTML entities (plotly
    decodes ``&amp;``, ``&lt;`` and ``&gt;`` back to the characters, and reads no tag from them)."""
    return html.escape(str(value), quote=False)


def wrapped(text: str, width: int) -> str:
    """`text` wrapped at `width` characters (never cut), each line escaped (`plain`), joined by ``<br>``."""
    return "<br>".join(plain(line) for line in textwrap.wrap(str(text), width, break_on_hyphens=False))


def deal_colors(names) -> dict[str, str]:
    """A fixed colour per deal, in the order given."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def sources_text(ds: Dataset, source_ids) -> str:
    """'Sources: title (publisher, date); …' for the given source ids, in order, without repeats."""
    seen = list(dict.fromkeys(source_ids))
    return "Sources: " + "; ".join(ds.cite(s, "short") for s in seen) + "." if seen else ""


def add_sources(fig: go.Figure, ds: Dataset, source_ids, note: str = "", xshift: int = 0) -> go.Figure:
    """Write the sources (and an optional note) under the plot, growing the bottom margin to fit.

    The ids and the note are also kept in ``layout.meta`` (``sources``, ``note``) so a report can
    list them as numbered references instead."""
    text = " ".join(t for t in (note, sources_text(ds, source_ids)) if t)
    lines = textwrap.wrap(text, SOURCE_WRAP, break_on_hyphens=False) or [""]
    fig.add_annotation(text="<br>".join(plain(line) for line in lines), xref="paper", yref="paper", x=0, y=0, yshift=-60,
                       xshift=xshift, xanchor="left", yanchor="top", showarrow=False, align="left",
                       font=dict(size=12, color="#444"), name=SOURCES_NAME)
    fig.update_layout(margin=dict(b=80 + 17 * len(lines)), height=(fig.layout.height or 460) + 17 * len(lines))
    fig.layout.meta = {**(fig.layout.meta or {}), "sources": list(dict.fromkeys(source_ids)), "note": note,
                       "source_lines": len(lines)}
    return fig


def set_alt(fig: go.Figure, text: str) -> go.Figure:
    """The chart's text description (``layout.meta.alt``): what it shows and its main numbers, for
    screen readers (reports put it in ``aria-label``) and beside static images."""
    fig.layout.meta = {**(fig.layout.meta or {}), "alt": " ".join(text.split())}
    return fig


def set_table(fig: go.Figure, frame: pd.DataFrame, units: dict[str, str] | None = None) -> go.Figure:
    """Keep `frame`, the tidy table the chart's traces were drawn from, in ``layout.meta.table``
    (``columns``, ``data`` as rows, ``units`` by column): a report writes it as the chart's CSV
    (rekit.reports.downloads). Numbers keep 15 significant digits; missing values become empty cells."""
    doc = json.loads(frame.reset_index(drop=True).to_json(orient="split", index=False, date_format="iso", double_precision=15))
    fig.layout.meta = {**(fig.layout.meta or {}), "table": {"columns": [str(c) for c in doc["columns"]], "data": doc["data"],
                                                            "units": dict(units or {})}}
    return fig


def _tidy(table: pd.DataFrame, result: Result, envelope: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of result.summary() as a download: deal, year, metric, unit, p05, p50, p95, the bases, and
    the structural envelope's p05 and p95 where one is drawn."""
    out = table[["deal", "year", "metric", "unit", "p05", "p50", "p95"]].copy()
    out["production_basis"] = result.basis
    out["demand_basis"] = result.demand or ""
    if envelope is not None and not envelope.empty:
        env = envelope.assign(metric=envelope["metric"].map(canonical))[["deal", "year", "metric", "envelope_p05", "envelope_p95"]]
        out = out.assign(_m=out["metric"].map(canonical)).merge(env.rename(columns={"metric": "_m"}), on=["deal", "year", "_m"],
                                                                 how="left").drop(columns="_m")
    return out.sort_values(["deal", "year"], kind="stable").reset_index(drop=True)


def alt_text(fig: go.Figure) -> str:
    """The chart's text description, or its title when it has none."""
    meta = fig.layout.meta or {}
    return str(meta.get("alt") or fig.layout.title.text or "chart")


def same_results(result: Result, metric: str) -> list[list[str]]:
    """Deals grouped by identical p05/median/p95 of `metric` in every year, in the result's order.

    Deals that differ only in what the metric does not see (e.g. `toll_japan` and `toll_korea`
    with the same terms) would hide each other's lines; drawn as one line, the legend names all."""
    table = result.summary()
    table = table[table["metric"] == metric]
    groups: dict[bytes, list[str]] = {}
    for deal in result.deals:
        rows = table[table["deal"] == deal].sort_values("year")[["p05", "p50", "p95"]].to_numpy(dtype=float)
        groups.setdefault(np.round(rows, 12).tobytes(), []).append(deal)
    return list(groups.values())


def group_label(deals: list[str]) -> str:
    return deals[0] if len(deals) == 1 else " = ".join(deals) + " (identical results)"


def _band(fig: go.Figure, x, low, mid, high, name: str, colour: str, unit: str, fmt: str, legendgroup: str | None = None,
          axes: dict | None = None, showlegend: bool = True) -> None:
    group = legendgroup or name
    text = plain(name)  # a deal's name from the data or the user's deals file
    fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=group,
                             name=f"{text} p95", **(axes or {})))
    fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line=dict(width=0), fill="tonexty", fillcolor=rgba(colour, 0.18),
                             hoverinfo="skip", showlegend=False, legendgroup=group, name=f"{text} p05", **(axes or {})))
    fig.add_trace(go.Scatter(
        x=x, y=mid, mode="lines", name=text, line=dict(color=colour, width=2.5), legendgroup=group,
        customdata=list(zip(low, high, strict=True)), showlegend=showlegend, **(axes or {}),
        hovertemplate=(f"<b>{text}</b> %{{x}}: %{{y:{fmt}}} {plain(unit)} "
                       f"(p05–p95 %{{customdata[0]:{fmt}}}–%{{customdata[1]:{fmt}}})<extra></extra>"),
    ))


ENVELOPE_LABEL = "every structural scenario, p05–p95"  # the legend's name for the lighter band


def _envelope_band(fig: go.Figure, rows: pd.DataFrame, colour: str, unit: str, fmt: str, group: str,
                   axes: dict | None = None, showlegend: bool = False) -> None:
    """The structural envelope (rows of rekit.model.scenarios.envelope for one deal and metric, by year)
    as a lighter band with dotted edges, drawn before (so behind) the scenario's own band."""
    rows = rows.sort_values("year")
    x, lo, hi = rows["year"].tolist(), rows["envelope_p05"].astype(float).tolist(), rows["envelope_p95"].astype(float).tolist()
    edge = dict(color=rgba(colour, 0.45), width=1, dash="dot")
    hover = f"{ENVELOPE_LABEL} %{{x}}: %{{y:{fmt}}} {plain(unit)}<extra></extra>"
    fig.add_trace(go.Scatter(x=x, y=hi, mode="lines", line=edge, showlegend=False, legendgroup="envelope",
                             name=f"{plain(group)} envelope p95", hovertemplate=hover, **(axes or {})))
    fig.add_trace(go.Scatter(x=x, y=lo, mode="lines", line=edge, fill="tonexty", fillcolor=rgba(colour, 0.07),
                             showlegend=showlegend, legendgroup="envelope", name=ENVELOPE_LABEL, hovertemplate=hover,
                             **(axes or {})))


def _envelope_of(envelope: pd.DataFrame | None, metric: str, deal: str) -> pd.DataFrame:
    """The envelope's rows of one deal and metric; an old metric name (an alias) finds its metric's rows."""
    if envelope is None:
        return pd.DataFrame(columns=["year", "envelope_p05", "envelope_p95"])
    same = envelope["metric"].map(canonical) == canonical(metric)
    return envelope[same & (envelope["deal"] == deal)]


def projection_chart(result: Result, metric: str, ds: Dataset, book: DealBook, title: str,
                     yaxis_title: str | None = None, fmt: str | None = None, alt_year: int | None = None,
                     envelope: pd.DataFrame | None = None) -> go.Figure:
    """Small multiples of one model metric: one panel per deal (deals with identical results share a
    panel and the title says so), its median line inside its p05–p95 band in colour, the other
    deals' medians in grey behind it for comparison. With `envelope` (rekit.model.scenarios.envelope's
    frame), each panel also shows, as a lighter band behind its own, the p05–p95 of every structural
    scenario pooled, labelled in the legend. A ratio or share is shown as a percentage (axis, hover and
    description; `fmt` ``.1%``), other units with `fmt` ``.2f`` unless `fmt` is given."""
    if metric not in METRICS:
        raise KeyError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    unit = METRICS[metric][0]
    as_percent = unit in ("ratio", "share")
    fmt = fmt or (".1%" if as_percent else ".2f")
    shown = "" if as_percent else unit  # a percentage needs no unit after it
    table = result.summary()
    table = table[table["metric"] == metric]
    groups = same_results(result, metric)
    n = len(groups)
    cols = 1 if n == 1 else (2 if n <= 4 else 3)
    rows_n = -(-n // cols)
    labels = [group_label(g) for g in groups]
    fig = make_subplots(rows=rows_n, cols=cols, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[wrapped(lab, 34) for lab in labels],
                        vertical_spacing=0.16 / max(rows_n - 1, 1) if rows_n > 1 else 0.1, horizontal_spacing=0.04)
    colours = deal_colors([g[0] for g in groups])
    medians = {g[0]: table[table["deal"] == g[0]].sort_values("year") for g in groups}
    for k, (group, label) in enumerate(zip(groups, labels, strict=True)):
        ref = dict(xaxis=f"x{'' if k == 0 else k + 1}", yaxis=f"y{'' if k == 0 else k + 1}")
        for other in groups:
            if other is group or n == 1:
                continue
            o = medians[other[0]]
            fig.add_trace(go.Scatter(x=o["year"].tolist(), y=o["p50"].tolist(), mode="lines",
                                     name=f"{plain(group_label(other))} median (grey, for comparison)", line=dict(color=GREY, width=1),
                                     hoverinfo="skip", showlegend=False, legendgroup="others", **ref))
        rows = medians[group[0]]
        env = _envelope_of(envelope, metric, group[0])
        if not env.empty:
            _envelope_band(fig, env, colours[group[0]], shown, fmt, label, axes=ref, showlegend=k == 0)
        _band(fig, rows["year"].tolist(), rows["p05"].tolist(), rows["p50"].tolist(), rows["p95"].tolist(), label,
              colours[group[0]], shown, fmt, axes=ref, showlegend=False)
    for ann in fig.layout.annotations:  # the panel titles
        ann.font = dict(size=13)
    fig.update_layout(template="rekit", title=plain(title), height=140 + 230 * rows_n, showlegend=envelope is not None,
                      legend=dict(y=1 + 36 / (230 * rows_n)))  # above the panel titles
    fig.update_xaxes(title_text=None, dtick=2)
    for r in range(1, rows_n + 1):
        axis = yaxis_title or metric.replace("_", " ")
        fig.update_yaxes(title_text=plain(f"{axis} ({'%' if as_percent else unit})") if r == (rows_n + 1) // 2 else None,
                         row=r, col=1)
    if as_percent:
        fig.update_yaxes(tickformat=".0%")
    draws = (f"median and p05–p95 of {result.draws:,} draws (seed {result.seed})" if result.draws else "central values")
    note = (f"Model: {draws}, production basis '{result.basis}', demand basis '{result.demand}'."
            + (" Grey lines: the other deals' medians." if n > 1 else "")
            + (f" Lighter band, dotted edges: {ENVELOPE_LABEL} (every production basis, demand basis and framing, "
               "their draws pooled with equal weight)." if envelope is not None else "")
            + (f" {settings_note(book, result.deals)}" if settings_note(book, result.deals) else ""))  # deals of one's own
    fig = add_sources(fig, ds, book.source_ids(list(result.deals), result.basis, ds), note)
    set_table(fig, _tidy(table, result, envelope), {"p05": unit, "p50": unit, "p95": unit, "envelope_p05": unit,
                                                    "envelope_p95": unit})
    year = alt_year if alt_year in set(result.years.tolist()) else int(result.years[-1])
    parts = []
    for g, label in zip(groups, labels, strict=True):
        r = medians[g[0]].set_index("year")
        env = _envelope_of(envelope, metric, g[0]).set_index("year")
        around = (f"; {ENVELOPE_LABEL} {env.loc[year, 'envelope_p05']:{fmt}} to {env.loc[year, 'envelope_p95']:{fmt}}"
                  if year in env.index else "")
        parts.append(f"{label}: median {r.loc[year, 'p50']:{fmt}} "
                     f"(p05 {r.loc[year, 'p05']:{fmt}} to p95 {r.loc[year, 'p95']:{fmt}}{around})")
    set_alt(fig, f"{title}. Small multiples, one panel per deal, {int(result.years[0])} to {int(result.years[-1])}, "
                 f"{metric.replace('_', ' ')} {'as a percentage' if as_percent else 'in ' + unit}. In {year}: " + "; ".join(parts) + ".")
    return fig


def self_sufficiency_chart(result: Result, ds: Dataset, book: DealBook, envelope: pd.DataFrame | None = None) -> go.Figure:
    """India's neodymium self-sufficiency (magnets from own oxide / magnet demand) under each deal; with
    `envelope` (rekit.model.scenarios.envelope, metric self_sufficiency), its structural envelope behind."""
    fig = projection_chart(result, "self_sufficiency", ds, book,
                           "India's neodymium self-sufficiency under partner deals",
                           "own magnets / NdFeB demand", alt_year=2030, envelope=envelope)
    fig.add_hline(y=1, line=dict(color="#888", dash="dot", width=1), row="all", col="all")
    return fig


def export_share_chart(ds: Dataset, book: DealBook | None = None, result: Result | None = None,
                       envelope: pd.DataFrame | None = None) -> go.Figure:
    """IREL's export share: every observed figure with its source, and deal projections as bands; with
    `envelope` (rekit.model.scenarios.envelope, metric export_share), each deal's structural envelope
    as a lighter band behind its own."""
    obs = ds.series("re_export_share", entity="IREL")
    fig = go.Figure()
    if result is not None and book is not None:
        table = result.summary()
        table = table[table["metric"] == "export_share"]
        groups = same_results(result, "export_share")
        colours = deal_colors([g[0] for g in groups])
        for k, group in enumerate(groups):
            env = _envelope_of(envelope, "export_share", group[0])
            if not env.empty:
                _envelope_band(fig, env, colours[group[0]], "", ".1%", group_label(group), showlegend=k == 0)
        for group in groups:
            rows = table[table["deal"] == group[0]]
            _band(fig, rows["year"].tolist(), rows["p05"].tolist(), rows["p50"].tolist(), rows["p95"].tolist(),
                  group_label(group), colours[group[0]], "", ".1%")
    symbols = {"reported": "circle", "estimate": "diamond", "target": "star", "derived": "square", "assumption": "x"}
    for r in obs.itertuples(index=False):
        err = None
        if pd.notna(r.low) or pd.notna(r.high):
            err = dict(type="data", symmetric=False, array=[(r.high - r.value) if pd.notna(r.high) else 0],
                       arrayminus=[(r.value - r.low) if pd.notna(r.low) else 0])
        fig.add_trace(go.Scatter(
            x=[int(r.period_start.year)], y=[r.value], mode="markers", error_y=err,
            marker=dict(size=12, symbol=symbols.get(r.status, "circle"), color="#222", line=dict(color="white", width=1)),
            name=plain(f"{r.status}: {r.publisher}"), legendgroup="observed",
            hovertemplate=f"<b>{plain(r.period)}</b> %{{y:.1%}} ({plain(r.status)})<br>"
                          f"{plain(textwrap.shorten(str(r.quote if pd.notna(r.quote) else r.note), 120))}"
                          f"<br>{plain(r.publisher)}, {plain(r.date)}<extra></extra>",
        ))
    fig.update_layout(template="rekit", title="IREL's export share: rare earths shipped to Japan over IREL's output",
                      xaxis_title="year", yaxis_title="share of output exported", yaxis_tickformat=".0%")
    ids = list(obs["source_id"])
    note = "Observed: markers, one per source (a square is our arithmetic from reported tonnages)."
    if result is not None and book is not None:
        ids += book.source_ids(list(result.deals), result.basis, ds)
        note += f" Projections: median and p05–p95 of {max(result.draws, 1):,} draws, basis '{result.basis}'."
        note += f" {settings_note(book, result.deals)}" if settings_note(book, result.deals) else ""
        if envelope is not None:
            note += (f" Lighter bands, dotted edges: {ENVELOPE_LABEL} (every production basis, demand basis and framing, "
                     "their draws pooled with equal weight).")
    fig = add_sources(fig, ds, ids, note)
    observed = pd.DataFrame({"deal": "", "year": [int(r.period_start.year) for r in obs.itertuples(index=False)],
                             "metric": "export_share", "unit": "share", "kind": "observed",
                             "status": obs["status"].astype(str).tolist(), "source": obs["publisher"].astype(str).tolist(),
                             "p05": obs["low"].tolist(), "p50": obs["value"].tolist(), "p95": obs["high"].tolist()})
    frames = [observed]
    if result is not None and book is not None:
        frames.append(_tidy(result.summary().query("metric == 'export_share'"), result, envelope).assign(kind="projected"))
    set_table(fig, pd.concat(frames, ignore_index=True), {"p05": "share", "p50": "share", "p95": "share"})
    seen = "; ".join(f"{r.period}: {r.value:.1%} ({r.status}, {r.publisher})" for r in obs.itertuples(index=False))
    alt = f"IREL's export share of its rare-earth output. Observed figures, one marker per source: {seen or 'none'}."
    if result is not None and book is not None:
        end = int(result.years[-1])
        t = result.summary()
        t = t[(t["metric"] == "export_share") & (t["year"] == end)].set_index("deal")
        parts = []
        for g in same_results(result, "export_share"):
            env = _envelope_of(envelope, "export_share", g[0]).set_index("year")
            around = (f" ({ENVELOPE_LABEL} {env.loc[end, 'envelope_p05']:.1%} to {env.loc[end, 'envelope_p95']:.1%})"
                      if end in env.index else "")
            parts.append(f"{group_label(g)} {t.loc[g[0], 'p50']:.1%}{around}")
        alt += f" Projected median in {end}: " + "; ".join(parts) + "."
    return set_alt(fig, alt)


def mine_production_chart(ds: Dataset, edition: str | None = None, top: int = 6) -> go.Figure:
    """World mine production by country (USGS, t REO) as stacked bars that add up to USGS's World
    total, with the top-3 share and HHI.

    Each year is taken from the newest USGS edition that reports it, unless `edition` is given;
    the edition used is named on each bar. The largest producers are stacked from the bottom
    (largest first); "Other" on top is World minus the countries drawn (USGS's own "Other" row
    plus every country not among the `top`), so each bar's height is the World total.
    """
    table = concentration_table(ds, edition=[edition] if edition else None)
    newest = table.groupby("year")["edition"].max()
    table = table[table["edition"] == table["year"].map(newest)].sort_values(["year", "rank"])
    years = sorted(table["year"].unique())
    world = table.groupby("year")["world"].first().reindex(years)  # USGS's World row (else the sum of rows)
    leaders = table.groupby("entity")["value"].sum().nlargest(top).index.tolist()
    fig = go.Figure()
    drawn = pd.Series(0.0, index=years)
    stack = []
    for i, name in enumerate(leaders):
        rows = table[table["entity"] == name].set_index("year").reindex(years)
        values = rows["value"].fillna(0.0)  # not reported in that edition: 0 keeps the stack in order
        drawn = drawn.add(values)
        stack.append((name, values, rows["share"].fillna(0.0), rows["edition"].fillna(newest.reindex(years)), PALETTE[i % len(PALETTE)]))
    other = world - drawn
    stack.append(("Other (World minus the countries shown)", other, other / world, newest.reindex(years), GREY))
    for name, values, shares, editions, colour in stack:
        fig.add_trace(go.Bar(x=years, y=values, name=plain(name), marker_color=colour,
                             customdata=list(zip(shares, map(plain, editions), strict=True)),
                             hovertemplate=(f"<b>{plain(name)}</b> %{{x}}: %{{y:,.0f}} t REO "
                                            "(%{customdata[0]:.1%}; %{customdata[1]})<extra></extra>")))
    fig.add_trace(go.Scatter(x=years, y=world, mode="markers", name="World (USGS)",
                             marker=dict(symbol="line-ew-open", size=28, color="#000"),
                             hovertemplate="World %{x}: %{y:,.0f} t REO<extra></extra>"))
    per_year = table.groupby("year").agg(top3=("top3_share", "first"), hhi=("hhi", "first"), edition=("edition", "first")).reindex(years)
    fig.add_trace(go.Scatter(x=years, y=per_year["top3"], yaxis="y2", mode="lines+markers+text", name="top-3 share",
                             line=dict(color="#000", width=2, dash="dot"), text=[f"HHI {h:,.0f}" for h in per_year["hhi"]],
                             textposition="top center", customdata=list(zip(per_year["hhi"], map(plain, per_year["edition"]), strict=True)),
                             hovertemplate="top-3 share %{x}: %{y:.1%}<br>HHI %{customdata[0]:,.0f} (%{customdata[1]})<extra></extra>"))
    fig.update_layout(template="rekit", barmode="stack", title="World rare-earth mine production and its concentration",
                      xaxis=dict(title="year", tickmode="array", tickvals=years),
                      yaxis=dict(title="t REO equivalent"),
                      yaxis2=dict(title="top-3 share", overlaying="y", side="right", range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1],
                                  tickformat=".0%", showgrid=False), margin=dict(r=80))
    note = ("USGS Mineral Commodity Summaries; each year from the newest edition reporting it. Bars add up to USGS's World total; "
            "Other = World minus the countries shown. HHI = Σ(100·share)² over named countries (USGS's 'Other' excluded), 0 to 10,000.")
    fig = add_sources(fig, ds, sorted(table["edition"].unique()), note)
    rows = [{"country": name, "year": y, "production": float(values[y]), "unit": "t REO", "share_of_world": float(shares[y]),
             "edition": str(editions[y])} for name, values, shares, editions, _ in stack for y in years]
    rows += [{"country": "World (USGS)", "year": y, "production": float(world[y]), "unit": "t REO", "share_of_world": 1.0,
              "edition": str(per_year.loc[y, "edition"]), "top3_share": float(per_year.loc[y, "top3"]),
              "hhi": float(per_year.loc[y, "hhi"])} for y in years]
    set_table(fig, pd.DataFrame(rows), {"production": "t REO", "share_of_world": "share", "top3_share": "share",
                                        "hhi": "index, 0 to 10,000"})
    last = years[-1]
    lead = table[(table["year"] == last) & (table["rank"] == 1)].iloc[0]
    set_alt(fig, f"Stacked bars of world rare-earth mine production, {years[0]} to {last}, in t REO, by country with "
                 f"'Other' on top; each bar adds up to the USGS World total. In {last}: World {world[last]:,.0f} t, "
                 f"{lead['entity']} {lead['value']:,.0f} t ({lead['share']:.0%}), Other {other[last]:,.0f} t; top-3 share "
                 f"{per_year.loc[last, 'top3']:.0%}, HHI {per_year.loc[last, 'hhi']:,.0f}.")
    return fig


KIND_STYLE = {
    "export_control": ("#D55E00", "China's export controls"),
    "directive": ("#E69F00", "directives"),
    "agreement": ("#0072B2", "agreements"),
    "partnership": ("#56B4E9", "partnerships"),
    "policy": ("#009E73", "policy"),
    "tender": ("#CC79A7", "tenders"),
    "other": ("#777777", "other"),
}
LABEL_WRAP = 44  # characters a line of an event label (wrapped, never cut)
LABEL_MARGIN = 270  # px left of the timeline for its labels (about LABEL_WRAP characters at 11 px)
ZOOM_FROM = "2024-01-01"  # the timeline's right panel: the dense period, from here to the last event


def timeline_chart(ds: Dataset, since: str | None = None) -> go.Figure:
    """Export controls, directives, agreements and schemes: one row per event, newest at the bottom,
    coloured by kind. Labels are wrapped, never cut. Two panels share the rows: the whole period
    on the left and, on the right, the events since 2024 (most of them) spread over the full width."""
    ev = ds.events.sort_values("date_start")
    if since:
        ev = ev[ev["date_start"] >= pd.Timestamp(parse_period(since).start)]
    labels = [wrapped(f"{r.title} ({r.actor})", LABEL_WRAP) for r in ev.itertuples()]
    zoom_from = pd.Timestamp(ZOOM_FROM)
    two = bool(len(ev)) and ev["date_start"].min() < zoom_from <= ev["date_start"].max()
    fig = make_subplots(rows=1, cols=2 if two else 1, shared_yaxes=True, column_widths=[0.3, 0.7] if two else None,
                        horizontal_spacing=0.02, subplot_titles=["all events", f"since {zoom_from.year}"] if two else None)
    for kind, (colour, label) in KIND_STYLE.items():
        mask = (ev["kind"] == kind).to_numpy()
        if not mask.any():
            continue
        rows = ev[mask]
        for col in ([1, 2] if two else [1]):
            fig.add_trace(go.Scatter(
                x=rows["date_start"], y=[lab for lab, m in zip(labels, mask, strict=True) if m], mode="markers", name=label,
                marker=dict(size=11, color=colour, line=dict(color="white", width=1)), legendgroup=kind, showlegend=col == 1,
                customdata=list(zip(rows["date"].map(plain), rows["description"].map(lambda d: wrapped(d, 70)), strict=True)),
                hovertemplate="<b>%{customdata[0]}</b> %{y}<br>%{customdata[1]}<extra></extra>",
            ), row=1, col=col)
    per_label = 20 + 15 * max((lab.count("<br>") for lab in labels), default=0)
    fig.update_layout(template="rekit", title="Export controls, directives and deals: the timeline",
                      legend=dict(orientation="h", xref="container", x=0.01, yref="container",
                                  y=0.99 - 60 / (240 + per_label * len(labels)), yanchor="top"),
                      height=240 + per_label * len(labels), margin=dict(l=LABEL_MARGIN, t=140))
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title="", showgrid=True, automargin=False,
                     tickfont=dict(size=11))
    if two:
        first, last = ev["date_start"].min(), ev["date_start"].max()
        step = max(1, -(-(last.year - first.year) // 3))
        fig.update_xaxes(tickvals=[pd.Timestamp(f"{y}-01-01") for y in range(first.year, last.year + 1, step)],
                         tickformat="%Y", row=1, col=1)
        fig.update_xaxes(range=[zoom_from - pd.Timedelta(days=20), last + pd.Timedelta(days=40)], dtick="M6",
                         tickformat="%b<br>%Y", row=1, col=2)
    fig = add_sources(fig, ds, list(ev["source_id"]), xshift=-LABEL_MARGIN + 10)
    set_table(fig, pd.DataFrame({"date": ev["date"].astype(str).tolist(), "kind": ev["kind"].astype(str).tolist(),
                                 "title": ev["title"].astype(str).tolist(), "actor": ev["actor"].astype(str).tolist(),
                                 "source_id": ev["source_id"].astype(str).tolist()}))
    kinds = ev["kind"].map(lambda k: KIND_STYLE.get(k, KIND_STYLE["other"])[1]).value_counts()
    if len(ev):
        first, last = ev.iloc[0], ev.iloc[-1]
        set_alt(fig, f"Timeline of {len(ev)} events from {first['date']} to {last['date']}: "
                     + ", ".join(f"{n} {k}" for k, n in kinds.items())
                     + f". {int((ev['date_start'] >= zoom_from).sum())} of them fall since {zoom_from.year}. "
                     f"First: {first['title']} ({first['date']}); latest: {last['title']} ({last['date']}).")
    else:
        set_alt(fig, "Timeline: no events in the chosen period.")
    return fig


def flows_sankey(result: Result, deal: str, year: int, ds: Dataset, book: DealBook) -> go.Figure:
    """Where IREL's neodymium goes in one deal and year (medians, t Nd), down to magnets for India."""
    if deal not in result.deals:
        raise KeyError(f"deal {deal!r} is not in this result; it has {', '.join(result.deals)}")
    if year not in set(result.years.tolist()):
        raise KeyError(f"year {year} is not in this result ({result.years[0]}-{result.years[-1]})")
    med = {m: float(pd.Series(result.at(m, deal, year)).median()) for m in METRICS}
    i = book.get(deal)
    w = i.params["w_nd"].quantities[0].value  # central Nd content, to show magnets in t Nd
    labels = ["IREL output", "exports (old agreement)", "tolling partner", "magnet makers in India", "stock",
              "kept by partner", "losses", "magnets for India"]
    tolled, domestic, losses = med["tolled"], med["domestic"], med["losses"]
    share_t = tolled / (tolled + domestic) if tolled + domestic > 0 else 0.0
    links = [
        (0, 1, med["exports"]), (0, 2, tolled), (0, 3, domestic), (0, 4, med["stocked"]),
        (2, 7, med["magnets_returned"] * w), (2, 5, med["magnets_kept_by_partner"] * w), (2, 6, losses * share_t),
        (3, 7, med["magnets_domestic"] * w), (3, 6, losses * (1 - share_t)),
    ]
    links = [(s, t, v) for s, t, v in links if v > 1e-9]
    colours = ["#000000", "#D55E00", "#0072B2", "#009E73", GREY, "#E69F00", "#777777", "#56B4E9"]
    fig = go.Figure(go.Sankey(
        valueformat=",.0f", valuesuffix=" t Nd",
        node=dict(label=labels, color=colours, pad=18, thickness=16),
        link=dict(source=[s for s, _, _ in links], target=[t for _, t, _ in links], value=[v for _, _, v in links],
                  color=[rgba(colours[t], 0.35) for _, t, _ in links]),
    ))
    fig.update_layout(template="rekit", title=f"Neodymium flows, {plain(deal)}, {year} (medians, t Nd)", height=480)
    note = (f"Model medians of {max(result.draws, 1):,} draws, basis '{result.basis}'; magnets shown by their Nd content "
            f"(w = {w:g} t Nd per t magnet).")
    fig = add_sources(fig, ds, book.source_ids([deal], result.basis, ds), note)
    set_table(fig, pd.DataFrame({"deal": deal, "year": year, "from": [labels[s_] for s_, _, _ in links],
                                 "to": [labels[t_] for _, t_, _ in links], "p50": [v for _, _, v in links], "unit": "t Nd",
                                 "production_basis": result.basis, "demand_basis": result.demand or ""}), {"p50": "t Nd"})
    flows = "; ".join(f"{labels[s_]} to {labels[t_]} {v:,.0f} t Nd" for s_, t_, v in links)
    return set_alt(fig, f"Sankey diagram of IREL's neodymium in {year} under {deal} (model medians, t Nd): {flows}.")


#: Colours of the origins (Okabe–Ito): India bluish green, China vermillion, other sky blue.
ORIGIN_COLOURS = {"India": "#009E73", "China": "#D55E00", "other": "#56B4E9"}
#: The traced China shares at each stage (rekit.model.origin), in the order of the chain.
STAGES = {"china_share_oxide_traced": "NdPr oxide reduced in India", "china_share_metal_traced": "NdPr metal charged in India",
          "china_share_heavy_traced": "Dy+Tb charged in India", "china_share_magnet_traced": "rare earths in India's magnets"}


def origin_sankey(result: Result, deal: str, year: int, ds: Dataset, book: DealBook) -> go.Figure:
    """The rare earths (Nd, Pr, Dy, Tb; t element) inside the magnets India gets in one deal and year, by origin.

    Links from each origin (India, China, other) to the route a magnet takes (made in India, returned
    by a tolling partner, imported), coloured by origin, then to India's magnets. Each link is the
    median over draws of that flow (rekit.model.origin.origin_flows, t magnet, times the rare-earth
    content w_NdPr + w_Dy + w_Tb of a magnet), so the medians of a node's links need not add up exactly.
    """
    from rekit.model.origin import ORIGINS, origin_flows

    if deal not in result.deals:
        raise KeyError(f"deal {deal!r} is not in this result; it has {', '.join(result.deals)}")
    years = result.years.tolist()
    if year not in set(years):
        raise KeyError(f"year {year} is not in this result ({result.years[0]}-{result.years[-1]})")
    i, t = result.deals.index(deal), years.index(year)
    flows = origin_flows(result.flows)
    content = np.broadcast_to(result.flows["w_ndpr"] + result.flows["w_h"], result.flows["G"].shape)[i, t]
    routes = {"magnets_india": "made in India", "returned": "returned by a partner", "magnet_imports": "imported"}
    labels = [f"{o} origin" for o in ORIGINS] + list(routes.values()) + ["India's magnets"]
    links = []
    for k, o in enumerate(ORIGINS):
        for j, flow in enumerate(routes):
            value = float(np.median(np.broadcast_to(flows[(flow, o)], result.flows["G"].shape)[i, t] * content))
            links.append((k, 3 + j, value, ORIGIN_COLOURS[o]))
    for j in range(len(routes)):
        total = sum(v for s_, t_, v, _ in links if t_ == 3 + j)
        links.append((3 + j, 6, total, GREY))
    links = [x for x in links if x[2] > 1e-9]
    fig = go.Figure(go.Sankey(
        valueformat=",.0f", valuesuffix=" t rare earths",
        node=dict(label=labels, color=[ORIGIN_COLOURS[o] for o in ORIGINS] + ["#0072B2", "#E69F00", "#CC79A7", "#000000"],
                  pad=18, thickness=16),
        link=dict(source=[s_ for s_, _, _, _ in links], target=[t_ for _, t_, _, _ in links], value=[v for _, _, v, _ in links],
                  color=[rgba(c, 0.45) for _, _, _, c in links]),
    ))
    fig.update_layout(template="rekit", title=f"Origin of the rare earths in India's magnets, {plain(deal)}, {year} "
                                              "(medians, t Nd+Pr+Dy+Tb)", height=480)
    note = (f"Model medians of {max(result.draws, 1):,} draws, basis '{result.basis}'; origin traced pro rata through the "
            "chain (oxide, metal, Dy and Tb carry their origin into the magnets made from them).")
    fig = add_sources(fig, ds, book.source_ids([deal], result.basis, ds), note)
    set_table(fig, pd.DataFrame({"deal": deal, "year": year, "from": [labels[s_] for s_, _, _, _ in links],
                                 "to": [labels[t_] for _, t_, _, _ in links], "p50": [v for _, _, v, _ in links],
                                 "unit": "t rare earths", "production_basis": result.basis, "demand_basis": result.demand or ""}),
              {"p50": "t rare earths"})
    text = "; ".join(f"{labels[s_]} to {labels[t_]} {v:,.0f} t" for s_, t_, v, _ in links)
    return set_alt(fig, f"Sankey diagram of the rare earths inside India's magnets in {year} under {deal}, by origin "
                        f"(model medians, t rare-earth element): {text}.")


def china_share_stages_chart(result: Result, deal: str, ds: Dataset, book: DealBook) -> go.Figure:
    """China's share by mass at each stage of India's chain, traced through it (median lines in p05–p95 bands), for one deal.

    The stages are STAGES (rekit.model.origin gives each definition); the dashed line is the older
    measure, China's share of the imported finished magnets only (`china_share_magnet`).
    """
    if deal not in result.deals:
        raise KeyError(f"deal {deal!r} is not in this result; it has {', '.join(result.deals)}")
    table = result.summary(metrics=[*STAGES, "china_share_magnet"])
    table = table[table["deal"] == deal]
    fig = go.Figure()
    colours = dict(zip(STAGES, ("#E69F00", "#CC79A7", "#000000", "#D55E00"), strict=True))
    for metric, label in STAGES.items():
        r = table[table["metric"] == metric].sort_values("year")
        _band(fig, r["year"].tolist(), r["p05"].tolist(), r["p50"].tolist(), r["p95"].tolist(), label, colours[metric], "share", ".0%")
    old = table[table["metric"] == "china_share_magnet"].sort_values("year")
    fig.add_trace(go.Scatter(x=old["year"].tolist(), y=old["p50"].tolist(), mode="lines", name="imported magnets only (untraced)",
                             line=dict(color=GREY, width=2, dash="dash")))
    fig.update_layout(template="rekit", title=f"China's share at each stage, traced through the chain, {plain(deal)}", height=460)
    fig.update_yaxes(title_text="China's share by mass", tickformat=".0%", range=[0, 1])
    fig.update_xaxes(dtick=2)
    draws = f"median and p05–p95 of {result.draws:,} draws (seed {result.seed})" if result.draws else "central values"
    note = f"Model: {draws}, production basis '{result.basis}'. Shares by mass of the material at each stage."
    fig = add_sources(fig, ds, book.source_ids([deal], result.basis, ds), note)
    set_table(fig, _tidy(table, result).assign(stage=lambda f: f["metric"].map(
        {**STAGES, "china_share_magnet": "imported magnets only (untraced)"})), {"p05": "share", "p50": "share", "p95": "share"})
    year = int(result.years[-1])
    last = table[table["year"] == year].set_index("metric")["p50"]
    parts = [f"{label} {last[m]:.0%}" for m, label in STAGES.items()]
    return set_alt(fig, f"China's share at each stage for {deal}, {int(result.years[0])} to {year}; medians in {year}: "
                        + ", ".join(parts) + f"; imported magnets only {last['china_share_magnet']:.0%}.")


#: Sensitivity factors that are not deal parameters, in plain words (rekit.model.sensitivity).
FACTOR_WORDS = {"production": "IREL's output", "capacity": "IREL's capacity", "nd_as_ndpr_oxide": "Nd per t of NdPr oxide",
                "magnets_per_oxide": "magnets per t of oxide", "demand_base": "India's magnet demand, first year",
                "demand_growth": "growth of magnet demand", "export_halt": "when exports to Japan stop",
                "production_basis": "IREL's output path", "demand_basis": "which demand figure", "framing": "framing of the chain",
                "partner_alternative": "the partner's capacity"}


def parameter_label(name: str) -> str:
    """A model input or sensitivity factor in plain words: a deal parameter's meaning from the model's
    parameter table (rekit.model.deals.PARAMS, before its first ':' or ' ('), ``share:X`` as the share of
    IREL's oxide going to X, the other factors from FACTOR_WORDS; else the name with spaces."""
    from rekit.model.deals import PARAMS

    for mark in (" [assumption]",):  # a mark a notebook put on the name stays on the label
        if name.endswith(mark):
            return parameter_label(name.removesuffix(mark)) + mark
    if name.startswith("share:"):
        return f"share of IREL's oxide: {name[6:]}"
    if name in FACTOR_WORDS:
        return FACTOR_WORDS[name]
    doc = getattr(PARAMS.get(name), "doc", "")
    words = doc.split(":")[0].split(" (")[0].strip()
    return words or name.replace("_", " ")


NEGATIVE_NOTE = ("An index below 0 is drawn as 0: a share of variance cannot be negative, and an estimate below 0 "
                 "is sampling error around an input with little or no effect (its interval reaches 0); the download "
                 "keeps the estimate.")


def _clipped(values) -> tuple[list[float], bool]:
    """Sobol estimates drawn at 0 or above (see NEGATIVE_NOTE), and whether any was below 0."""
    v = [float(x) for x in values]
    return [max(x, 0.0) for x in v], any(x < 0 for x in v)


def _sensitivity_table(rows: pd.DataFrame, deal: str, metric: str, year: int, basis: str, demand: str | None,
                       vs: str | None) -> pd.DataFrame:
    cols = [c for c in ("S1", "S1_conf", "ST", "ST_conf", "mu_star", "mu_star_conf", "sigma") if c in rows.columns]
    out = rows[["parameter", *cols]].copy()
    out.insert(1, "input", [parameter_label(v) for v in out["parameter"]])
    out.insert(0, "deal", f"{deal} minus {vs}" if vs else deal)
    out.insert(1, "year", year)
    out.insert(2, "metric", metric)
    out["production_basis"] = basis
    out["demand_basis"] = demand or ""
    return out.reset_index(drop=True)


def tornado_chart(table: pd.DataFrame, ds: Dataset, book: DealBook, *, deal: str, metric: str, year: int,
                  basis: str = "reported", demand: str | None = None, vs: str | None = None, top: int = 12) -> go.Figure:
    """Tornado of a sensitivity table (rekit.model.sensitivity): one bar per input, the most
    influential on top. Sobol tables draw the total index ST with its 95% bootstrap interval;
    Morris tables draw mu* (the mean absolute elementary effect) with its interval."""
    sobol = "ST" in table.columns
    col, conf = ("ST", "ST_conf") if sobol else ("mu_star", "mu_star_conf")
    rows = table.sort_values(col, ascending=False).head(top).iloc[::-1]
    what = f"{deal} minus {vs}" if vs else deal
    index = "total Sobol index ST" if sobol else "Morris mu* (mean |elementary effect|)"
    drawn, negative = _clipped(rows[col]) if sobol else (rows[col].tolist(), False)
    fig = go.Figure(go.Bar(x=drawn, y=[wrapped(parameter_label(v), 34) for v in rows["parameter"]], orientation="h", name=index,
                           marker_color=PALETTE[0],
                           error_x=dict(type="data", array=rows[conf].tolist(), color="#555", thickness=1),
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    title = f"What drives {metric.replace('_', ' ')} in {year}: {what}"
    fig.update_layout(template="rekit", title=plain(title), height=160 + 36 * len(rows), showlegend=False,
                      xaxis_title=index, margin=dict(l=230))
    note = (f"Global sensitivity analysis (SALib, {'Sobol' if sobol else 'Morris'}), production basis '{basis}'"
            + (f", demand '{demand}'" if demand else "") + "; bars: 95% bootstrap intervals." + (f" {NEGATIVE_NOTE}" if negative else ""))
    fig = add_sources(fig, ds, book.source_ids([deal] + ([vs] if vs else []), basis, ds, demand), note)
    set_table(fig, _sensitivity_table(rows.iloc[::-1], deal, metric, year, basis, demand, vs))
    ranked = rows.iloc[::-1]
    set_alt(fig, f"{title}. Horizontal bars, one per input, ranked by {index}: "
                 + "; ".join(f"{parameter_label(r.parameter)} {getattr(r, col):.2f}" for r in ranked.head(5).itertuples()) + ".")
    return fig


def sobol_chart(table: pd.DataFrame, ds: Dataset, book: DealBook, *, deal: str, metric: str, year: int,
                basis: str = "reported", demand: str | None = None, vs: str | None = None, top: int = 12) -> go.Figure:
    """First-order (S1) and total (ST) Sobol indices side by side for each input: S1 is the share of
    the output's variance an input explains alone, ST adds its interactions (Saltelli et al. 2010)."""
    if "S1" not in table.columns:
        raise KeyError("sobol_chart needs a Sobol table (columns S1, ST); this one has " + ", ".join(table.columns))
    rows = table.sort_values("ST", ascending=False).head(top)
    fig = go.Figure()
    negative = False
    for k, (col, conf, label) in enumerate((("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST"))):
        drawn, below = _clipped(rows[col])
        negative = negative or below
        fig.add_trace(go.Bar(x=[wrapped(parameter_label(v), 24) for v in rows["parameter"]], y=drawn, name=label,
                             marker_color=PALETTE[k],
                             error_y=dict(type="data", array=rows[conf].tolist(), color="#555", thickness=1)))
    what = f"{deal} minus {vs}" if vs else deal
    title = f"Sobol indices of {metric.replace('_', ' ')} in {year}: {what}"
    fig.update_layout(template="rekit", title=plain(title), barmode="group", yaxis_title="share of variance", height=470)
    fig.update_xaxes(tickangle=-35)
    note = (f"Sobol indices (SALib) with 95% bootstrap intervals; production basis '{basis}'" + (f", demand '{demand}'." if demand else ".")
            + (f" {NEGATIVE_NOTE}" if negative else ""))
    fig = add_sources(fig, ds, book.source_ids([deal] + ([vs] if vs else []), basis, ds, demand), note)
    set_table(fig, _sensitivity_table(rows, deal, metric, year, basis, demand, vs), {"S1": "share of variance",
                                                                                    "ST": "share of variance"})
    set_alt(fig, f"{title}. Grouped bars, S1 and ST per input: "
                 + "; ".join(f"{parameter_label(r.parameter)} S1 {r.S1:.2f}, ST {r.ST:.2f}" for r in rows.head(5).itertuples()) + ".")
    return fig


def save_image(fig: go.Figure, path: str, scale: float = 2.0) -> str:
    """Write a PNG, SVG or PDF of a figure with kaleido and a Chromium browser; a clear error without one.

    kaleido >= 1 drives an installed Chrome or Chromium (Debian's `chromium`, found at
    /usr/bin/chromium or through BROWSER_PATH). Returns the path written.
    """
    from rekit.figures.images import write_image

    return write_image(fig, path, scale=scale)
