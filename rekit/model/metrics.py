"""The field's standard metrics, each with its definition and the source of that definition.

Self-sufficiency at each stage (FAO form), import reliance (EU JRC form, Blengini et al. 2017,
doi:10.2760/73303) and USGS net import reliance, China's share of a stage's supply, years of
stock cover, the oxide gap, and the concentration of world production (top-3 share, HHI).

Functions take numbers or numpy arrays (element-wise) and return the same shape, so the model
can apply them over draws x years x deals at once; the concentration metrics take a table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ArrayLike = float | np.ndarray


def export_share(exports: ArrayLike, production: ArrayLike) -> ArrayLike:
    """Exported quantity over production, in [0, 1] when exports come from production.

    Definition: exports / production (the share of output leaving the country; used by USGS and
    IEA for trade exposure). Units must match (here t Nd or t of the same material).
    """
    return np.divide(exports, production)


def self_sufficiency(production: ArrayLike, demand: ArrayLike) -> ArrayLike:
    """Self-sufficiency ratio in FAO form: production / domestic use (ratio, units of the two alike). May exceed 1.

    FAO (2001, Food Balance Sheets: A Handbook) defines SSR = production / (production + imports
    − exports), i.e. production over domestic utilisation. At the magnet stage the model gives it
    as `magnet_self_sufficiency` = magnets made in India (t magnet, whatever their feed) / India's
    magnet demand (t magnet); at the oxide stage as `ssr_oxide`.
    """
    return np.divide(production, demand)


def own_feedstock_coverage(made_from_own: ArrayLike, returned: ArrayLike, demand: ArrayLike) -> ArrayLike:
    """Own-feedstock coverage: magnets from India's own oxide over magnet demand (ratio, t magnet / t magnet).

    (magnets made in India from IREL's oxide and stock + magnets a tolling partner returns from
    IREL's oxide) / demand. It counts what India's own feedstock covers, wherever the magnets are
    made; it is not the FAO self-sufficiency ratio (magnets made in India / demand), which counts
    a plant in India on imported oxide as self-sufficient and a returned magnet as an import.
    This kit's measure (named `self_sufficiency` before data 0.3.0); no standard reference.
    """
    return np.divide(np.add(made_from_own, returned), demand)


def import_dependency(imports: ArrayLike, demand: ArrayLike) -> ArrayLike:
    """Import dependency ratio in FAO form: imports / domestic use (ratio).

    FAO (2001): IDR = imports / (production + imports − exports). At the magnet stage the model's
    imports are every magnet that crosses into India, finished imports and magnets a tolling
    partner returns (t magnet), over demand (t magnet); with no exports and no shortfall, IDR =
    1 − SSR (magnet_self_sufficiency). Before data 0.3.0 the model gave 1 − own-feedstock
    coverage under this name, which counted returned magnets as India's own and contradicted
    `import_reliance`.
    """
    return np.divide(imports, demand)


def import_reliance(production: ArrayLike, imports: ArrayLike, exports: ArrayLike) -> ArrayLike:
    """Import reliance in the EU criticality form: IR = (imports − exports) / (production + imports − exports).

    Blengini, G.A. et al. (2017), Methodology for establishing the EU list of critical raw materials,
    JRC / European Commission, doi:10.2760/73303. Apparent consumption is production + imports −
    exports; IR may be negative for a net exporter. Where apparent consumption is zero the
    result is 0 (nothing used, nothing relied on). Element-wise over arrays.
    """
    net = np.asarray(imports, dtype=float) - np.asarray(exports, dtype=float)
    consumption = np.asarray(production, dtype=float) + net
    out = np.divide(net, consumption, out=np.zeros(np.broadcast_shapes(net.shape, consumption.shape)), where=consumption > 0)
    return out if out.ndim else float(out)


def china_share(from_china: ArrayLike, supply: ArrayLike) -> ArrayLike:
    """China's share of a supply: China-origin quantity / (domestic production + imports) at one stage.

    The supply-risk exposure of Blengini et al. (2017, doi:10.2760/73303) weights sourcing by
    country; here the one country of concern is China and the stage is oxide, metal, magnet or
    the heavy rare earths (Dy, Tb). 0 where the supply is zero. Units must match (t of the stage's material).
    """
    c = np.asarray(from_china, dtype=float)
    s = np.asarray(supply, dtype=float)
    out = np.divide(c, s, out=np.zeros(np.broadcast_shapes(c.shape, s.shape)), where=s > 0)
    return out if out.ndim else float(out)


def stock_cover(stock: ArrayLike, use_per_year: ArrayLike) -> ArrayLike:
    """Years of cover: stock / yearly use (the stock-to-use ratio of commodity balances, e.g. FAO/AMIS, in years).

    A stock of 500 t against a need of 100 t a year covers 5 years. 0 where the use is zero.
    """
    st = np.asarray(stock, dtype=float)
    u = np.asarray(use_per_year, dtype=float)
    out = np.divide(st, u, out=np.zeros(np.broadcast_shapes(st.shape, u.shape)), where=u > 0)
    return out if out.ndim else float(out)


def oxide_gap(oxide_needed: ArrayLike, oxide_produced: ArrayLike) -> ArrayLike:
    """The oxide gap: NdPr oxide India's magnet demand needs less the NdPr oxide it produces (t NdPr oxide).

    The needed oxide is demand (t magnet) / q, q the t magnet made per t oxide along the chain
    (rekit.model.simulation). Positive: a shortfall to import or do without; negative: a surplus.
    """
    return np.subtract(oxide_needed, oxide_produced)


def net_import_reliance(production: ArrayLike, imports: ArrayLike, exports: ArrayLike,
                        stock_change: ArrayLike = 0.0) -> ArrayLike:
    """USGS net import reliance as a share of apparent consumption; NaN for a net exporter.

    USGS Mineral Commodity Summaries: apparent consumption = production + imports − exports
    ± stock change (a stock draw-down adds to consumption: pass it as a positive `stock_change`
    meaning stocks released); net import reliance = (imports − exports ± stock change) /
    apparent consumption. USGS prints "E" (net exporter) rather than a negative percentage:
    this function returns NaN there, and `is_net_exporter` / `format_net_import_reliance` say so.
    """
    net = np.asarray(imports, dtype=float) - np.asarray(exports, dtype=float) + np.asarray(stock_change, dtype=float)
    consumption = np.asarray(production, dtype=float) + net
    with np.errstate(divide="ignore", invalid="ignore"):
        nir = np.where(net < 0, np.nan, net / consumption)
    return nir if nir.ndim else float(nir)


def is_net_exporter(imports: ArrayLike, exports: ArrayLike, stock_change: ArrayLike = 0.0) -> ArrayLike:
    """True where exports exceed imports plus stock released (USGS's "E")."""
    return (np.asarray(imports) - np.asarray(exports) + np.asarray(stock_change)) < 0


def format_net_import_reliance(value: float, net_exporter: bool) -> str:
    """USGS style: 'E' for a net exporter, otherwise a whole percentage ('71%')."""
    return "E" if net_exporter else f"{value:.0%}"


def concentration(production: pd.DataFrame, exclude: tuple[str, ...] = ("Other",)) -> pd.DataFrame:
    """Country shares of world mine production, top-3 share and Herfindahl–Hirschman index, by group.

    `production` has columns group (e.g. edition), year, entity, value; rows with entity
    "World" give the denominator (USGS's rounded world total), else the sum of countries is used.
    Shares: value / world. Top-3 share: the three largest country shares summed (IEA Global
    Critical Minerals Outlook's headline). HHI: Σ (100·s_i)², 0 to 10,000, over named countries
    (EU criticality methodology, JRC 2017); aggregates such as "Other" are excluded, so the HHI
    is a lower bound where they are large. Returns one row per group, year and country with
    `share`, plus `top3_share` and `hhi` repeated on each row of the group.
    """
    keys = ["group", "year"]
    world = production[production["entity"] == "World"].set_index(keys)["value"]
    countries = production[(production["entity"] != "World") & ~production["entity"].isin(exclude)].copy()
    summed = production[production["entity"] != "World"].groupby(keys)["value"].sum()
    denom = summed.copy()
    denom.loc[world.index.intersection(denom.index)] = world
    countries = countries.join(denom.rename("world"), on=keys)
    countries["share"] = countries["value"] / countries["world"]
    g = countries.groupby(keys)["share"]
    countries["top3_share"] = g.transform(lambda s: s.nlargest(3).sum())
    countries["hhi"] = g.transform(lambda s: float(((100 * s) ** 2).sum()))
    countries["rank"] = g.rank(ascending=False, method="first").astype(int)
    return countries.sort_values([*keys, "rank"]).reset_index(drop=True)
