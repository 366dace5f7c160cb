"""Problems found in the data, each named by file, row and column."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable

from rekit.errors import FailedError

WHOLE_FILE = "(file)"
MAX_MESSAGE = 1000  # characters: the longest message of a rule (the list of allowed units) is about 600
WHOLE_ROW = "(row)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the data. `row` counts records as a spreadsheet does: the header is row 1."""

    file: str
    row: int
    column: str
    message: str

    def __post_init__(self) -> None:
        # A last guard: no problem carries more than a few lines of a file, whatever the rule
        # that made it (rules quote a bad cell at most, cut to 80 characters: rekit.data.files.clip).
        for name, limit in (("file", 200), ("column", 80), ("message", MAX_MESSAGE)):
            text = getattr(self, name)
            if isinstance(text, str) and len(text) > limit:
                object.__setattr__(self, name, text[:limit - 1] + "…")

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.column}: {self.message}"


class DataError(FailedError, ValueError):
    """Raised when data would give wrong numbers; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        lines = "\n".join(f"  {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the data:\n{lines}")
