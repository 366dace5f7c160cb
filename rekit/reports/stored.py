"""The notebooks' stored outputs: refresh them deliberately, and tell when they are missing or stale.

The notebooks in notebooks/ are committed *with* their outputs; the tests run them again with
nbval and compare. That only means something if the stored outputs are a clean, current run:

* `refresh(path)` re-executes a notebook in place with its default parameters (kernel ``rekit``,
  cells top to bottom, no timing metadata) and records in its metadata a hash of its code
  (``metadata.rekit.outputs_of``). Run it with ``rekit notebooks refresh NAME``, then review the
  output diff before committing.
* `problems(path)` lists what is wrong: code cells never run (nbval would compare nothing),
  cells run out of order, stored errors, no refresh record, or code changed since the refresh.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from collections.abc import Sequence

from rekit.atomic import write_atomic
from rekit.errors import FailedError

__all__ = ["RefreshError", "refresh", "problems", "code_hash", "resolve_notebooks", "STAMP"]

STAMP = "rekit"  # notebook metadata key: {"outputs_of": <hash of the code cells>}
SKIP_TAG = "skip-execution"  # nbclient's tag for cells it does not run


class RefreshError(FailedError):
    """A notebook failed while refreshing (it is left unchanged)."""


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _runnable(cell) -> bool:
    return (cell.get("cell_type") == "code" and _src(cell).strip() != ""
            and SKIP_TAG not in (cell.get("metadata", {}).get("tags") or []))


def code_hash(nb) -> str:
    """A hash of the code cells' sources, in order (markdown edits do not make outputs stale)."""
    h = hashlib.sha256()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            h.update(_src(cell).encode("utf-8"))
            h.update(b"\0")
    return "sha256:" + h.hexdigest()


def problems(path: str | os.PathLike) -> list[str]:
    """What is wrong with a notebook's stored outputs ([] if they are a clean run of its current code)."""
    import nbformat

    path = Path(path)
    name = path.stem
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook
        return [f"cannot read the notebook: {exc}"]
    found: list[str] = []
    cells = [(i, c) for i, c in enumerate(nb.cells) if _runnable(c)]
    never = [i + 1 for i, c in cells if c.get("execution_count") is None]
    if never:
        found.append(f"code cell{'s' if len(never) > 1 else ''} {', '.join(map(str, never))} "
                     f"(counting all cells from 1) {'have' if len(never) > 1 else 'has'} no stored outputs: "
                     f"nbval would compare nothing; run `rekit notebooks refresh {name}`")
    counts = [c.get("execution_count") for _, c in cells if c.get("execution_count") is not None]
    if counts and counts != list(range(1, len(counts) + 1)):
        shown = ", ".join(map(str, counts[:12])) + (", ..." if len(counts) > 12 else "")
        found.append(f"cells were not run once, top to bottom, in a fresh kernel (execution counts {shown}); "
                     f"run `rekit notebooks refresh {name}`")
    for i, c in cells:
        for out in c.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in (c.get("metadata", {}).get("tags") or []):
                found.append(f"cell {i + 1} stored an error ({out.get('ename')}: {out.get('evalue')})")
    stamp = (nb.metadata.get(STAMP) or {}).get("outputs_of")
    if stamp is None:
        found.append(f"outputs were not stored by `rekit notebooks refresh {name}` (no metadata.{STAMP}.outputs_of)")
    elif stamp != code_hash(nb):
        found.append(f"stale: the code changed since the outputs were stored; run `rekit notebooks refresh {name}`")
    return found


def refresh(path: str | os.PathLike, *, kernel_name: str = "rekit", timeout: float | None = 1800) -> bool:
    """Re-execute a notebook in place with its defaults; returns whether the file changed.
    Raises RefreshError (file untouched) if a cell fails."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    path = Path(path)
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    for cell in nb.cells:  # a clean slate: no outputs or counts from an earlier session
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python (rekit)", "language": "python"}
    from jupyter_client.manager import AsyncKernelManager

    sockets = tempfile.mkdtemp(prefix="rk-")  # IPC, not TCP: no port to collide on
    km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(sockets, "k"),
                            connection_file=os.path.join(sockets, "kernel.json"))
    client = NotebookClient(nb, km=km, kernel_name=kernel_name, timeout=timeout, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        try:
            client.execute(cleanup_kc=True)
        finally:
            import shutil

            from jupyter_core.utils import run_sync

            try:  # nbclient shut the kernel down (cleanup_kc); one that failed to get ready is left to us
                if km.has_kernel:  # killed with its process group (jupyter_client's kernels lead their session)
                    run_sync(km.shutdown_kernel)(now=True)
            except Exception:
                pass
            shutil.rmtree(sockets, ignore_errors=True)
    except CellExecutionError as exc:
        raise RefreshError(f"{path.name}: a cell failed; the notebook is unchanged. {_last_error_line(str(exc))}") from None
    except DeadKernelError as exc:
        raise RefreshError(f"{path.name}: the kernel died ({exc}); the notebook is unchanged") from None
    except Exception as exc:
        raise RefreshError(f"{path.name}: {type(exc).__name__}: {exc}; the notebook is unchanged") from None
    nb.metadata[STAMP] = {"outputs_of": code_hash(nb)}
    nbformat.validate(nb)
    after = nbformat.writes(nb)
    after += "" if after.endswith("\n") else "\n"
    if after == before:
        return False
    write_atomic(path, after, mode=os.stat(path).st_mode & 0o777)  # the notebook keeps its own mode
    return True


def _last_error_line(text: str) -> str:
    import re

    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning)\b", ln.strip()):
            return ln.strip()
    return lines[-1].strip() if lines else ""


def resolve_notebooks(names: Sequence[str] | None, folder: Path | None = None) -> list[Path]:
    """Notebooks by name (as `rekit run` takes them); no names: every notebook in the folder, subfolders too."""
    from rekit.paths import notebooks_dir
    from rekit.reports.jobs import find_notebook, list_notebooks

    folder = Path(folder or notebooks_dir())
    if names:
        return [find_notebook(n, folder) for n in names]
    return [(folder / f"{n}.ipynb").resolve() for n in list_notebooks(folder)]
