"""CSV exports (contract in DESIGN.md): one header row, one row per fact, ISO 8601 dates.

The response streams, so an export of any size is written as the rows are read: pass rows as a
generator over a single query read in chunks (QuerySet.values_list(...).iterator(chunk_size=2000)),
never a list, and no prefetch_related (which loads every related row before the first is written).
Then the number of queries stays the same whatever the number of rows, and so does the memory: at
most two chunks (the one being written while the database hands over the next), about 2 to 4 MB
for the exports' rows; the tests of each export check both at N and 4N rows. Served through WSGI
(gunicorn): under ASGI Django reads a synchronous stream into a list before sending it.

The first bytes are a UTF-8 byte-order mark (EF BB BF): without it Excel on Windows reads the file as
Windows-1252 and shows "café" as "cafÃ©". Read an export with encoding "utf-8-sig".
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

# A cell starting with one of these is read as a formula by spreadsheet programs; exports are opened
# in Excel, and comments are typed by people, so such cells are prefixed with an apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The byte-order mark, the stream's first chunk (encoded as UTF-8 by the response: EF BB BF).
BOM = "\ufeff"


class _Echo:
    """A file-like object that hands back what the csv writer writes (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A streamed CSV download: the header row, then each row (values made text, formulas defused).

    A row is read from `rows` only when the body reaches it and is dropped once written, so the
    response holds one row at a time, whatever the export's size."""
    writer = csv.writer(_Echo())

    def lines():
        yield BOM
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
