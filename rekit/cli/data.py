"""`rekit data check|show|conflicts|summary` and `rekit cite`: check and browse the dataset.

`data_app` is the `rekit data` group; `app` holds the commands added at the root (`rekit cite`).
Add a command with ``@data_app.command()`` (rekit data NAME) or ``@app.command()`` (rekit NAME).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from rekit.cli.common import DataOption, choose, data_folder, load_data, new_app, write_csv

app = new_app()
data_app = new_app(help="Check and browse the dataset in data/.")

WIDTH = 100


def _fmt(x: float) -> str:
    import pandas as pd

    return "" if pd.isna(x) else f"{x:,.4g}" if abs(x) < 1 else f"{x:,.6g}"


def _value_text(r) -> str:
    import pandas as pd

    rng = ""
    if pd.notna(r.low) or pd.notna(r.high):
        rng = f" ({_fmt(r.low) or '…'}–{_fmt(r.high) or '…'})"
    return f"{_fmt(r.value)}{rng} {r.unit}"


def _indicator(ds, name: str) -> str:
    return choose(name, list(ds.indicators["indicator"]), "indicator")


@data_app.command("check", short_help="validate a data folder (default: the bundled data)")
def check(
    folder: Annotated[Optional[Path], typer.Argument(metavar="[DIR]", help="data folder (default: REKIT_DATA if set, else the bundled data/)",
                                                     show_default=False)] = None,
    quick: Annotated[bool, typer.Option("--quick", help="only the checks load() runs (skip the Frictionless validator)")] = False,
) -> int:
    """Validate a data folder against its Data Package schema and the domain's rules.

    Prints a one-line summary and exits 0, or prints every problem as FILE:ROW: column: what is
    wrong (the header is row 1) and exits 1.
    """
    from rekit.data import validate

    folder = data_folder(folder)
    problems = validate.quick(folder) if quick else validate.full(folder)
    if problems:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {folder}", file=sys.stderr)
        return 1
    from rekit.data.dataset import load

    ds = load(folder)
    print(f"ok: {folder}: {len(ds.observations)} observations, {ds.observations['indicator'].nunique()} indicators, "
          f"{len(ds.sources)} sources, {len(ds.events)} events; {'quick' if quick else 'full'} check passed")
    return 0


@data_app.command("show", short_help="the rows of one indicator with their sources")
def show(
    indicator: Annotated[str, typer.Argument(metavar="INDICATOR", help="an indicator name (see `rekit data summary`)")],
    entity: Annotated[Optional[str], typer.Option("--entity", metavar="NAME", help="only this entity (IREL, India, China, …)")] = None,
    partner: Annotated[Optional[str], typer.Option("--partner", metavar="NAME", help="only this partner (Japan, World, …)")] = None,
    format: Annotated[Literal["text", "csv"], typer.Option("--format", help="text (rows with scope, quote and source) or csv (every column)")] = "text",
    data: DataOption = None,
) -> int:
    """Print the rows of one indicator with scope, quote and source."""
    import pandas as pd

    ds = load_data(data)
    indicator = _indicator(ds, indicator)
    of = ds.observations[ds.observations["indicator"] == indicator]
    if entity is not None:
        entity = choose(entity, sorted(of["entity"].dropna().unique()), f"entity for {indicator}")
    if partner is not None:
        pool = of if entity is None else of[of["entity"] == entity]
        partner = choose(partner, sorted(pool["partner"].dropna().unique()), f"partner for {indicator}")
    rows = ds.series(indicator, entity=entity, partner=partner)
    if format == "csv":
        cols = [c for c in rows.columns if c not in ("period_kind", "period_start", "period_end")]
        write_csv(rows[cols])
        return 0
    title = ds.indicators.set_index("indicator").loc[indicator, "title"]
    print(f"{indicator}: {title} — {len(rows)} row{'s' if len(rows) != 1 else ''}")
    for r in rows.itertuples(index=False):
        who = r.entity + (f" → {r.partner}" if pd.notna(r.partner) else "")
        print(f"\n  {r.period:<12} {who:<28} {_value_text(r):<30} {r.status}")
        print(textwrap.fill(f"scope: {r.scope}", WIDTH, initial_indent="      ", subsequent_indent="        "))
        if pd.notna(r.quote):
            print(textwrap.fill(f"“{r.quote}”", WIDTH, initial_indent="      ", subsequent_indent="       "))
        if pd.notna(r.derived_from):
            print(f"      derived from: {r.derived_from}")
        if pd.notna(r.note):
            print(textwrap.fill(f"note: {r.note}", WIDTH, initial_indent="      ", subsequent_indent="        "))
        print(textwrap.fill(f"— {ds.cite(r.source_id, 'short')} [{r.source_id}, row {r.id}]", WIDTH,
                            initial_indent="      ", subsequent_indent="        "))
    return 0


@data_app.command("conflicts", short_help="figures that disagree, side by side")
def conflicts(
    indicator: Annotated[Optional[str], typer.Option("--indicator", metavar="NAME", help="only this indicator")] = None,
    format: Annotated[Literal["text", "csv"], typer.Option("--format", help="text (side by side) or csv (one row per pair)")] = "text",
    data: DataOption = None,
) -> int:
    """Figures that disagree, side by side.

    Pairs of figures for the same indicator, entity, partner and unit whose periods overlap and
    whose values disagree beyond their ranges.
    """
    import pandas as pd

    ds = load_data(data)
    c = ds.conflicts()
    if indicator:
        c = c[c["indicator"] == _indicator(ds, indicator)]
    if format == "csv":
        write_csv(c)
        return 0
    if c.empty:
        print("no conflicts")
        return 0
    for r in c.itertuples(index=False):
        who = r.entity + (f" → {r.partner}" if pd.notna(r.partner) else "")
        print(f"\n{r.indicator} · {who} · {r.unit}")
        for s in "ab":
            side = {col: getattr(r, f"{col}_{s}") for col in ("period", "value", "low", "high", "status", "scope", "source_id")}
            has_range = pd.notna(side["low"]) or pd.notna(side["high"])
            rng = f" ({_fmt(side['low']) or '…'}–{_fmt(side['high']) or '…'})" if has_range else ""
            print(f"  {side['period']:<12} {_fmt(side['value']) + rng:<22} {side['status']:<9} {ds.cite(side['source_id'], 'short')}")
            print(textwrap.fill(f"scope: {side['scope']}", WIDTH, initial_indent="      ", subsequent_indent="        "))
    print(f"\n{len(c)} conflicting pair{'s' if len(c) != 1 else ''}")
    return 0


@data_app.command("summary", short_help="indicators, units, periods covered and sources")
def summary(
    markdown: Annotated[bool, typer.Option("--markdown", help="print a Markdown table (as in the README)")] = False,
    format: Annotated[Literal["text", "csv"], typer.Option("--format", help="text or csv (ignored with --markdown)")] = "text",
    data: DataOption = None,
) -> int:
    """Indicators, units, periods covered and sources: one line per indicator."""
    from rekit.data.overview import indicator_summary, to_markdown

    table = indicator_summary(load_data(data))
    if markdown:
        print(to_markdown(table))
    elif format == "csv":
        write_csv(table)
    else:
        print(table.to_string(index=False))
    return 0


@app.command("cite", short_help="a formatted citation for a source")
def cite(
    source_id: Annotated[str, typer.Argument(metavar="SOURCE_ID", help="a source_id from data/sources.csv")],
    style: Annotated[Literal["text", "short"], typer.Option("--style", help="full reference (text) or title, publisher, date (short)")] = "text",
    data: DataOption = None,
) -> int:
    """A formatted citation for a source."""
    ds = load_data(data)
    source_id = choose(source_id, list(ds.sources["source_id"]), "source",
                       listing=f"the {len(ds.sources)} sources are in {ds.path / 'sources.csv'}")
    print(ds.cite(source_id, style))
    return 0
