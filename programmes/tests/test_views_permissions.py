"""Every scheduling page walked through by every persona: anonymous -> login, wrong role -> 403 or
404 (a coach never learns another coach's team exists), right role -> 200 with the page's own
heading. Writes are POSTed empty: the right role gets the form back with its errors."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from pytest_django.asserts import assertContains

from conftest import PERSONAS
from core.access import can_change
from programmes.access import get_enrolment_for_user
from tests import factories
from tests.helpers import MANAGERS_AND_LEADS, MANAGERS_ONLY, THIS_TEAM_READ, THIS_TEAM_WRITE, persona_request


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable  # (personas, meeting) -> path
    expect: dict[str, int]  # persona -> status code (anonymous is always a login redirect)
    text: str  # shown to everyone who gets a 200
    method: str = "get"


MANAGER_ONLY = MANAGERS_ONLY
READERS = MANAGERS_AND_LEADS


def team_id(p, m):
    return p.enrolment.team_id


def meeting_id(p, m):
    return m.pk


def cohort_id(p, m):
    return p.enrolment.cohort_id


def enrolment_id(p, m):
    return p.enrolment.pk


def session_3_id(p, m):
    return p.enrolment.sessions.get(number=3).pk


def url(name: str, *parts: Callable) -> Callable:
    """A path builder: url("programmes:team", team_id)(personas, meeting)."""
    return lambda p, m: reverse(name, args=[part(p, m) for part in parts])


MY_TEAMS = {"manager": 200, "coach": 200, "other_coach": 200, "lead": 403}
REQUIRED = "This field is required."
NO_DAY = "Choose the day of the week the meeting is held on."

PAGES = [
    Page("teams", url("programmes:teams"), READERS, '<h1 class="h2 mb-0">Teams</h1>'),
    Page("team_create", url("programmes:team_create"), MANAGER_ONLY, "Add a team</h1>"),
    Page("team_create_post", url("programmes:team_create"), MANAGER_ONLY, REQUIRED, "post"),
    Page("team", url("programmes:team", team_id), THIS_TEAM_READ, "Education support team"),
    Page("team_edit", url("programmes:team_edit", team_id), MANAGER_ONLY, "Edit Education support team</h1>"),
    Page("team_edit_post", url("programmes:team_edit", team_id), MANAGER_ONLY, REQUIRED, "post"),
    Page(
        "meeting_create",
        url("programmes:meeting_create", team_id),
        MANAGER_ONLY,
        "Add a meeting Education support team already holds",
    ),
    Page("meeting_create_post", url("programmes:meeting_create", team_id), MANAGER_ONLY, NO_DAY, "post"),
    Page(
        "meeting_edit",
        url("programmes:meeting_edit", team_id, meeting_id),
        MANAGER_ONLY,
        "Edit a meeting of Education support team",
    ),
    Page("meeting_edit_post", url("programmes:meeting_edit", team_id, meeting_id), MANAGER_ONLY, NO_DAY, "post"),
    Page("cohorts", url("programmes:cohorts"), READERS, "Autumn cohort"),
    Page("cohort_create", url("programmes:cohort_create"), MANAGER_ONLY, "Create a cohort</h1>"),
    Page("cohort_create_post", url("programmes:cohort_create"), MANAGER_ONLY, REQUIRED, "post"),
    Page("cohort", url("programmes:cohort", cohort_id), READERS, "Pharmacy team"),
    Page("cohort_edit", url("programmes:cohort_edit", cohort_id), MANAGER_ONLY, "Edit Autumn cohort</h1>"),
    Page("cohort_edit_post", url("programmes:cohort_edit", cohort_id), MANAGER_ONLY, REQUIRED, "post"),
    Page(
        "enrolment_create",
        url("programmes:enrolment_create", cohort_id),
        MANAGER_ONLY,
        "Enrol a team in Autumn cohort</h1>",
    ),
    Page("enrolment_create_post", url("programmes:enrolment_create", cohort_id), MANAGER_ONLY, REQUIRED, "post"),
    Page("enrolment", url("programmes:enrolment", enrolment_id), THIS_TEAM_READ, "Education support team <span"),
    Page(
        "enrolment_edit",
        url("programmes:enrolment_edit", enrolment_id),
        MANAGER_ONLY,
        "Edit the enrolment of Education support team",
    ),
    Page("enrolment_edit_post", url("programmes:enrolment_edit", enrolment_id), MANAGER_ONLY, REQUIRED, "post"),
    Page(
        "session",
        url("programmes:session", session_3_id),
        THIS_TEAM_READ,
        "Session 3 of Education support team</h1>",
    ),
    Page(
        "session_held",
        url("programmes:session_held", session_3_id),
        THIS_TEAM_WRITE,
        "Record session 3 of Education support team as held",
    ),
    Page("session_held_post", url("programmes:session_held", session_3_id), THIS_TEAM_WRITE, REQUIRED, "post"),
    Page(
        "session_cancel",
        url("programmes:session_cancel", session_3_id),
        THIS_TEAM_WRITE,
        "Cancel session 3 of Education support team",
    ),
    Page("session_cancel_post", url("programmes:session_cancel", session_3_id), THIS_TEAM_WRITE, REQUIRED, "post"),
    Page(
        "session_move",
        url("programmes:session_move", session_3_id),
        THIS_TEAM_WRITE,
        "Set the time of session 3 of Education support team",
    ),
    Page("session_move_post", url("programmes:session_move", session_3_id), THIS_TEAM_WRITE, REQUIRED, "post"),
    Page("my_teams", url("coaching:my_teams"), MY_TEAMS, '<h1 class="h2 mb-3">My teams</h1>'),
    Page(
        "agreement",
        url("coaching:agreement", enrolment_id),
        THIS_TEAM_WRITE,
        "Agree the coaching slots with Education support team",
    ),
    Page(
        "agreement_post",
        url("coaching:agreement", enrolment_id),
        THIS_TEAM_WRITE,
        "Choose the meeting the coaching sessions will ride on.",
        "post",
    ),
    Page("agreement_meeting_post", url("coaching:agreement_meeting", enrolment_id), THIS_TEAM_WRITE, NO_DAY, "post"),
]


@pytest.fixture
def meeting(personas):
    return factories.TeamMeetingFactory(team=personas.enrolment.team, name="Weekly huddle")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_permissions(login, personas, meeting, page, persona):
    response = persona_request(login, personas, persona, page.url(personas, meeting), page.expect, method=page.method)
    if response.status_code == 200:
        assertContains(response, page.text)


@pytest.mark.parametrize("persona", PERSONAS)
def test_enrolment_status_post_permissions(login, personas, persona):
    url = reverse("programmes:enrolment_status", args=[personas.enrolment.pk])
    persona_request(
        login,
        personas,
        persona,
        url,
        {**MANAGERS_ONLY, "manager": 302},
        method="post",
        data={"status": "withdrawn", "version": 1},
    )
    personas.enrolment.refresh_from_db()
    assert (personas.enrolment.status == "withdrawn") is (persona == "manager")


@pytest.mark.parametrize(
    ("persona", "mine", "theirs"),
    [("manager", True, True), ("coach", True, False), ("other_coach", False, True), ("lead", False, False)],
)
def test_can_change_is_the_rule_every_write_applies(rf, personas, persona, mine, theirs):
    """The pages offer a change (can_change) exactly where the write would be let through."""
    request = rf.post("/")
    request.user = personas.user(persona)
    for enrolment, expected in ((personas.enrolment, mine), (personas.other_enrolment, theirs)):
        assert can_change(request.user, enrolment.coach_id) is expected
        try:
            get_enrolment_for_user(request, enrolment.pk, write=True)
        except (Http404, PermissionDenied):
            allowed = False
        else:
            allowed = True
        assert allowed is expected


@pytest.mark.parametrize("persona", ["coach", "other_coach"])
def test_team_page_of_another_coachs_team_is_404_and_own_is_200(login, personas, persona):
    client = login(persona, personas)
    mine = personas.enrolment if persona == "coach" else personas.other_enrolment
    theirs = personas.other_enrolment if persona == "coach" else personas.enrolment
    assert client.get(reverse("programmes:team", args=[mine.team_id])).status_code == 200
    assert client.get(reverse("programmes:team", args=[theirs.team_id])).status_code == 404
    assert client.get(reverse("programmes:enrolment", args=[theirs.pk])).status_code == 404


def test_user_without_a_role_is_refused_everywhere(login, personas, meeting):
    client = login("no_role", personas)
    for page in PAGES:
        response = getattr(client, page.method)(page.url(personas, meeting))
        assert response.status_code in (403, 404), page.name
