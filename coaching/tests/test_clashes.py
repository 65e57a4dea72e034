"""Clash checks on coaching slots (coaching.selectors.clashes) and the override on the agreement page.

Rachel coaches two teams: Ward 7 at RSH, whose slots are being agreed, and Pharmacy at PRH. Ward 7's
fortnightly Tuesday 09:00 meeting (60 minutes) gives session 3 Tue 21 Oct 2025, 09:00-10:00.
"Today" is Monday 22 September 2025, the day of session 1.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from coaching.models import CoachingAgreement
from coaching.selectors import Slot, slot_clashes
from coaching.services import agreement_confirm, agreement_propose
from conftest import PERSONAS
from programmes.models import EnrolmentStatus, Session, SessionChange
from tests import factories
from tests.helpers import THIS_TEAM_WRITE, persona_request

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON)
TODAY = NOW.date()
SLOT = dt.datetime(2025, 10, 21, 9, 0, tzinfo=LONDON)  # Ward 7's session 3
HOUR = dt.timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)


def team_enrolment(programme, name: str, site: str, *, coach="default", status=EnrolmentStatus.ACTIVE):
    enrolment = factories.EnrolmentFactory(
        cohort=programme.cohort,
        coach=programme.coach if coach == "default" else coach,
        team__name=name,
        team__site=factories.SiteFactory(code=site),
        status=status,
    )
    sessions = {s.number: s for s in factories.make_sessions(enrolment)}
    Session.objects.filter(pk=sessions[1].pk).update(held_on=TODAY, attendees=6)
    return enrolment, sessions


@pytest.fixture
def ward(programme):
    return team_enrolment(programme, "Ward 7", "RSH")


@pytest.fixture
def pharmacy(programme):
    return team_enrolment(programme, "Pharmacy", "PRH")


@pytest.fixture
def huddle(ward):
    enrolment, _ = ward
    return factories.TeamMeetingFactory(
        team=enrolment.team,
        name="Team huddle",
        weekday=1,
        start_time=dt.time(9, 0),
        duration_minutes=60,
        every_weeks=2,
        first_date=dt.date(2025, 9, 23),
    )


def agree_at(session: Session, start: dt.datetime) -> None:
    Session.objects.filter(pk=session.pk).update(agreed_start=start)


def clashes_of(coach, *starts, length=HOUR):
    slots = [Slot(n, start, length) for n, start in enumerate(starts)]
    return slot_clashes(coach_id=coach.pk, slots=slots)


def messages_of(found) -> dict:
    return {key: [c.message for c in clashes] for key, clashes in found.items()}


# --- The rule -------------------------------------------------------------------------------------


def test_slot_clashing_with_another_team_names_it_the_session_and_the_london_time(programme, pharmacy):
    _, sessions = pharmacy
    agree_at(sessions[4], SLOT + dt.timedelta(minutes=30))
    assert messages_of(clashes_of(programme.coach, SLOT)) == {
        0: [
            f"Clashes with session 4 ({sessions[4].plan.title}) of Pharmacy (PRH) in Autumn 2025 test bed: "
            "Tue 21 Oct 2025, 09:30–10:30."
        ]
    }


@pytest.mark.parametrize(
    ("other_start", "buffer", "clashes"),
    [
        (dt.time(10, 14), 15, True),  # starts 14 minutes after the slot ends
        (dt.time(10, 15), 15, False),  # exactly the buffer: fine
        (dt.time(7, 46), 15, True),  # ends (default 60 minutes) 14 minutes before the slot starts
        (dt.time(7, 45), 15, False),
        (dt.time(10, 14), 0, False),  # no buffer set
        (dt.time(9, 59), 0, True),
    ],
)
def test_slot_clash_counts_the_buffer_setting(programme, pharmacy, settings, other_start, buffer, clashes):
    settings.QMS_CLASH_BUFFER_MINUTES = buffer
    _, sessions = pharmacy
    agree_at(sessions[4], dt.datetime.combine(SLOT.date(), other_start, tzinfo=LONDON))
    assert bool(clashes_of(programme.coach, SLOT)) is clashes


def test_slot_clash_within_the_buffer_says_so(programme, pharmacy):
    _, sessions = pharmacy
    agree_at(sessions[4], SLOT + dt.timedelta(minutes=70))
    [clash] = clashes_of(programme.coach, SLOT)[0]
    assert clash.message.endswith("10:10–11:10, within the 15 minutes kept between sessions.")
    assert clash.session == sessions[4]


def test_slot_clash_uses_the_other_sessions_meeting_length(programme, pharmacy):
    enrolment, sessions = pharmacy
    factories.CoachingAgreementFactory(enrolment=enrolment, meeting__duration_minutes=90)
    agree_at(sessions[4], SLOT - dt.timedelta(minutes=75))  # 07:45-09:15 with its 90 minutes
    [clash] = clashes_of(programme.coach, SLOT)[0]
    assert "Tue 21 Oct 2025, 07:45–09:15." in clash.message


def test_held_cancelled_other_coachs_and_withdrawn_sessions_do_not_clash(programme, pharmacy):
    _, sessions = pharmacy
    agree_at(sessions[3], SLOT)
    agree_at(sessions[4], SLOT)
    Session.objects.filter(pk=sessions[3].pk).update(held_on=SLOT.date())
    Session.objects.filter(pk=sessions[4].pk).update(cancelled=True)
    _, others = team_enrolment(programme, "Theatres", "RSH", coach=factories.CoachFactory())
    agree_at(others[3], SLOT)
    _, withdrawn = team_enrolment(programme, "Estates", "RSH", status=EnrolmentStatus.WITHDRAWN)
    agree_at(withdrawn[3], SLOT)
    assert clashes_of(programme.coach, SLOT) == {}


def test_day_the_coach_marked_unavailable_for_any_team_clashes(programme, pharmacy):
    enrolment, _ = pharmacy
    factories.CoachingAgreementFactory(enrolment=enrolment, skipped_dates=["2025-10-21"])
    assert messages_of(clashes_of(programme.coach, SLOT, SLOT + dt.timedelta(days=1))) == {
        0: ["Tue 21 Oct 2025 is a day the coach marked unavailable for Pharmacy (PRH)."]
    }


def test_no_coach_no_clashes(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert slot_clashes(coach_id=None, slots=[Slot(1, SLOT, HOUR)]) == {}


@pytest.mark.parametrize("teams", [1, 6])
def test_slot_clashes_queries_do_not_grow_with_slots_or_teams(programme, django_assert_num_queries, teams):
    starts = [SLOT + dt.timedelta(weeks=2 * n) for n in range(9)]
    for n in range(teams):
        enrolment, sessions = team_enrolment(programme, f"Team {n}", f"T{n}")
        if n % 2 == 0:  # half the teams without an agreement: the default length, and no query for it
            factories.CoachingAgreementFactory(enrolment=enrolment, skipped_dates=["2025-11-04"])
        for number, start in zip(range(2, 11), starts, strict=True):
            agree_at(sessions[number], start)
    # 1: the coach's other sessions in the slots' range, with team, site, cohort, plan and meeting;
    # 2: the coach's agreements (their unavailable days) with team and site.
    with django_assert_num_queries(2):
        found = clashes_of(programme.coach, *starts)
    assert len(found) == 9
    assert len(found[1]) == teams + (teams + 1) // 2  # each team's session on 4 Nov, and the unavailable days


# --- Agreeing the slots ---------------------------------------------------------------------------


def agreement_url(enrolment) -> str:
    return reverse("coaching:agreement", args=[enrolment.pk])


def confirm_data(enrolment, meeting, **extra) -> dict:
    """What the agreement page posts when the coach confirms the dates shown, unticking none."""
    proposals = agreement_propose(enrolment=enrolment, meeting=meeting, not_before=TODAY)
    starts = [p.start.date().isoformat() for p in proposals if p.start]
    version = CoachingAgreement.objects.filter(enrolment=enrolment).values_list("version", flat=True).first() or 0
    return {
        "meeting": meeting.pk,
        "meeting_shown": meeting.pk,
        "shown": starts,
        "available": starts,
        "action": "confirm",
        "version": version,
        **extra,
    }


@pytest.fixture
def clash(pharmacy):
    """Pharmacy's session 5 is agreed for 09:30 on the day Ward 7's session 3 would take."""
    _, sessions = pharmacy
    agree_at(sessions[5], SLOT + dt.timedelta(minutes=30))
    return sessions[5]


def test_agreement_page_warns_of_a_clash_naming_the_other_team(client, programme, ward, huddle, clash):
    enrolment, _ = ward
    client.force_login(programme.coach)
    response = client.get(agreement_url(enrolment))
    assertContains(
        response,
        f"<li>Clashes with session 5 ({clash.plan.title}) of Pharmacy (PRH) in Autumn 2025 test bed: "
        "Tue 21 Oct 2025, 09:30–10:30.</li>",
        html=True,
    )
    assertContains(response, 'id="clashes-3"', count=1)  # only session 3's slot clashes
    assertContains(response, "Session 3 clashes with the coach's diary")
    assertContains(response, 'name="clash_override"')


def test_agreement_page_without_clashes_offers_no_override(client, programme, ward, huddle, pharmacy):
    enrolment, _ = ward
    client.force_login(programme.coach)
    assertNotContains(client.get(agreement_url(enrolment)), 'name="clash_override"')


def test_agreement_confirm_with_a_clash_needs_the_override(client, programme, ward, huddle, clash):
    enrolment, _ = ward
    client.force_login(programme.coach)
    response = client.post(agreement_url(enrolment), confirm_data(enrolment, huddle, agreed_on="2025-09-22"))
    assert response.status_code == 200
    assertContains(response, "Nothing has been saved")
    assertContains(response, "The slot for session 3 clashes with the coach&#x27;s diary (see below).")
    assert not CoachingAgreement.objects.filter(enrolment=enrolment).exists()
    assert not enrolment.sessions.filter(agreed_start__isnull=False).exists()


def test_agreement_override_without_a_reason_is_an_error_keeping_the_choice(client, programme, ward, huddle, clash):
    enrolment, _ = ward
    client.force_login(programme.coach)
    data = confirm_data(enrolment, huddle, clash_override="on", clash_override_reason="  ")
    response = client.post(agreement_url(enrolment), data)
    assertContains(
        response, '<div class="invalid-feedback" id="clash-error">Say why the clashing times are kept.</div>'
    )
    assertContains(response, 'id="id_clash_override" value="on" checked')
    assert not CoachingAgreement.objects.filter(enrolment=enrolment).exists()


def test_agreement_reason_too_long_keeps_what_was_typed(client, programme, ward, huddle, clash):
    enrolment, _ = ward
    client.force_login(programme.coach)
    typed = "x" * 501
    response = client.post(
        agreement_url(enrolment), confirm_data(enrolment, huddle, clash_override="on", clash_override_reason=typed)
    )
    assertContains(response, "Say why the clashing times are kept in at most 500 characters.", count=2)
    assertContains(response, f">{typed}</textarea>")
    assert not CoachingAgreement.objects.filter(enrolment=enrolment).exists()


def test_agreement_override_is_recorded_with_its_reason(client, programme, ward, huddle, clash):
    enrolment, _ = ward
    client.force_login(programme.coach)
    data = confirm_data(enrolment, huddle, clash_override="on", clash_override_reason=" Pharmacy's is online ")
    response = client.post(agreement_url(enrolment), data, follow=True)
    assertContains(response, "The clashes are overridden, with your reason.")
    agreement = CoachingAgreement.objects.get(enrolment=enrolment)
    assert agreement.clash_override_reason == "Pharmacy's is online"
    third = enrolment.sessions.get(number=3)
    assert third.agreed_start == SLOT
    assertContains(
        client.get(agreement_url(enrolment)),
        "Some of these times were kept despite clashes with the coach's diary: Pharmacy&#x27;s is online",
    )


def test_agreement_re_agreed_move_keeps_the_reason_on_the_clashing_session_only(programme, ward, huddle, clash):
    enrolment, sessions = ward
    for number in (3, 4):
        agree_at(sessions[number], SLOT + dt.timedelta(days=1, weeks=2 * (number - 3)))
    agreement_confirm(
        enrolment=enrolment,
        meeting=huddle,
        unavailable=[],
        user=programme.coach,
        clash_override=True,
        clash_override_reason="Short call",
    )
    reasons = dict(
        SessionChange.objects.filter(session__enrolment=enrolment).values_list(
            "session__number", "clash_override_reason"
        )
    )
    assert reasons == {3: "Short call", 4: ""}


def test_agreement_confirm_by_the_apps_own_steps_is_not_checked(programme, ward, huddle, clash):
    enrolment, _ = ward
    agreement = agreement_confirm(enrolment=enrolment, meeting=huddle, unavailable=[], user=programme.coach)
    assert agreement.clash_override_reason == ""


def test_agreement_untick_the_clashing_date_then_no_override_is_needed(client, programme, ward, huddle, clash):
    enrolment, _ = ward
    proposals = agreement_propose(enrolment=enrolment, meeting=huddle, unavailable=[SLOT.date()], not_before=TODAY)
    starts = [p.start.date().isoformat() for p in proposals if p.start]
    shown = starts + [d.isoformat() for p in proposals for d in p.skipped]
    client.force_login(programme.coach)
    data = {**confirm_data(enrolment, huddle), "unavailable": [SLOT.date().isoformat()], "shown": shown}
    data["available"] = starts
    response = client.post(agreement_url(enrolment), data)
    assert response.status_code == 302
    assert CoachingAgreement.objects.get(enrolment=enrolment).clash_override_reason == ""


# --- Who may override: the agreement page's own rules ---------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_agreement_override_by_role(login, personas, persona):
    enrolment = personas.enrolment
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=TODAY, attendees=6)
    meeting = factories.TeamMeetingFactory(team=enrolment.team, weekday=1, start_time=dt.time(9, 0), every_weeks=2)
    second = factories.EnrolmentFactory(cohort=enrolment.cohort, coach=personas.coach, team__name="Ward 7")
    agree_at(factories.make_sessions(second)[4], SLOT)
    data = confirm_data(enrolment, meeting, clash_override="on", clash_override_reason="Online")
    expected = {**THIS_TEAM_WRITE, "manager": 302, "coach": 302}
    persona_request(login, personas, persona, agreement_url(enrolment), expected, method="post", data=data)
    saved = CoachingAgreement.objects.filter(enrolment=enrolment).values_list("clash_override_reason", flat=True)
    assert list(saved) == (["Online"] if persona in ("manager", "coach") else [])
