"""The explorer's figure: built once with a trace per deal and part (`make_figure`), then restyled in
place for each result (`update_figure`), so a slider move sends one small update to the browser.

Two panels, own-feedstock coverage over export share, each y axis in percent with what it is a percent
of; for every deal of the book a p05–p95 band and a line in each, hidden until the deal is shown (the
line is the median of the draws, or with draws = 0 the central values, and its hover says which); one
marker trace per panel for the headline year, and one for the structural envelope at the headline year
(grey bars: p05–p95 over every production basis, demand basis and framing pooled,
rekit.explore.state.structural_envelope). A line that lies on another deal's line is named "same as X"
in the legend and under the panel's title. Every deal keeps its colour whichever deals are shown.

The recycling section's chart (`stock_figure`, restyled by `update_stock_figure`) is
rekit.figures.recycling.in_use_chart: magnets in use and end-of-life scrap by end use.
"""

from __future__ import annotations

from contextlib import nullcontext
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rekit.explore.state import coincident, scenario_words, series
from rekit.data.dataset import Dataset
from rekit.figures.charts import FONT, deal_colors, plain, rgba  # charts registers the "rekit" template
from rekit.figures.recycling import in_use_chart
from rekit.model.deals import DealBook
from rekit.model.simulation import Result

__all__ = ["ENVELOPE_NAME", "FIG_HEIGHT", "FIG_WIDTH", "METRICS_SHOWN", "make_figure", "same_note", "stock_figure",
           "trace_index", "update_figure", "update_stock_figure"]

#: The two metrics drawn, top and bottom: (metric, panel title, axis title, number format).
#: `self_sufficiency` is own-feedstock coverage under its old name (rekit.model.simulation.METRICS).
METRICS_SHOWN: tuple[tuple[str, str, str, str], ...] = (
    ("self_sufficiency", "Own-feedstock coverage: magnets from IREL's oxide (t magnet) / India's NdFeB magnet demand (t magnet)",
     "% of magnet demand", ".0%"),
    ("export_share", "Export share: IREL's neodymium exported (t Nd) / its output (t Nd)", "% of IREL's Nd output", ".0%"),
)
FIG_WIDTH, FIG_HEIGHT = 720, 620
#: The legend name of the structural envelope's bars.
ENVELOPE_NAME = "structural envelope, headline year (p05–p95 over every basis and framing)"
_HOVER = {
    "central": "<b>{deal}</b> %{{x}}: %{{y:{fmt}}} (central value)<extra></extra>",
    "median": "<b>{deal}</b> %{{x}}: median %{{y:{fmt}}} (p05–p95 %{{customdata[0]:{fmt}}}–%{{customdata[1]:{fmt}}})<extra></extra>",
}


def trace_index(book_deals: Sequence[str]) -> dict[tuple[int, str, str], int]:
    """Where each (panel, deal, part) trace sits in the figure: part is high, low or mid; 'marker' per panel."""
    idx, k = {}, 0
    for panel in range(len(METRICS_SHOWN)):
        for deal in book_deals:
            for part in ("high", "low", "mid"):
                idx[(panel, deal, part)] = k
                k += 1
        idx[(panel, "", "marker")] = k
        idx[(panel, "", "envelope")] = k + 1
        k += 2
    return idx


def same_note(same: Mapping[str, str]) -> str:
    """The note under a panel's title for lines drawn on top of each other: {'b': 'a'} -> 'b: same line as a'."""
    return "; ".join(f"{plain(d)}: same line as {plain(o)}" for d, o in same.items())


def make_figure(book: DealBook, width: int = FIG_WIDTH, height: int = FIG_HEIGHT) -> go.Figure:
    """The explorer's figure, empty: for every deal of the book a p05–p95 band and a line in each panel
    (hidden until used), and per panel a marker trace for the headline year and the structural envelope's bars.

    The traces never change in number, so an update only restyles them.
    """
    names = list(book.deals)
    colours = deal_colors(names)
    fig = make_subplots(rows=len(METRICS_SHOWN), cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=[t for _, t, _, _ in METRICS_SHOWN])
    for panel, (_metric, _, _, fmt) in enumerate(METRICS_SHOWN):
        row = panel + 1
        for deal in names:
            c = colours[deal]
            common = dict(x=[], y=[], legendgroup=deal, visible=False)
            fig.add_trace(go.Scatter(mode="lines", line=dict(width=0, color=c), hoverinfo="skip", showlegend=False,
                                     name=f"{plain(deal)} p95", **common), row=row, col=1)
            fig.add_trace(go.Scatter(mode="lines", line=dict(width=0, color=c), fill="tonexty", fillcolor=rgba(c, 0.18),
                                     hoverinfo="skip", showlegend=False, name=f"{plain(deal)} p05", **common), row=row, col=1)
            fig.add_trace(go.Scatter(
                mode="lines", name=plain(deal), line=dict(color=c, width=2.5), showlegend=panel == 0, customdata=[],
                hovertemplate=_HOVER["central"].format(deal=plain(deal), fmt=fmt), **common), row=row, col=1)
        fig.add_trace(go.Scatter(x=[], y=[], mode="markers", name="headline year", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=9, color=[], line=dict(color="white", width=1.5))), row=row, col=1)
        fig.add_trace(go.Scatter(
            x=[], y=[], mode="markers", name=ENVELOPE_NAME, showlegend=panel == 0, legendgroup="envelope", visible=False,
            marker=dict(size=1, color="#555"), customdata=[],
            error_y=dict(type="data", symmetric=False, array=[], arrayminus=[], color="#555", thickness=2, width=5),
            hovertemplate=f"<b>%{{customdata[0]}}</b>: structural envelope %{{customdata[1]:{fmt}}}–%{{customdata[2]:{fmt}}}"
                          "<br>low end: %{customdata[3]}<br>high end: %{customdata[4]}<extra></extra>"), row=row, col=1)
    fig.update_yaxes(title_text=METRICS_SHOWN[0][2], tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=METRICS_SHOWN[1][2], tickformat=".0%", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="year", row=len(METRICS_SHOWN), col=1)
    fig.update_xaxes(dtick=2, tickformat="d")
    fig.add_hline(y=1, line=dict(color="#888", dash="dot", width=1), row=1, col=1)
    fig.update_annotations(font=dict(size=13, family=FONT), xanchor="left", x=0)
    fig.update_layout(template="rekit", width=width, height=height, margin=dict(l=70, r=20, t=80, b=60),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0),
                      meta={"rekit": "explorer", "deals": names})
    return fig


def update_figure(fig: go.Figure, result: Result, year: int, book_deals: Sequence[str],
                  envelope: pd.DataFrame | None = None) -> dict[str, dict[str, str]]:
    """Restyle `fig` (from make_figure) in place for `result`: one batch, no new traces.

    `envelope` is rekit.explore.state.structural_envelope of the deals shown (None: no envelope bars).
    Returns, per metric drawn, the lines that lie on another's ({deal: the deal it coincides with}).
    For a FigureWidget this sends one message to the browser; a plain Figure is just changed.
    """
    idx = trace_index(book_deals)
    colours = deal_colors(book_deals)
    x = result.years
    shown = set(result.deals)
    year_at = int(np.searchsorted(result.years, year))
    kind = "median" if result.draws else "central"
    data = fig.data
    same_by_metric: dict[str, dict[str, str]] = {}
    batch = fig.batch_update() if isinstance(fig, go.FigureWidget) else nullcontext()
    with batch:
        for panel, (metric, title, _axis, fmt) in enumerate(METRICS_SHOWN):
            bands = series(result, metric)
            same = coincident({d: bands[d][1] for d in result.deals})
            same_by_metric[metric] = same
            for deal in book_deals:
                high, low, mid = (data[idx[(panel, deal, part)]] for part in ("high", "low", "mid"))
                if deal not in shown:
                    for t in (high, low, mid):
                        if t.visible is not False:
                            t.visible = False
                    continue
                q = bands[deal]
                band_visible = bool(result.draws) and bool(np.any(q[2] > q[0]))
                same_x = mid.x is not None and len(mid.x) == len(x) and np.array_equal(mid.x, x)
                for t, y, vis in ((high, q[2], band_visible), (low, q[0], band_visible), (mid, q[1], True)):
                    if not same_x:
                        t.x = x
                    if vis or t.visible is not False:  # hidden bands stay as they are
                        t.y = y
                    if t.visible is not vis:
                        t.visible = vis
                mid.customdata = np.column_stack([q[0], q[2]])
                name = plain(deal) + (f" (same as {plain(same[deal])})" if deal in same else "")
                if mid.name != name:
                    mid.name = name
                hover = _HOVER[kind].format(deal=name, fmt=fmt)
                if mid.hovertemplate != hover:
                    mid.hovertemplate = hover
            note = same_note(same)
            text = title + (f"<br><sup>{note}</sup>" if note else "")
            if fig.layout.annotations[panel].text != text:
                fig.layout.annotations[panel].text = text
            marker = data[idx[(panel, "", "marker")]]
            marker.update(x=[int(year)] * len(result.deals),
                          y=[float(bands[d][1, year_at]) for d in result.deals],
                          marker_color=[colours[d] for d in result.deals], visible=True)
            _draw_envelope(data[idx[(panel, "", "envelope")]], envelope, metric, result.deals, int(year))
    return same_by_metric


def _draw_envelope(trace, envelope: pd.DataFrame | None, metric: str, deals: Sequence[str], year: int) -> None:
    """The envelope's bars at the headline year, one a deal, each a little to the right of the last
    (0.12 year apart), so bars of several deals stand side by side."""
    rows = None if envelope is None else envelope[(envelope["metric"] == metric) & (envelope["year"] == year)].set_index("deal")
    found = [] if rows is None else [d for d in deals if d in rows.index]
    if not found:
        if trace.visible is not False:
            trace.visible = False
        return
    assert rows is not None
    lo = np.array([float(rows.at[d, "envelope_p05"]) for d in found])
    hi = np.array([float(rows.at[d, "envelope_p95"]) for d in found])
    mid = (lo + hi) / 2
    trace.update(x=[year + 0.12 * (i + 1) for i in range(len(found))], y=mid,
                 error_y=dict(array=hi - mid, arrayminus=mid - lo),
                 customdata=[[plain(d), lo[i], hi[i], plain(scenario_words(rows.at[d, "low_scenario"])),
                              plain(scenario_words(rows.at[d, "high_scenario"]))]  # the panel's words, escaped for plotly
                             for i, d in enumerate(found)],
                 visible=True)


def stock_figure(stocks: pd.DataFrame, titles: Mapping[str, str], ds: Dataset, source_ids: Sequence[str],
                 demand: str) -> go.Figure:
    """The recycling section's chart: magnets in use and end-of-life scrap by end use over time (t magnet),
    drawn by rekit.figures.recycling.in_use_chart from `stocks` (rekit.explore.state.magnets_in_use) under the
    demand basis `demand`."""
    return in_use_chart(stocks, dict(titles), ds, list(source_ids), demand)


def update_stock_figure(fig: go.Figure, new: go.Figure) -> None:
    """Restyle `fig` (a stock_figure, or its FigureWidget) in place to show `new`, another stock_figure: the
    traces' data, names and legend groups, the title, the notes and the tidy table, in one batch. When the
    end uses differ in number, the traces are replaced."""
    batch = fig.batch_update() if isinstance(fig, go.FigureWidget) else nullcontext()
    with batch:
        if len(fig.data) == len(new.data):
            for old, t in zip(fig.data, new.data, strict=True):
                old.update(x=t.x, y=t.y, name=t.name, legendgroup=t.legendgroup, hovertemplate=t.hovertemplate,
                           line=t.line, showlegend=t.showlegend)
        else:
            fig.data = ()
            fig.update_layout(new.layout)  # the subplots' axes, where the figure had none
            fig.add_traces(list(new.data))  # each trace keeps its axes (xaxis, yaxis) from in_use_chart
        fig.layout.title = new.layout.title
        fig.layout.annotations = new.layout.annotations
        fig.layout.meta = new.layout.meta
        fig.layout.margin = new.layout.margin
