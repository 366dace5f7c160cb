"""rekit: a research kit on India's rare-earth supply chain (IREL, neodymium, partner deals).

Every figure in the kit's dataset names its source and carries the source's own words; a
material-flow model of India's NdPr oxide, metal and magnets runs partner deals (exports to Japan,
tolling, magnet plants in India, a China shock) over 2024-2050 as a Monte Carlo, and checks the
mass balance of every run.

The calls a researcher needs, each with its own docstring and example:

    load()           the dataset (observations, sources, events, indicators), checked
    deals()          the deal book: the partner-deal presets, production and demand bases, framings
    simulate(deals)  run deals (names, or your own deal as a dict); a Result with .to_frame(), .to_iamc()
    sensitivity()    rank one deal's inputs by their influence on a metric (Sobol or Morris, SALib)
    goal()           the smallest value of a lever at which a deal reaches a target
    chart(result)    a plotly figure of a metric: median and p05-p95 band, one panel per deal

In a few lines (a deal of your own beside a preset, its tidy table, its chart)::

    import rekit
    a = lambda share: {"value": share, "source": "assumption: my scenario"}  # every figure names its source
    mine = {"half_tolled": {"description": "half of IREL's oxide tolled in Japan",
                            "shares": {"export": a(0), "toll": a(0.5), "domestic": a(0), "stock": "rest"}}}
    result = rekit.simulate(["toll_japan", mine], years=(2024, 2035), draws=500)
    result.to_frame().head()
    rekit.chart(result, "own_feedstock_coverage", book=rekit.deals({"deals": mine}))

The subpackages are reached as attributes when first used (``rekit.data``, ``rekit.model``,
``rekit.figures``, ``rekit.explore``, ``rekit.teaching``, ``rekit.reports``, ``rekit.cli``), so
``import rekit`` stays fast. The same things from a shell: the ``rekit`` command (``rekit --help``).
Errors a user can fix are `rekit.errors.RekitError`, with a message naming the value given and
what is allowed, the same message the command line prints.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (2 ms of every start)
if TYPE_CHECKING:  # for readers and type checkers only; nothing is imported at run time
    from collections.abc import Iterable, Mapping
    from typing import Any

    import pandas as pd
    import plotly.graph_objects as go

    from rekit.data.dataset import Dataset
    from rekit.model.deals import DealBook
    from rekit.model.goal import Goal
    from rekit.model.simulation import Result

__version__ = "0.1.0"

__all__ = ["__version__", "load", "deals", "simulate", "sensitivity", "goal", "chart", "Result", "RekitError"]

#: Subpackages and modules reached as attributes (``rekit.model``), imported on first use (PEP 562).
SUBMODULES = ("data", "model", "figures", "explore", "teaching", "reports", "cli", "paths", "errors", "params",
              "exercises", "csvcells")
#: Names of other modules reached from the top, imported on first use: name -> (module, attribute).
LAZY = {"Result": ("rekit.model.simulation", "Result"), "RekitError": ("rekit.errors", "RekitError")}


def __getattr__(name: str) -> Any:
    """``rekit.model``, ``rekit.Result``, ...: imported when first asked for (PEP 562)."""
    if name in SUBMODULES:
        return importlib.import_module(f"rekit.{name}")
    if name in LAZY:
        module, attribute = LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'rekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names and the submodules already imported (listing the others would make
    ``help(rekit)`` and tools that read every attribute import the whole kit)."""
    loaded = {m for m in SUBMODULES if f"rekit.{m}" in sys.modules}
    return sorted(set(globals()) | loaded | set(LAZY))


# ---------------------------------------------------------------------------------------------
# the public calls
# ---------------------------------------------------------------------------------------------

#: (folder, its files' sizes and times) -> Dataset: the data are read again only when a file changed.
_DATASETS: dict[tuple, Any] = {}


def load(path: str | None = None) -> Dataset:
    """The dataset: observations, sources, events and indicators as pandas tables, checked against
    the data package's rules (rekit.data.dataset.Dataset).

    `path` is a data folder (default: ``REKIT_DATA`` if set, else the data bundled with the kit).
    A folder that is missing is refused (RekitError naming it); data that break the package's
    rules raise rekit.data.problems.DataError listing every problem by file, row and column.
    The table read is kept, and read again when a file in the folder changes.

    Example::

        >>> ds = rekit.load()
        >>> ds.version                      # the data package's version
        '0.3.0'
        >>> ds.observations[["indicator", "value", "unit", "source_id"]].head()
    """
    from rekit.cli.common import data_folder
    from rekit.data.dataset import load as read

    folder = data_folder(path, "path")
    try:
        stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))
    except OSError:
        stamp = None
    key = (str(folder.resolve()), stamp)
    if stamp is None or key not in _DATASETS:
        ds = read(folder)
        if stamp is None:
            return ds
        _DATASETS.clear()
        _DATASETS[key] = ds
    return _DATASETS[key]


def deals(extra: str | Mapping[str, Any] | None = None, data: str | None = None) -> DealBook:
    """The deal book: the partner-deal presets of ``deals.yml`` (``book.deals``), the production
    bases (``book.bases``), India's magnet-demand bases (``book.demands``) and the framings of
    tonnes of magnet per tonne of oxide (``book.framings``), each with its description and sources.

    `extra` adds your own deals: a YAML file in the layout of ``data/deals.yml``, or the same
    document as a dict (``{"deals": {"my_deal": {...}}}``); they inherit the bundled defaults
    (every parameter a deal leaves out). `data` is the data folder (see `load`).

    Example::

        >>> book = rekit.deals()
        >>> list(book.deals)[:3]
        ['status_quo', 'export_halt', 'toll_japan']
        >>> {name: b.description for name, b in book.bases.items()}
    """
    from rekit.model.deals import load_deals

    ds = load(data)
    return load_deals(extra, ds=ds)


def _book_and_names(given: Any, book: DealBook | None, data: str | None) -> tuple[DealBook, list[str]]:
    """The deal book and the deal names of `given`: a name, names, a dict of your own deals (name ->
    definition), or a list mixing names and such dicts."""
    from collections.abc import Mapping

    items = [given] if isinstance(given, (str, Mapping)) else list(given or [])
    own = {k: v for item in items if isinstance(item, Mapping) for k, v in item.items()}
    if book is None:
        book = deals({"deals": own}, data) if own else deals(None, data)
    elif own:
        raise _usage("deals: give your own deals either in `deals` or in `book`, not both (book=rekit.deals({...}))")
    names = [n for item in items for n in ([item] if isinstance(item, str) else list(item))]
    return book, names or list(book.deals)


def _usage(message: str):
    from rekit.errors import UsageError

    return UsageError(message)


def _choose(value: Any, allowed: Iterable[str], what: str) -> str:
    """The command line's check (rekit.cli.common.choose): the same message for the same mistake."""
    from rekit.cli.common import choose

    if not isinstance(value, str):
        raise _usage(f"{what}: {value!r} is not a name; allowed: {', '.join(allowed)}")
    return choose(value, list(allowed), what)


def _years(value: Any) -> tuple[int, int]:
    """(first, last) from a pair of whole numbers (a tuple, a list, numpy integers); anything else is refused
    naming the value (a third year would otherwise reach the model as a stray argument)."""
    import operator

    try:
        first, last = value
        return operator.index(first), operator.index(last)
    except (TypeError, ValueError):
        raise _usage(f"years: {value!r} is not allowed; give (first, last), two whole numbers such as (2024, 2035)") from None


def simulate(deals: Any = None, *, years: tuple[int, int] = (2024, 2035), draws: int = 1000, seed: int = 0,
             basis: str = "output", demand: str | None = None, framing: str = "chain",
             metrics: Iterable[str] | str | None = None, overrides: Mapping[str, float] | None = None,
             book: DealBook | None = None, data: str | None = None) -> Result:
    """Run partner deals through the model: a Monte Carlo of `draws` draws (same `seed`, same numbers).

    `deals` is a deal name, a list of names, or your own deals as a dict (name -> definition in the
    layout of ``data/deals.yml``, e.g. ``{"mine": {"description": "...", "shares": {...}}}``), alone
    or in the list; default: every preset. `years` (first, last) chooses the years shown (the run
    always starts on 1 January 2024); `basis` is IREL's production basis (`deals().bases`),
    `demand` India's magnet-demand basis (default: the book's), `framing` the tonnes of magnet a
    tonne of oxide makes (``chain``, about 2.15, or ``officials``, their "roughly three");
    `metrics` chooses what the result's tables show (default: all; ``rekit simulate
    --list-metrics`` lists them with units); `overrides` fixes parameters for every deal (e.g.
    ``{"retained_share": 0.3}``). `book` is a deal book from `deals()`, `data` a data folder.

    An unknown deal, metric, basis, demand basis or framing raises rekit.errors.RekitError with
    the message ``rekit simulate`` prints for it: the value, the closest names and the allowed ones.

    Returns a rekit.model.simulation.Result: ``.to_frame()`` (deal, year, metric, unit, p05, p50,
    p95 and the bases), ``.to_iamc()`` (the IAMC format pyam reads), ``.summary()`` (with the
    mean), ``.frame()`` (every draw), ``.arrays[metric]`` (deals x years x draws).

    Example::

        >>> result = rekit.simulate(["status_quo", "toll_japan"], years=(2024, 2035), draws=500)
        >>> result.to_frame().query("metric == 'own_feedstock_coverage' and year == 2035")
    """
    import dataclasses

    from rekit.model.simulation import METRICS
    from rekit.model.simulation import simulate as run

    book, names = _book_and_names(deals, book, data)
    names = [_choose(n, book.deals, "deal") for n in names]
    basis = _choose(book.basis_name(basis), book.bases, "production basis")
    demand = _choose(demand, book.demands, "demand basis") if demand is not None else None
    framing = _choose(framing, book.framings or ("chain", "officials"), "framing")
    shown = [metrics] if isinstance(metrics, str) else list(metrics or [])
    shown = [_choose(m, METRICS, "metric") for m in shown]
    res = run(book, names, years=_years(years), draws=draws, seed=seed, basis=basis, demand=demand, framing=framing,
              overrides=overrides)
    return dataclasses.replace(res, metrics=tuple(shown)) if shown else res


def sensitivity(deal: str, metric: str = "own_feedstock_coverage", *, year: int | None = None, method: str = "sobol",
                n: int = 1024, seed: int = 0, basis: str | None = None, demand: str | None = None,
                compare: str | None = None, groups: bool = False, years: tuple[int, int] | None = None,
                framing: str | None = None, book: DealBook | None = None, data: str | None = None) -> pd.DataFrame:
    """Rank the inputs of one deal's `metric` by their influence, year by year (SALib: Sobol indices
    S1/ST with bootstrap confidence, or Morris mu*), structural choices (production basis, demand
    basis, framing) among them unless fixed by `basis`, `demand`, `framing`.

    `n` is the base sample: Sobol runs the model n x (inputs + 2) times (a power of 2 is best),
    Morris n trajectories. `year` reports one year, `years` (first, last) a span; `compare` ranks
    the inputs of deal minus another deal. One row per year and input, the most influential first:
    year, parameter, group, kind, the indices, rank, top3_share, source, flag
    (rekit.model.sensitivity.sensitivity says what each means). Reference: Saltelli et al.,
    Global Sensitivity Analysis: The Primer (Wiley, 2008); Herman & Usher, SALib, JOSS 2017.

    Example::

        >>> table = rekit.sensitivity("toll_japan", "own_feedstock_coverage", year=2030, n=256)
        >>> table.head(3)[["parameter", "ST", "rank"]]
    """
    from rekit.model.sensitivity import sensitivity as rank
    from rekit.model.simulation import METRICS

    book = book if book is not None else deals(None, data)
    deal = _choose(deal, book.deals, "deal")
    compare = _choose(compare, book.deals, "deal") if compare is not None else None
    metric = _choose(metric, METRICS, "metric")
    basis = _choose(book.basis_name(basis), book.bases, "production basis") if basis is not None else None
    demand = _choose(demand, book.demands, "demand basis") if demand is not None else None
    return rank(book, deal, metric, year=year, method=method, n=n, seed=seed, basis=basis, demand=demand,
                compare=compare, groups=groups, years=years, framing=framing)


def goal(deal: str, metric: str, target: float, year: int, lever: str, *, draws: int = 1000, seed: int = 0,
         basis: str | None = None, demand: str | None = None, framing: str = "chain",
         book: DealBook | None = None, data: str | None = None) -> Goal:
    """The smallest value of `lever` at which `metric` of `deal` in `year` reaches `target`, for the
    median and for the p05 and p95 draws, found by bisection on the model (rekit.model.goal).

    Levers (rekit.model.goal.LEVERS): ``irel_output`` (IREL's output and capacity as a multiple of
    the production basis), ``partner_free_capacity`` and ``domestic_capacity`` (t magnet/yr), and
    the others the module lists. When no value of the lever reaches the target, the result says
    what limits it instead.

    Example::

        >>> g = rekit.goal("repm_scheme", "own_feedstock_coverage", 0.5, 2030, "domestic_capacity", draws=200)
        >>> g                                  # the lever's value for p50, p05, p95, and the baseline
    """
    from rekit.model.goal import LEVERS
    from rekit.model.goal import goal as solve
    from rekit.model.simulation import METRICS

    book = book if book is not None else deals(None, data)
    deal = _choose(deal, book.deals, "deal")
    metric = _choose(metric, METRICS, "metric")
    lever = _choose(lever, LEVERS, "lever")
    basis = _choose(book.basis_name(basis), book.bases, "production basis") if basis is not None else None
    demand = _choose(demand, book.demands, "demand basis") if demand is not None else None
    return solve(book, deal, metric, target, year, lever, draws=draws, seed=seed, basis=basis, demand=demand,
                 framing=framing)


def chart(result: Result, metric: str | None = None, *, title: str | None = None, book: DealBook | None = None,
          data: str | None = None) -> go.Figure:
    """A plotly figure of one metric of a `simulate` result: one panel per deal, its median line in
    its p05-p95 band, the other deals' medians in grey, and the sources of the run under it.

    `metric` defaults to the result's first metric (or own-feedstock coverage); `title` to the
    metric's description. The figure shows in a notebook; ``fig.write_html("f.html")`` saves it.

    Example::

        >>> result = rekit.simulate(["toll_japan", "repm_scheme"], draws=500)
        >>> rekit.chart(result, "magnet_self_sufficiency")
    """
    from rekit.figures.charts import projection_chart
    from rekit.model.simulation import METRICS

    metric = _choose(metric if metric is not None else (result.metrics[0] if result.metrics else "own_feedstock_coverage"),
                     METRICS, "metric")
    ds = load(data)
    if book is None:
        from rekit.model.deals import load_deals

        book = load_deals(ds=ds)
        unknown = [d for d in result.deals if d not in book.deals]
        if unknown:  # the result ran deals of the user's own: their sources are the bundled defaults'
            raise _usage(f"deals {', '.join(map(repr, unknown))} are your own: pass the book they came from, "
                         "chart(result, book=rekit.deals({...}))")
    return projection_chart(result, metric, ds, book, title or METRICS[metric][1].capitalize())


# ---------------------------------------------------------------------------------------------
# a faster import for every process that uses the kit
# ---------------------------------------------------------------------------------------------

#: Packages jsonschema imports for format checks, and the functions it takes from them (see `_defer`).
DEFERRED = {"rfc3987_syntax": "is_valid_syntax", "rfc3986_validator": "validate_rfc3986"}


def _defer(module: str, function: str) -> None:
    """Put a stand-in for `module` in sys.modules whose `function` imports the real module on first call.

    Why: jsonschema (which nbformat, papermill, plotly's renderers and Frictionless import) loads
    the rfc3987-syntax and rfc3986-validator packages, when installed, only for its
    "iri"/"iri-reference" and "uri"/"uri-reference" format checks, and rfc3987-syntax compiles a
    grammar at import: 1.5-3 s of CPU here, more than the rest of a notebook kernel's start or of
    `rekit data check`. Importing rekit puts a stand-in in each one's place until its check is
    first used, when the real package loads and checks as before. Nothing changes when jsonschema
    is already imported or a package is not installed.
    """
    if "jsonschema" in sys.modules or module in sys.modules:
        return
    import importlib.util
    import types

    try:
        if importlib.util.find_spec(module) is None:
            return
    except (ImportError, ValueError):
        return
    stand_in = types.ModuleType(module, "stand-in until its check is first used (see rekit._defer)")

    def call(*args, **kwargs):
        if sys.modules.get(module) is stand_in:
            del sys.modules[module]
        real = getattr(importlib.import_module(module), function)
        setattr(stand_in, function, real)
        return real(*args, **kwargs)

    setattr(stand_in, function, call)
    sys.modules[module] = stand_in


for _module, _function in DEFERRED.items():
    _defer(_module, _function)
