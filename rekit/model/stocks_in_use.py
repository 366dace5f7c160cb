"""Magnets in use: an inflow-driven dynamic stock model of NdFeB magnets, by cohort.

The magnets that enter use in year c (the cohort) stay in use for a lifetime drawn from a
distribution and leave as end-of-life scrap. With inflows entering in the middle of their year
(the convention of flodym's ``InflowDrivenDSM``, its default ``inflow_at="middle"``), a cohort is
a + ½ years old at the end of year c + a, and

    S[a]      = survival function of the lifetime at age a + ½               (share still in use)
    p[0]      = 1 − S[0],   p[a] = S[a − 1] − S[a]  for a ≥ 1                (share leaving in year c + a)
    outflow[t] = Σ_{a=0..t} inflow[t − a] · p[a]                            (t magnet / yr)
    stock[t]   = Σ_{c≤t} (inflow[c] − outflow[c])                            (t magnet, at year end)

which is the cohort sum stock[t] = Σ_a inflow[t − a] · S[a] (Müller 2006, Ecol. Econ. 59:142;
Pauliuk & Heeren 2020, J. Ind. Ecol. 24:446), written so that the mass balance
inflow − outflow = Δstock holds by construction and the outflow is a sum of non-negative terms.

Lifetimes (years):
    Weibull  S(x) = exp(−(x / scale)^shape)             (scale > 0, shape > 0)
    normal   S(x) = Φ((mean − x) / std) = ½ erfc((x − mean) / (std √2))   (mean > 0, std > 0);
             as in flodym, the share the normal gives to ages below ½ leaves in the year of entry.

Every array has the years on its last axis; the axes before it (draws, end uses, deals, in any
order the caller chooses) are the batch, and lifetime parameters and element contents broadcast
against it. The loop runs over ages (at most the number of years), never over draws or end uses.

Elements: a magnet's Nd, Pr, Dy and Tb contents (t element per t magnet, per end use) scale
the magnet flows; a content fixed per end use keeps each element's balance exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.special import ndtr

from rekit.data.dataset import Dataset, load
from rekit.errors import RekitError
from rekit.model.conversions import ELEMENTS


class ModelError(RekitError, ValueError):
    """Bad input to the stock model or recycling (exit 2): the message names the parameter, the value and what is allowed.

    Its own class (not rekit.model.simulation's ModelError, which the simulation imports this module beside)
    so that the simulation can run the stock model without an import cycle."""


__all__ = ["ModelError", "END_USES_FILE", "LIFETIME_KINDS", "Lifetime", "StocksInUse", "inflow_driven", "check_end_uses", "check_series",
           "end_use_lifetimes", "lifetimes_for", "inflow_from_units"]

#: The data package's table of end uses and their magnets' lifetimes.
END_USES_FILE = "end_uses.csv"

#: The lifetime distributions the model knows, and their parameters in order.
LIFETIME_KINDS = {"weibull": ("scale", "shape"), "normal": ("mean", "std")}


@dataclass(frozen=True)
class Lifetime:
    """A lifetime distribution in years: `kind` weibull (a = scale, b = shape) or normal
    (a = mean, b = std). `a` and `b` are numbers or arrays broadcasting against the batch axes of
    the inflows (for example shape (draws, end uses)). `source` says where the numbers come from
    ("source_id" or "assumption: …")."""

    kind: str
    a: np.ndarray | float
    b: np.ndarray | float
    source: str = ""

    @classmethod
    def weibull(cls, scale, shape, source: str = "", name: str = "lifetime") -> Lifetime:
        """A Weibull lifetime, scale in years and shape dimensionless, both > 0 (else ModelError)."""
        return cls._checked("weibull", scale, shape, source, name)

    @classmethod
    def normal(cls, mean, std, source: str = "", name: str = "lifetime") -> Lifetime:
        """A normal lifetime, mean and standard deviation in years, both > 0 (else ModelError)."""
        return cls._checked("normal", mean, std, source, name)

    @classmethod
    def of(cls, kind: str, a, b, source: str = "", name: str = "lifetime") -> Lifetime:
        """A lifetime by the name of its kind (as a data file gives it)."""
        if kind not in LIFETIME_KINDS:
            raise ModelError(f"{name}: unknown lifetime distribution {kind!r}; allowed: {', '.join(LIFETIME_KINDS)}")
        return cls._checked(kind, a, b, source, name)

    @classmethod
    def _checked(cls, kind: str, a, b, source: str, name: str) -> Lifetime:
        arrays = []
        for label, v in zip(LIFETIME_KINDS[kind], (a, b), strict=True):
            arr = np.asarray(v, dtype=float)
            bad = ~(np.isfinite(arr) & (arr > 0))
            if bad.any():
                given = float(arr[bad].flat[0]) if arr.ndim else float(arr)
                raise _with_value(name, kind, label, given)
            arrays.append(arr)
        return cls(kind, arrays[0], arrays[1], source)

    def survival(self, age) -> np.ndarray:
        """The share of a cohort still in use at `age` years (array), broadcast against a and b."""
        x = np.asarray(age, dtype=float)
        if self.kind == "weibull":
            return np.exp(-(np.maximum(x, 0.0) / self.a) ** self.b)
        return ndtr((self.a - x) / self.b)

    def mean_years(self) -> np.ndarray:
        """The mean lifetime in years: scale·Γ(1 + 1/shape) for Weibull, the mean for normal."""
        if self.kind == "weibull":
            from scipy.special import gamma
            return self.a * gamma(1 + 1 / self.b)
        return np.asarray(self.a)


def _with_value(name: str, kind: str, label: str, given: float) -> ModelError:
    unit = "" if label == "shape" else " years"
    return ModelError(f"{name}: {kind} lifetime {label} {given!r}{unit} is not allowed; "
                      f"allowed: a finite number above 0")


@dataclass(frozen=True)
class StocksInUse:
    """The result of the stock model: arrays (..., year), t magnet (flows per year, stock at year end).

    `content` maps each element to its t element per t magnet (broadcast against the batch axes);
    `element(e, what)` gives that element's inflow, outflow or stock in t element.
    """

    years: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    stock: np.ndarray
    content: Mapping[str, np.ndarray]

    def element(self, element: str, what: str = "stock") -> np.ndarray:
        """t `element` (Nd, Pr, Dy, Tb) in the magnets' `what` (inflow, outflow, stock), shape (..., year)."""
        if element not in self.content:
            raise ModelError(f"element {element!r} has no content given; allowed: {', '.join(self.content) or 'none'}")
        if what not in ("inflow", "outflow", "stock"):
            raise ModelError(f"{what!r} is not a flow of the stock model; allowed: inflow, outflow, stock")
        return getattr(self, what) * np.asarray(self.content[element])[..., None]

    def balance(self) -> np.ndarray:
        """inflow − outflow − (stock[t] − stock[t − 1]), t magnet, stock before the first year 0."""
        return self.inflow - self.outflow - np.diff(self.stock, axis=-1, prepend=0.0)


def survival_table(lifetime: Lifetime, n_years: int) -> tuple[np.ndarray, np.ndarray]:
    """S[..., a] = share still in use at the end of the a-th year after entry (age a + ½) and
    p[..., a] = share leaving in that year, a = 0 .. n_years − 1, for inflows at mid-year."""
    ages = np.arange(n_years) + 0.5
    a = np.asarray(lifetime.a)[..., None]
    b = np.asarray(lifetime.b)[..., None]
    S = Lifetime(lifetime.kind, a, b).survival(ages)
    p = np.empty_like(S)
    p[..., 0] = 1.0 - S[..., 0]
    np.subtract(S[..., :-1], S[..., 1:], out=p[..., 1:])
    # S is non-increasing in exact arithmetic; a rounding step upwards must not become a negative outflow
    np.maximum(p, 0.0, out=p)
    return S, p


def inflow_driven(inflow, lifetime: Lifetime, years: Sequence[int] | np.ndarray, content: Mapping[str, object] | None = None,
                  name: str = "inflow", tol: float = 1e-9, method: str = "auto") -> StocksInUse:
    """Stocks and end-of-life outflows of magnets entering use, by cohort (see the module's equations).

    `inflow`: t magnet entering use per year, shape (..., len(years)), finite and ≥ 0 (ModelError
    otherwise, naming the year). `lifetime`: parameters broadcast against inflow.shape[:-1].
    `content`: element → t element per t magnet (broadcast against the batch axes). The mass
    balance is checked: |inflow − outflow − Δstock| ≤ tol · max(1, largest inflow), else ModelError.
    `method`: how the cohort sum is computed (see `convolve`); every method gives the same numbers.
    """
    x = np.asarray(inflow, dtype=float)
    yrs = np.asarray(years)
    if x.ndim == 0 or x.shape[-1] != len(yrs):
        raise ModelError(f"{name}: the last axis must be the {len(yrs)} years {yrs[0]}-{yrs[-1]}; "
                         f"got shape {x.shape}")
    check_series(x, yrs, name)
    _, p = survival_table(lifetime, len(yrs))
    outflow = convolve(x, p, method)
    x = np.broadcast_to(x, outflow.shape)
    stock = np.cumsum(x - outflow, axis=-1)
    contents = {}
    for e, c in (content or {}).items():
        if e not in ELEMENTS:
            raise ModelError(f"content: unknown element {e!r}; allowed: {', '.join(ELEMENTS)}")
        arr = np.asarray(c, dtype=float)
        if not (np.isfinite(arr) & (arr >= 0) & (arr <= 1)).all():
            given = float(arr[~((arr >= 0) & (arr <= 1))].flat[0])
            raise ModelError(f"content of {e}: t {e} per t magnet must lie in [0, 1]; got {given!r}")
        contents[e] = arr
    result = StocksInUse(yrs, x, outflow, stock, contents)
    _check(result, tol, name)
    return result


#: Above this many distinct lifetime series, the cohort sum goes by FFT rather than one matrix product each.
MATMUL_MAX_SERIES = 1024


def convolve(x: np.ndarray, p: np.ndarray, method: str = "auto") -> np.ndarray:
    """outflow[..., t] = Σ_{a=0..t} x[..., t − a] · p[..., a], t magnet, broadcast over the batch axes.

    Methods (the same sum, to rounding):
      "matmul": one matrix product per distinct lifetime series (x reshaped to rows, times the
                lower-triangular Toeplitz matrix P[c, t] = p[t − c]): exact, fast while the
                lifetimes vary by end use and deal but not by draw;
      "fft":    the linear convolution by real FFT of length ≥ 2T − 1 (scipy.fft), for lifetimes
                drawn per draw; its rounding (~1e-16 of the largest flow) is clipped at 0;
      "loop":   one multiply-add per age (the reference; T steps over the whole batch);
      "auto":   "matmul" up to MATMUL_MAX_SERIES distinct lifetime series, else "fft".
    """
    n = x.shape[-1]
    full = np.broadcast_shapes(x.shape, p.shape)
    lt_shape = p.shape[:-1]
    if method == "auto":
        method = "matmul" if int(np.prod(lt_shape, dtype=np.int64)) <= MATMUL_MAX_SERIES else "fft"
    if method == "loop":
        out = np.zeros(full)
        for a in range(n):
            out[..., a:] += x[..., : n - a] * p[..., a : a + 1]
        return out
    if method == "fft":
        from scipy import fft as sfft
        nf = sfft.next_fast_len(2 * n - 1, real=True)
        out = sfft.irfft(sfft.rfft(x, nf, axis=-1) * sfft.rfft(p, nf, axis=-1), nf, axis=-1)[..., :n]
        return np.maximum(np.broadcast_to(out, full), 0.0)
    if method != "matmul":
        raise ModelError(f"method {method!r} is not a way to compute the cohort sum; allowed: auto, matmul, fft, loop")
    batch = full[:-1]
    lt_aligned = (1,) * (len(batch) - len(lt_shape)) + lt_shape
    xb = np.broadcast_to(x, full)
    out = np.empty(full)
    r, k = np.tril_indices(n)  # row r (the year t) ≥ column k (the cohort c)
    toeplitz = np.zeros((n, n))
    for idx in np.ndindex(*lt_aligned):
        sel = tuple(i if size > 1 else slice(None) for i, size in zip(idx, lt_aligned, strict=True))
        pi = p[idx[len(batch) - len(lt_shape):]] if lt_shape else p
        toeplitz[r, k] = pi[r - k]  # M[t, c] = p[t − c] for t ≥ c, so out[t] = Σ_c x[c] M[t, c]
        rows = xb[sel].reshape(-1, n)
        out[sel] = (rows @ toeplitz.T).reshape(xb[sel].shape)
    return out


def _check(result: StocksInUse, tol: float, name: str) -> None:
    """Mass balance and non-negative flows and stocks, in t magnet (elements are fixed shares of it)."""
    scale = tol * max(1.0, float(np.max(result.inflow, initial=0.0)))
    r = result.balance()
    bad = ~(np.abs(r) <= scale)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])  # plain ints: messages read (1,), not (np.int64(1),)
        raise ModelError(f"{name}: stock model mass balance fails in {result.years[idx[-1]]} at {idx[:-1]} "
                         f"by {r[idx]:.3g} t magnet")
    for what in ("outflow", "stock"):
        arr = getattr(result, what)
        if (arr < -scale).any():
            idx = tuple(int(i) for i in np.argwhere(arr < -scale)[0])
            raise ModelError(f"{name}: {what} negative in {result.years[idx[-1]]} at {idx[:-1]}: {arr[idx]:.3g} t magnet")


def check_series(x: np.ndarray, years: Sequence[int] | np.ndarray, name: str) -> None:
    """Refuse a series with gaps (NaN, naming the years), infinite or negative values (ModelError)."""
    x = np.asarray(x, dtype=float)
    yrs = np.asarray(years)
    missing = np.isnan(x)
    if missing.any():
        gap = sorted({int(y) for y in yrs[np.nonzero(missing.reshape(-1, x.shape[-1]).any(axis=0))[0]]})
        raise ModelError(f"{name}: the series has gaps in {', '.join(map(str, gap))}; give a value for every year "
                         f"{yrs[0]}-{yrs[-1]}")
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])  # plain ints: messages read (1,), not (np.int64(1),)
        raise ModelError(f"{name}: {float(x[idx])!r} t in {yrs[idx[-1]]} is not allowed; allowed: a finite number ≥ 0")


def check_end_uses(given: Sequence[str], known: Sequence[str], where: str = "end use") -> None:
    """Refuse an end use the data does not list, naming it and the ones it does."""
    unknown = [u for u in given if u not in known]
    if unknown:
        raise ModelError(f"{where}: unknown end use {unknown[0]!r}; allowed: {', '.join(known)}")


def end_use_lifetimes(ds: Dataset | None = None) -> dict[str, Lifetime]:
    """The end uses of the data package (data/end_uses.csv), each with its magnets' lifetime.

    A Lifetime's `source` is the row's source_id, or "assumption: …" when the row has none; the
    row's `assumption` column says what of the numbers is the kit's own reading. `ds`: a loaded
    (and so checked) dataset; the bundled one by default.
    """
    import csv

    ds = ds or load()
    path = ds.path / END_USES_FILE
    if not path.is_file():
        raise ModelError(f"{path}: no table of end uses in this data folder; the stock model needs {END_USES_FILE}")
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["end_use"]
            source = row["source_id"] or f"assumption: {row['assumption']}"
            out[name] = Lifetime.of(row["lifetime_distribution"], float(row["lifetime_a"]), float(row["lifetime_b"]),
                                    source, name=f"{END_USES_FILE}: end use {name!r}")
    return out


def lifetimes_for(end_uses: Sequence[str], table: Mapping[str, Lifetime]) -> Lifetime:
    """One Lifetime for several end uses, parameters stacked in the order given (shape (len(end_uses),)).

    Every end use must be in `table` (else ModelError naming it and the known ones), and all of
    one kind (a stock model call takes one distribution; split the call otherwise).
    """
    check_end_uses(end_uses, list(table))
    kinds = {table[u].kind for u in end_uses}
    if len(kinds) > 1:
        raise ModelError(f"end uses {', '.join(end_uses)} mix lifetime distributions ({', '.join(sorted(kinds))}); "
                         f"give end uses of one kind per call")
    lts = [table[u] for u in end_uses]
    return Lifetime(lts[0].kind, np.array([float(lt.a) for lt in lts]), np.array([float(lt.b) for lt in lts]),
                    "; ".join(f"{u}: {lt.source}" for u, lt in zip(end_uses, lts, strict=True)))


def inflow_from_units(units, kg_per_unit, years: Sequence[int], name: str = "units") -> np.ndarray:
    """Magnets entering use, t magnet a year: units sold or installed a year × kg NdFeB per unit / 1000.

    `units`: shape (..., len(years)), a value for every year (a gap, NaN, is refused naming the
    years); `kg_per_unit`: kg magnet per unit (per vehicle, per MW, per device), ≥ 0, broadcast
    against the batch axes (for example drawn per draw). The bottom-up demand of one end use.
    """
    u = np.asarray(units, dtype=float)
    yrs = np.asarray(years)
    if u.ndim == 0 or u.shape[-1] != len(yrs):
        raise ModelError(f"{name}: the last axis must be the {len(yrs)} years {yrs[0]}-{yrs[-1]}; got shape {u.shape}")
    check_series(u, yrs, name)
    k = np.asarray(kg_per_unit, dtype=float)
    if not (np.isfinite(k) & (k >= 0)).all():
        raise ModelError(f"{name}: kg magnet per unit {float(k[~(np.isfinite(k) & (k >= 0))].flat[0])!r} is not allowed; "
                         f"allowed: a finite number ≥ 0")
    return u * (k[..., None] if k.ndim else k) / 1000.0
