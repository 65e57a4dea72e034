"""Digests: one reminder email per person per day listing all their items, and one weekly digest per
improvement manager, each claimed once per period (in parallel and on a real worker too), their
contents, sending a failed one again from the Reminders page, and the sweep's queries."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coaching.models import Digest, DigestKind, Reminder, ReminderKind, ReminderStatus
from coaching.selectors import reminder_counts
from coaching.selectors.digests import digest_for_sending
from coaching.services import reminders_sweep, weekly_digests_sweep
from coaching.services.digests import DIGESTS
from coaching.tasks import sweep_reminders, sweep_weekly_digests
from conftest import PERSONAS
from programmes.models import Session
from qms_site.celery import app
from tests import factories
from tests.helpers import MANAGERS_ONLY, persona_request

from .test_tasks import real_worker  # noqa: F401 - the real Celery worker fixture

DAY = dt.date(2025, 12, 16)  # session 7 (the 12-week review, due 8 December) is 1 day overdue
MONDAY = dt.date(2025, 12, 15)
TEAMS = [f"Ward {n}" for n in range(1, 9)]


def sweep(today: dt.date, callbacks):
    with callbacks(execute=True):
        return reminders_sweep(today=today)


# --- Daily: one email per person, listing every item ---------------------------------------------


@pytest.mark.django_db
def test_coach_with_8_overdue_items_gets_one_email_listing_all_8(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    for name in TEAMS:
        programme.enrol(held_through=6, team_name=name)
    result = sweep(DAY, django_capture_on_commit_callbacks)
    assert len(result.reminders) == 8
    (message,) = mailoutbox
    assert message.to == ["rachel@example.nhs.uk"]
    assert message.subject == "8 reminders for Tuesday 16 December: 8 overdue"
    assert "You have 8 reminders from QMS Coach for Tuesday 16 December 2025 (8 overdue)." in message.body
    assert "Session overdue (8)" in message.body
    lines = [line for line in message.body.splitlines() if line.startswith("- ")]
    assert len(lines) == 8
    for name in TEAMS:
        assert any(line.startswith(f"- {name} (") and 'session 7 "12-week review"' in line for line in lines), name
    assert all(line.endswith("due 8 Dec 2025: 1 day overdue") for line in lines)
    html = message.alternatives[0][0]
    assert all(f"<strong>{name}</strong>" in html for name in TEAMS)
    digest = Digest.objects.get()
    assert (digest.recipient, digest.kind, digest.period, digest.status) == (
        programme.coach,
        DigestKind.DAILY,
        DAY,
        ReminderStatus.SENT,
    )
    assert set(Reminder.objects.values_list("status", "digest")) == {(ReminderStatus.SENT, digest.pk)}


@pytest.mark.django_db
def test_coach_and_manager_each_get_one_email_a_day(programme, mailoutbox, django_capture_on_commit_callbacks):
    programme.enrol(held_through=6, team_name="Ward 1")
    programme.enrol(held_through=6, team_name="Ward 2")
    programme.enrol(held_through=6, team_name="Coachless", coach=None)
    sweep(dt.date(2025, 12, 29), django_capture_on_commit_callbacks)  # 14 days overdue: escalated too
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert len(mailoutbox) == 2
    assert subjects == {
        "rachel@example.nhs.uk": "2 reminders for Monday 29 December: 2 overdue",
        # The coachless team's overdue session, and the three escalations.
        "helen@example.nhs.uk": "4 reminders for Monday 29 December: 1 overdue, 3 escalated",
    }
    (helen,) = [m for m in mailoutbox if m.to == ["helen@example.nhs.uk"]]
    assert "(no coach assigned in Autumn 2025 test bed)" in helen.body


@pytest.mark.django_db
def test_items_claimed_after_the_days_digest_went_wait_for_the_next_days(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    programme.enrol(held_through=6, team_name="Ward 1")
    first = sweep(DAY, django_capture_on_commit_callbacks)
    assert (len(first.reminders), len(mailoutbox)) == (1, 1)
    # Later that day another team turns out overdue, and the sweep runs again.
    programme.enrol(held_through=6, team_name="Ward 2")
    second = sweep(DAY, django_capture_on_commit_callbacks)
    assert (len(second.reminders), second.digest_ids, len(mailoutbox)) == (1, [], 1)  # claimed, not sent today
    waiting = Reminder.objects.get(pk=second.reminder_ids[0])
    assert (waiting.status, waiting.digest) == (ReminderStatus.PENDING, None)
    # The next day's digest carries it, and only it.
    third = sweep(DAY + dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert (third.reminders, len(third.digest_ids)) == ([], 1)
    assert [m.subject.split(" (")[0] for m in mailoutbox] == ["Session 7 for Ward 1", "Session 7 for Ward 2"]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.digest.period) == (ReminderStatus.SENT, DAY + dt.timedelta(days=1))
    assert Digest.objects.count() == 2


@pytest.mark.django_db
def test_reminder_attached_after_the_digest_was_loaded_is_let_go_for_the_next_day(programme):
    """A sweep that commits between a send's load and its send: what the email did not list stays
    unsent, out of the digest, for the next day's."""
    _, sessions = programme.enrol(held_through=6, team_name="Ward 1")
    _, others = programme.enrol(held_through=6, team_name="Ward 2")
    digest = Digest.objects.create(recipient=programme.coach, kind=DigestKind.DAILY, period=DAY)
    listed = factories.ReminderFactory(session=sessions[7], recipient=programme.coach, digest=digest)
    loaded = digest_for_sending(digest.pk)
    late = factories.ReminderFactory(session=others[7], recipient=programme.coach, digest=digest)
    DIGESTS.after_sent(loaded, dt.datetime(2025, 12, 16, 8, tzinfo=dt.UTC))
    listed.refresh_from_db()
    late.refresh_from_db()
    assert (listed.status, listed.digest_id) == (ReminderStatus.SENT, digest.pk)
    assert (late.status, late.digest_id) == (ReminderStatus.PENDING, None)


@pytest.mark.django_db
def test_digest_to_a_person_without_email_fails_and_its_reminders_show_failed(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    type(programme.coach).objects.filter(pk=programme.coach.pk).update(email="")
    programme.enrol(held_through=6, team_name="Ward 1")
    programme.enrol(held_through=6, team_name="Ward 2")
    sweep(DAY, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    digest = Digest.objects.get()
    assert (digest.status, digest.error) == (ReminderStatus.FAILED, "Rachel Evans has no email address.")
    assert reminder_counts()["failed"] == 2


# --- Two sweeps at once, on PostgreSQL -------------------------------------------------------------


def _in_parallel(fn, n: int = 2) -> list:
    start = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_weekly_sweeps_in_parallel_send_one_digest_per_manager(programme, mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    other = factories.ManagerFactory(username="omar", email="omar@example.nhs.uk")
    programme.enrol(held_through=6, team_name="Ward 1")
    factories.EnrolmentFactory(cohort=factories.CohortFactory(owner=other), coach=programme.coach)
    results = _in_parallel(lambda: weekly_digests_sweep(today=MONDAY))
    assert sorted(len(r.digest_ids) for r in results) == [0, 2]
    assert sorted(m.to[0] for m in mailoutbox) == ["helen@example.nhs.uk", "omar@example.nhs.uk"]
    assert Digest.objects.filter(kind=DigestKind.WEEKLY, status=ReminderStatus.SENT).count() == 2


# --- A real worker on a real Redis --------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_weekly_sweep_queued_twice_sends_one_digest_per_manager(programme, real_worker):  # noqa: F811
    mail.outbox = []
    other = factories.ManagerFactory(username="omar", email="omar@example.nhs.uk")
    programme.enrol(held_through=6, team_name="Ward 1")
    factories.EnrolmentFactory(cohort=factories.CohortFactory(owner=other), coach=programme.coach)
    sweep_weekly_digests.delay(MONDAY.isoformat())
    sweep_weekly_digests.delay((MONDAY + dt.timedelta(days=2)).isoformat())  # the same week

    real_worker.wait_for(lambda done: done["coaching.sweep_weekly_digests"] == 2 and done["coaching.send_claimed"] >= 2)
    real_worker.wait_for(lambda done: real_worker.queued() == 0)
    assert real_worker.done["coaching.send_claimed"] == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["helen@example.nhs.uk", "omar@example.nhs.uk"]
    assert all(m.subject.startswith("Your week in QMS Coach from Monday 15 December") for m in mail.outbox)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_two_daily_sweeps_send_one_digest_listing_8(programme, real_worker):  # noqa: F811
    mail.outbox = []
    for name in TEAMS:
        programme.enrol(held_through=6, team_name=name)
    sweep_reminders.delay(DAY.isoformat())
    sweep_reminders.delay(DAY.isoformat())
    real_worker.wait_for(lambda done: done["coaching.sweep_reminders"] == 2 and done["coaching.send_claimed"] >= 1)
    real_worker.wait_for(lambda done: real_worker.queued() == 0)
    (message,) = mail.outbox
    assert message.subject == "8 reminders for Tuesday 16 December: 8 overdue"
    assert Counter(Reminder.objects.values_list("status", flat=True)) == Counter({ReminderStatus.SENT: 8})


# --- Weekly: what it shows, once per manager per week ----------------------------------------------------


@pytest.fixture
def week_of_work(programme):
    """Helen's cohort on Monday 15 December 2025: an escalation claimed last week, a team with
    session 1 held and no slots agreed, a failed digest, and sessions this week."""
    _, sessions = programme.enrol(held_through=6, team_name="Escalated team")
    escalation = factories.ReminderFactory(
        session=sessions[7],
        recipient=programme.manager,
        kind=ReminderKind.ESCALATION,
        status=ReminderStatus.SENT,
        sent_at=dt.datetime(2025, 12, 10, 8, tzinfo=dt.UTC),
    )
    Reminder.objects.filter(pk=escalation.pk).update(created_at=dt.datetime(2025, 12, 10, 8, tzinfo=dt.UTC))
    programme.enrol(held_through=1, agreement=False, team_name="No slots team")
    _, this_week = programme.enrol(held_through=7, team_name="This week team")
    Session.objects.filter(pk=this_week[8].pk).update(
        due_date=dt.date(2025, 12, 17), agreed_start=dt.datetime(2025, 12, 18, 10, tzinfo=dt.UTC)
    )
    Digest.objects.create(
        recipient=programme.coach, kind=DigestKind.DAILY, period=dt.date(2025, 12, 12), status=ReminderStatus.FAILED
    )
    return programme


@pytest.mark.django_db
def test_weekly_digest_lists_escalations_teams_without_slots_failed_emails_and_the_weeks_sessions(
    week_of_work, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = weekly_digests_sweep(today=MONDAY)
    assert [m.username for m in result.recipients] == ["helen"]
    (message,) = mailoutbox
    assert message.to == ["helen@example.nhs.uk"]
    assert message.subject == (
        "Your week in QMS Coach from Monday 15 December: 1 escalation, 1 team without slots agreed, "
        "1 failed email, 1 session"
    )
    body = message.body
    sections = body.split("\n\n")
    escalations = next(s for s in sections if s.startswith("Escalations last week (1)"))
    assert "- Escalated team (" in escalations and 'session 7 "12-week review", due 8 Dec 2025' in escalations
    slots = next(s for s in sections if s.startswith("Teams with session 1 held and no coaching slots agreed (1)"))
    assert "- No slots team (" in slots and "session 1 held 22 Sep 2025, coach Rachel Evans" in slots
    failed = next(s for s in sections if s.startswith("Emails that could not be sent (1)"))
    assert "- 1 digest email" in failed
    week = next(s for s in sections if s.startswith("This week's sessions (1)"))
    assert "- Thu 18 Dec, 10:00: This week team (" in week
    digest = Digest.objects.get(kind=DigestKind.WEEKLY)
    assert (digest.recipient, digest.period, digest.status) == (week_of_work.manager, MONDAY, ReminderStatus.SENT)


@pytest.mark.django_db
def test_weekly_digest_once_per_manager_per_week(programme, mailoutbox, django_capture_on_commit_callbacks):
    programme.enrol(held_through=6, team_name="Ward 1")
    for day in (MONDAY, MONDAY, MONDAY + dt.timedelta(days=3), MONDAY + dt.timedelta(days=7)):
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digests_sweep(today=day)
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "Your week in QMS Coach from Monday 15 December",
        "Your week in QMS Coach from Monday 22 December",
    ]
    # A manager with no teams in the programme gets none.
    factories.ManagerFactory(username="idle")
    assert [m.username for m in weekly_digests_sweep(today=MONDAY, dry_run=True).recipients] == []


@pytest.mark.django_db(transaction=True)
def test_send_weekly_digests_command(programme, mailoutbox):
    programme.enrol(held_through=6, team_name="Ward 1")

    def run(*args):
        out = StringIO()
        call_command("send_weekly_digests", "--date", "2025-12-17", *args, stdout=out)
        return out.getvalue().splitlines()

    line = "Weekly digest for the week of 2025-12-15 -> Helen Morris (helen)"
    assert run("--dry-run") == [line, "1 weekly digests would be sent"]
    assert mailoutbox == []
    assert run() == [line, "1 weekly digests sent"]
    assert run() == ["0 weekly digests sent"]
    assert len(mailoutbox) == 1


def test_beat_runs_the_weekly_digest_on_mondays_at_eight_london_time():
    entry = app.conf.beat_schedule["weekly-digest-sweep"]
    assert entry["task"] == "coaching.sweep_weekly_digests"
    assert entry["schedule"] == crontab(hour=8, minute=0, day_of_week="mon")
    assert app.conf.timezone == "Europe/London"


# --- Sending a failed digest again, from the Reminders page ----------------------------------------------


@pytest.fixture
def failed_digest(personas) -> Digest:
    """The coach's daily digest of 16 December, carrying two reminders, failed."""
    digest = Digest.objects.create(
        recipient=personas.coach,
        kind=DigestKind.DAILY,
        period=DAY,
        status=ReminderStatus.FAILED,
        attempts=6,
        error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    for number in (7, 8):
        session = personas.enrolment.sessions.get(number=number)
        factories.ReminderFactory(session=session, recipient=personas.coach, digest=digest)
    return digest


RETRY_URL = "coaching:digest_retry"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_send_a_digest_again_is_for_managers_only(persona, personas, failed_digest, login):
    url = reverse(RETRY_URL, args=[failed_digest.pk])
    response = persona_request(login, personas, persona, url, {**MANAGERS_ONLY, "manager": 302}, method="post")
    failed_digest.refresh_from_db()
    if persona == "manager":
        assert response["Location"] == "/coaching/reminders/?status=failed"
    expected = ReminderStatus.PENDING if persona == "manager" else ReminderStatus.FAILED
    assert failed_digest.status == expected


@pytest.mark.django_db
def test_send_a_digest_again_needs_post_and_an_existing_digest(personas, failed_digest, login):
    client = login("manager", personas)
    assert client.get(reverse(RETRY_URL, args=[failed_digest.pk])).status_code == 405
    assert client.post(reverse(RETRY_URL, args=[999999])).status_code == 404


@pytest.mark.django_db
def test_reminders_page_shows_the_failed_digest_with_its_reminders_and_sends_it_again(
    personas, failed_digest, login, mailoutbox, django_capture_on_commit_callbacks
):
    client = login("manager", personas)
    response = client.get("/coaching/reminders/", {"status": "failed"})
    html = response.content.decode()
    assert response.context["counts"]["failed"] == 2  # the two reminders it carries
    assert [d.pk for d in response.context["failed_digests"]] == [failed_digest.pk]
    assert "Emails that could not be sent" in html
    assert "Session overdue: Education support team" in html and ", session 8</li>" in html
    assert f'action="/coaching/reminders/digests/{failed_digest.pk}/retry/"' in html
    assert len(response.context["page"].object_list) == 2
    # "Send again" on one of its reminders sends the digest, with both.
    reminder = failed_digest.reminders.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("coaching:reminder_retry", args=[reminder.pk]), follow=True)
    assert "The daily reminders email of 16 Dec 2025 to Cara Coach will be sent again." in response.content.decode()
    (message,) = mailoutbox
    assert message.subject == "2 reminders for Tuesday 16 December: 2 overdue"
    failed_digest.refresh_from_db()
    assert (failed_digest.status, failed_digest.attempts) == (ReminderStatus.SENT, 7)
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}
    # Again: nothing failed any more.
    response = client.post(reverse(RETRY_URL, args=[failed_digest.pk]), follow=True)
    assert "is not marked as failed, so it was left as it is." in response.content.decode()
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_reminders_page_queries_do_not_grow_with_failed_digests(personas, failed_digest, login):
    client = login("manager", personas)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/coaching/reminders/").status_code == 200
        return len(ctx.captured_queries)

    small = page_queries()
    for day in range(1, 6):
        digest = Digest.objects.create(
            recipient=personas.other_coach,
            kind=DigestKind.DAILY,
            period=DAY - dt.timedelta(days=day),
            status=ReminderStatus.FAILED,
        )
        factories.ReminderFactory(
            session=personas.other_enrolment.sessions.get(number=day + 1),
            recipient=personas.other_coach,
            digest=digest,
        )
    large = page_queries()
    assert small == large == 9  # the page's eight (failed invitations included), and the failed digests' reminders


# --- The sweep's queries do not grow with the items or the people -----------------------------------------


def _sweep_queries(today: dt.date) -> int:
    with CaptureQueriesContext(connection) as ctx:
        reminders_sweep(today=today)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_sweep_queries_constant_in_the_number_of_items_and_recipients(programme, django_capture_on_commit_callbacks):
    programme.enrol(held_through=6)
    with django_capture_on_commit_callbacks(execute=False):
        small = _sweep_queries(DAY)
    Reminder.objects.all().delete()
    Digest.objects.all().delete()
    for n in range(4):
        coach = factories.CoachFactory(username=f"coach{n}")
        for _ in range(3):
            programme.enrol(held_through=6, coach=coach)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        large = _sweep_queries(DAY)
    assert Reminder.objects.count() == 13
    assert (Digest.objects.count(), len(callbacks)) == (5, 5)  # one per person, one send each
    assert large == small
