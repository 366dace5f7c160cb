"""The panel beside the explorer's chart, as HTML: headline numbers per deal (labelled central values or
medians, as they are), the structural envelope beside them and the choice that gives each end, lines
that coincide, every choice in use (production basis, demand basis, framing, ...), the settings that
differ from the deals' own values, the sources folded to a count, and, when the last change could not
be computed, why; and the recycling section's numbers (`recycling_html`: secondary beside primary
own-feedstock coverage, NdPr oxide and Dy recovered, the end uses the bottom-up basis leaves out).

The HTML comes from the jinja2 template ``templates/panel.html.j2`` with autoescaping on, so every
value from the data (deal names and descriptions, citations, messages) is escaped; a source's URL
becomes a link only when it is http(s).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence

import jinja2
import pandas as pd

from rekit.explore.state import ALIKE, ENVELOPE_DRAWS, scenario_words, slider
from rekit.figures.charts import FONT, deal_colors

__all__ = ["panel_html", "pct", "recycling_html", "web_url"]


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("rekit.explore", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def pct(x: float) -> str:
    """A ratio as a percentage: 0.5 -> '50%', 0.042 -> '4.2%' (one decimal below 10%), NaN -> '–'."""
    return "–" if not math.isfinite(x) else f"{x:.0%}" if abs(x) >= 0.1 or x == 0 else f"{x:.1%}"


_WEB_URL = re.compile(r"https?://[^\s<>\"'`]+", re.I)


def web_url(url: str | None) -> str | None:
    """`url` if it is an http(s) address with no space, quote or angle bracket, else None (so no
    other scheme ever becomes a link, and the reports' rule, rekit.reports.citation.is_web_link,
    holds here too)."""
    if isinstance(url, str) and _WEB_URL.fullmatch(url.strip()):
        return url.strip()
    return None


def panel_html(table: pd.DataFrame | None, year: int, sources: Sequence[tuple] = (),
               message: str | None = None, overrides: Mapping[str, float] | None = None,
               deal_values: Mapping[str, float] | None = None, draws: int = 0, basis: str = "",
               descriptions: Mapping[str, str] | None = None, updates: int = 0, *,
               choices: Sequence[Mapping[str, str]] = (), envelope: pd.DataFrame | None = None,
               same: Mapping[str, Mapping[str, str]] | None = None, show_sources: bool = False,
               envelope_error: str | None = None, warnings: Sequence[str] = ()) -> str:
    """The panel's HTML.

    `table` is `headline_table(...)` of the last good result (None before there is one); `sources` is
    [(source_id, short citation)] or [(source_id, short citation, url)]; `overrides` the sliders moved
    away from the deals' values (`deal_values`); `descriptions` each deal's description (a tooltip);
    `choices` rekit.explore.state.choices (every choice in use); `envelope` the structural envelope
    (rekit.explore.state.structural_envelope) of the deals shown; `same` per metric the lines lying on
    another's (rekit.explore.figure.update_figure's answer); `show_sources` unfolds the list of sources
    (folded, it shows their count); `envelope_error` says why there is no envelope; `warnings` the
    settings of the deals shown that change nothing (rekit.model.custom.no_effect), each naming its setting.
    """
    deals = list(table["deal"]) if table is not None else []
    band = draws > 0
    colours = deal_colors(list((descriptions or {}).keys()) or deals)
    rows = []
    envelope_rows = []
    year_env = None
    if envelope is not None and table is not None and len(table):
        year_env = envelope[envelope["year"] == int(table["year"].iloc[0])].set_index(["deal", "metric"])
    if table is not None:
        for r in table.itertuples(index=False):
            cells = []
            for m, css, label in (("self_sufficiency", "rekit-ssr", "own-feedstock coverage"),
                                  ("export_share", "rekit-export-share", "export share")):
                env = None
                if year_env is not None and (r.deal, m) in year_env.index:
                    e = year_env.loc[(r.deal, m)]
                    lo, hi = float(e["envelope_p05"]), float(e["envelope_p95"])
                    env = {"low": pct(lo), "high": pct(hi), "low_value": f"{lo:.6g}", "high_value": f"{hi:.6g}",
                           "low_scenario": scenario_words(e["low_scenario"]),
                           "high_scenario": scenario_words(e["high_scenario"])}
                    if e["low_scenario"] != ALIKE:
                        envelope_rows.append({"deal": r.deal, "metric": m, "label": label, **env})
                cells.append({"css": css, "metric": m, "value": f"{getattr(r, m):.6g}", "text": pct(getattr(r, m)),
                              "low": pct(getattr(r, m + "_p05")), "high": pct(getattr(r, m + "_p95")),
                              "same": (same or {}).get(m, {}).get(r.deal), "envelope": env})
            rows.append({"deal": r.deal, "description": (descriptions or {}).get(r.deal, ""),
                         "colour": colours.get(r.deal, "#222"), "cells": cells})
    own = dict(deal_values or {})
    moved = [{"name": k, "label": slider(k).label, "value": format(v, slider(k).fmt),
              "own": None if own.get(k) is None else format(own[k], slider(k).fmt)}
             for k, v in (overrides or {}).items()]
    cited = [{"id": s[0], "text": s[1], "url": web_url(s[2] if len(s) > 2 else None)} for s in sources]
    return _templates().get_template("panel.html.j2").render(
        status="error" if message else "ok", year=int(year), deals=deals, updates=int(updates), font=FONT,
        message=message, rows=rows, table_year=int(table["year"].iloc[0]) if table is not None and rows else int(year), band=band,
        basis=basis, draws=int(draws), overrides=moved, sources=cited, choices=list(choices),
        envelope_rows=envelope_rows, envelope_draws=ENVELOPE_DRAWS, show_sources=bool(show_sources),
        envelope_error=envelope_error, warnings=list(warnings),
    )


def recycling_html(table: pd.DataFrame | None, year: int, *, draws: int = 0, demand: str = "",
                   not_reported: Mapping[str, str] | None = None, counted: Sequence[str] = (),
                   message: str | None = None, deals: Sequence[str] = ()) -> str:
    """The recycling section's HTML (template ``templates/recycling.html.j2``, autoescaped).

    `table` is rekit.explore.state.recycling_table (None when there is none): per deal, primary and secondary
    own-feedstock coverage in `year` (percent of magnet demand) and the NdPr oxide (t NdPr oxide) and Dy (t Dy)
    recovered in the years of its `oxide_recovered_YYYY` columns; `not_reported` the end uses the bottom-up
    basis leaves out, with why (rekit.explore.state.not_reported_end_uses); `counted` the titles of those it
    counts; `deals` every deal of the book (for the colours); `message` why the last change has no numbers.
    """
    years = sorted(int(c.rsplit("_", 1)[1]) for c in (table.columns if table is not None else ()) if c.startswith("oxide_recovered_"))
    colours = deal_colors(list(deals) or (list(table["deal"]) if table is not None else []))
    rows = []
    for r in (table.to_dict("records") if table is not None else []):
        cov = {k: {"value": f"{r[m]:.6g}", "text": pct(r[m]), "low": pct(r[m + "_p05"]), "high": pct(r[m + "_p95"])}
               for k, m in (("primary", "own_feedstock_coverage"), ("secondary", "secondary_coverage"))}
        rows.append({"deal": r["deal"], "colour": colours.get(r["deal"], "#222"), **cov,
                     "oxide": [{"year": y, "value": f"{r[f'oxide_recovered_{y}']:.6g}", "text": f"{r[f'oxide_recovered_{y}']:,.1f}"}
                               for y in years],
                     "dy": [{"year": y, "value": f"{r[f'dy_recovered_{y}']:.6g}", "text": f"{r[f'dy_recovered_{y}']:,.2f}"}
                            for y in years]})
    left = [{"name": k, "why": v} for k, v in (not_reported or {}).items()]
    return _templates().get_template("recycling.html.j2").render(
        status="error" if message else "ok", year=int(year), demand=demand, font=FONT, message=message, rows=rows,
        years=years, band=draws > 0, draws=int(draws), not_reported=left, counted=list(counted))
