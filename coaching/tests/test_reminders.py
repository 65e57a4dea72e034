"""The reminder sweep: every rule with its boundaries, who gets what, exactly once, and its queries."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coaching.models import Reminder, ReminderKind, ReminderStatus
from coaching.selectors.reminders import STALE_SENDING_AFTER, PlannedReminder
from coaching.services.reminders import INTERRUPTED_ERROR, reminders_claim, reminders_sweep
from programmes.models import EnrolmentStatus, Session
from tests import factories

OVERDUE, ESCALATION = ReminderKind.OVERDUE, ReminderKind.ESCALATION
SLOTS, UPCOMING = ReminderKind.SLOTS_NOT_AGREED, ReminderKind.UPCOMING


def due(today: dt.date) -> list[tuple[str, str, int, str]]:
    """What a dry run finds: (kind, team, session number, recipient username), in sweep order."""
    return [key(p) for p in reminders_sweep(today=today, dry_run=True).reminders]


def key(p: PlannedReminder) -> tuple[str, str, int, str]:
    return (p.kind.value, p.session.enrolment.team.name, p.session.number, p.recipient.username)


def rows() -> list[tuple[str, int, str, dt.date, str]]:
    return sorted(
        (r.kind, r.session.number, r.recipient.username, r.due_date, r.status)
        for r in Reminder.objects.select_related("session", "recipient")
    )


# --- (a) overdue -> the coach -------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_reminder_starts_the_day_after_due_date_plus_grace(programme):
    # Sessions 1-6 held; the 12-week review (7) was due on Monday 8 December, grace 7 days.
    programme.enrol(held_through=6, team_name="PRH education")
    assert due(dt.date(2025, 12, 15)) == []
    assert due(dt.date(2025, 12, 16)) == [("overdue", "PRH education", 7, "rachel")]


@pytest.mark.django_db
def test_overdue_follows_the_grace_setting(programme, settings):
    settings.QMS_SESSION_GRACE_DAYS = 0
    _, sessions = programme.enrol(held_through=6, team_name="PRH education")
    Session.objects.filter(pk=sessions[7].pk).update(agreed_start=dt.datetime(2025, 12, 8, 10, tzinfo=dt.UTC))
    assert due(dt.date(2025, 12, 8)) == []
    assert due(dt.date(2025, 12, 9)) == [("overdue", "PRH education", 7, "rachel")]


@pytest.mark.django_db
def test_held_and_cancelled_sessions_get_no_overdue_reminder(programme):
    _, sessions = programme.enrol(held_through=6, team_name="Held")
    Session.objects.filter(pk=sessions[7].pk).update(held_on=dt.date(2025, 12, 20))
    _, sessions = programme.enrol(held_through=6, team_name="Cancelled")
    Session.objects.filter(pk=sessions[7].pk).update(cancelled=True, cancelled_reason="Merged with session 8")
    # 31 December: past both the overdue and the escalation dates of session 7.
    assert due(dt.date(2025, 12, 31)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.COMPLETED])
def test_withdrawn_and_completed_teams_get_no_reminders(programme, status):
    programme.enrol(held_through=1, agreement=False, status=status)
    # Every rule would fire for an active team on this date (see the next test).
    assert due(dt.date(2025, 12, 31)) == []


@pytest.mark.django_db
def test_planned_team_gets_every_kind_of_reminder(programme):
    programme.enrol(held_through=1, agreement=False, status=EnrolmentStatus.PLANNED, team_name="Planned team")
    found = due(dt.date(2025, 10, 13))
    # Session 2 (29 Sep) overdue since 7 Oct; session 3 due today; session 1 held without an agreement.
    assert found == [
        ("overdue", "Planned team", 2, "rachel"),
        ("slots_not_agreed", "Planned team", 1, "rachel"),
        ("upcoming", "Planned team", 3, "rachel"),
    ]


@pytest.mark.django_db
def test_overdue_with_no_coach_goes_to_the_improvement_manager(programme):
    programme.enrol(held_through=6, coach=None, team_name="Coachless")
    result = reminders_sweep(today=dt.date(2025, 12, 16), dry_run=True)
    assert [key(p) for p in result.reminders] == [("overdue", "Coachless", 7, "helen")]
    site = result.reminders[0].session.enrolment.team.site.code
    assert result.reminders[0].describe() == (
        f'Session overdue: Coachless ({site}), session 7 "12-week review" due 2025-12-08, 1 day overdue '
        "-> Helen Morris (helen), no coach assigned"
    )


# --- (b) escalation -> the improvement manager ----------------------------------------------------


@pytest.mark.django_db
def test_escalation_after_escalation_days_overdue(programme):
    programme.enrol(held_through=6, team_name="PRH education")
    # Overdue from 16 December (1 day overdue); on 29 December, 14 days overdue, the manager hears of it.
    assert due(dt.date(2025, 12, 28)) == [("overdue", "PRH education", 7, "rachel")]
    assert due(dt.date(2025, 12, 29)) == [
        ("overdue", "PRH education", 7, "rachel"),
        ("escalation", "PRH education", 7, "helen"),
    ]


@pytest.mark.django_db
def test_escalation_follows_the_setting(programme, settings):
    settings.QMS_ESCALATION_DAYS = 3
    programme.enrol(held_through=6, team_name="PRH education")
    assert due(dt.date(2025, 12, 17)) == [("overdue", "PRH education", 7, "rachel")]
    assert due(dt.date(2025, 12, 18))[-1] == ("escalation", "PRH education", 7, "helen")


@pytest.mark.django_db
def test_each_reminder_is_sent_once_across_daily_sweeps(programme, mailoutbox, django_capture_on_commit_callbacks):
    enrolment, _ = programme.enrol(held_through=6, team_name="PRH education")
    site = enrolment.team.site.code
    day = dt.date(2025, 12, 16)
    sent_per_day = []
    while day <= dt.date(2026, 1, 2):  # until session 8's upcoming window opens
        with django_capture_on_commit_callbacks(execute=True):
            sent_per_day.append((day, len(reminders_sweep(today=day).reminders)))
        day += dt.timedelta(days=1)
    assert [(d, n) for d, n in sent_per_day if n] == [(dt.date(2025, 12, 16), 1), (dt.date(2025, 12, 29), 1)]
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["rachel@example.nhs.uk"], f"Session 7 for PRH education ({site}) is 1 day overdue"),
        (["helen@example.nhs.uk"], f"Still overdue: session 7 for PRH education ({site}), 14 days overdue"),
    ]
    assert rows() == [
        ("escalation", 7, "helen", dt.date(2025, 12, 8), "sent"),
        ("overdue", 7, "rachel", dt.date(2025, 12, 8), "sent"),
    ]


# --- (c) session 1 held, no coaching agreement ----------------------------------------------------


@pytest.mark.django_db
def test_slots_not_agreed_two_days_after_session_1(programme):
    programme.enrol(held_through=1, agreement=False, team_name="No slots")
    assert due(dt.date(2025, 9, 23)) == []
    assert due(dt.date(2025, 9, 24)) == [("slots_not_agreed", "No slots", 1, "rachel")]


@pytest.mark.django_db
def test_slots_not_agreed_not_sent_with_an_agreement_or_before_session_1_is_held(programme):
    programme.enrol(held_through=1, agreement=True, team_name="Agreed")
    programme.enrol(held_through=0, agreement=False, team_name="Session 1 not held")
    assert due(dt.date(2025, 9, 24)) == []


# --- (d) upcoming with no agreed time ---------------------------------------------------------------


@pytest.mark.django_db
def test_upcoming_session_without_agreed_time_two_days_ahead(programme):
    # Session 2 due Monday 29 September.
    programme.enrol(held_through=1, team_name="Upcoming")
    assert due(dt.date(2025, 9, 26)) == []
    assert due(dt.date(2025, 9, 27)) == [("upcoming", "Upcoming", 2, "rachel")]
    assert due(dt.date(2025, 9, 29)) == [("upcoming", "Upcoming", 2, "rachel")]
    assert due(dt.date(2025, 9, 30)) == []  # past due: the overdue rule takes over after the grace


@pytest.mark.django_db
def test_upcoming_session_with_agreed_time_gets_no_reminder(programme):
    _, sessions = programme.enrol(held_through=1, team_name="Agreed time")
    Session.objects.filter(pk=sessions[2].pk).update(agreed_start=dt.datetime(2025, 9, 30, 9, tzinfo=dt.UTC))
    assert due(dt.date(2025, 9, 27)) == []


# --- Who, and once per due date ---------------------------------------------------------------------


@pytest.mark.django_db
def test_new_coach_is_reminded_and_the_old_one_not_again(programme, django_capture_on_commit_callbacks):
    enrolment, _ = programme.enrol(held_through=6, team_name="PRH education")
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=dt.date(2025, 12, 16))
    enrolment.coach = factories.CoachFactory(username="tom")
    enrolment.save()
    assert due(dt.date(2025, 12, 17)) == [("overdue", "PRH education", 7, "tom")]


@pytest.mark.django_db
def test_moved_due_date_is_a_new_reminder(programme, django_capture_on_commit_callbacks):
    _, sessions = programme.enrol(held_through=6, team_name="PRH education")
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=dt.date(2025, 12, 16))
    Session.objects.filter(pk=sessions[7].pk).update(due_date=dt.date(2025, 12, 10))
    assert due(dt.date(2025, 12, 17)) == []
    assert due(dt.date(2025, 12, 18)) == [("overdue", "PRH education", 7, "rachel")]


@pytest.mark.django_db
def test_dry_run_records_and_sends_nothing(programme, mailoutbox, django_capture_on_commit_callbacks):
    programme.enrol(held_through=6)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 30), dry_run=True)
    assert len(result.reminders) == 2
    assert (Reminder.objects.count(), len(mailoutbox), len(callbacks)) == (0, 0, 0)


@pytest.mark.django_db
def test_sweep_twice_sends_each_email_once(programme, mailoutbox, django_capture_on_commit_callbacks):
    programme.enrol(held_through=6, team_name="A")
    programme.enrol(held_through=1, agreement=False, team_name="B")
    today = dt.date(2025, 12, 30)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders_sweep(today=today)
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders_sweep(today=today)
    assert len(first.reminders) == 15  # A: 7 overdue and escalated; B: 2-7 overdue and escalated, slots
    assert second.reminders == []
    assert len(mailoutbox) == 15
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 15
    assert sorted(first.reminder_ids) == sorted(Reminder.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_sweep_claims_rows_already_taken_by_another_sweep_only_once(programme, django_capture_on_commit_callbacks):
    """Between our read and our insert, another sweep claimed one of the reminders: we skip it."""
    _, sessions = programme.enrol(held_through=6)
    today = dt.date(2025, 12, 30)
    planned = reminders_sweep(today=today, dry_run=True).reminders
    # The other sweep's row for the escalation, inserted "concurrently".
    escalation = next(p for p in planned if p.kind == ESCALATION)
    Reminder.objects.create(
        session=escalation.session, recipient=escalation.recipient, kind=ESCALATION, due_date=escalation.due_date
    )
    claimed = reminders_claim(planned=planned, now=dt.datetime(2025, 12, 30, 8, tzinfo=dt.UTC))
    assert set(claimed) == {(sessions[7].pk, programme.coach.pk, "overdue")}


@pytest.mark.django_db
def test_stale_pending_reminder_is_queued_again_by_the_next_sweep(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    """A claim whose task was lost (broker down at the time) is not left pending forever."""
    _, sessions = programme.enrol(held_through=6)
    reminder = factories.ReminderFactory(session=sessions[7], recipient=programme.coach, kind=OVERDUE)
    Reminder.objects.filter(pk=reminder.pk).update(created_at=dt.datetime(2025, 12, 16, 8, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=dt.datetime(2025, 12, 17, 8, tzinfo=dt.UTC))
    assert (result.reminders, result.requeued) == ([], [reminder.pk])
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT


@pytest.mark.django_db
def test_fresh_pending_reminder_is_left_to_its_task(programme, django_capture_on_commit_callbacks):
    _, sessions = programme.enrol(held_through=6)
    factories.ReminderFactory(session=sessions[7], recipient=programme.coach, kind=OVERDUE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 17))
    assert (result.requeued, len(callbacks)) == ([], 0)


CLAIMED_AT = dt.datetime(2025, 12, 17, 8, 0, tzinfo=dt.UTC)


def sending_reminder(programme) -> Reminder:
    """A reminder whose send a task claimed at CLAIMED_AT and never finished (its worker died mid-send)."""
    _, sessions = programme.enrol(held_through=6)
    return factories.ReminderFactory(
        session=sessions[7],
        recipient=programme.coach,
        kind=OVERDUE,
        status=ReminderStatus.SENDING,
        sending_since=CLAIMED_AT,
        claim="0b7c3f5e-8a4d-4c1e-9f2a-6d5e4c3b2a10",
        attempts=1,
    )


@pytest.mark.django_db
def test_sweep_leaves_a_reminder_sending_within_the_send_bound_to_its_task(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    reminder = sending_reminder(programme)
    within = CLAIMED_AT + STALE_SENDING_AFTER  # not older than the bound yet
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=within)
    assert (result.requeued, len(callbacks), mailoutbox) == ([], 0, [])
    reminder.refresh_from_db()
    assert (reminder.status, reminder.claim is not None, reminder.attempts) == (ReminderStatus.SENDING, True, 1)


@pytest.mark.django_db
def test_sweep_sends_again_once_a_reminder_left_sending_past_the_send_bound(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    reminder = sending_reminder(programme)
    past = CLAIMED_AT + STALE_SENDING_AFTER + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks() as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=past)
    # Put back to pending, saying why, and queued again once.
    assert (result.reminders, result.requeued, len(callbacks)) == ([], [reminder.pk], 1)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.claim, reminder.sending_since, reminder.error) == (
        ReminderStatus.PENDING,
        None,
        None,
        INTERRUPTED_ERROR,
    )
    callbacks[0]()  # the queued send (eager here)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.error) == (ReminderStatus.SENT, 2, "")
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    # The next sweep finds nothing left behind.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert reminders_sweep(today=dt.date(2025, 12, 17), now=past).requeued == []
    assert len(callbacks) == 0


# --- Queries ---------------------------------------------------------------------------------------


def _sweep_queries(today: dt.date, *, dry_run: bool) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        reminders_sweep(today=today, dry_run=dry_run)
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_sweep_queries_do_not_grow_with_sessions_needing_no_reminder(programme, dry_run):
    today = dt.date(2025, 12, 16)
    programme.enrol(held_through=6, team_name="Overdue")
    for _ in range(2):
        programme.enrol(held_through=6, status=EnrolmentStatus.COMPLETED)
    small = _sweep_queries(today, dry_run=dry_run)
    Reminder.objects.all().delete()
    for _ in range(12):  # 120 more sessions, none needing a reminder
        programme.enrol(held_through=10)
        programme.enrol(held_through=6, status=EnrolmentStatus.WITHDRAWN)
    large = _sweep_queries(today, dry_run=dry_run)
    assert len(large) == len(small)
    # Dry run: one SELECT per rule (overdue, escalation, slipping, slots not agreed, upcoming). Sweep: the same,
    # and for the one rule with a batch, SAVEPOINT + INSERT ... RETURNING + RELEASE, then the SELECT
    # of reminders left behind (stale pending or sending).
    assert len(small) == (5 if dry_run else 5 + 3 + 1)


@pytest.mark.django_db
def test_sweep_queries_per_batch_not_per_session(programme, monkeypatch):
    monkeypatch.setattr("coaching.selectors.reminders.BATCH_SIZE", 10)
    today = dt.date(2025, 12, 16)
    for _ in range(3):
        programme.enrol(held_through=6)  # 3 overdue sessions: one batch
    small = _sweep_queries(today, dry_run=False)
    Reminder.objects.all().delete()
    for _ in range(6):
        programme.enrol(held_through=6)  # 9 overdue: still one batch
    large = _sweep_queries(today, dry_run=False)
    assert len(large) == len(small) == 5 + 3 + 1
    assert Reminder.objects.count() == 9


@pytest.mark.django_db
def test_sweep_reads_in_batches(programme, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("coaching.selectors.reminders.BATCH_SIZE", 2)
    for _ in range(5):
        programme.enrol(held_through=6)
    with django_capture_on_commit_callbacks(execute=False):
        result = reminders_sweep(today=dt.date(2025, 12, 16))
    assert len(result.reminders) == len(set(result.reminder_ids)) == Reminder.objects.count() == 5


# --- Two sweeps at once, on PostgreSQL ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_parallel_threads_send_each_email_once(programme, mailoutbox, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    monkeypatch.setattr("coaching.selectors.reminders.BATCH_SIZE", 7)  # several batches, so the sweeps interleave
    for _ in range(6):
        programme.enrol(held_through=6)
        programme.enrol(held_through=1, agreement=False)
    today = dt.date(2025, 12, 30)
    expected = len(reminders_sweep(today=today, dry_run=True).reminders)
    assert expected == 6 * 2 + 6 * 13

    start = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            start.wait(timeout=10)
            results.append(reminders_sweep(today=today))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    claimed = [set(r.reminder_ids) for r in results]
    assert claimed[0].isdisjoint(claimed[1])
    assert len(claimed[0] | claimed[1]) == expected
    assert len(mailoutbox) == expected
    assert len({(tuple(m.to), m.subject) for m in mailoutbox}) == expected
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == expected


# --- The overdue rule counts from the agreed time; slipping tells the manager once ----------------


def review_due(today: dt.date) -> list[tuple[str, str, int, str]]:
    """What a dry run finds for the 12-week review (session 7) only."""
    return [k for k in due(today) if k[2] == 7]


@pytest.mark.django_db
def test_agreed_start_past_due_plus_grace_delays_overdue_and_escalation_and_tells_the_manager_once(programme):
    # The review (7) was due on Monday 8 December; agreed for Monday 12 January, 35 days later.
    _, sessions = programme.enrol(held_through=6, team_name="PRH education")
    review = sessions[7]
    Session.objects.filter(pk=review.pk).update(agreed_start=dt.datetime(2026, 1, 12, 10, tzinfo=dt.UTC))
    # Slipping from the day it is agreed: the manager hears once; no overdue reminder to the coach.
    assert review_due(dt.date(2025, 12, 16)) == [("slipping", "PRH education", 7, "helen")]
    reminders_sweep(today=dt.date(2025, 12, 16))
    assert review_due(dt.date(2025, 12, 17)) == []
    assert review_due(dt.date(2026, 1, 19)) == []  # the last day of grace after the agreed day
    assert review_due(dt.date(2026, 1, 20)) == [("overdue", "PRH education", 7, "rachel")]  # 1 day overdue
    assert review_due(dt.date(2026, 2, 1)) == [("overdue", "PRH education", 7, "rachel")]  # 13 days overdue
    assert review_due(dt.date(2026, 2, 2))[-1] == ("escalation", "PRH education", 7, "helen")  # 14 days overdue
    review.refresh_from_db()
    assert review.days_overdue(dt.date(2026, 2, 2)) == 14


@pytest.mark.django_db
def test_agreed_within_grace_is_not_slipping(programme):
    _, sessions = programme.enrol(held_through=6, team_name="PRH education")
    # 15 December: the last day of the 7 days' grace after the due date, 8 December.
    Session.objects.filter(pk=sessions[7].pk).update(agreed_start=dt.datetime(2025, 12, 15, 10, tzinfo=dt.UTC))
    assert review_due(dt.date(2025, 12, 10)) == []
    assert review_due(dt.date(2025, 12, 23)) == [("overdue", "PRH education", 7, "rachel")]
