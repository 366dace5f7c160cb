"""The Dy content of a tonne of India's magnets from a grade mix: shares of applications times their contents.

A magnet's heavy-rare-earth content depends on its grade, and the grade on what the magnet is for
(EV traction, industrial motors, electronics, wind). With each application a's share s_a of the
magnets (t magnet per t magnet, the shares summing to 1) and its content c_a (t Dy per t magnet),
the content of a tonne of the mix is

    w = Σ_a s_a · c_a                                               (t Dy per t magnet)

Its central value takes the central shares and contents. Its low and high are the extremes of
Σ_a s_a · c_a over every mix the share ranges allow (l_a ≤ s_a ≤ u_a, Σ_a s_a = 1), with each content
at its low (for the low) or its high (for the high). That is a linear programme over a
box-constrained simplex; with t_a = s_a − l_a it becomes the continuous knapsack
min (or max) Σ_a c_a t_a subject to Σ_a t_a = 1 − Σ_a l_a and 0 ≤ t_a ≤ u_a − l_a, whose unit
weights make the greedy rule exact (Dantzig, G. B. (1957), "Discrete-variable extremum problems",
Operations Research 5(2), 266-288; an exchange argument: moving share from a dearer to a cheaper
application never raises the sum): every share starts at its low, and what is left goes to the
application with the lowest content (for the low; the highest for the high) up to its high, then to
the next, until the shares sum to 1. Applications of equal content come in the order given.

data/deals.yml's `w_dy: {grade_mix: {shares: {...}, contents: {...}}}` is read through `from_spec`
(called by rekit.model.deals), which yields an ordinary Quantity whose source names every input and
the arithmetic. Bad input is a RekitError naming where (the deal and key), the application and the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rekit.errors import RekitError
from rekit.model.quantities import Quantity

#: How far the central shares may miss 1 (a sum of decimal fractions is rarely exactly 1 in floating point).
TOLERANCE = 1e-9
#: The keys of a grade_mix mapping in a deals file.
MIX_KEYS = ("shares", "contents")


def _check_quantity(where: str, what: str, a: str, q: Quantity) -> None:
    """Refuse a share or content outside [0, 1], or whose low is above its high."""
    for label, x in (("value", q.value), ("low", q.low), ("high", q.high)):
        if not 0 <= x <= 1:
            raise RekitError(f"{where}: {what} of {a!r}: {label} {x:g} is outside [0, 1]")
    if q.low > q.high:
        raise RekitError(f"{where}: {what} of {a!r}: low {q.low:g} is above high {q.high:g}")


def _check_central(where: str, what: str, a: str, q: Quantity) -> None:
    if not q.low <= q.value <= q.high:
        raise RekitError(f"{where}: {what} of {a!r}: value {q.value:g} is outside its range {q.low:g}-{q.high:g}")


def check(shares: Mapping[str, Quantity], contents: Mapping[str, Quantity], where: str = "grade_mix") -> None:
    """Refuse a mix that cannot be computed, in this order: no application; an application with a share
    and no content (or the reverse); a share or content outside [0, 1] or with its low above its high;
    the shares' lows summing above 1 or highs below 1 (no mix fits the ranges); central shares not
    summing to 1 (± TOLERANCE); a central value outside its own range."""
    if not shares:
        raise RekitError(f"{where}: no applications: give each one's share and content")
    for a in shares:
        if a not in contents:
            raise RekitError(f"{where}: application {a!r} has a share and no content; the contents are for: "
                             f"{', '.join(contents) or 'none'}")
    for a in contents:
        if a not in shares:
            raise RekitError(f"{where}: application {a!r} has a content and no share; the shares are for: {', '.join(shares)}")
    for a, q in shares.items():
        _check_quantity(where, "share", a, q)
    for a, q in contents.items():
        _check_quantity(where, "content", a, q)
    # the ranges first (no mix fits them), then the central shares, then each central value within its range
    for label, pick, bad in (("shares' lows", lambda q: q.low, lambda s: s > 1 + TOLERANCE),
                             ("shares' highs", lambda q: q.high, lambda s: s < 1 - TOLERANCE),
                             ("central shares", lambda q: q.value, lambda s: abs(s - 1) > TOLERANCE)):
        total = sum(pick(q) for q in shares.values())
        if bad(total):
            terms = " + ".join(f"{a} {pick(q):.12g}" for a, q in shares.items())  # 12 digits: a sum 1e-8 off 1 shows it
            raise RekitError(f"{where}: the {label} sum to {total:.12g} ({terms}); "
                             + ("they must sum to 1" if label == "central shares" else
                                "no mix of shares within their ranges sums to 1"))
    for a, q in shares.items():
        _check_central(where, "share", a, q)
    for a, q in contents.items():
        _check_central(where, "content", a, q)


def extreme_shares(shares: Mapping[str, Quantity], contents: Mapping[str, float], lowest: bool) -> dict[str, float]:
    """The shares (in the order given) that make Σ_a s_a · c_a lowest (or highest) within the share
    ranges, by the greedy rule: every share at its low, then what is left to the application of the
    lowest (highest) content up to its high, then to the next. `contents` are the contents used
    (lows for the low end, highs for the high end); the ranges are taken as checked (`check`)."""
    out = {a: q.low for a, q in shares.items()}
    left = 1 - sum(out.values())
    for a in sorted(shares, key=lambda a: contents[a], reverse=not lowest):  # sorted is stable: ties keep their order
        add = min(shares[a].high - out[a], max(left, 0.0))
        out[a] += add
        left -= add
    return out


def grade_mix(shares: Mapping[str, Quantity], contents: Mapping[str, Quantity], where: str = "grade_mix",
              unit: str = "ratio") -> Quantity:
    """The content of a tonne of the mix, w = Σ_a s_a · c_a (t Dy per t magnet; the module's docstring).

    value: the central shares times the central contents; low: the lowest Σ s_a · c_a over the share
    ranges with the contents at their lows; high: the highest with the contents at their highs
    (greedy rule, exact for this linear programme). Its source names every share's and content's
    source and the arithmetic; RekitError (naming `where`, the application and the value) on bad input.
    """
    check(shares, contents, where)
    names = list(shares)
    value = sum(shares[a].value * contents[a].value for a in names)
    lo_c = {a: contents[a].low for a in names}
    hi_c = {a: contents[a].high for a in names}
    lo_s = extreme_shares(shares, lo_c, lowest=True)
    hi_s = extreme_shares(shares, hi_c, lowest=False)
    low = sum(lo_s[a] * lo_c[a] for a in names)
    high = sum(hi_s[a] * hi_c[a] for a in names)
    # the extremes of a linear function bracket its value at any feasible point, central included;
    # min/max only absorb the last floating-point digit
    low, high = min(low, value), max(high, value)

    def terms(s: Mapping[str, float], c: Mapping[str, float]) -> str:
        return " + ".join(f"{s[a]:g} × {c[a]:g}" for a in names)

    source = (f"derived: Σ share × content over {', '.join(names)}: value "
              f"{terms({a: shares[a].value for a in names}, {a: contents[a].value for a in names})} = {value:.6g}; "
              f"low {terms(lo_s, lo_c)} = {low:.6g}; high {terms(hi_s, hi_c)} = {high:.6g} | "
              # " | " between the inputs, so each source's last token (an obs:ID, a source_id) stands alone
              + " | ".join(f"share of {a}: {shares[a].source}" for a in names) + " | "
              + " | ".join(f"content of {a}: {contents[a].source}" for a in names))
    return Quantity(value, low, high, unit, source)


def from_spec(spec: Any, where: str, name: str, share: Callable[[str, str, Any], Quantity],
              content: Callable[[str, str, Any], Quantity], unit: str = "ratio") -> Quantity:
    """The grade mix a deals file writes as `{grade_mix: {shares: {APP: SPEC}, contents: {APP: SPEC}}, note: ...}`:
    `share(where, key, spec)` and `content(where, key, spec)` read each entry as a Quantity (the deals
    reader, checking sources and bounds), then `grade_mix`; the note, if any, is kept."""
    at = f"{where}, key {name!r}"
    for k in spec:
        if k not in ("grade_mix", "note"):
            raise RekitError(f"{at}: unknown key {k!r} beside grade_mix; allowed: grade_mix, note")
    mix = spec["grade_mix"]
    if not isinstance(mix, dict) or any(k not in MIX_KEYS for k in mix) or any(not isinstance(mix.get(k), dict) for k in MIX_KEYS):
        raise RekitError(f"{at}, grade_mix: expected {{shares: {{APPLICATION: share}}, contents: {{APPLICATION: content}}}}, "
                         f"got {mix!r}")
    shares = {str(a): share(f"{at}, grade_mix share", str(a), s) for a, s in mix["shares"].items()}
    contents = {str(a): content(f"{at}, grade_mix content", str(a), c) for a, c in mix["contents"].items()}
    q = grade_mix(shares, contents, f"{at}, grade_mix", unit)
    return Quantity(q.value, q.low, q.high, q.unit, q.source, str(spec.get("note", "")))
