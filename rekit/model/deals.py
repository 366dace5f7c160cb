"""Partner deals as data: read, check and resolve data/deals.yml (or a user's own file).

A deal says where IREL's neodymium oxide goes each year (shares to exports, to a tolling
partner, to domestic magnet making, to stock), what the partner keeps, the process yields,
the capacities, and India's magnet demand. Every number names its source: an observation
(`obs: ID`, whose value, range and unit are taken from data/), a source_id, or the word
`assumption` with its reason. Unknown keys are errors, never silently ignored.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from rekit.data.dataset import Dataset, load
from rekit.model.quantities import Quantity, Schedule
from rekit.data.units import unit_kind
from rekit.paths import BUNDLED_DATA, DEALS_FILE
from rekit.data.yamlfile import YamlFileError, read_yaml
from rekit.errors import RekitError

SHARE_KEYS = ("export", "toll", "domestic", "stock")
SPEC_KEYS = ("obs", "value", "low", "high", "source", "note")
TOP_KEYS = ("version", "production_bases", "defaults", "deals")
DEAL_META = ("description", "assumptions", "partner")
BASIS_KEYS = ("description", "points")
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


PARAMS: dict[str, Param] = {
    "retained_share": Param("share", ("share",), 0, 1, False, "share of the tolled magnets the partner keeps as payment"),
    "eta_metal": Param("ratio", ("share", "ratio"), 0, 1, True, "oxide-to-metal yield (t Nd out per t Nd in)"),
    "eta_magnet": Param("ratio", ("share", "ratio"), 0, 1, True, "metal-to-finished-magnet yield (t Nd in magnets per t Nd metal)"),
    "w_nd": Param("ratio", ("share", "ratio"), 0, 1, True, "Nd content of an NdFeB magnet (t Nd per t magnet)"),
    "demand_base": Param("t magnet", ("mass",), 0, math.inf, False, "India's rare-earth (NdFeB) magnet demand in demand_base_year"),
    "demand_growth": Param("ratio", ("ratio", "share"), 0, 1, False, "annual growth rate of India's magnet demand"),
    "partner_capacity": Param("t magnet/yr", ("mass",), 0, math.inf, False, "magnet output the tolling partner can give India's oxide"),
    "domestic_capacity": Param("t magnet/yr", ("mass",), 0, math.inf, False, "NdFeB magnet-making capacity in India"),
}
SCALAR_META = {"demand_base_year": "year of demand_base"}


class DealError(RekitError, ValueError):
    """A deal that cannot be used: the message names the file, the deal, the key and the value."""


@dataclass(frozen=True)
class Basis:
    """A production path for IREL's neodymium (t Nd), from observations."""

    name: str
    description: str
    schedule: Schedule


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
    demand_base_year: int
    origin: str = field(default="", compare=False)

    def sources(self) -> list[str]:
        """Every source a number of this deal rests on ("obs:ID", source ids, "assumption: …")."""
        qs = [q for s in [*self.shares.values(), *self.params.values()] if s is not None for q in s.quantities]
        return sorted({q.source for q in qs})


@dataclass(frozen=True)
class DealBook:
    """Production bases and deals, as read from one or more files."""

    bases: dict[str, Basis]
    deals: dict[str, Deal]

    def get(self, name: str) -> Deal:
        if name not in self.deals:
            raise DealError(f"unknown deal {name!r}; the deals are: {', '.join(self.deals)}")
        return self.deals[name]

    def basis(self, name: str) -> Basis:
        if name not in self.bases:
            raise DealError(f"unknown production basis {name!r}; allowed: {', '.join(self.bases)}")
        return self.bases[name]

    def source_ids(self, deals: list[str], basis: str, ds: Dataset) -> list[str]:
        """The sources.csv ids behind a run: every `obs:ID` resolved to its source, plus named sources, sorted."""
        refs = {q.source for q in self.basis(basis).schedule.quantities}
        for name in deals:
            refs.update(self.get(name).sources())
        by_obs = dict(zip(ds.observations["id"], ds.observations["source_id"]))
        known = set(ds.sources["source_id"])
        out = set()
        for ref in refs:
            for token in ref.split():
                if token.startswith("obs:") and token[4:] in by_obs:
                    out.add(by_obs[token[4:]])
                elif token in known:
                    out.add(token)
        return sorted(out)


def _unknown(where: str, key: str, allowed) -> DealError:
    close = difflib.get_close_matches(str(key), list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return DealError(f"{where}: unknown key {key!r}{hint}; allowed: {', '.join(map(str, allowed))}")


class _Reader:
    """Turns the YAML mappings into Quantities, checking keys, sources, units and bounds."""

    def __init__(self, ds: Dataset, file: str):
        self.ds = ds
        self.file = file
        self.obs_ids = set(ds.observations["id"])
        self.source_ids = set(ds.sources["source_id"])

    def quantity(self, where: str, name: str, spec: Any, param: Param) -> Quantity:
        if not isinstance(spec, dict):
            raise DealError(f"{where}, key {name!r}: value {spec!r} needs a source: write {{value: {spec}, source: assumption}} "
                            f"or {{obs: ID}} (allowed keys: {', '.join(SPEC_KEYS)})")
        for k in spec:
            if k not in SPEC_KEYS:
                raise _unknown(f"{where}, key {name!r}", k, SPEC_KEYS)
        if "obs" in spec:
            oid = spec["obs"]
            if oid not in self.obs_ids:
                raise DealError(f"{where}, key {name!r}: obs {oid!r} is not an id in observations.csv")
            row = self.ds.obs(oid)
            if unit_kind(row["unit"]) not in param.kinds:
                raise DealError(f"{where}, key {name!r}: obs {oid!r} is in {row['unit']!r}, but {name} needs {param.unit}")
            value = float(spec.get("value", row["value"]))
            low = spec.get("low", row["low"] if not math.isnan(row["low"]) else value)
            high = spec.get("high", row["high"] if not math.isnan(row["high"]) else value)
            source = f"obs:{oid}"
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
        value, low, high = float(value), float(low), float(high)
        if not low <= value <= high:
            raise DealError(f"{where}, key {name!r}: need low <= value <= high, got low {low:g}, value {value:g}, high {high:g}")
        for label, x in (("value", value), ("low", low), ("high", high)):
            below = x <= param.lo if param.open_lo else x < param.lo
            if below or x > param.hi:
                lo_txt = f"({param.lo:g}" if param.open_lo else f"[{param.lo:g}"
                raise DealError(f"{where}, key {name!r}: {label} {x:g} is outside {lo_txt}, {param.hi:g}] ({param.doc})")
        return Quantity(value, low, high, param.unit, source, str(spec.get("note", "")))

    def _check_source(self, where: str, name: str, source: str) -> None:
        for token in source.split():
            if token.startswith("assumption"):
                return
            ref = token.removeprefix("obs:")
            if token.startswith("obs:") and ref not in self.obs_ids:
                raise DealError(f"{where}, key {name!r}: source {token!r} is not an id in observations.csv")
            if not token.startswith("obs:") and token not in self.source_ids:
                raise DealError(f"{where}, key {name!r}: source {token!r} is neither a source_id, obs:ID nor 'assumption'")

    def schedule(self, where: str, name: str, spec: Any, param: Param) -> Schedule:
        if isinstance(spec, dict) and spec and all(isinstance(k, int) for k in spec):
            pts = []
            for year in sorted(spec):
                self.year(where, name, year)
                pts.append((year, self.quantity(f"{where}, year {year}", name, spec[year], param)))
            return Schedule(tuple(pts))
        return Schedule.constant(self.quantity(where, name, spec, param))

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
                raise DealError(f"{at}, key 'shares': missing {', '.join(missing)} (give all of {', '.join(SHARE_KEYS)}; one may be `rest`)")
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


def _read_yaml(path: Path) -> dict:
    try:
        doc = read_yaml(path, "deals file")
    except YamlFileError as exc:
        raise DealError(str(exc)) from None
    if not isinstance(doc, dict):
        raise DealError(f"{path.name}: expected a mapping with keys {', '.join(TOP_KEYS)}")
    for k in doc:
        if k not in TOP_KEYS:
            raise _unknown(path.name, k, TOP_KEYS)
    return doc


def _resolve_deal(r: _Reader, name: str, raw: Any, defaults: dict) -> Deal:
    where = f"{r.file}: deal {name!r}"
    if not isinstance(raw, dict):
        raise DealError(f"{where}: expected a mapping of keys, got {raw!r}")
    allowed = (*DEAL_META, "shares", *PARAMS, *SCALAR_META)
    for k in raw:
        if k not in allowed:
            raise _unknown(where, k, allowed)
    merged = {**defaults, **raw}
    if not isinstance(merged.get("description"), str) or not merged["description"].strip():
        raise DealError(f"{where}: key 'description' is missing: say in one line what the deal is")
    missing = [k for k in ("shares", *PARAMS, "demand_base_year") if k not in merged]
    if missing:
        raise DealError(f"{where}: missing {', '.join(missing)} (set them in the deal or in `defaults`)")
    shares, rest = r.shares(where, merged["shares"])
    assumptions = merged.get("assumptions", [])
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        raise DealError(f"{where}, key 'assumptions': expected a list of sentences")
    return Deal(
        name=name,
        description=merged["description"].strip(),
        assumptions=tuple(assumptions),
        partner=merged.get("partner"),
        shares=shares,
        rest=rest,
        params={p: r.schedule(where, p, merged[p], PARAMS[p]) for p in PARAMS},
        demand_base_year=r.year(where, "demand_base_year", merged["demand_base_year"]),
        origin=r.file,
    )


def _build(doc: dict, file: str, ds: Dataset, base: DealBook | None, base_defaults: dict) -> DealBook:
    """Resolve one parsed deals file on top of `base` (deals and bases) and `base_defaults`."""
    r = _Reader(ds, file)
    bases = dict(base.bases) if base else {}
    prod = Param("t Nd", ("mass",), 0, math.inf, False, "IREL's neodymium output")
    for name, raw in (doc.get("production_bases") or {}).items():
        where = f"{file}: production basis {name!r}"
        if not isinstance(raw, dict):
            raise DealError(f"{where}: expected a mapping with keys {', '.join(BASIS_KEYS)}")
        for k in raw:
            if k not in BASIS_KEYS:
                raise _unknown(where, k, BASIS_KEYS)
        if not isinstance(raw.get("points"), dict) or not raw["points"]:
            raise DealError(f"{where}, key 'points': expected a mapping of years to {{obs: ID}}")
        bases[name] = Basis(name, str(raw.get("description", "")).strip(), r.schedule(where, "points", raw["points"], prod))
    if not bases:
        raise DealError(f"{file}: no production_bases defined")
    own_defaults = doc.get("defaults") or {}
    if not isinstance(own_defaults, dict):
        raise DealError(f"{file}: key 'defaults' must be a mapping")
    for k in own_defaults:
        if k not in ("shares", *PARAMS, *SCALAR_META):
            raise _unknown(f"{file}: defaults", k, ("shares", *PARAMS, *SCALAR_META))
    defaults = {**base_defaults, **own_defaults}
    raw_deals = doc.get("deals")
    if not isinstance(raw_deals, dict) or not raw_deals:
        raise DealError(f"{file}: key 'deals' must map deal names to their definitions")
    deals = dict(base.deals) if base else {}
    for name, raw in raw_deals.items():
        if name in deals:
            raise DealError(f"{file}: deal {name!r} already exists in {deals[name].origin}; give yours another name")
        deals[str(name)] = _resolve_deal(r, str(name), raw, defaults)
    return DealBook(bases, deals)


def load_deals(extra: str | Path | Mapping[str, Any] | None = None, ds: Dataset | None = None,
               name: str = "your deals") -> DealBook:
    """The bundled deals (deals.yml beside the data), plus a user's deals if given.

    `extra` is a deals file (YAML, the layout of data/deals.yml) or the same document already in
    memory as a mapping (``{"deals": {"my_deal": {...}}}``); `name` names an in-memory document
    in messages. Either is checked the same way.
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
