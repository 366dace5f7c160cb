"""Named conversion factors and calendar rules, derived here from their inputs so they can be read.

Standard atomic weights: IUPAC Commission on Isotopic Abundances and Atomic Weights (CIAAW,
2021 revision): Nd 144.242, Pr 140.90766, Dy 162.500, Tb 158.925354, O 15.999, Fe 55.845,
B 10.81. The data holds each as a row of `atomic_weight`, and a test checks the two agree.

Stoichiometric factors (t element per t oxide) are chemistry, not yields: they say how much of
an oxide's mass is the element (the rest is oxygen). Process yields (what a plant loses beyond
the oxygen) are separate, ranged parameters of the model (rekit.model.deals.PARAMS).
"""

from __future__ import annotations

import datetime as _dt

from rekit.model.quantities import Quantity

ATOMIC_WEIGHT = {"Nd": 144.242, "Pr": 140.90766, "Dy": 162.500, "Tb": 158.925354, "O": 15.999, "Fe": 55.845, "B": 10.81}

#: The elements the model carries, in the order of its element dimension.
ELEMENTS = ("Nd", "Pr", "Dy", "Tb")

#: The oxide each element is traded as: (element atoms, oxygen atoms) per formula unit.
OXIDES = {"Nd": ("Nd2O3", 2, 3), "Pr": ("Pr6O11", 6, 11), "Dy": ("Dy2O3", 2, 3), "Tb": ("Tb4O7", 4, 7)}


def element_in_oxide(element: str) -> float:
    """t element per t of its oxide: n·A(el) / (n·A(el) + m·A(O)) for the formula El_nO_m."""
    _, n, m = OXIDES[element]
    a = ATOMIC_WEIGHT[element]
    return n * a / (n * a + m * ATOMIC_WEIGHT["O"])


#: t Nd per t Nd2O3: 2·144.242 / (2·144.242 + 3·15.999) = 288.484 / 336.481 ≈ 0.8574.
ND_PER_ND2O3 = element_in_oxide("Nd")
#: t Pr per t Pr6O11: 6·140.90766 / (6·140.90766 + 11·15.999) = 845.44596 / 1021.43496 ≈ 0.8277.
PR_PER_PR6O11 = element_in_oxide("Pr")
#: t Dy per t Dy2O3: 2·162.500 / (2·162.500 + 3·15.999) = 325.0 / 372.997 ≈ 0.8713.
DY_PER_DY2O3 = element_in_oxide("Dy")
#: t Tb per t Tb4O7: 4·158.925354 / (4·158.925354 + 7·15.999) = 635.701416 / 747.694416 ≈ 0.8502.
TB_PER_TB4O7 = element_in_oxide("Tb")

#: t Nd per t of stoichiometric Nd2Fe14B: 2 Nd / (2 Nd + 14 Fe + B) ≈ 0.267 (an upper bound for a real magnet).
ND_PER_ND2FE14B = 2 * ATOMIC_WEIGHT["Nd"] / (2 * ATOMIC_WEIGHT["Nd"] + 14 * ATOMIC_WEIGHT["Fe"] + ATOMIC_WEIGHT["B"])


#: t NdPr oxide per t of "neodymium" as IREL's figures are written (40, 80, 450, 900 t): an
#: ASSUMPTION with a range spanning the two readings of the word. Low end 1: the figure already
#: means NdPr oxide, the material of IREL's figures in the magnet scheme's notification (400 t/yr
#: NdPr oxide capacity, a 500 t NdPr oxide stock; energetica_2025_12_18). High end 1/0.8574 =
#: 1.1663: the figure is t Nd metal content, carried by 1/0.8574 t Nd2O3 (atomic weights, CIAAW
#: 2021: 336.481 / 288.484). The central value is the oxide reading (the sources' figures sit at
#: the notification's scale). Production bases whose points are in t Nd are multiplied by it.
ND_AS_NDPR_OXIDE = Quantity(1.0, 1.0, 1 / (2 * ATOMIC_WEIGHT["Nd"] / (2 * ATOMIC_WEIGHT["Nd"] + 3 * ATOMIC_WEIGHT["O"])),
                            "t NdPr oxide per t Nd", "assumption: 'neodymium' read as NdPr oxide (1) or as Nd content of Nd2O3 (1/0.8574)")


def nd2o3_to_nd(tonnes_oxide: float) -> float:
    """Tonnes of Nd contained in `tonnes_oxide` t of Nd2O3."""
    return tonnes_oxide * ND_PER_ND2O3


def nd_to_nd2o3(tonnes_nd: float) -> float:
    """Tonnes of Nd2O3 that contain `tonnes_nd` t of Nd."""
    return tonnes_nd / ND_PER_ND2O3


def ndpr_oxide_split(pr_share):
    """(t Nd, t Pr) per t of NdPr oxide whose mass is a share `pr_share` Pr6O11, the rest Nd2O3.

    t Nd = (1 − p)·0.8574 and t Pr = p·0.8277; their sum is the t NdPr metal per t oxide
    (about 0.851 at p = 0.22). Works on numbers and numpy arrays.
    """
    return (1 - pr_share) * ND_PER_ND2O3, pr_share * PR_PER_PR6O11


def fiscal_to_calendar(fy_prev, fy_this):
    """Calendar year Y from the totals of India's fiscal years FY(Y−1) and FY(Y) (April to March).

    FY(Y) runs April Y to March Y+1: nine of its months lie in calendar Y and three of FY(Y−1)'s
    (January to March Y). With output spread evenly over a fiscal year:
    CY(Y) = 0.25·FY(Y−1) + 0.75·FY(Y).
    """
    return 0.25 * fy_prev + 0.75 * fy_this


def year_fraction_before(date: str | _dt.date, year: int) -> float:
    """Share of calendar `year` that lies before `date` (1 before the date's year, 0 after it).

    A halt on 13 June 2025 leaves 163 of 2025's 365 days (1 January to 12 June) before it: 0.447.
    """
    d = date if isinstance(date, _dt.date) else _dt.date.fromisoformat(str(date))
    start, end = _dt.date(year, 1, 1), _dt.date(year + 1, 1, 1)
    if d <= start:
        return 0.0
    if d >= end:
        return 1.0
    return (d - start).days / (end - start).days
