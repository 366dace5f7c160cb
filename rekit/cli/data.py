"""`rekit data check|show|conflicts|summary|diff` and `rekit cite`: check, browse and compare the dataset.

`data_app` is the `rekit data` group; `app` holds the commands added at the root (`rekit cite`).
Add a command with ``@data_app.command()`` (rekit data NAME) or ``@app.command()`` (rekit NAME).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated, Literal

import typer

from rekit.cli.common import DataOption, choose, data_folder, fail, load_data, new_app, write_csv
from rekit.paths import DEALS_FILE

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
    folder: Annotated[Path | None, typer.Argument(metavar="[DIR]", help="data folder (default: REKIT_DATA if set, else the bundled data/)",
                                                     show_default=False)] = None,
    quick: Annotated[bool, typer.Option("--quick", help="only the checks load() runs (skip the Frictionless validator)")] = False,
) -> int:
    """Validate a data folder against its Data Package schema and the domain's rules.

    Prints a one-line summary and exits 0, or prints every problem as FILE:ROW: column: what is
    wrong (the header is row 1) and exits 1. The folder's deals.yml is read too, with every
    observation it points at (ids, units, withdrawn rows, ranges), so a broken deal file fails here
    rather than in `rekit simulate`. Warnings (a headline figure resting on a republished
    wire story while a primary document exists for the same indicator) go to stderr and do not
    fail the check.
    """
    from rekit.data import validate
    from rekit.data.dataset import load
    from rekit.data.problems import DataError

    folder = data_folder(folder, "DIR")
    try:  # load() runs the quick pass: its problems are the quick check's (the tables are read once)
        ds, ours = load(folder), []
    except DataError as exc:
        ds, ours = None, exc.problems
    problems = ours if quick else validate.full(folder, ours)
    if problems or ds is None:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {folder}", file=sys.stderr)
        return 1
    from rekit.data.warnings import warnings

    deals = ""
    if (folder / DEALS_FILE).exists():
        from rekit.data.yamlfile import YamlFileError
        from rekit.model.deals import DealError, load_deals

        try:
            book = load_deals(ds=ds)
        except (DealError, YamlFileError) as exc:
            print(exc if str(exc).startswith(DEALS_FILE) else f"{DEALS_FILE}: {exc}")
            print(f"1 problem in {folder}", file=sys.stderr)
            return 1
        deals = f", {len(book.deals)} deals"
    found = warnings(ds)
    for w in found:
        print(w, file=sys.stderr)
    note = f", {len(found)} warning{'s' if len(found) != 1 else ''} (on stderr)" if found else ""
    print(f"ok: {folder}: data {ds.version}: {len(ds.observations)} observations, {ds.observations['indicator'].nunique()} indicators, "
          f"{len(ds.sources)} sources, {len(ds.events)} events{deals}; {'quick' if quick else 'full'} check passed{note}")
    return 0


@data_app.command("show", short_help="the rows of one indicator with their sources")
def show(
    indicator: Annotated[str, typer.Argument(metavar="INDICATOR", help="an indicator name (see `rekit data summary`)")],
    entity: Annotated[str | None, typer.Option("--entity", metavar="NAME", help="only this entity (IREL, India, China, …)")] = None,
    partner: Annotated[str | None, typer.Option("--partner", metavar="NAME", help="only this partner (Japan, World, …)")] = None,
    format: Annotated[Literal["text", "csv"], typer.Option(
        "--format", help="text (rows with scope, quote and source) or csv (every column)")] = "text",
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


@data_app.command("conflicts", short_help="the disagreement register: figures that disagree, unresolved and resolved")
def conflicts(
    indicator: Annotated[str | None, typer.Option("--indicator", metavar="NAME", help="only this indicator")] = None,
    format: Annotated[Literal["text", "csv"], typer.Option(
        "--format", help="text (side by side) or csv (one row per pair, with a state column)")] = "text",
    data: DataOption = None,
) -> int:
    """The disagreement register: figures that measure the same thing and disagree.

    Pairs with the same indicator, entity, partner, unit, period basis (fiscal or calendar) and
    scope_key whose periods overlap and whose values disagree beyond their ranges; a republished
    wire story counts once; withdrawn rows are never compared. Unresolved pairs come first, then
    those data/resolutions.csv resolves (the figure the kit prefers and why, or a range).
    """
    import numpy as np
    import pandas as pd

    from rekit.data.conflicts import split_register

    ds = load_data(data)
    c = ds.conflicts()
    if indicator:
        c = c[c["indicator"] == _indicator(ds, indicator)]
    if format == "csv":
        c = c.copy()
        c.insert(0, "state", np.where(c["resolution"].isna(), "unresolved", "resolved"))
        write_csv(c)
        return 0
    if c.empty:
        print("no conflicts")
        return 0
    unresolved, resolved = split_register(c)
    for heading, part in (("Unresolved", unresolved), ("Resolved", resolved)):
        print(f"\n{heading}: {len(part)} pair{'s' if len(part) != 1 else ''}")
        for r in part.itertuples(index=False):
            who = r.entity + (f" → {r.partner}" if pd.notna(r.partner) else "")
            key = f" · {r.scope_key}" if pd.notna(r.scope_key) else ""
            print(f"\n{r.indicator} · {who} · {r.unit}{key}")
            for s in "ab":
                side = {col: getattr(r, f"{col}_{s}") for col in ("id", "period", "value", "low", "high", "status", "scope", "source_id")}
                has_range = pd.notna(side["low"]) or pd.notna(side["high"])
                rng = f" ({_fmt(side['low']) or '…'}–{_fmt(side['high']) or '…'})" if has_range else ""
                print(f"  {side['period']:<12} {_fmt(side['value']) + rng:<22} {side['status']:<9} {ds.cite(side['source_id'], 'short')}")
                print(textwrap.fill(f"scope: {side['scope']}", WIDTH, initial_indent="      ", subsequent_indent="        "))
                also = getattr(r, f"also_{s}")
                if pd.notna(also):
                    print(f"      the same wire story also in: {also}")
            if pd.notna(r.resolution):
                verdict = f"prefers {r.preferred}" if r.decision == "prefer" else "keeps both as a range"
                print(textwrap.fill(f"resolution {r.resolution}: the kit {verdict}. {r.reason}", WIDTH,
                                    initial_indent="  → ", subsequent_indent="    "))
    print(f"\n{len(c)} conflicting pair{'s' if len(c) != 1 else ''}: {len(unresolved)} unresolved, {len(resolved)} resolved")
    return 0


@data_app.command("diff", short_help="rows added, removed and changed between two versions of the data")
def diff(
    old: Annotated[str, typer.Argument(metavar="OLD", help="a data folder or a git revision (HEAD~3, a tag, a commit)")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="a data folder or a git revision")],
) -> int:
    """Rows added, removed and changed between two versions of the data package.

    OLD and NEW are data folders (with a datapackage.json) or git revisions of this repository,
    whose data/ is compared. Tables are matched by name and rows by their key (id, source_id,
    indicator, resolution_id); a changed row lists the columns that differ.
    """
    from rekit.data.diff import diff_packages

    print(diff_packages(old, new).text())
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


@app.command("cite", short_help="a citation for a source (text, short or BibTeX), or for the kit")
def cite(
    source_id: Annotated[str | None, typer.Argument(metavar="SOURCE_ID", help="a source_id from data/sources.csv")] = None,
    format: Annotated[str | None, typer.Option(
        "--format", "-f", metavar="FORMAT", show_default=False,
        help="text (a full reference, the default), short (title, publisher, date) or bibtex")] = None,
    style: Annotated[str | None, typer.Option("--style", hidden=True, help="the same as --format")] = None,
    kit: Annotated[bool, typer.Option("--kit", help="cite the kit itself: rekit's version, the data version and the commit")] = False,
    data: DataOption = None,
) -> int:
    """A citation for a source of the data, or with --kit for the kit itself.

    Formats: text, short, bibtex. CITATION.cff at the repository root cites the kit too.
    """
    from rekit.reports.citation import check_format, cite as make_citation

    fmt = check_format(format or style or "text")
    if kit:
        if source_id:
            fail(f"give a SOURCE_ID or --kit, not both (got {source_id!r} and --kit)")
        print(make_citation(fmt=fmt, kit=True))
        return 0
    if not source_id:
        fail("name a SOURCE_ID to cite (see data/sources.csv), or give --kit to cite the kit")
    ds = load_data(data)
    source_id = choose(source_id, list(ds.sources["source_id"]), "source",
                       listing=f"the {len(ds.sources)} sources are in {ds.path / 'sources.csv'}")
    print(make_citation(source_id, fmt, ds=ds))
    return 0
