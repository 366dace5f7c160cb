"""Plotly figures for the kit, in one visual style, each with its sources written under it.

Functions take data (a Dataset) or model results and return `plotly.graph_objects.Figure`;
nothing here computes the model or runs notebooks. Ranges and conflicting sources are drawn as
such: reported ranges as error bars, each source its own marker, Monte Carlo results as
median lines inside p05-p95 bands.
"""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from rekit.figures import render  # noqa: F401  (registers the renderer that works in JupyterLab and in reports)
from rekit.data.dataset import Dataset
from rekit.data.periods import parse_period
from rekit.model.deals import DealBook
from rekit.model.simulation import METRICS, Result
from rekit.model.supply import concentration_table

PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#e07a5f", "#3d405b", "#9c6644", "#5f0f40")
FONT = "Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif"
SOURCE_WRAP = 115  # characters a line in the sources note (fits a 700 px wide chart)

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


def add_sources(fig: go.Figure, ds: Dataset, source_ids, note: str = "") -> go.Figure:
    """Write the sources (and an optional note) under the plot, growing the bottom margin to fit."""
    text = " ".join(t for t in (note, sources_text(ds, source_ids)) if t)
    lines = textwrap.wrap(text, SOURCE_WRAP) or [""]
    fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, yshift=-60, xanchor="left",
                       yanchor="top", showarrow=False, align="left", font=dict(size=10, color="#555"))
    fig.update_layout(margin=dict(b=80 + 14 * len(lines)), height=(fig.layout.height or 460) + 14 * len(lines))
    fig.layout.meta = {**(fig.layout.meta or {}), "sources": list(dict.fromkeys(source_ids))}
    return fig


def _band(fig: go.Figure, x, low, mid, high, name: str, colour: str, unit: str, fmt: str, legendgroup: str | None = None) -> None:
    group = legendgroup or name
    fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=group))
    fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line=dict(width=0), fill="tonexty", fillcolor=rgba(colour, 0.18),
                             hoverinfo="skip", showlegend=False, legendgroup=group))
    fig.add_trace(go.Scatter(
        x=x, y=mid, mode="lines", name=name, line=dict(color=colour, width=2.5), legendgroup=group,
        customdata=list(zip(low, high)),
        hovertemplate=f"<b>{name}</b> %{{x}}: %{{y:{fmt}}} {unit} (p05–p95 %{{customdata[0]:{fmt}}}–%{{customdata[1]:{fmt}}})<extra></extra>",
    ))


def projection_chart(result: Result, metric: str, ds: Dataset, book: DealBook, title: str,
                     yaxis_title: str | None = None, fmt: str = ".2f") -> go.Figure:
    """Median lines with p05–p95 bands of one model metric, one colour per deal."""
    if metric not in METRICS:
        raise KeyError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    unit = METRICS[metric][0]
    table = result.summary()
    table = table[table["metric"] == metric]
    fig = go.Figure()
    colours = deal_colors(result.deals)
    for deal in result.deals:
        rows = table[table["deal"] == deal]
        _band(fig, rows["year"].tolist(), rows["p05"].tolist(), rows["p50"].tolist(), rows["p95"].tolist(), deal, colours[deal], unit, fmt)
    fig.update_layout(template="rekit", title=title, xaxis_title="year", yaxis_title=yaxis_title or f"{metric.replace('_', ' ')} ({unit})")
    note = (f"Model: median and p05–p95 of {result.draws:,} draws (seed {result.seed}), production basis '{result.basis}'."
            if result.draws else f"Model: central values, production basis '{result.basis}'.")
    return add_sources(fig, ds, book.source_ids(list(result.deals), result.basis, ds), note)


def self_sufficiency_chart(result: Result, ds: Dataset, book: DealBook) -> go.Figure:
    """India's neodymium self-sufficiency (magnets from own oxide / magnet demand) under each deal."""
    fig = projection_chart(result, "self_sufficiency", ds, book,
                           "India's neodymium self-sufficiency under partner deals",
                           "magnets from IREL's oxide / India's NdFeB demand")
    fig.add_hline(y=1, line=dict(color="#888", dash="dot", width=1), annotation_text="demand met",
                  annotation_position="top left", annotation_font=dict(size=11, color="#666"))
    return fig


def export_share_chart(ds: Dataset, book: DealBook | None = None, result: Result | None = None) -> go.Figure:
    """IREL's export share: every observed figure with its source, and deal projections as bands."""
    obs = ds.series("re_export_share", entity="IREL")
    fig = go.Figure()
    if result is not None and book is not None:
        table = result.summary()
        table = table[table["metric"] == "export_share"]
        colours = deal_colors(result.deals)
        for deal in result.deals:
            rows = table[table["deal"] == deal]
            _band(fig, rows["year"].tolist(), rows["p05"].tolist(), rows["p50"].tolist(), rows["p95"].tolist(),
                  deal, colours[deal], "", ".1%")
    symbols = {"reported": "circle", "estimate": "diamond", "target": "star", "derived": "square", "assumption": "x"}
    for r in obs.itertuples(index=False):
        err = None
        if pd.notna(r.low) or pd.notna(r.high):
            err = dict(type="data", symmetric=False, array=[(r.high - r.value) if pd.notna(r.high) else 0],
                       arrayminus=[(r.value - r.low) if pd.notna(r.low) else 0])
        fig.add_trace(go.Scatter(
            x=[int(r.period_start.year)], y=[r.value], mode="markers", error_y=err,
            marker=dict(size=12, symbol=symbols.get(r.status, "circle"), color="#222", line=dict(color="white", width=1)),
            name=f"{r.status}: {r.publisher}", legendgroup="observed",
            hovertemplate=f"<b>{r.period}</b> %{{y:.1%}} ({r.status})<br>{textwrap.shorten(str(r.quote if pd.notna(r.quote) else r.note), 120)}"
                          f"<br>{r.publisher}, {r.date}<extra></extra>",
        ))
    fig.update_layout(template="rekit", title="IREL's export share: rare earths shipped to Japan over IREL's output",
                      xaxis_title="year", yaxis_title="share of output exported", yaxis_tickformat=".0%")
    ids = list(obs["source_id"])
    note = "Observed: markers, one per source (a square is our arithmetic from reported tonnages)."
    if result is not None and book is not None:
        ids += book.source_ids(list(result.deals), result.basis, ds)
        note += f" Projections: median and p05–p95 of {max(result.draws, 1):,} draws, basis '{result.basis}'."
    return add_sources(fig, ds, ids, note)


def mine_production_chart(ds: Dataset, edition: str | None = None, top: int = 6) -> go.Figure:
    """World mine production by country (USGS, t REO) as stacked bars, with the top-3 share and HHI.

    Each year is taken from the newest USGS edition that reports it, unless `edition` is given;
    the edition used is named on each bar.
    """
    table = concentration_table(ds, edition=[edition] if edition else None)
    newest = table.groupby("year")["edition"].max()
    table = table[table["edition"] == table["year"].map(newest)].sort_values(["year", "rank"])
    leaders = table.groupby("entity")["value"].sum().nlargest(top).index.tolist()
    table["group"] = table["entity"].where(table["entity"].isin(leaders), "all others")
    years = sorted(table["year"].unique())
    fig = go.Figure()
    for i, name in enumerate([*leaders, "all others"]):
        rows = table[table["group"] == name].groupby("year").agg(value=("value", "sum"), share=("share", "sum"), edition=("edition", "first"))
        rows = rows.reindex(years)
        fig.add_trace(go.Bar(x=years, y=rows["value"], name=name, marker_color=PALETTE[i % len(PALETTE)] if name != "all others" else "#bbb",
                             customdata=list(zip(rows["share"], rows["edition"])),
                             hovertemplate=f"<b>{name}</b> %{{x}}: %{{y:,.0f}} t REO (%{{customdata[0]:.1%}}; %{{customdata[1]}})<extra></extra>"))
    per_year = table.groupby("year").agg(top3=("top3_share", "first"), hhi=("hhi", "first"), edition=("edition", "first")).reindex(years)
    fig.add_trace(go.Scatter(x=years, y=per_year["top3"], yaxis="y2", mode="lines+markers+text", name="top-3 share",
                             line=dict(color="#222", width=2), text=[f"HHI {h:,.0f}" for h in per_year["hhi"]],
                             textposition="top center", customdata=list(zip(per_year["hhi"], per_year["edition"])),
                             hovertemplate="top-3 share %{x}: %{y:.1%}<br>HHI %{customdata[0]:,.0f} (%{customdata[1]})<extra></extra>"))
    fig.update_layout(template="rekit", barmode="stack", title="World rare-earth mine production and its concentration",
                      xaxis=dict(title="year", tickmode="array", tickvals=years),
                      yaxis=dict(title="t REO equivalent"),
                      yaxis2=dict(title="top-3 share", overlaying="y", side="right", range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1],
                                  tickformat=".0%", showgrid=False), margin=dict(r=80))
    note = ("USGS Mineral Commodity Summaries; each year from the newest edition reporting it. HHI = Σ(100·share)² over named "
            "countries (USGS's 'Other' excluded), 0 to 10,000.")
    return add_sources(fig, ds, sorted(table["edition"].unique()), note)


KIND_STYLE = {
    "export_control": ("#d1495b", "China's export controls"),
    "directive": ("#edae49", "directives"),
    "agreement": ("#1b6ca8", "agreements"),
    "partnership": ("#00798c", "partnerships"),
    "policy": ("#66a182", "policy"),
    "tender": ("#8d6a9f", "tenders"),
    "other": ("#888888", "other"),
}


def timeline_chart(ds: Dataset, since: str | None = None) -> go.Figure:
    """Export controls, directives, agreements and schemes: one row per event, newest at the bottom, coloured by kind."""
    ev = ds.events.sort_values("date_start")
    if since:
        ev = ev[ev["date_start"] >= pd.Timestamp(parse_period(since).start)]
    labels = [textwrap.shorten(f"{r.title} ({r.actor})", 60, placeholder="…") for r in ev.itertuples()]
    fig = go.Figure()
    for kind, (colour, label) in KIND_STYLE.items():
        mask = (ev["kind"] == kind).to_numpy()
        if not mask.any():
            continue
        rows = ev[mask]
        fig.add_trace(go.Scatter(
            x=rows["date_start"], y=[lab for lab, m in zip(labels, mask) if m], mode="markers", name=label,
            marker=dict(size=12, color=colour, line=dict(color="white", width=1)),
            customdata=list(zip(rows["date"], rows["description"].map(lambda d: "<br>".join(textwrap.wrap(d, 70))))),
            hovertemplate="<b>%{customdata[0]}</b> %{y}<br>%{customdata[1]}<extra></extra>",
        ))
    fig.update_layout(template="rekit", title="Export controls, directives and deals: the timeline", xaxis_title="date",
                      yaxis=dict(categoryorder="array", categoryarray=labels[::-1], title="", showgrid=True, automargin=True),
                      legend=dict(xref="container", x=0.01), height=240 + 26 * len(labels))
    return add_sources(fig, ds, list(ev["source_id"]))


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
    colours = ["#3d405b", "#d1495b", "#1b6ca8", "#66a182", "#bbbbbb", "#9c6644", "#999999", "#00798c"]
    fig = go.Figure(go.Sankey(
        valueformat=",.0f", valuesuffix=" t Nd",
        node=dict(label=labels, color=colours, pad=18, thickness=16),
        link=dict(source=[s for s, _, _ in links], target=[t for _, t, _ in links], value=[v for _, _, v in links],
                  color=[rgba(colours[t], 0.35) for _, t, _ in links]),
    ))
    fig.update_layout(template="rekit", title=f"Neodymium flows, {deal}, {year} (medians, t Nd)", height=480)
    note = (f"Model medians of {max(result.draws, 1):,} draws, basis '{result.basis}'; magnets shown by their Nd content "
            f"(w = {w:g} t Nd per t magnet).")
    return add_sources(fig, ds, book.source_ids([deal], result.basis, ds), note)


def save_image(fig: go.Figure, path: str, scale: float = 2.0) -> str:
    """Write a PNG, SVG or PDF of a figure with kaleido and a Chromium browser; a clear error without one.

    kaleido >= 1 drives an installed Chrome or Chromium (Debian's `chromium`, found at
    /usr/bin/chromium or through BROWSER_PATH). Returns the path written.
    """
    from rekit.figures.images import write_image

    return write_image(fig, path, scale=scale)
