"""Files a user hands the kit, opened safely: regular files only, a byte cap enforced by reading, and
the resource paths of a data package kept inside the package's folder.

Why each rule:

- *Regular files only.* A FIFO blocks a reader until something writes to it (forever, in a batch
  run); a device such as ``/dev/zero`` never ends; ``/proc`` files report a size of 0 while
  holding the process environment. The type is taken with ``stat`` before the file is opened,
  the file is opened with ``O_NONBLOCK`` (so a FIFO swapped in between cannot block the open) and
  checked again with ``fstat`` on the open descriptor (so the file read is the file checked).
- *A cap by reading.* ``st_size`` is 0 for devices and ``/proc`` files, so the cap is kept by
  reading at most CAP + 1 bytes, never by trusting the size.
- *Resource paths stay inside the package* (the Frictionless Data "safe path" rule, which the kit
  applies itself before any loader, quick or full, opens a table): a path must be relative, have
  no ``..`` part, not be a URL, and, once symbolic links are resolved, lie inside the folder of
  ``datapackage.json`` and name a regular file.

Messages name the path (cut short) and what is allowed; they never show the file's content.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from rekit.errors import RekitError

#: Longest echo of a value taken from a user's file (a cell, a path) in a message, in characters.
CLIP = 80


def clip(text: object, limit: int = CLIP) -> str:
    """`text` as a Python literal (repr), cut to `limit` characters with "…" so that a message never
    carries more of a file than the bad value's start."""
    shown = repr(str(text))
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def clip_path(path: object, limit: int = CLIP) -> str:
    """A path as a Python literal (repr), cut in the middle with "…" when longer than `limit`
    characters, so that its end - the file's own name - stays in the message."""
    shown = repr(str(path))
    if len(shown) <= limit:
        return shown
    head = (limit - 1) // 3
    return shown[:head] + "…" + shown[len(shown) - (limit - 1 - head):]


def cut(text: object, limit: int) -> str:
    """`text` as plain text, cut to `limit` characters with "…"."""
    shown = str(text)
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


class UnsafeFileError(RekitError, ValueError):
    """A file the kit refuses to open (not a regular file, too large, outside its package); exit 2.

    `reason` is the message without the file's name, for a caller that names the file itself.
    """

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


def kind_of(mode: int) -> str:
    """What a `st_mode` names, in words ("a FIFO (named pipe)", "a folder", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_capped(path: str | os.PathLike, cap: int, what: str) -> bytes:
    """The bytes of the regular file `path`, at most `cap` of them; `what` names it in messages.

    Refuses (UnsafeFileError) a missing file, anything but a regular file (checked with ``stat``
    before opening and with ``fstat`` after an ``O_NONBLOCK`` open) and a file longer than `cap`
    bytes (found by reading `cap` + 1 bytes: a device's size says nothing).
    """
    name = clip_path(os.fspath(path))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UnsafeFileError(f"the {what} {name} does not exist") from None
    except OSError as exc:
        raise UnsafeFileError(f"cannot read the {what} {name}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise UnsafeFileError(f"the {what} {name} is {kind_of(mode)}: only a regular file is read")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFileError(f"cannot read the {what} {name}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between stat and open
            raise UnsafeFileError(f"the {what} {name} is {kind_of(mode)}: only a regular file is read")
        chunks, got = [], 0
        while got <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise UnsafeFileError(f"cannot read the {what} {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if got > cap:
        raise UnsafeFileError(f"the {what} {name} is larger than the limit of {cap:,} bytes")
    return b"".join(chunks)


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # http:, file:, C: (a Windows drive) alike


def _refused(shown: str, reason: str) -> UnsafeFileError:
    return UnsafeFileError(f"resource path {shown} {reason}", reason)


def resource_path(folder: str | os.PathLike, path: object) -> Path:
    """The file that the resource path `path` of the package in `folder` names, once checked.

    Raises UnsafeFileError saying why when `path` is not text, is absolute or a URL, has a ``..``
    part, leads outside `folder` once symbolic links are resolved, or does not name an existing
    regular file. Nothing is opened.
    """
    if not isinstance(path, str) or not path.strip():
        raise _refused(clip(path), "is not a file name: give a path relative to the package folder")
    shown = clip(path)
    if "\x00" in path:
        raise _refused(shown, "holds a NUL character")
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or path.startswith(("/", "\\")):
        raise _refused(shown, "is absolute: a resource must be a file inside the package folder, "
                              "given relative to it (e.g. observations.csv)")
    if _URL.match(path):
        raise _refused(shown, "is a URL: a resource must be a file inside the package folder")
    if ".." in posix.parts or ".." in windows.parts:
        raise _refused(shown, "has a '..' part: a resource must be a file inside the package folder")
    try:
        root = Path(folder).resolve()
        target = (root / posix).resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links (RuntimeError before Python 3.13)
        raise _refused(shown, "cannot be resolved: a loop of symbolic links") from None
    if target != root and root not in target.parents:
        raise _refused(shown, "leads outside the package folder (a symbolic link?): "
                              "a resource must be a file inside it")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        raise _refused(shown, "is missing: file not found") from None
    except OSError as exc:
        raise _refused(shown, f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise _refused(shown, f"is {kind_of(mode)}, not a CSV file")
    return target
