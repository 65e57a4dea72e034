"""The reminder sweep: every rule with its boundaries, who gets what, exactly once, and its queries."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coaching.models import Digest, DigestKind, Reminder, ReminderKind, ReminderStatus
from coaching.selectors.reminders import STALE_SENDING_AFTER, PlannedReminder
from coaching.services.reminders import INTERRUPTED_ERROR, reminders_claim, reminders_sweep
from programmes.models import EnrolmentStatus, Session
from programmes.services import session_record_held
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
    # A: 7 overdue and escalated; B: 2-7 overdue and escalated, slots, and its long wait to first coaching
    assert len(first.reminders) == 16
    assert second.reminders == []
    # One email per person: the coach's 8 (overdue and slots), the manager's 7 escalations and B's wait.
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mailoutbox) == [
        ("helen@example.nhs.uk", "8 reminders for Tuesday 30 December"),
        ("rachel@example.nhs.uk", "8 reminders for Tuesday 30 December"),
    ]
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 16
    assert sorted(first.reminder_ids) == sorted(Reminder.objects.values_list("pk", flat=True))
    assert (len(first.digest_ids), second.digest_ids) == (2, [])


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
def test_reminder_claimed_but_never_put_in_a_digest_goes_in_the_next_sweeps(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    """A claim whose sweep stopped before its digest (or from before digests) is not left pending forever."""
    _, sessions = programme.enrol(held_through=6)
    reminder = factories.ReminderFactory(session=sessions[7], recipient=programme.coach, kind=OVERDUE)
    Reminder.objects.filter(pk=reminder.pk).update(created_at=dt.datetime(2025, 12, 16, 8, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=dt.datetime(2025, 12, 17, 8, tzinfo=dt.UTC))
    assert (result.reminders, result.requeued, len(result.digest_ids)) == ([], [], 1)
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.digest_id) == (ReminderStatus.SENT, result.digest_ids[0])


def pending_digest(programme, *, created_at: dt.datetime | None = None, **fields) -> Digest:
    """Rachel's daily digest of 17 December carrying session 7's overdue reminder, as a sweep claimed it."""
    _, sessions = programme.enrol(held_through=6)
    digest = Digest.objects.create(recipient=programme.coach, kind=DigestKind.DAILY, period=dt.date(2025, 12, 17))
    factories.ReminderFactory(session=sessions[7], recipient=programme.coach, kind=OVERDUE, digest=digest)
    Digest.objects.filter(pk=digest.pk).update(created_at=created_at or timezone.now(), **fields)
    digest.refresh_from_db()
    return digest


@pytest.mark.django_db
def test_stale_pending_digest_is_queued_again_by_the_next_sweep(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    """A digest whose task was lost (broker down at the time) is not left pending forever."""
    digest = pending_digest(programme, created_at=dt.datetime(2025, 12, 17, 8, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=dt.datetime(2025, 12, 17, 11, tzinfo=dt.UTC))
    assert (result.reminders, result.requeued) == ([], [digest.pk])
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    assert list(Reminder.objects.values_list("status", flat=True)) == [ReminderStatus.SENT]


@pytest.mark.django_db
def test_fresh_pending_digest_is_left_to_its_task(programme, django_capture_on_commit_callbacks):
    pending_digest(programme)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 17))
    assert (result.requeued, result.digest_ids, len(callbacks)) == ([], [], 0)


CLAIMED_AT = dt.datetime(2025, 12, 17, 8, 0, tzinfo=dt.UTC)


def sending_digest(programme) -> Digest:
    """A digest whose send a task claimed at CLAIMED_AT and never finished (its worker died mid-send)."""
    return pending_digest(
        programme,
        created_at=CLAIMED_AT,
        status=ReminderStatus.SENDING,
        sending_since=CLAIMED_AT,
        claim="0b7c3f5e-8a4d-4c1e-9f2a-6d5e4c3b2a10",
        attempts=1,
    )


@pytest.mark.django_db
def test_sweep_leaves_a_digest_sending_within_the_send_bound_to_its_task(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    digest = sending_digest(programme)
    within = CLAIMED_AT + STALE_SENDING_AFTER  # not older than the bound yet
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=within)
    assert (result.requeued, len(callbacks), mailoutbox) == ([], 0, [])
    digest.refresh_from_db()
    assert (digest.status, digest.claim is not None, digest.attempts) == (ReminderStatus.SENDING, True, 1)


@pytest.mark.django_db
def test_sweep_sends_again_once_a_digest_left_sending_past_the_send_bound(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    digest = sending_digest(programme)
    past = CLAIMED_AT + STALE_SENDING_AFTER + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks() as callbacks:
        result = reminders_sweep(today=dt.date(2025, 12, 17), now=past)
    # Put back to pending, saying why, and queued again once.
    assert (result.reminders, result.requeued, len(callbacks)) == ([], [digest.pk], 1)
    digest.refresh_from_db()
    assert (digest.status, digest.claim, digest.sending_since, digest.error) == (
        ReminderStatus.PENDING,
        None,
        None,
        INTERRUPTED_ERROR,
    )
    callbacks[0]()  # the queued send (eager here)
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, digest.error) == (ReminderStatus.SENT, 2, "")
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    assert list(Reminder.objects.values_list("status", flat=True)) == [ReminderStatus.SENT]
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
    # Dry run: one SELECT per rule (overdue, escalation, slipping, slots not agreed, upcoming, first coaching,
    # and huddles stopped: its teams with a physical board, none here, so no check-ins read). Sweep: the same,
    # and for the one rule with a batch, SAVEPOINT + INSERT ... RETURNING + RELEASE; the digests (SAVEPOINT,
    # who waits, INSERT ... RETURNING, SELECT ... FOR UPDATE, UPDATE, RELEASE), then the SELECT of digests left
    # behind (stale pending or sending).
    assert len(small) == (7 if dry_run else 7 + 3 + 6 + 1)


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
    assert len(large) == len(small) == 7 + 3 + 6 + 1
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
def test_two_sweeps_in_parallel_threads_send_one_digest_per_person_and_each_reminder_once(
    programme, mailoutbox, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    monkeypatch.setattr("coaching.selectors.reminders.BATCH_SIZE", 7)  # several batches, so the sweeps interleave
    for _ in range(6):
        programme.enrol(held_through=6)
        programme.enrol(held_through=1, agreement=False)
    today = dt.date(2025, 12, 30)
    expected = len(reminders_sweep(today=today, dry_run=True).reminders)
    assert expected == 6 * 2 + 6 * 13 + 6  # the last 6: each session-1-only team's long wait to first coaching

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
    # One email per person that day, whichever sweep claimed which of their reminders.
    assert sorted(m.to[0] for m in mailoutbox) == ["helen@example.nhs.uk", "rachel@example.nhs.uk"]
    assert Digest.objects.filter(period=today).count() == 2
    sent = Reminder.objects.filter(status=ReminderStatus.SENT).count()
    # Any claimed after its person's digest went out waits, in no digest, for the next day's.
    waiting = Reminder.objects.filter(status=ReminderStatus.PENDING, digest__isnull=True).count()
    assert sent + waiting == expected
    assert sum(int(m.subject.split()[0]) if m.subject[0].isdigit() else 1 for m in mailoutbox) == sent
    mail_before = len(mailoutbox)
    reminders_sweep(today=today + dt.timedelta(days=1))  # committed: its sends run at once (eager)
    assert len(mailoutbox) - mail_before == len(
        {
            r
            for r in Reminder.objects.filter(
                sent_at__isnull=False, digest__period=today + dt.timedelta(days=1)
            ).values_list("recipient_id", flat=True)
        }
    )
    assert Reminder.objects.exclude(status=ReminderStatus.SENT).count() == 0


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


# --- (e) a long wait to first coaching -> the improvement manager --------------------------------------


def _first_coaching(today: dt.date) -> list[tuple[str, str, int, str]]:
    return [k for k in due(today) if k[0] == ReminderKind.FIRST_COACHING]


@pytest.mark.django_db
def test_first_coaching_wait_over_the_limit_goes_to_the_manager_once(
    programme, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.QMS_FIRST_COACHING_WAIT_DAYS = 21
    programme.enrol(held_through=1, team_name="Waiting")  # session 1 held Monday 22 September 2025
    programme.enrol(held_through=2, team_name="Coached")  # its first coaching session held
    programme.enrol(held_through=0, team_name="Not started")
    assert _first_coaching(dt.date(2025, 10, 13)) == []  # 21 days: not over the limit
    assert _first_coaching(dt.date(2025, 10, 14)) == [("first_coaching", "Waiting", 1, "helen")]
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=dt.date(2025, 10, 14))
    assert _first_coaching(dt.date(2025, 10, 15)) == []  # once per team
    (reminder,) = Reminder.objects.filter(kind=ReminderKind.FIRST_COACHING)
    assert (reminder.recipient.username, reminder.status) == ("helen", ReminderStatus.SENT)
    (to_manager,) = [m for m in mailoutbox if m.to == ["helen@example.nhs.uk"]]
    assert "Waiting" in to_manager.body and "no coaching session held for 22 days" in to_manager.body


@pytest.mark.django_db
def test_first_coaching_wait_follows_the_setting_and_is_measured_from_stored_progress(programme, settings):
    settings.QMS_FIRST_COACHING_WAIT_DAYS = 30
    _, sessions = programme.enrol(held_through=1, team_name="Waiting")
    assert _first_coaching(dt.date(2025, 10, 22)) == []
    assert _first_coaching(dt.date(2025, 10, 23)) == [("first_coaching", "Waiting", 1, "helen")]
    # The first coaching session held (through the service, which keeps the stored progress): no escalation.
    second = sessions[2]
    second.refresh_from_db()
    session_record_held(
        session=second,
        version=second.version,
        held_on=dt.date(2025, 10, 20),
        attendees=5,
        notes="",
        today=dt.date(2025, 10, 23),
    )
    assert _first_coaching(dt.date(2025, 10, 23)) == []
