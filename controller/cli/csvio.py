"""Small CSV helpers for the command line: read a table, parse numeric cells, write it back.

Row numbers are the file's line numbers as a spreadsheet shows them: the header is row 1, the
first data row is row 2. A blank cell, ``NA``, ``NaN`` or ``null`` is a missing value (NaN).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from controller.errors import CommandError

__all__ = ["CellError", "CsvFormatError", "Table", "parse_float", "read_table", "write_table"]

_MISSING = {"", "na", "nan", "null", "none"}


@dataclass(frozen=True)
class Table:
    """A CSV file: its header and data rows (strings, as read)."""

    header: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str] | None:
        """The cells of column ``name``, or None if the file has no such column."""
        try:
            i = self.header.index(name)
        except ValueError:
            return None
        return [row[i] if i < len(row) else "" for row in self.rows]


@dataclass(frozen=True)
class CellError:
    """A cell that could not be used: where it is and why."""

    row: int  # 1-based file row; the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class CsvFormatError(CommandError, ValueError):
    """The file as a whole is unusable (empty, no header, duplicate columns)."""


def read_table(stream: TextIO) -> Table:
    """Read a CSV with a header row; surrounding blanks in names and cells are stripped."""
    reader = csv.reader(stream)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CsvFormatError("empty file: expected a header row") from None
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise CsvFormatError(f"duplicate columns: {', '.join(dupes)}")
    rows = [[cell.strip() for cell in row] for row in reader if any(c.strip() for c in row)]
    return Table(header, rows)


def parse_float(cell: str) -> float:
    """A numeric cell as float; missing markers give NaN; anything else raises ValueError."""
    if cell.strip().lower() in _MISSING:
        return math.nan
    value = float(cell)
    if math.isnan(value):
        return math.nan
    return value


def write_table(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write ``header`` and ``rows`` as CSV with Unix line endings."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
