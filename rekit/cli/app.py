"""The `rekit` command: check and browse the data, cite sources.

Every command prints a clear message and exits non-zero on bad input; no traceback for
problems a user can fix.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Sequence

import pandas as pd

from rekit.model.deals import DealError
from rekit.model.simulation import ModelError
from rekit.data.problems import DataError


class UsageError(Exception):
    """A bad argument: the message says what was given and what is allowed."""


def _fmt(x: float) -> str:
    return "" if pd.isna(x) else f"{x:,.4g}" if abs(x) < 1 else f"{x:,.6g}"


def _value_text(r) -> str:
    rng = ""
    if pd.notna(r.low) or pd.notna(r.high):
        rng = f" ({_fmt(r.low) or '…'}–{_fmt(r.high) or '…'})"
    return f"{_fmt(r.value)}{rng} {r.unit}"


def cmd_check(args) -> int:
    from rekit.data import validate
    from rekit.paths import data_dir

    folder = Path(args.dir) if args.dir else data_dir()
    if not folder.is_dir():
        raise UsageError(f"no data folder at {folder}")
    problems = validate.quick(folder) if args.quick else validate.full(folder)
    if problems:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {folder}", file=sys.stderr)
        return 1
    from rekit.data.dataset import load

    ds = load(folder)
    print(f"ok: {folder}: {len(ds.observations)} observations, {ds.observations['indicator'].nunique()} indicators, "
          f"{len(ds.sources)} sources, {len(ds.events)} events; {'quick' if args.quick else 'full'} check passed")
    return 0


def cmd_show(args) -> int:
    ds = _load(args)
    try:
        rows = ds.series(args.indicator, entity=args.entity, partner=args.partner)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    title = ds.indicators.set_index("indicator").loc[args.indicator, "title"]
    print(f"{args.indicator}: {title} — {len(rows)} row{'s' if len(rows) != 1 else ''}")
    width = 100
    for r in rows.itertuples(index=False):
        who = r.entity + (f" → {r.partner}" if pd.notna(r.partner) else "")
        print(f"\n  {r.period:<12} {who:<28} {_value_text(r):<30} {r.status}")
        print(textwrap.fill(f"scope: {r.scope}", width, initial_indent="      ", subsequent_indent="        "))
        if pd.notna(r.quote):
            print(textwrap.fill(f"“{r.quote}”", width, initial_indent="      ", subsequent_indent="       "))
        if pd.notna(r.derived_from):
            print(f"      derived from: {r.derived_from}")
        if pd.notna(r.note):
            print(textwrap.fill(f"note: {r.note}", width, initial_indent="      ", subsequent_indent="        "))
        print(textwrap.fill(f"— {ds.cite(r.source_id, 'short')} [{r.source_id}, row {r.id}]", width,
                            initial_indent="      ", subsequent_indent="        "))
    return 0


def cmd_conflicts(args) -> int:
    ds = _load(args)
    c = ds.conflicts()
    if args.indicator:
        c = c[c["indicator"] == args.indicator]
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
            print(textwrap.fill(f"scope: {side['scope']}", 100, initial_indent="      ", subsequent_indent="        "))
    print(f"\n{len(c)} conflicting pair{'s' if len(c) != 1 else ''}")
    return 0


def cmd_summary(args) -> int:
    from rekit.data.overview import indicator_summary, to_markdown

    table = indicator_summary(_load(args))
    print(to_markdown(table) if args.markdown else table.to_string(index=False))
    return 0


def cmd_cite(args) -> int:
    ds = _load(args)
    try:
        print(ds.cite(args.source_id, args.style))
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    return 0


def _book(args, ds=None):
    """The deal book (bundled deals plus --deals FILE) over the dataset `ds`, loaded if not given."""
    from rekit.model.deals import load_deals

    return load_deals(getattr(args, "deals_file", None), ds=ds if ds is not None else _load(args))


def cmd_deals(args) -> int:
    book = _book(args)
    width = max(len(n) for n in book.deals)
    for name, d in book.deals.items():
        print(f"{name:<{width}}  {d.description}")
    print("\nproduction bases (--basis): " + "; ".join(f"{b.name}: {b.description}" for b in book.bases.values()))
    return 0


def _years(text: str) -> tuple[int, int]:
    try:
        a, _, b = text.partition("-")
        return int(a), int(b or a)
    except ValueError:
        raise UsageError(f"--years: {text!r} is not START-END (e.g. 2024-2035)") from None


def cmd_simulate(args) -> int:
    from rekit.model.simulation import simulate

    book = _book(args)
    names = args.deal or list(book.deals)
    for n in names:
        book.get(n)
    if args.draws <= 0:
        raise UsageError(f"--draws: {args.draws} is not allowed; give a whole number >= 1")
    res = simulate(book, names, years=_years(args.years), draws=args.draws, seed=args.seed, basis=args.basis)
    table = res.summary()
    if args.metric:
        table = table[table["metric"].isin(args.metric)]
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False, float_format="%.6g")
    elif args.format == "json":
        print(table.to_json(orient="records", double_precision=6))
    else:
        show = table[table["metric"].isin(args.metric or ["production", "export_share", "self_sufficiency"])]
        wide = show.pivot_table(index=["deal", "year"], columns="metric", values="p50", sort=False)
        print(f"median of {res.draws} draws (seed {res.seed}, basis {res.basis}); --format csv for p05/p50/p95 of every metric")
        print(wide.to_string(float_format=lambda x: f"{x:,.3g}"))
    return 0


def cmd_concentration(args) -> int:
    from rekit.model.supply import concentration_table

    try:
        table = concentration_table(_load(args), edition=args.edition)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False, float_format="%.6g")
        return 0
    for (ed, year), g in table.groupby(["edition", "year"], sort=True):
        top = ", ".join(f"{r.entity} {r.share:.0%}" for r in g.head(3).itertuples())
        print(f"{ed}  {year}: top-3 {g['top3_share'].iloc[0]:.1%} ({top}); HHI {g['hhi'].iloc[0]:,.0f}")
    return 0


def cmd_images(args) -> int:
    from rekit.figures import charts
    from rekit.figures.images import ImageExportError, write_images
    from rekit.model.simulation import simulate

    ds = _load(args)
    book = _book(args, ds)
    names = args.deal or list(book.deals)
    res = simulate(book, names, years=_years(args.years), draws=args.draws, seed=args.seed, basis=args.basis)
    figs = {
        "self_sufficiency": charts.self_sufficiency_chart(res, ds, book),
        "export_share": charts.export_share_chart(ds, book, res),
        "mine_production": charts.mine_production_chart(ds),
        "export_controls_timeline": charts.timeline_chart(ds),
    }
    flow = names[0] if args.deal or "toll_japan" not in names else "toll_japan"
    figs[f"nd_flows_{flow}"] = charts.flows_sankey(res, flow, min(int(res.years[-1]), 2030), ds, book)
    out = Path(args.out)
    try:
        paths = write_images([(f, out / f"{name}.{args.format}") for name, f in figs.items()], scale=args.scale)
    except ImageExportError as exc:
        raise UsageError(str(exc)) from None
    for path in paths:
        print(path)
    return 0


def _load(args):
    from rekit.data.dataset import load

    return load(getattr(args, "data", None))


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", metavar="DIR", help="data folder (default: the bundled data/)")


def _model_args(p: argparse.ArgumentParser, draws: int) -> None:
    """The options every model run takes: years, draws, seed, basis, and a user's deals file."""
    p.add_argument("--years", default="2024-2035", metavar="START-END", help="years to model (default 2024-2035; reach 2024-2050)")
    p.add_argument("--draws", type=int, default=draws, metavar="N", help=f"Monte Carlo draws (default {draws})")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same output")
    p.add_argument("--basis", default="reported", metavar="B", help="IREL output path: reported, targets or plan_2030 (default reported)")
    p.add_argument("--deals", dest="deals_file", metavar="FILE", help="a YAML file of your own deals, in the same format")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rekit",
        description="rekit: a research kit on India's rare-earth supply chain (IREL, neodymium, partner deals).",
        epilog="Run `rekit COMMAND --help` for the options of a command.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data = sub.add_parser("data", help="check and browse the dataset", description="Check and browse the dataset in data/.")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    c = dsub.add_parser("check", help="validate a data folder (default: the bundled data)",
                        description="Validate a data folder against its Data Package schema and the domain's rules. "
                                    "Prints a one-line summary and exits 0, or prints every problem as FILE:ROW: column: "
                                    "what is wrong (the header is row 1) and exits 1.")
    c.add_argument("dir", nargs="?", metavar="DIR", help="data folder (default: the bundled data/)")
    c.add_argument("--quick", action="store_true", help="only the checks load() runs (skip the Frictionless validator)")
    c.set_defaults(func=cmd_check)

    s = dsub.add_parser("show", help="the rows of one indicator with their sources",
                        description="Print the rows of one indicator with scope, quote and source.")
    s.add_argument("indicator", metavar="INDICATOR", help="an indicator name (see `rekit data summary`)")
    s.add_argument("--entity", help="only this entity (IREL, India, China, …)")
    s.add_argument("--partner", help="only this partner (Japan, World, …)")
    _data_arg(s)
    s.set_defaults(func=cmd_show)

    k = dsub.add_parser("conflicts", help="figures that disagree, side by side",
                        description="Pairs of figures for the same indicator, entity, partner and unit whose periods "
                                    "overlap and whose values disagree beyond their ranges.")
    k.add_argument("--indicator", help="only this indicator")
    _data_arg(k)
    k.set_defaults(func=cmd_conflicts)

    m = dsub.add_parser("summary", help="indicators, units, periods covered and sources",
                        description="One line per indicator: units, periods covered, rows and sources.")
    m.add_argument("--markdown", action="store_true", help="print a Markdown table (as in the README)")
    _data_arg(m)
    m.set_defaults(func=cmd_summary)

    ci = sub.add_parser("cite", help="a formatted citation for a source", description="Print a citation for a source.")
    ci.add_argument("source_id", metavar="SOURCE_ID", help="a source_id from data/sources.csv")
    ci.add_argument("--style", choices=["text", "short"], default="text", help="full reference (text) or title, publisher, date (short)")
    _data_arg(ci)
    ci.set_defaults(func=cmd_cite)

    dl = sub.add_parser("deals", help="the partner-deal presets, one line each",
                        description="List the partner deals (data/deals.yml, plus --deals FILE) and the production bases.")
    dl.add_argument("--deals", dest="deals_file", metavar="FILE", help="a YAML file of your own deals, in the same format")
    _data_arg(dl)
    dl.set_defaults(func=cmd_deals)

    sm = sub.add_parser("simulate", help="run the partner-deal model",
                        description="Run the partner-deal model (Monte Carlo over every ranged parameter) and print "
                                    "quantiles by deal, year and metric.")
    sm.add_argument("--deal", action="append", metavar="NAME", help="a deal to run (repeat for several; default: all)")
    _model_args(sm, draws=1000)
    sm.add_argument("--metric", action="append", metavar="M", help="only this metric (repeatable)")
    sm.add_argument("--format", choices=["table", "csv", "json"], default="table",
                    help="table (medians), or csv/json (one row per deal, year and metric with mean, p05, p50, p95)")
    _data_arg(sm)
    sm.set_defaults(func=cmd_simulate)

    cc = sub.add_parser("concentration", help="world mine production: shares, top-3 and HHI by year",
                        description="Country shares of world rare-earth mine production (USGS, t REO), the top-3 share "
                                    "and the Herfindahl-Hirschman index, by USGS edition and year.")
    cc.add_argument("--edition", action="append", metavar="SOURCE_ID", help="only this USGS edition (e.g. usgs_mcs_2026; repeatable)")
    cc.add_argument("--format", choices=["table", "csv"], default="table", help="summary lines (table) or every country share (csv)")
    _data_arg(cc)
    cc.set_defaults(func=cmd_concentration)

    im = sub.add_parser("images", help="static PNG/SVG/PDF of the kit's charts (needs Chromium)",
                        description="Write the kit's charts as static images with kaleido and Debian's chromium "
                                    "(`make browser` installs it; or set BROWSER_PATH). Without a browser it stops "
                                    "at once with a message.")
    im.add_argument("--out", default="reports/images", metavar="DIR", help="folder for the images (default reports/images)")
    im.add_argument("--format", choices=["png", "svg", "pdf"], default="png", help="image format (default png)")
    im.add_argument("--scale", type=float, default=2.0, help="pixel scale for PNG (default 2)")
    im.add_argument("--deal", action="append", metavar="NAME", help="deals in the model charts (repeatable; default all; "
                                                                   "the flow chart shows the first, or toll_japan by default)")
    _model_args(im, draws=1000)
    _data_arg(im)
    im.set_defaults(func=cmd_images)

    from rekit.cli.reports import register

    register(sub)  # run, reports, notebooks
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rekit` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"rekit: error: {exc}", file=sys.stderr)
        return 2
    except (DealError, ModelError) as exc:
        print(f"rekit: error: {exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print(f"rekit: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
