"""The domain's rules, beyond the schema: bounds by unit, ranges, periods, keys and provenance.

Each rule takes the typed tables (with their `_row` column) and returns Problems; none stops at
the first. These are the rules that keep wrong numbers out, so `load()` runs all of them.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from rekit.data.files import clip, cut
from rekit.data.periods import PeriodError, parse_period
from rekit.data.problems import Problem
from rekit.data.schema import Resource
from rekit.data.tables import ROW
from rekit.data.units import bounds

NEEDS_QUOTE = ("reported", "estimate", "target")

#: Columns that name or key things, by resource: written in ASCII, so that `IRЕL` (with a Cyrillic
#: Е) is not a second IREL that `--entity IREL` silently leaves out. Columns the schema already
#: constrains (a pattern or an enum: ids, units) are left to it.
NAME_COLUMNS = {
    "observations": ("id", "indicator", "entity", "partner", "source_id", "derived_from", "scope_key"),
    "sources": ("source_id",),
    "events": ("id", "actor", "source_id"),
    "indicators": ("indicator",),
    "resolutions": ("resolution_id", "rows", "preferred"),
}
#: Dates that must be whole calendar days, by resource (their pattern gives only the form YYYY-MM-DD).
DAY_COLUMNS = {"sources": ("accessed",), "resolutions": ("decided",)}

#: Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables.txt, the common ones):
#: the ASCII spelling they would be mistaken for is suggested.
_LOOKALIKE = str.maketrans(
    "АВЕКМНОРСТХЅІЈУаеорсухѕіјԁһк" "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαικνορτυ",
    "ABEKMHOPCTXSIJYaeopcyxsijdhk" "ABEZHIKMNOPTYXaikvoptu",
)


def _rows(df: pd.DataFrame, mask: pd.Series):
    """Iterate over the rows of `df` where `mask` holds, as plain tuples with named fields."""
    m = mask.fillna(False).astype(bool)
    if not m.any():  # the usual case for a rule: nothing to report, nothing to build
        return iter(())
    return df[m].itertuples(index=False)


def foreign_keys(tables: dict[str, pd.DataFrame], schema: dict[str, Resource]) -> list[Problem]:
    """Every foreign key resolves (source_id to sources.csv, indicator to indicators.csv)."""
    out = []
    for res in schema.values():
        df = tables.get(res.name)
        if df is None:
            continue
        for fk in res.foreign_keys:
            target = tables.get(fk.resource)
            if target is None:
                continue
            known = set(target[fk.reference].dropna())
            col = df[fk.field]
            bad = col.notna() & ~col.isin(known)
            for row, value in zip(df.loc[bad, ROW], col[bad], strict=True):
                out.append(Problem(res.path, row, fk.field, f"{clip(value)} is not a {fk.reference} in {schema[fk.resource].path}"))
    return out


def bounded_values(obs: pd.DataFrame, file: str) -> list[Problem]:
    """Values, lows and highs within their unit's bounds; low <= value <= high."""
    out = []
    for r in obs.itertuples(index=False):
        unit = r.unit
        if pd.isna(unit):
            continue
        try:
            lo, hi = bounds(unit)
        except KeyError:  # not a controlled unit: the schema's enum check reports it
            continue
        for col in ("value", "low", "high"):
            x = getattr(r, col)
            if pd.notna(x) and not lo <= x <= hi:
                what = ("a share must lie in [0, 1]" if hi == 1.0 else f"a value in {unit} cannot be negative" if x < lo
                        else f"a value in {unit} must not exceed {hi:g} (a typing error?)")
                out.append(Problem(file, getattr(r, ROW), col, f"{x:g} is out of bounds: {what}"))
        v, low, high = r.value, r.low, r.high
        if pd.notna(low) and pd.notna(high) and low > high:
            out.append(Problem(file, getattr(r, ROW), "low", f"low {low:g} is above high {high:g}"))
        if pd.notna(low) and pd.notna(v) and low > v:
            out.append(Problem(file, getattr(r, ROW), "low", f"low {low:g} is above value {v:g}"))
        if pd.notna(high) and pd.notna(v) and v > high:
            out.append(Problem(file, getattr(r, ROW), "high", f"high {high:g} is below value {v:g}"))
    return out


def periods(df: pd.DataFrame, column: str, file: str) -> list[Problem]:
    """Every period (or date) parses."""
    out = []
    for row, text in zip(df[ROW], df[column], strict=True):
        if pd.isna(text):
            continue
        if len(text) > 40:  # no period is that long: do not echo the cell whole
            out.append(Problem(file, row, column, f"{clip(text)} is not a period"))
            continue
        try:
            parse_period(text)
        except PeriodError as exc:
            out.append(Problem(file, row, column, str(exc)))
    return out


def ascii_spelling(text: str) -> str | None:
    """The ASCII text `text` looks like (full-width forms, Cyrillic and Greek look-alikes, accents
    folded), or None when it has no such spelling: 'IRЕL' -> 'IREL'."""
    folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKE)
    folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return folded if folded.isascii() and folded != text else None


def ascii_names(df: pd.DataFrame, columns: tuple[str, ...], file: str) -> list[Problem]:
    """Names and keys are ASCII text: a look-alike letter makes a second entity that filters miss."""
    out = []
    for column in columns:
        if column not in df.columns:
            continue
        cells = df[column].tolist()
        if all(pd.isna(t) or t.isascii() for t in cells):  # the usual case
            continue
        for row, text in zip(df[ROW].tolist(), cells, strict=True):
            if pd.isna(text) or text.isascii():
                continue
            first = next(c for c in text if not c.isascii())
            what = unicodedata.name(first, "").title() or "a non-ASCII character"
            fix = ascii_spelling(text)
            hint = f"; did you mean {fix!r}?" if fix else ""
            out.append(Problem(file, row, column, f"{clip(text)} holds U+{ord(first):04X} ({what}): names and ids are "
                                                  f"written in ASCII letters, digits and punctuation{hint}"))
    return out


def _parsed(text: object):
    """The Period of a cell, or None if empty or unparseable (the `periods` rule names those)."""
    if pd.isna(text):
        return None
    try:
        return parse_period(text)
    except PeriodError:
        return None


def days(df: pd.DataFrame, column: str, file: str) -> list[Problem]:
    """Every cell of `column` is a real calendar day, YYYY-MM-DD (2026-02-30 and 2025-13-45 are refused)."""
    out = []
    for row, text in zip(df[ROW], df[column], strict=True):
        if pd.isna(text):
            continue
        try:
            p = parse_period(text) if len(text) <= 40 else None
        except PeriodError as exc:
            out.append(Problem(file, row, column, str(exc)))
            continue
        if p is None or p.kind != "date":
            out.append(Problem(file, row, column, f"{clip(text)} is not a calendar day (YYYY-MM-DD)"))
    return out


def read_after_published(src: pd.DataFrame, file: str) -> list[Problem]:
    """A source's publication `date` is not after the day it was `accessed` (a typing error in either)."""
    out = []
    for row, d, a in zip(src[ROW], src["date"], src["accessed"], strict=True):
        pd_, pa = _parsed(d), _parsed(a)
        if pd_ is not None and pa is not None and pd_.start > pa.end:
            out.append(Problem(file, row, "date", f"published {d}, after it was accessed on {a}: "
                                                  "a source is read on or after its publication date"))
    return out


def reported_in_time(obs: pd.DataFrame, src: pd.DataFrame, file: str) -> list[Problem]:
    """A `reported` figure's period starts no later than its source's date: a source reports what
    has begun by the time it is published; a figure for later is a target or an estimate."""
    published = {sid: _parsed(d) for sid, d in zip(src["source_id"].tolist(), src["date"].tolist(), strict=True)}
    out = []
    cols = (obs[c].tolist() for c in (ROW, "status", "period", "source_id"))
    for row, status, text, sid in zip(*cols, strict=True):
        if status != "reported":
            continue
        period, when = _parsed(text), published.get(sid)
        if period is not None and when is not None and period.start > when.end:
            out.append(Problem(file, row, "period",
                               f"a reported figure for {text} starts after its source {sid} was published ({when.text}): "
                               "a figure for a later period is a target or an estimate"))
    return out


def provenance(obs: pd.DataFrame, file: str) -> list[Problem]:
    """Reported, estimated and target rows quote their source; derived rows name their inputs; assumptions explain themselves."""
    out = []
    ids = set(obs["id"].dropna())
    for r in _rows(obs, obs["status"].isin(NEEDS_QUOTE) & obs["quote"].isna()):
        out.append(Problem(file, getattr(r, ROW), "quote", f"a {r.status} figure needs the words of its source"))
    for r in _rows(obs, obs["status"] == "derived"):
        row = getattr(r, ROW)
        if pd.isna(r.derived_from):
            out.append(Problem(file, row, "derived_from", "a derived figure must name the ids of the rows it comes from"))
        else:
            for ref in str(r.derived_from).split():
                if ref == r.id:
                    out.append(Problem(file, row, "derived_from", f"{clip(ref)} is this row itself"))
                elif ref not in ids:
                    out.append(Problem(file, row, "derived_from", f"{clip(ref)} is not an id in {file}"))
        if pd.isna(r.note):
            out.append(Problem(file, row, "note", "a derived figure must state its arithmetic in note"))
    for r in _rows(obs, (obs["status"] == "assumption") & obs["note"].isna()):
        out.append(Problem(file, getattr(r, ROW), "note", "an assumption must say what it assumes and why in note"))
    return out


def withdrawals(obs: pd.DataFrame, file: str) -> list[Problem]:
    """A withdrawn row keeps its source's original words (quote) and quotes the revision; only withdrawn rows carry a revision."""
    out = []
    withdrawn = obs["status"] == "withdrawn"
    for r in _rows(obs, withdrawn & obs["revision"].isna()):
        out.append(Problem(file, getattr(r, ROW), "revision",
                           "a withdrawn row must quote the source's retraction or revised text (with its date) in revision"))
    for r in _rows(obs, withdrawn & obs["quote"].isna()):
        out.append(Problem(file, getattr(r, ROW), "quote", "a withdrawn row keeps the words it was first taken from"))
    for r in _rows(obs, ~withdrawn & obs["revision"].notna()):
        out.append(Problem(file, getattr(r, ROW), "revision", f"only a withdrawn row has a revision; this row is {clip(r.status)}"))
    return out


def tiers(sources: pd.DataFrame, file: str) -> list[Problem]:
    """A wire-republished source names the original publisher in reports_on."""
    return [Problem(file, getattr(r, ROW), "reports_on", "a wire-republished source must name the original publisher (e.g. Reuters)")
            for r in _rows(sources, (sources["tier"] == "wire-republished") & sources["reports_on"].isna())]


def world_totals(obs: pd.DataFrame, file: str) -> list[Problem]:
    """No country's mine production exceeds the World total of the same source (edition), period and unit."""
    mp = obs[(obs["indicator"] == "mine_production").fillna(False).to_numpy()]
    cols = [mp[c].tolist() for c in ("entity", "source_id", "period", "unit", "value", ROW)]
    world = {(s, p, u): v for e, s, p, u, v, _ in zip(*cols, strict=True) if e == "World" and pd.notna(v)}
    out = []
    for e, s, p, u, v, row in zip(*cols, strict=True):
        w = world.get((s, p, u))
        if e != "World" and w is not None and pd.notna(v) and v > w:
            out.append(Problem(file, row, "value", f"{cut(e, 80)}'s {v:g} {u} exceeds the World total {w:g} of {s} for {p}"))
    return out


def origin_shares(obs: pd.DataFrame, file: str) -> list[Problem]:
    """The origin shares of one trade flow sum to at most 1, and each lies in [0, 1] (bounded_values checks that).

    Rows of an `import_share*` indicator with the same indicator, importer (entity), period and
    scope_key split one flow among its origins (partner). For each partner the lowest share any
    source gives counts (sources may differ); if these sum above 1 the flow's origins overlap or a
    share is mistyped: the problem names the row of the last partner, its value column, the
    partners and their sum. Withdrawn rows do not count. A sum below 1 is allowed: not every
    origin need be listed.
    """
    rows = obs[obs["indicator"].fillna("").str.startswith("import_share").to_numpy()
               & (obs["status"] != "withdrawn").fillna(True).to_numpy() & obs["value"].notna().to_numpy()]
    groups: dict[tuple, dict[str, tuple[float, int]]] = {}
    cols = [rows[c].tolist() for c in ("indicator", "entity", "period", "scope_key", "partner", "value", ROW)]
    for ind, ent, per, key, partner, v, row in zip(*cols, strict=True):
        g = groups.setdefault((ind, ent, per, None if pd.isna(key) else key), {})
        p = "" if pd.isna(partner) else str(partner)
        if p not in g or v < g[p][0]:
            g[p] = (float(v), row)
    out = []
    for (ind, ent, per, _), parts in groups.items():
        total = sum(v for v, _ in parts.values())
        if len(parts) > 1 and total > 1 + 1e-9:
            last = max(r for _, r in parts.values())
            names = ", ".join(f"{cut(p, 40) or '(none)'} {v:g}" for p, (v, _) in sorted(parts.items()))
            out.append(Problem(file, last, "value", f"the origin shares of {cut(str(ent), 40)}'s {ind} for {per} sum to "
                                                    f"{total:g} ({names}): shares of one flow must sum to at most 1"))
    return out


def duplicates(obs: pd.DataFrame, file: str) -> list[Problem]:
    """No row repeats another in every column but its id (the same figure entered twice under a new id)."""
    cols = [c for c in obs.columns if c not in ("id", ROW)]
    first: dict[tuple, tuple[int, str]] = {}
    out = []
    lists = [obs[c].tolist() for c in cols]
    for row, oid, *cells in zip(obs[ROW].tolist(), obs["id"].tolist(), *lists, strict=True):
        key = tuple(None if (c is None or c is pd.NA or c != c) else c for c in cells)  # c != c: NaN
        if key in first:
            r0, id0 = first[key]
            out.append(Problem(file, row, "id", f"{clip(oid)} repeats row {r0} ({clip(id0)}) in every other column: "
                                                "an exact duplicate under a new id"))
        else:
            first[key] = (row, oid)
    return out


def resolutions(res: pd.DataFrame, obs: pd.DataFrame, file: str, obs_file: str) -> list[Problem]:
    """Each resolution names two or more existing observation rows; `prefer` names one of them, `range` none."""
    ids = set(obs["id"].dropna())
    out = []
    for r in res.itertuples(index=False):
        row = getattr(r, ROW)
        refs = str(r.rows).split() if pd.notna(r.rows) else []
        if pd.notna(r.rows) and len(refs) < 2:
            out.append(Problem(file, row, "rows", "a disagreement needs two or more observation ids, separated by spaces"))
        for ref in refs:
            if ref not in ids:
                out.append(Problem(file, row, "rows", f"{clip(ref)} is not an id in {obs_file}"))
        if r.decision == "prefer":
            if pd.isna(r.preferred):
                out.append(Problem(file, row, "preferred", "decision 'prefer' must name the preferred row"))
            elif r.preferred not in refs:
                out.append(Problem(file, row, "preferred", f"{clip(r.preferred)} is not one of this resolution's rows"))
        elif r.decision == "range" and pd.notna(r.preferred):
            out.append(Problem(file, row, "preferred", "decision 'range' keeps both: leave preferred empty"))
    return out


def sources_used(sources: pd.DataFrame, users: list[pd.DataFrame], file: str) -> list[Problem]:
    """Every source is cited by at least one observation or event."""
    used = set().union(*(set(u["source_id"].dropna()) for u in users))
    return [
        Problem(file, row, "source_id", f"{clip(sid)} is cited by no observation or event")
        for row, sid in zip(sources[ROW], sources["source_id"], strict=True)
        if pd.notna(sid) and sid not in used
    ]


#: What an export-control event must say beyond what happened (events.csv): the measure's number, what it
#: covers and its status; where a source is silent the cell says "not reported as of DATE".
CONTROL_COLUMNS = ("number", "scope", "status")


def control_measures(ev: pd.DataFrame, file: str) -> list[Problem]:
    """Every export_control event gives its number, scope and status (a data package without those
    columns, older than 0.4.0, is left alone)."""
    cols = [c for c in CONTROL_COLUMNS if c in ev.columns]
    if "kind" not in ev.columns or not cols:
        return []
    out = []
    for c in cols:
        blank = ev[c].isna() | (ev[c].astype(str).str.strip() == "")
        for r in _rows(ev, (ev["kind"] == "export_control") & blank):
            out.append(Problem(file, getattr(r, ROW), c, f"export control {clip(r.id)} has no {c}; "
                               f"write it, or 'not reported as of DATE' where no source gives it"))
    return out


def check(tables: dict[str, pd.DataFrame], schema: dict[str, Resource]) -> list[Problem]:
    """All domain rules over the typed tables."""
    obs, src, ev = tables["observations"], tables["sources"], tables["events"]
    f_obs, f_src, f_ev = (schema[n].path for n in ("observations", "sources", "events"))
    extra = []
    if "resolutions" in tables:
        extra = resolutions(tables["resolutions"], obs, schema["resolutions"].path, f_obs)
    for name, columns in NAME_COLUMNS.items():
        if name in tables:
            constrained = {f.name for f in schema[name].fields if f.pattern or f.enum}
            extra += ascii_names(tables[name], tuple(c for c in columns if c not in constrained), schema[name].path)
    for name, columns in DAY_COLUMNS.items():
        if name in tables:
            extra += [p for c in columns for p in days(tables[name], c, schema[name].path)]
    return [
        *extra,
        *read_after_published(src, f_src),
        *reported_in_time(obs, src, f_obs),
        *withdrawals(obs, f_obs),
        *tiers(src, f_src),
        *world_totals(obs, f_obs),
        *duplicates(obs, f_obs),
        *foreign_keys(tables, schema),
        *bounded_values(obs, f_obs),
        *origin_shares(obs, f_obs),
        *periods(obs, "period", f_obs),
        *periods(src, "date", f_src),
        *periods(ev, "date", f_ev),
        *provenance(obs, f_obs),
        *sources_used(src, [obs, ev, *(t for n, t in tables.items() if n not in ("observations", "events", "sources")
                                        and "source_id" in t.columns)], f_src),
        *control_measures(ev, f_ev),
    ]
