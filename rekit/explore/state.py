"""The explorer's logic, without widgets: what the controls say (`State`), the model run for it
(`compute`), the bands of a metric (`series`), the headline numbers of a year (`headline_table`), the
structural envelope beside the band (`structural_envelope`, from rekit.model.scenarios) and the lines that
coincide (`coincident`); for the recycling section, the run to 2050 (`recycling_run`), its numbers
(`recycling_table`: secondary beside primary own-feedstock coverage, NdPr oxide and Dy recovered in 2035 and
2050), the magnets in use by end use (`magnets_in_use`) and the end uses the bottom-up basis leaves out
(`not_reported_end_uses`), all computed by rekit.model.

Plain functions that tests, benchmarks and the teaching notebooks call too. Every deal parameter
(rekit.model.deals.PARAMS) has a slider: a few curated ones (`SLIDERS`, with IREL's output scale)
and the rest made from PARAMS (`PARAM_SLIDERS`, grouped by `Param.group` under `ALL_PARAMS`);
`sliders` gives them all with ranges fitted to a DealBook. The sliders' starting points are the
deals' own central values (`central_values`, from data/deals.yml and the data), not numbers typed
here. Inputs the model cannot compute (no deal, a one-year range, no production) raise
`ExploreError` naming the control to change; the model's own errors are put in the explorer's
words by `explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rekit.data.dataset import Dataset
from rekit.data.units import unit_kind
from rekit.model.deals import DEMAND_PARAMS, PARAMS, YEARS, DealBook, DealError, Param
from rekit.model.scenarios import ALIKE, envelope
from rekit.model.simulation import ModelError, Result, simulate
from rekit.errors import RekitError

__all__ = [
    "ALL_PARAMS", "BAND", "ENVELOPE_DRAWS", "ENVELOPE_METRICS", "ExploreError", "GROUP_TITLES", "MASS_FLOOR",
    "MASS_HEADROOM", "OVERRIDABLE", "PARAM_SLIDERS", "RECYCLING_LEVER", "RECYCLING_YEARS", "SLIDERS", "Slider", "State",
    "central_values", "choices", "coincident", "compute", "demand_sources", "end_use_titles", "explain", "group_title",
    "headline_table", "magnets_in_use", "not_reported_end_uses", "recycling_run", "recycling_table", "series",
    "scenario_words", "slider", "sliders", "sources_for", "structural_envelope",
]

#: The quantiles drawn and shown: p05, median, p95.
BAND = (0.05, 0.5, 0.95)


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


#: The curated sliders, in the order shown, always in view. `production_scale` multiplies IREL's
#: output path; the others are deal parameters (rekit.model.deals.PARAMS) and start at the deals'
#: central values, as do the sliders of PARAM_SLIDERS below.
SLIDERS: dict[str, Slider] = {s.name: s for s in (
    Slider("production_scale", "IREL output ×", 0.0, 3.0, 0.05, ".2f", "× basis",
           "multiplies IREL's production path (1 = the basis as sourced)"),
    Slider("eta_metal", "oxide→metal yield", 0.0, 1.0, 0.01, ".2f", "t/t", PARAMS["eta_metal"].doc),
    Slider("eta_magnet", "metal→magnet yield", 0.0, 1.0, 0.01, ".2f", "t/t", PARAMS["eta_magnet"].doc),
    Slider("retained_share", "partner keeps", 0.0, 1.0, 0.01, ".2f", "share", PARAMS["retained_share"].doc),
    Slider("demand_base", "demand (t magnet)", 0.0, 5000.0, 10.0, ".0f", "t magnet", PARAMS["demand_base"].doc),
    Slider("demand_growth", "demand growth /yr", 0.0, 0.30, 0.005, ".3f", "per year", PARAMS["demand_growth"].doc),
)}

#: The title of the collapsed section holding the sliders of PARAM_SLIDERS.
ALL_PARAMS = "all deal parameters"
#: Readable titles of the PARAMS groups (a group missing here is shown by its name).
GROUP_TITLES = {
    "yields": "process yields", "composition": "magnet composition", "heavy": "Dy and Tb in magnets",
    "partner": "tolling partner", "china": "China's shares", "india": "India's capacity and stocks",
    "imports": "import caps", "shock": "China shock", "demand": "India's magnet demand",
    "scheme": "India's magnet scheme, per beneficiary", "recycling": "recycling of end-of-life magnets",
}
#: Unbounded masses (Param.hi = inf): the slider reaches MASS_HEADROOM × the largest central value
#: of any deal in any model year, and at least MASS_FLOOR tonnes (see `sliders`).
MASS_HEADROOM, MASS_FLOOR = 4.0, 1000.0
# step and readout format by the kind of a parameter's unit
_STEPS = {"share": (0.01, ".2f"), "ratio": (0.001, ".3f"), "months": (0.5, ".1f"), "mass": (1.0, ".0f"),
          "count": (1.0, ".0f"), "duration": (0.25, ".2f")}


def group_title(group: str) -> str:
    """The readable title of a PARAMS group."""
    return GROUP_TITLES.get(group, group or "other")


def _param_slider(name: str, p: Param) -> Slider:
    """A slider made from a Param: its bounds (an unbounded mass gets MASS_FLOOR until `sliders`
    fits it to the deals), a step and readout by the unit's kind, its name as label, its meaning as help."""
    kind = "months" if p.unit == "months" else unit_kind(p.unit)
    step, fmt = _STEPS[kind]
    hi = p.hi if np.isfinite(p.hi) else MASS_FLOOR
    return Slider(name, name, float(p.lo), float(hi), step, fmt, p.unit, f"{p.doc} ({p.unit})")


#: Every other deal parameter, in the order of PARAMS: a slider made from its Param, no number
#: typed here. The widget shows them by group under ALL_PARAMS.
PARAM_SLIDERS: dict[str, Slider] = {n: _param_slider(n, p) for n, p in PARAMS.items() if n not in SLIDERS}
#: Every deal parameter: the curated sliders first, then the others.
OVERRIDABLE = tuple(n for n in (*SLIDERS, *PARAM_SLIDERS) if n in PARAMS)


def slider(name: str) -> Slider:
    """The slider of a control name: a curated one or one made from PARAMS (its label, step and format)."""
    return SLIDERS[name] if name in SLIDERS else PARAM_SLIDERS[name]


def _nice_ceiling(x: float) -> float:
    """`x` rounded up to two significant digits: 49,600 -> 50,000; 1,000 -> 1,000."""
    unit = 10.0 ** (np.floor(np.log10(x)) - 1)
    return float(np.ceil(x / unit - 1e-9) * unit)


def sliders(book: DealBook) -> dict[str, Slider]:
    """Every slider, the curated ones first, with ranges fitted to `book`.

    An unbounded mass (Param.hi = inf: capacities, stocks, import caps) reaches MASS_HEADROOM times
    the largest central value of any deal in `book` in any model year (so a user's deals file
    widens it), at least MASS_FLOOR, rounded up to two significant digits.
    """
    yrs = np.arange(YEARS[0], YEARS[1] + 1)
    out = dict(SLIDERS)
    for name, s in PARAM_SLIDERS.items():
        if not np.isfinite(PARAMS[name].hi):
            top = max(float(d.params[name].draw(name, 0, 0, yrs).max()) for d in book.deals.values())
            s = replace(s, hi=_nice_ceiling(max(MASS_HEADROOM * top, MASS_FLOOR)))
        out[name] = s
    return out


@dataclass(frozen=True)
class State:
    """What the controls say: everything `compute` needs, and the year of the headline numbers.

    `overrides` holds only the parameters the user moved away from the deals' values.
    """

    deals: tuple[str, ...]
    basis: str = "output"  # IREL's measured output, then its plans under capacity (`reported` is its old name)
    demand: str | None = None  # a demand basis (data/deals.yml `demand_bases`); None: the book's default
    framing: str = "chain"  # magnets per t of oxide: the physical chain (about 2.15 t/t) or the officials' 3 t/t
    years: tuple[int, int] = (2024, 2035)
    draws: int = 0
    seed: int = 0
    production_scale: float = 1.0
    overrides: Mapping[str, float] = field(default_factory=dict)
    headline_year: int = 2030


def central_values(book: DealBook, deals: Sequence[str], year: int, demand: str | None = None) -> dict[str, float]:
    """Each deal parameter's central value in `year` over `deals`: the largest where they differ.

    These are the sliders' starting points: the deals' own numbers from data/deals.yml (which
    take them from observations), not numbers typed into the explorer. The demand parameters
    (demand_base, demand_growth) come from the demand basis `demand` (default: the book's).
    """
    names = list(deals) or list(book.deals)
    yr = np.array([year])
    dem = book.demand(demand)
    out = {}
    for p in OVERRIDABLE:
        if p in DEMAND_PARAMS:
            out[p] = float((dem.base if p == "demand_base" else dem.growth).draw(p, 0, 0, yr)[-1, 0])
            continue
        vals = [float(book.get(n).params[p].draw(p, 0, 0, yr)[-1, 0]) for n in names]
        out[p] = max(vals)
    return out


def compute(state: State, book: DealBook) -> Result:
    """Run the model for a State; ExploreError or ModelError (with a clear message) when it cannot.

    The model always runs from 1 January 2024 (rekit.model.simulation.START); the year sliders only
    choose the years shown, so moving the first year shown never changes a year's numbers.
    """
    if not state.deals:
        raise ExploreError("no deal selected: tick one or more deals")
    start, end = (int(y) for y in state.years)
    if start >= end:
        raise ExploreError(f"the year range {start}–{end} has zero length: widen it to at least two years")
    if not start <= state.headline_year <= end:
        raise ExploreError(f"the headline year {state.headline_year} is outside the years shown, {start}–{end}")
    if state.production_scale <= 0:
        raise ExploreError(f"IREL output × {state.production_scale:g}: with no production there is nothing to compare; "
                           "set it above 0")
    return simulate(book, state.deals, years=(start, end), draws=int(state.draws), seed=int(state.seed),
                    basis=state.basis, overrides=dict(state.overrides), production_scale=float(state.production_scale),
                    demand=state.demand, framing=state.framing)


def series(result: Result, metric: str, band: Sequence[float] = BAND) -> dict[str, np.ndarray]:
    """Per deal, an array (3, years) of the p05, p50 and p95 of one metric (all equal with draws=0)."""
    a = result.arrays[metric]  # (deals, years, draws)
    if a.shape[-1] == 1:
        q = np.repeat(a[None, :, :, 0], len(band), axis=0)
    else:
        q = np.quantile(a, list(band), axis=-1)
    return {d: q[:, i, :] for i, d in enumerate(result.deals)}


def headline_table(result: Result, year: int) -> pd.DataFrame:
    """One row per deal: own-feedstock coverage, FAO self-sufficiency at the magnet stage and export share
    in `year` (median, p05, p95), own magnets, demand and production; and, when the years shown reach
    2035, the median of the 2031–35 mean of own-feedstock coverage (`own_feedstock_coverage_2031_35`),
    so a one-off peak in the headline year shows.

    `self_sufficiency` (with p05, p95) is kept: the old name of own-feedstock coverage, same numbers.
    Also importable as ``rekit.explore.headline`` (the name the teaching notebooks use).
    """
    if year not in set(result.years.tolist()):
        raise ExploreError(f"year {year} is not in the result ({result.years[0]}–{result.years[-1]})")
    rows = []
    for deal in result.deals:
        row: dict[str, Any] = {"deal": deal, "year": int(year)}
        for metric in ("self_sufficiency", "own_feedstock_coverage", "magnet_self_sufficiency", "export_share",
                       "magnets_own", "magnet_demand", "production"):
            draws = result.at(metric, deal, year)
            lo, mid, hi = np.quantile(draws, BAND) if draws.size > 1 else (draws[0],) * 3
            row[metric] = float(mid)
            if metric in ("self_sufficiency", "own_feedstock_coverage", "magnet_self_sufficiency", "export_share"):
                row[f"{metric}_p05"], row[f"{metric}_p95"] = float(lo), float(hi)
        if {2031, 2035} <= set(result.years.tolist()):
            later = result.period_mean("own_feedstock_coverage", 2031, 2035)[result.deals.index(deal)]
            row["own_feedstock_coverage_2031_35"] = float(np.median(later))
        rows.append(row)
    return pd.DataFrame(rows)


def explain(message: str) -> str:
    """A model error in the explorer's words: name the slider as well as the parameter (and, for one
    under ALL_PARAMS, where to find it)."""
    for name in (*SLIDERS, *PARAM_SLIDERS):
        if message.startswith(f"{name}:"):
            if name in SLIDERS:
                return f"{SLIDERS[name].label} ({name}){message[len(name):]}"
            if name in RECYCLING_LEVER:
                return f"{name} (the recycling section){message[len(name):]}"
            return f"{name} ({ALL_PARAMS} › {group_title(PARAMS[name].group)}){message[len(name):]}"
    if "magnet demand is zero" in message:
        return message + f"; set {SLIDERS['demand_base'].label} above 0"
    return message


def sources_for(book: DealBook, ds: Dataset, deals: Sequence[str], basis: str,
                demand: str | None = None) -> list[tuple[str, str, str | None]]:
    """[(source_id, short citation, url or None)] of the sources behind these deals, production basis and
    demand basis (default: the book's)."""
    out = []
    for s in book.source_ids(list(deals), basis, ds, demand):
        url = ds.source(s)["url"]
        out.append((s, ds.cite(s, "short"), str(url) if isinstance(url, str) and url.strip() else None))
    return out


#: The metrics whose structural envelope the explorer shows (the two it draws).
ENVELOPE_METRICS = ("self_sufficiency", "export_share")
#: Draws per structural scenario behind the envelope: with the bundled book's 4 production bases × 4 demand
#: bases × 2 framings, 100 × 32 = 3,200 pooled draws, enough for a stable 5th and 95th percentile; about
#: 0.3 s a deal on 2 cores, run once per deal and kept (`structural_envelope`).
ENVELOPE_DRAWS = 100
_ENVELOPES: dict[tuple[int, str, int], tuple[DealBook, pd.DataFrame]] = {}


def structural_envelope(book: DealBook, deals: Sequence[str], seed: int = 0,
                        metrics: Sequence[str] = ENVELOPE_METRICS) -> pd.DataFrame:
    """The structural envelope of each deal, as `rekit.model.scenarios.envelope` gives it: per deal × year ×
    metric, the 5th and 95th percentiles of the draws of every structural scenario pooled with equal weight
    (every production basis × demand basis × framing, ENVELOPE_DRAWS draws each; columns envelope_p05,
    envelope_p95) and the scenarios with the lowest and highest median (low_scenario, high_scenario).

    The envelope is of the deals as sourced (no slider's override, IREL output × 1): it shows how far the
    choices the sources leave open move the answer, beside the band of the choice in use. It covers every
    model year (2024–2050), so the years shown never change it; it is computed once per deal (a deal's
    envelope does not depend on the others run with it) and kept for the book.
    """
    frames = []
    for deal in deals:
        key = (id(book), str(deal), int(seed))
        kept = _ENVELOPES.get(key)
        if kept is None or kept[0] is not book:
            try:
                frame = envelope(book, [deal], years=YEARS, draws=ENVELOPE_DRAWS, seed=int(seed), metrics=list(metrics))
            except (ModelError, DealError) as exc:
                raise ExploreError(f"the structural envelope of {deal} cannot be computed: {exc}") from None
            if len(_ENVELOPES) >= 256:  # many books in one process (tests): keep memory bounded
                _ENVELOPES.clear()
            kept = _ENVELOPES[key] = (book, frame)
        frames.append(kept[1])
    if not frames:
        return pd.DataFrame(columns=["deal", "year", "metric", "unit", "envelope_p05", "envelope_p95", "low_scenario",
                                     "high_scenario"])
    return pd.concat(frames, ignore_index=True)


def scenario_words(label: str) -> str:
    """A scenario label of rekit.model.scenarios in the explorer's words: 'production=targets demand=official
    framing=chain' -> 'production targets, demand official, framing chain'; ALIKE stays as it is."""
    if label == ALIKE:
        return label
    parts = [p.split("=", 1) for p in str(label).split()]
    return ", ".join(f"{k} {v}" for k, v in parts if v)


def coincident(lines: Mapping[str, np.ndarray], atol: float = 1e-9) -> dict[str, str]:
    """{deal: the first earlier deal whose line it lies on} for the deals whose line coincides with another's
    over every year shown (within `atol`, absolute: 1e-9 of a ratio), in the order given.

    A chart draws such lines on top of each other, so only the last is seen: the legend and the panel say
    'same as X' instead."""
    out: dict[str, str] = {}
    names = list(lines)
    for i, deal in enumerate(names):
        for other in names[:i]:
            if other in out:
                continue
            a, b = np.asarray(lines[deal], dtype=float), np.asarray(lines[other], dtype=float)
            if a.shape == b.shape and np.allclose(a, b, rtol=0.0, atol=atol, equal_nan=True):
                out[deal] = other
                break
    return out


def choices(state: State, book: DealBook) -> list[dict[str, str]]:
    """Every choice in use, as the panel lists it: [{name, label, value, help}] for the production basis,
    the demand basis, the framing, IREL's output scale, the years shown, the headline year, the draws and
    the seed (the deal parameters moved away from the deals' values are listed apart, as overrides).

    `help` is the basis's or framing's own description from data/deals.yml."""
    basis = book.basis(state.basis)
    demand = book.demand(state.demand)
    framing = book.framing(state.framing)
    draws = int(state.draws)
    return [
        {"name": "basis", "label": "production basis", "value": basis.name, "help": basis.description},
        {"name": "demand", "label": "demand basis", "value": demand.name, "help": demand.description},
        {"name": "framing", "label": "magnets per t of oxide", "value": framing.name, "help": framing.description},
        {"name": "production_scale", "label": "IREL output ×", "value": f"{float(state.production_scale):.2f}",
         "help": SLIDERS["production_scale"].help},
        {"name": "years", "label": "years shown", "value": f"{state.years[0]}–{state.years[1]}",
         "help": "the model always runs from 1 January 2024; the years only choose what is shown"},
        {"name": "headline_year", "label": "headline year", "value": str(int(state.headline_year)), "help": ""},
        {"name": "draws", "label": "draws", "value": f"{draws:,}" if draws else "0 (central values)",
         "help": "0: every ranged input at its central value; more: the median and p05–p95 of that many draws"},
        {"name": "seed", "label": "seed", "value": str(int(state.seed)), "help": "the random seed of the draws"},
    ]


# --- recycling ---------------------------------------------------------------------------------

#: The recycling lever's sliders shown in the recycling section (deal parameters of rekit.model.deals.PARAMS,
#: group "recycling"): the share of end-of-life magnets collected, the share of each rare earth recovered and
#: the share of the 2025 recycling scheme's expected capacity that takes NdFeB magnets. The lever's other
#: parameters (dismantling, the capacity's ramp) stay under ALL_PARAMS.
RECYCLING_LEVER = ("recycling_collection", "recycling_recovery", "recycling_share")
#: The years whose recovered NdPr oxide (t NdPr oxide) and Dy (t Dy) the recycling section gives.
RECYCLING_YEARS = (2035, 2050)


def recycling_run(state: State, book: DealBook) -> Result:
    """The run behind the recycling section: `state` (deals, bases, draws, every override) over every model
    year, 2024–2050 (YEARS), so RECYCLING_YEARS are in it whatever years are shown. The model always runs
    from 1 January 2024, so a year's numbers are those of `compute(state, book)` for the same year."""
    return compute(replace(state, years=(int(YEARS[0]), int(YEARS[1]))), book)


def recycling_table(result: Result, year: int, years: Sequence[int] = RECYCLING_YEARS) -> pd.DataFrame:
    """One row per deal of a `recycling_run` result: in `year`, primary own-feedstock coverage
    (`own_feedstock_coverage`, magnets from India's own oxide / demand, t magnet / t magnet) beside secondary
    coverage (`secondary_coverage`, magnets from recovered NdPr oxide / demand), each the median with p05 and
    p95; and in each of `years` the median NdPr oxide recovered (`oxide_recovered_YYYY`, t NdPr oxide) and Dy
    recovered (`dy_recovered_YYYY`, t Dy) from India's end-of-life magnets (rekit.model.recycling).
    With draws = 0 the three numbers of each are the central value."""
    have = set(result.years.tolist())
    for y in (year, *years):
        if int(y) not in have:
            raise ExploreError(f"year {y} is not in the result ({result.years[0]}–{result.years[-1]})")
    rows = []
    for deal in result.deals:
        row: dict[str, Any] = {"deal": deal, "year": int(year)}
        for metric in ("own_feedstock_coverage", "secondary_coverage"):
            draws = result.at(metric, deal, year)
            lo, mid, hi = np.quantile(draws, BAND) if draws.size > 1 else (draws[0],) * 3
            row[metric], row[f"{metric}_p05"], row[f"{metric}_p95"] = float(mid), float(lo), float(hi)
        for y in years:
            for metric in ("oxide_recovered", "dy_recovered"):
                row[f"{metric}_{int(y)}"] = float(np.median(result.at(metric, deal, int(y))))
        rows.append(row)
    return pd.DataFrame(rows)


def magnets_in_use(state: State, book: DealBook) -> pd.DataFrame:
    """The magnets in use (t magnet at year end) and leaving use (end-of-life scrap, t magnet a year) by end use,
    2024–2050, under the state's demand basis and its demand sliders: the central demand path (draws = 0) of
    the state's first deal (the demand is the same for every deal) entering use from 2024, split over the end
    uses (rekit.model.simulation.end_use_mix: the bottom-up basis's split, which stands in for a top-down
    basis) and run through the stock model by rekit.model.recycling.stocks_by_end_use. Rows end_use, year,
    inflow, in_use, end_of_life (t magnet)."""
    from rekit.model.recycling import stocks_by_end_use
    from rekit.model.simulation import end_use_mix

    if not state.deals:
        raise ExploreError("no deal selected: tick one or more deals")
    run = compute(replace(state, deals=state.deals[:1], years=(int(YEARS[0]), int(YEARS[1])), draws=0), book)
    mix = end_use_mix(book, book.demand(state.demand))
    if not mix:
        raise ExploreError("no demand basis of the deals file splits the demand over its end uses; the stock model "
                           "needs the bottom-up basis (demand_bases: bottom_up: {from: end_uses})")
    try:
        return stocks_by_end_use(run.arrays["magnet_demand"][0, :, 0], run.years, mix)
    except ModelError as exc:
        raise ExploreError(f"the magnets in use cannot be computed: {exc}") from None


def not_reported_end_uses(ds: Dataset) -> dict[str, str]:
    """The end uses the bottom-up demand basis leaves out, each with what the sources do not report
    (rekit.model.demand.bottom_up(...).not_reported, e.g. 'kg NdFeB per unit not reported as of 2026-12-03')."""
    return dict(_bottom_up(str(ds.path)).not_reported)


def end_use_titles(ds: Dataset) -> dict[str, str]:
    """{end use: its title} of the end uses the bottom-up basis counts (rekit.model.demand.BottomUp.by_end_use)."""
    frame = _bottom_up(str(ds.path)).by_end_use
    return dict(zip(frame["end_use"], frame["title"], strict=True))


def demand_sources(book: DealBook, ds: Dataset, demand: str | None) -> list[str]:
    """The sources.csv ids behind a demand basis and the bottom-up split of the end uses (an `obs:ID`
    resolved to its source), sorted: the sources of the magnets-in-use chart."""
    refs = {q.source for q in book.demand(demand).quantities}
    refs.add(_bottom_up(str(ds.path)).base.source)
    by_obs = dict(zip(ds.observations["id"], ds.observations["source_id"], strict=True))
    known = set(ds.sources["source_id"])
    out = set()
    for ref in refs:
        for token in str(ref).split():
            if token.startswith("obs:") and token[4:] in by_obs:
                out.add(by_obs[token[4:]])
            elif token in known:
                out.add(token)
    return sorted(out)


_BOTTOM_UP: dict[str, Any] = {}


def _bottom_up(path: str) -> Any:
    """rekit.model.demand.bottom_up of a data folder, read once per folder."""
    from rekit.model.demand import bottom_up

    if path not in _BOTTOM_UP:
        _BOTTOM_UP[path] = bottom_up(path)
    return _BOTTOM_UP[path]
