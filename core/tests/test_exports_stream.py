"""The CSV helper streams: it reads a row only when the body reaches it, and keeps none."""

from django.http import StreamingHttpResponse

from core.exports import csv_response


def test_csv_response_reads_each_row_only_as_the_body_reaches_it():
    pulled = []

    def rows():
        for n in range(3):
            pulled.append(n)
            yield [n, f"row {n}"]

    response = csv_response("x.csv", ["n", "label"], rows())
    assert isinstance(response, StreamingHttpResponse)
    assert response.streaming
    assert pulled == []  # building the response reads nothing
    body = iter(response.streaming_content)
    assert next(body) == b"\xef\xbb\xbf"
    assert next(body) == b"n,label\r\n"
    assert pulled == []
    assert next(body) == b"0,row 0\r\n"
    assert pulled == [0]  # one row read for one row written
    assert list(body) == [b"1,row 1\r\n", b"2,row 2\r\n"]
    assert pulled == [0, 1, 2]


def test_csv_response_can_stream_more_rows_than_fit_in_a_list():
    # An endless source: anything that gathered the rows first would never return.
    def endless():
        n = 0
        while True:
            n += 1
            yield [n]

    body = iter(csv_response("x.csv", ["n"], endless()).streaming_content)
    chunks = [next(body) for _ in range(1002)]
    assert chunks[-1] == b"1000\r\n"
