"""The ratings CSV (/exports/ratings.csv) and the shared CSV helper."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from checklists.models import Tool
from core.exports import csv_response, safe_cell

from .helpers import hold, save_checklist, session_number

pytestmark = pytest.mark.django_db

HEADER = ["team", "site", "cohort", "session_number", "session_date", "tool", "discussed", "level", "comment"]


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def rated(personas):
    """Both teams with a checklist for session 2; the coach's team also for session 3."""
    go = Tool.objects.get(name="Go and See")
    s2 = hold(session_number(personas.enrolment, 2))
    levels = {t.pk: 1 for t in Tool.objects.active()} | {go.pk: 3}
    save_checklist(s2, personas.coach, levels)
    save_checklist(hold(session_number(personas.enrolment, 3)), personas.coach, 0, discussed=False)
    save_checklist(hold(session_number(personas.other_enrolment, 2)), personas.other_coach, 2)
    return s2


def test_ratings_csv_has_one_header_and_one_row_per_rating(personas, rated, login):
    response = login("manager", personas).get("/exports/ratings.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ratings.csv"'
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert len(rows) == 1 + 27
    site = personas.enrolment.team.site.code
    assert rows[1] == [
        "Education support team",
        site,
        "Autumn cohort",
        "2",
        rated.held_on.isoformat(),
        "Driver diagrams / aims",
        "yes",
        "Oscillatory",
        "",
    ]
    assert rows[2][5:8] == ["Go and See", "yes", "Most of the time"]
    assert {row[7] for row in rows[10:19]} == {"Not at all"}
    assert {row[6] for row in rows[10:19]} == {"no"}


@pytest.mark.parametrize(("persona", "teams", "count"), [
    ("manager", {"Education support team", "Pharmacy team"}, 27),
    ("lead", {"Education support team", "Pharmacy team"}, 27),
    ("coach", {"Education support team"}, 18),
    ("other_coach", {"Pharmacy team"}, 9),
])  # fmt: skip
def test_ratings_csv_rows_respect_who_may_see_what(personas, rated, login, persona, teams, count):
    rows = read_csv(login(persona, personas).get("/exports/ratings.csv"))
    assert rows[0] == HEADER
    assert {row[0] for row in rows[1:]} == teams
    assert len(rows) - 1 == count


def test_ratings_csv_no_ratings_is_the_header_only(personas, login):
    assert read_csv(login("coach", personas).get("/exports/ratings.csv")) == [HEADER]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Weekly huddle", "Weekly huddle"),
        ("", ""),
        (None, ""),
        (7, "7"),
    ],
)
def test_safe_cell_defuses_spreadsheet_formulas(value, expected):
    assert safe_cell(value) == expected


def test_csv_response_quotes_commas_quotes_and_newlines():
    response = csv_response("x.csv", ["a", "b"], iter([["one, two", 'say "hi"'], ["line\nbreak", "é"]]))
    assert read_csv(response) == [["a", "b"], ["one, two", 'say "hi"'], ["line\nbreak", "é"]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
