"""India's NdPr and Dy/Tb under partner deals: a material-flow system by year, with uncertainty as bands.

The system (rekit.model.flows) runs over deal k × year t × draw i, with numpy doing every deal
and draw at once and one step per year for the stocks; the draws are split into one block per
core, run side by side in threads (numpy releases the GIL), which gives the same numbers.
Quantities inside are t NdPr oxide, t NdPr metal, t magnet and t Dy+Tb; the element dimension
(Nd, Pr, Dy, Tb) follows from the composition factors and is what the mass balance is checked
on. Per year:

    O   = min(P(t)·ν, C_IREL(t))                    IREL's output, t NdPr oxide (path capped by capacity; ν converts
                                                    a path the sources give in t Nd: conversions.ND_AS_NDPR_OXIDE)
    X   = e·h(t)·O                                  to Toyotsu Rare Earths India, which exports it; h = share of the year
                                                    before the halt, a date drawn from the directive to the end of supplies
    T   = min(τ·O, C_p·σ·a_p / q)                   tolled: capped by the partner's free capacity
    q   = f_ox·η_red·η_am / w_NdPr                  t magnet per t oxide (framing `chain`, about 2.15; framing
                                                    `officials` sets w_NdPr so that q is their "roughly three")
          f_ox = (1 − p)·0.8574 + p·0.8277          t NdPr metal per t oxide (stoichiometry)
          η_am = η_alloy·b / (1 − ρ·(1 − b)·η_alloy)   alloy and machining with swarf recycled (ρ = recovery × share recycled)
    G   = min(K(t), (d·O + s·S(t−1) + I_ox)·q + I_met·η_am/w_NdPr, heavy limit)   magnets made in India
          s = stock_draw (stock_draw_max_share): the largest share of the stock held at the start of
          the year that may be drawn for magnet making in India that year (the deal's stock policy)
    S(t) = S(t−1) + O − X − T − (own oxide used in India)   the oxide stock, never negative
    returned(t) = (1 − r)·Σ_j hat(j − ℓ)·q·T(t − j)      ℓ = lead time / 12 months, hat(x) = max(0, 1 − |x|):
          oxide sent evenly over year t comes back ℓ years later, so year t + ⌊ℓ⌋ gets 1 − frac(ℓ) of it
          and year t + ⌊ℓ⌋ + 1 the rest (a pipeline stock carries what is on its way)
    magnet imports = max(D − returned − G, 0)·a_mag,   shortfall = the rest of that gap

One fixed, dated start. Every run starts on 1 January 2024 (START), whatever years are asked,
and the years asked only choose what is shown: a run covers START to the last year asked (or to
the date of the stock observation, if later) and is cropped, so from one seed a year's numbers
are the same whatever window shows it. The oxide stock is observed once, 500 t NdPr oxide on 15
December 2025 (`stock_observed` in the deals file); the stock on 1 January 2024 is back-cast as
the one that makes the modelled stock on that date (linear within its year) equal the observed
one given the modelled 2024–25 flows, floored at 0 (the flow `backcast_floor` is 1 where the
floor binds, and then the modelled stock exceeds the observed one). Simulating from the dated
observation instead would drop 2024–25, the years of the export record and the halt.

a_x = 1 − (China share of x)·(cut of x)·(share of the year in a China shock): what is left of an
import when China cuts its part. Demand D(t) comes from a demand basis (rekit.model.deals).

Every run checks the mass balance of every process for every element, year and draw
(rekit.model.flows.check_balance) and raises MassBalanceError when it does not close, and checks
that every flow is non-negative (NegativeFlowError, a MassBalanceError and a ModelError).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rekit.model import metrics
from rekit.model.conversions import ELEMENTS, ND_AS_NDPR_OXIDE, ND_PER_ND2O3, PR_PER_PR6O11
from rekit.model.deals import (DEFAULT_BASIS, DEMAND_PARAMS, PARAMS, SHARE_KEYS, YEARS, Deal, DealBook, DealError, Demand,
                               Param, decimal_year, halt_schedule)
from rekit.model.flows import MassBalanceError, check_balance
from rekit.model import origin
from rekit.model import recycling
from rekit.model.quantities import Quantity, Schedule
from rekit.errors import RekitError

QUANTILES = (0.05, 0.5, 0.95)
#: The first year of every run: the model's state is known from here (see the module's docstring).
START = YEARS[0]

#: metric -> (unit, description); the order of the output.
METRICS: dict[str, tuple[str, str]] = {
    # the element view (t Nd), as the flows table and the Sankey read it
    "production": ("t Nd", "Nd in IREL's NdPr oxide output"),
    "exports": ("t Nd", "Nd of the oxide IREL supplies to Toyotsu Rare Earths India under the 2012 agreement (all exported)"),
    "tolled": ("t Nd", "Nd sent to a tolling partner"),
    "domestic": ("t Nd", "Nd of IREL's output and stock sent to magnet making in India"),
    "stocked": ("t Nd", "Nd added to the oxide stock (negative when the stock is drawn down)"),
    "losses": ("t Nd", "Nd of IREL's oxide lost in reduction, alloy making and machining"),
    "magnets_returned": ("t magnet", "magnets the partner returns to India"),
    "magnets_kept_by_partner": ("t magnet", "magnets the partner keeps as payment"),
    "magnets_domestic": ("t magnet", "magnets made in India from IREL's oxide"),
    "magnets_own": ("t magnet", "magnets India gets from its own oxide (returned + made in India from it)"),
    "magnet_demand": ("t magnet", "India's NdFeB magnet demand (the demand basis)"),
    "export_share": ("share", "exports / production"),
    "own_feedstock_coverage": ("ratio", "own-feedstock coverage: magnets from India's own oxide, made in India or returned by a "
                               "partner / magnet demand = (magnets_domestic + magnets_returned) / D (may exceed 1)"),
    "magnet_self_sufficiency": ("ratio", "FAO self-sufficiency ratio at the magnet stage: magnets made in India (any feed) / "
                                "magnet demand = G / D (FAO, Food Balance Sheets handbook, 2001: production / domestic use)"),
    "import_dependency": ("ratio", "FAO import dependency ratio at the magnet stage: magnets brought into India (imported "
                          "and returned by a partner) / magnet demand = (M + R) / D; with no exports or shortfall, "
                          "1 − magnet_self_sufficiency (before data 0.3.0: 1 − own-feedstock coverage)"),
    "self_sufficiency": ("ratio", "alias of own_feedstock_coverage, its name before data 0.3.0 (kept so old code, reports "
                         "and notebooks work; it was never the FAO ratio, which is magnet_self_sufficiency)"),
    # the oxide, metal and magnet view at the edges
    "oxide_production": ("t NdPr oxide", "IREL's NdPr oxide output"),
    "oxide_exports": ("t NdPr oxide", "NdPr oxide supplied to Toyotsu Rare Earths India, which exports it all"),
    "oxide_tolled": ("t NdPr oxide", "NdPr oxide sent to a tolling partner"),
    "oxide_imported": ("t NdPr oxide", "NdPr oxide imported for magnet making in India"),
    "oxide_stock_drawn": ("t NdPr oxide", "NdPr oxide drawn from the stock for magnet making"),
    "oxide_stock": ("t NdPr oxide", "NdPr oxide stock at year end"),
    "oxide_gap": ("t NdPr oxide", "NdPr oxide India's magnet demand needs, less IREL's output"),
    "stock_cover_years": ("years", "year-end oxide stock / the oxide India's magnet demand needs a year"),
    "metal_india": ("t NdPr metal", "NdPr metal made in India"),
    "metal_imported": ("t NdPr metal", "NdPr metal imported for magnet making"),
    "heavy_imported": ("t Dy+Tb", "Dy and Tb imported for magnet making in India"),
    "heavy_stock": ("t Dy+Tb", "Dy and Tb held by magnet makers at year end"),
    "magnets_india": ("t magnet", "all magnets made in India (own, stocked and imported feed)"),
    "magnet_imports": ("t magnet", "finished magnets imported"),
    "magnet_exports": ("t magnet", "magnets made beyond India's demand, exported"),
    "magnet_shortfall": ("t magnet", "demand neither made, returned nor imported (a China cut)"),
    # recycling (rekit.model.recycling): secondary own feedstock, shown apart from IREL's primary oxide
    "magnets_in_use": ("t magnet", "NdFeB magnets in use in India at year end, of those entering use since 2024 (stock model)"),
    "magnets_end_of_life": ("t magnet", "magnets leaving use in India that year (end-of-life scrap, stock model)"),
    "oxide_recovered": ("t NdPr oxide", "NdPr oxide recovered from India's end-of-life magnets (secondary, used or not)"),
    "dy_recovered": ("t Dy", "Dy recovered from India's end-of-life magnets"),
    "magnets_secondary": ("t magnet", "magnets made in India from recovered NdPr oxide (secondary own feedstock) in the "
                          "capacity the primary feed leaves = G_sec; counted in magnets_india, not in magnets_domestic"),
    "secondary_coverage": ("ratio", "secondary own-feedstock coverage = magnets_secondary / D; own_feedstock_coverage counts "
                           "primary oxide (IREL's output and stock) only, so the two add up to all of India's own feed"),
    "ssr_oxide": ("ratio", "stage self-sufficiency: IREL's oxide / oxide India's magnet demand needs (FAO form)"),
    "ssr_metal": ("ratio", "stage self-sufficiency: NdPr metal made in India / metal India's magnet demand needs"),
    "ssr_magnet": ("ratio", "alias of magnet_self_sufficiency (magnets made in India / magnet demand), kept for old code"),
    "import_reliance": ("ratio", "JRC import reliance at the magnet stage: (M + R − E) / (G + M + R − E), imports M + R "
                        "as in import_dependency (returned magnets cross the border), E magnet exports"),
    "china_share_oxide": ("share", "China's share of India's NdPr oxide supply (IREL + imports)"),
    "china_share_metal": ("share", "China's share of India's NdPr metal supply (made + imported)"),
    "china_share_magnet": ("share", "China's share of India's magnet supply (made + returned + imported)"),
    "china_share_heavy": ("share", "China's share of the Dy and Tb used by magnet makers in India"),
    # origin traced through the chain (rekit.model.origin, which gives the symbols): Chinese oxide, metal and Dy+Tb
    # counted where they end up; origin traced pro rata (Pauliuk & Heeren 2020, ODYM, J. Ind. Ecol. 24:446)
    "china_share_oxide_traced": ("share", "China's share by mass of the NdPr oxide reduced in India = u3·χ_ox / (u1 + u2 + u3): "
                                 "imported oxide at its China fraction χ_ox, IREL's output and stock Indian"),
    "china_share_metal_traced": ("share", "China's share by mass of the NdPr metal charged in India = (u3·χ_ox·f_ox·η_red + "
                                 "u4·χ_m) / ((u1 + u2 + u3)·f_ox·η_red + u4): metal made from Chinese oxide counts as Chinese"),
    "china_share_heavy_traced": ("share", "China's share of the Dy+Tb charged in India = (HIm·χ_h + (HI − HIm)·χ_h0) / HI: "
                                 "imports at χ_h, the makers' stock at heavy_china_share"),
    "china_share_magnet_traced": ("share", "China's share by element mass (Nd, Pr, Dy, Tb) of the rare earths inside the magnets "
                                  "India gets = [G·(w_NdPr·χ_metal + w_h·χ_heavy) + R·w_h·χ_p + M·(χ_mag·(w_NdPr + w_h) + "
                                  "(1 − χ_mag)·w_h·χ_p)] / [(G + R + M)·(w_NdPr + w_h)]; G made in India, R returned by a "
                                  "partner, M imported (Nakamura et al. 2007, Environ. Sci. Technol. 41:8477, origin by MRIO-MFA)"),
}


class ModelError(RekitError, ValueError):
    """Inputs the model cannot compute: the message names the parameter and the value."""


class NegativeFlowError(MassBalanceError, ModelError):
    """A flow came out negative: names the flow, the deal, the year and the value (as an imbalance does)."""


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------


#: Old metric names that still work, and the metric each is the same numbers as.
ALIASES = {"self_sufficiency": "own_feedstock_coverage", "ssr_magnet": "magnet_self_sufficiency"}

#: Formula, unit and reference of the headline metrics (what `rekit simulate --list-metrics` prints
#: beside METRICS): D magnet demand, G magnets made in India, R magnets returned by a tolling
#: partner, M finished magnets imported, E magnets exported, own = magnets made in India from
#: India's own oxide (IREL's output and stock), all t magnet a year.
FORMULAS: dict[str, tuple[str, str]] = {
    "own_feedstock_coverage": ("(own + R) / D", "this kit's measure of what India's own oxide covers; no standard name"),
    "magnet_self_sufficiency": ("G / D", "FAO self-sufficiency ratio, production / domestic utilisation "
                                "(FAO, Food Balance Sheets: A Handbook, 2001), at the magnet stage"),
    "import_dependency": ("(M + R) / D", "FAO import dependency ratio, imports / domestic utilisation (FAO 2001), at the "
                          "magnet stage"),
    "import_reliance": ("(M + R − E) / (G + M + R − E)", "EU JRC import reliance (Blengini et al., JRC EUR 28654 EN, 2017, "
                        "doi:10.2760/73303)"),
    "ssr_oxide": ("O / (D / q)", "FAO self-sufficiency ratio at the oxide stage"),
    "stock_cover_years": ("S / (D / q)", "years of the oxide India's demand needs that the stock holds"),
}


def canonical(name: str) -> str:
    """A metric's own name (an alias gives the metric it stands for)."""
    return ALIASES.get(name, name)


class Arrays(MappingABC):
    """Metric -> array (deals, years, draws), each computed from the flows when first read."""

    def __init__(self, flows: dict[str, np.ndarray]):
        self._flows = flows if isinstance(flows, Flows) else Flows(flows)  # derived flows computed once, when read
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in METRICS:
            raise KeyError(key)
        if key in ALIASES:
            return self[ALIASES[key]]
        if key not in self._cache:
            self._cache[key] = _metric(key, self._flows, self)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(METRICS)

    def __len__(self) -> int:
        return len(METRICS)


@dataclass(frozen=True)
class Result:
    """Model output: arrays (deals, years, draws) per metric, the flows behind them, and the inputs that made them."""

    deals: tuple[str, ...]
    years: np.ndarray
    arrays: Mapping[str, np.ndarray]
    basis: str
    draws: int
    seed: int
    demand: str = ""
    flows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    framing: str = "chain"
    #: The metrics its tables (to_frame, to_iamc, the notebook table) give by default; empty: all.
    metrics: tuple[str, ...] = ()

    def summary(self, quantiles: Iterable[float] = QUANTILES, metrics: Iterable[str] | None = None) -> pd.DataFrame:
        """Tidy table: deal, year, metric, unit, mean, one column per quantile (p05, p50, p95), demand.

        The default table is computed once per result; each call returns a copy. `metrics`
        limits it to some metrics (an unknown name is refused with the allowed ones).
        """
        qs = tuple(quantiles)
        names = list(METRICS) if metrics is None else check_metrics(metrics)
        if qs == QUANTILES and metrics is None:
            if "_summary" not in self.__dict__:  # frozen dataclass: cache through __dict__
                self.__dict__["_summary"] = self._summarise(qs, names)
            return self.__dict__["_summary"].copy()
        return self._summarise(qs, names)

    def _summarise(self, qs: tuple[float, ...], names: list[str]) -> pd.DataFrame:
        """Sort the draws once and read every quantile off them (see sorted_quantiles)."""
        q = np.empty((len(qs), len(names), len(self.deals), len(self.years)))
        mean = np.empty((len(names), len(self.deals), len(self.years)))

        # old metric names whose arrays are their metric's own (Arrays gives the same object): sorted once
        same = {m for m in names if m in ALIASES and ALIASES[m] in names and self.arrays[m] is self.arrays[ALIASES[m]]}

        def one(i: int) -> None:  # (benchmarks/bench_grid.py)
            if names[i] in same:  # an old name of a metric in the table: its rows, copied below
                return
            a = self.arrays[names[i]]
            if a.ndim == 3 and a.shape[0] > 1 and a.strides[0] == 0:  # every deal's draws the same array (demand): once
                a = a[:1]
            mean[i] = a.mean(axis=-1)
            lo, hi = a.min(axis=-1), a.max(axis=-1)
            qi = np.empty((len(qs), *lo.shape))
            qi[:] = lo  # draws all equal (zeros, fixed values: about 45% of rows): every quantile is that value
            vary = lo != hi  # the rest: a full sort, 3x faster than np.partition at the 6 order statistics needed
            if vary.any():
                rows = a[vary]  # a copy already: sorted in place
                rows.sort(axis=-1)
                qi[:, vary] = sorted_quantiles(rows, list(qs))
            q[:, i] = qi

        # metrics side by side; a metric another needs may be computed twice at once, to the same numbers
        _side_by_side(one, len(names), THREADS if self.arrays["production"].size >= 2 * MIN_THREAD_ELEMENTS else 1)
        for m in same:
            i, j = names.index(m), names.index(ALIASES[m])
            q[:, i], mean[i] = q[:, j], mean[j]
        m_idx, d_idx, y_idx = np.meshgrid(np.arange(len(names)), np.arange(len(self.deals)), np.arange(len(self.years)), indexing="ij")
        out = pd.DataFrame({
            "deal": np.array(self.deals, dtype=object)[d_idx.ravel()],
            "year": self.years[y_idx.ravel()],
            "metric": np.array(names, dtype=object)[m_idx.ravel()],
            "unit": np.array([METRICS[m][0] for m in names], dtype=object)[m_idx.ravel()],
            "mean": mean.ravel(),
        })
        for i, p in enumerate(qs):
            out[f"p{round(p * 100):02d}"] = q[i].ravel()
        out["demand"] = self.demand
        order = {d: i for i, d in enumerate(self.deals)}
        out = out.sort_values(["deal", "metric", "year"], key=lambda c: c.map(order) if c.name == "deal" else c, kind="stable")
        return out.reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        """Every draw: deal, year, draw, and one column per metric (long in draws, wide in metrics)."""
        width = self.arrays["production"].shape[-1]
        d, y, n = np.meshgrid(np.arange(len(self.deals)), np.arange(len(self.years)), np.arange(width), indexing="ij")
        out = pd.DataFrame({"deal": np.array(self.deals, dtype=object)[d.ravel()], "year": self.years[y.ravel()], "draw": n.ravel()})
        for m in METRICS:
            out[m] = self.arrays[m].ravel()
        return out

    def period_mean(self, metric: str, first: int = 2031, last: int = 2035) -> np.ndarray:
        """The mean of `metric` over the years first..last, per deal and draw: array (deals, draws).

        Shown beside a headline year so a one-off peak shows (2031–35 by default: the scheme's
        plants at full capacity, after the stock parked in 2026–28 is drawn). The years must be
        in the result (ModelError names the years it has).
        """
        check_metrics([metric])
        have = self.years.tolist()
        if not (first <= last and first in have and last in have):
            raise ModelError(f"years {first}-{last}: not all in this result, which shows {have[0]}-{have[-1]}; "
                             f"run it with years reaching {last}")
        lo, hi = have.index(first), have.index(last) + 1
        return self.arrays[metric][:, lo:hi].mean(axis=1)

    def period_summary(self, metric: str, first: int = 2031, last: int = 2035,
                       quantiles: Iterable[float] = QUANTILES) -> pd.DataFrame:
        """One row per deal: the quantiles (p05, p50, p95) of the draws' mean of `metric` over first..last."""
        qs = list(quantiles)
        m = self.period_mean(metric, first, last)
        q = np.quantile(m, qs, axis=-1)
        out = pd.DataFrame({"deal": list(self.deals), "metric": metric, "years": f"{first}-{last}",
                            "unit": METRICS[metric][0], "mean": m.mean(axis=-1)})
        for i, p in enumerate(qs):
            out[f"p{round(p * 100):02d}"] = q[i]
        return out

    def at(self, metric: str, deal: str, year: int) -> np.ndarray:
        """The draws of one metric for one deal and year."""
        check_metrics([metric])
        if deal not in self.deals:
            raise ModelError(f"deal {deal!r} is not in this result; it has {', '.join(self.deals)}")
        return self.arrays[metric][self.deals.index(deal), int(np.searchsorted(self.years, year))]

    # -- for people: what a notebook or a prompt shows, and tables for pandas and pyam --------------

    def _shown(self, metrics: Iterable[str] | None) -> list[str]:
        return check_metrics(metrics) if metrics is not None else list(self.metrics or METRICS)

    def __repr__(self) -> str:
        """One line: the deals, years, draws, seed, bases and how many metrics, e.g.
        ``Result(deals=['toll_japan'], years=2024-2035, draws=1000, seed=0, basis='output', ...)``."""
        years = f"{int(self.years[0])}-{int(self.years[-1])}" if len(self.years) else "none"
        n = len(self.metrics) if self.metrics else len(METRICS)
        return (f"Result(deals={list(self.deals)!r}, years={years}, draws={self.draws}, seed={self.seed}, "
                f"basis={self.basis!r}, demand={self.demand!r}, framing={self.framing!r}, metrics={n}; "
                ".to_frame() for the table)")

    def _repr_html_(self) -> str:
        """A notebook's view: the runs' settings, then the median (p05-p95) of the headline metrics
        (or of `metrics`) in the last year shown, one row per deal; every value HTML-escaped."""
        import html

        names = list(self.metrics) or ["oxide_production", "own_feedstock_coverage", "magnet_self_sufficiency"]
        year = int(self.years[-1])
        table = self.summary(metrics=names)
        table = table[table["year"] == year]
        rows: dict[str, dict[str, str]] = {}
        for r in table.itertuples():
            rows.setdefault(r.deal, {})[f"{r.metric} ({r.unit})"] = f"{r.p50:,.3g} ({r.p05:,.3g}-{r.p95:,.3g})"
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "deal"
        head = (f"rekit Result: {len(self.deals)} deal(s), {int(self.years[0])}-{year}, {self.draws:,} draws, seed {self.seed}, "
                f"basis {self.basis}, demand {self.demand}, framing {self.framing}. Median (p05-p95) in {year}; "
                ".to_frame() gives every metric and year.")
        return f"<p>{html.escape(head)}</p>" + frame.to_html(escape=True)

    def to_frame(self, metrics: Iterable[str] | None = None) -> pd.DataFrame:
        """The tidy long table: one row per deal, year and metric, columns ``deal, year, metric,
        unit, p05, p50, p95`` (quantiles of the draws, in the metric's unit) and the run's
        ``basis, demand, framing``. `metrics` limits it (default: the result's `metrics`, else all);
        an unknown name is refused with the allowed ones. Ready for pandas, seaborn or plotly."""
        table = self.summary(metrics=self._shown(metrics))
        table["basis"], table["framing"] = self.basis, self.framing
        return table[["deal", "year", "metric", "unit", "p05", "p50", "p95", "basis", "demand", "framing"]].reset_index(drop=True)

    def to_iamc(self, metrics: Iterable[str] | None = None, model: str = "rekit", region: str = "India") -> pd.DataFrame:
        """The IAMC long format pyam reads (``pyam.IamDataFrame(result.to_iamc())``): columns
        ``model, scenario, region, variable, unit, year, value``.

        The scenario is ``deal|basis|demand|framing``; the variable is ``metric|p05``,
        ``metric|p50`` or ``metric|p95`` (the quantiles of the draws); years are whole numbers.
        Rows whose value is not a number (a ratio with nothing to divide) are left out, as
        pyam drops them. Reference: IAMC time-series format, https://pyam-iamc.readthedocs.io/en/stable/data.html
        """
        table = self.to_frame(metrics)
        table["scenario"] = table["deal"] + "|" + table["basis"] + "|" + table["demand"] + "|" + table["framing"]
        long = table.melt(id_vars=["scenario", "metric", "unit", "year"], value_vars=["p05", "p50", "p95"],
                          var_name="quantile", value_name="value")
        long["variable"] = long["metric"] + "|" + long["quantile"]
        long["model"], long["region"] = model, region
        long = long[long["value"].notna()]
        long["year"] = long["year"].astype(int)
        return long[["model", "scenario", "region", "variable", "unit", "year", "value"]].sort_values(
            ["scenario", "variable", "year"], kind="stable").reset_index(drop=True)


def check_metrics(names: Iterable[str]) -> list[str]:
    """The names, or ModelError naming the first unknown one and the allowed metrics."""
    out = list(names)
    for m in out:
        if m not in METRICS:
            import difflib

            close = difflib.get_close_matches(str(m), list(METRICS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ModelError(f"metric {m!r} is not known{hint}; allowed: {', '.join(METRICS)}")
    return out


def sorted_quantiles(sorted_draws: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles along the last axis of sorted draws (or partitioned at the order statistics needed), numpy's linear method."""
    n = sorted_draws.shape[-1]
    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        frac = pos - lo
        out.append(sorted_draws[..., lo] * (1 - frac) + sorted_draws[..., hi] * frac)
    return np.stack(out)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def check_years(start: int, end: int) -> np.ndarray:
    """The model years start..end inclusive, within the data's reach."""
    if start > end:
        raise ModelError(f"years: {start}-{end} is reversed; write START-END with START <= END")
    if start < YEARS[0] or end > YEARS[1]:
        raise ModelError(f"years: {start}-{end} is outside the data's reach, {YEARS[0]}-{YEARS[1]}")
    return np.arange(start, end + 1)


def check_value(key: str, value, p: Param) -> float:
    """A number within the parameter's bounds, or ModelError naming the key, the value and the bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or np.isnan(value):
        raise ModelError(f"{key}: {value!r} is not a number")
    if np.isinf(value):  # an unbounded parameter (a capacity) would pass its bounds and reach the model as 0 x inf = nan
        raise ModelError(f"{key}: {value!r} is not a finite number")
    if not p.allows(float(value)):
        raise ModelError(f"{key}: {value:g} is outside {p.interval()} ({p.doc})")
    return float(value)


def apply_overrides(deal: Deal, overrides: Mapping[str, float] | None) -> Deal:
    """A copy of `deal` with some parameters fixed to a value (the explorer's sliders); checked like the file."""
    if not overrides:
        return deal
    params = dict(deal.params)
    for key, value in overrides.items():
        if key not in PARAMS:
            import difflib

            close = difflib.get_close_matches(str(key), list(PARAMS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ModelError(f"override {key!r}: not a deal parameter{hint}; allowed: {', '.join(PARAMS)}")
        p = PARAMS[key]
        params[key] = Schedule.constant(Quantity.point(check_value(key, value, p), p.unit, "user override"))
    return dataclasses.replace(deal, params=params)  # every other field kept (partners, shock events, the halt's range)


Sampler = Callable[..., np.ndarray]  # (key, schedule, years=the run's years) -> (years or 1, width)


def _stack(chosen: list[Deal], get: Callable[[Deal], np.ndarray]) -> np.ndarray:
    """(D, Y or 1, N or 1): a year axis only when some deal varies by year, draws only when some value has a range."""
    parts = [get(d) for d in chosen]
    rows = max(p.shape[0] for p in parts)
    cols = max(p.shape[-1] for p in parts)  # 1 when no deal's value has a range
    if all(p is parts[0] for p in parts):  # one shared draw (common random numbers): a view, not D copies
        return np.broadcast_to(parts[0], (len(parts), rows, cols))
    return np.stack([np.broadcast_to(p, (rows, cols)) for p in parts])


def demand_path(dem: Demand, yrs: np.ndarray, width: int, sample: Sampler, overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """India's magnet demand, t magnet, (1, years, width): the basis's base in its base year grown at its
    growth (each unless overridden), D(y) = base · Π(1 + g) from the base year to y. The one input a
    demand basis sets (build_inputs; simulate_demands calls it for each further basis)."""
    base_s, growth_s = dem.base, dem.growth
    if overrides and "demand_base" in overrides:
        base_s = Schedule.constant(Quantity.point(float(overrides["demand_base"]), "t magnet", "user override"))
    if overrides and "demand_growth" in overrides:
        growth_s = Schedule.constant(Quantity.point(float(overrides["demand_growth"]), "ratio", "user override"))
    span = np.arange(min(yrs[0], dem.base_year), max(yrs[-1], dem.base_year) + 1)
    growth = np.broadcast_to(sample("demand_growth", growth_s, span), (len(span), width))
    cum = np.cumprod(1.0 + growth, axis=0)
    base = np.broadcast_to(sample("demand_base", base_s), (1, width))[0]
    window = cum[yrs[0] - span[0]: yrs[-1] - span[0] + 1]
    return (window * (base / cum[dem.base_year - span[0]]))[None]


def build_inputs(book: DealBook, chosen: list[Deal], basis: str, demand: str | None, yrs: np.ndarray, width: int,
                 sample: Sampler, overrides: Mapping[str, float] | None = None, production_scale: float = 1.0,
                 framing: str = "chain") -> dict[str, np.ndarray]:
    """Every input array of the system: shares, parameters, IREL's path and capacity, demand, halts, shocks.

    `sample(key, schedule[, years])` gives a schedule's values over the years, shape (years or 1, width):
    seeded draws in simulate(), a design's quantiles in sensitivity analysis. A path the sources
    give in t Nd is multiplied by `nd_as_ndpr_oxide` (conversions.ND_AS_NDPR_OXIDE, ranged). With
    the book's stock observation date, `stock_obs_t` is its time in years after 1 January of
    yrs[0] (run_system back-casts the opening stock from it).
    """
    b = book.basis(basis)
    dem = book.demand(demand)
    fr = book.framing(framing)
    basis = b.name
    Y = len(yrs)
    zero = np.zeros((1, width))
    inp: dict[str, np.ndarray] = {}
    inp["P"] = np.broadcast_to(sample(f"production:{basis}", b.schedule), (Y, width))[None] * production_scale
    if b.in_nd:
        inp["nd_as_ndpr_oxide"] = sample("nd_as_ndpr_oxide", Schedule.constant(ND_AS_NDPR_OXIDE))[None]
        inp["P"] = inp["P"] * inp["nd_as_ndpr_oxide"]
    inp["cap_irel"] = sample(f"capacity:{basis}", b.capacity)[None] * production_scale
    if fr.magnets_per_oxide is not None:
        inp["magnets_per_oxide"] = sample("magnets_per_oxide", fr.magnets_per_oxide)[None]
    if book.stock_date:
        inp["stock_obs_t"] = np.array(decimal_year(book.stock_date) - float(yrs[0]))

    def share(k: str) -> Callable[[Deal], np.ndarray]:
        """Deal -> its draws of share `k` (zero where the deal names no such share)."""
        def get(d: Deal) -> np.ndarray:
            s = d.shares[k]
            return zero if s is None else sample(f"share:{k}", s)
        return get

    def param(p: str, slot: str = "") -> Callable[[Deal], np.ndarray]:
        """Deal -> its draws of parameter `p` under the key `p` + `slot` (a scheme beneficiary's ':L1'..)."""
        return lambda d: sample(p + slot, d.params[p])

    shares = {k: _stack(chosen, share(k)) for k in SHARE_KEYS}
    for k in SHARE_KEYS:
        takes_rest = np.array([d.rest == k for d in chosen])
        if takes_rest.any():
            rest = np.asarray(1.0 - sum(shares[j] for j in SHARE_KEYS if j != k))
            shares[k] = rest if takes_rest.all() else np.where(takes_rest[:, None, None], rest, shares[k])
    for k in SHARE_KEYS:
        inp[f"share_{k}"] = shares[k]
    for p in PARAMS:
        if p in DEMAND_PARAMS:
            continue
        inp[p] = _stack(chosen, param(p))
    inp["demand"] = demand_path(dem, yrs, width, sample, overrides)
    # part-year export halt and China shock. The halt's date h (a decimal year, deals.halt_schedule) is drawn
    # between the directive and the end of supplies under the agreement; year t ships the share of it
    # before h: clip(h − t, 0, 1) (163/365 of 2025 for 13 June 2025). No halt: every year ships.
    never = np.full((1, 1), np.inf)
    halt = _stack(chosen, lambda d: sample("export_halt", d.params.get("export_halt_year") or halt_schedule(
        d.export_halt, d.export_halt_latest, {"source": "the deal's export_halt"})) if d.export_halt else never)
    inp["export_active"] = np.clip(halt - yrs[None, :, None].astype(float), 0.0, 1.0)
    # India's magnet scheme, beneficiary by beneficiary: each one's allocation, first sale, ramp and
    # utilisation drawn on its own (keys scheme_*:L1..L5), summed into the oxide beneficiaries' capacity
    # and the others'
    if np.any(inp["scheme_beneficiaries"] > 0):
        parts = {k: [_stack(chosen, param(k, f":L{b + 1}")) for b in range(SCHEME_SLOTS)]
                 for k in ("scheme_allocation", "scheme_first_sale", "scheme_ramp_years", "scheme_utilisation")}
        inp["scheme_cap_oxide"], inp["scheme_cap_other"] = scheme_capacity(
            yrs, inp["scheme_beneficiaries"], inp["scheme_oxide_beneficiaries"], *parts.values())
    else:
        inp["scheme_cap_oxide"] = inp["scheme_cap_other"] = np.zeros((1, 1, 1))
    start = np.array([decimal_year(d.shock_start) if d.shock_start else 0.0 for d in chosen])[:, None, None]
    end = start + inp["shock_months"] / 12.0
    t0 = yrs[None, :, None].astype(float)
    inp["shock_frac"] = np.clip(np.minimum(end, t0 + 1) - np.maximum(start, t0), 0.0, 1.0) * np.array(
        [d.shock_start is not None for d in chosen])[:, None, None]
    return inp


#: India's magnet scheme has up to five beneficiaries (obs:repm_scheme_beneficiaries_ndtv).
SCHEME_SLOTS = 5
#: The scheme's clock: the tender's technical bids opened on 30 June 2026 (events.csv
#: repm_tender_technical_bids_opened; PIB, 15 May 2026), 180 days into 2026; no award is reported as of 2026-12-03.
SCHEME_BIDS_OPENED = 2026 + 180 / 365


def ramp_integral(x, first, ramp):
    """∫ from −∞ to x of clip((τ − first) / ramp, 0, 1) dτ, in years (a step at `first` when ramp = 0).

    y = max(x − first, 0): y² / (2·ramp) while y <= ramp, then ramp / 2 + (y − ramp). A year's mean
    utilisation of the ramp is ramp_integral(t + 1) − ramp_integral(t).
    """
    x, first, r = (np.asarray(a, dtype=float) for a in (x, first, ramp))
    y = np.empty(np.broadcast_shapes(x.shape, first.shape, r.shape))  # worked on in place below (fewer full arrays)
    np.subtract(x, first, out=y)
    np.maximum(y, 0.0, out=y)
    m = np.minimum(y, r)  # the part of y on the ramp: m^2 / (2 ramp), then one a year beyond it
    y -= m
    m *= m
    m /= 2 * np.where(r > 0, r, 1.0)
    m += y
    return m if m.ndim else m[()]


def scheme_capacity(yrs, beneficiaries, oxide_beneficiaries, allocation, first_sale, ramp, utilisation):
    """(capacity of the oxide beneficiaries, of the others), t magnet/yr, arrays (D, Y, N), summed beneficiary by beneficiary.

    Beneficiary b (0-based; b < rint(beneficiaries) has a plant, b < rint(oxide_beneficiaries) gets IREL's
    assured oxide, the lowest bidders first) makes in calendar year t
        K_b(t) = allocation_b · utilisation_b · (I(t + 1) − I(t)),   I = ramp_integral(·, T0 + first_sale_b, ramp_b)
    with T0 = SCHEME_BIDS_OPENED: nothing before its first sale, then a linear ramp to its utilisation
    over ramp_b years; a year's figure is the ramp's mean over the year. `allocation` etc. are lists of
    one array (D, Y|1, N|1) per beneficiary; the loop runs over the five slots, every draw at once.
    """
    t = np.asarray(yrs, dtype=float)[None, :, None]
    n, n_ox = np.rint(beneficiaries), np.rint(oxide_beneficiaries)
    arrays = [n, n_ox, *allocation, *first_sale, *ramp, *utilisation]
    D = max(np.shape(a)[0] for a in arrays)
    N = max(np.shape(a)[-1] for a in arrays)
    # only the deals with a scheme plant are computed (the others are 0): rows of every (D, ., .) input
    rows = np.flatnonzero(np.broadcast_to(n, (D, *np.shape(n)[1:])).reshape(D, -1).max(axis=1) > 0)
    if not rows.size:
        return np.zeros((D, len(t[0]), N)), np.zeros((D, len(t[0]), N))

    def r(a):  # the plants' rows; one row when every deal holds the same numbers (one shared draw: a view with stride 0)
        a = np.asarray(a)
        if a.ndim == 3 and (a.shape[0] == 1 or a.strides[0] == 0):
            return a[:1]
        return np.broadcast_to(a, (D, *np.shape(a)[1:]))[rows]

    nr, nr_ox = r(n), r(n_ox)
    # the ramp's integral once at every year's start and end (consecutive years share them: Y + 1 points, not 2Y)
    edges = np.unique(np.concatenate([t.ravel(), t.ravel() + 1.0]))
    at_start, at_end = np.searchsorted(edges, t.ravel()), np.searchsorted(edges, t.ravel() + 1.0)
    consecutive = np.array_equal(at_start, np.arange(len(at_start))) and np.array_equal(at_end, at_start + 1)
    # the sums over the plants' rows, added to in the slots' order (as ox[rows] += … would, without the gather and scatter)
    sums = {"ox": np.zeros((rows.size, len(t[0]), N)), "other": np.zeros((rows.size, len(t[0]), N))}
    for b in range(len(allocation)):
        to = {"ox": (b < nr) & (b < nr_ox), "other": (b < nr) & (b >= nr_ox)}  # which beneficiaries slot b is, by deal and draw
        if not any(w.any() for w in to.values()):  # slot b has no plant in any deal: it would add 0
            continue
        first = SCHEME_BIDS_OPENED + r(first_sale[b])
        integral = ramp_integral(edges[None, :, None], first, r(ramp[b]))
        ends = integral[:, 1:] - integral[:, :-1] if consecutive else integral[:, at_end] - integral[:, at_start]
        k = r(allocation[b]) * r(utilisation[b]) * ends
        for key, w in to.items():
            if w.all():
                sums[key] += k
            elif w.any():  # some deals or draws: the others add 0
                sums[key] += np.where(w, k, 0.0)
    if rows.size == D:
        return sums["ox"], sums["other"]
    ox, other = np.zeros((D, len(t[0]), N)), np.zeros((D, len(t[0]), N))
    ox[rows], other[rows] = sums["ox"], sums["other"]
    return ox, other


# ---------------------------------------------------------------------------------------------
# The system, one step per year
# ---------------------------------------------------------------------------------------------


class Flows(dict):
    """The flows, stocks and factors of a run (arrays broadcastable to (D, Y, N)); derived ones computed when first read.

    `origin_shared` (an attribute, not a flow): a dict the Flows of one run under several demand bases share, in
    which the traced origin keeps the terms no demand flow enters (rekit.model.origin.demand_free_terms)."""

    origin_shared: dict | None = None

    def __missing__(self, key: str) -> Derived:
        if key not in DERIVED:
            raise KeyError(key)
        value = DERIVED[key](self)
        self[key] = value
        return value


def _prev(a: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The array shifted one year later along axis 1, with `first` (D, N) as the year before the first."""
    D, _, N = a.shape
    return np.concatenate([np.broadcast_to(first, (D, N))[:, None], a[:, :-1]], axis=1)


def _china_left(f: Flows, share: str, cut: str) -> np.ndarray:
    """s·(1 − c·f): the China-origin share of an import that still arrives under a shock (as a share of the whole import)."""
    return origin.on_shocked_rows(f, lambda g: g(share) * (1 - g(cut) * g("shock_frac")))


def _available(f: Flows, share: str, cut: str) -> np.ndarray:
    """1 − s·c·f: the share of an import left when China cuts its part (a_x in the module's docstring)."""
    return origin.on_shocked_rows(f, lambda g: 1 - g(share) * g(cut) * g("shock_frac"))


def _china_imported(f: Flows, quantity: str, share: str, cut: str) -> np.ndarray:
    """The China-origin part of an import that arrives, quantity·s·(1 − c·f) / (1 − s·c·f) (0 where nothing is left),
    in the quantity's unit: the numerator of the china_share_* metrics; quantity·s for the deals no shock touches."""
    return origin.on_shocked_rows(f, lambda g: _div(g(quantity) * (g(share) * (1 - g(cut) * g("shock_frac"))),
                                                    1 - g(share) * g(cut) * g("shock_frac")),
                                  calm=lambda g: g(quantity) * g(share))


#: A derived flow: an array, or (origin_masses) stage -> (Chinese, all) masses, or (origin_terms) the traced
#: origin's terms that no demand flow enters.
Derived = np.ndarray | dict[str, tuple[np.ndarray, np.ndarray]] | dict[str, Any]

#: Flows computed from others when a metric or a check first needs them.
DERIVED: dict[str, Callable[[Flows], Derived]] = {
    "supply": lambda f: f["returned"] + f["G"],
    "own_oxide": lambda f: f["u1"] + f["u2"],  # India's own oxide (IREL's and the stock's) used in India
    "ox_need": lambda f: f["demand"] / f["q"],  # t NdPr oxide India's magnet demand needs
    "returned": lambda f: (1 - f["retained_share"]) * f["delivered"],
    "kept": lambda f: f["retained_share"] * f["delivered"],
    "made_T": lambda f: f["T"] * f["q"],
    "HI": lambda f: f["G"] * (f["w_h"] / f["eta_am"]),
    "S_prev": lambda f: _prev(f["S"], f["S0"]),
    "H_prev": lambda f: _prev(f["H"], f["H0"]),
    "L_prev": lambda f: _prev(f["L"], f["L0"] if "L0" in f else np.zeros(1)),
    # China's part of an import after a shock's cut, s·(1 − c·f), and what of the import is left, 1 − s·c·f: computed
    # on the deals a shock touches (origin.on_shocked_rows); s and 1 elsewhere, as the formulas give with f = 0
    "ch_ox": lambda f: _china_left(f, "oxide_china_share", "shock_cut_oxide"),
    "ch_m": lambda f: _china_left(f, "metal_china_share", "shock_cut_metal"),
    "ch_h": lambda f: _china_left(f, "heavy_china_share", "shock_cut_heavy"),
    "ch_mag": lambda f: _china_left(f, "magnet_china_share", "shock_cut_magnet"),
    "a_ox": lambda f: _available(f, "oxide_china_share", "shock_cut_oxide"),
    "a_m": lambda f: _available(f, "metal_china_share", "shock_cut_metal"),
    "a_h": lambda f: _available(f, "heavy_china_share", "shock_cut_heavy"),
    "a_mag": lambda f: _available(f, "magnet_china_share", "shock_cut_magnet"),
    "a_p": lambda f: _available(f, "partner_heavy_china", "shock_cut_heavy"),
    "origin_masses": lambda f: origin.stage_masses(f, shared=f.origin_shared),  # stage -> (Chinese, all), rekit.model.origin
    "origin_terms": lambda f: origin.demand_free_terms(f, shared=f.origin_shared),  # what of them no demand enters
    "pipeline_heavy_china_prev": lambda f: _prev(f["pipeline_heavy_china"], f["PL0"] if "PL0" in f else np.zeros(1)),
}

#: The derived flows that read a demand flow (DEMAND_FLOWS) or are kept per Flows (origin_terms, shared through
#: Flows.origin_shared): with_demand and with_recycling recompute these; the other derived flows, read from the
#: run's own flows alone, they carry over as computed (the same arrays, so the same numbers).
DEMAND_DERIVED = frozenset({"ox_need", "origin_masses", "origin_terms"})


#: Threads for the year loop: the draws are split into one block per thread (draws are
#: independent, so the numbers are the same as one pass). At most the machine's cores, and 1
#: below MIN_THREAD_ELEMENTS (deal x draw) per thread, where starting threads costs more than it saves.
THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
MIN_THREAD_ELEMENTS = 20_000

#: The flows and stocks the year loop records, arrays (D, Y, N).
STEP_KEYS = ("O", "X", "T", "u1", "u2", "u3", "u4", "G", "g_ndpr", "S", "H", "HIm", "L", "delivered",
             "magnet_imports", "magnet_exports", "shortfall")


def _side_by_side(task: Callable[[int], None], n: int, threads: int) -> None:
    """task(0) … task(n − 1), in `threads` threads when more than one (numpy releases the GIL inside
    each operation, so array work runs on the cores side by side), else in turn."""
    if threads <= 1 or n <= 1:
        for i in range(n):
            task(i)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(threads, n), thread_name_prefix="rekit-model") as pool:
        list(pool.map(task, range(n)))


def _yr(a, t):
    """Year t of an array (D, Y|1, N) as (D, N) (a one-year array is every year's)."""
    a = np.asarray(a)
    return a[:, t] if a.ndim == 3 and a.shape[1] > 1 else (a[:, 0] if a.ndim == 3 else a)


#: Flows the year loop checks are never negative (stocks are checked on their own), in the order
#: a NegativeFlowError names the first one found.
NONNEGATIVE = ("O", "X", "T", "u1", "u2", "u3", "u4", "G", "HIm", "delivered", "magnet_imports", "magnet_exports", "shortfall")
#: At most this many secant steps (each a run of the years up to the stock's observation) to
#: back-cast the opening stock; one when the flows before the observation do not depend on the
#: stock (every preset), two or three when they do linearly (a draw capped by a share of the stock).
BACKCAST_ROUNDS = 6


def run_system(inp: dict[str, np.ndarray], n_years: int, check: bool = True, names=(), years=()) -> Flows:
    """The flows and stocks of every deal, year and draw (arrays (D, Y, N)) from the input arrays.

    One step per year carries the stocks (NdPr oxide, Dy+Tb, the partner's pipeline); every
    step is vectorised over deals and a block of draws, one block per thread (draws are
    independent, so blocks give the same numbers as one pass). With `stock_obs_t` among the
    inputs, the opening oxide stock is back-cast from the observed one (see the module's
    docstring; `S0` is the result and `backcast_floor` 1 where the floor at 0 binds). With
    `check`, each year's mass balance and the sign of every flow are checked as they are
    computed: MassBalanceError (or NegativeFlowError) names the first deal, year and process or
    flow that fail (rekit.model.flows).
    """
    fl = Flows(inp)
    D = fl["share_export"].shape[0]
    N = max(np.shape(a)[-1] for a in inp.values() if np.ndim(a))
    shape = (D, n_years, N)
    # per-draw constants of chemistry and process (D, Y|1, N)
    p = fl["pr_share"]
    fl["c_nd"], fl["c_pr"] = (1 - p) * ND_PER_ND2O3, p * PR_PER_PR6O11
    fl["f_ox"] = fl["c_nd"] + fl["c_pr"]
    b, ea = fl["eta_magnet"], fl["eta_alloy"]
    fl["rho"] = fl["swarf_recovery"] * fl["swarf_recycled"]
    fl["recyc"] = 1 - fl["rho"] * (1 - b) * ea
    fl["eta_am"] = ea * b / fl["recyc"]
    if "magnets_per_oxide" in fl:  # the officials' framing: the NdPr share of a magnet that makes k t magnet per t oxide
        fl["w_ndpr"] = fl["f_ox"] * fl["eta_metal"] * fl["eta_am"] / fl["magnets_per_oxide"]
    fl["q"] = fl["f_ox"] * fl["eta_metal"] * fl["eta_am"] / fl["w_ndpr"]
    fl["qm"] = fl["eta_am"] / fl["w_ndpr"]
    fl["w_h"] = fl["w_dy"] + fl["w_tb"]
    shocked = bool(np.any(fl["shock_frac"] > 0))
    if not shocked:
        fl["a_mag"] = np.ones((1, 1, 1))
    out = {k: np.empty((n_years, D, N)) for k in STEP_KEYS}  # year first: each year's (D, N) slice is contiguous
    s0, floor = np.empty((D, N)), np.zeros((D, N))
    worst = np.zeros((n_years, 8))  # each year's largest residual of each balance, and most negative flow (NaN if any is NaN)
    stock_scale = max(1.0, float(np.max(np.minimum(fl["P"], fl["cap_irel"]))))  # the back-cast's: oxide, not demand
    scale = max(stock_scale, float(np.max(fl["demand"])))
    workers = THREADS if D * N >= 2 * MIN_THREAD_ELEMENTS else 1
    step = max(1, -(-N // workers))  # draws per block: one block per thread
    blocks = [slice(lo, min(lo + step, N)) for lo in range(0, N, step)]
    worsts = [np.zeros_like(worst) for _ in blocks]

    def run(i: int) -> None:
        sl = blocks[i]
        block = Flows({k: v[..., sl] if np.ndim(v) and np.shape(v)[-1] == N > 1 else v for k, v in fl.items()})
        block["S_start"], floor[:, sl] = _opening_stock(block, shocked, n_years, stock_scale)
        s0[:, sl] = block["S_start"]
        _step_years(block, shocked, n_years, {k: v[:, :, sl] for k, v in out.items()}, worsts[i] if check else None)

    _side_by_side(run, len(blocks), len(blocks))
    for w in worsts:
        worst = np.maximum(worst, w)
    fl.update({k: v.transpose(1, 0, 2) for k, v in out.items()})  # (D, Y, N) views
    fl["demand"] = np.broadcast_to(fl["demand"], shape)
    fl["S0"], fl["backcast_floor"] = s0, floor
    fl["H0"] = np.broadcast_to(_yr(fl["heavy_stock_initial"], 0), (D, N))
    # the partner's Chinese Dy+Tb, carried through its pipeline like the magnets (rekit.model.origin)
    tolling = np.flatnonzero(fl["T"].reshape(D, -1).any(axis=1))  # the deals that toll: the others' pipelines are 0
    if tolling.size:
        def rows(a):  # the tolling deals' rows of an input (D|1, Y|1, N|1)
            a = np.asarray(a)
            return a[tolling] if a.ndim == 3 and a.shape[0] == D > 1 else a

        chi_p = origin.china_fraction(rows(fl["partner_heavy_china"]), rows(fl["shock_cut_heavy"]), rows(fl["shock_frac"])) \
            if shocked else rows(fl["partner_heavy_china"])
        sub = (tolling.size, n_years, N)
        made = np.broadcast_to(rows(fl["T"]) * rows(fl["q"]) * rows(fl["w_h"]) * chi_p, sub)
        delivered, pipeline = origin.pipeline_china(made, rows(fl["partner_lead_months"]) / 12.0)
        if tolling.size == D:
            fl["partner_heavy_made_china"], fl["delivered_heavy_china"], fl["pipeline_heavy_china"] = made, delivered, pipeline
        else:
            for key, part in (("partner_heavy_made_china", made), ("delivered_heavy_china", delivered), ("pipeline_heavy_china", pipeline)):
                full = np.zeros(shape)
                full[tolling] = part
                fl[key] = full
    else:  # nothing tolled: nothing in the pipeline
        fl["partner_heavy_made_china"] = fl["delivered_heavy_china"] = fl["pipeline_heavy_china"] = np.zeros((1, 1, 1))
    if check and not (worst <= 1e-9 * scale).all():
        names = names or tuple(f"deal {i}" for i in range(D))
        yrs = years if len(years) else np.arange(n_years)
        if not (worst[:, 7] <= 1e-9 * scale).all():
            check_nonnegative(fl, names, yrs, scale)
        check_mass_balance(fl, names, yrs)
        raise MassBalanceError("a stock went negative: the model drew more than it held")
    return fl


def check_nonnegative(fl: dict[str, np.ndarray], names, yrs, scale: float) -> None:
    """Raise NegativeFlowError naming the first flow (NONNEGATIVE), deal and year below −1e-9·scale, and its value."""
    for k in NONNEGATIVE:
        a = np.asarray(fl[k])
        bad = ~(a >= -1e-9 * scale)
        if bad.any():
            i, t, j = np.argwhere(bad)[0]
            raise NegativeFlowError(f"deal {names[i]!r}, year {yrs[t]}: flow {k!r} is negative ({a[i, t, j]:.3g} t in draw {j}); "
                                    f"every flow must be >= 0")


def _opening_stock(fl: Flows, shocked: bool, n_years: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(the oxide stock on 1 January of the first year (D, n), 1 where the floor at 0 binds) for one block.

    Without `stock_obs_t`, or with the observation outside the run, the stock is `stock_initial`.
    Otherwise S_start is the stock that makes the modelled stock at the observation, S(k − 1) +
    f·(S(k) − S(k − 1)) for t_obs = k + f years after the start, equal `stock_initial`: found by
    running the years up to k and correcting S_start by the difference (once, when the flows
    before the observation do not depend on the stock; at most BACKCAST_ROUNDS times), floored at 0.
    """
    D, N = fl["share_export"].shape[0], max(np.shape(a)[-1] for a in fl.values() if np.ndim(a))
    observed = np.broadcast_to(_yr(fl["stock_initial"], 0), (D, N)).astype(float)
    t_obs = float(fl["stock_obs_t"]) if "stock_obs_t" in fl else -1.0
    if not 0 <= t_obs < n_years:
        return observed.copy(), np.zeros((D, N))
    k = int(np.floor(t_obs))
    f = t_obs - k
    tol = 1e-9 * scale

    # the inputs of the years up to the observation only (the year loop's set-up works on whole arrays)
    head = Flows({key: v[:, : k + 1] if np.ndim(v) == 3 and np.shape(v)[1] == n_years else v for key, v in fl.items()})

    def error(start: np.ndarray) -> np.ndarray:  # modelled − observed stock at the observation
        pre = {key: np.empty((k + 1, D, N)) for key in STEP_KEYS}
        trial = Flows(head)
        trial["S_start"] = start
        _step_years(trial, shocked, k + 1, pre, None)
        before = start if k == 0 else pre["S"][k - 1]
        return before + f * (pre["S"][k] - before) - observed

    start = observed.copy()
    err = error(start)
    draw = np.asarray(fl["stock_draw"])
    if not draw[:, : k + 1].any() if draw.ndim == 3 and draw.shape[1] > 1 else not draw.any():
        # nothing is drawn from the stock before the observation: the flows do not depend on it, the
        # error moves one for one with the start, and one correction is exact
        new = np.maximum(start - err, 0.0)
        return new, ((new <= 0) & (err + (new - start) > tol)).astype(float)
    slope = np.ones((D, N))  # d error / d start: 1 when nothing before the observation draws on the stock
    for _ in range(BACKCAST_ROUNDS):  # secant steps on a piecewise-linear error, floored at 0
        new = np.maximum(start - err / slope, 0.0)
        if np.all(np.abs(new - start) <= tol):
            break
        new_err = error(new)
        moved = np.abs(new - start) > tol
        slope = np.where(moved, (new_err - err) / np.where(moved, new - start, 1.0), slope)
        slope = np.where(np.abs(slope) > 1e-6, slope, 1.0)
        start, err = new, new_err
    return start, ((start <= 0) & (err > tol)).astype(float)


def _step_years(fl: Flows, shocked: bool, n_years: int, out: dict[str, np.ndarray], worst: np.ndarray | None) -> None:
    """The year loop for one block of draws: writes `out` (Y, D, n) and, with `worst`, each year's largest residual."""
    D, N = fl["share_export"].shape[0], max(np.shape(a)[-1] for a in fl.values() if np.ndim(a))
    yr = _yr
    b, ea = fl["eta_magnet"], fl["eta_alloy"]
    hpm_all = fl["w_h"] / fl["eta_am"]  # t Dy+Tb charged per t magnet
    lost_all = (1 - ea) + (1 - fl["rho"]) * (1 - b) * ea  # share of the magnet plant's charge lost
    kept_all = 1 - fl["retained_share"]
    one = np.ones((1, 1, 1))
    a_ox, a_m, a_h, a_p = (fl["a_ox"], fl["a_m"], fl["a_h"], fl["a_p"]) if shocked else (one, one, one, one)
    lag = fl["partner_lead_months"] / 12.0  # years from oxide sent to magnets back
    reach = int(np.ceil(float(np.max(lag)))) if np.size(lag) else 0  # the most years a shipment stays in the pipeline
    O = np.minimum(fl["P"], fl["cap_irel"])
    io_all = fl["oxide_import_cap"] * a_ox
    im_all = fl["metal_import_cap"] * a_m
    toll_cap = fl["partner_capacity"] * fl["partner_spare"] * a_p / fl["q"]
    start = fl["S_start"] if "S_start" in fl else yr(fl["stock_initial"], 0)
    S = np.broadcast_to(start, (D, N)).astype(float).copy()
    H = np.broadcast_to(yr(fl["heavy_stock_initial"], 0), (D, N)).astype(float).copy()
    L = np.zeros((D, N))
    made_hist = np.zeros((n_years, D, N))
    lag_by_year = np.ndim(lag) == 3 and np.shape(lag)[1] > 1
    lag_hist = np.zeros((n_years, D, N)) if lag_by_year else None
    # with one lead time for every year, each draw's weights hat(j − ℓ) are the same every year: once
    weights = [] if lag_by_year else [np.broadcast_to(np.maximum(0.0, 1.0 - np.abs(j - yr(lag, 0))), (D, N))
                                      for j in range(reach + 1)]
    for t in range(n_years):
        qt, f_oxt, eta_amt, w_ht, em = yr(fl["q"], t), yr(fl["f_ox"], t), yr(fl["eta_am"], t), yr(fl["w_h"], t), yr(fl["eta_metal"], t)
        Ot = np.broadcast_to(yr(O, t), (D, N))
        Xt = yr(fl["share_export"], t) * yr(fl["export_active"], t) * Ot
        Tt = np.minimum(yr(fl["share_toll"], t) * Ot, yr(toll_cap, t))
        dw = yr(fl["share_domestic"], t) * Ot
        # the deal's stock policy: at most stock_draw (a share) of the stock held at the start of the
        # year is drawn for magnet making in India that year
        s_avail = yr(fl["stock_draw"], t) * S
        io_cap, im_cap = yr(io_all, t), yr(im_all, t)
        # capacity: plants outside the scheme and the scheme's beneficiaries; India's own oxide feeds the plants
        # outside the scheme and the oxide beneficiaries up to the quantity IREL assures them
        k_ox = yr(fl["scheme_cap_oxide"], t)
        cap_t = yr(fl["domestic_capacity"], t) + k_ox + yr(fl["scheme_cap_other"], t)
        own_cap = yr(fl["domestic_capacity"], t) / qt + np.minimum(yr(fl["scheme_assured_oxide"], t), k_ox / qt)
        own_use = np.minimum(dw + s_avail, own_cap)
        g_ndpr = np.minimum(cap_t, (own_use + io_cap) * qt + im_cap * yr(fl["qm"], t))
        heavy_per_magnet = yr(hpm_all, t)
        a_ht = yr(a_h, t)
        pos = heavy_per_magnet > 0
        heavy_cap = np.where(pos, H / np.where(pos, heavy_per_magnet, 1.0) + g_ndpr * a_ht, np.inf)
        G = np.minimum(g_ndpr, heavy_cap)
        need = G / qt
        u1 = np.minimum(dw, np.minimum(need, own_cap))
        u2 = np.minimum(s_avail, np.minimum(need, own_cap) - u1)
        u3 = np.minimum(io_cap, np.maximum(need - u1 - u2, 0))
        u4 = np.maximum(need - u1 - u2 - u3, 0) * f_oxt * em
        HI = G * heavy_per_magnet
        HIm = np.minimum(HI, g_ndpr * heavy_per_magnet * a_ht)
        H_new = H - (HI - HIm)
        S_new = S + Ot - Xt - Tt - u1 - u2
        # the partner's pipeline: magnets made from oxide sent in year t − j arrive hat(j − ℓ) of them in year t
        made_hist[t] = Tt * qt
        if lag_hist is not None:
            lag_hist[t] = np.broadcast_to(yr(lag, t), (D, N))
        delivered = np.zeros((D, N))
        for j in range(min(t, reach) + 1):
            w = np.maximum(0.0, 1.0 - np.abs(j - lag_hist[t - j])) if lag_hist is not None else weights[j]
            delivered = delivered + w * made_hist[t - j]
        L_new = L + made_hist[t] - delivered
        returned = yr(kept_all, t) * delivered
        dem_t = np.broadcast_to(yr(fl["demand"], t), (D, N))
        supply = returned + G
        m_imp, m_exp, short = magnet_use(supply, dem_t, yr(fl["a_mag"], t))
        if worst is not None:  # inputs − outputs − stock change, each process in its own material, this year
            in_metal = (u1 + u2 + u3) * f_oxt
            metal_in = in_metal * em + u4
            lost = yr(lost_all, t)
            recyc = yr(fl["recyc"], t)
            res = (
                Ot + u3 - Xt - Tt - (u1 + u2 + u3) - (S_new - S),                                   # oxide
                metal_in - metal_in / recyc * lost - G * yr(fl["w_ndpr"], t),                      # magnets (NdPr)
                HIm - (H_new - H) - HI / recyc * lost - G * w_ht,                                  # magnets (Dy+Tb)
                Tt * f_oxt * em * eta_amt - (delivered + L_new - L) * yr(fl["w_ndpr"], t),         # partner (NdPr)
                supply + m_imp - m_exp - (dem_t - short),                                          # use (magnets)
                np.minimum(S_new, 0), np.minimum(H_new, 0),                                        # stocks never negative
            )
            for i, r in enumerate(res):  # NaN stays NaN through max/min and fails the check
                worst[t, i] = np.maximum(worst[t, i], max(float(r.max()), -float(r.min())))
            # every flow >= 0: the flows built by a subtraction or from a share; the others are minima and
            # maxima of these, of zero and of inputs checked before the run, so they cannot be lower
            lowest = min(float(a.min()) for a in (Xt, Tt, dw, u2, delivered, L_new, short))
            worst[t, 7] = np.maximum(worst[t, 7], -lowest if lowest == lowest else np.nan)
        S, H, L = np.maximum(S_new, 0), np.maximum(H_new, 0), L_new  # clears rounding (1e-14) below zero; the check above saw the rest
        for k, v in (("O", Ot), ("X", Xt), ("T", Tt), ("u1", u1), ("u2", u2), ("u3", u3), ("u4", u4), ("G", G),
                     ("g_ndpr", g_ndpr), ("S", S), ("H", H), ("HIm", HIm), ("L", L), ("delivered", delivered),
                     ("magnet_imports", m_imp), ("magnet_exports", m_exp), ("shortfall", short)):
            out[k][t] = v


#: The flows a run's demand basis decides: demand itself and the magnets' use (magnet_use). No other
#: flow or stock reads demand, so one run serves every demand basis (with_demand, simulate_demands).
DEMAND_FLOWS = ("demand", "magnet_imports", "magnet_exports", "shortfall",
                # the magnets in use, their scrap and what recycling makes of it follow the demand too (with_recycling)
                *recycling.FEED_KEYS, "G_sec")


def magnet_use(supply, demand, available):
    """(magnet imports, magnet exports, shortfall), t magnet, from the magnets made and returned (`supply`)
    and `demand`: demand beyond supply is imported as far as China lets it (`available`, the share of
    imports not cut, 1 without a shock), the rest is short; supply beyond demand is exported. The
    only place demand enters the year loop, and nothing it gives feeds a later year."""
    gap = np.maximum(demand - supply, 0)
    imports = gap * available
    return imports, np.maximum(supply - demand, 0), gap - imports


#: The flows recycling adds to a run (with_recycling): t magnet in use and leaving use, t NdPr oxide, Dy
#: and Tb recovered, the recyclers' capacity (t magnet a year) and the magnets made from the recovered oxide.
RECYCLING_FLOWS = (*recycling.FEED_KEYS, "G_sec")


def _recycled(fl: Flows, key: str) -> np.ndarray:
    """A recycling flow broadcast to the run's shape (D, Y, N); zero for a run without recycling (read without
    the demand, so a metric that reads no recycling flow stays demand-free: rekit.model.scenarios.demand_dependent)."""
    return np.broadcast_to(fl[key] if key in fl else 0.0, fl["G"].shape)


def with_recycling(fl: Flows, yrs: np.ndarray, mix) -> Flows:
    """The flows of a run with its deals' recycling (rekit.model.recycling.secondary_feed): the magnets
    entering use (the demand, split over the end uses of `mix`) stay in use by cohort and leave as
    scrap; what is collected, dismantled and processed (up to the recyclers' capacity) gives
    secondary NdPr oxide, which magnet makers in India turn into magnets in the capacity the primary
    feed leaves:

        G_sec = min(sec_oxide · q, max(K − G, 0))     K = domestic_capacity + the scheme's plants (t magnet)

    and the magnets' use is recomputed with them (magnet_use: imports fall by what they cover).
    Primary flows (IREL's oxide, the stock, imports of oxide and metal) are the run's. The stock model
    and recycling check their own balances (in use: inflow − outflow = Δstock for every end use, year and
    draw; recycling: magnets and each element). A run whose deals have no recycling_share gets the magnets
    in use and leaving use only, its other flows unchanged; one without an end-use mix is returned as it is.
    """
    share = np.asarray(fl["recycling_share"]) if "recycling_share" in fl else np.zeros(1)
    if not mix:
        return fl
    if not np.any(share > 0):
        out = Flows({k: v for k, v in fl.items() if k not in DEMAND_DERIVED})
        out.update(recycling.secondary_feed(fl, yrs, mix, recover=False))
        return out
    feed = recycling.secondary_feed(fl, yrs, mix)
    out = Flows({k: v for k, v in fl.items() if k not in DEMAND_DERIVED and k not in DEMAND_FLOWS[1:]})
    out.update(feed)
    cap = fl["domestic_capacity"] + fl["scheme_cap_oxide"] + fl["scheme_cap_other"]
    out["G_sec"] = np.minimum(feed["sec_oxide"] * fl["q"], np.maximum(cap - fl["G"], 0.0)) * np.ones(fl["demand"].shape)
    out["magnet_imports"], out["magnet_exports"], out["shortfall"] = magnet_use(fl["returned"] + fl["G"] + out["G_sec"],
                                                                                fl["demand"], fl["a_mag"])
    return out


def end_use_mix(book: DealBook, dem) -> tuple:
    """The end uses a demand splits over (rekit.model.demand): the basis's own, else the bottom-up basis's
    (a top-down basis reports no split, so the bottom-up one stands in, as the kit's assumption)."""
    return tuple(getattr(dem, "end_uses", ())) or next((d.end_uses for d in book.demands.values() if getattr(d, "end_uses", ())), ())


def with_demand(fl: Flows, demand: np.ndarray) -> Flows:
    """The flows of the same run under another demand (t magnet, broadcastable to (D, Y, N)): every
    flow but DEMAND_FLOWS shared (the same arrays), those recomputed by magnet_use exactly as the
    year loop computes them, the derived flows DEMAND_DERIVED names recomputed when read, the others carried
    over. The use process balances by construction (imports + made + returned − exports = demand − shortfall);
    the others are the run's."""
    out = Flows({k: v for k, v in fl.items() if k not in DEMAND_DERIVED and k not in DEMAND_FLOWS})
    out["demand"] = np.broadcast_to(demand, fl["S"].shape)
    out["magnet_imports"], out["magnet_exports"], out["shortfall"] = magnet_use(fl["returned"] + fl["G"], out["demand"], fl["a_mag"])
    return out


def balance_residuals(fl: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Inputs − outputs − stock change of each process, in its own material (arrays (D, Y, N)).

    oxide, partner: t NdPr oxide; reduction, magnets: t NdPr metal; magnets (Dy+Tb), partner
    (Dy+Tb): t Dy+Tb; use: t magnet. Losses are computed from the process equations, not as the
    remainder, so the residuals test the bookkeeping: reduction loses (1 − η_red) of the metal in
    its oxide; the magnet plant charges C = m / (1 − ρ(1 − b)·η_alloy), loses (1 − η_alloy)·C in
    alloy making and (1 − ρ)(1 − b)·η_alloy·C of swarf, and ships b·η_alloy·C in parts.
    """
    ox_used = fl["u1"] + fl["u2"] + fl["u3"]
    in_metal = ox_used * fl["f_ox"]  # t NdPr metal contained in the oxide reduced
    metal = in_metal * fl["eta_metal"]
    metal_in = metal + fl["u4"]
    recyc = fl["recyc"]
    lost_share = (1 - fl["eta_alloy"]) + (1 - fl["rho"]) * (1 - fl["eta_magnet"]) * fl["eta_alloy"]
    charge = metal_in / recyc
    heavy_charge = fl["HI"] / recyc
    pipeline = fl["delivered"] + fl["L"] - fl["L_prev"]
    made_metal = fl["T"] * fl["f_ox"]  # NdPr metal in the tolled oxide
    partner_heavy = fl["made_T"] * (fl["w_dy"] + fl["w_tb"]) / fl["eta_am"]  # the partner's own Dy and Tb charged
    return {
        "oxide": fl["O"] + fl["u3"] - fl["X"] - fl["T"] - ox_used - (fl["S"] - fl["S_prev"]),
        "reduction": in_metal - metal - in_metal * (1 - fl["eta_metal"]),
        "magnets": metal_in - charge * lost_share - fl["G"] * fl["w_ndpr"],
        "magnets (Dy+Tb)": fl["HIm"] - (fl["H"] - fl["H_prev"]) - heavy_charge * lost_share - fl["G"] * (fl["w_dy"] + fl["w_tb"]),
        "partner": made_metal - made_metal * (1 - fl["eta_metal"] * fl["eta_am"]) - pipeline * fl["w_ndpr"],
        "partner (Dy+Tb)": partner_heavy - partner_heavy * (1 - fl["eta_am"]) - pipeline * (fl["w_dy"] + fl["w_tb"]),
        "use": use_residual(fl),
    }


def use_residual(fl: dict[str, np.ndarray]) -> np.ndarray:
    """Inputs − outputs of the magnets' use in India, t magnet (D, Y, N): returned + made (primary and secondary)
    + imported − exported − (demand − shortfall). The one process a demand basis or recycling changes."""
    return (fl["returned"] + fl["G"] + fl.get("G_sec", 0.0) + fl["magnet_imports"] - fl["magnet_exports"]
            - (fl["demand"] - fl["shortfall"]))


def element_residuals(fl: dict[str, np.ndarray], res: dict[str, np.ndarray] | None = None) -> dict[tuple[str, str], np.ndarray]:
    """The same balances for each element, in t element: (process, element) -> array (D, Y, N).

    The element dimension is carried by composition factors: t Nd per t NdPr oxide c_Nd =
    (1 − p)·0.8574, per t NdPr metal c_Nd/f_ox, per t magnet w_NdPr·c_Nd/f_ox (Pr alike), and Dy,
    Tb their shares of Dy+Tb. Every factor is at most 1, so an element's residual is never
    larger than its process's residual: the check of the processes bounds every element's.
    """
    res = res or balance_residuals(fl)
    f_ox, w_h = fl["f_ox"], fl["w_dy"] + fl["w_tb"]
    out = {}
    for el in ELEMENTS:
        if el in ("Nd", "Pr"):
            c = fl["c_nd"] if el == "Nd" else fl["c_pr"]
            metal_share = c / f_ox
            factor = {"oxide": c, "reduction": metal_share, "magnets": metal_share, "partner": metal_share,
                      "use": fl["w_ndpr"] * metal_share}
        else:
            w_el = fl["w_dy"] if el == "Dy" else fl["w_tb"]
            heavy_share = np.divide(w_el, w_h, out=np.zeros_like(w_h), where=w_h > 0)
            factor = {"magnets (Dy+Tb)": heavy_share, "partner (Dy+Tb)": heavy_share, "use": w_el}
        for process, f in factor.items():
            out[(process, el)] = res[process] * f
    return out


# ---------------------------------------------------------------------------------------------
# Metrics from the flows
# ---------------------------------------------------------------------------------------------


def metric_array(name: str, flows: dict[str, np.ndarray]) -> np.ndarray:
    """One metric, array (deals, years, draws), from the flows of a run (what Result.arrays reads)."""
    return Arrays(flows)[check_metrics([name])[0]]


def _div(a, b):
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b))), where=np.asarray(b) > 0)


_ORIGIN_LOCK = threading.Lock()


def _origin_masses(fl: Flows) -> dict:
    """The traced stages' (Chinese, all) masses, computed once per run though summary() reads metrics in threads."""
    with _ORIGIN_LOCK:
        return fl["origin_masses"]


def _origin_stages(fl: Flows) -> dict:
    """The traced oxide, metal and heavy stages' (Chinese, all) masses, which no demand flow enters (so the
    metrics from them are the same under every demand basis: rekit.model.scenarios.demand_dependent)."""
    with _ORIGIN_LOCK:
        return fl["origin_terms"]["stages"]


def _metric(name: str, fl: Flows, arrays: Arrays) -> np.ndarray:
    c, own_oxide = fl["c_nd"], fl["own_oxide"]  # demand (ox_need) is read only by the metrics that use it (scenarios.demand_dependent)
    m: dict[str, Callable[[], metrics.ArrayLike]] = {
        "production": lambda: fl["O"] * c,
        "exports": lambda: fl["X"] * c,
        "tolled": lambda: fl["T"] * c,
        "domestic": lambda: own_oxide * c,
        "stocked": lambda: (fl["S"] - fl["S_prev"]) * c,
        "losses": lambda: (fl["T"] + own_oxide) * c * (1 - fl["eta_metal"] * fl["eta_am"]),
        "magnets_returned": lambda: fl["returned"],
        "magnets_kept_by_partner": lambda: fl["kept"],
        "magnets_domestic": lambda: own_oxide * fl["q"],
        "magnets_own": lambda: arrays["magnets_returned"] + arrays["magnets_domestic"],
        "magnet_demand": lambda: fl["demand"],
        "export_share": lambda: _div(fl["X"], fl["O"]),
        "own_feedstock_coverage": lambda: metrics.own_feedstock_coverage(arrays["magnets_domestic"], fl["returned"], fl["demand"]),
        "magnet_self_sufficiency": lambda: metrics.self_sufficiency(fl["G"] + _recycled(fl, "G_sec"), fl["demand"]),
        "import_dependency": lambda: metrics.import_dependency(fl["magnet_imports"] + fl["returned"], fl["demand"]),
        "oxide_production": lambda: fl["O"],
        "oxide_exports": lambda: fl["X"],
        "oxide_tolled": lambda: fl["T"],
        "oxide_imported": lambda: fl["u3"],
        "oxide_stock_drawn": lambda: fl["u2"],
        "oxide_stock": lambda: fl["S"],
        "oxide_gap": lambda: fl["ox_need"] - fl["O"],
        "stock_cover_years": lambda: metrics.stock_cover(fl["S"], fl["ox_need"]),
        "metal_india": lambda: (fl["u1"] + fl["u2"] + fl["u3"]) * fl["f_ox"] * fl["eta_metal"],
        "metal_imported": lambda: fl["u4"],
        "heavy_imported": lambda: fl["HIm"],
        "heavy_stock": lambda: fl["H"],
        "magnets_india": lambda: fl["G"] + _recycled(fl, "G_sec"),
        "magnets_in_use": lambda: _recycled(fl, "use_stock"),
        "magnets_end_of_life": lambda: _recycled(fl, "eol"),
        "oxide_recovered": lambda: _recycled(fl, "sec_oxide"),
        "dy_recovered": lambda: _recycled(fl, "sec_dy"),
        "magnets_secondary": lambda: _recycled(fl, "G_sec"),
        "secondary_coverage": lambda: _div(_recycled(fl, "G_sec"), fl["demand"]),
        "magnet_imports": lambda: fl["magnet_imports"],
        "magnet_exports": lambda: fl["magnet_exports"],
        "magnet_shortfall": lambda: fl["shortfall"],
        "ssr_oxide": lambda: metrics.self_sufficiency(fl["O"], fl["ox_need"]),
        "ssr_metal": lambda: metrics.self_sufficiency(arrays["metal_india"], fl["demand"] * fl["w_ndpr"] / fl["eta_am"]),
        "import_reliance": lambda: metrics.import_reliance(fl["G"], fl["magnet_imports"] + fl["returned"], fl["magnet_exports"]),
        # u·ch / a with ch = s·(1 − c·f), a = 1 − s·c·f (the DERIVED ch_*, a_*), on the shocked deals' rows only
        "china_share_oxide": lambda: metrics.china_share(_china_imported(fl, "u3", "oxide_china_share", "shock_cut_oxide"),
                                                         fl["O"] + fl["u3"]),
        "china_share_metal": lambda: metrics.china_share(_china_imported(fl, "u4", "metal_china_share", "shock_cut_metal"),
                                                         arrays["metal_india"] + fl["u4"]),
        "china_share_magnet": lambda: metrics.china_share(_china_imported(fl, "magnet_imports", "magnet_china_share",
                                                                          "shock_cut_magnet"),
                                                          fl["G"] + fl["returned"] + fl["magnet_imports"]),
        "china_share_heavy": lambda: metrics.china_share(_china_imported(fl, "HIm", "heavy_china_share", "shock_cut_heavy"),
                                                         fl["HI"]),
        "china_share_oxide_traced": lambda: metrics.china_share(*_origin_stages(fl)["oxide"]),
        "china_share_metal_traced": lambda: metrics.china_share(*_origin_stages(fl)["metal"]),
        "china_share_heavy_traced": lambda: metrics.china_share(*_origin_stages(fl)["heavy"]),
        "china_share_magnet_traced": lambda: metrics.china_share(*_origin_masses(fl)["magnet"]),
    }
    return np.asarray(m[name]())  # the metrics' functions give arrays for arrays; asarray neither copies nor converts them


# ---------------------------------------------------------------------------------------------
# simulate()
# ---------------------------------------------------------------------------------------------


def simulate(book: DealBook, deals: Iterable[str], years: tuple[int, int] = (2024, 2035), draws: int = 1000,
             seed: int = 0, basis: str = DEFAULT_BASIS, overrides: Mapping[str, float] | None = None,
             production_scale: float = 1.0, demand: str | None = None, check: bool = True,
             framing: str = "chain") -> Result:
    """Run the deals and show the years asked; `draws=0` uses every central value once (what a slider needs).

    The run always starts on 1 January 2024 (START) and covers START to the last year asked (or
    to the stock's observation date, if later); `years` only chooses the years shown, so from one
    seed a year's numbers are the same whatever window shows it. `basis` names a production
    basis (book.bases; `reported` is the old name of the default `output`). `demand` names a
    demand basis (book.demands; default: the book's default_demand). `framing` says how many
    tonnes of magnet a tonne of NdPr oxide makes: "chain" (stoichiometry, yields and composition,
    about 2.15) or "officials" (their "roughly three tonnes"; the magnet's NdPr share is set to
    make it, so the mass balance still closes). `overrides` fixes parameters for every deal (e.g.
    {"retained_share": 0.3}); `production_scale` multiplies IREL's output path and capacity (1 =
    the basis as sourced). Every input is checked before anything is computed; the mass balance
    and the sign of every flow are checked after (`check=False` skips both, for sensitivity
    analysis, which checks one run of its design).
    """
    return simulate_demands(book, deals, [demand], years, draws, seed, basis, overrides, production_scale, check, framing)[0]


def simulate_demands(book: DealBook, deals: Iterable[str], demands: Sequence[str | None], years: tuple[int, int] = (2024, 2035),
                     draws: int = 1000, seed: int = 0, basis: str = DEFAULT_BASIS, overrides: Mapping[str, float] | None = None,
                     production_scale: float = 1.0, check: bool = True, framing: str = "chain") -> list[Result]:
    """simulate() under each demand basis of `demands` (None: the default), one Result each, the flows run once.

    Demand enters a run only in DEMAND_FLOWS (magnet_use): the year loop, the back-cast and the checks
    run once, with the first basis, and each other basis's demand is put in by with_demand. The
    numbers are those of one simulate() per basis, bit for bit (tests/model/test_grid_demand.py);
    rekit.model.scenarios runs its grid this way.
    """
    names = tuple(deals)
    if not names:
        raise ModelError("deals: give at least one deal")
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0:
        raise ModelError(f"draws: {draws!r} is not allowed; give a whole number >= 1 (or 0 for central values only)")
    if isinstance(production_scale, bool) or not isinstance(production_scale, (int, float)) or not production_scale >= 0:
        raise ModelError(f"production_scale: {production_scale!r} is not allowed; give a number >= 0")
    shown = check_years(*years)
    try:
        b = book.basis(basis)
        book.framing(framing)
        dems = [book.demand(d) for d in demands]
        chosen = [apply_overrides(book.get(n), overrides) for n in names]
    except DealError as exc:
        raise ModelError(str(exc)) from None
    last = max(int(shown[-1]), int(book.stock_date[:4]) if book.stock_date else START)
    yrs = np.arange(START, last + 1)
    n = int(draws)
    width = max(n, 1)
    cache: dict = {}

    def sample(key: str, s: Schedule, years: np.ndarray = yrs) -> np.ndarray:
        """Seeded draws, shared by deals with the same schedule (common random numbers, drawn once)."""
        k = (key, s, years[0], len(years))
        if k not in cache:
            cache[k] = s.draw(key, seed, n, years)
        return cache[k]

    if not dems:
        raise ModelError("demands: give at least one demand basis")
    inp = build_inputs(book, chosen, b.name, dems[0].name, yrs, width, sample, overrides, production_scale, framing=framing)
    paths = [inp["demand"], *(demand_path(dem, yrs, width, sample, overrides) for dem in dems[1:])]  # the one input that differs
    for path in paths:
        _check_inputs(names, yrs, {**inp, "demand": path})
    fl = run_system(inp, len(yrs), check=check, names=names, years=yrs)
    if check:
        check_origin_balance(fl, names, yrs)
    out = []
    shared: dict = {}  # the traced origin's terms no demand enters, computed once for every basis (Flows.origin_shared)
    for i, (dem, path) in enumerate(zip(dems, paths, strict=True)):
        f = with_recycling(fl if i == 0 else with_demand(fl, path), yrs, end_use_mix(book, dem))
        if check and f is not fl and "G_sec" in f:
            check_mass_balance(f, names, yrs, use_only=True)  # the run's other processes are checked (run_system)
        f = crop(f, int(shown[0]) - START, int(shown[-1]) - START + 1)
        f.origin_shared = shared  # every basis's flows cropped alike, so the shared terms have their shape
        out.append(Result(names, shown, Arrays(f), b.name, n, seed, dem.name, f, framing))
    return out


def crop(fl: Flows, lo: int, hi: int) -> Flows:
    """The flows of run years lo..hi−1 (indices from the run's first year), stocks carried in.

    Every array with the run's year axis is sliced (a view); the stocks before the first year kept
    (S0, H0, L0) become the run's stocks at the end of year lo − 1, so stock changes and the
    pipeline stay right in the first year shown.
    """
    n_years = fl["S"].shape[1]
    if lo == 0 and hi == n_years:
        return fl
    out = Flows()
    for k, v in fl.items():
        if k in DERIVED:  # recomputed from the cropped flows when read
            continue
        out[k] = v[:, lo:hi] if np.ndim(v) == 3 and np.shape(v)[1] == n_years else v
    if lo > 0:
        out["S0"], out["H0"], out["L0"] = fl["S"][:, lo - 1], fl["H"][:, lo - 1], fl["L"][:, lo - 1]
        if "pipeline_heavy_china" in fl and np.shape(fl["pipeline_heavy_china"])[1] == n_years:
            out["PL0"] = fl["pipeline_heavy_china"][:, lo - 1]
    return out


def check_mass_balance(fl: dict[str, np.ndarray], names, yrs, use_only: bool = False) -> None:
    """Raise MassBalanceError unless every process balances for every element, year and draw.

    The processes are checked in their own materials; each element's residual is a composition
    factor (at most 1) times its process's, so that check bounds them all. On a failure, the
    element view names the first element, process, deal and year that fail. `use_only` checks the
    magnets' use alone: for flows whose other processes are a checked run's (with_recycling, with_demand
    change DEMAND_FLOWS and G_sec only, which no other process reads).
    """
    res = {"use": use_residual(fl)} if use_only else balance_residuals(fl)
    scale = float(max(fl["O"].max(), fl["demand"].max()))
    try:
        check_balance({(p, "NdPr" if "Dy" not in p else "Dy+Tb"): r for p, r in res.items()}, names, yrs, scale)
    except MassBalanceError:
        check_balance(element_residuals(fl, None if use_only else res), names, yrs, scale)
        raise


def check_origin_balance(fl: dict[str, np.ndarray], names, yrs, full: bool = False) -> None:
    """Raise MassBalanceError unless the processes balance for every origin (India, China, other), year and draw.

    rekit.model.origin.origin_residuals gives inflow − outflow − stock change of each origin; the
    error names the deal, the year, the origin (in the element's place) and the process. In a
    process that mixes its inputs (reduction, the magnet plants) each origin's residual is its share
    of the inputs (at most 1) times the process's residual, which check_mass_balance bounds; so a
    run checks the origin books of their own: the partner's pipeline of Chinese Dy+Tb, and (with
    `full`) every process and origin (the tests do).
    """
    scale = float(max(np.max(fl["O"]), np.max(fl["demand"])))
    if full:
        check_balance(origin.origin_residuals(fl), names, yrs, scale)
        return
    if "partner_heavy_made_china" not in fl or not np.any(fl["partner_heavy_made_china"]):
        return
    made, delivered, pipe = (np.asarray(fl[k]) for k in ("partner_heavy_made_china", "delivered_heavy_china", "pipeline_heavy_china"))
    first = np.asarray(fl["PL0"]) if "PL0" in fl else np.zeros(1)
    D = pipe.shape[0]
    if made.shape == delivered.shape == pipe.shape and made.ndim == 3 and D > 1 and first.shape in ((D, pipe.shape[2]), (1,)):
        # the deals whose book holds anything (the others' residual is 0 − 0 − (0 − 0)): checked alone, named as they are
        live = made.any(axis=(1, 2)) | delivered.any(axis=(1, 2)) | pipe.any(axis=(1, 2))
        if first.ndim == 2:
            live |= first.any(axis=1)
        rows = np.flatnonzero(live)
        if rows.size < D:
            made, delivered, pipe = made[rows], delivered[rows], pipe[rows]
            first = first[rows] if first.ndim == 2 else first
            names = [names[i] for i in rows]
    res = made - delivered - (pipe - _prev(pipe, first))
    check_balance({("partner (Dy+Tb)", "China"): res}, names, yrs, scale)


def _check_inputs(names, yrs, inp) -> None:
    if not inp["demand"].min() > 0:
        raise ModelError("magnet demand is zero somewhere: self-sufficiency divides by it; give a demand above 0")
    for k in SHARE_KEYS:
        a = inp[f"share_{k}"]
        if a.min() < -1e-9 or a.max() > 1 + 1e-9:
            i, t = np.argwhere(((a < -1e-9) | (a > 1 + 1e-9)).any(axis=-1))[0]
            raise ModelError(f"deal {names[i]!r}, year {yrs[min(t, len(yrs) - 1)]}: shares do not close: {k!r} leaves [0, 1]")


def metric_catalogue() -> pd.DataFrame:
    """Every metric: metric, unit, description, formula and reference (FORMULAS, for the headline ones), alias_of.

    What `rekit simulate --list-metrics` prints; an alias (ALIASES) names the metric it is.
    """
    return pd.DataFrame([{"metric": m, "unit": unit, "description": desc, "formula": FORMULAS.get(canonical(m), ("", ""))[0],
                          "reference": FORMULAS.get(canonical(m), ("", ""))[1], "alias_of": ALIASES.get(m, "")}
                         for m, (unit, desc) in METRICS.items()])


def demand_bases(book: DealBook) -> pd.DataFrame:
    """The demand bases: name, description, base (t magnet) with its range and year, growth, sources; default first."""
    rows = []
    for name, d in sorted(book.demands.items(), key=lambda kv: kv[0] != book.default_demand):
        q = d.base.quantities[0]
        rows.append({"demand": name, "default": name == book.default_demand, "description": d.description,
                     "base_t_magnet": q.value, "low": q.low, "high": q.high, "base_year": d.base_year,
                     "growth": ", ".join(f"{int(y) if y else 'all'}: {g.value:.4g}" for y, g in d.growth.points),
                     "sources": " ".join(sorted({x.source for x in d.quantities}))})
    return pd.DataFrame(rows)


__all__ = ["ALIASES", "FORMULAS", "METRICS", "MassBalanceError", "ModelError", "NegativeFlowError", "Result", "START",
           "apply_overrides", "canonical", "check_nonnegative", "crop", "balance_residuals", "build_inputs",
           "check_metrics", "check_origin_balance", "check_years", "demand_bases", "metric_array", "metric_catalogue", "run_system",
           "simulate", "simulate_demands", "DEMAND_FLOWS", "magnet_use", "with_demand"]
