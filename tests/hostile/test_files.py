"""YAML files a stranger hands the kit: special files, size, numbers, duplicate keys, types and dates.

Each row writes files into a temporary folder T (text, or a FIFO, a folder, a symbolic link, a
copy of the bundled data folder), runs the command line on them and checks the exit status and a
fragment of the message (`expect`: no traceback, never the catch-all exit 70).
A deals file of one's own goes through ``simulate --deals`` (a bad file: exit 2); a data folder's
deals.yml through ``data check`` (a problem found: exit 1) and ``simulate --data`` (exit 2).
A row with a FIFO or a link to a device (or /dev/zero on its command line) runs a real process
under a timeout, so a reader that blocks on a FIFO or reads /dev/zero fails the row instead of
hanging the suite; the others run in the test's process (hostile.cases.run_rekit). The reader itself is rekit.data.yamlfile.read_yaml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile.cases import DATA, expect, run_rekit

FIFO, FOLDER, DATA_COPY = "<fifo>", "<folder>", "<copy of data/>"
TIMEOUT = 60  # seconds: a run that blocks on a FIFO or reads /dev/zero forever fails the row


class Link(str):
    """A symbolic link to this target."""


class Append(str):
    """This text appended to the file already there (a copy of data/deals.yml)."""


def build(tmp: Path, files: dict[str, str]) -> None:
    """Write `files` (name relative to `tmp` -> content or one of the markers above) in order."""
    for name, what in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if what == DATA_COPY:
            shutil.copytree(DATA, path)
            continue
        if isinstance(what, Append):
            path.write_text(path.read_text(encoding="utf-8") + what, encoding="utf-8")
            continue
        if path.exists() or path.is_symlink():
            path.unlink()
        if what == FIFO:
            os.mkfifo(path)
        elif what == FOLDER:
            path.mkdir()
        elif isinstance(what, Link):
            path.symlink_to(what)
        else:
            path.write_text(what, encoding="utf-8")


def deal(*lines: str) -> str:
    """A deals file with one deal `my_deal`, its description on line 3 and `lines` from line 4 on."""
    return "deals:\n  my_deal:\n    description: a test deal\n" + "".join(f"    {ln}\n" for ln in lines)


SIM = ["simulate", "--deals", "{T}/d.yml", "--deal", "my_deal", "--draws", "10", "--years", "2024-2026"]
CHECK = ["data", "check", "{T}/data"]
SIM_DATA = ["simulate", "--data", "{T}/data", "--deal", "status_quo", "--draws", "10", "--years", "2024-2026"]
IN_DATA = {"data": DATA_COPY}

ROWS = [
    # -- the control: the same deal file with sane values runs ------------------------------------
    ("control", {"d.yml": deal('stock_initial: {value: 100, source: "assumption: a test"}')}, SIM, 0, "my_deal"),
    # -- special files, sizes ---------------------------------------------------------------------
    ("dev-zero-deals.yml", {**IN_DATA, "data/deals.yml": Link("/dev/zero")}, CHECK, 1,
     "is a character device: only a regular file is read"),
    ("dev-zero-simulate", {**IN_DATA, "data/deals.yml": Link("/dev/zero")}, SIM_DATA, 2,
     "is a character device: only a regular file is read"),
    ("dev-zero-option", {}, ["simulate", "--deals", "/dev/zero", "--draws", "10"], 2, "/dev/zero"),
    ("fifo-deals.yml", {**IN_DATA, "data/deals.yml": FIFO}, CHECK, 1, "is a FIFO (named pipe): only a regular file is read"),
    ("fifo-simulate", {**IN_DATA, "data/deals.yml": FIFO}, SIM_DATA, 2, "is a FIFO (named pipe): only a regular file is read"),
    ("folder-deals.yml", {**IN_DATA, "data/deals.yml": FOLDER}, CHECK, 1, "is a folder: only a regular file is read"),
    # 2,000,020 bytes: a valid deal, then a comment of 2,000,000 characters
    ("2MB", {"d.yml": deal('stock_initial: {value: 100, source: "assumption: a test"}') + "#" * 2_000_000 + "\n"}, SIM, 2,
     "is larger than the limit of 1,000,000 bytes"),
    # -- numbers: YAML's .inf and .nan, and 1e308, as the CSV rules refuse them -------------------
    # line 4 is `    stock_initial: {value: .inf, …}`: 4 spaces + "stock_initial: {value: " (23) = 27
    # characters before the number, so it starts in column 28
    ("inf", {"d.yml": deal('stock_initial: {value: .inf, source: "assumption: a test"}')}, SIM, 2,
     "d.yml: line 4, column 28: '.inf' refused: inf is not a finite number; numbers must lie in [-1e+12, 1e+12]"),
    ("minus-inf", {"d.yml": deal('stock_initial: {value: 100, low: -.inf, source: "assumption: a test"}')}, SIM, 2,
     "not a finite number"),
    ("nan", {"d.yml": deal('stock_initial: {value: .nan, source: "assumption: a test"}')}, SIM, 2,
     "d.yml: line 4, column 28: '.nan' refused: nan is not a finite number"),
    ("1e308", {"d.yml": deal('stock_initial: {value: 1e308, source: "assumption: a test"}')}, SIM, 2,
     "d.yml: line 4, column 28: '1e308' refused: 1e+308 is beyond the largest number allowed; numbers must lie in [-1e+12, 1e+12]"),
    # 1.0e+308 is a float in YAML 1.1 as well: the form the issue found accepted
    ("1.0e+308", {"d.yml": deal('stock_initial: {value: 1.0e+308, source: "assumption: a test"}')}, SIM, 2,
     "'1.0e+308' refused: 1e+308 is beyond the largest number allowed"),
    ("10^13", {"d.yml": deal('stock_initial: {value: 10000000000000, source: "assumption: a test"}')}, SIM, 2,
     "'10000000000000' refused: 1e+13 is beyond the largest number allowed"),
    # 5,000 digits: more than Python turns into an int (4,300)
    ("5000-digits", {"d.yml": deal("stock_initial: {value: " + "9" * 5000 + ', source: "assumption: a test"}')}, SIM, 2,
     "is not a plain decimal number within [-1e+12, 1e+12]"),
    # quoted, the number is text: the deal reader refuses it instead of float() reading "inf"
    ("quoted-inf", {"d.yml": deal('stock_initial: {value: "inf", source: "assumption: a test"}')}, SIM, 2,
     "deal 'my_deal', key 'stock_initial': value 'inf' is not a number"),
    ("quoted-1e308-over-obs", {"d.yml": deal('stock_initial: {obs: irel_ndpr_oxide_stock_2025_12_energetica, value: "1e308"}')},
     SIM, 2, "deal 'my_deal', key 'stock_initial': value '1e308' is not a number"),
    ("inf-in-data", {**IN_DATA, "data/deals.yml": Append("\nextra: .inf\n")}, CHECK, 1, "'.inf' refused: inf is not a finite number"),
    ("inf-in-data-simulate", {**IN_DATA, "data/deals.yml": Append("\nextra: .inf\n")}, SIM_DATA, 2, "not a finite number"),
    # -- duplicate keys, at every level -----------------------------------------------------------
    ("duplicate-deal", {"d.yml": deal('stock_initial: {value: 100, source: "assumption: a test"}')
                        + "  my_deal:\n    description: the same name again\n"}, SIM, 2,
     "d.yml: key 'my_deal' appears twice (under deals): line 2 and line 5"),
    ("duplicate-parameter", {"d.yml": deal('stock_initial: {value: 100, source: "assumption: a test"}',
                                           'stock_initial: {value: 200, source: "assumption: a test"}')}, SIM, 2,
     "d.yml: key 'stock_initial' appears twice (under deals.my_deal): line 4 and line 5"),
    ("duplicate-year", {"d.yml": deal("partner_capacity:",
                                      '  2026: {value: 100, source: "assumption: a test"}',
                                      '  2026: {value: 900, source: "assumption: a test"}')}, SIM, 2,
     "d.yml: key 2026 appears twice (under deals.my_deal.partner_capacity): line 5 and line 6"),
    ("duplicate-spec-key", {"d.yml": deal('stock_initial: {value: 100, value: 5, source: "assumption: a test"}')}, SIM, 2,
     "key 'value' appears twice (under deals.my_deal.stock_initial): line 4 and line 4"),
    ("duplicate-top-in-data", {**IN_DATA, "data/deals.yml": Append("\ndeals: {}\n")}, CHECK, 1, "key 'deals' appears twice"),
    # -- types JSON has no word for ---------------------------------------------------------------
    ("binary", {"d.yml": "deals:\n  my_deal:\n    description: !!binary aGVsbG8=\n"}, SIM, 2,
     "d.yml: line 3, column 18: the type !!binary is not allowed; only text, numbers, true/false, null, lists and mappings"),
    ("python-object", {"d.yml": "deals:\n  my_deal: !!python/object/apply:os.system ['touch {T}/ran']\n"}, SIM, 2,
     "d.yml: line 2, column 12: the type !!python/object/apply:os.system is not allowed"),
    ("timestamp", {"d.yml": deal("export_halt: {date: !!timestamp 2025-06-13, source: \"assumption: a test\"}")}, SIM, 2,
     "the type !!timestamp is not allowed"),
    ("set", {"d.yml": deal("assumptions: !!set {a, b}")}, SIM, 2, "the type !!set is not allowed"),
    # -- dates ------------------------------------------------------------------------------------
    ("date-2025-02-30", {"d.yml": deal('export_halt: {date: 2025-02-30, source: "assumption: a test"}')}, SIM, 2,
     "deal 'my_deal', key 'export_halt': date '2025-02-30' is not a calendar date YYYY-MM-DD (or YYYY-MM) from 2014 to 2050"),
    ("date-month-13", {"d.yml": deal('china_shock: {start: 2030-13}')}, SIM, 2,
     "key 'china_shock': start '2030-13' is not a calendar date"),
    ("date-year-9999", {"d.yml": deal('export_halt: {date: 9999-12-31, source: "assumption: a test"}')}, SIM, 2,
     "date '9999-12-31' is not a calendar date YYYY-MM-DD (or YYYY-MM) from 2014 to 2050"),
    # a deal added at the end of the bundled file, whose last section is `deals`
    ("date-in-data", {**IN_DATA, "data/deals.yml": Append("  my_halt:\n    description: a test deal\n"
                                                          "    export_halt: {date: 2025-02-30, source: \"assumption: a test\"}\n")},
     CHECK, 1, "deal 'my_halt', key 'export_halt': date '2025-02-30' is not a calendar date"),
]


@pytest.mark.parametrize("files, args, code, fragment", [pytest.param(*row[1:], id=row[0]) for row in ROWS])
def test_yaml_file(tmp_path, files, args, code, fragment):
    build(tmp_path, {k: (v.replace("{T}", str(tmp_path)) if type(v) is str else v) for k, v in files.items()})
    try:
        special = any(v == FIFO or isinstance(v, Link) for v in files.values()) or "/dev/zero" in args
        proc = run_rekit([a.replace("{T}", str(tmp_path)) for a in args], timeout=TIMEOUT, process=special)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rekit {' '.join(args)} still ran after {TIMEOUT} s (blocked on a special file?)")
    expect(proc, code, fragment)
    assert not (tmp_path / "ran").exists()  # no YAML tag ran a command
