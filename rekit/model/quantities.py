"""Uncertain numbers and year schedules of them, drawn in a seeded, vectorised Monte Carlo.

A Quantity is a central value with an optional range [low, high] and the source it comes from.
Draws follow a triangular distribution on [low, high] with its mode at the central value (the
source's own figure stays the most likely). A Schedule maps years to Quantities, linear between
its years and flat beyond them. Each Quantity draws from its own random stream, keyed by the
seed and by what it is, so two deals with the same assumption share the same draws (common
random numbers: differences between deals are not sampling noise) and adding a deal does not
change the draws of the others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Quantity:
    """An uncertain number in a stated unit, with its source ("obs:ID", a source_id, or "assumption: …")."""

    value: float
    low: float
    high: float
    unit: str
    source: str
    note: str = ""

    @classmethod
    def point(cls, value: float, unit: str, source: str, note: str = "") -> Quantity:
        return cls(value, value, value, unit, source, note)

    @property
    def uncertain(self) -> bool:
        return self.high > self.low

    def key(self, name: str) -> int:
        """Stable stream key from the parameter name and the numbers (not the deal it sits in)."""
        return zlib.crc32(f"{name}|{self.value!r}|{self.low!r}|{self.high!r}".encode())

    def draw(self, name: str, seed: int, n: int) -> np.ndarray:
        """`n` draws, shape (n,); the central value once, shape (1,), when n == 0 or there is no range
        (it broadcasts against the draws: the same numbers, without n copies)."""
        if n == 0 or not self.uncertain:
            return np.full(1, self.value)
        rng = np.random.default_rng([seed, self.key(name)])
        return self.ppf(rng.random(n))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Triangular quantile function on [low, high] with mode `value`, at probabilities `u` in [0, 1].

        F⁻¹(u) = a + √(u (b − a)(c − a)) for u < F(c) = (c − a)/(b − a), else b − √((1 − u)(b − a)(b − c))
        (a low, b high, c mode). Draws are F⁻¹ of seeded uniforms, so a sensitivity analysis can
        feed its own sample of u and get the same distribution.
        """
        u = np.asarray(u, dtype=float)
        a, b, c = self.low, self.high, self.value
        if b <= a:
            return np.full(u.shape, c)
        fc = (c - a) / (b - a)
        lo = a + np.sqrt(u * (b - a) * (c - a))
        hi = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < fc, lo, hi)


@dataclass(frozen=True)
class Schedule:
    """Quantities by year: linear between the given years, flat before the first and after the last.

    `kind` says what the points are:
      - "annual" (default): calendar-year values, linear between the given years;
      - "fiscal": totals of India's fiscal years keyed by the year each starts (FY2025-26 -> 2025),
        linear between them; calendar year Y = 0.25·FY(Y−1) + 0.75·FY(Y) (rekit.model.conversions);
      - "run_rate": rates (per year) reached at points in time (decimal years: 31 March 2026 is
        2026.247), linear between them and flat outside; the total of calendar year Y is the mean
        of the rate over its twelve months (a year-end target is not that year's total).
    """

    points: tuple[tuple[float, Quantity], ...]
    kind: str = "annual"

    @classmethod
    def constant(cls, q: Quantity) -> Schedule:
        return cls(((0, q),))

    @property
    def quantities(self) -> list[Quantity]:
        return [q for _, q in self.points]

    def hat(self, t: np.ndarray) -> np.ndarray:
        """Linear-interpolation weights at times `t`, shape (points, len(t)): row k is point k's hat function."""
        ky = np.array([y for y, _ in self.points], dtype=float)
        eye = np.eye(len(ky))
        return np.stack([np.interp(np.asarray(t, dtype=float), ky, eye[k]) for k in range(len(ky))])

    def weights(self, years: np.ndarray) -> np.ndarray:
        """Weights, shape (points, years), that turn the points' values into calendar-year values."""
        years = np.asarray(years, dtype=float)
        if self.kind == "fiscal":
            return 0.25 * self.hat(years - 1) + 0.75 * self.hat(years)
        if self.kind == "run_rate":
            months = years[:, None] + (np.arange(12) + 0.5) / 12  # mid-month times, (years, 12)
            return self.hat(months.ravel()).reshape(len(self.points), len(years), 12).mean(axis=-1)
        return self.hat(years)

    def draw(self, name: str, seed: int, n: int, years: np.ndarray) -> np.ndarray:
        """Draws over `years`, shape (years, n); a one-point schedule gives (1, n) and one with no
        range (or n == 0) gives width 1, to broadcast."""
        if len(self.points) == 1:
            return self.points[0][1].draw(name, seed, n)[None, :]
        w = self.weights(years)  # (points, years)
        out = np.zeros((len(years), max(n, 1) if any(q.uncertain for q in self.quantities) else 1))
        for k, (y, q) in enumerate(self.points):  # a weighted sum over a few points (no BLAS call for a tiny product)
            if w[k].any():
                out += w[k][:, None] * q.draw(f"{name}@{y}", seed, n)[None, :]
        return out

    def from_u(self, u: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Values over `years` when every point sits at the same probability `u` (shape (n,)): (years, n).

        A sensitivity analysis treats a schedule as one input: its points move together.
        """
        if len(self.points) == 1:
            return self.points[0][1].ppf(u)[None, :]
        w = self.weights(years)
        return sum(w[k][:, None] * q.ppf(u)[None, :] for k, (_, q) in enumerate(self.points))


def highest(s: Schedule | None) -> float:
    """The largest value a schedule can take in any year and draw (its points' highs, in its unit); 0.0 for
    no schedule. 0 means the parameter is zero everywhere: what it gates (a partner, a stock, recycling) is off."""
    return max((q.high for q in s.quantities), default=0.0) if s is not None else 0.0
