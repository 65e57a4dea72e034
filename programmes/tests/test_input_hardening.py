"""Dates a person types are kept within two years of today on every programmes form that takes
one, so that working out the sessions' due dates never overflows: a form error, never a 500, and
nothing saved. The services say the same (a ValidationError) to a caller that skips the forms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from programmes.models import Cohort, Enrolment, PdsaCycle, Session, SessionChange, TeamMeeting
from programmes.services.scheduling import OFF_THE_CALENDAR, enrolment_create, enrolment_update
from tests import factories

LONDON = ZoneInfo("Europe/London")
BETWEEN = "within two years of today (between 1 Dec 2024 and 1 Dec 2028)."
OUT_OF_RANGE = f"The date must be {BETWEEN}"
SESSION_1 = f"Session 1 must be {BETWEEN}"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 12, 0, tzinfo=LONDON), tick=False)


def due_dates(enrolment: Enrolment) -> list[dt.date]:
    return list(enrolment.sessions.order_by("number").values_list("due_date", flat=True))


# --- Enrolling a team, and moving its session 1 -----------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "2028-12-02", "2024-11-30", "0001-01-01"])
def test_enrolling_with_session_1_too_far_from_today_is_a_form_error(login, personas, day):
    team = factories.TeamFactory(name="Theatres")
    response = login("manager", personas).post(
        reverse("programmes:enrolment_create", args=[personas.enrolment.cohort_id]),
        {"team": team.pk, "coach": "", "session1_date": day},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"session1_date": [SESSION_1]}
    assert not Enrolment.objects.filter(team=team).exists()


@pytest.mark.parametrize("day", ["2024-12-01", "2028-12-01"])
def test_enrolling_with_session_1_two_years_back_or_ahead_is_fine(login, personas, day):
    team = factories.TeamFactory(name="Theatres")
    response = login("manager", personas).post(
        reverse("programmes:enrolment_create", args=[personas.enrolment.cohort_id]),
        {"team": team.pk, "coach": "", "session1_date": day, "confirm": "on"},  # outside the cohort's dates
    )
    enrolment = Enrolment.objects.get(team=team)
    assert response["Location"] == reverse("programmes:enrolment", args=[enrolment.pk])
    assert enrolment.session1_date == dt.date.fromisoformat(day)


def test_moving_session_1_too_far_is_a_form_error_and_keeps_every_due_date(login, personas):
    enrolment = personas.enrolment
    before = due_dates(enrolment)
    response = login("manager", personas).post(
        reverse("programmes:enrolment_edit", args=[enrolment.pk]),
        {"coach": personas.coach.pk, "session1_date": "9999-12-31", "version": enrolment.version},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"session1_date": [SESSION_1]}
    enrolment.refresh_from_db()
    assert (enrolment.session1_date, enrolment.version, due_dates(enrolment)) == (dt.date(2025, 9, 22), 1, before)


def test_an_enrolment_that_started_long_ago_can_still_change_its_coach(login, personas):
    enrolment = personas.enrolment
    Enrolment.objects.filter(pk=enrolment.pk).update(session1_date=dt.date(2021, 9, 20))
    response = login("manager", personas).post(
        reverse("programmes:enrolment_edit", args=[enrolment.pk]),
        {"coach": personas.other_coach.pk, "session1_date": "2021-09-20", "version": enrolment.version},
    )
    assert response["Location"] == reverse("programmes:enrolment", args=[enrolment.pk])
    enrolment.refresh_from_db()
    assert (enrolment.coach, enrolment.session1_date) == (personas.other_coach, dt.date(2021, 9, 20))


def test_enrolment_create_past_the_calendars_end_is_a_validation_error_and_saves_nothing(personas):
    team = factories.TeamFactory(name="Theatres")
    with pytest.raises(ValidationError) as error:
        enrolment_create(cohort=personas.enrolment.cohort, team=team, coach=None, session1_date=dt.date(9999, 12, 1))
    assert error.value.message_dict == {"session1_date": [OFF_THE_CALENDAR]}
    assert (Enrolment.objects.filter(team=team).count(), Session.objects.filter(enrolment__team=team).count()) == (0, 0)


def test_enrolment_update_past_the_calendars_end_is_a_validation_error_and_moves_nothing(personas):
    enrolment = personas.enrolment
    before = due_dates(enrolment)
    with pytest.raises(ValidationError) as error:
        enrolment_update(enrolment=enrolment, version=1, coach=enrolment.coach, session1_date=dt.date(9999, 12, 1))
    assert error.value.message_dict == {"session1_date": [OFF_THE_CALENDAR]}
    enrolment.refresh_from_db()
    assert (enrolment.session1_date, enrolment.version, due_dates(enrolment)) == (dt.date(2025, 9, 22), 1, before)


# --- Cohorts and meetings ---------------------------------------------------------------------


@pytest.mark.parametrize("field", ["start_date", "target_end_date"])
def test_a_cohort_dated_too_far_from_today_is_a_form_error(login, personas, field):
    data = {
        "name": "Spring cohort",
        "template": personas.enrolment.cohort.template_id,
        "owner": personas.manager.pk,
        "start_date": "2027-03-01",
        "target_end_date": "2027-06-30",
        field: "9999-12-31",
    }
    response = login("manager", personas).post(reverse("programmes:cohort_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [OUT_OF_RANGE]}
    assert not Cohort.objects.filter(name="Spring cohort").exists()


def test_a_cohort_of_long_ago_can_still_be_renamed(login, personas):
    cohort = factories.CohortFactory(name="Pilot", start_date=dt.date(2020, 9, 1), target_end_date=dt.date(2021, 3, 31))
    response = login("manager", personas).post(
        reverse("programmes:cohort_edit", args=[cohort.pk]),
        {
            "name": "Pilot cohort",
            "owner": cohort.owner_id,
            "start_date": "2020-09-01",
            "target_end_date": "2021-03-31",
            "version": 1,
        },
    )
    assert response["Location"] == reverse("programmes:cohort", args=[cohort.pk])
    assert Cohort.objects.get(pk=cohort.pk).name == "Pilot cohort"


def test_a_meeting_first_held_too_far_from_today_is_a_form_error(login, personas):
    team = personas.enrolment.team
    response = login("manager", personas).post(
        reverse("programmes:meeting_create", args=[team.pk]),
        {
            "name": "Huddle",
            "weekday": "4",  # 31 December 9999 is a Friday
            "start_time": "09:00",
            "duration_minutes": "30",
            "every_weeks": "1",
            "first_date": "9999-12-31",
            "location": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"first_date": [OUT_OF_RANGE]}
    assert not TeamMeeting.objects.filter(team=team).exists()


# --- Sessions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_session_held_on_a_date_too_far_from_today_is_a_form_error(login, personas, day):
    third = personas.enrolment.sessions.get(number=3)
    response = login("coach", personas).post(
        reverse("programmes:session_held", args=[third.pk]), {"version": 1, "held_on": day, "attendees": "6"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"held_on": [OUT_OF_RANGE]}
    third.refresh_from_db()
    assert (third.held_on, third.version) == (None, 1)


@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_session_moved_too_far_from_today_is_a_form_error(login, personas, moment):
    fourth = personas.enrolment.sessions.get(number=4)
    response = login("coach", personas).post(
        reverse("programmes:session_move", args=[fourth.pk]), {"version": 1, "to_start": moment, "reason": "Away"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"to_start": [f"The new date must be {BETWEEN}"]}
    fourth.refresh_from_db()
    assert (fourth.agreed_start, fourth.version, SessionChange.objects.count()) == (None, 1, 0)


# --- The PDSA log -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["started_on", "decided_on"])
def test_a_pdsa_cycle_dated_too_far_from_today_is_a_form_error(login, personas, field):
    data = {
        "title": "Agree coaching times at session 1",
        "aim": "",
        "plan": "",
        "do": "",
        "study": "",
        "act": "",
        "decision": "adopt",
        "started_on": "2026-01-12",
        "decided_on": "2026-04-20",
        "cohort": "",
        "template": "",
        field: "9999-12-31",
    }
    response = login("manager", personas).post(reverse("programmes:pdsa_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [OUT_OF_RANGE]}
    assert PdsaCycle.objects.count() == 0
