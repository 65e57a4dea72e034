"""The CSV helper's byte-order mark: Excel on Windows reads the exports as UTF-8, so "Café" stays "Café"."""

import csv
import io

import pytest
from django.urls import reverse

from core.exports import csv_response

SESSIONS_HEADER = [
    "team",
    "site",
    "cohort",
    "coach",
    "session_number",
    "session_title",
    "kind",
    "due_date",
    "agreed_start",
    "held_on",
    "status",
    "attendees",
    "cancelled_reason",
    "times_moved",
    "notes",
]
RATINGS_HEADER = ["team", "site", "cohort", "session_number", "session_date", "tool", "discussed", "level", "comment"]
FEEDBACK_HEADER = [
    "team",
    "site",
    "cohort",
    "session_number",
    "session_date",
    "submitted_on",
    "could_improve",
    "rating",
    "what_worked",
    "what_would_make_it_better",
]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_response_starts_with_the_bom_then_the_header():
    response = csv_response("x.csv", ["name", "comment"], iter([["Café", "naïve"]]))
    content = body(response)
    assert content[:3] == b"\xef\xbb\xbf"
    assert content == "\ufeffname,comment\r\nCafé,naïve\r\n".encode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [["name", "comment"], ["Café", "naïve"]]


def test_csv_response_with_no_rows_is_the_bom_and_the_header():
    assert body(csv_response("x.csv", ["a", "b"], iter([]))) == b"\xef\xbb\xbfa,b\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "header"),
    [("sessions_csv", SESSIONS_HEADER), ("ratings_csv", RATINGS_HEADER), ("feedback_csv", FEEDBACK_HEADER)],
)
def test_every_export_starts_with_the_bom_once(personas, login, url_name, header):
    response = login("manager", personas).get(reverse(url_name))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = body(response)
    assert content[:3] == b"\xef\xbb\xbf"
    assert content.count(b"\xef\xbb\xbf") == 1
    assert next(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == header


@pytest.mark.django_db
def test_sessions_export_round_trips_a_non_ascii_team_name(personas, login):
    team = personas.enrolment.team
    team.name = "Café team"
    team.save()
    content = body(login("manager", personas).get(reverse("sessions_csv")))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == SESSIONS_HEADER
    cafe = [row for row in rows[1:] if row[0] == "Café team"]
    assert len(cafe) == personas.enrolment.sessions.count()
    assert len(cafe) > 0
