"""The model's documentation, generated from the model itself: the README's parameter tables and the methods page.

`parameter_table(book)` gives every parameter of a deal as the defaults set it (value, range,
unit, source) and, below it, every value a preset sets differently; `bases_table(book)` gives
the bases. A test checks that the README's copy matches, so the README can never drift from the
data.

`methods(book)` is what the methods page (rekit/reports/templates/methods.html.j2) and each
report's methods section print: the system's equations (the block of rekit.model.simulation's
docstring the code follows), every metric with its unit, formula and reference
(simulation.METRICS, FORMULAS and ALIASES), every parameter with its unit, bounds, default,
range and source (deals.PARAMS and data/deals.yml), the production and demand bases and the
framings, and a worked example: one headline number with the formula, the inputs it reads
(central values, draws = 0) and the value the model reports, so a reader can redo the sum.
A test does (tests/model/test_docs.py).
"""

from __future__ import annotations

import re

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
            span = f"{deal.export_halt}–{deal.export_halt_latest}" if deal.export_halt_latest else ""
            lines.append(f"| `{name}` | export halt | {deal.export_halt} | {span} | the flow to Toyotsu Rare Earths India under the "
                         "2012 agreement stops (part of the year ships) |")
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
        ranges = f"{r}{'; ' + gr if gr else ''}"
        lines.append(f"| demand `{name}`{default} | base {d.base_year}, growth a year | {v}; growth {gv} | {ranges} |  | {s}; {gs} |")
    return "\n".join(lines)


def readme_block(book: DealBook | None = None) -> str:
    """The block of the README between the parameter-table markers."""
    book = book or load_deals()
    return f"{START}\n{bases_table(book)}\n\n{parameter_table(book)}\n{END}"


#: The symbols of the metric formulas (simulation.FORMULAS) and the metric each one reads, t magnet a
#: year unless said: what the worked example prints as the formula's inputs.
SYMBOLS: dict[str, tuple[str, str]] = {
    "D": ("magnet_demand", "India's NdFeB magnet demand (the demand basis)"),
    "G": ("magnets_india", "magnets made in India, from any feed"),
    "R": ("magnets_returned", "magnets a tolling partner returns to India"),
    "M": ("magnet_imports", "finished magnets imported"),
    "E": ("magnet_exports", "magnets made beyond India's demand, exported"),
    "own": ("magnets_domestic", "magnets made in India from India's own oxide (IREL's output and stock)"),
    "O": ("oxide_production", "IREL's NdPr oxide output, t NdPr oxide"),
    "S": ("oxide_stock", "NdPr oxide stock at year end, t NdPr oxide"),
    "q": ("", "t magnet made from a t of NdPr oxide along the chain (the equations above; the framing)"),
}
#: The worked example: the headline metric of the self-sufficiency report, for its default deal and year.
EXAMPLE = ("repm_scheme", 2030, "own_feedstock_coverage")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def system_equations() -> str:
    """The equations of the system, as rekit.model.simulation's docstring gives them (the indented block after 'Per year:')."""
    from rekit.model import simulation

    lines = (simulation.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("Per year:")) + 1
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line[4:] if line.startswith("    ") else "")
    return "\n".join(block).strip("\n")


def formula_symbols(formula: str) -> list[str]:
    """The symbols a formula reads, in order of first use ('(own + R) / D' -> ['own', 'R', 'D'])."""
    return list(dict.fromkeys(_TOKEN.findall(formula)))


def metric_rows() -> list[dict]:
    """Every metric: name, unit, description, formula (symbols in SYMBOLS), reference, and alias_of for an old name."""
    from rekit.model.simulation import metric_catalogue

    return metric_catalogue().fillna("").to_dict("records")


def parameter_rows(book: DealBook | None = None) -> list[dict]:
    """Every deal parameter: name, group, unit, what it is, bounds, and the defaults' value, range and source."""
    book = book or load_deals()
    base = load_deals({"deals": {"defaults_only": {"description": "the defaults alone"}}}, ds=None).get("defaults_only")
    rows = []
    for p, spec in PARAMS.items():
        if p in DEMAND_PARAMS:
            continue
        v, r, src = _schedule(base.params[p])
        rows.append({"name": p, "group": spec.group, "unit": spec.unit, "doc": spec.doc,
                     "bounds": f"{'(' if spec.open_lo else '['}{_num(spec.lo)}, {_num(spec.hi) if spec.hi != float('inf') else '∞'}]",
                     "value": v, "range": r, "source": src})
    return rows


def choice_rows(book: DealBook | None = None) -> list[dict]:
    """The structural choices: each production basis, demand basis and framing with its description (the grid's dimensions)."""
    from rekit.model.deals import FRAMINGS

    book = book or load_deals()
    rows = [{"dimension": "production basis", "name": b.name, "unit": "t NdPr oxide/yr", "description": b.description}
            for b in book.bases.values()]
    rows += [{"dimension": "demand basis", "name": d.name, "unit": "t magnet/yr", "description": d.description}
             for d in book.demands.values()]
    rows += [{"dimension": "framing", "name": f, "unit": "t magnet per t NdPr oxide", "description": book.framing(f).description}
             for f in FRAMINGS]
    return rows


def worked_example(book: DealBook | None = None, deal: str = EXAMPLE[0], year: int = EXAMPLE[1],
                   metric: str = EXAMPLE[2]) -> dict:
    """One headline number redone by hand: the metric's formula, each input's central value (draws = 0,
    the default production basis, demand basis and framing) and the value the model reports."""
    from rekit.model.simulation import FORMULAS, METRICS, START, ModelError, simulate

    workable = [m for m, (f, _) in FORMULAS.items() if all(SYMBOLS[s][0] for s in formula_symbols(f))]
    if metric not in workable:  # unknown, or its formula reads a factor of the chain (q) that no metric reports
        raise ModelError(f"worked example: metric {metric!r} is not allowed; allowed: the metrics whose formula's "
                         f"inputs are all metrics: {', '.join(workable)}")
    book = book or load_deals()
    formula = FORMULAS[metric][0]
    res = simulate(book, [deal], years=(START, year), draws=0)
    inputs = []
    for sym in formula_symbols(formula):
        name, meaning = SYMBOLS[sym]
        inputs.append({"symbol": sym, "metric": name, "meaning": meaning, "unit": METRICS[name][0],
                       "value": float(res.at(name, deal, year)[0])})
    return {"deal": deal, "year": year, "metric": metric, "unit": METRICS[metric][0], "formula": formula,
            "inputs": inputs, "value": float(res.at(metric, deal, year)[0]),
            "basis": res.basis, "demand": res.demand}


def methods(book: DealBook | None = None) -> dict:
    """Everything the methods page prints, generated from the model (see the module docstring)."""
    book = book or load_deals()
    return {"equations": system_equations(), "metrics": metric_rows(), "symbols": [
        {"symbol": k, "metric": m, "meaning": d} for k, (m, d) in SYMBOLS.items()],
            "parameters": parameter_rows(book), "choices": choice_rows(book), "example": worked_example(book)}


def headline_formulas() -> list[dict]:
    """The metrics with a formula (simulation.FORMULAS), for a report's methods section: name, unit, formula, reference."""
    return [r for r in metric_rows() if r["formula"] and not r["alias_of"]]


__all__ = ["END", "EXAMPLE", "START", "SYMBOLS", "bases_table", "choice_rows", "formula_symbols", "headline_formulas",
           "methods", "metric_rows", "parameter_rows", "parameter_table", "readme_block", "system_equations",
           "worked_example"]
