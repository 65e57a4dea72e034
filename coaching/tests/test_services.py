"""Agreeing the coaching slots at session 1, and calendar feed tokens.

The team holds a fortnightly Tuesday 09:00 meeting from 23 September 2025; session 1 is on Monday
22 September 2025. Its Tuesdays: 7 Oct, 21 Oct, 4 Nov (clocks went back on 26 Oct), 18 Nov, 2 Dec,
16 Dec, 30 Dec, 13 Jan, 27 Jan, 10 Feb, 24 Feb, 10 Mar...
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from coaching.models import CalendarFeed, CoachingAgreement, SlotsState
from coaching.selectors import enrolment_slots, sessions_needing_slots
from coaching.services import (
    RE_AGREED_REASON,
    agreement_confirm,
    agreement_propose,
    calendar_feed_for_coach,
    calendar_feed_for_team,
    calendar_feed_reset,
)
from programmes.models import EnrolmentStatus, Session, SessionChange
from programmes.services.scheduling import enrolment_create, enrolment_set_status
from tests import factories

LONDON = ZoneInfo("Europe/London")
SESSION_1 = dt.date(2025, 9, 22)
ON_SESSION_1 = dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON)

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolment():
    coach = factories.CoachFactory()
    enrolment = enrolment_create(
        cohort=factories.CohortFactory(), team=factories.TeamFactory(), coach=coach, session1_date=SESSION_1
    )
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=SESSION_1)
    return enrolment


@pytest.fixture
def fortnightly(enrolment):
    return factories.TeamMeetingFactory(
        team=enrolment.team, weekday=1, start_time=dt.time(9, 0), every_weeks=2, first_date=dt.date(2025, 9, 23)
    )


def agreed_starts(enrolment) -> dict[int, str]:
    return {
        s.number: s.agreed_start.astimezone(LONDON).strftime("%a %d %b %Y %H:%M %Z")
        for s in enrolment.sessions.filter(agreed_start__isnull=False)
    }


def test_sessions_needing_slots_skips_session_1_held_and_cancelled(enrolment):
    Session.objects.filter(enrolment=enrolment, number=2).update(held_on=dt.date(2025, 9, 29))
    Session.objects.filter(enrolment=enrolment, number=3).update(cancelled=True, cancelled_reason="Closed")
    assert [s.number for s in sessions_needing_slots(enrolment)] == [4, 5, 6, 7, 8, 9, 10]


def test_agreement_propose_follows_the_meeting_from_each_due_week(enrolment, fortnightly):
    proposals = agreement_propose(enrolment=enrolment, meeting=fortnightly)
    assert [(p.number, p.start.date().isoformat()) for p in proposals] == [
        (2, "2025-10-07"),
        (3, "2025-10-21"),
        (4, "2025-11-04"),
        (5, "2025-11-18"),
        (6, "2025-12-02"),
        (7, "2025-12-16"),
        (8, "2026-01-13"),
        (9, "2026-02-10"),
        (10, "2026-03-10"),
    ]


def test_agreement_confirm_fills_every_later_session_in_london_time(enrolment, fortnightly):
    agreement = agreement_confirm(
        enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1
    )
    assert agreed_starts(enrolment) == {
        2: "Tue 07 Oct 2025 09:00 BST",
        3: "Tue 21 Oct 2025 09:00 BST",
        4: "Tue 04 Nov 2025 09:00 GMT",
        5: "Tue 18 Nov 2025 09:00 GMT",
        6: "Tue 02 Dec 2025 09:00 GMT",
        7: "Tue 16 Dec 2025 09:00 GMT",
        8: "Tue 13 Jan 2026 09:00 GMT",
        9: "Tue 10 Feb 2026 09:00 GMT",
        10: "Tue 10 Mar 2026 09:00 GMT",
    }
    # Across the clock change the instant moves by an hour, the wall-clock time does not.
    utc = {s.number: s.agreed_start.astimezone(dt.UTC).hour for s in enrolment.sessions.filter(number__in=[3, 4])}
    assert utc == {3: 8, 4: 9}
    assert (agreement.meeting, agreement.agreed_by, agreement.skipped_dates) == (fortnightly, enrolment.coach, [])
    assert SessionChange.objects.count() == 0
    assert set(enrolment.sessions.filter(number__gt=1).values_list("version", flat=True)) == {2}


def test_agreement_confirm_unticked_date_takes_the_next_occurrence(enrolment, fortnightly):
    agreement = agreement_confirm(
        enrolment=enrolment,
        meeting=fortnightly,
        unavailable=[dt.date(2025, 10, 21)],
        user=enrolment.coach,
        now=ON_SESSION_1,
    )
    starts = {n: s[:15] for n, s in agreed_starts(enrolment).items()}
    assert starts == {
        2: "Tue 07 Oct 2025",
        3: "Tue 04 Nov 2025",
        4: "Tue 18 Nov 2025",
        5: "Tue 02 Dec 2025",
        6: "Tue 16 Dec 2025",
        7: "Tue 30 Dec 2025",
        8: "Tue 13 Jan 2026",
        9: "Tue 10 Feb 2026",
        10: "Tue 10 Mar 2026",
    }
    assert agreement.skipped_dates == ["2025-10-21"]


def test_agreement_confirm_on_session_1_day_is_agreed_at_session_1(enrolment, fortnightly):
    agreement_confirm(enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_AT_SESSION_1


def test_agreement_confirm_a_week_after_session_1_is_not_agreed_at_session_1(enrolment, fortnightly):
    a_week_later = dt.datetime(2025, 9, 29, 10, 0, tzinfo=LONDON)
    agreement_confirm(enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=a_week_later)
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_LATER
    assert enrolment.sessions.get(number=2).agreed_start == dt.datetime(2025, 10, 7, 9, 0, tzinfo=LONDON)


def test_agreement_confirm_just_after_midnight_counts_by_the_london_date(enrolment, fortnightly):
    # 00:30 in London on 23 September is 23:30 UTC on the 22nd: the day after session 1 in London.
    after_midnight = dt.datetime(2025, 9, 23, 0, 30, tzinfo=LONDON)
    assert after_midnight.astimezone(dt.UTC).date() == SESSION_1
    agreement_confirm(
        enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=after_midnight
    )
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_LATER


def test_agreement_confirm_before_session_1_is_held_counts_once_it_is(enrolment, fortnightly):
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=None)
    agreement_confirm(
        enrolment=enrolment,
        meeting=fortnightly,
        unavailable=[],
        user=enrolment.coach,
        now=dt.datetime(2025, 9, 19, 12, 0, tzinfo=LONDON),
    )
    assert enrolment_slots(enrolment).state == SlotsState.NOT_YET
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=SESSION_1)
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_AT_SESSION_1
    # Derived, never stored: a later held date of session 1 changes it at once, however it is saved.
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 18))
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_LATER


def test_agreement_confirm_with_too_few_dates_is_refused_and_saves_nothing(enrolment, fortnightly):
    with pytest.raises(ValidationError) as error:
        agreement_confirm(
            enrolment=enrolment,
            meeting=fortnightly,
            unavailable=[dt.date(2025, 10, 7), dt.date(2025, 10, 21)],
            user=enrolment.coach,
            now=ON_SESSION_1,
        )
    assert error.value.code == "not_enough_dates"
    assert error.value.messages == [
        "This meeting has no free date near session 2. Tick more dates, or choose or add another meeting."
    ]
    assert CoachingAgreement.objects.count() == 0
    assert agreed_starts(enrolment) == {}


def test_agreement_confirm_again_keeps_each_move(enrolment, fortnightly):
    agreement_confirm(enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    manager = factories.ManagerFactory()
    agreement = agreement_confirm(
        enrolment=enrolment,
        meeting=fortnightly,
        unavailable=[dt.date(2025, 10, 21)],
        user=manager,
        now=ON_SESSION_1 + dt.timedelta(hours=1),
    )
    changes = SessionChange.objects.order_by("session__number")
    assert [(c.session.number, c.from_start.date(), c.to_start.date()) for c in changes] == [
        (3, dt.date(2025, 10, 21), dt.date(2025, 11, 4)),
        (4, dt.date(2025, 11, 4), dt.date(2025, 11, 18)),
        (5, dt.date(2025, 11, 18), dt.date(2025, 12, 2)),
        (6, dt.date(2025, 12, 2), dt.date(2025, 12, 16)),
        (7, dt.date(2025, 12, 16), dt.date(2025, 12, 30)),
    ]
    assert {c.reason for c in changes} == {RE_AGREED_REASON}
    assert {c.changed_by for c in changes} == {manager}
    assert CoachingAgreement.objects.get() == agreement
    assert agreement.agreed_by == manager
    # Moved sessions were saved again (version 3); the others kept their first agreement (version 2).
    assert dict(enrolment.sessions.filter(number__in=[2, 3, 8]).values_list("number", "version")) == {2: 2, 3: 3, 8: 2}


def test_agreement_confirm_on_another_teams_meeting_is_refused(enrolment):
    other = factories.TeamMeetingFactory()
    with pytest.raises(ValidationError) as error:
        agreement_confirm(enrolment=enrolment, meeting=other, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    assert error.value.message_dict == {"meeting": ["Pick one of this team's meetings."]}


def test_agreement_confirm_for_a_withdrawn_team_is_refused(enrolment, fortnightly):
    enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.WITHDRAWN)
    with pytest.raises(ValidationError) as error:
        agreement_confirm(
            enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1
        )
    assert error.value.code == "finished"


def test_agreement_confirm_skips_sessions_already_held(enrolment, fortnightly):
    Session.objects.filter(enrolment=enrolment, number=2).update(held_on=dt.date(2025, 9, 30))
    agreement_confirm(enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    assert sorted(agreed_starts(enrolment)) == [3, 4, 5, 6, 7, 8, 9, 10]


def test_calendar_feed_for_coach_is_made_once():
    coach = factories.CoachFactory()
    assert calendar_feed_for_coach(coach=coach) == calendar_feed_for_coach(coach=coach)
    assert CalendarFeed.objects.count() == 1


def test_calendar_feed_reset_gives_a_new_token():
    team = factories.TeamFactory()
    feed = calendar_feed_for_team(team=team)
    old = feed.token
    calendar_feed_reset(feed=feed)
    assert CalendarFeed.objects.get(team=team).token != old
    assert not CalendarFeed.objects.filter(token=old).exists()
    assert len(feed.token) == 43
