"""The coaching agreement page, without JavaScript: choose a meeting, untick dates, recalculate,
confirm; add a meeting there and then. "Today" is session 1's day, Monday 22 September 2025.

The team's fortnightly Tuesday 09:00 meeting from 23 September 2025 gives, for sessions 2-10:
7 Oct, 21 Oct, 4 Nov, 18 Nov, 2 Dec, 16 Dec 2025, 13 Jan, 10 Feb, 10 Mar 2026.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from coaching.models import CoachingAgreement, SlotsState
from coaching.selectors import enrolment_slots
from coaching.services import agreement_propose
from programmes.models import EnrolmentStatus, Session, TeamMeeting
from tests import factories

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON)
TODAY = NOW.date()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def enrolment(personas):
    Session.objects.filter(enrolment=personas.enrolment, number=1).update(held_on=TODAY, attendees=8)
    return personas.enrolment


@pytest.fixture
def weekly(enrolment):
    return factories.TeamMeetingFactory(
        team=enrolment.team,
        name="Thursday board round",
        weekday=3,
        start_time=dt.time(14, 0),
        every_weeks=1,
        first_date=dt.date(2025, 9, 25),
    )


def agreement_url(enrolment) -> str:
    return reverse("coaching:agreement", args=[enrolment.pk])


def saved_version(enrolment) -> int:
    """The version of the team's agreement saved now; 0 when there is none (NO_AGREEMENT_VERSION)."""
    return CoachingAgreement.objects.filter(enrolment=enrolment).values_list("version", flat=True).first() or 0


def form_data(
    enrolment, meeting, *, unavailable=(), untick=(), retick=(), action="confirm", shown_for=None, version=None
) -> dict:
    """What the page, as shown for `shown_for` (default: meeting) with `unavailable` dates, posts back
    after the coach picks `meeting`, unticks `untick` and ticks `retick` again. version: the agreement's
    version the page was opened on (default: the one saved now)."""
    shown_meeting = shown_for or meeting
    proposals = agreement_propose(enrolment=enrolment, meeting=shown_meeting, unavailable=unavailable, not_before=TODAY)
    starts = [p.start.date() for p in proposals if p.start]
    skipped = [d for p in proposals for d in p.skipped]
    available = [d for d in starts if d not in untick] + [d for d in skipped if d in retick]
    return {
        "meeting": meeting.pk,
        "meeting_shown": shown_meeting.pk,
        "unavailable": [d.isoformat() for d in unavailable],
        "shown": [d.isoformat() for d in starts + skipped],
        "available": [d.isoformat() for d in available],
        "action": action,
        "version": saved_version(enrolment) if version is None else version,
    }


def agreed(enrolment) -> list[str]:
    return [
        s.agreed_start.astimezone(LONDON).strftime("%d %b %H:%M")
        for s in enrolment.sessions.filter(number__gt=1).order_by("number")
        if s.agreed_start
    ]


def test_agreement_page_shows_the_proposed_dates(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    response = client.get(agreement_url(enrolment))
    html = response.content.decode()
    assertInHTML(
        f"""<input class="form-check-input" type="radio" name="meeting" id="meeting-{fortnightly.pk}"
        value="{fortnightly.pk}" checked>""",
        html,
    )
    assertInHTML(
        """<div class="form-check">
          <input class="form-check-input" type="checkbox" name="available" value="2025-10-21" id="date-2025-10-21"
            checked>
          <label class="form-check-label fw-semibold" for="date-2025-10-21"><time datetime="2025-10-21T09:00:00+01:00">
          Tue 21 Oct 2025, 09:00</time><span class="visually-hidden"> for session 3</span></label>
        </div>""",
        html,
    )
    # After the clocks go back, still 09:00.
    assertContains(response, '<time datetime="2025-11-04T09:00:00+00:00">Tue 4 Nov 2025, 09:00</time>')
    assertContains(response, 'name="available"', count=9)
    assertContains(response, '<details class="card mb-4" id="add-meeting">')  # closed: the team has a meeting
    assertContains(response, 'name="shown"', count=9)
    assertNotContains(response, 'name="unavailable"')


def test_agreement_recalculate_after_unticking_takes_the_next_meeting_date(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    data = form_data(enrolment, fortnightly, untick=[dt.date(2025, 10, 21)], action="recalculate")
    response = client.post(agreement_url(enrolment), data)
    assert response.status_code == 200
    assertContains(response, "The dates below are worked out again from your choices.")
    assertContains(response, '<input type="hidden" name="unavailable" value="2025-10-21">', html=True)
    # 21 October is shown unticked (struck through) before session 3's new date, 4 November.
    assertInHTML(
        '<input class="form-check-input" type="checkbox" name="available" value="2025-10-21" id="date-2025-10-21">',
        response.content.decode(),
    )
    assertContains(response, 'Tue 4 Nov 2025, 09:00</time><span class="visually-hidden"> for session 3</span>')
    assert not CoachingAgreement.objects.exists()


def test_agreement_confirm_as_shown_saves_and_goes_to_the_enrolment(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    response = client.post(agreement_url(enrolment), form_data(enrolment, fortnightly), follow=True)
    assertRedirects(response, reverse("programmes:enrolment", args=[enrolment.pk]))
    assertContains(response, "Coaching slots agreed for 9 sessions on Team huddle. Counted as agreed at session 1.")
    assert agreed(enrolment) == [
        "07 Oct 09:00",
        "21 Oct 09:00",
        "04 Nov 09:00",
        "18 Nov 09:00",
        "02 Dec 09:00",
        "16 Dec 09:00",
        "13 Jan 09:00",
        "10 Feb 09:00",
        "10 Mar 09:00",
    ]
    agreement = CoachingAgreement.objects.get()
    assert (agreement.meeting, agreement.agreed_by, enrolment_slots(enrolment).state) == (
        fortnightly,
        enrolment.coach,
        SlotsState.AGREED_AT_SESSION_1,
    )


def test_agreement_confirm_after_unticking_shows_the_new_dates_first(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    data = form_data(enrolment, fortnightly, untick=[dt.date(2025, 10, 21)])
    response = client.post(agreement_url(enrolment), data)
    assert response.status_code == 200
    assertContains(response, "Nothing is saved yet: the dates changed with your choices.")
    assert not CoachingAgreement.objects.exists()
    # Confirming what is now shown saves it, with 21 October skipped.
    again = form_data(enrolment, fortnightly, unavailable=[dt.date(2025, 10, 21)])
    assert client.post(agreement_url(enrolment), again).status_code == 302
    assert agreed(enrolment)[:3] == ["07 Oct 09:00", "04 Nov 09:00", "18 Nov 09:00"]
    assert CoachingAgreement.objects.get().skipped_dates == ["2025-10-21"]


def test_agreement_ticking_a_skipped_date_again_brings_it_back(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    skipped = dt.date(2025, 10, 21)
    data = form_data(enrolment, fortnightly, unavailable=[skipped], retick=[skipped], action="recalculate")
    response = client.post(agreement_url(enrolment), data)
    assertNotContains(response, 'name="unavailable"')
    assertContains(response, 'Tue 21 Oct 2025, 09:00</time><span class="visually-hidden"> for session 3</span>')


def test_agreement_with_too_few_dates_is_refused_keeping_every_choice(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    unavailable = [dt.date(2025, 10, 7), dt.date(2025, 10, 21)]
    response = client.post(agreement_url(enrolment), form_data(enrolment, fortnightly, unavailable=unavailable))
    assert response.status_code == 200
    assertContains(response, "<title>Error: Agree the coaching slots")
    assertContains(
        response,
        "<li>This meeting has no free date near session 2. Tick more dates, or choose or add another meeting.</li>",
    )
    assertContains(response, "<strong>No free date within 4 weeks of the due date.</strong>")
    for day in ("2025-10-07", "2025-10-21"):
        assertContains(response, f'<input type="hidden" name="unavailable" value="{day}">', html=True)
    assertInHTML(
        f"""<input class="form-check-input" type="radio" name="meeting" id="meeting-{fortnightly.pk}"
        value="{fortnightly.pk}" checked>""",
        response.content.decode(),
    )
    assert not CoachingAgreement.objects.exists()
    assert agreed(enrolment) == []


def test_agreement_choosing_another_meeting_shows_its_dates_before_saving(client, enrolment, fortnightly, weekly):
    client.force_login(enrolment.coach)
    data = form_data(enrolment, weekly, shown_for=fortnightly, untick=[dt.date(2025, 10, 21)])
    response = client.post(agreement_url(enrolment), data)
    assertContains(response, "Nothing is saved yet")
    # The weekly Thursday meeting: session 2 due 29 Sep -> Thursday 2 October, 14:00.
    assertContains(response, 'Thu 2 Oct 2025, 14:00</time><span class="visually-hidden"> for session 2</span>')
    # The box unticked on the other meeting's dates does not count against this one.
    assertNotContains(response, 'name="unavailable"')
    assert not CoachingAgreement.objects.exists()


def test_agreement_damaged_date_is_a_clear_error(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    data = form_data(enrolment, fortnightly)
    data["unavailable"] = ["21/10/2025"]
    response = client.post(agreement_url(enrolment), data)
    assert response.status_code == 200
    assertContains(response, "The list of dates was damaged; reload the page.")
    assert not CoachingAgreement.objects.exists()


def test_agreement_meeting_of_another_team_is_refused(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    other = factories.TeamMeetingFactory()
    data = form_data(enrolment, fortnightly)
    data["meeting"] = other.pk
    response = client.post(agreement_url(enrolment), data)
    assertContains(response, "Select a valid choice. That choice is not one of the available choices.")
    assert not CoachingAgreement.objects.exists()


def test_agreement_again_records_moves_and_says_so(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    client.post(agreement_url(enrolment), form_data(enrolment, fortnightly))
    response = client.get(agreement_url(enrolment))
    assertContains(response, "Already agreed with the team on <time")
    assertContains(response, "Confirming again moves any session whose time changes, and each move is kept.")


def test_agreement_before_session_1_is_held_says_when_it_counts(client, personas, time_machine):
    Session.objects.filter(enrolment=personas.enrolment, number=1).update(held_on=None)
    meeting = factories.TeamMeetingFactory(team=personas.enrolment.team, first_date=dt.date(2025, 9, 23))
    client.force_login(personas.coach)
    response = client.get(agreement_url(personas.enrolment))
    assertContains(response, "Session 1 is not recorded as held yet.")
    done = client.post(agreement_url(personas.enrolment), form_data(personas.enrolment, meeting), follow=True)
    assertContains(done, "Session 1 is not recorded as held yet: this counts as agreed at session 1 if it is held")


def test_agreement_a_week_after_session_1_is_not_counted(client, enrolment, fortnightly, time_machine):
    time_machine.move_to(NOW + dt.timedelta(days=7), tick=False)
    client.force_login(enrolment.coach)
    data = form_data(enrolment, fortnightly)
    data["shown"] = [  # what the page shows a week later: nothing before today
        p.start.date().isoformat()
        for p in agreement_propose(enrolment=enrolment, meeting=fortnightly, not_before=TODAY + dt.timedelta(days=7))
    ]
    data["available"] = data["shown"]
    response = client.post(agreement_url(enrolment), data, follow=True)
    assertContains(response, "Agreed after the day of session 1, so not counted as agreed at session 1.")
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_LATER


def test_agreement_page_without_meetings_offers_to_add_one(client, enrolment):
    client.force_login(enrolment.coach)
    response = client.get(agreement_url(enrolment))
    assertContains(response, "No meetings are recorded for Education support team yet.")
    assertContains(response, '<details class="card mb-4" id="add-meeting" open>')
    assertContains(response, 'name="new-weekday"')
    assertNotContains(response, 'value="confirm"')


def test_agreement_page_for_a_withdrawn_team_has_nothing_to_agree(client, enrolment, fortnightly):
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.save()
    client.force_login(enrolment.coach)
    response = client.get(agreement_url(enrolment))
    assertContains(response, "This enrolment is withdrawn: there are no coaching sessions to agree.")
    refused = client.post(agreement_url(enrolment), form_data(enrolment, fortnightly))
    assertContains(refused, "This team&#x27;s enrolment is withdrawn: there are no sessions to agree.")


# --- Adding a meeting there and then ----------------------------------------------------------


def new_meeting(**overrides) -> dict:
    data = {
        "new-name": "Monday safety huddle",
        "new-weekday": "0",
        "new-start_time": "08:30",
        "new-duration_minutes": "15",
        "new-every_weeks": "1",
        "new-first_date": "2025-09-22",
        "new-location": "Ward 5",
    }
    return {**data, **overrides}


def test_agreement_meeting_added_there_and_then_is_chosen(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    response = client.post(
        reverse("coaching:agreement_meeting", args=[enrolment.pk]),
        {**new_meeting(), "unavailable": ["2025-10-13"], "version": "0"},
    )
    meeting = TeamMeeting.objects.get(name="Monday safety huddle")
    assert meeting.team == enrolment.team
    # The version the page was opened on (0: no agreement yet) goes along, so that a confirm made
    # meanwhile by someone else is still caught.
    expected = f"{agreement_url(enrolment)}?meeting={meeting.pk}&unavailable=2025-10-13&version=0#dates"
    assertRedirects(response, expected, fetch_redirect_response=False)
    page = client.get(response.url)
    assertInHTML(
        f"""<input class="form-check-input" type="radio" name="meeting" id="meeting-{meeting.pk}"
        value="{meeting.pk}" checked>""",
        page.content.decode(),
    )
    assertContains(page, '<input type="hidden" name="unavailable" value="2025-10-13">', html=True)
    # Session 2 due Monday 29 September: that day's huddle at 08:30; session 3 due 13 October is
    # unticked, so Monday 20 October.
    assertContains(page, 'Mon 29 Sep 2025, 08:30</time><span class="visually-hidden"> for session 2</span>')
    assertContains(page, 'Mon 20 Oct 2025, 08:30</time><span class="visually-hidden"> for session 3</span>')


def test_agreement_meeting_with_errors_stays_on_the_page_with_input(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    response = client.post(
        reverse("coaching:agreement_meeting", args=[enrolment.pk]), new_meeting(**{"new-first_date": "2025-09-23"})
    )
    assert response.status_code == 200
    assertContains(response, "<title>Error: Agree the coaching slots")
    assertContains(response, "23 September 2025 is a Tuesday, but the meeting is on Mondays.")
    assertContains(response, '<details class="card mb-4" id="add-meeting" open>')
    assertContains(response, 'value="Monday safety huddle"')
    assert not TeamMeeting.objects.filter(name="Monday safety huddle").exists()
    # The proposals for the existing meeting are still there.
    assertContains(response, 'name="action" value="confirm"')


def test_agreement_meeting_get_is_refused(client, enrolment):
    client.force_login(enrolment.coach)
    assert client.get(reverse("coaching:agreement_meeting", args=[enrolment.pk])).status_code == 405


# --- Two people confirming at once --------------------------------------------------------------


def test_agreement_page_carries_the_version_it_was_opened_on(client, enrolment, fortnightly):
    client.force_login(enrolment.coach)
    # No agreement yet: version 0, so that a first agreement made meanwhile is caught too.
    assertContains(client.get(agreement_url(enrolment)), '<input type="hidden" name="version" value="0">', html=True)
    assert client.post(agreement_url(enrolment), form_data(enrolment, fortnightly, version=0)).status_code == 302
    assertContains(client.get(agreement_url(enrolment)), '<input type="hidden" name="version" value="1">', html=True)
    # Recalculating keeps the version the page was opened on, even if another confirm was saved since.
    CoachingAgreement.objects.update(version=2)
    recalculated = client.post(
        agreement_url(enrolment), form_data(enrolment, fortnightly, action="recalculate", version=1)
    )
    assertContains(recalculated, '<input type="hidden" name="version" value="1">', html=True)


def test_agreement_second_confirm_at_once_shows_what_was_agreed_meanwhile_and_keeps_the_choice(
    client, personas, enrolment, fortnightly, weekly
):
    coach, manager = personas.coach, personas.manager
    # Both open the page before anything is agreed; the manager skips Thursday 2 October and recalculates.
    coach_data = form_data(enrolment, fortnightly, version=0)
    manager_data = form_data(enrolment, weekly, unavailable=[dt.date(2025, 10, 2)], version=0)
    client.force_login(coach)
    assert client.post(agreement_url(enrolment), coach_data).status_code == 302
    coach_agreed = agreed(enrolment)

    client.force_login(manager)
    refused = client.post(agreement_url(enrolment), manager_data)
    assert refused.status_code == 200
    assertContains(refused, "<title>Error: Agree the coaching slots")
    assertContains(refused, "Someone else agreed this team&#x27;s coaching slots while you were choosing")
    # What the coach agreed, beside what the manager chose.
    meanwhile = [(v.label, v.saved, v.typed) for v in refused.context["meanwhile"]]
    assert meanwhile == [
        ("Meeting", "Team huddle: Tuesday 09:00", "Thursday board round: Thursday 14:00"),
        ("Dates not available", "None", "Thu 2 Oct 2025"),
        ("Agreed by", "Cara Coach", "Mina Manager"),
        ("Agreed with the team on", "Mon 22 Sep 2025", "Today"),
        ("Recorded", "Mon 22 Sep 2025, 15:00", "When you confirm"),
    ]
    assertContains(refused, "Saved by someone else meanwhile")
    assertInHTML(
        "<tr><th scope='row'>Agreed by</th><td>Cara Coach</td><td>Mina Manager</td></tr>", refused.content.decode()
    )
    assertContains(refused, "Already agreed with the team on <time")
    # The manager's choice is kept, and the form now carries the version saved now.
    assertInHTML(
        f"""<input class="form-check-input" type="radio" name="meeting" id="meeting-{weekly.pk}"
        value="{weekly.pk}" checked>""",
        refused.content.decode(),
    )
    assertContains(refused, '<input type="hidden" name="unavailable" value="2025-10-02">', html=True)
    assertContains(refused, '<input type="hidden" name="version" value="1">', html=True)
    assertContains(refused, 'Thu 9 Oct 2025, 14:00</time><span class="visually-hidden"> for session 2</span>')
    # Nothing of the manager's was saved.
    assert CoachingAgreement.objects.values_list("meeting", "agreed_by", "version").get() == (
        fortnightly.pk,
        coach.pk,
        1,
    )
    assert agreed(enrolment) == coach_agreed

    # Confirming again, knowingly, replaces the coach's agreement.
    again = form_data(enrolment, weekly, unavailable=[dt.date(2025, 10, 2)], version=1)
    assert client.post(agreement_url(enrolment), again).status_code == 302
    assert CoachingAgreement.objects.values_list("meeting", "agreed_by", "version").get() == (weekly.pk, manager.pk, 2)
    assert agreed(enrolment)[:2] == ["09 Oct 14:00", "16 Oct 14:00"]


def test_agreement_confirm_opened_before_an_admin_edit_is_refused(client, enrolment, fortnightly, admin_client):
    agreement = factories.CoachingAgreementFactory(enrolment=enrolment, meeting=fortnightly)
    url = reverse("admin:coaching_coachingagreement_change", args=[agreement.pk])
    data = {
        "enrolment": enrolment.pk,
        "meeting": fortnightly.pk,
        "skipped_dates": '["2025-10-21"]',
        "agreed_at_0": "2025-09-22",
        "agreed_at_1": "15:00:00",
        "agreed_on": "2025-09-22",
        "agreed_by": enrolment.coach.pk,
    }
    assertRedirects(admin_client.post(url, data), reverse("admin:coaching_coachingagreement_changelist"))
    assert CoachingAgreement.objects.values_list("skipped_dates", "version").get() == (["2025-10-21"], 2)
    client.force_login(enrolment.coach)
    refused = client.post(agreement_url(enrolment), form_data(enrolment, fortnightly, version=1))
    assertContains(refused, "Someone else agreed this team&#x27;s coaching slots while you were choosing")
    assert CoachingAgreement.objects.values_list("skipped_dates", "version").get() == (["2025-10-21"], 2)


@pytest.mark.parametrize("version", ["", "x", "-1"])
def test_agreement_damaged_version_is_said_once_and_saves_nothing(client, enrolment, fortnightly, version):
    client.force_login(enrolment.coach)
    data = form_data(enrolment, fortnightly)
    data["version"] = version
    response = client.post(agreement_url(enrolment), data)
    assert response.status_code == 200
    assertContains(
        response, "This form is damaged or out of date: reload the page and make your changes again.", count=1
    )
    assertContains(response, '<input type="hidden" name="version" value="0">', html=True)
    assert not CoachingAgreement.objects.exists()
