"""The kit's one way to write a file whole: to a temporary file beside it, then moved into place.

`write_atomic(path, content)` writes one file, `write_all_atomic({path: content, ...})` several,
all or none. Content is text (UTF-8) or bytes. A reader never sees half a file, and a failure
(a full disk, a signal) leaves neither a half-written file nor the temporary one (``.NAME.XXXX.tmp``
beside it; `rekit.reports.guard.clean_partial_files` removes those a killed run left). The move
is ``os.replace``, atomic on POSIX and Windows within one folder. A file is given the mode the
process's umask gives a new file (``mkstemp`` would make it 0600), or `mode` when given (a
notebook rewritten in place keeps its own).

It sits below every layer (like rekit.paths and rekit.errors): figures (plotly.min.js), reports
(pages, the folder's record) and the stored notebooks use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

__all__ = ["write_atomic", "write_all_atomic"]

#: A path given as text or as a path object (a Mapping's key type is exact, so dict[Path, str] needs its own).
PathT = TypeVar("PathT", bound="str | os.PathLike[str]")

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once, at import (os.umask is process-wide and not thread-safe to probe later)


def write_atomic(path: str | os.PathLike[str], content: str | bytes, mode: int | None = None) -> None:
    """Write `content` to `path` whole (see the module). An OSError names `path` as its filename."""
    write_all_atomic({Path(path): content}, mode=mode)


def write_all_atomic(files: Mapping[PathT, str | bytes], mode: int | None = None) -> None:
    """Write every file (path -> content) to a temporary file beside it, then move them all into place,
    in the order given: a failure while writing (a full disk) leaves none of them, and no temporary
    file. An OSError names the file that could not be written (its `filename`), not the temporary one."""
    staged: list[tuple[str, Path]] = []
    try:
        for given, content in files.items():
            path = Path(given)
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
                staged.append((tmp, path))
                data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.chmod(tmp, (0o666 & ~_UMASK) if mode is None else mode)
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from None
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
