"""The model's parameter tables in Markdown, rendered from data/deals.yml (the README carries them).

`parameter_table(book)` gives every parameter of a deal as the defaults set it (value, range,
unit, source) and, below it, every value a preset sets differently; `production_table(book)`
and `demand_table(book)` give the bases. A test checks that the README's copy matches, so the
README can never drift from the data.
"""

from __future__ import annotations

from rekit.model.deals import DEMAND_PARAMS, PARAMS, DealBook, load_deals
from rekit.model.quantities import Quantity, Schedule

START, END = "<!-- parameter-table:start -->", "<!-- parameter-table:end -->"


def _num(x: float) -> str:
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _q(q: Quantity) -> tuple[str, str]:
    rng = f"{_num(q.low)}–{_num(q.high)}" if q.uncertain else ""
    return _num(q.value), rng


def _when(t: float) -> str:
    """A year as written ('2031'), or a run-rate point (decimal year) as its date ('2026-03-31')."""
    if float(t).is_integer():
        return str(int(t))
    import datetime as dt

    y = int(t)
    days = (dt.date(y + 1, 1, 1) - dt.date(y, 1, 1)).days
    return (dt.date(y, 1, 1) + dt.timedelta(days=round((t - y) * days))).isoformat()


def _schedule(s: Schedule) -> tuple[str, str, str]:
    """(value, range, source) of a schedule: one point plainly, several as 'YEAR: value' joined by '; '."""
    if len(s.points) == 1:
        v, r = _q(s.points[0][1])
        return v, r, _cell(s.points[0][1].source)
    vals = "; ".join(f"{_when(t)}: {_q(q)[0]}" for t, q in s.points)
    rngs = "; ".join(f"{_when(t)}: {_q(q)[1]}" for t, q in s.points if q.uncertain)
    srcs = "; ".join(dict.fromkeys(_cell(q.source) for _, q in s.points))
    return vals, rngs, srcs


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def parameter_table(book: DealBook | None = None) -> str:
    """Markdown: the defaults of every deal parameter, then what each preset sets otherwise."""
    book = book or load_deals()
    base = load_deals({"deals": {"defaults_only": {"description": "the defaults alone"}}}).get("defaults_only")
    lines = ["| parameter | what it is | unit | value | range | source |", "|---|---|---|---|---|---|"]
    for p, spec in PARAMS.items():
        if p in DEMAND_PARAMS:
            continue
        v, r, s = _schedule(base.params[p])
        lines.append(f"| `{p}` | {_cell(spec.doc)} | {spec.unit} | {v} | {r} | {s} |")
    lines += ["", "What each preset sets otherwise (shares are in `data/deals.yml`):", "",
              "| deal | parameter | value | range | source |", "|---|---|---|---|---|"]
    for name, deal in book.deals.items():
        for p in PARAMS:
            if p in DEMAND_PARAMS or deal.params[p] == base.params[p]:
                continue
            v, r, s = _schedule(deal.params[p])
            lines.append(f"| `{name}` | `{p}` | {v} | {r} | {s} |")
        if deal.export_halt:
            lines.append(f"| `{name}` | export halt | {deal.export_halt} |  | 2012 agreement's exports stop (part of the year ships) |")
        if deal.shock_start:
            lines.append(f"| `{name}` | China shock | from {deal.shock_start} |  | modelled on event `{deal.shock_event}` |")
    return "\n".join(lines)


def bases_table(book: DealBook | None = None) -> str:
    """Markdown: the production bases (t NdPr oxide) and the demand bases (t magnet)."""
    book = book or load_deals()
    lines = ["| basis | kind | points | range | capacity (t NdPr oxide/yr) | source |", "|---|---|---|---|---|---|"]
    for name, b in book.bases.items():
        v, r, s = _schedule(b.schedule)
        cv, cr, cs = _schedule(b.capacity)
        lines.append(f"| production `{name}` | {b.schedule.kind} | {v} | {r} | {cv}{f' ({cr})' if cr else ''} | {s}; {cs} |")
    for name, d in book.demands.items():
        v, r, s = _schedule(d.base)
        gv, gr, gs = _schedule(d.growth)
        default = " (default)" if name == book.default_demand else ""
        lines.append(f"| demand `{name}`{default} | base {d.base_year}, growth a year | {v}; growth {gv} | {r}{'; ' + gr if gr else ''} |  | {s}; {gs} |")
    return "\n".join(lines)


def readme_block(book: DealBook | None = None) -> str:
    """The block of the README between the parameter-table markers."""
    book = book or load_deals()
    return f"{START}\n{bases_table(book)}\n\n{parameter_table(book)}\n{END}"


__all__ = ["END", "START", "bases_table", "parameter_table", "readme_block"]
