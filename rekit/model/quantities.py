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
    def point(cls, value: float, unit: str, source: str, note: str = "") -> "Quantity":
        return cls(value, value, value, unit, source, note)

    @property
    def uncertain(self) -> bool:
        return self.high > self.low

    def key(self, name: str) -> int:
        """Stable stream key from the parameter name and the numbers (not the deal it sits in)."""
        return zlib.crc32(f"{name}|{self.value!r}|{self.low!r}|{self.high!r}".encode())

    def draw(self, name: str, seed: int, n: int) -> np.ndarray:
        """`n` draws (or the central value once when n == 0), shape (max(n, 1),)."""
        if n == 0 or not self.uncertain:
            return np.full(max(n, 1), self.value)
        rng = np.random.default_rng([seed, self.key(name)])
        return rng.triangular(self.low, self.value, self.high, n)


@dataclass(frozen=True)
class Schedule:
    """Quantities by year: linear between the given years, flat before the first and after the last."""

    points: tuple[tuple[int, Quantity], ...]

    @classmethod
    def constant(cls, q: Quantity) -> "Schedule":
        return cls(((0, q),))

    @property
    def quantities(self) -> list[Quantity]:
        return [q for _, q in self.points]

    def weights(self, years: np.ndarray) -> np.ndarray:
        """Interpolation weights, shape (points, years): row k is the hat function of point k."""
        ky = np.array([y for y, _ in self.points], dtype=float)
        eye = np.eye(len(ky))
        return np.stack([np.interp(years, ky, eye[k]) for k in range(len(ky))])

    def draw(self, name: str, seed: int, n: int, years: np.ndarray) -> np.ndarray:
        """Draws over `years`, shape (years, max(n, 1)); a one-point schedule gives (1, max(n, 1)) to broadcast."""
        if len(self.points) == 1:
            return self.points[0][1].draw(name, seed, n)[None, :]
        samples = np.stack([q.draw(f"{name}@{y}", seed, n) for y, q in self.points])  # (points, draws)
        return self.weights(years).T @ samples
