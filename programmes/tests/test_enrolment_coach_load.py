"""The manager's enrolment forms show each coach's load in the coach choice: teams planned or active,
and sessions still to hold in the next 4 weeks (the agreed start's day if agreed, else the due date),
in any cohort. "Today" is Monday 10 November 2025."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from conftest import PERSONAS_AND_NO_ROLE
from programmes.models import EnrolmentStatus, Session
from programmes.selectors import coaches_with_load
from tests import factories
from tests.helpers import MANAGERS_ONLY, persona_request

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2025, 11, 10, 9, 0, tzinfo=LONDON)
TODAY = NOW.date()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)


def create_url(personas) -> str:
    return reverse("programmes:enrolment_create", args=[personas.enrolment.cohort_id])


def edit_url(personas) -> str:
    return reverse("programmes:enrolment_edit", args=[personas.enrolment.pk])


def load(personas) -> dict[str, tuple[int, int]]:
    return {u.username: (u.active_teams, u.upcoming_sessions) for u in coaches_with_load(today=TODAY)}


@pytest.fixture
def busy(personas):
    """Cara's sessions of the Education support team around the next 4 weeks (10 Nov to 8 Dec 2025,
    8 Dec not included); the default template's due dates: 5: 10 Nov, 6: 24 Nov, 7: 8 Dec, 8: 5 Jan."""
    sessions = {s.number: s for s in personas.enrolment.sessions.all()}
    Session.objects.filter(pk=sessions[5].pk).update(held_on=TODAY)  # held: not counted
    Session.objects.filter(pk=sessions[8].pk).update(agreed_start=dt.datetime(2025, 12, 7, 23, 30, tzinfo=LONDON))
    Session.objects.filter(pk=sessions[6].pk).update(agreed_start=dt.datetime(2025, 12, 9, 9, 0, tzinfo=LONDON))
    # Counted: 8 (agreed 7 Dec). Not: 5 (held), 6 (due 24 Nov but agreed 9 Dec), 7 (due 8 Dec).
    # A second team, planned, from today: sessions 1 (due today) and 3 (1 Dec) counted, 2 (17 Nov) cancelled.
    planned = factories.EnrolmentFactory(
        cohort=factories.CohortFactory(name="Winter cohort"),
        coach=personas.coach,
        session1_date=TODAY,
        status=EnrolmentStatus.PLANNED,
    )
    factories.make_sessions(planned)
    planned.sessions.filter(number=2).update(cancelled=True)
    # A withdrawn team: neither its team nor its sessions count.
    withdrawn = factories.EnrolmentFactory(
        cohort=factories.CohortFactory(name="Old cohort"),
        coach=personas.coach,
        session1_date=TODAY,
        status=EnrolmentStatus.WITHDRAWN,
    )
    factories.make_sessions(withdrawn)
    return personas


def test_coach_load_counts_current_teams_and_open_sessions_in_the_next_4_weeks(busy):
    # Omar: his Pharmacy team, sessions 5 (due 10 Nov) and 6 (due 24 Nov).
    assert load(busy) == {"coach": (2, 3), "othercoach": (1, 2)}


def test_enrolment_create_form_shows_each_coachs_load(login, busy):
    response = login("manager", busy).get(create_url(busy))
    assertContains(
        response,
        f'<option value="{busy.coach.pk}">Cara Coach (2 active teams, 3 sessions in the next 4 weeks)</option>',
        html=True,
    )
    assertContains(
        response,
        f'<option value="{busy.other_coach.pk}">Omar Other (1 active team, 2 sessions in the next 4 weeks)</option>',
        html=True,
    )


def test_enrolment_edit_form_shows_each_coachs_load(login, busy):
    response = login("manager", busy).get(edit_url(busy))
    assertContains(
        response,
        f'<option value="{busy.coach.pk}" selected>Cara Coach (2 active teams, 3 sessions in the next 4 weeks)'
        "</option>",
        html=True,
    )


def test_enrolment_edit_with_a_loaded_coach_still_saves(login, busy):
    response = login("manager", busy).post(
        edit_url(busy), {"coach": busy.other_coach.pk, "session1_date": "2025-09-22", "version": 1}
    )
    assert response.status_code == 302
    busy.enrolment.refresh_from_db()
    assert busy.enrolment.coach == busy.other_coach


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
@pytest.mark.parametrize("page", [create_url, edit_url])
def test_coach_load_is_shown_to_managers_only(login, personas, persona, page):
    response = persona_request(login, personas, persona, page(personas), MANAGERS_ONLY)
    if response.status_code == 200:
        assertContains(response, "Cara Coach (0 active teams", count=0)
        assertContains(response, "Cara Coach (1 active team, 2 sessions in the next 4 weeks)")


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", [create_url, edit_url])
def test_enrolment_form_query_count_does_not_grow_with_coaches(login, personas, page):
    client = login("manager", personas)
    few = queries_of(client, page(personas))
    for n in range(8):
        coach = factories.CoachFactory(username=f"coach{n}")
        enrolment = factories.EnrolmentFactory(cohort=factories.CohortFactory(name=f"Cohort {n}"), coach=coach)
        factories.make_sessions(enrolment)
    many = queries_of(client, page(personas))
    assert many == few
    assertContains(client.get(page(personas)), "(1 active team, 2 sessions in the next 4 weeks)", count=10)
