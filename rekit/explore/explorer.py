"""The deal explorer: one call in a notebook opens sliders over the partner-deal model.

    from rekit.explore import explore
    explore(["status_quo", "toll_japan", "repm_scheme"])

Controls (ipywidgets) for the deals to compare, the production basis, IREL's output scale, the
yields, the partner's retained share, India's magnet demand and its growth, the years, the
draws and the headline year drive a plotly ``FigureWidget`` (self-sufficiency and export share,
one colour per deal) that is updated in place, and a panel with the headline numbers and the
sources of the figures in use.

The sliders start at the deals' own central values in the headline year (read from
data/deals.yml and the data, not typed here). A slider left where it started leaves every deal as sourced (including parameters
that change by year, such as demand growth); a slider you move overrides that parameter for
every deal shown, and the panel says so. "Reset" returns to the deals' own values. Where the
deals differ (the retained share is 0 for a deal without a tolling partner), a slider starts at
the largest value, that of the deals the parameter matters for.

The logic is plain functions, separate from the widget wiring, so it can be tested and timed:
``State`` (what the controls say), ``compute(state, book) -> Result``, ``series(result, metric)``,
``headline(result, year) -> DataFrame``, ``make_figure(book)`` and ``update_figure(fig, result,
year, deal_names)``, ``panel_html(...)``. Inputs the model cannot compute (demand 0, a yield of 0, a one-year
range, no deal) give a message in the panel, never a traceback, and the last good chart stays.

Stable hooks for browser tests: the whole explorer has the CSS class ``rekit-explorer``; each
control ``rekit-<name>`` (``rekit-retained-share``, ``rekit-deals``, ``rekit-years`` ...); the
figure ``rekit-explorer-figure``; the panel ``rekit-panel``, inside which ``.rekit-headline``
carries ``data-status`` (ok/error), ``data-year``, ``data-deals`` and ``data-updates``, and each
number is a cell ``.rekit-ssr`` / ``.rekit-export-share`` with ``data-deal`` and ``data-value``.
"""

from __future__ import annotations

import hashlib
import html
import math
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rekit.figures.charts import FONT, rgba, deal_colors  # noqa: F401  (charts registers the "rekit" template)
from rekit.data.dataset import Dataset, load
from rekit.model.deals import PARAMS, YEARS, DealBook, DealError, load_deals
from rekit.model.simulation import ModelError, Result, simulate
from rekit.errors import RekitError

__all__ = [
    "ExploreError", "Slider", "SLIDERS", "State", "central_values", "compute", "series", "headline",
    "make_figure", "update_figure", "panel_html", "sources_for", "explain", "Explorer", "explore", "METRICS_SHOWN",
]

#: The two metrics drawn, top and bottom: (metric, panel title, axis title, number format).
METRICS_SHOWN: tuple[tuple[str, str, str, str], ...] = (
    ("self_sufficiency", "Self-sufficiency: magnets from IREL's oxide / India's NdFeB demand", "ratio", ".0%"),
    ("export_share", "Export share: IREL's neodymium exported / its output", "share", ".0%"),
)
BAND = (0.05, 0.5, 0.95)
FIG_WIDTH, FIG_HEIGHT = 720, 600


class ExploreError(RekitError, ValueError):
    """A combination of controls the explorer cannot draw; the message says what to change."""


@dataclass(frozen=True)
class Slider:
    """A numeric control: the model parameter it sets, its label, range, step and readout format."""

    name: str
    label: str
    lo: float
    hi: float
    step: float
    fmt: str
    unit: str
    help: str


#: The sliders, in the order shown. `production_scale` multiplies IREL's output path; the others
#: are deal parameters (rekit.deals.PARAMS) and start at the deals' central values.
SLIDERS: dict[str, Slider] = {s.name: s for s in (
    Slider("production_scale", "IREL output ×", 0.0, 3.0, 0.05, ".2f", "× basis",
           "multiplies IREL's production path (1 = the basis as sourced)"),
    Slider("eta_metal", "oxide→metal yield", 0.0, 1.0, 0.01, ".2f", "t/t", PARAMS["eta_metal"].doc),
    Slider("eta_magnet", "metal→magnet yield", 0.0, 1.0, 0.01, ".2f", "t/t", PARAMS["eta_magnet"].doc),
    Slider("retained_share", "partner keeps", 0.0, 1.0, 0.01, ".2f", "share", PARAMS["retained_share"].doc),
    Slider("demand_base", "demand (t magnet)", 0.0, 5000.0, 10.0, ".0f", "t magnet", PARAMS["demand_base"].doc),
    Slider("demand_growth", "demand growth /yr", 0.0, 0.30, 0.005, ".3f", "per year", PARAMS["demand_growth"].doc),
)}
OVERRIDABLE = tuple(n for n in SLIDERS if n in PARAMS)


@dataclass(frozen=True)
class State:
    """What the controls say: everything `compute` needs, and the year of the headline numbers.

    `overrides` holds only the parameters the user moved away from the deals' values.
    """

    deals: tuple[str, ...]
    basis: str = "reported"
    years: tuple[int, int] = (2024, 2035)
    draws: int = 0
    seed: int = 0
    production_scale: float = 1.0
    overrides: Mapping[str, float] = field(default_factory=dict)
    headline_year: int = 2030


# ---------------------------------------------------------------------------------------------
# Plain functions: the model, the numbers, the figure and the panel.
# ---------------------------------------------------------------------------------------------


def central_values(book: DealBook, deals: Sequence[str], year: int) -> dict[str, float]:
    """Each overridable parameter's central value in `year` over `deals`: the largest where they differ.

    These are the sliders' starting points: the deals' own numbers from data/deals.yml (which
    take them from observations), not numbers typed into the explorer.
    """
    names = list(deals) or list(book.deals)
    yr = np.array([year])
    out = {}
    for p in OVERRIDABLE:
        vals = [float(book.get(n).params[p].draw(p, 0, 0, yr)[-1, 0]) for n in names]
        out[p] = max(vals)
    return out


def compute(state: State, book: DealBook) -> Result:
    """Run the model for a State; ExploreError or ModelError (with a clear message) when it cannot."""
    if not state.deals:
        raise ExploreError("no deal selected: pick one or more deals (Ctrl- or Cmd-click to pick several)")
    start, end = (int(y) for y in state.years)
    if start >= end:
        raise ExploreError(f"the year range {start}–{end} has zero length: widen it to at least two years")
    if not start <= state.headline_year <= end:
        raise ExploreError(f"the headline year {state.headline_year} is outside the years shown, {start}–{end}")
    if state.production_scale <= 0:
        raise ExploreError(f"IREL output × {state.production_scale:g}: with no production there is nothing to compare; "
                           "set it above 0")
    return simulate(book, state.deals, years=(start, end), draws=int(state.draws), seed=int(state.seed),
                    basis=state.basis, overrides=dict(state.overrides), production_scale=float(state.production_scale))


def series(result: Result, metric: str, band: Sequence[float] = BAND) -> dict[str, np.ndarray]:
    """Per deal, an array (3, years) of the p05, p50 and p95 of one metric (all equal with draws=0)."""
    a = result.arrays[metric]  # (deals, years, draws)
    if a.shape[-1] == 1:
        q = np.repeat(a[None, :, :, 0], len(band), axis=0)
    else:
        q = np.quantile(a, list(band), axis=-1)
    return {d: q[:, i, :] for i, d in enumerate(result.deals)}


def headline(result: Result, year: int) -> pd.DataFrame:
    """One row per deal: self-sufficiency and export share in `year` (median, p05, p95), own magnets and demand."""
    if year not in set(result.years.tolist()):
        raise ExploreError(f"year {year} is not in the result ({result.years[0]}–{result.years[-1]})")
    rows = []
    for deal in result.deals:
        row: dict[str, Any] = {"deal": deal, "year": int(year)}
        for metric in ("self_sufficiency", "export_share", "magnets_own", "magnet_demand", "production"):
            draws = result.at(metric, deal, year)
            lo, mid, hi = np.quantile(draws, BAND) if draws.size > 1 else (draws[0],) * 3
            row[metric] = float(mid)
            if metric in ("self_sufficiency", "export_share"):
                row[f"{metric}_p05"], row[f"{metric}_p95"] = float(lo), float(hi)
        rows.append(row)
    return pd.DataFrame(rows)


def _trace_index(book_deals: Sequence[str]) -> dict[tuple[int, str, str], int]:
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

    Every deal keeps its colour whichever deals are shown, and the traces never change in number,
    so an update only restyles them.
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
                                     name=f"{deal} p95", **common), row=row, col=1)
            fig.add_trace(go.Scatter(mode="lines", line=dict(width=0, color=c), fill="tonexty", fillcolor=rgba(c, 0.18),
                                     hoverinfo="skip", showlegend=False, name=f"{deal} p05", **common), row=row, col=1)
            fig.add_trace(go.Scatter(
                mode="lines", name=deal, line=dict(color=c, width=2.5), showlegend=panel == 0, customdata=[],
                hovertemplate=f"<b>{deal}</b> %{{x}}: %{{y:{fmt}}} (p05–p95 %{{customdata[0]:{fmt}}}–%{{customdata[1]:{fmt}}})"
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
    idx = _trace_index(book_deals)
    colours = deal_colors(book_deals)
    x = result.years
    shown = set(result.deals)
    year_at = int(np.searchsorted(result.years, year))
    data = fig.data
    batch = fig.batch_update() if isinstance(fig, go.FigureWidget) else _nullcontext()
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


@contextmanager
def _nullcontext():
    yield


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.0%}" if abs(x) >= 0.1 or x == 0 else f"{x:.1%}"


def _fmt_param(name: str, value: float) -> str:
    s = SLIDERS[name]
    return format(value, s.fmt)


def panel_html(table: pd.DataFrame | None, year: int, sources: Sequence[tuple[str, str]] = (),
               message: str | None = None, overrides: Mapping[str, float] | None = None,
               deal_values: Mapping[str, float] | None = None, draws: int = 0, basis: str = "",
               descriptions: Mapping[str, str] | None = None, updates: int = 0) -> str:
    """The panel beside the chart: headline numbers per deal, the settings that differ from the
    deals' own values, the sources, and, when the last change could not be computed, why.

    `table` is `headline(...)` of the last good result (None before there is one); `sources` is
    [(source_id, short citation)].
    """
    esc = html.escape
    status = "error" if message else "ok"
    deals = list(table["deal"]) if table is not None else []
    parts = [f'<div class="rekit-headline" data-status="{status}" data-year="{int(year)}" '
             f'data-deals="{esc(" ".join(deals))}" data-updates="{int(updates)}" '
             f'style="font-family:{esc(FONT)};font-size:13px;line-height:1.35">']
    if message:
        parts.append('<div class="rekit-message" data-kind="error" style="border-left:4px solid #d1495b;'
                     'background:#fdf0f1;padding:6px 8px;margin-bottom:8px">'
                     f'<b>Cannot compute this combination.</b> {esc(message)}<br>'
                     '<span style="color:#555">The chart and numbers below are the last good result.</span></div>')
    if table is not None and len(table):
        band = draws > 0
        parts.append(f'<div style="font-weight:600;margin-bottom:4px">In {int(table["year"].iloc[0])}'
                     f'{" (median, p05–p95)" if band else " (central values)"}</div>')
        parts.append('<table class="rekit-headline-table" style="border-collapse:collapse;width:100%">'
                     '<tr style="border-bottom:1px solid #ccc;text-align:left"><th>deal</th>'
                     '<th title="magnets from IREL\'s oxide / India\'s NdFeB magnet demand">self-sufficiency</th>'
                     '<th title="IREL\'s neodymium exported / its output">export share</th></tr>')
        colours = deal_colors(list((descriptions or {}).keys()) or deals)
        for r in table.itertuples(index=False):
            def cell(metric: str, cls: str) -> str:
                v = getattr(r, metric)
                extra = (f'<br><small style="color:#666">{_pct(getattr(r, metric + "_p05"))}–{_pct(getattr(r, metric + "_p95"))}'
                         '</small>' if band else "")
                return (f'<td class="{cls}" data-deal="{esc(r.deal)}" data-value="{v:.6g}" '
                        f'style="padding:3px 6px 3px 0">{_pct(v)}{extra}</td>')
            title = esc((descriptions or {}).get(r.deal, ""))
            dot = f'<span style="color:{colours.get(r.deal, "#222")}">&#9632;</span>'
            parts.append(f'<tr data-deal="{esc(r.deal)}" style="border-bottom:1px solid #eee">'
                         f'<td title="{title}" style="padding:3px 6px 3px 0">{dot} {esc(r.deal)}</td>'
                         f'{cell("self_sufficiency", "rekit-ssr")}{cell("export_share", "rekit-export-share")}</tr>')
        parts.append("</table>")
        parts.append(f'<div style="color:#555;margin-top:4px">Production basis: <code>{esc(basis)}</code>; '
                     f'{f"{draws:,} draws" if band else "central values (draws = 0)"}.</div>')
    elif not message:
        parts.append("<div>No result yet.</div>")
    if overrides:
        items = []
        for k, v in overrides.items():
            own = (deal_values or {}).get(k)
            own_txt = f" (deals: {_fmt_param(k, own)})" if own is not None else ""
            items.append(f'<li data-param="{esc(k)}">{esc(SLIDERS[k].label)} = {_fmt_param(k, v)}{esc(own_txt)}</li>')
        parts.append('<div class="rekit-overrides" style="margin-top:8px"><b>Your settings</b> (replace the deals\' '
                     f'own values for every deal shown):<ul style="margin:2px 0 0 1.2em;padding:0">{"".join(items)}</ul></div>')
    if sources:
        items = "".join(f'<li data-source="{esc(sid)}">{esc(text)}</li>' for sid, text in sources)
        parts.append('<div class="rekit-sources" style="margin-top:8px;color:#444;font-size:12px"><b>Sources</b> of the '
                     f'figures in use:<ol style="margin:2px 0 0 1.4em;padding:0">{items}</ol></div>')
    parts.append("</div>")
    return "".join(parts)


def explain(message: str) -> str:
    """A model error in the explorer's words: name the slider as well as the parameter."""
    for name, s in SLIDERS.items():
        if message.startswith(f"{name}:"):
            return f"{s.label} ({name}){message[len(name):]}"
    if "magnet demand is zero" in message:
        return message + f"; set {SLIDERS['demand_base'].label} above 0"
    return message


def sources_for(book: DealBook, ds: Dataset, deals: Sequence[str], basis: str) -> list[tuple[str, str]]:
    """[(source_id, short citation)] of the sources behind these deals and basis."""
    return [(s, ds.cite(s, "short")) for s in book.source_ids(list(deals), basis, ds)]


# ---------------------------------------------------------------------------------------------
# The widget.
# ---------------------------------------------------------------------------------------------


def _css(name: str) -> str:
    return "rekit-" + name.replace("_", "-")


class Explorer(w.VBox):
    """The deal explorer, an ipywidgets VBox: controls, a FigureWidget updated in place, and a panel
    of headline numbers.

    Attributes for programs and tests: `controls` (name -> widget), `figure` (the FigureWidget), `panel` (an
    HTML widget), `state` (the State last asked for), `result` / `good_state` (the last good
    ones), `error` (the message of the last failed update, or None), `updates` (a counter).
    """

    def __init__(self, deals: Iterable[str] | None = None, basis: str = "reported",
                 years: tuple[int, int] = (2024, 2035), draws: int = 0, *, headline_year: int = 2030,
                 seed: int = 0, book: DealBook | None = None, ds: Dataset | None = None):
        super().__init__()
        self.ds = ds or load()
        self.book = book or load_deals(ds=self.ds)
        self.deal_names = list(self.book.deals)
        chosen = tuple(self.deal_names if deals is None else ([deals] if isinstance(deals, str) else list(deals)))
        for d in chosen:
            self.book.get(d)  # DealError naming the deals if unknown
        self.book.basis(basis)
        start, end = (int(y) for y in years)
        if not YEARS[0] <= start <= YEARS[1] or not YEARS[0] <= end <= YEARS[1] or start > end:
            raise ExploreError(f"years: {start}–{end}; allowed: START <= END within {YEARS[0]}–{YEARS[1]}")
        headline_year = min(max(int(headline_year), start), end)
        self.defaults = central_values(self.book, chosen, headline_year)
        self.seed = int(seed)
        self.updates = 0
        self.error: str | None = None
        self.result: Result | None = None
        self.good_state: State | None = None
        self.table: pd.DataFrame | None = None
        self._hold = 0
        self._sources: dict[tuple[tuple[str, ...], str], list[tuple[str, str]]] = {}

        c: dict[str, Any] = {}
        narrow = w.Layout(width="400px")
        style = {"description_width": "150px"}
        c["deals"] = w.SelectMultiple(options=self.deal_names, value=chosen, rows=min(len(self.deal_names), 7),
                                      description="deals", style=style, layout=w.Layout(width="400px"))
        c["basis"] = w.Dropdown(options=list(self.book.bases), value=basis, description="production basis",
                                style=style, layout=narrow)
        c["years"] = w.IntRangeSlider(value=(start, end), min=YEARS[0], max=YEARS[1], step=1, description="years",
                                      continuous_update=False, style=style, layout=narrow)
        c["headline_year"] = w.IntSlider(value=headline_year, min=start, max=end, step=1, description="headline year",
                                         continuous_update=False, style=style, layout=narrow)
        c["draws"] = w.IntSlider(value=int(draws), min=0, max=max(500, int(draws)), step=25, description="draws",
                                 continuous_update=False, style=style, layout=narrow,
                                 tooltip="0 = central values; more draws show p05–p95 bands")
        base_years = {self.book.get(d).demand_base_year for d in (chosen or self.deal_names)}
        for name, s in SLIDERS.items():
            value = 1.0 if name == "production_scale" else self.defaults[name]
            hi = max(s.hi, value)
            label = s.label
            if name == "demand_base" and len(base_years) == 1:
                label = f"demand {base_years.pop()} (t)"
            c[name] = w.FloatSlider(value=value, min=s.lo, max=hi, step=s.step, description=label,
                                    readout_format=s.fmt, continuous_update=False, style=style, layout=narrow,
                                    tooltip=s.help)
        c["reset"] = w.Button(description="Reset to the deals' values", layout=w.Layout(width="240px", margin="4px 0 0 156px"),
                              tooltip="put every slider back where the deals' sources put it")
        for name, ctl in c.items():
            ctl.add_class(_css(name))
        self.controls = c

        base = go.FigureWidget(make_figure(self.book))
        base.add_class("rekit-explorer-figure")
        self.figure = base
        self.panel = w.HTML(value=panel_html(None, headline_year), layout=w.Layout(width="340px", padding="0 0 0 12px"))
        self.panel.add_class("rekit-panel")

        left = w.VBox([c["deals"], c["basis"], c["years"], c["headline_year"], c["draws"]])
        right = w.VBox([c[n] for n in SLIDERS] + [c["reset"]])
        self.children = [w.HBox([left, right]), w.HBox([self.figure, self.panel])]
        self.add_class("rekit-explorer")

        for name, ctl in c.items():
            if name == "reset":
                ctl.on_click(lambda _b: self.reset())
            else:
                ctl.observe(self._on_change, names="value")
        self.update()

    # -- state ------------------------------------------------------------------------------

    def read_state(self) -> State:
        """The State the controls show now."""
        c = self.controls
        overrides = {}
        for name in OVERRIDABLE:
            v = float(c[name].value)
            if abs(v - self.defaults[name]) > SLIDERS[name].step / 2:
                overrides[name] = v
        return State(deals=tuple(c["deals"].value), basis=c["basis"].value,
                     years=tuple(int(y) for y in c["years"].value), draws=int(c["draws"].value),
                     seed=self.seed,
                     production_scale=float(c["production_scale"].value), overrides=overrides,
                     headline_year=int(c["headline_year"].value))

    @contextmanager
    def hold(self):
        """Change several controls at once with one update at the end (and none in between)."""
        self._hold += 1
        try:
            yield self
        finally:
            self._hold -= 1
        if not self._hold:
            self.update()

    def set(self, **values: Any) -> None:
        """Set controls by name in one go (e.g. ``ex.set(retained_share=0.5, draws=100)``), then update once."""
        unknown = [k for k in values if k not in self.controls or k == "reset"]
        if unknown:
            raise KeyError(f"unknown control {', '.join(unknown)}; controls: {', '.join(k for k in self.controls if k != 'reset')}")
        with self.hold():
            for k, v in values.items():
                self.controls[k].value = tuple(v) if k in ("deals", "years") else v

    def reset(self) -> None:
        """Every slider back to the deals' central values (and IREL output × 1)."""
        with self.hold():
            for name in SLIDERS:
                self.controls[name].value = 1.0 if name == "production_scale" else self.defaults[name]

    def _on_change(self, change) -> None:
        owner = change["owner"]
        with self.hold():  # controls that follow others change inside; one update at the end
            if owner is self.controls["years"]:
                self._follow_years()
            elif owner is self.controls["deals"] or owner is self.controls["headline_year"]:
                self._follow_deals()

    def _follow_years(self) -> None:
        """Keep the headline year inside the year range."""
        start, end = self.controls["years"].value
        hy = self.controls["headline_year"]
        if start < end:  # a zero-length range is refused by compute; leave the headline slider alone
            value = min(max(hy.value, start), end)
            hy.min, hy.max = min(hy.min, start), max(hy.max, end)
            hy.value = value
            hy.min, hy.max = start, end

    def _follow_deals(self) -> None:
        """New deals or year: sliders the user has not moved follow the deals' own central values."""
        state_deals = tuple(self.controls["deals"].value)
        if not state_deals:
            return
        new = central_values(self.book, state_deals, int(self.controls["headline_year"].value))
        for name in OVERRIDABLE:
            ctl = self.controls[name]
            untouched = abs(float(ctl.value) - self.defaults[name]) <= SLIDERS[name].step / 2
            if untouched:
                ctl.max = max(ctl.max, new[name])
                ctl.value = new[name]
        self.defaults = new

    # -- update -----------------------------------------------------------------------------

    def update(self) -> bool:
        """Recompute from the controls and redraw in place; on bad input show why and keep the last good chart."""
        self.state = state = self.read_state()
        try:
            result = compute(state, self.book)
            table = headline(result, state.headline_year)
        except (ExploreError, ModelError, DealError) as exc:
            self.error = explain(str(exc))
            self.updates += 1
            self._draw_panel(self.good_state or state, message=self.error)
            return False
        update_figure(self.figure, result, state.headline_year, self.deal_names)
        self.result, self.table, self.good_state, self.error = result, table, state, None
        self.updates += 1
        self._draw_panel(state)
        return True

    def _draw_panel(self, state: State, message: str | None = None) -> None:
        key = (tuple(state.deals), state.basis)
        if key not in self._sources:
            self._sources[key] = sources_for(self.book, self.ds, state.deals, state.basis) if state.deals else []
        sources = self._sources[key]
        descriptions = {n: self.book.get(n).description for n in self.deal_names}
        year = self.table["year"].iloc[0] if self.table is not None else state.headline_year
        self.panel.value = panel_html(self.table, int(year), sources, message=message, overrides=state.overrides,
                                      deal_values=self.defaults, draws=state.draws, basis=state.basis,
                                      descriptions=descriptions, updates=self.updates)

    # -- display ----------------------------------------------------------------------------

    def static_html(self) -> str:
        """A static stand-in (the chart and the panel as they are now) for pages without a widget manager,
        such as the HTML reports; it draws with the plotly.min.js beside the page."""
        from rekit.figures.render import figure_html

        fig = go.Figure(self.figure.to_dict())
        fig_json = fig.to_json(validate=False, remove_uids=True)
        div = "rekit-explorer-static-" + hashlib.sha1(fig_json.encode("utf-8")).hexdigest()[:12]
        note = ('<p style="color:#555;font-size:12px">A static copy of the deal explorer as the notebook left it. '
                "Open <code>notebooks/explorer.ipynb</code> in JupyterLab (<code>make lab</code>) and run it to move "
                "the sliders.</p>")
        return (f'<div class="rekit-explorer-static" style="display:flex;flex-wrap:wrap;gap:12px">'
                f'<div>{figure_html(fig_json, div)}</div><div style="width:340px">{self.panel.value}</div></div>{note}')

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        # plotly's FigureWidget syncs its full data only when displayed itself; inside a box it is
        # not, so sync it here (a view created later starts from the current figure).
        self.figure._widget_layout = deepcopy(self.figure._layout_obj._props)
        self.figure._widget_data = deepcopy(self.figure._data)
        bundle = dict(super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.static_html()
        return bundle

    def __repr__(self) -> str:
        s = self.state
        return (f"<rekit deal explorer: {', '.join(s.deals) or 'no deals'}; basis {s.basis!r}; "
                f"{s.years[0]}-{s.years[1]}; draws {s.draws}>")


def explore(deals: Iterable[str] | None = None, basis: str = "reported", years: tuple[int, int] = (2024, 2035),
            draws: int = 0, **kwargs: Any) -> Explorer:
    """Open the deal explorer in a notebook: the last expression of a cell displays it.

    `deals`: names from data/deals.yml (default: every preset); `basis`: a production basis;
    `years`: (start, end) within 2024–2050; `draws`: 0 for central values, or a few hundred for
    p05–p95 bands. Keyword arguments: `headline_year` (default 2030), `seed`, `book`, `ds`.
    """
    return Explorer(deals, basis, years, draws, **kwargs)

