"""Partner deals as data: read, check and resolve data/deals.yml (or a user's own file or mapping).

The file holds three kinds of thing:

- production bases: IREL's NdPr oxide output (t NdPr oxide a year) as calendar-year totals,
  fiscal-year totals or year-end run-rate targets, and the separation capacity that caps it;
- demand bases: India's sintered NdFeB magnet demand (t magnet) in a base year and its growth;
- partners: magnet makers a tolling deal may name, company by company, each plant with its
  capacity (t magnet/yr, sourced) and the date of that figure; a deal's `partners` sums its
  plants into partner_capacity, and an unknown partner or plant is refused with the known ones;
- deals: where IREL's oxide goes each year (shares to exports, a tolling partner, domestic
  magnet making, stock), and every parameter of the material-flow system (yields, magnet
  composition, capacities, stocks, import caps and their China shares, a China shock and the
  events.csv announcements it replays).

Every number names its source: an observation (`obs: ID`, whose value, range and unit come from
data/), a source_id, or the word `assumption` with its reason. Unknown keys are errors with a
"did you mean" hint, never silently ignored. Bounds are checked before anything is computed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from rekit.data.dataset import Dataset, load
from rekit.data.units import unit_kind
from rekit.data.yamlfile import MAX_NUMBER, YamlFileError, read_yaml
from rekit.errors import RekitError
from rekit.model.conversions import ndpr_oxide_split
from rekit.model import demand as bottom_up_demand
from rekit.model import grades
from rekit.model.quantities import Quantity, Schedule
from rekit.paths import BUNDLED_DATA, DEALS_FILE

SHARE_KEYS = ("export", "toll", "domestic", "stock")
SPEC_KEYS = ("obs", "value", "low", "high", "source", "note")
TOP_KEYS = ("settings", "version", "production_bases", "demand_bases", "default_demand", "framings", "stock_observed", "partners",
            "defaults", "deals")
DEAL_META = ("description", "assumptions", "partner", "partners", "export_halt", "china_shock")
#: A partner company: its name, country, plants (each with its sourced capacity and date) and a note.
PARTNER_KEYS = ("company", "country", "plants", "note")
PLANT_KEYS = ("where", "capacity", "date", "note")
BASIS_KEYS = ("description", "kind", "points", "capacity")
#: Old names of production bases that still work, and the basis each now names. Until data 0.3.0
#: `reported` read IREL's '400-500 t' capacity as its output; that reading is now the basis
#: `capacity`, and `reported` names the default `output` (measured output, then IREL's plans).
BASIS_ALIASES = {"reported": "output"}
#: The basis a run uses when none is named.
DEFAULT_BASIS = "output"
#: How many tonnes of magnet a tonne of NdPr oxide makes: `chain` computes it from stoichiometry,
#: yields and composition (about 2.15 t/t); `officials` takes the officials' "roughly three tonnes".
FRAMINGS = ("chain", "officials")
FRAMING_KEYS = ("description", "magnets_per_oxide")
STOCK_KEYS = ("date", "source", "note")
BASIS_KINDS = ("annual", "fiscal", "run_rate")
DEMAND_KEYS = ("description", "base", "base_year", "growth", "from")
HALT_KEYS = ("date", "latest", "source", "note")
SHOCK_KEYS = ("start", "event", "events", "note")
YEARS = (2024, 2050)  # the reach of the data: first reported year to the end of the longest plan


@dataclass(frozen=True)
class Param:
    """A deal parameter: its unit, the unit kinds an observation may have, its bounds, and what it means."""

    unit: str
    kinds: tuple[str, ...]
    lo: float
    hi: float
    open_lo: bool
    doc: str
    group: str = ""

    def allows(self, x: float) -> bool:
        """Whether a finite `x` lies within the bounds: lo < x <= hi where the low end is open, else lo <= x <= hi."""
        return (x > self.lo if self.open_lo else x >= self.lo) and x <= self.hi

    def interval(self) -> str:
        """The bounds as an interval, e.g. "(0, 1]" (open low end) or "[0, 1]"; every out-of-bounds message uses it."""
        return f"{'(' if self.open_lo else '['}{self.lo:g}, {self.hi:g}]"


_MASS, _SHARE, _RATIO = ("mass",), ("share",), ("share", "ratio")

#: Every parameter of a deal, with unit, bounds and meaning; `group` gathers inputs a
#: sensitivity analysis should move together (they are correlated by construction).
PARAMS: dict[str, Param] = {
    # process yields (beyond stoichiometry)
    "eta_metal": Param("ratio", _RATIO, 0, 1, True,
                       "reduction of NdPr oxide to metal: t metal recovered per t metal in the oxide (beyond stoichiometry)", "yields"),
    "eta_alloy": Param("ratio", _RATIO, 0, 1, True,
                       "alloy making, strip casting and sintering: t rare earth in blocks per t in the metal charged", "yields"),
    "eta_magnet": Param("ratio", _RATIO, 0, 1, True, "machining: t finished part per t sintered block (block-to-part yield)", "yields"),
    "swarf_recovery": Param("ratio", _RATIO, 0, 1, False,
                            "rare earths recovered from machining swarf that is recycled (t per t)", "yields"),
    "swarf_recycled": Param("share", _SHARE, 0, 1, False, "share of machining swarf sent back to recycling", "yields"),
    # composition
    "w_ndpr": Param("ratio", _RATIO, 0, 1, True, "Nd + Pr in a finished sintered NdFeB magnet (t per t magnet)", "composition"),
    "w_dy": Param("ratio", _RATIO, 0, 1, False, "Dy in a finished magnet (t per t magnet)", "heavy"),
    "w_tb": Param("ratio", _RATIO, 0, 1, False, "Tb in a finished magnet (t per t magnet)", "heavy"),
    "pr_share": Param("share", _SHARE, 0, 1, False, "Pr6O11 share of the mass of IREL's NdPr oxide (the rest Nd2O3)", "composition"),
    # tolling partner
    "retained_share": Param("share", _SHARE, 0, 1, False, "share of the tolled magnets the partner keeps as payment", "partner"),
    "partner_capacity": Param("t magnet/yr", _MASS, 0, math.inf, False, "the partner's total sintered-magnet capacity", "partner"),
    "partner_spare": Param("share", _SHARE, 0, 1, False, "share of the partner's capacity free for India's oxide", "partner"),
    "partner_lead_months": Param("months", ("duration", "ratio"), 0, 60, False,
                                 "months from oxide shipped to magnets back in India (carried as a pipeline: any length up to five "
                                 "years)", "partner"),
    "partner_heavy_china": Param("share", _SHARE, 0, 1, False, "China's share of the partner's Dy and Tb", "china"),
    # India
    "domestic_capacity": Param("t magnet/yr", _MASS, 0, math.inf, False, "sintered NdFeB magnet-making capacity in India", "india"),
    "stock_initial": Param("t NdPr oxide", _MASS, 0, math.inf, False,
                           "NdPr oxide stock on the date it was observed (stock_observed in the deals file); the model back-casts "
                           "the stock at the start of 2024 from it", "india"),
    "stock_draw": Param("share", _SHARE, 0, 1, False,
                        "stock_draw_max_share: the largest share of the oxide stock held at the start of a year that magnet makers "
                        "in India may draw in that year (all of the stock: IREL's reserve and oxide a route could not take)", "india"),
    "oxide_import_cap": Param("t NdPr oxide/yr", _MASS, 0, math.inf, False,
                              "NdPr oxide India's magnet makers can import a year", "imports"),
    "oxide_china_share": Param("share", _SHARE, 0, 1, False, "China's share of India's imported NdPr oxide", "china"),
    "metal_import_cap": Param("t NdPr metal/yr", _MASS, 0, math.inf, False,
                              "NdPr metal India's magnet makers can import a year", "imports"),
    "metal_china_share": Param("share", _SHARE, 0, 1, False, "China's share of India's imported NdPr metal", "china"),
    "heavy_china_share": Param("share", _SHARE, 0, 1, False, "China's share of India's imported Dy and Tb", "china"),
    "heavy_stock_initial": Param("t Dy+Tb", _MASS, 0, math.inf, False, "Dy and Tb held by magnet makers in India at the start", "india"),
    "magnet_china_share": Param("share", _SHARE, 0, 1, False, "China's share of India's finished NdFeB magnet imports", "china"),
    # India's magnet scheme, beneficiary by beneficiary (rekit.model.simulation.scheme_capacity)
    "scheme_beneficiaries": Param("count", ("count",), 0, 5, False,
                                  "beneficiaries of India's magnet scheme with a plant (up to five)", "scheme"),
    "scheme_oxide_beneficiaries": Param("count", ("count",), 0, 5, False,
                                        "beneficiaries IREL assures NdPr oxide to (the lowest bidders, L1 first); the others source "
                                        "their own", "scheme"),
    "scheme_allocation": Param("t magnet/yr", _MASS, 0, 1200, False,
                               "sintered NdFeB capacity allocated to one beneficiary (600-1,200 t/yr in steps of 100; each "
                               "beneficiary drawn on its own)", "scheme"),
    "scheme_assured_oxide": Param("t NdPr oxide/yr", _MASS, 0, math.inf, False,
                                  "NdPr oxide IREL assures a year to the oxide beneficiaries together; the rest of its output is "
                                  "stocked", "scheme"),
    "scheme_first_sale": Param("years", ("duration",), 0, 10, False,
                               "years from the tender's technical bids (30 June 2026) to a beneficiary's first sale: the award plus "
                               "the gestation, which sales may beat", "scheme"),
    "scheme_ramp_years": Param("years", ("duration",), 0, 10, False,
                               "years from a beneficiary's first sale to its full utilisation (linear)", "scheme"),
    "scheme_utilisation": Param("share", _SHARE, 0, 1, False,
                                "a beneficiary's output at full ramp, as a share of its allocation", "scheme"),
    # recycling of end-of-life magnets in India (rekit.model.recycling; none unless a deal uses the 2025 scheme)
    "recycling_share": Param("share", _SHARE, 0, 1, False,
                             "share of the 2025 recycling scheme's expected capacity (270 kt a year, every critical mineral) "
                             "that takes NdFeB magnets", "recycling"),
    "recycling_ramp_years": Param("years", ("duration",), 0, 20, False,
                                  "years from the recycling scheme's start (2025) to that capacity (linear)", "recycling"),
    "recycling_collection": Param("share", _SHARE, 0, 1, False, "share of end-of-life magnets collected for recycling",
                                  "recycling"),
    "recycling_dismantling": Param("share", _SHARE, 0, 1, False,
                                   "share of the collected magnets' mass taken out of the products", "recycling"),
    "recycling_recovery": Param("share", _SHARE, 0, 1, False,
                                "share of each rare earth (Nd, Pr, Dy, Tb) in the processed magnets recovered as oxide", "recycling"),
    # China shock (zero unless a deal sets it)
    "shock_months": Param("months", ("duration", "ratio"), 0, 120, False,
                          "length of a cut in China's exports to India, from china_shock.start", "shock"),
    "shock_cut_heavy": Param("share", _SHARE, 0, 1, False, "share of China-origin Dy and Tb cut during the shock", "shock"),
    "shock_cut_oxide": Param("share", _SHARE, 0, 1, False, "share of China-origin NdPr oxide cut during the shock", "shock"),
    "shock_cut_metal": Param("share", _SHARE, 0, 1, False, "share of China-origin NdPr metal cut during the shock", "shock"),
    "shock_cut_magnet": Param("share", _SHARE, 0, 1, False, "share of China-origin finished magnets cut during the shock", "shock"),
    # demand (set by a demand basis; here so a run can override them)
    "demand_base": Param("t magnet", _MASS, 0, math.inf, False,
                         "India's sintered NdFeB magnet demand in the demand basis's base year", "demand"),
    "demand_growth": Param("ratio", _RATIO, 0, 1, False, "annual growth rate of India's magnet demand", "demand"),
}
#: Parameters a deal may not set: they come from the demand basis (a run may override them).
DEMAND_PARAMS = ("demand_base", "demand_growth")
DEAL_PARAMS = tuple(p for p in PARAMS if p not in DEMAND_PARAMS)


class DealError(RekitError, ValueError):
    """A deal that cannot be used: the message names the file, the deal, the key and the value."""


@dataclass(frozen=True)
class Basis:
    """A production path for IREL's NdPr oxide (t NdPr oxide a year) and the capacity that caps it."""

    name: str
    description: str
    schedule: Schedule
    capacity: Schedule
    in_nd: bool = False  # the points are in t Nd as the sources write them: a run converts them (ND_AS_NDPR_OXIDE)


@dataclass(frozen=True)
class Framing:
    """How many t of magnet a t of NdPr oxide makes: from the chain (`magnets_per_oxide` None) or a stated ratio."""

    name: str
    description: str
    magnets_per_oxide: Schedule | None


@dataclass(frozen=True)
class Demand:
    """India's magnet demand: `base` t magnet in `base_year`, growing at `growth` (a schedule) a year."""

    name: str
    description: str
    base: Schedule
    base_year: int
    growth: Schedule
    #: (end use, share, lifetime kind, a, b) of the bottom-up basis (rekit.model.demand); empty for a top-down one
    end_uses: tuple = ()

    @property
    def quantities(self) -> list[Quantity]:
        return [*self.base.quantities, *self.growth.quantities]


@dataclass(frozen=True)
class Plant:
    """One plant of a partner company: where it is, its capacity (t magnet/yr, sourced) and the date of that figure."""

    name: str
    where: str
    capacity: Quantity
    date: str  # the year (YYYY) or day (YYYY-MM-DD) the capacity figure is for


@dataclass(frozen=True)
class Partner:
    """A partner company (Shin-Etsu, Star Group, ...) and its plants, as deals.yml's `partners` gives them."""

    name: str
    company: str
    country: str
    plants: dict[str, Plant]
    note: str = ""


@dataclass(frozen=True)
class Deal:
    """One resolved deal: shares by year, parameters, and the words that explain it."""

    name: str
    description: str
    assumptions: tuple[str, ...]
    partner: str | None
    shares: dict[str, Schedule | None]  # export/toll/domestic/stock -> schedule; the `rest` share is None
    rest: str | None  # the share that takes what the others leave
    params: dict[str, Schedule]
    demand_base_year: int = 2025
    origin: str = field(default="", compare=False)
    export_halt: str | None = None  # ISO date after which the 2012 agreement's exports stop
    shock_start: str | None = None  # ISO date a China shock starts
    shock_event: str | None = None  # events.csv id the shock is modelled on
    #: the partner plants whose capacities sum to partner_capacity: (partner, plant) pairs, in file order
    partner_plants: tuple[tuple[str, str], ...] = ()
    #: every events.csv id the China shock replays (china_shock.event and china_shock.events)
    shock_events: tuple[str, ...] = ()
    #: the latest the exports may stop (export_halt.latest, ISO date): the halt's date is then uncertain
    #: between export_halt and this (params["export_halt_year"]); None: the halt is on its date
    export_halt_latest: str | None = None

    def sources(self) -> list[str]:
        """Every source a number of this deal rests on ("obs:ID", source ids, "assumption: …")."""
        qs = [q for s in [*self.shares.values(), *self.params.values()] if s is not None for q in s.quantities]
        return sorted({q.source for q in qs})


@dataclass(frozen=True)
class DealBook:
    """Production bases, demand bases and deals, as read from one or more files."""

    bases: dict[str, Basis]
    deals: dict[str, Deal]
    demands: dict[str, Demand] = field(default_factory=dict)
    default_demand: str = ""
    framings: dict[str, Framing] = field(default_factory=dict)
    stock_date: str = ""  # ISO date of the observed stock that stock_initial gives
    partners: dict[str, Partner] = field(default_factory=dict)
    #: each deal's full definition as read (its file's `defaults` merged in, `extends` followed, YAML
    #: anchors expanded): what `rekit deals --show NAME --yaml` prints and what a deal extending it starts from
    specs: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    def partner_capacity_terms(self, deal: str) -> list[tuple[str, str, Plant]]:
        """(partner, plant, Plant) behind a deal's partner_capacity, in file order: the figures a
        difference between two partner deals traces back to."""
        return [(p, k, self.partners[p].plants[k]) for p, k in self.get(deal).partner_plants]

    def framing(self, name: str) -> Framing:
        if name not in FRAMINGS:
            raise DealError(f"unknown framing {name!r}{_hint(name, FRAMINGS)}; allowed: {', '.join(FRAMINGS)}")
        return self.framings.get(name) or Framing(name, "", None)

    def basis_name(self, name: str | None) -> str:
        """The basis `name` stands for: an old name (BASIS_ALIASES) gives its new one; None the default."""
        name = DEFAULT_BASIS if name is None else name
        return BASIS_ALIASES.get(name, name) if name not in self.bases else name

    def get(self, name: str) -> Deal:
        if name not in self.deals:
            raise DealError(f"unknown deal {name!r}{_hint(name, self.deals)}; the deals are: {', '.join(self.deals)}")
        return self.deals[name]

    def basis(self, name: str | None) -> Basis:
        name = self.basis_name(name)
        if name not in self.bases:
            raise DealError(f"unknown production basis {name!r}{_hint(name, self.bases)}; allowed: {', '.join(self.bases)}")
        return self.bases[name]

    def demand(self, name: str | None = None) -> Demand:
        name = name or self.default_demand
        if name not in self.demands:
            raise DealError(f"unknown demand basis {name!r}{_hint(name, self.demands)}; allowed: {', '.join(self.demands)}")
        return self.demands[name]

    def source_ids(self, deals: list[str], basis: str, ds: Dataset, demand: str | None = None) -> list[str]:
        """The sources.csv ids behind a run: every `obs:ID` resolved to its source, plus named sources, sorted."""
        b = self.basis(basis)
        refs = {q.source for q in [*b.schedule.quantities, *b.capacity.quantities, *self.demand(demand).quantities]}
        for name in deals:
            refs.update(self.get(name).sources())
        by_obs = dict(zip(ds.observations["id"], ds.observations["source_id"], strict=True))
        known = set(ds.sources["source_id"])
        out = set()
        for ref in refs:
            for token in ref.split():
                if token.startswith("obs:") and token[4:] in by_obs:
                    out.add(by_obs[token[4:]])
                elif token in known:
                    out.add(token)
        return sorted(out)


def _hint(key: Any, allowed) -> str:
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(where: str, key: str, allowed) -> DealError:
    return DealError(f"{where}: unknown key {key!r}{_hint(key, allowed)}; allowed: {', '.join(map(str, allowed))}")


#: How a date is written in a deals file: YYYY-MM-DD, or YYYY-MM for the month's first day.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?")
DATE_FORM = f"a calendar date YYYY-MM-DD (or YYYY-MM) from {YEARS[0] - 10} to {YEARS[1]}"


def _iso(value: Any) -> str | None:
    """The ISO text of a real calendar date written as DATE_FORM says, or None (2025-02-30, 2025-6-1, 1999-01-01)."""
    if isinstance(value, dt.date):  # a mapping built in Python may hold dates; YAML files give text
        value = value.isoformat()[:10]
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        day = dt.date.fromisoformat(value + "-01" if len(value) == 7 else value)
    except ValueError:
        return None
    return day.isoformat() if YEARS[0] - 10 <= day.year <= YEARS[1] else None


def decimal_year(date: str) -> float:
    """2026-03-31 -> 2026.247: the year plus the share of it elapsed before the day."""
    d = dt.date.fromisoformat(date)
    start, end = dt.date(d.year, 1, 1), dt.date(d.year + 1, 1, 1)
    return d.year + (d - start).days / (end - start).days


class _Reader:
    """Turns the YAML mappings into Quantities, checking keys, sources, units and bounds."""

    def __init__(self, ds: Dataset, file: str):
        self.file = file
        self.path = ds.path  # the data folder (the bottom-up demand basis reads its end-use tables)
        # the columns a quantity reads, by observation id (ids are unique: observations.csv's key),
        # as plain dicts: a deal file refers to observations a few hundred times, and building a
        # pandas row for each (Dataset.obs) was most of the time it took to read one
        cols = ["id", "status", "source_id", "unit", "value", "low", "high"]
        self.obs_rows = {r["id"]: r for r in ds.observations[cols].to_dict("records")}
        self.obs_ids = set(self.obs_rows)
        self.source_ids = set(ds.sources["source_id"])
        self.event_ids = set(ds.events["id"]) if "id" in ds.events else set()
        self.control_ids = set(ds.events["id"][ds.events["kind"] == "export_control"]) if "kind" in ds.events else set()

    def quantity(self, where: str, name: str, spec: Any, param: Param) -> Quantity:
        if isinstance(spec, dict) and "grade_mix" in spec:  # a content from an application mix (rekit.model.grades)
            share = Param("share", _SHARE, 0, 1, False, "a share of India's magnet demand")
            try:
                return grades.from_spec(spec, where, name, lambda at, k, s: self.quantity(at, k, s, share),
                                        lambda at, k, s: self.quantity(at, k, s, param), param.unit)
            except RekitError as exc:
                raise DealError(str(exc)) from None
        if not isinstance(spec, dict):
            raise DealError(f"{where}, key {name!r}: value {spec!r} needs a source: write {{value: {spec}, source: assumption}} "
                            f"or {{obs: ID}} (allowed keys: {', '.join(SPEC_KEYS)})")
        for k in spec:
            if k not in SPEC_KEYS:
                raise _unknown(f"{where}, key {name!r}", k, SPEC_KEYS)
        if "obs" in spec:
            oid = spec["obs"]
            if oid not in self.obs_ids:
                raise DealError(f"{where}, key {name!r}: obs {oid!r} is not an id in observations.csv{_hint(oid, self.obs_ids)}")
            row = self.obs_rows[oid]
            if row["status"] == "withdrawn":
                raise DealError(f"{where}, key {name!r}: obs {oid!r} was withdrawn by its source ({row['source_id']}); "
                                f"a withdrawn figure is never a model input: use the revised row instead")
            if unit_kind(row["unit"]) not in param.kinds:
                raise DealError(f"{where}, key {name!r}: obs {oid!r} is in {row['unit']!r}, but {name} needs {param.unit}")
            value = spec.get("value", row["value"])  # a number: checked below with low and high
            low = spec.get("low", row["low"] if not math.isnan(row["low"]) else value)
            high = spec.get("high", row["high"] if not math.isnan(row["high"]) else value)
            source = f"obs:{oid}"
            if "source" in spec:
                self._check_source(where, name, str(spec["source"]))
                source = f"{source} {spec['source']}"
        else:
            if "value" not in spec:
                raise DealError(f"{where}, key {name!r}: give `value` (with `source`) or `obs`")
            if "source" not in spec:
                raise DealError(f"{where}, key {name!r}: value {spec['value']!r} has no source: add `source: assumption` "
                                f"(with a note saying why) or a source_id / obs:ID")
            value, low, high = spec["value"], spec.get("low", spec["value"]), spec.get("high", spec["value"])
            source = str(spec["source"])
            self._check_source(where, name, source)
        for label, x in (("value", value), ("low", low), ("high", high)):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise DealError(f"{where}, key {name!r}: {label} {x!r} is not a number")
            if not math.isfinite(x) or abs(x) > MAX_NUMBER:  # an observation without a value, or a typing error
                raise DealError(f"{where}, key {name!r}: {label} {x!r} is not a finite number within "
                                f"[{-MAX_NUMBER:g}, {MAX_NUMBER:g}]")
        value, low, high = float(value), float(low), float(high)
        if not low <= value <= high:
            raise DealError(f"{where}, key {name!r}: need low <= value <= high, got low {low:g}, value {value:g}, high {high:g}")
        for label, x in (("value", value), ("low", low), ("high", high)):
            if not param.allows(x):
                raise DealError(f"{where}, key {name!r}: {label} {x:g} is outside {param.interval()} ({param.doc})")
        return Quantity(value, low, high, param.unit, source, str(spec.get("note", "")))

    def _check_source(self, where: str, name: str, source: str) -> None:
        for token in source.split():
            if token.startswith("assumption"):
                return
            ref = token.removeprefix("obs:")
            if token.startswith("obs:") and ref not in self.obs_ids:
                raise DealError(f"{where}, key {name!r}: source {token!r} is not an id in observations.csv")
            if not token.startswith("obs:") and token not in self.source_ids:
                raise DealError(f"{where}, key {name!r}: source {token!r} is neither a source_id, obs:ID nor 'assumption'"
                                f"{_hint(token, self.source_ids)}")

    def schedule(self, where: str, name: str, spec: Any, param: Param, kind: str = "annual") -> Schedule:
        if isinstance(spec, dict) and spec and all(not isinstance(k, str) or _DATE.fullmatch(k) for k in spec) \
                and not any(k in SPEC_KEYS for k in spec):
            pts = []
            seen: dict[float, Any] = {}  # time -> the key that named it: one date written two ways is refused
            for key in spec:
                if kind == "run_rate":
                    iso = _iso(key)
                    if iso is None:
                        raise DealError(f"{where}, key {name!r}: {key!r} is not {DATE_FORM}, for a run-rate point")
                    t = decimal_year(iso)
                else:
                    t = self.year(where, name, key)
                if t in seen:
                    raise DealError(f"{where}, key {name!r}: {seen[t]!r} and {key!r} name the same date; give each "
                                    "point once")
                seen[t] = key
                pts.append((t, self.quantity(f"{where}, {key}", name, spec[key], param)))
            return Schedule(tuple(sorted(pts, key=lambda p: p[0])), kind)
        return Schedule(((0, self.quantity(where, name, spec, param)),), kind)

    def year(self, where: str, name: str, year: Any) -> int:
        if isinstance(year, bool) or not isinstance(year, int) or not YEARS[0] - 10 <= year <= YEARS[1]:
            raise DealError(f"{where}, key {name!r}: year {year!r} is not a year from {YEARS[0] - 10} to {YEARS[1]}")
        return year

    def shares(self, where: str, spec: Any) -> tuple[dict[str, Schedule | None], str | None]:
        """Share schedules by destination; the one share that is `rest` (in every year) maps to None."""
        if not isinstance(spec, dict) or not spec:
            raise DealError(f"{where}, key 'shares': expected a mapping of {', '.join(SHARE_KEYS)} (or of years to such mappings)")
        by_year = spec if all(isinstance(k, int) for k in spec) else {0: spec}
        share = Param("share", ("share",), 0, 1, False, "a share of IREL's output")
        points: dict[str, list[tuple[int, Quantity]]] = {k: [] for k in SHARE_KEYS}
        rest_names: set[str] = set()
        for year in sorted(by_year):
            at = f"{where}, year {year}" if year else where
            if year:
                self.year(where, "shares", year)
            row = by_year[year]
            if not isinstance(row, dict):
                raise DealError(f"{at}, key 'shares': expected a mapping of {', '.join(SHARE_KEYS)}, got {row!r}")
            for k in row:
                if k not in SHARE_KEYS:
                    raise _unknown(f"{at}, key 'shares'", k, SHARE_KEYS)
            missing = [k for k in SHARE_KEYS if k not in row]
            if missing:
                raise DealError(f"{at}, key 'shares': missing {', '.join(missing)} "
                                f"(give all of {', '.join(SHARE_KEYS)}; one may be `rest`)")
            rests = [k for k in SHARE_KEYS if row[k] == "rest"]
            if len(rests) > 1:
                raise DealError(f"{at}, key 'shares': only one share may be `rest`, got {', '.join(rests)}")
            qs = {k: self.quantity(at, f"shares.{k}", row[k], share) for k in SHARE_KEYS if row[k] != "rest"}
            total, top = sum(q.value for q in qs.values()), sum(q.high for q in qs.values())
            terms = " + ".join(f"{k} {q.value:g}" for k, q in qs.items())
            if rests and top > 1 + 1e-9:
                raise DealError(f"{at}, key 'shares': the shares other than {rests[0]} can reach {top:g} (> 1): {terms}")
            if not rests and (abs(total - 1) > 1e-6 or any(q.uncertain for q in qs.values())):
                raise DealError(f"{at}, key 'shares': shares do not close to 1: {terms} = {total:g}; "
                                f"make one of them `rest` or adjust the values")
            rest_names.update(rests)
            for k, q in qs.items():
                points[k].append((year, q))
        if len(rest_names) > 1 or (rest_names and points[next(iter(rest_names))]):
            raise DealError(f"{where}, key 'shares': the `rest` share must be the same one in every year")
        rest = next(iter(rest_names), None)
        return {k: (Schedule(tuple(p)) if k != rest else None) for k, p in points.items()}, rest

    def halt(self, where: str, spec: Any) -> str | None:
        """The halt's date (ISO); `latest`, if given, is read by halt_range."""
        return self.halt_range(where, spec)[0]

    def halt_range(self, where: str, spec: Any) -> tuple[str | None, str | None]:
        """(date, latest) of an export_halt mapping: the date the exports may stop first and, with
        `latest`, the last date they may stop (after the date); DealError names the key and value."""
        if spec is None:
            return None, None
        if not isinstance(spec, dict):
            raise DealError(f"{where}, key 'export_halt': expected {{date: YYYY-MM-DD, source: ID}}, got {spec!r}")
        for k in spec:
            if k not in HALT_KEYS:
                raise _unknown(f"{where}, key 'export_halt'", k, HALT_KEYS)
        iso = _iso(spec.get("date"))
        if iso is None:
            raise DealError(f"{where}, key 'export_halt': date {spec.get('date')!r} is not {DATE_FORM}")
        if "source" not in spec:
            raise DealError(f"{where}, key 'export_halt': the date {iso} needs a source (a source_id or 'assumption: why')")
        self._check_source(where, "export_halt", str(spec["source"]))
        if spec.get("latest") is None:
            return iso, None
        latest = _iso(spec["latest"])
        if latest is None or latest <= iso:
            raise DealError(f"{where}, key 'export_halt': latest {spec['latest']!r} is not a date after {iso} ({DATE_FORM})")
        return iso, latest

    def shock(self, where: str, spec: Any) -> tuple[str | None, str | None]:
        if spec is None:
            return None, None
        if not isinstance(spec, dict):
            raise DealError(f"{where}, key 'china_shock': expected {{start: YYYY-MM, event: ID}}, got {spec!r}")
        for k in spec:
            if k not in SHOCK_KEYS:
                raise _unknown(f"{where}, key 'china_shock'", k, SHOCK_KEYS)
        iso = _iso(spec.get("start"))
        if iso is None:
            raise DealError(f"{where}, key 'china_shock': start {spec.get('start')!r} is not {DATE_FORM}")
        event = spec.get("event")
        events = spec.get("events", [])
        if not isinstance(events, list):
            raise DealError(f"{where}, key 'china_shock': events must be a list of events.csv ids, got {events!r}")
        for e in ([event] if event is not None else []) + events:
            if self.event_ids and e not in self.event_ids:
                known = sorted(self.control_ids or self.event_ids)
                raise DealError(f"{where}, key 'china_shock': event {e!r} is not an id in events.csv{_hint(e, self.event_ids)}; "
                                f"the known export controls are: {', '.join(known)}")
        return iso, event


def _read_yaml(path: Path) -> dict:
    try:
        doc = read_yaml(path, "deals file")
    except YamlFileError as exc:
        raise DealError(str(exc)) from None
    if not isinstance(doc, dict):
        raise DealError(f"{path.name}: expected a mapping with keys {', '.join(TOP_KEYS)}")
    return doc


def _partner_plants(where: str, spec: Any, partners: dict[str, Partner]) -> tuple[tuple[str, str], ...]:
    """The (partner, plant) pairs a deal's `partners` names: a list of partner names (all their plants) or a
    mapping of partner names to lists of plants. DealError naming the known partners or plants otherwise."""
    if isinstance(spec, list):
        spec = {p: None for p in spec}
    if not isinstance(spec, dict) or not spec:
        raise DealError(f"{where}, key 'partners': expected a list of partner names or a mapping of partner names to "
                        f"lists of plants, got {spec!r}")
    out = []
    for p, plants in spec.items():
        if p not in partners:
            raise DealError(f"{where}, key 'partners': unknown partner {p!r}{_hint(p, partners)}; "
                            f"the known partners are: {', '.join(partners) or 'none (add them under partners:)'}")
        known = partners[p].plants
        chosen = list(known) if plants is None else plants
        if not isinstance(chosen, list):
            raise DealError(f"{where}, key 'partners': partner {p!r}: expected a list of plants, got {plants!r}")
        if not chosen:
            raise DealError(f"{where}, key 'partners': partner {p!r} has no plant with a sourced capacity "
                            f"({partners[p].note or 'its capacity is not reported'}); it cannot carry a deal's partner_capacity")
        for k in chosen:
            if k not in known:
                raise DealError(f"{where}, key 'partners': partner {p!r} has no plant {k!r}{_hint(k, known)}; "
                                f"its plants are: {', '.join(known)}")
            out.append((str(p), str(k)))
    return tuple(out)


def _summed_capacity(pairs: tuple[tuple[str, str], ...], partners: dict[str, Partner]) -> Schedule:
    """partner_capacity as the sum of the plants' capacities (value, low and high each summed), its
    sources the plants' own; t magnet/yr."""
    plants = [partners[p].plants[k] for p, k in pairs]
    terms = " + ".join(f"{p}/{k} {partners[p].plants[k].capacity.value:g} ({partners[p].plants[k].date})" for p, k in pairs)
    q = Quantity(sum(x.capacity.value for x in plants), sum(x.capacity.low for x in plants),
                 sum(x.capacity.high for x in plants), PARAMS["partner_capacity"].unit,
                 " ".join(dict.fromkeys(x.capacity.source for x in plants)), f"sum of the partners' plants: {terms}")
    return Schedule.constant(q)


def _resolve_deal(r: _Reader, name: str, raw: Any, defaults: dict, demand: Demand | None,
                  partners: dict[str, Partner] | None = None) -> Deal:
    where = f"{r.file}: deal {name!r}"
    if not isinstance(raw, dict):
        raise DealError(f"{where}: expected a mapping of keys, got {raw!r}")
    allowed = (*DEAL_META, "shares", *DEAL_PARAMS)
    for k in raw:
        if k in DEMAND_PARAMS:
            raise DealError(f"{where}: key {k!r} belongs to a demand basis (demand_bases in the deals file), not to a deal; "
                            f"choose the basis with simulate(..., demand=NAME)")
        if k not in allowed:
            raise _unknown(where, k, allowed)
    merged = {**defaults, **raw}
    if not isinstance(merged.get("description"), str) or not merged["description"].strip():
        raise DealError(f"{where}: key 'description' is missing: say in one line what the deal is")
    missing = [k for k in ("shares", *DEAL_PARAMS) if k not in merged]
    if missing:
        raise DealError(f"{where}: missing {', '.join(missing)} (set them in the deal or in `defaults`)")
    shares, rest = r.shares(where, merged["shares"])
    assumptions = merged.get("assumptions", [])
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        raise DealError(f"{where}, key 'assumptions': expected a list of sentences")
    pairs: tuple[tuple[str, str], ...] = ()
    if "partners" in merged:
        if "partner_capacity" in raw:
            raise DealError(f"{where}: give either 'partners' (their plants' capacities are summed) or 'partner_capacity', not both")
        pairs = _partner_plants(where, merged["partners"], partners or {})
    params = {p: r.schedule(where, p, merged[p], PARAMS[p]) for p in DEAL_PARAMS}
    if pairs:
        params["partner_capacity"] = _summed_capacity(pairs, partners or {})
    # t Nd per t magnet at central values, for readers that show magnets by their Nd content
    # (w_NdPr times Nd's share of NdPr metal: (1 - p)·0.8574 / ((1 - p)·0.8574 + p·0.8277))
    pr, w = params["pr_share"].quantities[0].value, params["w_ndpr"].quantities[0].value
    nd, prm = ndpr_oxide_split(pr)
    params["w_nd"] = Schedule.constant(Quantity.point(w * nd / (nd + prm), "ratio", "derived: w_ndpr x Nd share of NdPr metal"))
    if demand is not None:  # the default demand basis, so a run that overrides demand starts from it
        params["demand_base"] = demand.base
        params["demand_growth"] = demand.growth
    shock_start, shock_event = r.shock(where, merged.get("china_shock"))
    halt, halt_latest = r.halt_range(where, merged.get("export_halt"))
    if halt:
        params["export_halt_year"] = halt_schedule(halt, halt_latest, merged["export_halt"])
    shock = merged.get("china_shock") or {}
    shock_events = tuple(dict.fromkeys([*([shock["event"]] if shock.get("event") else []), *shock.get("events", [])]))
    return Deal(
        name=name,
        description=merged["description"].strip(),
        assumptions=tuple(assumptions),
        partner=merged.get("partner"),
        shares=shares,
        rest=rest,
        params=params,
        demand_base_year=demand.base_year if demand else 2025,
        origin=r.file,
        export_halt=halt,
        shock_start=shock_start,
        shock_event=shock_event,
        partner_plants=pairs,
        shock_events=shock_events,
        export_halt_latest=halt_latest,
    )


def halt_schedule(date: str, latest: str | None, spec: Mapping[str, Any]) -> Schedule:
    """When the exports stop, as a decimal year (decimal_year): a point on `date`, or with `latest` a
    triangular range from `date` (its mode: the directive) to `latest`; its source is the spec's."""
    t0 = decimal_year(date)
    t1 = decimal_year(latest) if latest else t0
    note = f"exports stop between {date} and {latest}" if latest else f"exports stop on {date}"
    return Schedule.constant(Quantity(t0, t0, t1, "year", str(spec.get("source", "")), str(spec.get("note", note))))


def _named(doc: dict, file: str, key: str, what: str, plural: str, keys: tuple[str, ...]) -> list[tuple[str, dict, str]]:
    """(name, entry, where for messages) of each entry of the section `key` (names -> mappings), its keys
    checked against `keys`; DealError naming the section, entry and key otherwise."""
    raw_all = doc.get(key) or {}
    if not isinstance(raw_all, dict):
        raise DealError(f"{file}: key {key!r} must map names to {plural}")
    out = []
    for name, raw in raw_all.items():
        where = f"{file}: {what} {name!r}"
        if not isinstance(raw, dict):
            raise DealError(f"{where}: expected a mapping with keys {', '.join(keys)}")
        for k in raw:
            if k not in keys:
                raise _unknown(where, k, keys)
        out.append((str(name), raw, where))
    return out


def _bases(r: _Reader, doc: dict, file: str) -> dict[str, Basis]:
    out = {}
    prod = Param("t NdPr oxide", ("mass",), 0, math.inf, False, "IREL's NdPr oxide output")
    cap = Param("t NdPr oxide/yr", ("mass",), 0, math.inf, False, "IREL's NdPr oxide separation capacity")
    for name, raw, where in _named(doc, file, "production_bases", "production basis", "bases", BASIS_KEYS):
        kind = raw.get("kind", "annual")
        if kind not in BASIS_KINDS:
            raise DealError(f"{where}, key 'kind': {kind!r} is not allowed; allowed: {', '.join(BASIS_KINDS)}")
        if not isinstance(raw.get("points"), dict) or not raw["points"]:
            raise DealError(f"{where}, key 'points': expected a mapping of years (or dates) to {{obs: ID}}")
        if "capacity" not in raw:
            raise DealError(f"{where}: key 'capacity' is missing (IREL's separation capacity, t NdPr oxide/yr)")
        units = {r.obs_rows[spec["obs"]]["unit"] for spec in raw["points"].values()
                 if isinstance(spec, dict) and spec.get("obs") in r.obs_ids}
        if len(units) > 1:
            raise DealError(f"{where}, key 'points': the points mix units ({', '.join(sorted(units))}); give them in one unit")
        out[name] = Basis(name, str(raw.get("description", "")).strip(),
                          r.schedule(where, "points", raw["points"], prod, kind),
                          r.schedule(where, "capacity", raw["capacity"], cap), units == {"t Nd"})
    return out


def _demands(r: _Reader, doc: dict, file: str) -> dict[str, Demand]:
    out = {}
    for name, raw, where in _named(doc, file, "demand_bases", "demand basis", "demand bases", DEMAND_KEYS):
        if "from" in raw:  # computed from the data's end uses (rekit.model.demand), beside the top-down bases
            if raw["from"] != "end_uses" or any(k not in ("from", "description") for k in raw):
                raise DealError(f"{where}: 'from' takes end_uses (the bottom-up demand of data/end_use_units.csv), "
                                f"with no base, base_year or growth of its own; got {raw!r}")
            bu = bottom_up_demand.bottom_up(r.path)
            out[name] = Demand(name, str(raw.get("description") or bu.description).strip(), Schedule.constant(bu.base),
                               bu.base_year, Schedule(tuple((float(y), q) for y, q in bu.growth)), bu.mix)
            continue
        missing = [k for k in ("base", "base_year", "growth") if k not in raw]
        if missing:
            raise DealError(f"{where}: missing {', '.join(missing)}")
        out[name] = Demand(name, str(raw.get("description", "")).strip(),
                           r.schedule(where, "base", raw["base"], PARAMS["demand_base"]),
                           r.year(where, "base_year", raw["base_year"]),
                           r.schedule(where, "growth", raw["growth"], PARAMS["demand_growth"]))
    return out


def _framings(r: _Reader, doc: dict, file: str) -> dict[str, Framing]:
    out = {}
    ratio = Param("t magnet per t NdPr oxide", _RATIO, 0, 10, True, "t sintered magnet made from a t of NdPr oxide")
    for name, raw, where in _named(doc, file, "framings", "framing", "framings", FRAMING_KEYS):
        if name not in FRAMINGS:
            raise DealError(f"{where}: unknown framing{_hint(name, FRAMINGS)}; allowed: {', '.join(FRAMINGS)}")
        spec = raw.get("magnets_per_oxide")
        if name == "officials" and spec is None:
            raise DealError(f"{where}: key 'magnets_per_oxide' is missing (t magnet per t NdPr oxide, with its source)")
        out[name] = Framing(name, str(raw.get("description", "")).strip(),
                            None if spec is None else r.schedule(where, "magnets_per_oxide", spec, ratio))
    return out


def _partners(r: _Reader, doc: dict, file: str) -> dict[str, Partner]:
    """The `partners` section: each company's plants, every plant's capacity sourced (obs:ID or value with
    source) and dated. A plant without a date or a capacity without a source is refused."""
    out = {}
    cap = PARAMS["partner_capacity"]
    for name, raw, where in _named(doc, file, "partners", "partner", "partners", PARTNER_KEYS):
        for k in ("company", "country"):
            if not isinstance(raw.get(k), str) or not raw[k].strip():
                raise DealError(f"{where}: key {k!r} is missing (the company's name and country)")
        plants_raw = raw.get("plants") or {}
        if not isinstance(plants_raw, dict):
            raise DealError(f"{where}, key 'plants': expected a mapping of plant names to {{where, capacity, date}}")
        if not plants_raw and not str(raw.get("note", "")).strip():
            raise DealError(f"{where}: no plants; say in `note` why its capacity is not given ('not reported as of DATE')")
        plants = {}
        for k, spec in plants_raw.items():
            at = f"{where}, plant {k!r}"
            if not isinstance(spec, dict):
                raise DealError(f"{at}: expected a mapping with keys {', '.join(PLANT_KEYS)}")
            for key in spec:
                if key not in PLANT_KEYS:
                    raise _unknown(at, key, PLANT_KEYS)
            if "capacity" not in spec:
                raise DealError(f"{at}: key 'capacity' is missing (t magnet/yr, with its source)")
            date = spec.get("date")
            iso = str(date) if isinstance(date, int) and not isinstance(date, bool) and YEARS[0] - 20 <= date <= YEARS[1] \
                else _iso(date)
            if iso is None:
                raise DealError(f"{at}: the capacity needs a date (the year YYYY or day YYYY-MM-DD its figure is for), got {date!r}")
            q = r.quantity(at, "capacity", spec["capacity"], cap)
            plants[str(k)] = Plant(str(k), str(spec.get("where", "")), q, iso)
        out[str(name)] = Partner(str(name), raw["company"].strip(), raw["country"].strip(), plants, str(raw.get("note", "")).strip())
    return out


def _stock_date(r: _Reader, doc: dict, file: str) -> str:
    spec = doc.get("stock_observed")
    if spec is None:
        return ""
    where = f"{file}: key 'stock_observed'"
    if not isinstance(spec, dict):
        raise DealError(f"{where}: expected {{date: YYYY-MM-DD, source: ID}}, got {spec!r}")
    for k in spec:
        if k not in STOCK_KEYS:
            raise _unknown(where, k, STOCK_KEYS)
    iso = _iso(spec.get("date"))
    if iso is None or not YEARS[0] <= int(iso[:4]) <= YEARS[1]:
        raise DealError(f"{where}: date {spec.get('date')!r} is not a date (YYYY-MM-DD) from {YEARS[0]} to {YEARS[1]}")
    if "source" not in spec:
        raise DealError(f"{where}: the date {iso} needs a source (obs:ID, a source_id or 'assumption: why')")
    r._check_source(file, "stock_observed", str(spec["source"]))
    return iso


def _build(doc: dict, file: str, ds: Dataset, base: DealBook | None, base_defaults: dict) -> DealBook:
    """Resolve one parsed deals document on top of `base` (deals and bases) and `base_defaults`."""
    for k in doc:
        if k not in TOP_KEYS:
            raise _unknown(file, k, TOP_KEYS)
    r = _Reader(ds, file)
    bases = {**(base.bases if base else {}), **_bases(r, doc, file)}
    if not bases:
        raise DealError(f"{file}: no production_bases defined")
    demands = {**(base.demands if base else {}), **_demands(r, doc, file)}
    if not demands:
        raise DealError(f"{file}: no demand_bases defined")
    default_demand = doc.get("default_demand") or (base.default_demand if base else next(iter(demands)))
    if default_demand not in demands:
        raise DealError(f"{file}: default_demand {default_demand!r} is not a demand basis{_hint(default_demand, demands)}; "
                        f"allowed: {', '.join(demands)}")
    own_defaults = doc.get("defaults") or {}
    if not isinstance(own_defaults, dict):
        raise DealError(f"{file}: key 'defaults' must be a mapping")
    for k in own_defaults:
        if k not in ("shares", *DEAL_PARAMS, *DEAL_META):
            raise _unknown(f"{file}: defaults", k, ("shares", *DEAL_PARAMS))
    defaults = {**base_defaults, **own_defaults}
    raw_deals = doc.get("deals") or ({} if base is not None and doc.get("settings") else None)
    if not isinstance(raw_deals, dict) or (not raw_deals and not doc.get("settings")):
        raise DealError(f"{file}: key 'deals' must map deal names to their definitions")
    partners = {**(base.partners if base else {}), **_partners(r, doc, file)}
    deals = dict(base.deals) if base else {}
    specs = dict(base.specs) if base else {}
    for name in raw_deals:
        if name in deals:
            raise DealError(f"{file}: deal {name!r} already exists in {deals[name].origin}; give yours another name")
    for name, (own, start) in _extended(file, raw_deals, specs, defaults).items():
        deals[name] = _resolve_deal(r, name, own, start, demands[default_demand], partners)
        specs[name] = {**start, **own}  # shares the parsed document's mappings: read, never changed
        if isinstance(raw_deals[name], dict) and "extends" in raw_deals[name]:
            specs[name]["extends"] = raw_deals[name]["extends"]  # named in captions (rekit.model.custom.settings_note)
    deals.update(_settings(doc.get("settings"), file, deals))
    framings = {**(base.framings if base else {}), **_framings(r, doc, file)}
    stock_date = _stock_date(r, doc, file) or (base.stock_date if base else "")
    return DealBook(bases, deals, demands, default_demand, framings, stock_date, partners, specs)


def _settings(spec: Any, file: str, deals: Mapping[str, Deal]) -> dict[str, Deal]:
    """The deals a file's `settings` section changes ({DEAL: {PARAM: VALUE}}: the parameter fixed at the value,
    in its unit, every year, its source "user override"), any deal read so far, a preset included; what
    `rekit run --set` writes. DealError names the deal, parameter and value that cannot be used."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise DealError(f"{file}: key 'settings' must map deal names to {{parameter: value}}, got {spec!r}")
    allowed = [p for p in PARAMS if p not in DEMAND_PARAMS]
    out = {}
    for name, values in spec.items():
        where = f"{file}: settings of deal {name!r}"
        if name not in deals:
            raise DealError(f"{file}: settings: {name!r} is not a deal{_hint(name, deals)}; the deals are: {', '.join(deals)}")
        if not isinstance(values, dict) or not values:
            raise DealError(f"{where}: expected a mapping of parameters to values, got {values!r}")
        params = dict(deals[name].params)
        for key, value in values.items():
            if key not in allowed:
                raise DealError(f"{where}: unknown parameter {key!r}{_hint(key, allowed)}; the parameters are: {', '.join(allowed)}")
            p = PARAMS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise DealError(f"{where}, {key}: {value!r} is not a number (in {p.unit})")
            if not p.allows(value):
                raise DealError(f"{where}, {key}: {value:g} is outside {p.interval()} ({p.unit}: {p.doc})")
            params[key] = Schedule.constant(Quantity.point(float(value), p.unit, "user override"))
        out[str(name)] = replace(deals[name], params=params)
    return out


def _extended(file: str, raw_deals: dict, known: Mapping[str, dict], defaults: dict) -> dict[str, tuple[Any, dict]]:
    """(own keys, what they are merged onto) of each deal of a file, in file order: a deal without
    `extends` starts from the file's `defaults`; `extends: NAME` starts from the full definition of
    NAME (a deal of this file, resolved first, or one already read: `known`, e.g. a bundled preset)
    and overrides what it gives. Without a description of its own it says what it extends and what it
    changes; a `partner_capacity` of its own replaces the `partners` it would inherit. DealError
    names an unknown deal or the cycle of a deal that extends itself."""
    out: dict[str, tuple[Any, dict]] = {}

    def full(name: str, chain: tuple[str, ...]) -> dict:
        if name in out:
            own, start = out[name]
            return {**start, **own}
        if name not in raw_deals:
            return known[name]
        raw = raw_deals[name]
        if not isinstance(raw, dict) or "extends" not in raw:
            out[name] = (raw, defaults)
            return full(name, chain)
        where = f"{file}: deal {name!r}, key 'extends'"
        parent = raw["extends"]
        if not isinstance(parent, str) or (parent not in raw_deals and parent not in known):
            names = [*known, *(str(n) for n in raw_deals if n not in known)]
            raise DealError(f"{where}: {parent!r} is not a deal{_hint(parent, names)}; the deals are: {', '.join(names)}")
        if parent in chain or parent == name:
            loop = [*chain[chain.index(parent):], name, parent] if parent in chain else [name, parent]
            raise DealError(f"{where}: a cycle of extends ({' -> '.join(loop)}); a deal cannot extend itself, directly or not")
        start = dict(full(parent, (*chain, name)))
        own = {k: v for k, v in raw.items() if k != "extends"}
        if "partner_capacity" in own and "partners" not in own:
            start.pop("partners", None)
        if "description" not in own:
            changed = ", ".join(str(k) for k in own) or "nothing"
            own["description"] = f"As {parent}, with {changed} changed: {str(start.get('description', '')).strip()}"
        out[name] = (own, start)
        return {**start, **own}

    for name in raw_deals:
        full(str(name), ())
    return {str(n): out[str(n)] for n in raw_deals}


def load_deals(extra: str | Path | Mapping[str, Any] | None = None, ds: Dataset | None = None,
               name: str = "your deals") -> DealBook:
    """The bundled deals (deals.yml beside the data), plus a user's deals if given.

    `extra` is a deals file (YAML, the layout of data/deals.yml) or the same document already in
    memory as a mapping (``{"deals": {"my_deal": {...}}}``); `name` names an in-memory document
    in messages. Either is checked the same way; its deals inherit the bundled `defaults`.
    """
    ds = ds or load()
    bundled = ds.path / DEALS_FILE if (ds.path / DEALS_FILE).exists() else BUNDLED_DATA / DEALS_FILE
    doc = _read_yaml(bundled)
    book = _build(doc, bundled.name, ds, None, {})
    if extra is None:
        return book
    if isinstance(extra, Mapping):
        return _build(dict(extra), name, ds, book, doc.get("defaults") or {})
    extra = Path(extra)
    return _build(_read_yaml(extra), extra.name, ds, book, doc.get("defaults") or {})
