"""Charts of demand from the bottom up, magnets in use and recycling (the recycling story notebook).

Each function draws a frame the model computed (rekit.model.demand, rekit.model.recycling,
rekit.model.simulation) and returns a `plotly.graph_objects.Figure` in the kit's style
(rekit.figures.charts): sources and a method note under the plot, a text description in
``layout.meta.alt`` and the tidy table it was drawn from in ``layout.meta.table`` (the chart's CSV
download). Nothing here computes the model.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rekit.data.dataset import Dataset
from rekit.figures.charts import GREY, PALETTE, add_sources, plain, rgba, set_alt, set_table

__all__ = ["demand_bases_chart", "in_use_chart", "recycling_sankey"]


def demand_bases_chart(bases: pd.DataFrame, by_end_use: pd.DataFrame, not_reported: dict[str, str], ds: Dataset,
                       source_ids, base_year: int) -> go.Figure:
    """The demand bases side by side (left: each basis's median, t magnet a year, with its p05-p95 band) and
    what the bottom-up total is made of in its base year (right: t magnet by end use, the end uses left out
    named under the plot).

    `bases`: rows basis, year, p05, p50, p95 (t magnet); `by_end_use`: rows end_use, title, t_magnet, low,
    high (rekit.model.demand.BottomUp.by_end_use); `not_reported`: end use -> why it is left out."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.68, 0.32], horizontal_spacing=0.12,
                        subplot_titles=["Magnet demand by basis (t magnet a year)", f"Bottom-up, {base_year}, by end use (t magnet)"])
    names = list(dict.fromkeys(bases["basis"]))
    for k, name in enumerate(names):
        r = bases[bases["basis"] == name].sort_values("year")
        colour = PALETTE[k % len(PALETTE)]
        fig.add_trace(go.Scatter(x=list(r["year"]) + list(r["year"])[::-1], y=list(r["p95"]) + list(r["p05"])[::-1],
                                 fill="toself", fillcolor=rgba(colour, 0.15), line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scatter(x=r["year"], y=r["p50"], mode="lines", name=plain(name), line=dict(color=colour, width=2),
                                 legendgroup=name, hovertemplate="%{x}: %{y:,.0f} t magnet<extra>" + plain(name) + "</extra>"),
                      row=1, col=1)
    total = float(by_end_use["t_magnet"].sum())
    shares = by_end_use["t_magnet"] / total if total > 0 else by_end_use["t_magnet"] * 0
    fig.add_trace(go.Bar(x=[plain(t) for t in by_end_use["title"]], y=by_end_use["t_magnet"], marker_color=PALETTE[2],
                         error_y=dict(type="data", symmetric=False, array=by_end_use["high"] - by_end_use["t_magnet"],
                                      arrayminus=by_end_use["t_magnet"] - by_end_use["low"], color="#444"),
                         text=[f"{s:.0%}" for s in shares], textposition="inside", showlegend=False,
                         hovertemplate="%{x}: %{y:,.0f} t magnet<extra></extra>"), row=1, col=2)
    fig.update_layout(template="rekit", title="India's magnet demand: the bases side by side, and the bottom-up total's parts",
                      height=480, legend=dict(y=1.16))  # above the panel titles
    fig.update_yaxes(rangemode="tozero")
    left = ", ".join(sorted(not_reported))
    note = (f"Medians and p05-p95 of the model's draws for each demand basis. The bottom-up basis counts only end uses "
            f"with both units sold and kg NdFeB per unit; left out, not reported as of 2026-12-03: {left}.")
    fig = add_sources(fig, ds, source_ids, note)
    set_table(fig, bases[["basis", "year", "p05", "p50", "p95"]].assign(unit="t magnet"),
              {"p05": "t magnet", "p50": "t magnet", "p95": "t magnet"})
    last = int(bases["year"].max())
    at = bases[bases["year"] == last].set_index("basis")["p50"]
    parts = "; ".join(f"{n} {at[n]:,.0f} t" for n in names if n in at.index)
    mix = "; ".join(f"{t} {v:,.0f} t ({s:.0%})" for t, v, s in zip(by_end_use["title"], by_end_use["t_magnet"], shares, strict=True))
    return set_alt(fig, f"Line chart of India's magnet demand by basis, medians in {last}: {parts}. Bar chart of the bottom-up "
                        f"total in {base_year} by end use: {mix}; left out: {left}.")


def in_use_chart(stocks: pd.DataFrame, titles: dict[str, str], ds: Dataset, source_ids, basis: str) -> go.Figure:
    """Magnets in use (stacked areas, t magnet at year end) and leaving use (lines, t magnet a year) by end use.

    `stocks`: rows end_use, year, in_use, end_of_life (rekit.model.recycling.stocks_by_end_use)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=["In use at year end (t magnet)", "End-of-life scrap (t magnet a year)"])
    for k, (use, r) in enumerate(stocks.groupby("end_use", sort=False)):
        colour = PALETTE[k % len(PALETTE)]
        name = plain(titles.get(use, use))
        fig.add_trace(go.Scatter(x=r["year"], y=r["in_use"], mode="lines", stackgroup="in_use", name=name, legendgroup=use,
                                 line=dict(color=colour, width=1), hovertemplate="%{x}: %{y:,.0f} t<extra>" + name + "</extra>"),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=r["year"], y=r["end_of_life"], mode="lines", stackgroup="eol", name=name, legendgroup=use,
                                 showlegend=False, line=dict(color=colour, width=1),
                                 hovertemplate="%{x}: %{y:,.0f} t<extra>" + name + "</extra>"), row=1, col=2)
    fig.update_layout(template="rekit", title=f"NdFeB magnets in use in India and their scrap, by end use (demand basis '{plain(basis)}')",
                      height=460, legend=dict(y=1.16))  # above the panel titles
    note = ("Inflow-driven stock model by cohort (rekit.model.stocks_in_use; lifetimes from data/end_uses.csv): the "
            "central demand path entering use from 2024, split over the end uses as the bottom-up basis finds them; "
            "magnets in use before 2024 are not counted (their inflows are not reported).")
    fig = add_sources(fig, ds, source_ids, note)
    set_table(fig, stocks[["end_use", "year", "inflow", "in_use", "end_of_life"]].assign(unit="t magnet"),
              {"inflow": "t magnet", "in_use": "t magnet", "end_of_life": "t magnet"})
    last = int(stocks["year"].max())
    end = stocks[stocks["year"] == last]
    return set_alt(fig, f"Stacked areas of the magnets in use and of end-of-life scrap by end use. In {last}: "
                        f"{end['in_use'].sum():,.0f} t in use and {end['end_of_life'].sum():,.0f} t leaving use.")


def recycling_sankey(chain: pd.DataFrame, deal: str, year: int, ds: Dataset, source_ids) -> go.Figure:
    """One year's recycling chain from use to scrap to recovered oxide, in t Nd+Pr (the metal the magnets
    hold), from rekit.model.recycling.ndpr_chain (rows from, to, t_ndpr, t_ndpr_oxide)."""
    links = chain[chain["t_ndpr"] > 1e-9]
    nodes = list(dict.fromkeys([*links["from"], *links["to"]]))
    colour = {"end-of-life magnets": "#000000", "collected": PALETTE[0], "processed": PALETTE[2],
              "recovered NdPr oxide": PALETTE[1], "magnets made in India": PALETTE[5]}
    colours = [colour.get(n, GREY) for n in nodes]
    fig = go.Figure(go.Sankey(
        valueformat=",.1f", valuesuffix=" t Nd+Pr",
        node=dict(label=[plain(n) for n in nodes], color=colours, pad=18, thickness=16),
        link=dict(source=[nodes.index(f) for f in links["from"]], target=[nodes.index(t) for t in links["to"]],
                  value=list(links["t_ndpr"]), color=[rgba(colours[nodes.index(t)], 0.35) for t in links["to"]]),
    ))
    fig.update_layout(template="rekit", title=f"From use to scrap to recovered oxide, {plain(deal)}, {year} (central values, t Nd+Pr)",
                      height=460)
    oxide = float(chain.loc[chain["to"] == "recovered NdPr oxide", "t_ndpr_oxide"].sum())
    note = (f"Central values of the deal's recycling parameters; flows in t of Nd+Pr metal content; the recovered "
            f"Nd+Pr is {oxide:,.1f} t of NdPr oxide.")
    fig = add_sources(fig, ds, source_ids, note)
    set_table(fig, links.assign(deal=deal, year=year, unit="t Nd+Pr")[["deal", "year", "from", "to", "t_ndpr", "t_ndpr_oxide", "unit"]],
              {"t_ndpr": "t Nd+Pr", "t_ndpr_oxide": "t NdPr oxide"})
    flows = "; ".join(f"{f} to {t} {v:,.1f} t" for f, t, v in zip(links["from"], links["to"], links["t_ndpr"], strict=True))
    return set_alt(fig, f"Sankey diagram of the recycling chain in {year} under {deal}, t Nd+Pr: {flows}.")
