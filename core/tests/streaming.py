"""Measures a streamed CSV download as a browser receives it: chunk by chunk, nothing kept.

For the exports' tests of flat memory: the same export read at N and at 4N rows must reach the
same peak of Python memory (within a small bound) and run the same queries.
"""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass

from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

# The peak may move by this much between N and 4N rows (allocator noise: under 1 KiB when measured);
# a list of every row at 4N rows of the sizes the tests use is several MiB over it.
FLAT_PEAK_BOUND = 64 * 1024


@dataclass(frozen=True)
class StreamedExport:
    """One download: its data rows (header excluded), its SQL queries and its peak traced memory."""

    rows: int
    queries: int
    peak_bytes: int


def _consume(client, url: str) -> int:
    """GETs url and reads the streamed body one chunk at a time, keeping only the count of lines."""
    response = client.get(url)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    lines = 0
    # Read to the end, as a server would: the test client closes the response then (closing it again
    # here would close the test's database connection, and its transaction, on PostgreSQL).
    for chunk in response.streaming_content:
        lines += chunk.count(b"\r\n")
    return lines - 1  # the header


def streamed_export(client, url: str) -> StreamedExport:
    """Downloads url twice: once counting its queries, once tracing the peak memory of the download
    (from the request to the last byte). The traced run is the second, so that first-use set-up
    (imports, caches, compiled SQL) is not counted as part of the export."""
    with CaptureQueriesContext(connection) as queries:
        rows = _consume(client, url)
    query_count = len(queries)  # now: the next request empties the log that it reads
    gc.collect()
    tracemalloc.start()
    try:
        traced_rows = _consume(client, url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert traced_rows == rows
    return StreamedExport(rows=rows, queries=query_count, peak_bytes=peak)
