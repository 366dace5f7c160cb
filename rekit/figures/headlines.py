"""Headline tables the notebooks print: small, rounded, stable, so nbval can hold them.

Each takes data or model results and returns a DataFrame; rounding is part of the headline
(a change in the third significant figure is a change a reviewer should see, noise is not).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from rekit.model.conversions import nd_to_nd2o3
from rekit.data.dataset import Dataset
from rekit.data.periods import parse_period
from rekit.model.deals import DealBook
from rekit.model.scenarios import ALIKE, DIMENSIONS, GRID_DIMENSIONS, PARTNER_CHOICES, Grid, Scenario, scenarios
from rekit.model.simulation import METRICS, Result, canonical
from rekit.model.supply import concentration_table


def _pick_year(result: Result, year: int) -> int:
    years = result.years.tolist()
    if year not in years:
        raise KeyError(f"year {year} is outside the modelled years {years[0]}-{years[-1]}; choose one inside them")
    return year


def metric_table(result: Result, metric: str, year: int, digits: int = 2) -> pd.DataFrame:
    """p05, median and p95 of one metric in one year, one row per deal."""
    _pick_year(result, year)
    t = result.summary()
    t = t[(t["metric"] == metric) & (t["year"] == year)].set_index("deal")[["p05", "p50", "p95"]]
    return t.reindex(list(result.deals)).round(digits).rename(columns={"p50": "median"})


def first_year_reaching(result: Result, metric: str, level: float) -> pd.Series:
    """By deal, the first modelled year whose median reaches `level` (or 'not by END')."""
    t = result.summary()
    t = t[t["metric"] == metric]
    out = {}
    for deal in result.deals:
        rows = t[(t["deal"] == deal) & (t["p50"] >= level)]
        out[deal] = str(int(rows["year"].min())) if not rows.empty else f"not by {int(result.years[-1])}"
    return pd.Series(out, name=f"first year median >= {level:g}")


def observed_export_share(ds: Dataset) -> pd.DataFrame:
    """IREL's export share as observed: each source's figure with its status."""
    s = ds.series("re_export_share", entity="IREL")
    return pd.DataFrame({
        "period": s["period"].astype(str), "share": s["value"].round(3), "status": s["status"].astype(str),
        "source": s["publisher"].astype(str),
    }).set_index("period")


def concentration_headline(ds: Dataset, edition: list[str] | None = None) -> pd.DataFrame:
    """Top-3 share, HHI and the leading country by USGS edition and year."""
    t = concentration_table(ds, edition=edition)
    g = t.groupby(["edition", "year"])
    out = g.agg(top3_share=("top3_share", "first"), hhi=("hhi", "first"))
    lead = t[t["rank"] == 1].set_index(["edition", "year"])
    out["leader"] = lead["entity"].astype(str)
    out["leader_share"] = lead["share"]
    return out.round({"top3_share": 3, "hhi": 0, "leader_share": 3})


#: The metrics flows_table shows (the grid run for its envelope needs them all).
FLOW_METRICS = ("production", "exports", "tolled", "domestic", "stocked", "losses", "magnets_returned",
                "magnets_kept_by_partner", "magnets_domestic", "magnet_demand", "self_sufficiency")


#: The flows of flows_table in plain words, without their unit (flow_words adds it).
FLOW_WORDS = {
    "production": "Nd in IREL's oxide output",
    "exports": "Nd exported under the 2012 Toyotsu agreement",
    "tolled": "Nd sent to the tolling partner",
    "domestic": "Nd sent to magnet making in India",
    "stocked": "Nd added to IREL's oxide stock",
    "losses": "Nd lost in reduction, alloy making and machining",
    "magnets_returned": "magnets returned by the partner",
    "magnets_kept_by_partner": "magnets kept by the partner as payment",
    "magnets_domestic": "magnets made in India from IREL's oxide",
    "magnet_demand": "India's magnet demand",
    "self_sufficiency": "own-feedstock coverage of magnet demand",
}


def flow_words(metric: str) -> str:
    """A flow's row label for readers: its plain words and its unit, ``flow_words("magnets_returned")`` is
    "magnets returned by the partner (t magnet)"; a ratio or share is "(%)", as the table shows it. A
    metric not in FLOW_WORDS is named by metric_words."""
    unit = METRICS[metric][0] if metric in METRICS else ""
    unit = "%" if unit in ("ratio", "share") else unit
    words = FLOW_WORDS.get(metric) or metric_words(metric)
    return f"{words} ({unit})" if unit else words


def flows_table(result: Result, deal: str, year: int, envelope: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flows of one deal and year: Nd flows in t Nd (with their Nd2O3 equivalent, the form IREL ships), magnets in t magnet.
    Rows are named in plain words with their unit (``flow``, see flow_words); the last column, ``metric``,
    keeps each row's metric name, as `rekit simulate --metric` takes it and a CSV reader matches on it.
    With `envelope` (envelope_of a grid run over these metrics), each flow's structural envelope beside its band
    (``envelope p05``, ``envelope p95``: the p05 and p95 of every structural scenario's draws pooled, in the row's unit)."""
    _pick_year(result, year)
    t = result.summary()
    t = t[(t["deal"] == deal) & (t["year"] == year)]
    if t.empty:
        raise KeyError(f"deal {deal!r} is not in this result; it has {', '.join(result.deals)}")
    keep = list(FLOW_METRICS)
    t = t.set_index("metric").loc[keep, ["unit", "p05", "p50", "p95"]]
    oxide = t["p50"].where(t["unit"] == "t Nd").map(nd_to_nd2o3)  # t Nd2O3 = t Nd / 0.857 (rekit.conversions)
    t = t.round({"p05": 2, "p50": 2, "p95": 2}).rename(columns={"p50": "median"})
    if envelope is not None:
        env = envelope[(envelope["deal"] == deal) & (envelope["year"] == year)].set_index("metric")
        missing = [m for m in keep if m not in env.index]
        if missing:
            raise KeyError(f"the envelope has no {', '.join(missing)} for {deal} in {year}; run the grid with these metrics")
        t["envelope p05"] = env.loc[keep, "envelope_p05"].astype(float).round(2)
        t["envelope p95"] = env.loc[keep, "envelope_p95"].astype(float).round(2)
    t["median as t Nd2O3"] = oxide.map(lambda x: "" if pd.isna(x) else f"{x:.1f}")
    t["metric"] = t.index
    t.index = pd.Index([flow_words(m) for m in t.index], name="flow")
    return t


def metric_words(metric: str) -> str:
    """A metric's name in words, from its registry description (an alias: its metric's): what comes
    before its first " (" or ":" ("magnets India gets from its own oxide", "own-feedstock coverage"), or
    its name with spaces where that is a formula or names two metrics ("export share", "ssr oxide")."""
    def words_of(name: str) -> str:
        return (METRICS[name][1] if name in METRICS else "").split(" (")[0].split(":")[0].strip()

    name = canonical(metric)
    words = words_of(name)
    shared = sum(words_of(m) == words for m in METRICS if canonical(m) == m) > 1  # "stage self-sufficiency" twice
    return words if words and not shared and not any(ch in words for ch in "/=·") else name.replace("_", " ")


def band_sentence(result: Result, metric: str, year: int, fmt: str = ".2f") -> str:
    """Each deal's median `metric` in `year` with its p05–p95 band, in words and with its unit (none for a
    ratio or share), from the result: "In 2030, magnets India gets from its own oxide: 558 t magnet under
    toll_japan (p05–p95 443–690), in the chosen scenario (IREL's measured output and the official demand)."; the
    scenario's choices in plain words (choice_words)."""
    t = metric_table(result, metric, year, digits=12)
    unit, what = METRICS[metric][0], metric_words(metric)
    unit = "" if unit in ("ratio", "share") else f" {unit}"  # a ratio's number is its own unit
    parts = [f"{t.loc[d, 'median']:{fmt}}{unit} under {d} (p05–p95 {t.loc[d, 'p05']:{fmt}}–{t.loc[d, 'p95']:{fmt}})"
             for d in t.index]
    chosen = _and([choice_words("production", result.basis)] + ([choice_words("demand", result.demand)] if result.demand else []))
    return f"In {year}, {what}: " + "; ".join(parts) + f", in the chosen scenario ({chosen})."


def events_table(ds: Dataset, since: str | None = None) -> pd.DataFrame:
    """Date, actor, kind and title of each event since a date."""
    ev = ds.events
    if since:
        ev = ev[ev["date_start"] >= pd.Timestamp(parse_period(since).start)]
    return ev[["date", "actor", "kind", "title"]].astype(str).set_index("date")


#: The structural choices (rekit.model.scenarios) in plain words, by dimension and name. A name not
#: listed here (a basis from a user's own deals file) is written as its dimension and its name.
CHOICE_WORDS: dict[str, dict[str, str]] = {
    "production": {"output": "IREL's measured output", "capacity": "IREL at capacity", "targets": "IREL's stated ramp",
                   "plan_2030": "IREL's 900 t plan for 2030"},
    "demand": {"official": "the official demand", "industry": "the industry's demand forecast",
               "imports": "finished-magnet imports as demand"},
    "framing": {"chain": "the physical chain (about 2.15 t of magnet per t of oxide)",
                "officials": "the officials' 3 t of magnet per t of oxide"},
    "partner": {"plants": "the partners' named plants", "home": "the partners' home-country plants only",
                "national": "the partner country's national alloy output"},
}


def choice_words(dimension: str, name: str) -> str:
    """One structural choice in plain words: ``choice_words("demand", "official")`` is "the official
    demand"; a choice the kit does not know (a user's basis) is "demand basis 'name'"."""
    known = CHOICE_WORDS.get(dimension, {})
    if name in known:
        return known[name]
    what = {"production": "production basis", "demand": "demand basis"}.get(dimension, dimension)
    return f"{what} '{name}'"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def scenario_ends(low: str, high: str, book: DealBook) -> tuple[str, str]:
    """The envelope's two ends (an envelope row's low_scenario and high_scenario labels) in plain
    words, naming only the choices in which the two ends differ (a choice both ends share is not what
    separates them), e.g. ("IREL's stated ramp (doubling within a year) and the official demand",
    "IREL's plan of 900 t by 2030 and demand as finished-magnet imports only"). Where no structural
    choice moves the median (ALIKE) both are ALIKE. A label with a partner alternative (a deal with
    partners: Scenario.label_for) has it in words too; a label this book does not make is given as it is."""
    if low == ALIKE or high == ALIKE:
        return ALIKE, ALIKE
    lo, hi = Scenario.from_label(low, book), Scenario.from_label(high, book)
    if lo is None or hi is None:
        return low, high
    partnered = "partner=" in low or "partner=" in high
    shown = GRID_DIMENSIONS if partnered else DIMENSIONS
    dims = [d for d in shown if getattr(lo, d) != getattr(hi, d)] or list(shown)
    return (_and([choice_words(d, getattr(lo, d)) for d in dims]),
            _and([choice_words(d, getattr(hi, d)) for d in dims]))


def scenario_count(book: DealBook) -> str:
    """How many structural scenarios the envelope pools and how they arise, e.g. "24 structural
    scenarios (4 production bases x 3 demand bases x 2 framings)"."""
    grid = scenarios(book)
    names = {"production": "production bases", "demand": "demand bases", "framing": "framings"}
    counts = [f"{len({getattr(sc, d) for sc in grid})} {names.get(d, d + ' choices')}" for d in DIMENSIONS]
    # A deal that names tolling partners is also run under each reading of their capacity the data support
    # (rekit.model.scenarios.partner_alternatives: up to len(PARTNER_CHOICES)), and its envelope pools those too.
    partners = f"; times up to {len(PARTNER_CHOICES)} readings of the partner's capacity for a deal with tolling partners"
    return f"{len(grid)} structural scenarios ({' × '.join(counts)}{partners})"


def scenario_sentence(result: Result, book: DealBook) -> str:
    """The scenario a result was run in, in plain words, and what the envelope beside it pools, e.g.
    "Chosen scenario: IREL's measured output, the official demand and the physical chain (…); 2,000
    draws (seed 0). The envelope beside it pools all 24 structural scenarios (…), the same draws in each."."""
    chosen = {"production": result.basis, "demand": result.demand or book.default_demand, "framing": result.framing}
    words = _and([choice_words(d, chosen[d]) for d in DIMENSIONS if d in chosen])
    draws = f"{result.draws:,} draws (seed {result.seed})" if result.draws else "central values"
    return (f"Chosen scenario: {words}; {draws}. The envelope beside it pools all {scenario_count(book)}, "
            "the same draws in each.")


def envelope_of(grid: Grid, rtol: float = 1e-9) -> pd.DataFrame:
    """The envelope frame of a grid run (rekit.model.scenarios.run_grid: envelope_p05, envelope_p95,
    low_scenario, high_scenario by deal, year and metric), with the ends named ALIKE wherever every
    scenario's median agrees within `rtol` (relative; 1e-12 absolute near zero): the same number
    computed along two paths differs in its last bits, and such a difference is no choice giving an end."""
    env = grid.envelope_frame()
    medians = grid.frame().groupby(["deal", "year", "metric"], sort=False)["p50"].agg(["min", "max"])
    spread = medians.reindex(pd.MultiIndex.from_frame(env[["deal", "year", "metric"]]))
    alike = np.isclose(spread["max"].to_numpy(dtype=float), spread["min"].to_numpy(dtype=float), rtol=rtol, atol=1e-12)
    env.loc[alike, ["low_scenario", "high_scenario"]] = ALIKE
    return env


def _envelope_rows(envelope: pd.DataFrame, metric: str, year: int) -> pd.DataFrame:
    rows = envelope[(envelope["metric"].map(canonical) == canonical(metric)) & (envelope["year"] == year)]
    if rows.empty:
        raise KeyError(f"the envelope has no {metric} in {year}; it has {', '.join(map(str, sorted(set(envelope['metric']))))} "
                       f"in {int(envelope['year'].min())}-{int(envelope['year'].max())}")
    return rows.set_index("deal")


def with_envelope(table: pd.DataFrame, envelope: pd.DataFrame, metric: str, year: int, book: DealBook,
                  digits: int = 2) -> pd.DataFrame:
    """`table` (one row per deal, as metric_table gives) with the structural envelope beside its band:
    ``envelope p05`` and ``envelope p95`` (the 5th and 95th percentiles of the draws of every structural
    scenario pooled with equal weight, from rekit.model.scenarios.envelope; the metric's unit) and, in
    plain words, the choices that give its low and its high end (``lowest with``, ``highest with``)."""
    rows = _envelope_rows(envelope, metric, year).reindex(table.index)
    out = table.copy()
    out["envelope p05"] = rows["envelope_p05"].astype(float).round(digits)
    out["envelope p95"] = rows["envelope_p95"].astype(float).round(digits)
    ends = [scenario_ends(str(lo), str(hi), book) for lo, hi in zip(rows["low_scenario"], rows["high_scenario"], strict=True)]
    out["lowest with"] = [e[0] for e in ends]
    out["highest with"] = [e[1] for e in ends]
    return out


def envelope_sentence(envelope: pd.DataFrame, metric: str, year: int, book: DealBook, deals: list[str] | None = None,
                      fmt: str = ".2f") -> str:
    """The structural envelope of `metric` in `year` for each deal, and which choices give its ends,
    in words: "Across all 32 structural scenarios (…), pooled with equal weight, own-feedstock coverage
    in 2030 spans 5.0%–112.0% under repm_scheme (p05–p95). Lowest with …; highest with …" (a share or
    ratio as a percentage, as the tables show it; other units named in brackets).
    Deals whose ends are the same choices share one clause; deals no choice moves are named as such."""
    rows = _envelope_rows(envelope, metric, year)
    names = [d for d in (deals or list(dict.fromkeys(rows.index))) if d in rows.index]
    unit = METRICS[metric][0] if metric in METRICS else ""
    if unit in SHARE_UNITS:  # as the tables show shares and ratios: percentages (6.0%–109.3%), no unit word
        unit = ""
        spans = "; ".join(f"{percent(rows.loc[d, 'envelope_p05'])}–{percent(rows.loc[d, 'envelope_p95'])} under {d}" for d in names)
    else:
        spans = "; ".join(f"{rows.loc[d, 'envelope_p05']:{fmt}}–{rows.loc[d, 'envelope_p95']:{fmt}} under {d}" for d in names)
    text = (f"Across all {scenario_count(book)}, pooled with equal weight, {metric_words(metric)}"
            f"{f' ({unit})' if unit else ''} in {year} spans {spans} (p05–p95).")
    groups: dict[tuple[str, str], list[str]] = {}
    for d in names:
        groups.setdefault(scenario_ends(str(rows.loc[d, "low_scenario"]), str(rows.loc[d, "high_scenario"]), book), []).append(d)
    for (low, high), who in groups.items():
        under = f" under {_and(who)}" if len(names) > 1 else ""
        if low == ALIKE:
            text += f" No structural choice moves the median{under}."
        else:
            text += f" {'Under ' + _and(who) + ', lowest' if under else 'Lowest'} with {low}; highest with {high}."
    return text


#: Units whose values a table shows as percentages.
SHARE_UNITS = ("share", "ratio")


def number(v) -> str:
    """A table's number: whole with thousands separators from 1,000 up, else three significant figures,
    so no value but 0 shows as 0 (0.067 t stays 0.067, not 0); empty when missing."""
    if v is None or pd.isna(v):
        return ""
    v = float(v)
    return f"{v:,.0f}" if abs(v) >= 1000 else ("0" if v == 0 else f"{v:,.3g}")


def percent(v) -> str:
    """A share as a percentage: one decimal (34.5%), two significant figures below 0.1% (0.067%),
    so no share but 0 shows as 0%; empty when missing."""
    if v is None or pd.isna(v):
        return ""
    p = float(v) * 100
    if p == 0:
        return "0%"
    return f"{p:.1f}%" if abs(p) >= 0.1 else f"{p:.2g}%"


class Table:
    """A headline table for a notebook: an HTML table (pandas Styler: units in the headers, numbers
    formatted, scrolling when wide) for JupyterLab and the reports, and, as text/plain, exactly
    ``df.to_string()`` (what nbval compares and a terminal prints).

    Every text in the HTML (cells, the index, column names, units and the caption) is escaped, so a
    value from the data or the user holding markup or script shows as text."""

    def __init__(self, df: pd.DataFrame, units: dict[str, str] | None = None, formats: dict[str, str] | None = None,
                 caption: str = ""):
        self.df = df
        self.units = dict(units or {})
        self.formats = dict(formats or {})
        self.caption = caption

    def __repr__(self) -> str:
        return self.df.to_string()

    def to_html(self) -> str:
        import hashlib

        from pandas.io.formats.style import Styler

        df = self.df.reset_index() if self.df.index.name or not self.df.index.is_unique else self.df
        df = df.reset_index(drop=True)  # the Styler needs a unique index; the row labels are a column now
        for col in df.columns:  # other objects (dates, lists) as their text, so that the escaping below sees them
            if df[col].dtype == object and col not in self.formats:
                df[col] = df[col].map(lambda v: v if v is None or isinstance(v, (str, float)) else str(v))
        fmt: dict = {}
        num_cols = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]  # right-aligned, as numbers
        shares = df["unit"].astype(str).isin(SHARE_UNITS).to_numpy() if "unit" in df.columns else None
        as_percent: set = set()
        for col in df.columns:
            if col in self.formats:
                fmt[col] = self.formats[col]
            elif pd.api.types.is_float_dtype(df[col]):
                if shares is not None and shares.any():  # a share's row as a percentage, the others as numbers
                    df[col] = [percent(v) if is_share else number(v) for v, is_share in zip(df[col], shares, strict=True)]
                elif self.units.get(col) in SHARE_UNITS:  # a column of shares or ratios as percentages
                    fmt[col] = percent
                    as_percent.add(col)
                else:
                    fmt[col] = number
            elif pd.api.types.is_integer_dtype(df[col]):
                fmt[col] = "{:,}" if df[col].abs().max() >= 10_000 else "{}"
        uid = "rekit" + hashlib.sha1(df.to_csv().encode()).hexdigest()[:10]  # stable: same table, same id
        st = Styler(df, uuid=uid, cell_ids=False, na_rep="")
        st = st.format(fmt, escape="html")  # every cell that holds text is escaped (numbers are formatted)
        # pandas writes header labels and the caption as given: escape them here
        st = st.relabel_index([html.escape(f"{c} (%)" if c in as_percent else f"{c} ({self.units[c]})" if c in self.units else str(c))
                               for c in df.columns],
                              axis="columns")
        st = st.set_properties(subset=num_cols, **{"text-align": "right", "font-variant-numeric": "tabular-nums"})
        st = st.hide(axis="index").set_table_attributes('class="rekit-table"')
        if self.caption:
            st = st.set_caption(html.escape(str(self.caption)))
        return f'<div class="rekit-table-wrap" style="overflow-x:auto; max-width:100%">{st.to_html()}</div>'

    def download(self) -> dict:
        """The table as a report offers it for download (rekit.reports.downloads): ``columns`` (the row
        labels first, when named), ``data`` (rows, numbers unrounded by the display formats), ``units``
        by column, ``caption``."""
        import json

        df = self.df.reset_index() if self.df.index.name or not self.df.index.is_unique else self.df
        doc = json.loads(df.reset_index(drop=True).to_json(orient="split", index=False, date_format="iso",
                                                           double_precision=15, default_handler=str))
        return {"columns": [str(c) for c in doc["columns"]], "data": doc["data"], "units": {str(k): str(v) for k, v in self.units.items()},
                "caption": str(self.caption)}

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.to_html(), "text/plain": self.df.to_string()}, {"rekit": {"table": self.download()}}


def table(df: pd.DataFrame, units: dict[str, str] | None = None, formats: dict[str, str] | None = None,
          caption: str = "") -> Table:
    """Show a headline table (see Table): `units` by column go into the HTML headers."""
    return Table(df, units, formats, caption)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>&!$#~|])")


def markdown_text(text: str) -> str:
    """`text` as Markdown that renders as the text: the characters that would make an HTML tag, an
    entity, a link or image (``[``, ``]``, ``!``, ``<``, ``>``), code, emphasis with ``*``, maths, a heading,
    a strikethrough or a table are backslash-escaped (CommonMark, "Backslash escapes"), so no value
    from the data or the user makes markup out of a sentence. Other punctuation (``_ . , ; : ( ) % ' -``,
    common in findings) is left as it is, so a finding's Markdown is its text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


class Finding:
    """A sentence stating a result, computed from the numbers, and optionally a second one giving its
    structural envelope (`envelope_sentence`): shown as Markdown (escaped: it renders as plain text),
    one paragraph each, and marked in its output metadata (``rekit.finding``, ``rekit.envelope``) so the
    report's landing-page card can quote both (the card's template escapes them)."""

    def __init__(self, text: str, envelope: str = ""):
        self.text = " ".join(text.split())
        self.envelope = " ".join(envelope.split())

    def __repr__(self) -> str:
        return self.text + (f"\n{self.envelope}" if self.envelope else "")

    def _repr_mimebundle_(self, include=None, exclude=None):
        md = markdown_text(self.text) + (f"\n\n{markdown_text(self.envelope)}" if self.envelope else "")
        meta = {"finding": self.text, **({"envelope": self.envelope} if self.envelope else {})}
        return {"text/markdown": md, "text/plain": repr(self)}, {"rekit": meta}


def finding(text: str, envelope: str = "") -> Finding:
    """A finding to show (see Finding); `envelope`, if given, is the sentence of its structural envelope."""
    return Finding(text, envelope)


def reaching_sentence(result: Result, metric: str, level: float, year: int | None = None) -> str:
    """One sentence, from the result itself, on when each deal's median `metric` first reaches `level`
    (and, with `year`, its median then), e.g. "Under toll_korea, the median reaches 0.5 in 2031"."""
    reach = first_year_reaching(result, metric, level)
    label = metric.replace("_", "-")
    parts = []
    t = result.summary()
    t = t[(t["metric"] == metric)]
    for deal in result.deals:
        when = reach[deal]
        s = f"under {deal} the median {label} reaches {level:g} in {when}" if not when.startswith("not") else \
            f"under {deal} the median {label} does not reach {level:g} by {int(result.years[-1])}"
        if year is not None and year in set(result.years.tolist()):
            v = float(t[(t["deal"] == deal) & (t["year"] == year)]["p50"].iloc[0])
            s += f" ({v:.2f} in {year})"
        parts.append(s)
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def headline_sentence(result: Result, metric: str, year: int, level: float) -> str:
    """The report's one finding, from the result, in a sentence a reader can quote: the median `metric`
    (a ratio or share, shown as a percentage) in `year` at its highest and lowest deal, and the first deal
    whose median reaches `level` (or that none does by the last year). One deal: its median with its
    p05–p95 and the year it reaches `level`. E.g. "In 2030 the median own-feedstock coverage is highest
    under repm_scheme, 36.0%, and lowest under status_quo, 0.5%; no deal's median reaches 50% by 2035."."""
    t = metric_table(result, metric, year, digits=12)
    reach = first_year_reaching(result, metric, level)
    what, end, lvl = metric_words(metric), int(result.years[-1]), f"{level * 100:g}%"
    if len(t) == 1:
        d = t.index[0]
        r = t.loc[d]
        when = (f"it first reaches {lvl} in {reach[d]}" if not reach[d].startswith("not")
                else f"it does not reach {lvl} by {end}")
        return (f"In {year} the median {what} under {d} is {percent(r['median'])} (p05–p95 {percent(r['p05'])}–"
                f"{percent(r['p95'])}); {when}.")
    hi, lo = t["median"].idxmax(), t["median"].idxmin()
    reached = {d: int(y) for d, y in reach.items() if not y.startswith("not")}
    if reached:
        first = min(reached.values())
        who = [d for d in t.index if reached.get(d) == first]
        tail = f"{_and(who)} {'is' if len(who) == 1 else 'are'} the first to reach {lvl}, in {first}"
    else:
        tail = f"no deal's median reaches {lvl} by {end}"
    return (f"In {year} the median {what} is highest under {hi}, {percent(t.loc[hi, 'median'])}, and lowest under {lo}, "
            f"{percent(t.loc[lo, 'median'])}; {tail}.")


def share_sentence(result: Result, metric: str, year: int) -> str:
    """Each deal's median `metric` (a share) in `year`, from the result: "In 2032 the median export
    share is 34.5% under status_quo; 0.0% under export_halt."."""
    t = metric_table(result, metric, year, digits=6)
    parts = [f"{t.loc[d, 'median']:.1%} under {d}" for d in t.index]
    return f"In {year} the median {metric.replace('_', ' ')} is " + "; ".join(parts) + "."


def concentration_sentence(ds: Dataset, edition: list[str] | None = None) -> str:
    """The newest year's leader, its share, the top-3 share and the HHI, from the USGS rows in use."""
    t = concentration_headline(ds, edition).reset_index().sort_values(["year", "edition"])
    r = t.iloc[-1]
    return (f"In {int(r['year'])} ({r['edition']}), {r['leader']} mined {r['leader_share']:.0%} of world rare-earth mine production; "
            f"the top three {r['top3_share']:.0%}, HHI {r['hhi']:,.0f}.")


def events_sentence(ds: Dataset, since: str | None = None) -> str:
    """How many events since a date, and the latest one, from the data."""
    t = events_table(ds, since)
    if t.empty:
        return f"No events since {since}."
    last = t.iloc[-1]
    return f"{len(t)} events{' since ' + str(since) if since else ''}; the latest: {last['title']} ({t.index[-1]})."
