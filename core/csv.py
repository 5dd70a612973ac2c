"""The one CSV writer every export goes through: streamed, and formula-safe.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some,
a tab or carriage return) as a formula: `=HYPERLINK("http://x.invalid","a")` in
a member's name would become a live link in an admin's spreadsheet (OWASP's
"CSV injection"). Such a cell is written with a leading `'`, which spreadsheets
show as text and which keeps the value readable.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """`value` as CSV text that no spreadsheet runs as a formula (None is empty)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


class _Echo:
    """A file-like object that hands back what is written: one CSV line at a time."""

    def write(self, value):
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The header, then each row, as CSV lines with every cell made safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A streamed download: rows are written as they are read, so a million-row
    export never sits in memory (pass an `.iterator()` for a queryset)."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
