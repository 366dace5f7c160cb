"""Custom deals: a deal's full definition as YAML to copy, settings that override one deal's parameters, and the
settings that have no effect.

- `deal_yaml(book, name)`: the deal as a deals file of its own (the file's `defaults` merged in, `extends`
  followed, YAML anchors expanded), which `load_deals` reads back once the deal is renamed;
- `parse_settings(items, deals)`: ``DEAL.PARAM=VALUE`` (or ``PARAM=VALUE`` when one deal runs), each
  parameter known (rekit.model.deals.PARAMS) and its value within the parameter's bounds;
- `with_settings(book, settings)`: the book with each named deal's parameters fixed to those values (the
  other deals untouched, so a preset and its variant share a chart);
- `no_effect(deal)`: warnings for settings that change nothing (partners with no tolled share, a tolled
  share with no partner capacity, a stock draw with no stock or no one to draw it) or that the model
  fills in (share years that are skipped and interpolated).

A setting is written as the deals file writes it: the parameter's unit is PARAMS[name].unit (shares and
ratios as fractions, 0.4 not 40%).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import yaml

from rekit.errors import RekitError
from rekit.model.deals import DEMAND_PARAMS, PARAMS, SHARE_KEYS, Deal, DealBook, DealError
from rekit.model.quantities import highest
from rekit.model.simulation import apply_overrides

__all__ = ["SettingError", "deal_yaml", "parse_settings", "with_settings", "settings_label", "settings_note", "no_effect"]


class SettingError(RekitError, ValueError):
    """A --set that cannot be used: the message names the setting given and what is allowed."""


class _ExpandedDumper(yaml.SafeDumper):
    """PyYAML's safe dumper writing every shared mapping out in full (no &anchors or *aliases)."""

    def ignore_aliases(self, data) -> bool:  # PyYAML's public hook for this
        return True


def deal_yaml(book: DealBook, name: str) -> str:
    """Deal `name` as a deals document of its own (YAML): every key written out, no anchor or alias, so it
    reads on its own once renamed (a deal may not take a name the bundled file already has)."""
    deal = book.get(name)
    spec = book.specs.get(name)
    if spec is None:
        raise DealError(f"deal {name!r} has no definition to show (it was built in code, not read from a deals file)")
    ordered = {k: spec[k] for k in ("description", "assumptions") if k in spec}
    ordered.update((k, v) for k, v in spec.items() if k not in ordered and k != "extends")  # written out in full
    if "partners" in ordered:  # the partners' plants give partner_capacity: the default's 0 would contradict them
        ordered.pop("partner_capacity", None)
    body = yaml.dump({"deals": {name: ordered}}, Dumper=_ExpandedDumper, sort_keys=False, allow_unicode=True, width=10_000)
    head = (f"# {name} as read from {deal.origin or 'the deals file'}: every parameter, the defaults merged in, no anchors.\n"
            f"# Copy it into a deals file of your own and rename it (e.g. my_{name}), then change what you need;\n"
            f"# or write only `extends: {name}` and the keys you change. Use it with --deals FILE.\n")
    return head + body


def parse_settings(items: Iterable[str] | None, deals: list[str], option: str = "--set") -> dict[str, dict[str, float]]:
    """{deal: {parameter: value}} from ``DEAL.PARAM=VALUE`` items (``PARAM=VALUE`` names the one deal
    of a run of one deal). SettingError names the item and what is allowed: an unknown deal or
    parameter, a demand parameter (set by --demand), a value that is not a finite number or is outside the
    parameter's bounds, or one setting given twice."""
    out: dict[str, dict[str, float]] = {}
    for item in items or []:
        key, eq, text = str(item).partition("=")
        key, text = key.strip(), text.strip()
        if not eq or not key or not text:
            raise SettingError(f"{option} {item!r}: expected DEAL.PARAM=VALUE (or PARAM=VALUE with one deal), "
                               "e.g. toll_korea.partner_spare=0.4")
        deal, dot, param = key.rpartition(".")
        if not dot:
            if len(deals) != 1:
                raise SettingError(f"{option} {item!r}: this run has {len(deals)} deals ({', '.join(deals)}); name the one "
                                   f"to change as DEAL.{key}={text}")
            deal = deals[0]
        if deal not in deals:
            raise SettingError(f"{option} {item!r}: deal {deal!r} is not in this run{_hint(deal, deals)}; "
                               f"the deals run are: {', '.join(deals)}")
        if param in DEMAND_PARAMS:
            raise SettingError(f"{option} {item!r}: {param} belongs to the demand basis, which every deal of a run shares; "
                               "choose one with --demand")
        allowed = [p for p in PARAMS if p not in DEMAND_PARAMS]
        if param not in allowed:
            raise SettingError(f"{option} {item!r}: unknown parameter {param!r}{_hint(param, allowed)}; "
                               f"the parameters are: {', '.join(allowed)}")
        p = PARAMS[param]
        try:
            value = float(text)
        except ValueError:
            raise SettingError(f"{option} {item!r}: {text!r} is not a number (in {p.unit})") from None
        if not math.isfinite(value):  # as the deals file's `settings`: inf would reach the model as 0 x inf = nan
            raise SettingError(f"{option} {item!r}: {text!r} is not a finite number (in {p.unit})")
        if not p.allows(value):
            raise SettingError(f"{option} {item!r}: {text} is outside {p.interval()}, the range of {param} ({p.unit}: {p.doc})")
        if param in out.get(deal, {}):
            raise SettingError(f"{option} {item!r}: {deal}.{param} is set twice; give it once")
        out.setdefault(deal, {})[param] = value
    return out


def _hint(name: str, allowed: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def with_settings(book: DealBook, settings: Mapping[str, Mapping[str, float]]) -> DealBook:
    """`book` with each deal of `settings` given those parameter values (a point each, every year, its
    source "user override"); the other deals are the same objects."""
    if not settings:
        return book
    deals = dict(book.deals)
    for name, values in settings.items():
        deals[name] = apply_overrides(book.get(name), values)
    return dataclasses.replace(book, deals=deals)


def settings_label(settings: Mapping[str, Mapping[str, float]]) -> str:
    """'toll_korea.partner_spare=0.4; toll_japan.retained_share=0.1' ('' for none): how captions and
    downloads name the settings of a run."""
    return "; ".join(f"{d}.{p}={v:g}" for d, values in settings.items() for p, v in values.items())


def settings_note(book: DealBook, deals: Iterable[str]) -> str:
    """What a caption says of deals built on others or set by hand: 'Deals of your own: korea_free extends
    toll_korea. Set by hand: toll_korea partner_spare 0.4.' ('' when none of `deals` is either)."""
    based, fixed = [], []
    for name in deals:
        parent = book.specs.get(name, {}).get("extends")
        if parent:
            based.append(f"{name} extends {parent}")
        deal = book.get(name)
        hand = [f"{k} {s.quantities[0].value:g}" for k, s in deal.params.items()
                if len(s.quantities) == 1 and s.quantities[0].source == "user override"]
        if hand:
            fixed.append(f"{name} {', '.join(hand)}")
    return " ".join(part for part in (f"Deals of your own: {'; '.join(based)}." if based else "",
                                      f"Set by hand: {'; '.join(fixed)}." if fixed else "") if part)


def no_effect(deal: Deal) -> list[str]:
    """Warnings for `deal`'s settings that change nothing, or that the model fills in; each names the setting."""
    out = []
    p = deal.params
    tolls = deal.rest == "toll" or highest(deal.shares.get("toll")) > 0
    has_partner = bool(deal.partner_plants) or highest(p.get("partner_capacity")) > 0
    if has_partner and not tolls:
        what = "partners" if deal.partner_plants else "partner_capacity"
        out.append(f"deal {deal.name!r}: {what} has no effect: shares.toll is 0 in every year, so no oxide goes to the partner")
    if tolls and not has_partner:
        out.append(f"deal {deal.name!r}: shares.toll has no effect: the deal has no partners and partner_capacity 0, so the "
                   "tolled oxide makes no magnets (it is stocked); name partners or give a partner_capacity")
    if highest(p.get("stock_draw")) > 0:
        stocked = deal.rest == "stock" or highest(deal.shares.get("stock")) > 0 or highest(p.get("stock_initial")) > 0
        makers = any(highest(p.get(k)) > 0 for k in ("domestic_capacity", "scheme_beneficiaries"))
        if not stocked:
            out.append(f"deal {deal.name!r}: stock_draw has no effect: there is no stock (stock_initial 0 and no share stocked)")
        elif not makers:
            out.append(f"deal {deal.name!r}: stock_draw has no effect: no magnet maker in India draws it "
                       "(domestic_capacity 0 and no scheme_beneficiaries)")
    schedules = [s for s in (deal.shares.get(k) for k in SHARE_KEYS) if s is not None]
    years = sorted({int(t) for s in schedules for t, _ in s.points if t})  # year 0: one row for every year
    gaps = [(a, b) for a, b in zip(years, years[1:], strict=False) if b - a > 1]
    for a, b in gaps:
        skipped = f"{a + 1}" if b - a == 2 else f"{a + 1}-{b - 1}"
        out.append(f"deal {deal.name!r}: shares skip {skipped}: interpolated linearly between the shares of {a} and {b}")
    return out
