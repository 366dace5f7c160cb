"""`rekit deals`, `rekit simulate` and `rekit concentration`: the partner-deal model and world supply.

`app` holds these commands, added at the root of the `rekit` command; add one with ``@app.command()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from rekit.cli.common import (BasisOption, DataOption, DealsFileOption, DrawsOption, SeedOption, YearsOption, at_least,
                              choose, deal_book, fail, load_data, new_app, parse_years, write_csv, write_records)

app = new_app()

DealOption = Annotated[list[str] | None, typer.Option(
    "--deal", metavar="NAME", help="a deal to run (repeat for several; default: all)")]
DemandOption = Annotated[str | None, typer.Option(
    "--demand", metavar="NAME", help="India's magnet demand basis (`rekit demand` lists them; default: the first)")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="DEAL.PARAM=VALUE", help="fix one deal's parameter at a value, in its unit (repeatable; PARAM=VALUE "
                                              "when one deal runs): e.g. --set toll_korea.partner_spare=0.4")]


def apply_settings(book, items: list[str] | None, names: list[str]):
    """(the book with the --set values applied to their deals, the settings): each setting checked
    (rekit.model.custom.parse_settings) before anything runs; a setting or deal setting with no
    effect is warned about on stderr, naming it."""
    import sys

    from rekit.model.custom import no_effect, parse_settings, with_settings

    settings = parse_settings(items, names)
    book = with_settings(book, settings)
    for name in names:
        for w in no_effect(book.get(name)):
            print(f"warning: {w}", file=sys.stderr)
    return book, settings


#: Peak memory of one model run, in bytes per (deal, year, draw): what rekit.model.simulation.simulate
#: and Result.summary() allocate at most, about 80 float64 arrays of shape (deals, years, draws)
#: (the flows, the origin traced through the chain, the scheme's plants, the metrics kept and the
#: partitions for the quantiles). Measured with tracemalloc for 2 deals x 12 years x 3,000 and
#: 4,000 draws (595 and 594 bytes) and 9 and 12 deals x 27 years x 2,000 draws (633 and 634 bytes;
#: 433 and 473 bytes before origin tracing); 700 keeps a margin.
PEAK_BYTES_PER_CELL = 700
#: The share of the memory available (MemAvailable in /proc/meminfo) a run may take.
MEMORY_SHARE = 0.5
#: The limit where /proc/meminfo cannot be read: 2 GiB.
FALLBACK_LIMIT = 2 * 1024**3


def memory_limit() -> tuple[int, str]:
    """(bytes a model run may take, how that limit was found)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    kib = int(line.split()[1])
                    return int(kib * 1024 * MEMORY_SHARE), f"{MEMORY_SHARE:.0%} of the memory available now"
    except (OSError, ValueError, IndexError):
        pass
    return FALLBACK_LIMIT, "the fixed limit (no /proc/meminfo here)"


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_memory(deals: int, years: tuple[int, int], draws: int, option: str = "--draws", runs_per_draw: int = 1,
                 noun: str = "draws") -> None:
    """Refuse a run whose arrays would not fit: estimate = deals x years x draws x runs_per_draw x
    PEAK_BYTES_PER_CELL, against `memory_limit()`; the message gives both and the largest value of
    `option` that fits."""
    cells = deals * (years[1] - years[0] + 1) * runs_per_draw
    need = cells * draws * PEAK_BYTES_PER_CELL
    limit, how = memory_limit()
    if need > limit:
        fits = limit // (cells * PEAK_BYTES_PER_CELL)
        fail(f"{option}: {draws:,} {noun} of {deals} deal{'s' if deals != 1 else ''} over {years[1] - years[0] + 1} "
             f"year{'s' if years[1] != years[0] else ''} would take about {_size(need)} of memory; the limit is "
             f"{_size(limit)} ({how}); "
             + (f"give {option} {fits:,} or fewer, or fewer deals or years" if fits >= 1 else "give fewer deals or years"))


def model_inputs(book, deal: list[str] | None, basis: str, draws: int, seed: int,
                 years: tuple[int, int] = (2024, 2035), demand: str | None = None, *, option: str = "--draws",
                 least: int = 1, runs_per_draw: int = 1, noun: str = "draws") -> tuple[list[str], str, str | None]:
    """Check what a model run is given before it runs: the deal names (case-insensitive, with a
    suggestion when unknown), the basis and demand basis, the years, draws (`option`) >= `least`,
    seed >= 0, and that the run fits in memory (`runs_per_draw` model runs per draw, as in a
    sensitivity analysis). Returns (deal names, basis, demand basis or None for the default)."""
    from rekit.model.simulation import check_years

    names = [choose(n, list(book.deals), "deal") for n in deal] if deal else list(book.deals)
    basis = choose(book.basis_name(basis), list(book.bases), "production basis")  # `reported`: the old name of `output`
    demand = choose(demand, list(book.demands), "demand basis") if demand else None
    check_years(*years)
    at_least(option, draws, least)
    at_least("--seed", seed, 0)
    check_memory(len(names), years, draws, option, runs_per_draw, noun)
    return names, basis, demand


def settings_deals_file(notebook: str, params: dict, folder, items: list[str], out_dir: Path | None) -> dict:
    """`rekit run --set`: `params` with `deals_file` a file holding the run's deals file (if any) and a
    `settings` section of the --set values (OUT/NOTEBOOK.settings-HASH.yml, named by its content), written
    only once every setting is checked; a notebook without a deals_file parameter is refused."""
    import hashlib
    import sys

    import yaml

    from rekit.atomic import write_atomic
    from rekit.data.yamlfile import read_yaml
    from rekit.model.custom import no_effect, parse_settings
    from rekit.model.deals import load_deals
    from rekit.paths import REPORTS
    from rekit.reports.jobs import find_notebook, takes_deals_file

    nb = find_notebook(notebook, folder)
    if not takes_deals_file(nb):
        fail(f"--set: notebook {nb.stem!r} takes no deals file (it has no 'deals_file' parameter), so it cannot take settings")
    ds = load_data(None)
    given = params.get("deals_file") or None
    book = deal_book(Path(given) if given else None, ds)
    run = params.get("deals") or params.get("deal") or list(book.deals)
    if isinstance(run, str):  # as typed on the command line: a name, a,b or [a, b]
        run = yaml.safe_load(run) if run.strip().startswith("[") else run.split(",")
    names = [str(n).strip() for n in (run if isinstance(run, list) else [run])]
    settings = parse_settings(items, [n for n in names if n in book.deals] or list(book.deals))
    doc = dict(read_yaml(Path(given), "deals file")) if given else {}
    merged = {**(doc.get("settings") or {})}
    for deal, values in settings.items():
        merged[deal] = {**merged.get(deal, {}), **values}
    doc["settings"] = merged
    checked = load_deals(doc, ds=ds, name="--set")  # every value checked before anything is written
    for deal in settings:
        for w in no_effect(checked.get(deal)):
            print(f"warning: {w}", file=sys.stderr)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    path = (out_dir or REPORTS) / f"{nb.stem}.settings-{hashlib.sha256(text.encode()).hexdigest()[:8]}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, "# the deals file of `rekit run --set`: the settings fix these deals' parameters\n" + text)
    return {**params, "deals_file": str(path)}


@app.command("deals", short_help="the partner-deal presets, one line each")
def deals(deals_file: DealsFileOption = None, data: DataOption = None,
          show: Annotated[str | None, typer.Option(
              "--show", metavar="NAME", help="one deal in full: its parameters with range, unit and source")] = None,
          as_yaml: Annotated[bool, typer.Option(
              "--yaml", help="with --show: the deal as YAML to copy into a deals file of your own (defaults merged, "
                             "no anchors)")] = False) -> int:
    """The partner-deal presets, one line each, and the production bases.

    Lists the partner deals (data/deals.yml, plus --deals FILE) and the production bases (--basis).
    --show NAME gives one deal in full, --show NAME --yaml as a deals file to copy: rename the deal,
    change what you need, and run it with --deals FILE (or write `extends: NAME` and only what changes).
    """
    book = deal_book(deals_file, load_data(data))
    if as_yaml and show is None:
        fail("--yaml: prints the deal named by --show; give --show NAME")
    if show is not None:
        from rekit.model.custom import deal_yaml, no_effect

        name = choose(show, list(book.deals), "deal")
        if as_yaml:
            print(deal_yaml(book, name), end="")
            return 0
        d = book.get(name)
        print(f"{name}: {d.description}")
        for a in d.assumptions:
            print(f"  assumption: {a}")
        for k, s in [*((f"shares.{k}", v) for k, v in d.shares.items()), *d.params.items()]:
            if s is None:
                print(f"  {k}: rest (what the other shares leave)")
                continue
            for t, q in s.points:
                rng = f" ({q.low:g}-{q.high:g})" if q.low != q.high else ""
                print(f"  {k}{f' from {t:g}' if t else ''}: {q.value:g}{rng} {q.unit}; {q.source}")
        for w in no_effect(d):
            print(f"warning: {w}")
        return 0
    width = max(len(n) for n in book.deals)
    for name, d in book.deals.items():
        print(f"{name:<{width}}  {d.description}")
    print("\nproduction bases (--basis): " + "; ".join(f"{b.name}: {b.description}" for b in book.bases.values()))
    print("\nframings (--framing): " + "; ".join(f"{f.name}: {f.description}" for f in book.framings.values()))
    return 0


@app.command("simulate", short_help="run the partner-deal model")
def simulate(
    deal: DealOption = None,
    years: YearsOption = "2024-2035",
    draws: DrawsOption = 1000,
    seed: SeedOption = 0,
    basis: BasisOption = "output",
    deals_file: DealsFileOption = None,
    demand: DemandOption = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", metavar="M", help="only this metric (repeatable)")] = None,
    format: Annotated[Literal["table", "csv", "json"], typer.Option(
        "--format", help="table (medians), or csv/json (one row per deal, year and metric with mean, p05, p50, p95)")] = "table",
    framing: Annotated[Literal["chain", "officials"], typer.Option(
        "--framing", help="t magnet per t oxide: chain (stoichiometry and yields, ~2.15) or officials ('roughly three')")] = "chain",
    list_metrics: Annotated[bool, typer.Option(
        "--list-metrics", help="list every metric with its unit, formula and reference, and exit")] = False,
    grid: Annotated[bool, typer.Option(
        "--grid", help="run every structural scenario (production basis x demand basis x framing x partner "
                       "alternative): one row per deal, scenario, year and metric with p05, p50, p95")] = False,
    partner: Annotated[str | None, typer.Option(
        "--partner", metavar="ALT", help="read a tolling partner's capacity as: plants (the named companies' plants "
                                         "summed; default), home (their home-country plants only) or national (the "
                                         "country's NdFeB alloy output, where the data hold one)")] = None,
    set_: SetOption = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", metavar="N", help="with --grid: run the scenarios on N local processes (same numbers as one run)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="with --grid: run the scenarios on this Dask scheduler (default: $REKIT_SCHEDULER when set)")] = None,
    data: DataOption = None,
) -> int:
    """Run the partner-deal model and print quantiles by deal, year and metric, beside the structural envelope.

    Every format gives, beside the band of the chosen scenario (p05-p95 over the draws), the
    structural envelope: envelope_p05 and envelope_p95 over the draws of every production basis x
    demand basis x framing (x partner alternative, for a deal with partners) pooled with equal
    weight, and the scenarios whose medians are lowest and highest (low_scenario, high_scenario;
    the table writes them production/demand/framing[/partner]). --grid gives each scenario's own
    p05, p50, p95 instead (--format table: the medians side by side; csv/json: one row per deal,
    scenario, year and metric), on N processes with --jobs N or on a Dask cluster with --scheduler
    (or $REKIT_SCHEDULER), with the same numbers.

    A Monte Carlo over every ranged parameter; the same seed gives the same output. Every run
    starts in 2024 (the stock back-cast from its December 2025 observation); --years only chooses
    the years shown.

    Examples: rekit simulate --deal repm_scheme --years 2030-2035;
    rekit simulate --grid --deal toll_japan --metric own_feedstock_coverage --format csv --jobs 2.
    """
    import os

    import pandas as pd

    from rekit.model.simulation import METRICS, metric_catalogue
    from rekit.model.simulation import simulate as run_model
    from rekit.run.executor import SCHEDULER_ENV

    if list_metrics:
        for r in metric_catalogue().itertuples():
            extra = f"; formula {r.formula}; reference: {r.reference}" if r.formula else ""
            print(f"{r.metric} [{r.unit}]: {r.description}{extra}")
        return 0
    span = parse_years(years)
    metrics = [choose(m, list(METRICS), "metric") for m in metric] if metric else None
    ds = load_data(data)
    book = deal_book(deals_file, ds)
    from rekit.model.scenarios import PARTNER_CHOICES, grid_bytes, scenarios

    if partner is not None:
        partner = choose(partner, list(PARTNER_CHOICES), "partner alternative")
    if grid:  # a choice given beside --grid would be ignored: say so rather than run without it
        held = [o for o, given in (("--basis", book.basis_name(basis) != book.basis_name(None)), ("--demand", demand is not None),
                                   ("--framing", framing != "chain"), ("--partner", partner is not None)) if given]
        if held:
            fail(f"{', '.join(held)}: --grid runs every production basis, demand basis, framing and partner alternative; "
                 f"leave out {' and '.join(held)}")
    elif jobs is not None or scheduler is not None:
        fail(f"{'--jobs' if jobs is not None else '--scheduler'}: runs the scenarios of --grid on an executor; give it with --grid")
    if jobs is not None:
        at_least("--jobs", jobs, 1)
    if jobs is not None and scheduler is not None:
        fail("--jobs and --scheduler: give one (local processes or a Dask cluster)")
    # every scenario is run (the envelope beside every table, or the grid): memory for all of them, before one run's
    from rekit.model.simulation import check_years

    check_years(*span)
    picked = [choose(n, list(book.deals), "deal") for n in deal] if deal else list(book.deals)
    n_partner = len(PARTNER_CHOICES) if any(book.get(d).partner_plants for d in picked) else 1
    runs = len(scenarios(book)) * n_partner
    pooled = len(metrics or (METRICS if format != "table" else TABLE_METRICS))  # the metrics whose envelope is kept
    need = grid_bytes(len(picked), span, draws, runs, pooled, len(book.demands), keep_envelope=not grid)
    limit, how = memory_limit()
    if need > limit:
        fail(f"--draws: {draws:,} draws in each of {runs} structural scenarios of {len(picked)} deal{'s' if len(picked) != 1 else ''} "
             f"over {span[0]}-{span[1]} would take about {_size(need)} of memory; the limit is {_size(limit)} ({how}); "
             "give fewer draws, deals, years or metrics")
    names, basis, demand = model_inputs(book, deal, basis, draws, seed, span, demand)
    book, settings = apply_settings(book, set_, names)
    if grid:
        return _grid(book, names, span, draws, seed, metrics, format, ds, jobs,
                     scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None)
    from rekit.model.scenarios import envelope, with_partner

    run_book = with_partner(book, names, partner, ds) if partner is not None else book
    res = run_model(run_book, names, years=span, draws=draws, seed=seed, basis=basis, demand=demand, framing=framing)
    table = res.summary(metrics=metrics)
    shown = metrics or list(TABLE_METRICS)
    env = envelope(book, names, years=span, draws=draws, seed=seed, ds=ds,
                   metrics=list(dict.fromkeys(table["metric"])) if format != "table" else shown)
    table = table.merge(env.drop(columns="unit"), on=["deal", "year", "metric"], how="left", sort=False)
    table["data_version"] = ds.version
    if settings:
        from rekit.model.custom import settings_label

        table["settings"] = table["deal"].map(lambda d: settings_label({d: settings[d]}) if d in settings else "")
    if not write_records(table, format):
        chosen = f"production {res.basis}, demand {res.demand}, framing {framing}" + (f", partner {partner}" if partner else "")
        if settings:
            from rekit.model.custom import settings_label

            chosen += f"; set {settings_label(settings)}"
        print(f"median and p05-p95 of {res.draws} draws in the chosen scenario ({chosen}; seed {res.seed}, data {ds.version}); "
              "envelope: p05-p95 of every structural scenario's draws pooled with equal weight, and the scenarios with the "
              "lowest and highest median (production/demand/framing[/partner]); --format csv for every metric")
        for m, g in table[table["metric"].isin(shown)].groupby("metric", sort=False):
            out = pd.DataFrame({
                "deal": g["deal"], "year": g["year"], "median": g["p50"], "p05": g["p05"], "p95": g["p95"],
                "envelope p05": g["envelope_p05"], "envelope p95": g["envelope_p95"],
                "lowest with": g["low_scenario"].map(_short), "highest with": g["high_scenario"].map(_short)})
            print(f"\n{m} ({METRICS[m][0]})")
            print(out.to_string(index=False, float_format=lambda x: f"{x:,.3g}"))
    return 0


#: The metrics `rekit simulate` shows in its table when --metric is not given.
TABLE_METRICS = ("oxide_production", "own_feedstock_coverage", "magnet_self_sufficiency")


def _short(label: str) -> str:
    """'production=capacity demand=official framing=chain partner=home' as 'capacity/official/chain/home'."""
    parts = [p.partition("=") for p in str(label).split(" ")]
    return "/".join(v for _, eq, v in parts) if all(eq for _, eq, _ in parts) else str(label)


def _grid(book, names: list[str], span: tuple[int, int], draws: int, seed: int, metrics: list[str] | None, format: str,
          ds, jobs: int | None, scheduler: str | None) -> int:
    """`rekit simulate --grid`: every scenario's quantiles (csv/json), or their medians side by side (table);
    on an executor (rekit.run) with --jobs or --scheduler, with the same numbers."""
    from rekit.model.scenarios import grid

    if jobs is not None or scheduler is not None:
        from rekit.run.executor import open_executor

        with open_executor(jobs=jobs, scheduler=scheduler) as ex:
            table = grid(book, names, years=span, draws=draws, seed=seed, metrics=metrics, ds=ds, mapper=ex.map)
    else:
        table = grid(book, names, years=span, draws=draws, seed=seed, metrics=metrics, ds=ds)
    table["data_version"] = ds.version
    if not write_records(table, format):
        show = table[table["metric"].isin(metrics or ["own_feedstock_coverage"])].copy()
        show["scenario"] = show["production"] + "/" + show["demand"] + "/" + show["framing"] + "/" + show["partner"]
        for m, g in show.groupby("metric", sort=False):
            wide = g.pivot_table(index="scenario", columns=["deal", "year"], values="p50", sort=False)
            print(f"{m}: median of {max(draws, 1)} draws a scenario (production/demand/framing/partner; seed {seed}, "
                  f"data {ds.version}; a deal without partners is partner none, and has no other); --format csv for p05/p50/p95")
            print(wide.to_string(float_format=lambda x: f"{x:,.3g}"))
    return 0


@app.command("concentration", short_help="world mine production: shares, top-3 and HHI by year")
def concentration(
    edition: Annotated[list[str] | None, typer.Option(
        "--edition", metavar="SOURCE_ID", help="only this USGS edition (e.g. usgs_mcs_2026; repeatable)")] = None,
    format: Annotated[Literal["table", "csv"], typer.Option(
        "--format", help="summary lines (table) or every country share (csv)")] = "table",
    data: DataOption = None,
) -> int:
    """World mine production: shares, top-3 and HHI by year.

    Country shares of world rare-earth mine production (USGS, t REO), the top-3 share and the
    Herfindahl-Hirschman index, by USGS edition and year.
    """
    from rekit.model.supply import concentration_table

    table = concentration_table(load_data(data), edition=edition)  # an unknown edition: RekitError, exit 2
    if format == "csv":
        write_csv(table)
        return 0
    for (ed, year), g in table.groupby(["edition", "year"], sort=True):
        top = ", ".join(f"{r.entity} {r.share:.0%}" for r in g.head(3).itertuples())
        print(f"{ed}  {year}: top-3 {g['top3_share'].iloc[0]:.1%} ({top}); HHI {g['hhi'].iloc[0]:,.0f}")
    return 0


@app.command("demand", short_help="India's magnet demand bases, one line each")
def demand(deals_file: DealsFileOption = None, data: DataOption = None) -> int:
    """India's magnet demand bases, one a line with the name first (the default is marked).

    `rekit simulate --demand NAME` picks one; each names its base (t magnet), growth and sources.
    """
    from rekit.model.simulation import demand_bases

    table = demand_bases(deal_book(deals_file, load_data(data)))
    width = max(len(n) for n in table["demand"])
    for r in table.itertuples():
        span = f" ({r.low:,.0f}-{r.high:,.0f})" if r.low != r.high else ""
        mark = " [default]" if r.default else ""
        print(f"{r.demand:<{width}}  {r.description}: {r.base_t_magnet:,.0f}{span} t magnet in {r.base_year}; "
              f"growth {r.growth}; sources {r.sources}{mark}")
    return 0


@app.command("sensitivity", short_help="which inputs drive a metric, year by year: Sobol or Morris (SALib)")
def sensitivity(
    deal: Annotated[str, typer.Option("--deal", metavar="NAME", help="the deal to analyse")],
    metric: Annotated[str, typer.Option("--metric", metavar="M", help="the metric (as in rekit simulate)")] = "own_feedstock_coverage",
    year: Annotated[int | None, typer.Option("--year", metavar="YEAR", help="only this year (default: every year of --years)")] = None,
    years: YearsOption = "2024-2035",
    vs: Annotated[str | None, typer.Option("--vs", metavar="NAME", help="analyse DEAL minus this deal")] = None,
    method: Annotated[Literal["sobol", "morris"], typer.Option(
        "--method", help="sobol (S1, ST with 95% bootstrap CIs) or morris (mu*)")] = "sobol",
    n: Annotated[int, typer.Option("--n", metavar="N", help="base sample size (Sobol: a power of 2; runs = N x (inputs + 2))")] = 1024,
    seed: SeedOption = 0,
    basis: Annotated[str | None, typer.Option(
        "--basis", metavar="B",
        help="hold IREL's output path at this basis (default: every basis, as the factor production_basis)")] = None,
    demand: Annotated[str | None, typer.Option(
        "--demand", metavar="NAME", help="hold demand at this basis (default: every demand basis, as the factor demand_basis)")] = None,
    framing: Annotated[Literal["chain", "officials"] | None, typer.Option(
        "--framing", help="hold t magnet per t oxide at this framing (default: both, as the factor framing)")] = None,
    groups: Annotated[bool, typer.Option(
        "--groups", help="move correlated inputs together (yields, composition, partner terms, ...)")] = False,
    deals_file: DealsFileOption = None,
    format: Annotated[Literal["table", "csv", "json"], typer.Option(
        "--format", help="table, csv or json: one row per year and input, ranked")] = "table",
    data: DataOption = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", metavar="N", help="run the samples in chunks on N local processes (same numbers as one run)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="run the samples in chunks on this Dask scheduler (default: $REKIT_SCHEDULER when set)")] = None,
    save_samples: Annotated[Path | None, typer.Option(
        "--save-samples", metavar="FILE", help="write the design (.npz) to run elsewhere, and stop")] = None,
    analyse_file: Annotated[Path | None, typer.Option(
        "--analyse", metavar="RESULTS", help="analyse results computed elsewhere (.npz with Y, rows x years) for the saved design")] = None,
) -> int:
    """Global sensitivity analysis of one deal's metric, year by year, or of the difference between two deals.

    The structural choices left open (production_basis, demand_basis, framing and, for a deal
    that names partner companies, partner_alternative) are categorical factors beside the ranged
    inputs. One row per year and input (or group with --groups), each
    year's most influential first, with top3_share (how often the bootstrap puts it in the top
    three), its source, and flag (in the top three while resting on an assumption). The same seed
    gives the same output.

    Large runs (rekit.run): --jobs N or --scheduler ADDRESS split the samples into chunks run as
    jobs, with the same numbers as one run; --save-samples FILE writes the design and stops, and
    --analyse RESULTS, with the same options and seed, reads the model's output computed elsewhere
    (rekit.run.chunks.evaluate_samples computes it from the saved file).
    """
    import os

    from rekit.model.deals import PARAMS, SHARE_KEYS, YEARS
    from rekit.run.executor import SCHEDULER_ENV
    from rekit.model.sensitivity import sensitivity as analyse
    from rekit.model.simulation import METRICS
    from rekit.parameters.registry import nearest_power_of_two

    ds = load_data(data)
    book = deal_book(deals_file, ds)
    metric = choose(metric, list(METRICS), "metric")
    span = (year, year) if year is not None else parse_years(years)
    from rekit.model.simulation import check_years

    check_years(*span)
    if basis is not None:
        basis = choose(book.basis_name(basis), list(book.bases), "production basis")
    inputs = len(PARAMS) + len(SHARE_KEYS) + 8  # at most: every parameter, share, path, capacity, factor and choice
    # in chunks (or run elsewhere) no process holds the model's arrays for the whole design: a worker
    # holds one chunk's, this process the design and results, (inputs + years) x 8 bytes a row
    in_chunks = any(x is not None for x in (jobs, scheduler, save_samples, analyse_file)) or bool(os.environ.get(SCHEDULER_ENV))
    names, _, demand = model_inputs(book, [deal] + ([vs] if vs else []), basis or "output", n, seed, (YEARS[0], span[1]),
                                    demand, option="--n", least=2, runs_per_draw=1 if in_chunks else inputs + 2,
                                    noun="samples")  # Sobol: N x (inputs + 2) runs of every year from the start
    deal, vs = names[0], (names[1] if vs else None)
    if vs == deal:
        fail(f"--vs: {vs!r} is the deal itself; give another deal to compare with")
    if method == "sobol" and n & (n - 1):  # after the range and memory checks above, before any run
        fail(f"--n: {n} is not allowed with --method sobol: Sobol needs a power of two, e.g. {nearest_power_of_two(n)} "
             "(--method morris takes any N >= 2)")
    if sum(x is not None for x in (save_samples, analyse_file)) + (jobs is not None or scheduler is not None) > 1:
        fail("--save-samples, --analyse and --jobs/--scheduler: give one (saving the design runs nothing; "
             "analysing reads results already computed)")
    if jobs is not None:
        at_least("--jobs", jobs, 1)
    about = {"basis": basis, "demand": demand, "framing": framing, "method": method, "n": n, "seed": seed, "groups": groups}
    if save_samples is not None:
        from rekit.run.chunks import SamplesSaved, saving

        try:
            analyse(book, deal, metric=metric, years=span, method=method, n=n, seed=seed, basis=basis, demand=demand,
                    framing=framing, compare=vs, groups=groups, evaluator=saving(save_samples, about), ds=ds)
        except SamplesSaved as done:
            print(f"{done}; analyse the results with the same options and --analyse RESULTS")
        return 0
    if analyse_file is not None:
        from rekit.run.chunks import reading

        table = analyse(book, deal, metric=metric, years=span, method=method, n=n, seed=seed, basis=basis, demand=demand,
                        framing=framing, compare=vs, groups=groups, evaluator=reading(analyse_file), ds=ds)
    elif jobs is not None or scheduler is not None or os.environ.get(SCHEDULER_ENV):
        from rekit.run.chunks import chunked
        from rekit.run.executor import open_executor

        with open_executor(jobs=jobs, scheduler=scheduler) as ex:
            table = analyse(book, deal, metric=metric, years=span, method=method, n=n, seed=seed, basis=basis,
                            demand=demand, framing=framing, compare=vs, groups=groups, evaluator=chunked(ex), ds=ds)
    else:
        table = analyse(book, deal, metric=metric, years=span, method=method, n=n, seed=seed, basis=basis, demand=demand,
                        framing=framing, compare=vs, groups=groups, ds=ds)
    if not write_records(table, format):
        what = f"{deal} - {vs}" if vs else deal
        held = ", ".join(f"{k} {v}" for k, v in (("basis", basis), ("demand", demand), ("framing", framing)) if v) or "no choice held"
        print(f"{method} indices of {metric} for {what}, {span[0]}-{span[1]} (N={n}, seed {seed}; {held}); "
              "flag: in the top three while resting on an assumption")
        index = "ST" if method == "sobol" else "mu_star"
        still = [int(y) for y, g in table.groupby("year", sort=True) if not g[index].any()]
        if still:
            print(f"no input moves {metric} in {', '.join(map(str, still))} (every index 0; --format csv lists them)")
        for y, g in table.groupby("year", sort=True):
            if int(y) not in still:
                print(f"\n{y}")
                print(g.drop(columns="year").to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


@app.command("goal", short_help="what would it take: the smallest value of one lever that reaches a target")
def goal(
    deal: Annotated[str, typer.Option("--deal", metavar="NAME", help="the deal")],
    metric: Annotated[str, typer.Option("--metric", metavar="M", help="the metric (as in rekit simulate)")],
    target: Annotated[float, typer.Option("--target", metavar="X", help="the value the metric should reach, in its unit")],
    year: Annotated[int, typer.Option("--year", metavar="YEAR", help="the year it should reach it (2024-2050)")],
    lever: Annotated[str, typer.Option(
        "--lever", metavar="L", help="irel_output, partner_free_capacity, scheme_utilisation, domestic_capacity or oxide_imports")],
    draws: DrawsOption = 1000,
    seed: SeedOption = 0,
    basis: BasisOption = "output",
    demand: DemandOption = None,
    framing: Annotated[Literal["chain", "officials"], typer.Option(
        "--framing", help="t magnet per t oxide: chain (stoichiometry and yields, ~2.15) or officials ('roughly three')")] = "chain",
    deals_file: DealsFileOption = None,
    set_: SetOption = None,
    format: Annotated[Literal["table", "csv", "json"], typer.Option(
        "--format", help="a sentence (table), or one row as csv/json")] = "table",
    data: DataOption = None,
) -> int:
    """The smallest value of one lever at which a deal's metric reaches a target in a year.

    For the median of the draws, and for each end of the band (the values at which p05 and p95
    reach it), by bisection on the model. A target no value of the lever reaches is said to be out
    of reach, with the most the metric gets to and what limits it.
    """
    from rekit.model.goal import LEVERS
    from rekit.model.goal import goal as find
    from rekit.model.simulation import METRICS

    ds = load_data(data)
    book = deal_book(deals_file, ds)
    metric = choose(metric, list(METRICS), "metric")
    lever = choose(lever, list(LEVERS), "lever")
    names, basis, demand = model_inputs(book, [deal], basis, draws, seed, (2024, 2024), demand)
    book, settings = apply_settings(book, set_, names)
    answer = find(book, names[0], metric, target, year, lever, draws=draws, seed=seed, basis=basis, demand=demand,
                  framing=framing)
    table = answer.frame()
    table["data_version"] = ds.version
    if settings:
        from rekit.model.custom import settings_label

        table["settings"] = settings_label(settings)
    if not write_records(table, format):
        print(answer.sentence() + (f" (with {settings_label(settings)})" if settings else ""))
    return 0
