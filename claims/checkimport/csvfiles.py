"""The CSV files of a Check workspace export, as Check's rake task
(``lib/tasks/data/check_sunset.rake``) writes them: Ruby's CSV with a header row.

Fields are parsed by the csv module (quotes, commas and newlines inside a
field, a UTF-8 byte-order mark, right-to-left text); a column a later Check
adds is ignored, a column the import needs and the file lacks stops the
import before anything is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

# A Check description or tipline message can be long; a field past this is refused as malformed, not read.
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))


class ExportFormatError(Exception):
    """A file of the export is not what Check writes; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Row:
    number: int  # the CSV record's number, 1 for the first after the header (as a spreadsheet shows it, minus one)
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


def read_rows(name: str, data: bytes, *, required: tuple[str, ...]) -> tuple[list[str], Iterator[Row]]:
    """The header and the rows of one file; raises ExportFormatError when a required column is missing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader, [])]
    except csv.Error as exc:
        raise ExportFormatError(f"{name}: unreadable header ({exc}).") from None
    missing = [column for column in required if column not in header]
    if missing:
        found = ", ".join(repr(c) for c in header) or "nothing"
        raise ExportFormatError(
            f"{name}: required column(s) {', '.join(repr(c) for c in missing)} missing; the header has {found}."
        )
    return header, _rows(name, header, reader)


def _rows(name: str, header: list[str], reader) -> Iterator[Row]:
    number = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ExportFormatError(f"{name}: record {number + 1} is malformed ({exc}).") from None
        number += 1
        if not any(v.strip() for v in values):
            continue
        yield Row(number, dict(zip(header, values, strict=False)))
