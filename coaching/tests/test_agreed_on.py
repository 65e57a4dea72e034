"""The day the coaching slots were agreed: today by default; a coach who agreed them in the room at
session 1 and types them in a week later gives that day, and it counts as agreed at session 1.
Never in the future, never before session 1 was held.

Session 1 was held on Monday 22 September 2025; the coach types the slots in on Monday 29 September.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertRedirects

from coaching.models import CoachingAgreement, SlotsState, agreed_on_error
from coaching.selectors import enrolment_slots
from coaching.services import agreement_confirm, agreement_propose
from programmes.models import Session

LONDON = ZoneInfo("Europe/London")
SESSION_1 = dt.date(2025, 9, 22)
A_WEEK_LATER = dt.datetime(2025, 9, 29, 10, 0, tzinfo=LONDON)
TODAY = A_WEEK_LATER.date()

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolment(personas):
    Session.objects.filter(enrolment=personas.enrolment, number=1).update(held_on=SESSION_1, attendees=8)
    return personas.enrolment


def confirm(enrolment, meeting, **kwargs) -> CoachingAgreement:
    return agreement_confirm(
        enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=A_WEEK_LATER, **kwargs
    )


# --- The rule ---------------------------------------------------------------------------------------


def test_agreed_on_rule():
    def rule(day, held=SESSION_1):
        return agreed_on_error(day, today=TODAY, session_1_held_on=held)

    assert rule(TODAY) is None
    assert rule(SESSION_1) is None
    assert rule(dt.date(2025, 9, 25)) is None
    assert rule(dt.date(2025, 9, 21)) == (
        "The slots cannot have been agreed before session 1, which was held on Mon 22 Sep 2025."
    )
    assert rule(dt.date(2025, 9, 30)) == (
        "The day the slots were agreed cannot be in the future (today is Mon 29 Sep 2025)."
    )
    # Session 1 not held yet: only today (it counts once session 1 is held that day or later).
    assert rule(TODAY, held=None) is None
    assert rule(dt.date(2025, 9, 25), held=None).startswith("Session 1 is not recorded as held yet")


# --- The service ------------------------------------------------------------------------------------


def test_agreed_on_defaults_to_today_in_london(enrolment, fortnightly):
    agreement = confirm(enrolment, fortnightly)
    assert CoachingAgreement.objects.values_list("agreed_on", flat=True).get() == TODAY
    assert agreement.agreed_on == TODAY
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_LATER


def test_agreed_on_just_after_midnight_defaults_to_the_london_day(enrolment, fortnightly):
    after_midnight = dt.datetime(2025, 9, 23, 0, 30, tzinfo=LONDON)  # 23:30 UTC on the 22nd
    agreement_confirm(
        enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=after_midnight
    )
    assert CoachingAgreement.objects.values_list("agreed_on", flat=True).get() == dt.date(2025, 9, 23)


def test_agreed_on_session_1_day_typed_a_week_later_counts_as_agreed_at_session_1(enrolment, fortnightly):
    agreement = confirm(enrolment, fortnightly, agreed_on=SESSION_1)
    saved = CoachingAgreement.objects.get()
    assert (saved.agreed_on, saved.agreed_at) == (SESSION_1, A_WEEK_LATER)
    assert saved.recorded_on == TODAY
    assert agreement.agreed_on == SESSION_1
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_AT_SESSION_1


def test_agreed_on_before_session_1_is_refused_and_saves_nothing(enrolment, fortnightly):
    with pytest.raises(ValidationError) as error:
        confirm(enrolment, fortnightly, agreed_on=dt.date(2025, 9, 19))
    assert error.value.message_dict == {
        "agreed_on": ["The slots cannot have been agreed before session 1, which was held on Mon 22 Sep 2025."]
    }
    assert not CoachingAgreement.objects.exists()
    assert not enrolment.sessions.filter(agreed_start__isnull=False).exists()


def test_agreed_on_in_the_future_is_refused(enrolment, fortnightly):
    with pytest.raises(ValidationError) as error:
        confirm(enrolment, fortnightly, agreed_on=dt.date(2025, 9, 30))
    assert list(error.value.message_dict) == ["agreed_on"]
    assert not CoachingAgreement.objects.exists()


def test_agreement_made_without_a_day_takes_the_london_day_it_was_recorded(enrolment, fortnightly):
    agreement = CoachingAgreement.objects.create(
        enrolment=enrolment,
        meeting=fortnightly,
        agreed_at=dt.datetime(2025, 9, 22, 23, 30, tzinfo=dt.UTC),  # 00:30 on the 23rd in London
        agreed_by=enrolment.coach,
    )
    agreement.refresh_from_db()
    assert agreement.agreed_on == dt.date(2025, 9, 23)


# --- The agreement page -------------------------------------------------------------------------------


@pytest.fixture
def page(client, enrolment, fortnightly, time_machine):
    time_machine.move_to(A_WEEK_LATER, tick=False)
    client.force_login(enrolment.coach)
    return client


def posted(enrolment, meeting, **extra) -> dict:
    proposals = agreement_propose(enrolment=enrolment, meeting=meeting, not_before=TODAY)
    starts = [p.start.date().isoformat() for p in proposals]
    return {
        "meeting": meeting.pk,
        "meeting_shown": meeting.pk,
        "shown": starts,
        "available": starts,
        "action": "confirm",
        "version": 0,
        **extra,
    }


def url(enrolment) -> str:
    return reverse("coaching:agreement", args=[enrolment.pk])


def test_agreement_page_offers_today_bounded_by_session_1_and_today(page, enrolment):
    response = page.get(url(enrolment))
    assertInHTML(
        """<input type="date" name="agreed_on" id="id_agreed_on" value="2025-09-29" min="2025-09-22"
        max="2025-09-29" class="form-control qms-narrow-input" aria-describedby="agreed-on-help">""",
        response.content.decode(),
    )
    assertContains(response, "for example in the room at session 1 on Mon 22 Sep 2025")


def test_agreement_page_earlier_day_is_saved_and_counted_at_session_1(page, enrolment, fortnightly):
    response = page.post(url(enrolment), posted(enrolment, fortnightly, agreed_on="2025-09-22"), follow=True)
    assertRedirects(response, reverse("programmes:enrolment", args=[enrolment.pk]))
    assertContains(response, "Counted as agreed at session 1.")
    assert CoachingAgreement.objects.values_list("agreed_on", flat=True).get() == SESSION_1
    # The enrolment page says both days.
    assertContains(response, '<time datetime="2025-09-22">Mon 22 Sep 2025</time>, recorded')


def test_agreement_page_left_empty_is_today(page, enrolment, fortnightly):
    response = page.post(url(enrolment), posted(enrolment, fortnightly, agreed_on=""), follow=True)
    assertContains(response, "Agreed after the day of session 1, so not counted as agreed at session 1.")
    assert CoachingAgreement.objects.values_list("agreed_on", flat=True).get() == TODAY


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2025-09-19", "The slots cannot have been agreed before session 1, which was held on Mon 22 Sep 2025."),
        ("2025-09-30", "The day the slots were agreed cannot be in the future (today is Mon 29 Sep 2025)."),
        ("29 Septembre", "Enter the day the slots were agreed as a date."),
        ("1900-01-01", "The day the slots were agreed must be within two years of today"),
    ],
)
def test_agreement_page_bad_day_is_a_clear_error_keeping_every_choice(page, enrolment, fortnightly, typed, message):
    data = posted(enrolment, fortnightly, agreed_on=typed)
    data["unavailable"] = ["2025-12-30"]  # a date unticked before is still carried
    response = page.post(url(enrolment), data)
    assert response.status_code == 200
    assertContains(response, "<title>Error: Agree the coaching slots")
    assertContains(response, message, count=2)  # at the top and beside the field
    assertContains(response, 'class="form-control qms-narrow-input is-invalid"')
    assertContains(response, '<input type="hidden" name="unavailable" value="2025-12-30">', html=True)
    assert not CoachingAgreement.objects.exists()
