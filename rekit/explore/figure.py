"""The explorer's figure: built once with a trace per deal and part (`make_figure`), then restyled in
place for each result (`update_figure`), so a slider move sends one small update to the browser.

Two panels, self-sufficiency over export share; for every deal of the book a p05–p95 band and a
median line in each, hidden until the deal is shown, and one marker trace per panel for the
headline year. Every deal keeps its colour whichever deals are shown.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rekit.explore.state import series
from rekit.figures.charts import FONT, deal_colors, plain, rgba  # charts registers the "rekit" template
from rekit.model.deals import DealBook
from rekit.model.simulation import Result

__all__ = ["FIG_HEIGHT", "FIG_WIDTH", "METRICS_SHOWN", "make_figure", "trace_index", "update_figure"]

#: The two metrics drawn, top and bottom: (metric, panel title, axis title, number format).
METRICS_SHOWN: tuple[tuple[str, str, str, str], ...] = (
    ("self_sufficiency", "Self-sufficiency: magnets from IREL's oxide / India's NdFeB demand", "ratio", ".0%"),
    ("export_share", "Export share: IREL's neodymium exported / its output", "share", ".0%"),
)
FIG_WIDTH, FIG_HEIGHT = 720, 600


def trace_index(book_deals: Sequence[str]) -> dict[tuple[int, str, str], int]:
    """Where each (panel, deal, part) trace sits in the figure: part is high, low or mid; 'marker' per panel."""
    idx, k = {}, 0
    for panel in range(len(METRICS_SHOWN)):
        for deal in book_deals:
            for part in ("high", "low", "mid"):
                idx[(panel, deal, part)] = k
                k += 1
        idx[(panel, "", "marker")] = k
        k += 1
    return idx


def make_figure(book: DealBook, width: int = FIG_WIDTH, height: int = FIG_HEIGHT) -> go.Figure:
    """The explorer's figure, empty: for every deal of the book a p05–p95 band and a median line in each
    panel (hidden until used), and one marker trace per panel for the headline year.

    The traces never change in number, so an update only restyles them.
    """
    names = list(book.deals)
    colours = deal_colors(names)
    fig = make_subplots(rows=len(METRICS_SHOWN), cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=[t for _, t, _, _ in METRICS_SHOWN])
    for panel, (metric, _, _, fmt) in enumerate(METRICS_SHOWN):
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
                hovertemplate=f"<b>{plain(deal)}</b> %{{x}}: %{{y:{fmt}}} (p05–p95 %{{customdata[0]:{fmt}}}–%{{customdata[1]:{fmt}}})"
                              "<extra></extra>", **common), row=row, col=1)
        fig.add_trace(go.Scatter(x=[], y=[], mode="markers", name="headline year", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=9, color=[], line=dict(color="white", width=1.5))), row=row, col=1)
    fig.update_yaxes(title_text=METRICS_SHOWN[0][2], tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=METRICS_SHOWN[1][2], tickformat=".0%", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="year", row=len(METRICS_SHOWN), col=1)
    fig.update_xaxes(dtick=2, tickformat="d")
    fig.add_hline(y=1, line=dict(color="#888", dash="dot", width=1), row=1, col=1)
    fig.update_annotations(font=dict(size=13, family=FONT), xanchor="left", x=0)
    fig.update_layout(template="rekit", width=width, height=height, margin=dict(l=70, r=20, t=80, b=60),
                      legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0),
                      meta={"rekit": "explorer", "deals": names})
    return fig


def update_figure(fig: go.Figure, result: Result, year: int, book_deals: Sequence[str]) -> None:
    """Restyle `fig` (from make_figure) in place for `result`: one batch, no new traces.

    For a FigureWidget this sends one message to the browser; a plain Figure is just changed.
    """
    idx = trace_index(book_deals)
    colours = deal_colors(book_deals)
    x = result.years
    shown = set(result.deals)
    year_at = int(np.searchsorted(result.years, year))
    data = fig.data
    batch = fig.batch_update() if isinstance(fig, go.FigureWidget) else nullcontext()
    with batch:
        for panel, (metric, *_rest) in enumerate(METRICS_SHOWN):
            bands = series(result, metric)
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
            marker = data[idx[(panel, "", "marker")]]
            marker.update(x=[int(year)] * len(result.deals),
                          y=[float(bands[d][1, year_at]) for d in result.deals],
                          marker_color=[colours[d] for d in result.deals], visible=True)
