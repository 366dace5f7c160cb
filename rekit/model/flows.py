"""The material-flow system of India's NdPr and Dy/Tb: processes, flows, stocks, and its mass balance.

In the spirit of ODYM / flodym (Pauliuk & Heeren 2020, J. Ind. Ecol. 24:446): a system is a set
of processes joined by flows; stocks sit in processes; every flow and stock is an array over
named dimensions, here deal × year × draw, with the element dimension (Nd, Pr, Dy, Tb) carried
by composition factors; and every process balances, inputs − outputs = stock change, for every
element, year and draw. The arithmetic lives in rekit.model.simulation (numpy, vectorised over
deals and draws, one step per year for the stocks); this module names the system and checks it.

Processes (index: name):
    0 outside: mines, refiners and magnet makers abroad, and losses
    1 oxide: IREL's separation output and India's NdPr oxide stock
    1a toyotsu: Toyotsu Rare Earths India (a Toyota Tsusho unit), which takes IREL's rare earths under the
       2012 intergovernmental agreement, processes them in India and ships them all to Japan; it holds
       no stock, so what it takes in a year leaves that year (its flow in is its exports)
    2 reduction: NdPr oxide to NdPr metal in India
    3 magnets: alloy, sintering and machining in India, swarf recycled in the plant
    4 partner: a tolling partner abroad, with magnets in the pipeline back to India
    5 use: India's magnet use

Inside, quantities are tonnes of element; at the edges they are reported in t NdPr oxide,
t NdPr metal and t magnet through the named factors of rekit.model.conversions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rekit.model.conversions import ELEMENTS

DIMENSIONS = ("deal", "year", "draw", "element")
PROCESSES = ("outside", "oxide", "toyotsu", "reduction", "magnets", "partner", "use")


@dataclass(frozen=True)
class Flow:
    """A flow between two processes: its name, the unit it is reported in at the edge, and its meaning."""

    name: str
    origin: str
    target: str
    unit: str
    doc: str


@dataclass(frozen=True)
class Stock:
    """A stock inside a process, carried from year to year."""

    name: str
    process: str
    unit: str
    doc: str


FLOWS = (
    Flow("irel_output", "outside", "oxide", "t NdPr oxide", "IREL's separated NdPr oxide (min of its path and capacity)"),
    Flow("oxide_imports", "outside", "oxide", "t NdPr oxide", "NdPr oxide imported for magnet making"),
    Flow("to_toyotsu", "oxide", "toyotsu", "t NdPr oxide", "IREL's oxide supplied to Toyotsu Rare Earths India under the 2012 "
         "agreement, until the halt (a date between the June 2025 directive and the end of supplies)"),
    Flow("exports", "toyotsu", "outside", "t NdPr oxide", "what Toyotsu Rare Earths India ships to Japan: all it takes (no stock)"),
    Flow("tolled", "oxide", "partner", "t NdPr oxide", "oxide sent to a tolling partner"),
    Flow("to_reduction", "oxide", "reduction", "t NdPr oxide", "oxide reduced to metal in India"),
    Flow("reduction_loss", "reduction", "outside", "t element", "rare earth lost in reduction (beyond the oxygen)"),
    Flow("metal", "reduction", "magnets", "t NdPr metal", "NdPr metal made in India"),
    Flow("metal_imports", "outside", "magnets", "t NdPr metal", "NdPr metal imported for magnet making"),
    Flow("heavy_imports", "outside", "magnets", "t Dy+Tb", "Dy and Tb imported for magnet making"),
    Flow("magnet_loss", "magnets", "outside", "t element", "alloy-making loss and swarf not recovered"),
    Flow("magnets_india", "magnets", "use", "t magnet", "magnets made in India"),
    Flow("partner_heavy", "outside", "partner", "t Dy+Tb", "the partner's own Dy and Tb"),
    Flow("partner_loss", "partner", "outside", "t element", "the partner's process losses"),
    Flow("kept", "partner", "outside", "t magnet", "magnets the partner keeps as payment"),
    Flow("returned", "partner", "use", "t magnet", "magnets the partner returns to India"),
    Flow("magnet_imports", "outside", "use", "t magnet", "finished magnets imported"),
    Flow("magnet_exports", "use", "outside", "t magnet", "magnets beyond India's demand, exported"),
    Flow("magnet_use", "use", "outside", "t magnet", "India's magnet use (leaves the system into products)"),
)
STOCKS = (
    Stock("oxide_stock", "oxide", "t NdPr oxide", "NdPr oxide held in India (IREL's stock), never negative"),
    Stock("heavy_stock", "magnets", "t Dy+Tb", "Dy and Tb held by magnet makers in India"),
    Stock("pipeline", "partner", "t magnet", "magnets made by the partner not yet back in India"),
)


class MassBalanceError(ValueError):
    """The flows do not add up: names the deal, the year, the element and the process where they fail."""


def check_balance(residuals: dict[tuple[str, str], np.ndarray], names, years, scale: float, rtol: float = 1e-9) -> None:
    """Raise MassBalanceError unless every residual (process, element) -> array (deal, year, draw) is ~0.

    A residual is inputs − outputs − stock change of one process for one element, in t element.
    The tolerance is `rtol` times `scale` (the largest flow of the run); NaN fails too.
    """
    tol = rtol * max(1.0, scale)
    for (process, element), r in residuals.items():
        bad = ~(np.abs(r) <= tol)
        if bad.any():
            i, t, j = np.argwhere(bad)[0]
            raise MassBalanceError(f"deal {names[i]!r}, year {years[t]}, element {element}: mass balance of process "
                                   f"{process!r} fails by {r[i, t, j]:.3g} t")


__all__ = ["DIMENSIONS", "ELEMENTS", "FLOWS", "PROCESSES", "STOCKS", "Flow", "MassBalanceError", "Stock", "check_balance"]
