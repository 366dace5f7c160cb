"""A sensitivity design run in chunks of rows on an executor, or saved, run elsewhere and read back.

`rekit.model.sensitivity.sensitivity` takes an ``evaluator``: the function that computes the
metric for every row of the design X (factors' values on [0, 1]) and every year, with the
signature of `rekit.model.sensitivity.evaluate`. This module gives three:

- `chunked(executor, rows)`: X split into chunks of `rows` rows (default `CHUNK_ROWS`), each
  chunk one job running `evaluate` on the executor (rekit.run.executor), the results put back in
  order. Each row's output depends only on its own factors' values, so the numbers are identical
  to one local run with the same seed, bit for bit (tests/run/test_executor.py checks it); the
  caller holds the design and the results (rows x years floats), a worker one chunk's model run.
- `saving(path, about)`: SALib's advice for large runs (the SALib documentation, "Basics": "the
  model can be run outside Python, and the samples saved to a file"): the design is written to
  `path` (a NumPy ``.npz``: ``X`` (rows, factors), ``years``, ``names`` of the factors and
  ``about``, the run's options as JSON) and the run stops with `SamplesSaved`.
- `reading(path)`: the results of a run made elsewhere, read from `path` (``.npz`` with ``Y``,
  (rows, years): the metric of each row of the saved design in each year of ``years``, or a
  ``.npy`` of that array), checked against the design the same options and seed give (the rows,
  the years, and the digest of X when the file carries one).

`evaluate_samples(samples, results, book, executor)` runs a saved design (the "elsewhere"): it
rebuilds the factors from the options kept in the file and writes ``results`` with ``Y`` and the
design's digest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from collections.abc import Callable
from typing import Any

import numpy as np

from rekit.errors import FailedError, RekitError
from rekit.run.executor import Executor

__all__ = ["CHUNK_ROWS", "SamplesSaved", "chunked", "saving", "reading", "evaluate_samples", "design_digest",
           "evaluate_chunk"]

#: Rows of the design in one job: 4,096 rows x 27 years x 8 bytes is under 1 MB of results per
#: job, and a model run of that width takes a fraction of a second.
CHUNK_ROWS = 4096


class SamplesSaved(Exception):
    """The design was written to a file (`saving`); nothing more runs. `path` and `rows` say what."""

    def __init__(self, path: Path, rows: int, factors: int):
        super().__init__(f"wrote the design, {rows:,} rows x {factors} factors, to {path}")
        self.path, self.rows, self.factors = path, rows, factors


def design_digest(X: np.ndarray) -> str:
    """SHA-256 of the design's float64 bytes (C order): the same options and seed give the same digest."""
    return hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes()).hexdigest()


def evaluate_chunk(book: Any, names: list[str], facs: list[Any], X: np.ndarray, years: np.ndarray, metric: str,
                   basis: str | None, demand: str | None, framing: str | None) -> np.ndarray:
    """One job: `rekit.model.sensitivity.evaluate` on a chunk of rows (module-level, so a worker imports it)."""
    from rekit.model.sensitivity import evaluate

    return evaluate(book, names, facs, X, years, metric, basis=basis, demand=demand, framing=framing)


def chunked(executor: Executor, rows: int = CHUNK_ROWS) -> Callable[..., np.ndarray]:
    """An evaluator that runs the design in chunks of `rows` rows on `executor` (see the module)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise RekitError(f"chunk rows: {rows!r} is not allowed; give a whole number >= 1")

    def run(book, names, facs, X, years, metric, basis=None, demand=None, framing=None) -> np.ndarray:
        starts = list(range(0, len(X), rows))
        total = len(starts)
        labels = [f"chunk {i + 1} of {total} (design rows {a:,}-{min(a + rows, len(X)) - 1:,})" for i, a in enumerate(starts)]
        n = len(starts)
        parts = list(executor.map(evaluate_chunk, [book] * n, [names] * n, [facs] * n, [X[a:a + rows] for a in starts],
                                  [years] * n, [metric] * n, [basis] * n, [demand] * n, [framing] * n, names=labels))
        out = np.empty((len(X), len(years)))
        for a, part in zip(starts, parts, strict=True):  # one result per chunk, in order
            out[a:a + len(part)] = part
        return out

    return run


def saving(path: str | Path, about: dict[str, Any]) -> Callable[..., np.ndarray]:
    """An evaluator that writes the design to `path` and raises `SamplesSaved` (see the module)."""
    path = Path(path)

    def run(book, names, facs, X, years, metric, basis=None, demand=None, framing=None) -> np.ndarray:
        keep = dict(about, deals=list(names), metric=metric, digest=design_digest(X))
        try:
            with open(path, "wb") as fh:
                np.savez(fh, X=X, years=np.asarray(years), names=np.array([f.name for f in facs]),
                         about=np.array(json.dumps(keep, sort_keys=True)))
        except OSError as exc:
            raise FailedError(f"--save-samples {path}: cannot write it ({exc.strerror or exc})") from None
        raise SamplesSaved(path, len(X), X.shape[1])

    return run


def _load(path: Path, option: str) -> dict[str, np.ndarray]:
    try:
        if path.suffix == ".npy":
            return {"Y": np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise RekitError(f"{option} {path}: no such file") from None
    except (OSError, ValueError, EOFError) as exc:
        raise RekitError(f"{option} {path}: not a NumPy .npz or .npy file ({exc})") from None


def reading(path: str | Path) -> Callable[..., np.ndarray]:
    """An evaluator that reads the results of a run made elsewhere (see the module)."""
    path = Path(path)
    got = _load(path, "--analyse")
    if "Y" not in got:
        raise RekitError(f"--analyse {path}: holds no array 'Y' (the metric of each design row in each year); "
                         f"it holds {', '.join(sorted(got)) or 'nothing'}")
    Y = got["Y"]

    def run(book, names, facs, X, years, metric, basis=None, demand=None, framing=None) -> np.ndarray:
        want = (len(X), len(years))
        if Y.ndim != 2 or Y.shape != want or not np.issubdtype(Y.dtype, np.number):
            raise RekitError(f"--analyse {path}: Y has shape {Y.shape} ({Y.dtype}); these options and seed give a design "
                             f"of {want[0]:,} rows over {want[1]} years ({int(years[0])}-{int(years[-1])}): "
                             f"Y must be ({want[0]}, {want[1]}) numbers")
        if "years" in got and not np.array_equal(np.asarray(got["years"]), np.asarray(years)):
            raise RekitError(f"--analyse {path}: its years {int(got['years'][0])}-{int(got['years'][-1])} are not "
                             f"this run's {int(years[0])}-{int(years[-1])}")
        if "digest" in got and str(got["digest"]) != design_digest(X):
            raise RekitError(f"--analyse {path}: it was computed from another design (its digest differs): give the "
                             "options and seed the samples were saved with")
        if not np.isfinite(Y).all():
            r, c = np.argwhere(~np.isfinite(Y))[0]
            raise RekitError(f"--analyse {path}: Y[{r}, {c}] (row {r}, year {int(years[c])}) is {Y[r, c]}; give finite numbers")
        return np.asarray(Y, dtype=float)

    return run


def evaluate_samples(samples: str | Path, results: str | Path, book: Any, executor: Executor | None = None,
                     rows: int = CHUNK_ROWS) -> Path:
    """Run a design saved by `saving` (with the deal book it was made from) and write `results`
    (``Y``, ``years`` and the design's ``digest``), on `executor` in chunks or here in one go."""
    from rekit.model.sensitivity import evaluate, factors

    samples, results = Path(samples), Path(results)
    got = _load(samples, "samples")
    missing = {"X", "years", "names", "about"} - set(got)
    if missing:
        raise RekitError(f"samples {samples}: not a saved design (no {', '.join(sorted(missing))})")
    about = json.loads(str(got["about"]))
    X, years = got["X"], got["years"]
    facs = factors(book, about["deals"], about.get("basis"), about.get("demand"), about.get("framing"))
    if [f.name for f in facs] != [str(n) for n in got["names"]]:
        raise RekitError(f"samples {samples}: its factors are not those this deal book gives for "
                         f"{', '.join(about['deals'])}; use the data and deals file it was saved with")
    args = (book, about["deals"], facs, X, years, about["metric"], about.get("basis"), about.get("demand"), about.get("framing"))
    Y = chunked(executor, rows)(*args) if executor is not None else evaluate(*args[:6], basis=args[6], demand=args[7], framing=args[8])
    with open(results, "wb") as fh:
        np.savez(fh, Y=Y, years=years, digest=np.array(design_digest(X)))
    return results
