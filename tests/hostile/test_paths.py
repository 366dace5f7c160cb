"""Data paths that leave the package, and descriptors that are not what they seem.

A data package's resource `path` must be relative, stay inside the package folder once symbolic
links are resolved, and name a regular file; anything else is refused by every loader, quick or
full, before a byte of it is read (rekit.data.files). The descriptor, datapackage.json, is read by
the kit's bounded JSON reader (rekit.data.jsonfile): regular files only, a cap by reading,
bounded depth, no duplicate keys, finite numbers within the CSV bounds.

Every row runs the command line on a copy of the bundled data broken one way, and names the exit
status and a fragment of the message. A FIFO or /dev/zero would block a reader forever: those rows,
and the /proc/self/environ rows (whose secret only a new process's environment holds), run a real
process under a timeout, and a timeout fails the row; the rest run in the test's process
(hostile.cases.run_rekit).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile.cases import expect, run_rekit

#: The commands every path case runs against (the folder is appended or given with --data).
COMMANDS = {
    "check": lambda d: ["data", "check", d],
    "check --quick": lambda d: ["data", "check", "--quick", d],
    "show": lambda d: ["data", "show", "mine_production", "--data", d],
    "simulate": lambda d: ["simulate", "--draws", "10", "--years", "2024-2025", "--data", d],
}
SECRET = "hostile-secret-4f1c9a"  # put in the environment of the /proc/self/environ rows
#: The rows that run a real process: a reader that could block, and the process's own environment.
PROCESS_ROWS = {"/proc/self/environ", "link to /proc/self/environ", "fifo", "link to /dev/zero", "/dev/zero"}


def set_path(folder: Path, resource: str, path: str) -> None:
    """Point `resource` of the descriptor in `folder` at `path`."""
    desc_path = folder / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    for r in desc["resources"]:
        if r["name"] == resource:
            r["path"] = path
    desc_path.write_text(json.dumps(desc, indent=1), encoding="utf-8")


def absolute(folder: Path) -> None:
    """observations at an absolute path to a valid copy outside the folder (the quick pass used it)."""
    outside = folder.parent / "outside"
    outside.mkdir()
    shutil.copy(folder / "observations.csv", outside / "observations.csv")
    set_path(folder, "observations", str(outside / "observations.csv"))


def dotdot(folder: Path) -> None:
    """observations at ../outside/observations.csv, a valid copy."""
    outside = folder.parent / "outside"
    outside.mkdir()
    shutil.copy(folder / "observations.csv", outside / "observations.csv")
    set_path(folder, "observations", "../outside/observations.csv")


def symlink_out(folder: Path) -> None:
    """observations.csv a symbolic link to a valid copy outside the folder."""
    outside = folder.parent / "outside.csv"
    shutil.copy(folder / "observations.csv", outside)
    (folder / "observations.csv").unlink()
    (folder / "observations.csv").symlink_to(outside)


def environ(folder: Path) -> None:
    """indicators at /proc/self/environ (it used to be printed whole in the message)."""
    set_path(folder, "indicators", "/proc/self/environ")


def environ_link(folder: Path) -> None:
    """indicators.csv a symbolic link to /proc/self/environ."""
    (folder / "indicators.csv").unlink()
    (folder / "indicators.csv").symlink_to("/proc/self/environ")


def fifo(folder: Path) -> None:
    """observations.csv a FIFO that nobody writes to (a reader would wait forever)."""
    (folder / "observations.csv").unlink()
    os.mkfifo(folder / "observations.csv")


def device(folder: Path) -> None:
    """observations.csv a symbolic link to /dev/zero, which never ends."""
    (folder / "observations.csv").unlink()
    (folder / "observations.csv").symlink_to("/dev/zero")


def device_path(folder: Path) -> None:
    set_path(folder, "observations", "/dev/zero")


def a_folder(folder: Path) -> None:
    (folder / "events.csv").unlink()
    (folder / "events.csv").mkdir()


def url(folder: Path) -> None:
    """A URL: Frictionless would fetch it."""
    set_path(folder, "events", "http://127.0.0.1:9/events.csv")


PATH_CASES = [  # (name, breaks the folder, fragment of the message)
    ("absolute", absolute, "/outside/observations.csv:0: (file): is absolute"),
    ("dotdot", dotdot, "../outside/observations.csv:0: (file): has a '..' part"),
    ("symlink out", symlink_out, "observations.csv:0: (file): leads outside the package folder"),
    ("/proc/self/environ", environ, "/proc/self/environ:0: (file): is absolute"),
    ("link to /proc/self/environ", environ_link, "indicators.csv:0: (file): leads outside the package folder"),
    ("fifo", fifo, "observations.csv:0: (file): is a FIFO (named pipe), not a CSV file"),
    ("link to /dev/zero", device, "observations.csv:0: (file): leads outside the package folder"),
    ("/dev/zero", device_path, "/dev/zero:0: (file): is absolute"),
    ("a folder", a_folder, "events.csv:0: (file): is a folder, not a CSV file"),
    ("url", url, "events.csv:0: (file): is a URL"),
]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case, breaks, fragment", PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_a_resource_path_that_leaves_the_package_is_refused(data_copy, command, case, breaks, fragment):
    breaks(data_copy)
    try:
        proc = run_rekit(COMMANDS[command](str(data_copy)), env={"HOSTILE_SECRET": SECRET}, timeout=90,
                         process=case in PROCESS_ROWS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: `rekit {command}` hung (no answer in 90 s)")
    expect(proc, 1, fragment)
    out = proc.stdout + proc.stderr
    assert SECRET not in out  # nothing of the environment (or of any file outside) is echoed
    assert "HOME=" not in out and "PATH=" not in out


def test_a_valid_package_inside_a_symlinked_folder_still_loads(data_copy, tmp_path):
    """The containment check resolves the folder too: a link to the whole package is not 'outside'."""
    link = tmp_path / "link"
    link.symlink_to(data_copy)
    expect(run_rekit(["data", "check", "--quick", link], process=False), 0, "quick check passed")


def test_a_symlink_that_stays_inside_is_followed(data_copy):
    (data_copy / "tables").mkdir()
    shutil.move(data_copy / "events.csv", data_copy / "tables" / "events.csv")
    (data_copy / "events.csv").symlink_to(Path("tables") / "events.csv")
    expect(run_rekit(["data", "check", data_copy], process=False), 0, "full check passed")


# --- the descriptor, datapackage.json ------------------------------------------------------------


def descriptor_text(folder: Path, text: str | bytes) -> None:
    path = folder / "datapackage.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def bundled_text(folder: Path) -> str:
    return (folder / "datapackage.json").read_text(encoding="utf-8")


VERSION_LINE = re.compile(r'\n  "version": "[^"]*",\n')
DEEP_FIELD = '{"name": "value", "type": "number",'


def line_of(text: str, start: int) -> int:
    """The 1-based line number of the character at `start`."""
    return text.count("\n", 0, start) + 1


def version_line(folder: Path) -> int:
    """The line of the descriptor's version (the message's line numbers are counted from the file itself)."""
    text = bundled_text(folder)
    m = VERSION_LINE.search(text)
    assert m, "the descriptor has no version line of its own"
    return line_of(text, m.start() + 1)


def after_version(folder: Path, line: str) -> None:
    """Put `line` just after the descriptor's version line (so on line version_line + 1)."""
    text = bundled_text(folder)
    m = VERSION_LINE.search(text)
    assert m, "the descriptor has no version line of its own"
    descriptor_text(folder, text[:m.end()] + line + "\n" + text[m.end():])


def duplicate_version(folder: Path) -> None:
    """A second "version" key: Python's json keeps the last one silently."""
    after_version(folder, '  "version": "9.9.9",')


def duplicate_field_key(folder: Path) -> None:
    """A duplicate key deep inside (a field's type given twice)."""
    text = bundled_text(folder)
    assert DEEP_FIELD in text
    descriptor_text(folder, text.replace(DEEP_FIELD, DEEP_FIELD + ' "type": "string",', 1))


def deep_field_line(folder: Path) -> int:
    text = bundled_text(folder)
    return line_of(text, text.index(DEEP_FIELD))


def deep(folder: Path) -> None:
    """A 100,000-deep array (Python's json module raises RecursionError)."""
    descriptor_text(folder, '{"version": "1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")


def nan(folder: Path) -> None:
    after_version(folder, '  "weight": NaN,')


def infinity(folder: Path) -> None:
    after_version(folder, '  "weight": -Infinity,')


def huge(folder: Path) -> None:
    after_version(folder, '  "weight": 1e308,')


def descriptor_fifo(folder: Path) -> None:
    (folder / "datapackage.json").unlink()
    os.mkfifo(folder / "datapackage.json")


def descriptor_zero(folder: Path) -> None:
    (folder / "datapackage.json").unlink()
    (folder / "datapackage.json").symlink_to("/dev/zero")


def descriptor_large(folder: Path) -> None:
    descriptor_text(folder, '{"version": "1", "pad": "' + "x" * 1_100_000 + '"}')


def not_utf8(folder: Path) -> None:
    descriptor_text(folder, b'{"version": "\xff"}')


JSON_CASES = [  # (name, breaks the descriptor, fragment, or a function of the unbroken folder giving it)
    ("duplicate version", duplicate_version,
     lambda f: f"the key 'version' appears twice in one object, on line {version_line(f)} and line {version_line(f) + 1}"),
    ("duplicate deep key", duplicate_field_key,
     lambda f: f"the key 'type' appears twice in one object, on line {deep_field_line(f)} and line {deep_field_line(f)}"),
    ("depth 100,000", deep, "datapackage.json: line 1: refused: nested deeper than 50 levels"),
    ("NaN", nan, lambda f: f"line {version_line(f) + 1}: NaN is not a JSON number"),
    ("-Infinity", infinity, lambda f: f"line {version_line(f) + 1}: -Infinity is not a JSON number"),
    ("1e308", huge, lambda f: f"line {version_line(f) + 1}: the number '1e308' is out of bounds"),
    ("fifo", descriptor_fifo, "is a FIFO (named pipe): only a regular file is read"),
    ("/dev/zero", descriptor_zero, "is a character device: only a regular file is read"),
    ("over the cap", descriptor_large, "is larger than the limit of 1,000,000 bytes"),
    ("not UTF-8", not_utf8, "datapackage.json: not UTF-8 text (invalid start byte at byte 13)"),
]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case, breaks, fragment", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_a_hostile_descriptor_is_refused_with_its_line(data_copy, command, case, breaks, fragment):
    fragment = fragment(data_copy) if callable(fragment) else fragment
    breaks(data_copy)
    try:
        proc = run_rekit(COMMANDS[command](str(data_copy)), timeout=90, process=case in PROCESS_ROWS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: `rekit {command}` hung (no answer in 90 s)")
    expect(proc, 1, fragment)


@pytest.mark.parametrize("case, breaks", [("fifo", descriptor_fifo), ("/dev/zero", descriptor_zero)])
def test_citing_the_kit_does_not_wait_on_a_special_descriptor(data_copy, case, breaks):
    """`rekit cite --kit` reads only the version; it used to wait forever on a FIFO."""
    breaks(data_copy)
    try:
        proc = run_rekit(["cite", "--kit"], env={"REKIT_DATA": str(data_copy)}, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: `rekit cite --kit` hung (no answer in 90 s)")
    expect(proc, 0, "data version unknown")
