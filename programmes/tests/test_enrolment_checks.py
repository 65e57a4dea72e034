"""Enrolling a team: session 1's date checked against the calendar and the cohort (warned, then
confirmed), a team in one cohort at a time (refused), session 1's time and place, and the cohort
form's programme version and end date."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from coaching.ical import build_calendar
from programmes.models import Cohort, Enrolment, EnrolmentStatus, Session
from programmes.services.scheduling import (
    cohort_default_end_date,
    enrolment_create,
    enrolment_update,
    session1_date_warnings,
)
from tests import factories

LONDON = ZoneInfo("Europe/London")
TODAY = dt.date(2026, 12, 1)  # a Tuesday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON), tick=False)


@pytest.fixture
def winter(personas) -> Cohort:
    return factories.CohortFactory(
        name="Winter cohort",
        owner=personas.manager,
        start_date=dt.date(2026, 12, 7),
        target_end_date=dt.date(2027, 3, 31),
    )


@pytest.fixture
def theatres():
    return factories.TeamFactory(name="Theatres")


def enrol_url(cohort) -> str:
    return reverse("programmes:enrolment_create", args=[cohort.pk])


def enrol_data(team, day: str, **overrides) -> dict:
    return {
        "team": team.pk,
        "coach": "",
        "session1_date": day,
        "session1_start": "",
        "session1_location": "",
        **overrides,
    }


# --- Session 1's date: warned, then confirmed ----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "warnings"),
    [
        (
            "2026-11-30",
            ["It is in the past: today is Tue 1 Dec 2026.", "It is before the cohort starts (Mon 7 Dec 2026)."],
        ),
        ("2026-12-04", ["It is before the cohort starts (Mon 7 Dec 2026)."]),
        ("2026-12-12", ["It is a Saturday."]),
        ("2026-12-25", ["It is a bank holiday (Christmas Day)."]),
        ("2026-12-28", ["It is a bank holiday (Boxing Day (observed))."]),
        ("2027-04-06", ["It is after the cohort's target end date (Wed 31 Mar 2027)."]),
        ("2026-12-08", []),
    ],
)
def test_session1_date_warnings_say_each_reason(winter, day, warnings):
    assert session1_date_warnings(cohort=winter, session1_date=dt.date.fromisoformat(day), today=TODAY) == warnings


def test_enrolling_on_christmas_day_warns_keeps_the_input_and_saves_nothing(login, personas, winter, theatres):
    data = enrol_data(
        theatres, "2026-12-25", coach=personas.coach.pk, session1_start="10:30", session1_location="Seminar room 2"
    )
    response = login("manager", personas).post(enrol_url(winter), data)
    assert response.status_code == 200
    assert response.context["form"].date_warnings == ["It is a bank holiday (Christmas Day)."]
    assertContains(response, "<title>Error: Enrol a team in Winter cohort")
    assertInHTML('<ul class="mb-0"><li>It is a bank holiday (Christmas Day).</li></ul>', response.content.decode())
    assertContains(response, "Yes, enrol with this date")
    assert response.context["form"].errors == {
        "confirm": [
            "Check session 1's date. If it is right, tick “Yes, enrol with this date” and save again; "
            "if not, change it."
        ]
    }
    # What was typed is all still there.
    assertContains(response, f'<option value="{theatres.pk}" selected>')
    assertContains(response, f'<option value="{personas.coach.pk}" selected>')
    assertContains(response, 'value="2026-12-25"')
    assertContains(response, 'value="10:30"')
    assertContains(response, 'value="Seminar room 2"')
    assert not Enrolment.objects.filter(team=theatres).exists()


def test_enrolling_on_a_warned_date_saves_once_confirmed(login, personas, winter, theatres):
    response = login("manager", personas).post(enrol_url(winter), enrol_data(theatres, "2026-12-12", confirm="on"))
    enrolment = Enrolment.objects.get(team=theatres)
    assert response["Location"] == reverse("programmes:enrolment", args=[enrolment.pk])
    assert enrolment.session1_date == dt.date(2026, 12, 12)


def test_enrolling_on_an_ordinary_working_day_asks_nothing(login, personas, winter, theatres):
    client = login("manager", personas)
    form_page = client.get(enrol_url(winter))
    assertNotContains(form_page, "Yes, enrol with this date")  # the box appears only with a warning
    response = client.post(enrol_url(winter), enrol_data(theatres, "2026-12-08"))
    assert response.status_code == 302
    assert Enrolment.objects.get(team=theatres).session1_date == dt.date(2026, 12, 8)


def test_editing_session_1_onto_a_bank_holiday_warns_and_moves_nothing(login, personas):
    enrolment = personas.enrolment
    url = reverse("programmes:enrolment_edit", args=[enrolment.pk])
    client = login("manager", personas)
    data = {"coach": personas.coach.pk, "session1_date": "2026-12-25", "version": enrolment.version}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].date_warnings == [
        "It is a bank holiday (Christmas Day).",
        "It is after the cohort's target end date (Tue 31 Mar 2026).",
    ]
    assertContains(response, "Yes, use this date")
    enrolment.refresh_from_db()
    assert (enrolment.session1_date, enrolment.version) == (dt.date(2025, 9, 22), 1)
    confirmed = client.post(url, {**data, "confirm": "on"})
    assert confirmed.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.session1_date == dt.date(2026, 12, 25)


def test_editing_only_the_coach_of_an_enrolment_with_a_past_session_1_asks_nothing(login, personas):
    enrolment = personas.enrolment  # session 1 on 22 Sep 2025: in the past, and it stays there
    response = login("manager", personas).post(
        reverse("programmes:enrolment_edit", args=[enrolment.pk]),
        {"coach": personas.other_coach.pk, "session1_date": "2025-09-22", "version": enrolment.version},
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.coach == personas.other_coach


# --- A team in one cohort at a time ----------------------------------------------------------------


def test_enrolling_a_team_active_in_another_cohort_is_refused_naming_it_and_its_coach(login, personas, winter):
    team = personas.enrolment.team  # active in Autumn cohort, coached by Cara Coach
    response = login("manager", personas).post(enrol_url(winter), enrol_data(team, "2026-12-08"))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "team": [
            "Education support team is already active in Autumn cohort, coached by Cara Coach. A team is in one "
            "cohort at a time: the manager must withdraw it from Autumn cohort first (or mark it completed there)."
        ]
    }
    link = reverse("programmes:enrolment", args=[personas.enrolment.pk])
    assertContains(
        response, f'<a href="{link}">Open Education support team\'s enrolment in Autumn cohort</a>', html=True
    )
    assert list(Enrolment.objects.filter(team=team).values_list("cohort__name", flat=True)) == ["Autumn cohort"]


@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.COMPLETED])
def test_enrolling_a_team_withdrawn_or_completed_elsewhere_is_fine(login, personas, winter, status):
    Enrolment.objects.filter(pk=personas.enrolment.pk).update(status=status)
    team = personas.enrolment.team
    response = login("manager", personas).post(enrol_url(winter), enrol_data(team, "2026-12-08"))
    assert response.status_code == 302
    assert Enrolment.objects.get(team=team, cohort=winter).status == EnrolmentStatus.PLANNED


def test_reopening_an_enrolment_while_the_team_is_active_elsewhere_is_refused(login, personas, winter):
    old = personas.enrolment
    Enrolment.objects.filter(pk=old.pk).update(status=EnrolmentStatus.WITHDRAWN)
    factories.EnrolmentFactory(team=old.team, cohort=winter, coach=personas.other_coach)
    response = login("manager", personas).post(
        reverse("programmes:enrolment_status", args=[old.pk]), {"status": "active", "version": 1}, follow=True
    )
    assertContains(
        response,
        "Education support team is already active in Winter cohort, coached by Omar Other. A team is in one cohort "
        "at a time: the manager must withdraw it from Winter cohort first (or mark it completed there).",
    )
    old.refresh_from_db()
    assert (old.status, old.version) == (EnrolmentStatus.WITHDRAWN, 1)


def test_the_database_refuses_a_team_current_in_two_cohorts(personas, winter):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(team=personas.enrolment.team, cohort=winter, session1_date=dt.date(2026, 12, 8))
    # A finished enrolment beside a current one is fine.
    Enrolment.objects.create(
        team=personas.enrolment.team, cohort=winter, session1_date=dt.date(2026, 12, 8), status="completed"
    )


def test_the_service_says_the_same_when_the_check_passed_but_the_database_refused(personas, winter, monkeypatch):
    """Two managers at once: the check passed for both, the database refuses the second; the check,
    run again, gives the form error (the PostgreSQL race is in test_unique_races.py)."""
    from programmes.services import scheduling

    calls = []
    real = scheduling._check_not_current_elsewhere

    def first_blind(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            real(*args, **kwargs)

    monkeypatch.setattr(scheduling, "_check_not_current_elsewhere", first_blind)
    with pytest.raises(scheduling.ValidationError) as error:
        enrolment_create(cohort=winter, team=personas.enrolment.team, coach=None, session1_date=dt.date(2026, 12, 8))
    assert error.value.error_dict["team"][0].code == "in_another_cohort"
    assert Enrolment.objects.filter(cohort=winter).count() == 0


# --- Session 1's time and place ---------------------------------------------------------------------


def test_enrolling_with_session_1_time_and_place_agrees_session_1(login, personas, winter, theatres):
    response = login("manager", personas).post(
        enrol_url(winter),
        enrol_data(theatres, "2027-03-30", coach=personas.coach.pk, session1_start="09:30", session1_location="Room 4"),
    )
    assert response.status_code == 302
    session_1 = Session.objects.get(enrolment__team=theatres, number=1)
    # 30 March 2027 is after the clocks go forward: 09:30 in London is 08:30 UTC.
    assert session_1.agreed_start == dt.datetime(2027, 3, 30, 8, 30, tzinfo=dt.UTC)
    assert session_1.location == "Room 4"
    assert Session.objects.filter(enrolment__team=theatres, agreed_start__isnull=False).count() == 1
    page = login("coach", personas).get(reverse("programmes:session", args=[session_1.pk]))
    assertContains(page, "Tue 30 Mar 2027, 09:30")
    assertInHTML(
        '<dt class="col-sm-4 col-lg-3">Location</dt><dd class="col-sm-8 col-lg-9">Room 4</dd>', page.content.decode()
    )
    feed = build_calendar(name="Test", sessions=[session_1], now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)).decode()
    assert "LOCATION:Room 4" in feed


def test_enrolling_without_a_time_leaves_session_1_not_yet_agreed(login, personas, winter, theatres):
    login("manager", personas).post(enrol_url(winter), enrol_data(theatres, "2026-12-08"))
    session_1 = Session.objects.get(enrolment__team=theatres, number=1)
    assert (session_1.agreed_start, session_1.location) == (None, "")


def test_a_time_the_clocks_skip_is_a_form_error(login, personas, winter, theatres):
    data = enrol_data(theatres, "2027-03-28", session1_start="01:30", confirm="on")  # a Sunday, clocks go forward
    response = login("manager", personas).post(enrol_url(winter), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "session1_start": [
            "The clocks change at 01:30 on Sun 28 Mar 2027, so that time happens not at all that day. "
            "Choose another time."
        ]
    }
    assert not Enrolment.objects.filter(team=theatres).exists()


def test_moving_session_1_keeps_its_agreed_london_time(personas, winter, theatres):
    enrolment = enrolment_create(
        cohort=winter, team=theatres, coach=None, session1_date=dt.date(2027, 3, 26), session1_start=dt.time(9, 30)
    )
    enrolment_update(enrolment=enrolment, version=1, coach=None, session1_date=dt.date(2027, 3, 30))
    session_1 = enrolment.sessions.get(number=1)
    assert (session_1.due_date, session_1.agreed_start) == (
        dt.date(2027, 3, 30),
        dt.datetime(2027, 3, 30, 9, 30, tzinfo=LONDON),  # BST now, still 09:30 in London
    )


# --- The cohort form ----------------------------------------------------------------------------------


def test_cohort_form_preselects_the_latest_published_version(login, personas):
    factories.ProgrammeTemplateFactory(name="QMS programme", version="1.0", published_on=dt.date(2026, 4, 1))
    latest = factories.ProgrammeTemplateFactory(name="QMS programme", version="1.1", published_on=dt.date(2026, 9, 1))
    factories.ProgrammeTemplateFactory(name="QMS programme", version="2.0", status="draft", published_on=None)
    response = login("manager", personas).get(reverse("programmes:cohort_create"))
    assert response.context["form"].initial["template"] == latest.pk
    assertContains(response, f'<option value="{latest.pk}" selected>')


def test_cohort_end_date_left_blank_is_the_last_sessions_due_date(login, personas):
    template = factories.default_template()  # its last session, the 90-day sustain check, is week 25
    data = {"name": "Spring 2027", "template": template.pk, "owner": personas.manager.pk, "start_date": "2027-01-04"}
    response = login("manager", personas).post(reverse("programmes:cohort_create"), {**data, "target_end_date": ""})
    assert response.status_code == 302
    cohort = Cohort.objects.get(name="Spring 2027")
    assert cohort.target_end_date == dt.date(2027, 6, 21) == dt.date(2027, 1, 4) + dt.timedelta(weeks=24)
    assert cohort_default_end_date(template=template, start_date=dt.date(2027, 1, 4)) == dt.date(2027, 6, 21)


def test_cohort_form_gives_its_script_each_versions_last_week(login, personas):
    template = factories.default_template()
    response = login("manager", personas).get(reverse("programmes:cohort_create"))
    assertContains(response, f'<script id="cohort-last-weeks" type="application/json">{{"{template.pk}": 24}}</script>')
    assertContains(response, '<script src="/static/programmes/cohort_form.js" defer></script>')
    assertContains(response, "data-cohort-start")
    edit = login("manager", personas).get(reverse("programmes:cohort_edit", args=[personas.enrolment.cohort_id]))
    assertContains(edit, f'{{"{template.pk}": 24}}</script>')
