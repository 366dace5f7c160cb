"""Origin traced through the chain: how much of the rare earths in India's oxide, metal and magnets is Chinese.

Every tonne of NdPr oxide, NdPr metal and Dy+Tb in the system carries one of three origins,
ORIGINS = India (IREL's output and the stock made of it), China, other, into the metal and the
magnets made from it, in India or by a tolling partner. Processes mix their inputs (a plant
holds no stock of its own but the Dy+Tb stock), so an output carries the origin mix of what was
charged: the proportional (pro-rata) mixing rule of material-flow analysis with a dimension for
origin (Pauliuk & Heeren 2020, ODYM, J. Ind. Ecol. 24:446, an "origin" or "region of origin"
aspect; the same rule as the MRIO origin tracing in Nakamura et al. 2007, Environ. Sci.
Technol. 41:8477, WIO-MFA). Quantities are tonnes of element (Nd+Pr, Dy+Tb) or of the stage's
material; arrays (deal, year, draw) as in rekit.model.simulation, whose flows these read.

China's fraction of an import that arrives (ratio), with s its China share, c the cut of the
China-origin part and f the share of the year under a China shock:

    χ = s·(1 − c·f) / (1 − s·c·f)

Definitions (each a metric of the registry, `china_share_*_traced`):

- oxide: China's share by mass of the NdPr oxide reduced in India, u3·χ_ox / (u1 + u2 + u3)
  (IREL's output u1 and the stock drawn u2 are Indian; imported oxide u3 is χ_ox Chinese).
- metal: China's share by mass of the NdPr metal charged into India's magnet plants,
  (u3·χ_ox·f_ox·η_red + u4·χ_m) / ((u1 + u2 + u3)·f_ox·η_red + u4): metal made in India from
  Chinese oxide counts as Chinese.
- heavy: China's share of the Dy+Tb charged in India, (HIm·χ_h + (HI − HIm)·χ_h0) / HI: imports
  at χ_h, what is drawn from the magnet makers' stock at χ_h0 = heavy_china_share (assumption: the
  stock was bought at the usual share before any shock; the stock only falls, so it keeps it).
- magnet: China's share by element mass of the rare earths (Nd, Pr, Dy, Tb) inside the magnets
  India gets in a year, made in India (G), returned by a partner (R) and imported (M):

      [G·(w_NdPr·χ_metal + w_h·χ_heavy) + R·w_h·χ_p + M·(χ_mag·(w_NdPr + w_h) + (1 − χ_mag)·w_h·χ_p)]
      / [(G + R + M)·(w_NdPr + w_h)]

  w_NdPr and w_h = w_Dy + w_Tb are t element per t magnet. A partner's magnets carry India's NdPr
  and the partner's Dy+Tb, χ_p = partner_heavy_china Chinese; an imported magnet made in China
  is Chinese through and through; one made elsewhere carries Dy+Tb at χ_p (assumption: makers
  outside China buy their Dy and Tb as a partner does) and non-Chinese NdPr. The partner's
  magnets come back through a pipeline (partner_lead_months), so R's Chinese Dy+Tb is the mix
  of the years they were made (pipeline_china).

The last stage's older measure, `china_share_magnet`, counts only imported finished magnets.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

ORIGINS = ("India", "China", "other")


def _div(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)


def shocked_rows(frac, shape: tuple[int, ...]) -> np.ndarray | None:
    """The deals (rows of axis 0) a China shock touches, where `frac` (the share of the year under it, (D, Y|1, N|1))
    has a value other than 0; None where every row must be computed (no deal axis, one deal, or every deal shocked)."""
    f = np.asarray(frac)
    if len(shape) != 3 or f.ndim != 3 or shape[0] == 1 or f.shape[0] != shape[0]:
        return None
    hit = np.flatnonzero(f.any(axis=(1, 2)))
    return None if hit.size == shape[0] else hit


def on_shocked_rows(fl: Mapping[str, np.ndarray], fn, calm=None) -> np.ndarray:
    """fn(get), element-wise arithmetic on flows get(key) (arrays (D|1, Y|1, N|1)), computed on the shocked deals' rows only.

    A China shock touches few deals (shocked_rows). fn runs on those deals' rows, and once with no shock
    (`shock_frac` 0) for the others, which gives their numbers bit for bit: with f = 0 each formula of
    this module gives its no-shock value exactly (c·0 = 0, 1 − 0 = 1, x·1 = x, x / 1 = x), and without
    the year axis of `shock_frac` that value is an array (D, 1, N), not (D, Y, N). `calm(get)`, if
    given, is a cheaper expression of that same value. The result has the shape fn would give."""
    frac = np.asarray(fl["shock_frac"])
    hit = shocked_rows(frac, (frac.shape[0], 1, 1) if frac.ndim == 3 else frac.shape)
    if hit is None or not hit.size:
        return np.asarray(fn(fl.__getitem__), dtype=float)
    hot = np.asarray(fn(lambda k: _rows(np.asarray(fl[k]), hit)), dtype=float)
    no_shock = np.zeros((1, 1, 1))
    cool = np.asarray((calm or fn)(lambda k: no_shock if k == "shock_frac" else fl[k]), dtype=float)
    shape = np.broadcast_shapes(cool.shape, (frac.shape[0], *hot.shape[1:]))
    if cool.shape == shape and cool.flags.owndata and cool.flags.writeable and not any(cool is v for v in fl.values()):
        out = cool  # a new array of fn's own (not a flow, nor a view of one): the shocked rows written into it
    else:
        out = np.empty(shape)
        out[...] = cool
    out[hit] = hot
    return out


def _rows(a: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """The rows `hit` of an array (D|1, Y|1, N|1); an array with one row is every deal's."""
    return a[hit] if a.ndim == 3 and a.shape[0] > 1 else a


def china_fraction(share, cut, frac):
    """China's fraction of an import that arrives: s·(1 − c·f) / (1 − s·c·f) (ratio; s itself without a shock).

    s the China share of the import by quantity, c the cut of its China-origin part, f the share
    of the year under the shock. With s = 1 and a full cut all year nothing arrives and 1 is returned.
    Computed on the deals a shock touches only (shocked_rows); the others' fraction is s, as the formula gives.
    """
    s, c, f = (np.asarray(x, dtype=float) for x in (share, cut, frac))
    shape = np.broadcast_shapes(s.shape, c.shape, f.shape)
    hit = shocked_rows(f, shape)
    sub = (lambda a: a) if hit is None else (lambda a: _rows(a, hit))
    cf = sub(c) * sub(f)
    if not cf.any():  # no shock: the share itself (the rows left out have f = 0, so c·f = 0 there too)
        return s
    left = 1 - sub(s) * cf
    value = np.where(left > 0, _div(sub(s) * (1 - cf), left), 1.0)
    if hit is None:
        return value
    out = np.empty(shape)
    out[...] = s
    out[hit] = value
    return out


def pipeline_china(made: np.ndarray, lag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(delivered, pipeline stock) of a quantity made by a partner, arrays (D, Y, N), through its pipeline.

    `made` (t, e.g. t Dy+Tb of Chinese origin in the magnets a partner makes each year) comes back
    in year t + j in the share hat(j − ℓ) = max(0, 1 − |j − ℓ|), ℓ = lag (years, (D, Y|1, N)) of the
    year it was made, as rekit.model.simulation carries the magnets themselves; the pipeline stock
    is what was made less what was delivered, summed from the run's start.
    """
    made = np.asarray(made, dtype=float)
    lag = np.broadcast_to(np.asarray(lag, dtype=float), made.shape)
    reach = int(np.ceil(float(lag.max()))) if lag.size else 0
    delivered = np.zeros_like(made)
    Y = made.shape[1]
    for j in range(min(reach, Y - 1) + 1):
        w = np.maximum(0.0, 1.0 - np.abs(j - lag[:, : Y - j]))
        delivered[:, j:] += w * made[:, : Y - j]
    return delivered, np.cumsum(made - delivered, axis=1)


#: Import -> (its China share, the shock's cut of its China-origin part): the flows china_fraction reads.
FRACTION_KEYS = {"oxide": ("oxide_china_share", "shock_cut_oxide"), "metal": ("metal_china_share", "shock_cut_metal"),
                 "heavy": ("heavy_china_share", "shock_cut_heavy"), "magnet": ("magnet_china_share", "shock_cut_magnet"),
                 "partner": ("partner_heavy_china", "shock_cut_heavy")}


def fractions(fl: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """China's fraction of each import that arrives: oxide, metal, heavy (Dy+Tb), magnet, partner (the partner's Dy+Tb)."""
    f = fl["shock_frac"]
    return {key: china_fraction(fl[share], fl[cut], f) for key, (share, cut) in FRACTION_KEYS.items()}


def returned_heavy_china(fl: Mapping[str, np.ndarray], chi: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """t Chinese Dy+Tb in the magnets a partner returns: (1 − retained share) × `delivered_heavy_china` when the
    run traced the partner's pipeline (pipeline_china), else returned × w_h × χ_p of the year itself."""
    if "delivered_heavy_china" in fl:
        return (1 - fl["retained_share"]) * fl["delivered_heavy_china"]
    chi = chi or fractions(fl)
    return fl["returned"] * fl["w_h"] * chi["partner"]


def stage_masses(fl: Mapping[str, np.ndarray], chi: Mapping[str, np.ndarray] | None = None,
                 shared: dict | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Stage -> (Chinese mass, all mass), t of the stage's material (oxide, metal, heavy) or t rare-earth element (magnet).

    The module's docstring gives each definition. `fl` holds the run's flows: u1..u4, G, HIm, HI,
    returned, magnet_imports, f_ox, eta_metal, w_ndpr, w_h, heavy_china_share and the China
    shares and cuts; the returned magnets' Chinese Dy+Tb as returned_heavy_china gives it.
    `shared` (a dict, empty at first) keeps every term but those of the magnet imports M, which
    alone follow the demand: runs that differ only in their demand (rekit.model.simulation.with_demand)
    pass the same dict and compute the rest once, with the same arithmetic, so the same numbers.
    """
    fixed = demand_free_terms(fl, chi, shared)
    M = fl["magnet_imports"]
    mag_china = fixed["made_returned_china"] + M * fixed["import_china"]
    mag_all = (fixed["made_returned"] + M) * fixed["w"]
    return {**fixed["stages"], "magnet": (mag_china, mag_all)}


def demand_free_terms(fl: Mapping[str, np.ndarray], chi: Mapping[str, np.ndarray] | None = None,
                      shared: dict | None = None) -> dict:
    """stage_masses' terms that no demand flow enters: "stages", the oxide, metal and heavy stages as
    stage_masses gives them; "made_returned_china", the Chinese element mass (t) in the magnets made in
    India and returned, G·(w_NdPr·χ_metal + w_h·χ_heavy) + R_China; "import_china", that in a t of
    imported magnet, χ_mag·(w_NdPr + w_h) + (1 − χ_mag)·w_h·χ_p; "made_returned", G + R (t magnet);
    "w", w_NdPr + w_h. Kept in `shared` (filled when empty, read as it is when not)."""
    if shared:
        return shared

    def times_fraction(key: str, x: str) -> np.ndarray:  # flow x times China's fraction of import `key`
        return x_chi(fl.__getitem__, key, x) if chi else on_shocked_rows(fl, lambda g: x_chi(g, key, x))

    def chi_of(g, key: str) -> np.ndarray:  # China's fraction of import `key` from the flows g gives
        share, cut = FRACTION_KEYS[key]
        return chi[key] if chi else china_fraction(g(share), g(cut), g("shock_frac"))

    def x_chi(g, key: str, x: str) -> np.ndarray:
        return g(x) * chi_of(g, key)

    try:  # India's own oxide reduced, u1 + u2: the run's derived flow when it has one (rekit.model.simulation.Flows)
        own = fl["own_oxide"]
    except KeyError:
        own = fl["u1"] + fl["u2"]
    imp_ox = fl["u3"]
    ox_all = own + imp_ox
    yield_ox = fl["f_ox"] * fl["eta_metal"]
    ox_china = times_fraction("oxide", "u3")
    metal_all = ox_all * yield_ox + fl["u4"]
    metal_china = ox_china * yield_ox + times_fraction("metal", "u4")
    HI, HIm = fl["HI"], fl["HIm"]
    heavy_china = times_fraction("heavy", "HIm") + (HI - HIm) * fl["heavy_china_share"]
    G = fl["G"]
    R = fl["returned"]
    w_n, w_h = fl["w_ndpr"], fl["w_h"]
    r_heavy_china = returned_heavy_china(fl, chi)

    def import_china(g) -> np.ndarray:  # χ_mag·(w_NdPr + w_h) + (1 − χ_mag)·w_h·χ_p
        mag, partner = chi_of(g, "magnet"), chi_of(g, "partner")
        return mag * (g("w_ndpr") + g("w_h")) + (1 - mag) * g("w_h") * partner

    out = shared if shared is not None else {}
    out.update({"stages": {"oxide": (ox_china, ox_all), "metal": (metal_china, metal_all), "heavy": (heavy_china, HI)},
                "made_returned_china": G * (w_n * _div(metal_china, metal_all) + w_h * _div(heavy_china, HI)) + r_heavy_china,
                "import_china": import_china(fl.__getitem__) if chi else on_shocked_rows(fl, import_china),
                "made_returned": G + R, "w": w_n + w_h})
    return out


def china_shares(fl: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stage -> China's traced share by mass (ratio in [0, 1]; 0 where the stage holds nothing)."""
    return {k: _div(c, a) for k, (c, a) in stage_masses(fl).items()}


def origin_flows(fl: Mapping[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
    """(flow, origin) -> t of the flow's material, for the flows that carry an origin (what a Sankey by origin draws).

    Oxide to reduction (t NdPr oxide) and metal to the magnet plants (t NdPr metal) by the origin
    of their oxide; Dy+Tb charged in India (t Dy+Tb); magnets made in India, returned and imported
    by the origin of the rare earths inside (t magnet, split in proportion to their element mass).
    For each flow the origins sum to the flow.
    """
    chi = fractions(fl)
    m = stage_masses(fl, chi)
    yield_ox = fl["f_ox"] * fl["eta_metal"]
    own, imp_ox = fl["u1"] + fl["u2"], fl["u3"]
    out = {("to_reduction", "India"): own + 0 * imp_ox, ("to_reduction", "China"): imp_ox * chi["oxide"],
           ("to_reduction", "other"): imp_ox * (1 - chi["oxide"])}
    out[("metal", "India")] = own * yield_ox + 0 * fl["u4"]
    out[("metal", "China")] = m["metal"][0]
    out[("metal", "other")] = m["metal"][1] - out[("metal", "India")] - out[("metal", "China")]
    out[("heavy", "China")] = m["heavy"][0]
    out[("heavy", "other")] = m["heavy"][1] - m["heavy"][0]
    w_n, w_h = fl["w_ndpr"], fl["w_h"]
    metal_all = m["metal"][1]
    G, R, M = fl["G"], fl["returned"], fl["magnet_imports"]
    india_g = G * w_n * _div(out[("metal", "India")], metal_all) / (w_n + w_h)
    china_g = G * (w_n * _div(m["metal"][0], metal_all) + w_h * _div(m["heavy"][0], fl["HI"])) / (w_n + w_h)
    r_heavy_china = returned_heavy_china(fl, chi)
    china_r = r_heavy_china / (w_n + w_h)
    china_m = M * (chi["magnet"] + (1 - chi["magnet"]) * w_h * chi["partner"] / (w_n + w_h))
    for name, total, india, china in (("magnets_india", G, india_g, china_g), ("returned", R, R * w_n / (w_n + w_h), china_r),
                                      ("magnet_imports", M, 0 * M, china_m)):
        out[(name, "India")] = india
        out[(name, "China")] = china
        out[(name, "other")] = total - india - china
    return out


def origin_residuals(fl: Mapping[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
    """(process, origin) -> inflow − outflow − stock change of that origin (t element or the process's material).

    oxide (t NdPr oxide): India's IREL output less exports, tolled oxide, own oxide reduced and the
    stock change (the stock is all Indian); China and other: imported oxide less what of it is
    reduced. magnets (t NdPr metal, t Dy+Tb): each origin's metal and Dy+Tb charged less its losses
    and what leaves in magnets, the plant's outputs carrying the charge's origin mix; the Dy+Tb
    stock's change is Chinese at χ_h0. partner (t Dy+Tb): the partner's Chinese Dy+Tb in the
    magnets it makes less what comes back and the change of its pipeline (needs the run's
    `partner_heavy_made_china`, `delivered_heavy_china`, `pipeline_heavy_china`).
    Each is ~0 when the run balances; the origins of a process sum to its balance.
    """
    chi = fractions(fl)
    m = stage_masses(fl, chi)
    own, imp_ox = fl["u1"] + fl["u2"], fl["u3"]
    dS = fl["S"] - fl["S_prev"]
    out = {("oxide", "India"): fl["O"] - fl["X"] - fl["T"] - own - dS,
           ("oxide", "China"): imp_ox * chi["oxide"] - imp_ox * chi["oxide"],
           ("oxide", "other"): imp_ox * (1 - chi["oxide"]) - imp_ox * (1 - chi["oxide"])}
    recyc = fl["recyc"]
    lost = (1 - fl["eta_alloy"]) + (1 - fl["rho"]) * (1 - fl["eta_magnet"]) * fl["eta_alloy"]
    metal_all = m["metal"][1]
    yield_ox = fl["f_ox"] * fl["eta_metal"]
    metal_in = {"India": own * yield_ox, "China": m["metal"][0]}
    metal_in["other"] = metal_all - metal_in["India"] - metal_in["China"]
    HI, HIm = fl["HI"], fl["HIm"]
    heavy_in = {"China": HIm * chi["heavy"], "other": HIm * (1 - chi["heavy"])}
    heavy_stock_change = {"China": (fl["H"] - fl["H_prev"]) * fl["heavy_china_share"],
                          "other": (fl["H"] - fl["H_prev"]) * (1 - fl["heavy_china_share"])}
    heavy_used = {"China": m["heavy"][0], "other": HI - m["heavy"][0]}
    for o in ORIGINS:
        share = _div(metal_in[o], metal_all)
        out[("magnets", o)] = metal_in[o] - metal_in[o] / recyc * lost - fl["G"] * fl["w_ndpr"] * share
    for o in ("China", "other"):
        share = _div(heavy_used[o], HI)
        out[("magnets (Dy+Tb)", o)] = (heavy_in[o] - heavy_stock_change[o] - heavy_used[o] / recyc * lost
                                       - fl["G"] * fl["w_h"] * share)
    if "partner_heavy_made_china" in fl:
        dL = fl["pipeline_heavy_china"] - fl["pipeline_heavy_china_prev"]
        out[("partner (Dy+Tb)", "China")] = fl["partner_heavy_made_china"] - fl["delivered_heavy_china"] - dL
    return out


__all__ = ["ORIGINS", "china_fraction", "china_shares", "demand_free_terms", "fractions", "on_shocked_rows", "origin_flows",
           "origin_residuals", "pipeline_china", "returned_heavy_china", "shocked_rows", "stage_masses"]
