"""core.csv: the one writer every export goes through."""

import csv
import io

import pytest

from core.csv import csv_lines, csv_response, safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x.invalid","a")', '\'=HYPERLINK("http://x.invalid","a")'),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_lines_parse_back_to_the_readable_values():
    rows = [["=1+1", "O'Brien", 'say "hi"', "a,b"], [None, "-", "multi\nline", 3]]
    text = "".join(csv_lines(["name", "@header", "quote", "comma"], rows))
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "'@header", "quote", "comma"],
        ["'=1+1", "O'Brien", 'say "hi"', "a,b"],
        ["", "'-", "multi\nline", "3"],
    ]


def test_response_streams_rows_as_they_are_read():
    consumed = []

    def rows():
        for number in range(3):
            consumed.append(number)
            yield [number]

    response = csv_response("export.csv", ["n"], rows())
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="export.csv"'
    assert consumed == []  # nothing read before the response is sent
    chunks = iter(response.streaming_content)
    assert next(chunks) == b"n\r\n"
    assert next(chunks) == b"0\r\n" and consumed == [0]
    assert b"".join(chunks) == b"1\r\n2\r\n"
