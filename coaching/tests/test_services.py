"""Agreeing the coaching slots at session 1, and calendar feed tokens.

The team holds a fortnightly Tuesday 09:00 meeting from 23 September 2025; session 1 is on Monday
22 September 2025. Its Tuesdays: 7 Oct, 21 Oct, 4 Nov (clocks went back on 26 Oct), 18 Nov, 2 Dec,
16 Dec, 30 Dec, 13 Jan, 27 Jan, 10 Feb, 24 Feb, 10 Mar...
"""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from coaching.models import CalendarFeed, CoachingAgreement, SlotsState
from coaching.selectors import enrolment_slots, sessions_needing_slots
from coaching.services import (
    RE_AGREED_REASON,
    STALE_AGREEMENT_MESSAGE,
    agreement_confirm,
    agreement_propose,
    calendar_feed_for_coach,
    calendar_feed_for_team,
    calendar_feed_reset,
)
from core.concurrency import StaleEdit
from programmes.models import Enrolment, EnrolmentStatus, Session, SessionChange
from programmes.services.scheduling import enrolment_create, enrolment_set_status
from tests import factories

from .conftest import wait_until

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
        # The sustain checks keep at least the plan's gap less a week from the session before
        # (3, 3 and 4 weeks), so they move on too rather than squeeze up to the review.
        8: "Tue 27 Jan 2026",
        9: "Tue 24 Feb 2026",
        10: "Tue 24 Mar 2026",
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
        (8, dt.date(2026, 1, 13), dt.date(2026, 1, 27)),
        (9, dt.date(2026, 2, 10), dt.date(2026, 2, 24)),
        (10, dt.date(2026, 3, 10), dt.date(2026, 3, 24)),
    ]
    assert {c.reason for c in changes} == {RE_AGREED_REASON}
    assert {c.changed_by for c in changes} == {manager}
    assert CoachingAgreement.objects.get() == agreement
    assert agreement.agreed_by == manager
    # Moved sessions were saved again (version 3); the others kept their first agreement (version 2).
    assert dict(enrolment.sessions.filter(number__in=[2, 3, 8]).values_list("number", "version")) == {2: 2, 3: 3, 8: 3}


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


# --- Two people confirming at once -----------------------------------------------------------------


@pytest.fixture
def weekly(enrolment):
    return factories.TeamMeetingFactory(
        team=enrolment.team, weekday=3, start_time=dt.time(14, 0), every_weeks=1, first_date=dt.date(2025, 9, 25)
    )


def saved_agreement(enrolment) -> tuple:
    return CoachingAgreement.objects.values_list("meeting", "agreed_by", "skipped_dates", "version").get(
        enrolment=enrolment
    )


def test_agreement_confirm_second_of_two_opened_before_any_agreement_is_refused_saving_nothing(
    enrolment, fortnightly, weekly
):
    """Both pages were opened on "no agreement yet" (version 0): the second confirm finds one."""
    manager = factories.ManagerFactory()
    agreement_confirm(
        enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1, version=0
    )
    first = agreed_starts(enrolment)
    with pytest.raises(StaleEdit) as error:
        agreement_confirm(
            enrolment=enrolment,
            meeting=weekly,
            unavailable=[dt.date(2025, 10, 2)],
            user=manager,
            now=ON_SESSION_1 + dt.timedelta(minutes=1),
            version=0,
        )
    assert (error.value.code, error.value.messages) == ("stale", [STALE_AGREEMENT_MESSAGE])
    assert saved_agreement(enrolment) == (fortnightly.pk, enrolment.coach.pk, [], 1)
    assert agreed_starts(enrolment) == first
    assert SessionChange.objects.count() == 0
    assert set(enrolment.sessions.filter(number__gt=1).values_list("version", flat=True)) == {2}


def test_agreement_confirm_second_of_two_opened_on_one_agreement_is_refused_saving_nothing(
    enrolment, fortnightly, weekly
):
    agreement_confirm(enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    manager = factories.ManagerFactory()
    # Both open the page on version 1: the coach skips 21 October, then the manager moves it all to Thursdays.
    agreement_confirm(
        enrolment=enrolment,
        meeting=fortnightly,
        unavailable=[dt.date(2025, 10, 21)],
        user=enrolment.coach,
        now=ON_SESSION_1,
        version=1,
    )
    coach_agreed = agreed_starts(enrolment)
    with pytest.raises(StaleEdit):
        agreement_confirm(
            enrolment=enrolment, meeting=weekly, unavailable=[], user=manager, now=ON_SESSION_1, version=1
        )
    assert saved_agreement(enrolment) == (fortnightly.pk, enrolment.coach.pk, ["2025-10-21"], 2)
    assert agreed_starts(enrolment) == coach_agreed
    assert SessionChange.objects.filter(changed_by=manager).count() == 0


def test_agreement_confirm_on_the_version_saved_now_replaces_it_and_bumps_the_version(enrolment, fortnightly, weekly):
    manager = factories.ManagerFactory()
    agreement_confirm(
        enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1, version=0
    )
    agreement = agreement_confirm(
        enrolment=enrolment, meeting=weekly, unavailable=[], user=manager, now=ON_SESSION_1, version=1
    )
    assert (agreement.meeting, agreement.agreed_by, agreement.version) == (weekly, manager, 2)
    assert saved_agreement(enrolment) == (weekly.pk, manager.pk, [], 2)
    assert agreed_starts(enrolment)[2] == "Thu 02 Oct 2025 14:00 BST"


def test_agreement_confirm_without_a_version_is_the_apps_own_step_and_never_refused(enrolment, fortnightly):
    agreement_confirm(enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    CoachingAgreement.objects.filter(enrolment=enrolment).update(version=7)  # edited seven times since
    agreement = agreement_confirm(
        enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1
    )
    assert (agreement.version, saved_agreement(enrolment)[3]) == (8, 8)


def test_agreement_confirm_of_a_first_agreement_added_in_the_admin_meanwhile_is_refused(
    enrolment, fortnightly, monkeypatch
):
    """The admin does not take the enrolment's lock: an agreement it inserts between the check and
    the insert is caught by the one-agreement-per-enrolment rule and refused as stale, not a 500.
    (Here the "admin" row is written inside the confirm's transaction, so it is rolled back with it.)"""
    from coaching.services import agreement as service

    real_propose = service.agreement_propose

    def admin_adds_one_meanwhile(**kwargs):
        if not CoachingAgreement.objects.filter(enrolment=enrolment).exists():
            factories.CoachingAgreementFactory(enrolment=enrolment, meeting=fortnightly)
        return real_propose(**kwargs)

    monkeypatch.setattr(service, "agreement_propose", admin_adds_one_meanwhile)
    with pytest.raises(StaleEdit):
        agreement_confirm(
            enrolment=enrolment, meeting=fortnightly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1, version=0
        )
    assert agreed_starts(enrolment) == {}


@pytest.mark.django_db(transaction=True)
def test_two_people_confirming_the_first_agreement_at_the_same_moment_exactly_one_wins(enrolment, fortnightly, weekly):
    """Two threads, each with its own PostgreSQL connection, both started before either can take
    the enrolment's lock (held here until both wait on it): one agrees, the other is refused."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: SQLite runs one writer at a time")
    manager = factories.ManagerFactory(username="helen")
    people = {"coach": (enrolment.coach, fortnightly), "manager": (manager, weekly)}
    agreed, refused, errors = [], [], []

    def confirm(name: str) -> None:
        user, meeting = people[name]
        try:
            agreement_confirm(
                enrolment=Enrolment.objects.get(pk=enrolment.pk),
                meeting=meeting,
                unavailable=[],
                user=user,
                now=ON_SESSION_1,
                version=0,  # both pages opened before anything was agreed
            )
            agreed.append(name)
        except StaleEdit:
            refused.append(name)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def waiting_on_the_enrolment_lock() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # pg_stat_activity is read once per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                ['SELECT %"programmes_enrolment"%FOR UPDATE%'],
            )
            return cursor.fetchone()[0]

    threads = [threading.Thread(target=confirm, args=(name,)) for name in people]
    with transaction.atomic():
        Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        for thread in threads:
            thread.start()
        wait_until(lambda: waiting_on_the_enrolment_lock() == 2, what="both confirms to wait on the enrolment")
    for thread in threads:
        thread.join(timeout=30)
    assert (errors, len(agreed), len(refused)) == ([], 1, 1)
    winner, meeting = people[agreed[0]]
    assert saved_agreement(enrolment) == (meeting.pk, winner.pk, [], 1)
    assert {s.agreed_start.astimezone(LONDON).strftime("%a") for s in enrolment.sessions.filter(number__gt=1)} == {
        meeting.get_weekday_display()[:3]
    }


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
