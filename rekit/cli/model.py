"""`rekit deals`, `rekit simulate` and `rekit concentration`: the partner-deal model and world supply.

`app` holds these commands, added at the root of the `rekit` command; add one with ``@app.command()``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer

from rekit.cli.common import (BasisOption, DataOption, DealsFileOption, DrawsOption, SeedOption, YearsOption, at_least,
                              choose, deal_book, fail, load_data, new_app, parse_years, write_csv)

app = new_app()

DealOption = Annotated[Optional[list[str]], typer.Option(
    "--deal", metavar="NAME", help="a deal to run (repeat for several; default: all)")]


def model_inputs(book, deal: list[str] | None, basis: str, draws: int, seed: int) -> tuple[list[str], str]:
    """Check what a model run is given before it runs: the deal names (case-insensitive, with a
    suggestion when unknown), the basis, draws >= 1 and seed >= 0. Returns (deal names, basis)."""
    names = [choose(n, list(book.deals), "deal") for n in deal] if deal else list(book.deals)
    basis = choose(basis, list(book.bases), "production basis")
    at_least("--draws", draws, 1)
    at_least("--seed", seed, 0)
    return names, basis


@app.command("deals", short_help="the partner-deal presets, one line each")
def deals(deals_file: DealsFileOption = None, data: DataOption = None) -> int:
    """The partner-deal presets, one line each, and the production bases.

    Lists the partner deals (data/deals.yml, plus --deals FILE) and the production bases (--basis).
    """
    book = deal_book(deals_file, load_data(data))
    width = max(len(n) for n in book.deals)
    for name, d in book.deals.items():
        print(f"{name:<{width}}  {d.description}")
    print("\nproduction bases (--basis): " + "; ".join(f"{b.name}: {b.description}" for b in book.bases.values()))
    return 0


@app.command("simulate", short_help="run the partner-deal model")
def simulate(
    deal: DealOption = None,
    years: YearsOption = "2024-2035",
    draws: DrawsOption = 1000,
    seed: SeedOption = 0,
    basis: BasisOption = "reported",
    deals_file: DealsFileOption = None,
    metric: Annotated[Optional[list[str]], typer.Option("--metric", metavar="M", help="only this metric (repeatable)")] = None,
    format: Annotated[Literal["table", "csv", "json"], typer.Option(
        "--format", help="table (medians), or csv/json (one row per deal, year and metric with mean, p05, p50, p95)")] = "table",
    data: DataOption = None,
) -> int:
    """Run the partner-deal model and print quantiles by deal, year and metric.

    A Monte Carlo over every ranged parameter; the same seed gives the same output.
    """
    from rekit.model.simulation import METRICS
    from rekit.model.simulation import simulate as run_model

    span = parse_years(years)
    metrics = [choose(m, list(METRICS), "metric") for m in metric] if metric else None
    book = deal_book(deals_file, load_data(data))
    names, basis = model_inputs(book, deal, basis, draws, seed)
    res = run_model(book, names, years=span, draws=draws, seed=seed, basis=basis)
    table = res.summary()
    if metrics:
        table = table[table["metric"].isin(metrics)]
    if format == "csv":
        write_csv(table)
    elif format == "json":
        print(table.to_json(orient="records", double_precision=6))
    else:
        show = table[table["metric"].isin(metrics or ["production", "export_share", "self_sufficiency"])]
        wide = show.pivot_table(index=["deal", "year"], columns="metric", values="p50", sort=False)
        print(f"median of {res.draws} draws (seed {res.seed}, basis {res.basis}); --format csv for p05/p50/p95 of every metric")
        print(wide.to_string(float_format=lambda x: f"{x:,.3g}"))
    return 0


@app.command("concentration", short_help="world mine production: shares, top-3 and HHI by year")
def concentration(
    edition: Annotated[Optional[list[str]], typer.Option(
        "--edition", metavar="SOURCE_ID", help="only this USGS edition (e.g. usgs_mcs_2026; repeatable)")] = None,
    format: Annotated[Literal["table", "csv"], typer.Option("--format", help="summary lines (table) or every country share (csv)")] = "table",
    data: DataOption = None,
) -> int:
    """World mine production: shares, top-3 and HHI by year.

    Country shares of world rare-earth mine production (USGS, t REO), the top-3 share and the
    Herfindahl-Hirschman index, by USGS edition and year.
    """
    from rekit.model.supply import concentration_table

    try:
        table = concentration_table(load_data(data), edition=edition)
    except KeyError as exc:
        fail(exc.args[0])
    if format == "csv":
        write_csv(table)
        return 0
    for (ed, year), g in table.groupby(["edition", "year"], sort=True):
        top = ", ".join(f"{r.entity} {r.share:.0%}" for r in g.head(3).itertuples())
        print(f"{ed}  {year}: top-3 {g['top3_share'].iloc[0]:.1%} ({top}); HHI {g['hhi'].iloc[0]:,.0f}")
    return 0
