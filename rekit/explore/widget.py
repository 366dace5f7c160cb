"""The deal explorer widget: one call in a notebook opens sliders over the partner-deal model.

    from rekit.explore import explore
    explore(["status_quo", "toll_japan", "repm_scheme"])

Controls (ipywidgets) for the deals to compare (a checkbox each, `DealPicker`), the production
basis, the demand basis, the framing (magnets per t of oxide), IREL's output scale, the yields,
the partner's retained share, India's magnet demand and its growth, the years, the draws and the
headline year drive a plotly ``FigureWidget``
(rekit.explore.figure) that is updated in place, and a panel (rekit.explore.panel) with the
headline numbers (labelled central values or medians, as they are), the structural envelope beside
them with the choice that gives each end, every choice in use, and the sources of the figures in
use folded to a count ("show sources" unfolds them). "show medians and bands" beside the panel
turns the draws on (BAND_DRAWS) and off. Every other deal parameter
(rekit.model.deals.PARAMS: yields, composition, the partner's capacity, India's capacity and
stocks, import caps, China's shares, the China shock) has a slider too, grouped by its
``Param.group`` in a collapsed accordion, "all deal parameters". The logic is in
rekit.explore.state.

The sliders start at the deals' own central values in the headline year (read from
data/deals.yml and the data, not typed here). A slider left where it started leaves every deal as
sourced (including parameters that change by year, such as demand growth); a slider you move
overrides that parameter for every deal shown, and the panel says so. "Reset" returns every
slider to the deals' own values. Where the deals differ (the retained share is 0 for a deal
without a tolling partner), a slider starts at the largest value, that of the deals the parameter
matters for. Inputs the model cannot compute give a message in the panel, never a traceback, and
the last good chart stays.

Below the chart, the recycling section: the recycling lever's sliders (the share of end-of-life magnets
collected, the share of each rare earth recovered, the share of the 2025 recycling scheme's capacity that
takes NdFeB magnets: rekit.explore.state.RECYCLING_LEVER, overrides like any deal parameter), a table
(rekit.explore.panel.recycling_html) of secondary beside primary own-feedstock coverage in the headline year
and the NdPr oxide (t NdPr oxide) and Dy (t Dy) recovered in 2035 and 2050 for each deal shown, the end uses
the bottom-up demand basis leaves out (not reported), and a chart of the magnets in use and their end-of-life
scrap by end use under the demand basis chosen (rekit.figures.recycling.in_use_chart). Hooks: the section
``rekit-recycling-section``, its numbers ``rekit-recycling-panel`` (``.rekit-recycling``, cells
``.rekit-primary``, ``.rekit-secondary``, ``.rekit-oxide-recovered``, ``.rekit-dy-recovered``), its chart
``rekit-stock-figure``.

Stable hooks for browser tests: the whole explorer has the CSS class ``rekit-explorer``; each
control ``rekit-<name>`` (``rekit-retained-share``, ``rekit-deals``, ``rekit-years``,
``rekit-partner-spare``, ``rekit-band``, ``rekit-show-sources`` ...); each deal's checkbox
``rekit-deal-<name>`` (``rekit-deal-toll-japan``); the accordion of all deal parameters ``rekit-all-params``; the
figure ``rekit-explorer-figure``; the panel ``rekit-panel``, inside which ``.rekit-headline``
carries ``data-status`` (ok/error), ``data-year``, ``data-deals`` and ``data-updates``, and each
number is a cell ``.rekit-ssr`` / ``.rekit-export-share`` with ``data-deal`` and ``data-value``,
and each choice in use an ``li[data-choice]`` of ``.rekit-choices`` with ``data-value``.
"""

from __future__ import annotations

import os

import functools
import json
import hashlib
import re
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
import traitlets

from rekit.data.dataset import Dataset, load
from rekit.errors import RekitError
from rekit.explore.figure import make_figure, stock_figure, update_figure, update_stock_figure
from rekit.explore.panel import panel_html, recycling_html
from rekit.model.custom import no_effect
from rekit.explore.state import (ALL_PARAMS, OVERRIDABLE, PARAM_SLIDERS, RECYCLING_LEVER, SLIDERS, ExploreError, State,
                                 central_values, choices, compute, demand_sources, end_use_titles, explain, group_title,
                                 headline_table, magnets_in_use, not_reported_end_uses, recycling_run, recycling_table,
                                 sliders, sources_for, structural_envelope)
from rekit.model.deals import FRAMINGS, PARAMS, YEARS, DealBook, DealError, load_deals
from rekit.model.simulation import ModelError, Result

__all__ = ["BAND_DRAWS", "DealPicker", "Explorer", "LEVER_LABELS", "explore"]

#: The draws "show medians and bands" turns on (when the draws slider is at 0).
BAND_DRAWS = 200
#: The recycling section's sliders and their labels (the deal parameters of rekit.explore.state.RECYCLING_LEVER).
LEVER_LABELS = {"recycling_collection": "collected (share of scrap)", "recycling_recovery": "recovered (share of each RE)",
                "recycling_share": "share of scheme capacity"}


def _css(name: str) -> str:
    """The CSS class of a control or deal: 'rekit-' and the name, '_' and anything but letters, digits
    and '-' as '-' (a user's deal name may hold any character)."""
    return "rekit-" + re.sub(r"[^A-Za-z0-9-]", "-", name)


class DealPicker(w.GridBox):
    """The deals to compare, a checkbox each (two columns): tick to show a deal, untick to hide it.

    `value` is the tuple of the ticked deals, in the order given (a box ticked later comes last); setting it ticks those boxes
    (an unknown name is refused with the names allowed), and ticking a box changes it, so it is
    observed like any widget's value. `boxes` maps each deal to its Checkbox (CSS class
    ``rekit-deal-<name>``)."""

    value = traitlets.Tuple()

    def __init__(self, options: Sequence[str], value: Sequence[str] = (), descriptions: dict[str, str] | None = None):
        super().__init__(layout=w.Layout(grid_template_columns="repeat(2, 210px)", width="440px"))
        self.options = tuple(options)
        self._syncing = False
        self.boxes = {}
        for name in self.options:
            box = w.Checkbox(value=name in value, description=name, indent=False, layout=w.Layout(width="205px"),
                             tooltip=(descriptions or {}).get(name, name))
            box.add_class("rekit-deal")
            box.add_class(_css("deal-" + name))
            box.observe(self._box_changed, names="value")
            self.boxes[name] = box
        self.children = list(self.boxes.values())
        self.value = tuple(value)

    @traitlets.validate("value")
    def _valid(self, proposal: Any) -> tuple:
        given = tuple(proposal["value"])
        unknown = [n for n in given if n not in self.options]
        if unknown:
            raise ExploreError(f"unknown deal {', '.join(map(repr, unknown))}; the deals are: {', '.join(self.options)}")
        return tuple(dict.fromkeys(given))  # each once, in the order given

    @traitlets.observe("value")
    def _value_changed(self, change: Any) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            for name, box in self.boxes.items():
                box.value = name in change["new"]
        finally:
            self._syncing = False

    def _box_changed(self, _change: Any) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            kept = [n for n in self.value if self.boxes[n].value]
            self.value = (*kept, *(n for n, b in self.boxes.items() if b.value and n not in kept))
        finally:
            self._syncing = False


class Explorer(w.VBox):
    """The deal explorer, an ipywidgets VBox: controls, a FigureWidget updated in place, and a panel
    of headline numbers.

    Attributes for programs and tests: `controls` (name -> widget), `sliders` (name -> Slider, the
    ranges in use), `all_params` (the accordion of the sliders not in SLIDERS), `figure` (the
    FigureWidget), `panel` (an HTML widget), `state` (the State last asked for), `result` /
    `good_state` (the last good ones), `error` (the message of the last failed update, or None),
    `updates` (a counter).
    """

    def __init__(self, deals: Iterable[str] | None = None, basis: str = "output",
                 years: tuple[int, int] = (2024, 2035), draws: int = 0, *, headline_year: int = 2030,
                 seed: int = 0, book: DealBook | None = None, ds: Dataset | None = None,
                 deals_file: str | os.PathLike | None = None, demand: str | None = None, framing: str = "chain"):
        super().__init__()
        self.ds = ds or load()
        self.deals_file = deals_file or None
        self.book = book or load_deals(Path(self.deals_file) if self.deals_file else None, ds=self.ds)
        self.deal_names = list(self.book.deals)
        chosen = tuple(self.deal_names if deals is None else ([deals] if isinstance(deals, str) else list(deals)))
        for d in chosen:
            self.book.get(d)  # DealError naming the deals if unknown
        self.book.basis(basis)
        self.book.demand(demand)  # DealError naming the demand bases if unknown
        self.book.framing(framing)  # DealError naming the framings if unknown
        start, end = (int(y) for y in years)
        if not YEARS[0] <= start <= YEARS[1] or not YEARS[0] <= end <= YEARS[1] or start > end:
            raise ExploreError(f"years: {start}–{end}; allowed: START <= END within {YEARS[0]}–{YEARS[1]}")
        headline_year = min(max(int(headline_year), start), end)
        self.defaults = central_values(self.book, chosen, headline_year, demand)
        self.sliders = sliders(self.book)
        self.seed = int(seed)
        self.updates = 0
        self.error: str | None = None
        self.result: Result | None = None
        self.good_state: State | None = None
        self.table: pd.DataFrame | None = None
        self.envelope: pd.DataFrame | None = None
        self.envelope_error: str | None = None
        self.same: dict[str, dict[str, str]] = {}
        self.recycled: pd.DataFrame | None = None
        self.stocks: pd.DataFrame | None = None
        self.recycling_error: str | None = None
        self._hold = 0
        # settings in the deals that change nothing (rekit.model.custom.no_effect), said in the panel as the CLI says them
        self.no_effect = {n: no_effect(self.book.get(n)) for n in self.deal_names}
        self._sources = functools.lru_cache(maxsize=64)(
            lambda deals, basis, demand: sources_for(self.book, self.ds, deals, basis, demand) if deals else [])

        c: dict[str, Any] = {}
        narrow = w.Layout(width="400px")
        style = {"description_width": "150px"}
        descriptions = {n: self.book.get(n).description for n in self.deal_names}
        c["deals"] = DealPicker(self.deal_names, chosen, descriptions)
        c["basis"] = w.Dropdown(options=list(self.book.bases), value=self.book.basis_name(basis), description="production basis",
                                style=style, layout=narrow)
        demands = sorted(self.book.demands, key=lambda n: n != self.book.default_demand)
        c["demand"] = w.Dropdown(options=demands, value=demand or demands[0], description="demand basis",
                                 style=style, layout=narrow, tooltip="India's magnet demand: `rekit demand` lists the bases")
        c["framing"] = w.Dropdown(options=list(FRAMINGS), value=framing, description="magnets per t oxide",
                                  style=style, layout=narrow,
                                  tooltip="chain: stoichiometry and yields (about 2.15 t/t); officials: their 'roughly three tonnes'")
        c["years"] = w.IntRangeSlider(value=(start, end), min=YEARS[0], max=YEARS[1], step=1, description="years",
                                      continuous_update=False, style=style, layout=narrow)
        c["headline_year"] = w.IntSlider(value=headline_year, min=start, max=end, step=1, description="headline year",
                                         continuous_update=False, style=style, layout=narrow)
        c["draws"] = w.IntSlider(value=int(draws), min=0, max=max(500, int(draws)), step=25, description="draws",
                                 continuous_update=False, style=style, layout=narrow,
                                 tooltip="0 = central values; more draws show p05–p95 bands")
        for name, s in self.sliders.items():
            value = 1.0 if name == "production_scale" else self.defaults[name]
            hi = max(s.hi, value)
            label = s.label
            if name == "demand_base":
                label = self._demand_label(demand)
            elif name in LEVER_LABELS:
                label = LEVER_LABELS[name]
            c[name] = w.FloatSlider(value=value, min=s.lo, max=hi, step=s.step, description=label,
                                    readout_format=s.fmt, continuous_update=False, style=style, layout=narrow,
                                    tooltip=s.help)
        c["band"] = w.Checkbox(value=int(draws) > 0, description=f"show medians and bands ({BAND_DRAWS} draws)",
                               indent=False, layout=w.Layout(width="230px"),
                               tooltip="off: central values, one run; on: the median and p05–p95 of the draws")
        c["show_sources"] = w.ToggleButton(value=False, description="show sources", icon="list",
                                           layout=w.Layout(width="120px"),
                                           tooltip="list the sources of the figures in use (folded: their count)")
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

        deals_box = w.VBox([w.HTML("<b>Deals</b> (tick to compare)"), c["deals"]])
        left = w.VBox([deals_box, c["basis"], c["demand"], c["framing"], c["years"], c["headline_year"], c["draws"]])
        groups: dict[str, list] = {}
        for name in PARAM_SLIDERS:
            if name in RECYCLING_LEVER:  # in the recycling section
                continue
            groups.setdefault(PARAMS[name].group, []).append(c[name])
        sections = w.Accordion(children=[w.VBox(g) for g in groups.values()], titles=tuple(map(group_title, groups)),
                               selected_index=None)
        self.all_params = w.Accordion(children=[sections], titles=(ALL_PARAMS,), selected_index=None,
                                      layout=w.Layout(width="440px"))
        self.all_params.add_class("rekit-all-params")
        right = w.VBox([c[n] for n in SLIDERS] + [c["reset"], self.all_params])
        side = w.VBox([w.HBox([c["band"], c["show_sources"]]), self.panel], layout=w.Layout(width="360px"))
        self.recycling = self._recycling_section(demand)
        self.children = [w.HBox([left, right]), w.HBox([self.figure, side]), self.recycling]
        self.add_class("rekit-explorer")

        for name, ctl in c.items():
            if name == "reset":
                ctl.on_click(lambda _b: self.reset())
            elif name == "show_sources":
                ctl.observe(self._on_sources, names="value")
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
            if abs(v - self.defaults[name]) > self.sliders[name].step / 2:
                overrides[name] = v
        return State(deals=tuple(c["deals"].value), basis=c["basis"].value, demand=c["demand"].value,
                     framing=c["framing"].value,
                     years=(int(c["years"].value[0]), int(c["years"].value[1])), draws=int(c["draws"].value),
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
            for name in self.sliders:
                self.controls[name].value = 1.0 if name == "production_scale" else self.defaults[name]

    def _on_change(self, change) -> None:
        owner = change["owner"]
        with self.hold():  # controls that follow others change inside; one update at the end
            if owner is self.controls["years"]:
                self._follow_years()
            elif owner in (self.controls["deals"], self.controls["headline_year"], self.controls["demand"]):
                self._follow_deals()
            elif owner is self.controls["band"]:
                draws = self.controls["draws"]
                if change["new"] and not draws.value:
                    draws.value = BAND_DRAWS
                elif not change["new"]:
                    draws.value = 0
            elif owner is self.controls["draws"]:
                self.controls["band"].value = bool(change["new"])

    def _on_sources(self, _change) -> None:
        """Fold or unfold the sources: the panel is drawn again, nothing is recomputed."""
        self._draw_panel(self.good_state or self.state, message=self.error)

    def _demand_label(self, demand: str | None) -> str:
        """The demand slider's label: the base year of the demand basis it sets."""
        return f"demand {self.book.demand(demand).base_year} (t)"

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
        """New deals, year or demand basis: sliders the user has not moved follow the deals' own central values."""
        state_deals = tuple(self.controls["deals"].value)
        if not state_deals:
            return
        demand = self.controls["demand"].value
        new = central_values(self.book, state_deals, int(self.controls["headline_year"].value), demand)
        self.controls["demand_base"].description = self._demand_label(demand)
        for name in OVERRIDABLE:
            ctl = self.controls[name]
            untouched = abs(float(ctl.value) - self.defaults[name]) <= self.sliders[name].step / 2
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
            table = headline_table(result, state.headline_year)
        except (ExploreError, ModelError, DealError) as exc:
            self.error = explain(str(exc))
            self.updates += 1
            self._draw_panel(self.good_state or state, message=self.error)
            return False
        try:
            self.envelope, self.envelope_error = structural_envelope(self.book, state.deals, self.seed), None
        except ExploreError as exc:  # the chart and numbers of the choice in use still stand; the panel says why
            self.envelope, self.envelope_error = None, str(exc)
        self.same = update_figure(self.figure, result, state.headline_year, self.deal_names, self.envelope)
        self.result, self.table, self.good_state, self.error = result, table, state, None
        self.updates += 1
        self._draw_panel(state)
        self._update_recycling(state)
        return True

    # -- recycling --------------------------------------------------------------------------

    def _recycling_section(self, demand: str | None) -> w.VBox:
        """The recycling section: the lever's sliders, its numbers (`recycling_panel`) and the chart of the
        magnets in use and end-of-life scrap by end use (`stock_figure`, a plotly Figure, shown by the ipywidgets
        Output `stock_view` through plotly's own renderer of its JSON mime type: one more FigureWidget would send
        the page a second copy of plotly.js to load, and anywidget gives up on a model that takes over 2 s)."""
        try:
            self.not_reported, self.counted = not_reported_end_uses(self.ds), end_use_titles(self.ds)
        except RekitError:  # a data folder without the bottom-up tables: the numbers stand without the list
            self.not_reported, self.counted = {}, {}
        self.recycling_panel = w.HTML(value=recycling_html(None, int(self.controls["headline_year"].value)),
                                      layout=w.Layout(width="760px"))
        self.recycling_panel.add_class("rekit-recycling-panel")
        self.stock_figure = self._stock_chart(self.read_state()) or go.Figure()
        self.stock_view = w.Output()
        self.stock_view.add_class("rekit-stock-figure")
        self._show_stocks()
        head = w.HTML("<b>Recycling</b>: India's NdFeB magnets in use, their end-of-life scrap, and what the 2025 "
                      "recycling scheme's lever recovers from it (the chart: central values of the demand basis chosen)")
        lever = w.VBox([self.controls[n] for n in RECYCLING_LEVER])
        box = w.VBox([head, w.HBox([lever, self.recycling_panel]), self.stock_view])
        box.add_class("rekit-recycling-section")
        return box

    def _stock_chart(self, state: State) -> go.Figure | None:
        """The chart of the magnets in use for `state` (None when the model cannot give it; the section says why);
        keeps the stocks drawn in `stocks`."""
        try:
            stocks = magnets_in_use(state, self.book)
        except (ExploreError, ModelError, DealError) as exc:
            self.recycling_error = explain(str(exc))
            return None
        if self.stocks is not None and stocks.equals(self.stocks):
            return None
        self.stocks = stocks
        return stock_figure(stocks, self.counted, self.ds, demand_sources(self.book, self.ds, state.demand),
                            str(state.demand or self.book.default_demand))

    def _show_stocks(self) -> None:
        """Show `stock_figure` in `stock_view`: its JSON under plotly's mime type (drawn by plotly's renderer in
        JupyterLab and Voilà) and its description as text."""
        fig = self.stock_figure
        meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
        self.stock_view.outputs = ({"output_type": "display_data", "metadata": {},
                                    "data": {"application/vnd.plotly.v1+json": json.loads(fig.to_json()),
                                             "text/plain": str(meta.get("alt", "magnets in use"))}},)

    def _update_recycling(self, state: State) -> None:
        """Recompute the recycling section for `state` (the run to 2050 and the magnets in use); on a model error
        the section says why and keeps its last chart."""
        try:
            run = recycling_run(state, self.book)
            self.recycled = recycling_table(run, state.headline_year)
            self.recycling_error = None
        except (ExploreError, ModelError, DealError) as exc:
            self.recycling_error = explain(str(exc))
        else:
            new = self._stock_chart(state)
            if new is not None:
                update_stock_figure(self.stock_figure, new)
                self._show_stocks()
        self.recycling_panel.value = recycling_html(
            self.recycled, state.headline_year if self.recycling_error is None or self.recycled is None
            else int(self.recycled["year"].iloc[0]), draws=state.draws,
            demand=str(state.demand or self.book.default_demand), not_reported=self.not_reported,
            counted=list(self.counted.values()), message=self.recycling_error, deals=self.deal_names)

    def _draw_panel(self, state: State, message: str | None = None) -> None:
        sources = self._sources(tuple(state.deals), state.basis, state.demand)
        descriptions = {n: self.book.get(n).description for n in self.deal_names}
        year = self.table["year"].iloc[0] if self.table is not None else state.headline_year
        self.panel.value = panel_html(self.table, int(year), sources, message=message, overrides=state.overrides,
                                      deal_values=self.defaults, draws=state.draws, basis=state.basis,
                                      descriptions=descriptions, updates=self.updates, choices=choices(state, self.book),
                                      envelope=self.envelope, same=self.same,
                                      show_sources=bool(self.controls["show_sources"].value),
                                      envelope_error=self.envelope_error,
                                      warnings=[x for n in state.deals for x in self.no_effect.get(n, [])])

    # -- display ----------------------------------------------------------------------------

    def static_html(self) -> str:
        """A static stand-in (the chart and the panel, then the recycling section's numbers and its chart of
        the magnets in use, as they are now) for pages without a widget manager, such as the HTML reports; it
        draws with the plotly.min.js beside the page."""
        from rekit.figures.render import figure_html

        def drawn(fig: go.Figure, prefix: str) -> str:
            fig_json = fig.to_json(validate=False, remove_uids=True)
            return figure_html(fig_json, prefix + hashlib.sha1(fig_json.encode("utf-8")).hexdigest()[:12])

        note = ('<p style="color:#555;font-size:12px">A static copy of the deal explorer as the notebook left it. '
                "Open <code>notebooks/explorer.ipynb</code> in JupyterLab (<code>make lab</code>) and run it to move "
                "the sliders.</p>")
        stocks = drawn(self.stock_figure, "rekit-stock-static-") if self.stock_figure.data else ""
        recycling = ('<div class="rekit-recycling-static"><p><b>Recycling</b>: India\'s NdFeB magnets in use, their '
                     "end-of-life scrap, and what the 2025 recycling scheme's lever recovers from it</p>"
                     f"<div>{self.recycling_panel.value}</div><div>{stocks}</div></div>")
        return (f'<div class="rekit-explorer-static" style="display:flex;flex-wrap:wrap;gap:12px">'
                f'<div>{drawn(go.Figure(self.figure.to_dict()), "rekit-explorer-static-")}</div>'
                f'<div style="width:340px">{self.panel.value}</div></div>{recycling}{note}')

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        sync_figure_widget(self.figure)
        bundle = dict(super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.static_html()
        return bundle

    def __repr__(self) -> str:
        s = self.state
        return (f"<rekit deal explorer: {', '.join(s.deals) or 'no deals'}; basis {s.basis!r}; demand {s.demand!r}; "
                f"framing {s.framing!r}; {s.years[0]}-{s.years[1]}; draws {s.draws}>")


def sync_figure_widget(figure: Any) -> None:
    """Send a plotly ``FigureWidget``'s current data and layout to the views created after this.

    plotly's FigureWidget syncs its full data only when it is displayed itself; inside an
    ipywidgets box it is not. Its display hook (IPython's public display protocol,
    ``_repr_mimebundle_``, which plotly documents as what a notebook calls) does the sync and
    returns only the widget's view reference, which is dropped here: no private name of plotly is
    read or set. tests/explore/test_explore.py checks that the sync still happens, so a plotly
    release that moves it fails there, loudly.
    """
    figure._repr_mimebundle_()


def explore(deals: Iterable[str] | None = None, basis: str = "output", years: tuple[int, int] = (2024, 2035),
            draws: int = 0, **kwargs: Any) -> Explorer:
    """Open the deal explorer in a notebook: the last expression of a cell displays it.

    `deals`: names from data/deals.yml (default: every preset); `basis`: a production basis;
    `years`: (start, end) within 2024–2050; `draws`: 0 for central values, or a few hundred for
    p05–p95 bands. Keyword arguments: `headline_year` (default 2030), `seed`, `book`, `ds`, and
    `deals_file`, a user's deals file (the layout of data/deals.yml) whose deals join the presets,
    `demand`, India's magnet demand basis (default: the first of `rekit demand`), and `framing`,
    magnets per t of oxide (chain, the default, or officials).
    """
    return Explorer(deals, basis, years, draws, **kwargs)

