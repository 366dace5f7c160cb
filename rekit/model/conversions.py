"""Named conversion factors, derived here from their inputs so the derivation can be read.

Standard atomic weights: IUPAC Commission on Isotopic Abundances and Atomic Weights (CIAAW),
Nd 144.242, O 15.999, Fe 55.845, B 10.81 (the data holds the same figures as rows of
`atomic_weight`, and a test checks the two agree).
"""

from __future__ import annotations

ATOMIC_WEIGHT = {"Nd": 144.242, "O": 15.999, "Fe": 55.845, "B": 10.81}

#: t Nd per t Nd2O3: 2 Nd / (2 Nd + 3 O) ≈ 0.8574.
ND_PER_ND2O3 = 2 * ATOMIC_WEIGHT["Nd"] / (2 * ATOMIC_WEIGHT["Nd"] + 3 * ATOMIC_WEIGHT["O"])

#: t Nd per t of stoichiometric Nd2Fe14B: 2 Nd / (2 Nd + 14 Fe + B) ≈ 0.267 (an upper bound for a real magnet).
ND_PER_ND2FE14B = 2 * ATOMIC_WEIGHT["Nd"] / (2 * ATOMIC_WEIGHT["Nd"] + 14 * ATOMIC_WEIGHT["Fe"] + ATOMIC_WEIGHT["B"])


def nd2o3_to_nd(tonnes_oxide: float) -> float:
    """Tonnes of Nd contained in `tonnes_oxide` t of Nd2O3."""
    return tonnes_oxide * ND_PER_ND2O3


def nd_to_nd2o3(tonnes_nd: float) -> float:
    """Tonnes of Nd2O3 that contain `tonnes_nd` t of Nd."""
    return tonnes_nd / ND_PER_ND2O3
