"""A session's page, and recording it as held, cancelling it and moving it: clear errors, stale
forms refused with what was typed kept, session 1 leading straight to the coaching agreement.

"Today" is Monday 10 November 2025; session 1 was due on Monday 22 September 2025.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from coaching.models import CoachingAgreement
from programmes.models import EnrolmentStatus, Session, SessionChange
from programmes.services.scheduling import session_record_held
from tests import factories

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2025, 11, 10, 9, 0, tzinfo=LONDON)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)


def session(personas, number: int) -> Session:
    return personas.enrolment.sessions.get(number=number)


def url(name: str, session: Session) -> str:
    return reverse(f"programmes:{name}", args=[session.pk])


# --- Recording as held ------------------------------------------------------------------------


def test_session_held_form_offers_today_at_the_latest(login, personas):
    form = login("coach", personas).get(url("session_held", session(personas, 5))).context["form"]
    # Session 5 is due today.
    assert (form.initial["held_on"], form.initial["version"]) == (dt.date(2025, 11, 10), 1)
    later = login("coach", personas).get(url("session_held", session(personas, 7))).context["form"]
    assert later.initial["held_on"] == dt.date(2025, 11, 10)


def test_session_held_form_offers_the_agreed_day_once_it_has_come(login, personas):
    third = session(personas, 3)  # due 13 October; today is 10 November
    Session.objects.filter(pk=third.pk).update(agreed_start=dt.datetime(2025, 10, 21, 23, 30, tzinfo=dt.UTC))
    form = login("coach", personas).get(url("session_held", third)).context["form"]
    assert form.initial["held_on"] == dt.date(2025, 10, 22)  # 00:30 on 22 October in London


def test_session_held_saves_and_goes_to_the_session_page(login, personas):
    third = session(personas, 3)
    response = login("coach", personas).post(
        url("session_held", third), {"version": 1, "held_on": "2025-10-14", "attendees": "6", "notes": "Huddle"}
    )
    assertRedirects(response, reverse("programmes:session", args=[third.pk]), fetch_redirect_response=False)
    third.refresh_from_db()
    assert (third.held_on, third.attendees, third.notes, third.version) == (dt.date(2025, 10, 14), 6, "Huddle", 2)


def test_session_1_held_goes_straight_to_the_agreement(login, personas):
    client = login("coach", personas)
    response = client.post(
        url("session_held", session(personas, 1)), {"version": 1, "held_on": "2025-09-22", "attendees": "9"}
    )
    assertRedirects(
        response, reverse("coaching:agreement", args=[personas.enrolment.pk]), fetch_redirect_response=False
    )
    page = client.get(response.url)
    assertContains(page, "Session 1 is recorded as held. Now agree the coaching slots with the team")


def test_session_1_held_with_an_agreement_goes_to_the_session_page(login, personas):
    factories.CoachingAgreementFactory(enrolment=personas.enrolment)
    first = session(personas, 1)
    response = login("coach", personas).post(
        url("session_held", first), {"version": 1, "held_on": "2025-09-22", "attendees": "9"}
    )
    assertRedirects(response, reverse("programmes:session", args=[first.pk]), fetch_redirect_response=False)


def test_session_1_held_of_a_planned_enrolment_makes_it_active(login, personas):
    personas.enrolment.status = EnrolmentStatus.PLANNED
    personas.enrolment.save()
    login("manager", personas).post(
        url("session_held", session(personas, 1)), {"version": 1, "held_on": "2025-09-22", "attendees": "9"}
    )
    personas.enrolment.refresh_from_db()
    assert personas.enrolment.status == EnrolmentStatus.ACTIVE


def test_session_held_before_the_programme_started_is_an_error_on_the_date(login, personas):
    response = login("coach", personas).post(
        url("session_held", session(personas, 1)),
        {"version": 1, "held_on": "2025-09-15", "attendees": "9", "notes": "Long notes I typed"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["held_on"] == [
        "That is before this team's programme started (22 September 2025). If session 1 really happened "
        "earlier, change the enrolment's session 1 date first."
    ]
    assertContains(response, "Long notes I typed</textarea>")
    assertContains(response, "<title>Error: Record session 1")
    assert session(personas, 1).held_on is None


def test_session_held_in_the_future_is_an_error(login, personas):
    response = login("coach", personas).post(
        url("session_held", session(personas, 6)), {"version": 1, "held_on": "2025-11-11", "attendees": "9"}
    )
    assert response.context["form"].errors["held_on"] == ["A session cannot be recorded as held on a future date."]


def test_session_held_negative_attendees_is_an_error(login, personas):
    response = login("coach", personas).post(
        url("session_held", session(personas, 3)), {"version": 1, "held_on": "2025-10-14", "attendees": "-1"}
    )
    assert response.context["form"].errors["attendees"] == ["Ensure this value is greater than or equal to 0."]


def test_session_held_stale_form_keeps_input_shows_latest_and_saves_on_second_try(login, personas):
    third = session(personas, 3)
    client = login("coach", personas)
    # The manager records it first, from a form opened on the same version.
    session_record_held(
        session=third, version=1, held_on=dt.date(2025, 10, 13), attendees=4, notes="", today=NOW.date()
    )
    response = client.post(
        url("session_held", third), {"version": 1, "held_on": "2025-10-14", "attendees": "7", "notes": "My notes"}
    )
    assert response.status_code == 200
    assertContains(response, "Someone else saved this session while you were editing it")
    assertContains(response, "My notes</textarea>")
    assertContains(response, 'value="2025-10-14"')
    assertContains(response, '<input type="hidden" name="version" value="2" id="id_version">', html=True)
    assertContains(response, "Saved by someone else meanwhile")
    third.refresh_from_db()
    assert (third.held_on, third.attendees) == (dt.date(2025, 10, 13), 4)
    again = client.post(url("session_held", third), response.context["form"].data)
    assert again.status_code == 302
    third.refresh_from_db()
    assert (third.held_on, third.attendees, third.notes) == (dt.date(2025, 10, 14), 7, "My notes")


def test_session_held_damaged_version_is_a_form_error(login, personas):
    response = login("coach", personas).post(
        url("session_held", session(personas, 3)), {"version": "x", "held_on": "2025-10-14", "attendees": "7"}
    )
    assert response.status_code == 200
    assert "version" in response.context["form"].errors


# --- Cancelling -------------------------------------------------------------------------------


def test_session_cancel_keeps_the_reason(login, personas):
    fourth = session(personas, 4)
    response = login("coach", personas).post(url("session_cancel", fourth), {"version": 1, "reason": "Ward closed"})
    assertRedirects(
        response, reverse("programmes:enrolment", args=[personas.enrolment.pk]), fetch_redirect_response=False
    )
    fourth.refresh_from_db()
    assert (fourth.cancelled, fourth.cancelled_reason) == (True, "Ward closed")


def test_session_cancel_of_a_held_session_is_an_error(login, personas):
    Session.objects.filter(pk=session(personas, 2).pk).update(held_on=dt.date(2025, 9, 29))
    response = login("coach", personas).post(url("session_cancel", session(personas, 2)), {"version": 1, "reason": "x"})
    assert response.context["form"].non_field_errors() == ["A session that has been held cannot be cancelled."]


def test_session_cancel_stale_form_is_refused(login, personas):
    fourth = session(personas, 4)
    Session.objects.filter(pk=fourth.pk).update(version=5)
    response = login("coach", personas).post(url("session_cancel", fourth), {"version": 1, "reason": "Ward closed"})
    assertContains(response, "Someone else saved this session")
    assertContains(response, "Ward closed</textarea>")
    fourth.refresh_from_db()
    assert fourth.cancelled is False


# --- Moving -----------------------------------------------------------------------------------


def test_session_move_reads_london_wall_clock_time_and_keeps_the_change(login, personas):
    sixth = session(personas, 6)
    Session.objects.filter(pk=sixth.pk).update(agreed_start=dt.datetime(2025, 11, 25, 9, 0, tzinfo=LONDON))
    client = login("coach", personas)
    form = client.get(url("session_move", sixth)).context["form"]
    assertContains(client.get(url("session_move", sixth)), 'value="2025-11-25T09:00"')
    response = client.post(
        url("session_move", sixth),
        {"version": form.initial["version"], "to_start": "2025-11-26T14:30", "reason": "Clinic overran"},
        follow=True,
    )
    assertContains(response, "Session 6 is now on Wed 26 Nov 2025, 14:30.")
    change = SessionChange.objects.get(session=sixth)
    assert (change.from_start, change.to_start, change.reason, change.changed_by) == (
        dt.datetime(2025, 11, 25, 9, 0, tzinfo=LONDON),
        dt.datetime(2025, 11, 26, 14, 30, tzinfo=LONDON),
        "Clinic overran",
        personas.coach,
    )


def test_session_move_summer_time_is_stored_as_the_right_instant(login, personas):
    eighth = session(personas, 8)
    login("coach", personas).post(
        url("session_move", eighth), {"version": 1, "to_start": "2026-04-07T09:00", "reason": "After Easter"}
    )
    eighth.refresh_from_db()
    assert eighth.agreed_start == dt.datetime(2026, 4, 7, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("when", ["2026-03-29T01:30", "2025-10-26T01:30"])
def test_session_move_to_a_time_the_clocks_skip_or_repeat_is_an_error(login, personas, when):
    response = login("coach", personas).post(
        url("session_move", session(personas, 8)), {"version": 1, "to_start": when, "reason": "Night shift"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["to_start"] == [
        f"{when.replace('T', ' ')}:00 couldn’t be interpreted in time zone Europe/London; it may be ambiguous or it "
        "may not exist."
    ]
    assert not SessionChange.objects.exists()


def test_session_move_without_a_reason_is_an_error(login, personas):
    response = login("coach", personas).post(
        url("session_move", session(personas, 8)), {"version": 1, "to_start": "2026-01-06T09:00", "reason": ""}
    )
    assert response.context["form"].errors == {"reason": ["This field is required."]}


def test_session_move_stale_form_is_refused_and_keeps_input(login, personas):
    eighth = session(personas, 8)
    Session.objects.filter(pk=eighth.pk).update(version=3)
    response = login("coach", personas).post(
        url("session_move", eighth), {"version": 1, "to_start": "2026-01-06T09:00", "reason": "Leave"}
    )
    assertContains(response, "Someone else saved this session")
    assertContains(response, 'value="2026-01-06T09:00"')
    assert not SessionChange.objects.exists()


# --- The session page -------------------------------------------------------------------------


def test_session_page_shows_details_moves_actions_and_feedback(login, personas):
    third = session(personas, 3)
    Session.objects.filter(pk=third.pk).update(agreed_start=dt.datetime(2025, 10, 21, 9, 0, tzinfo=LONDON))
    SessionChange.objects.create(
        session=third,
        from_start=None,
        to_start=dt.datetime(2025, 10, 21, 9, 0, tzinfo=LONDON),
        reason="Agreed at session 1",
        changed_by=personas.coach,
    )
    response = login("coach", personas).get(url("session", third))
    assertContains(response, '<span class="badge text-bg-danger">Overdue</span>')
    assertContains(response, '<time datetime="2025-10-21T09:00:00+01:00">Tue 21 Oct 2025, 09:00</time>')
    assertContains(response, "Set to Tue 21 Oct 2025, 09:00: Agreed at session 1 (Cara Coach,")
    assertContains(response, f'<a class="btn btn-primary" href="{url("session_held", third)}">Record as held</a>')
    assertContains(response, "Move to another time")
    assertContains(response, 'id="feedback-panel-title"')


def test_session_page_for_a_lead_has_no_actions(login, personas):
    response = login("lead", personas).get(url("session", session(personas, 3)))
    assert "Record as held" not in response.content.decode()


def test_session_page_after_session_1_without_agreement_offers_it(login, personas):
    Session.objects.filter(pk=session(personas, 1).pk).update(held_on=dt.date(2025, 9, 22))
    assert not CoachingAgreement.objects.exists()
    response = login("coach", personas).get(url("session", session(personas, 1)))
    assertContains(response, "Agree the coaching slots</a>")


def test_session_page_of_a_held_coaching_session_links_its_checklist(login, personas):
    third = session(personas, 3)
    Session.objects.filter(pk=third.pk).update(held_on=dt.date(2025, 10, 14))
    response = login("coach", personas).get(url("session", third))
    # The coach's next step, first and the only primary button: back here once saved.
    next_step = f"/checklists/session/{third.pk}/?next=%2Fprogrammes%2Fsessions%2F{third.pk}%2F"
    assertContains(response, f'<a class="btn btn-primary" href="{next_step}">Fill in the tool checklist</a>', html=True)
    assert response.content.decode().count("btn-primary") == 1
    assertContains(response, '<dt class="col-sm-4 col-lg-3">Session</dt>')
    assertContains(response, "Coaching: improvement board and huddle</dd>")
