"""Enrolling through the admin goes through the same services as the pages: the team's sessions
are made, and moving session 1 moves the due dates."""

import datetime as dt

import pytest
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from programmes.models import Enrolment, EnrolmentStatus, Session
from tests import factories

pytestmark = pytest.mark.django_db

ADD = reverse("admin:programmes_enrolment_add")
CHANGELIST = reverse("admin:programmes_enrolment_changelist")


def change_url(enrolment) -> str:
    return reverse("admin:programmes_enrolment_change", args=[enrolment.pk])


def sessions_inline(enrolment=None) -> dict:
    """The read-only sessions inline as the change page posts it back."""
    sessions = list(enrolment.sessions.order_by("number")) if enrolment else []
    data = {
        "sessions-TOTAL_FORMS": str(len(sessions)),
        "sessions-INITIAL_FORMS": str(len(sessions)),
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
    }
    for i, session in enumerate(sessions):
        data[f"sessions-{i}-id"] = str(session.pk)
        data[f"sessions-{i}-enrolment"] = str(enrolment.pk)
    return data


@pytest.fixture
def manager_client(client, personas):
    client.force_login(personas.manager)
    return client


def test_admin_enrolment_add_makes_the_sessions(manager_client, personas):
    team = factories.TeamFactory(name="Theatres")
    data = {
        "team": team.pk,
        "cohort": personas.enrolment.cohort_id,
        "coach": personas.coach.pk,
        "session1_date": "2025-10-06",
        "status": EnrolmentStatus.PLANNED,
        **sessions_inline(),
    }
    assertRedirects(manager_client.post(ADD, data), CHANGELIST, fetch_redirect_response=False)
    enrolment = Enrolment.objects.get(team=team)
    assert list(enrolment.sessions.values_list("number", "due_date")[:3]) == [
        (1, dt.date(2025, 10, 6)),
        (2, dt.date(2025, 10, 13)),
        (3, dt.date(2025, 10, 27)),
    ]
    assert enrolment.sessions.count() == 10


def test_admin_enrolment_add_with_a_status_keeps_it(manager_client, personas):
    team = factories.TeamFactory(name="Theatres")
    data = {
        "team": team.pk,
        "cohort": personas.enrolment.cohort_id,
        "coach": "",
        "session1_date": "2025-10-06",
        "status": EnrolmentStatus.ACTIVE,
        **sessions_inline(),
    }
    manager_client.post(ADD, data)
    assert Enrolment.objects.get(team=team).status == EnrolmentStatus.ACTIVE


def test_admin_enrolment_change_moves_the_due_dates(manager_client, personas):
    enrolment = personas.enrolment
    data = {
        "coach": personas.other_coach.pk,
        "session1_date": "2025-09-29",
        "status": EnrolmentStatus.WITHDRAWN,
        **sessions_inline(enrolment),
    }
    assertRedirects(manager_client.post(change_url(enrolment), data), CHANGELIST, fetch_redirect_response=False)
    enrolment.refresh_from_db()
    assert (enrolment.coach, enrolment.status) == (personas.other_coach, EnrolmentStatus.WITHDRAWN)
    assert enrolment.sessions.get(number=2).due_date == dt.date(2025, 10, 6)
    # Bumped by the edit and by the status change: an app form opened before either is refused.
    assert (enrolment.version, enrolment.sessions.get(number=2).version) == (3, 2)


def test_admin_enrolment_change_of_session_1_after_a_held_session_is_a_form_error(manager_client, personas):
    enrolment = personas.enrolment
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    data = {
        "coach": personas.coach.pk,
        "session1_date": "2025-09-29",
        "status": EnrolmentStatus.ACTIVE,
        **sessions_inline(enrolment),
    }
    response = manager_client.post(change_url(enrolment), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "session1_date": ["Session 1's date cannot change once a session has been held."]
    }
    enrolment.refresh_from_db()
    assert enrolment.session1_date == dt.date(2025, 9, 22)


def test_admin_enrolment_change_page_keeps_team_and_cohort_fixed(manager_client, personas):
    form = manager_client.get(change_url(personas.enrolment)).context["adminform"].form
    assert set(form.fields) == {"coach", "session1_date", "status"}
