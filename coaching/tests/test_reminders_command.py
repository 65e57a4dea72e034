"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the contract's output, cron's way in."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from coaching.models import Digest, DigestKind, Reminder, ReminderStatus
from tests import factories


def run(*args: str) -> tuple[list[str], str]:
    out, err = StringIO(), StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def lines_for(site: str) -> list[str]:
    return [
        f'Session overdue: PRH education ({site}), session 7 "12-week review" due 2025-12-08, 15 days overdue '
        "-> Rachel Evans (rachel)",
        f'Escalation to improvement manager: PRH education ({site}), session 7 "12-week review" due 2025-12-08, '
        "15 days overdue -> Helen Morris (helen)",
    ]


@pytest.mark.django_db
def test_dry_run_lists_each_reminder_and_records_nothing(programme, mailoutbox):
    enrolment, _ = programme.enrol(held_through=6, team_name="PRH education")
    out, _ = run("--date", "2025-12-30", "--dry-run")
    assert out == [*lines_for(enrolment.team.site.code), "2 reminders would be sent"]
    assert (Reminder.objects.count(), mailoutbox) == (0, [])


@pytest.mark.django_db(transaction=True)
def test_command_sends_in_process_once(programme, mailoutbox):
    enrolment, _ = programme.enrol(held_through=6, team_name="PRH education")
    out, err = run("--date", "2025-12-30")
    assert out == [*lines_for(enrolment.team.site.code), "2 reminders sent"]
    assert sorted(m.to for m in mailoutbox) == [["helen@example.nhs.uk"], ["rachel@example.nhs.uk"]]  # one each
    assert "Sent in 2 emails: one per person." in err
    assert run("--date", "2025-12-30")[0] == ["0 reminders sent"]
    assert run("--date", "2025-12-31")[0] == ["0 reminders sent"]
    assert len(mailoutbox) == 2


@pytest.mark.django_db(transaction=True)
def test_command_reports_reminders_that_could_not_be_sent(programme, refusing_smtp):
    programme.enrol(held_through=6, team_name="PRH education")
    out, err = run("--date", "2025-12-30")
    assert out[-1] == "0 reminders sent"
    assert "2 reminders could not be sent: see the Reminders page." in err
    # Each person's digest failed after its tries; its reminders wait in it, to be sent again from the page.
    assert list(Digest.objects.values_list("status", "attempts")) == [(ReminderStatus.FAILED, 6)] * 2
    assert list(Reminder.objects.values_list("status", "digest__status")) == [("pending", "failed")] * 2


@pytest.mark.django_db
def test_bad_date_is_a_clear_error(programme):
    with pytest.raises(CommandError, match=r"'5/1/2026' is not a date: use YYYY-MM-DD, e.g. 2026-01-05"):
        run("--date", "5/1/2026")


@pytest.mark.django_db
def test_default_date_is_today_in_london_not_utc(programme):
    enrolment = factories.EnrolmentFactory(
        cohort=programme.cohort, coach=programme.coach, session1_date=dt.date(2025, 6, 23), team__name="Summer team"
    )
    factories.make_sessions(enrolment)
    site = enrolment.team.site.code
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): session 1 (23 June) is overdue that day.
    with time_machine.travel(dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC), tick=False):
        out, _ = run("--dry-run")
    assert out == [
        f'Session overdue: Summer team ({site}), session 1 "Session 1: introduction to QMS and agreeing coaching '
        'times" due 2025-06-23, 1 day overdue -> Rachel Evans (rachel)',
        "1 reminders would be sent",
    ]


@pytest.mark.django_db
def test_demo_data_on_5_january_2026_tells_the_manager_prh_12_week_session_is_slipping():
    # PRH's 12-week review, due 8 December, was agreed for 21 January: not overdue in week 15, but
    # slipping, and the improvement manager hears of it.
    call_command("seed_demo", "--today", "2026-01-05", stdout=StringIO(), stderr=StringIO())
    Reminder.objects.all().delete()  # the demo runs the sweep itself: forget what it claimed
    out, _ = run("--date", "2026-01-05", "--dry-run")
    prh_review = [line for line in out if '(PRH), session 7 "12-week review"' in line]
    assert prh_review == [
        'Session agreed past its due date: Education support team (PRH), session 7 "12-week review" '
        "due 2025-12-08, agreed for 2026-01-21, 44 days after its due date -> Helen Morris (manager)"
    ]
    assert out[-1] == f"{len(out) - 1} reminders would be sent"
    assert Reminder.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_command_sends_a_digest_whose_worker_died_mid_send_once_the_send_bound_has_passed(programme, mailoutbox):
    _, sessions = programme.enrol(held_through=6, team_name="PRH education")
    claimed_at = dt.datetime(2025, 12, 30, 8, 0, tzinfo=dt.UTC)
    digest = Digest.objects.create(recipient=programme.coach, kind=DigestKind.DAILY, period=dt.date(2025, 12, 30))
    reminder = factories.ReminderFactory(session=sessions[7], recipient=programme.coach, digest=digest)
    Digest.objects.filter(pk=digest.pk).update(
        status=ReminderStatus.SENDING,
        sending_since=claimed_at,
        claim="3d6f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        attempts=1,
    )
    with time_machine.travel(claimed_at + dt.timedelta(minutes=4), tick=False):  # within the bound
        _, err = run("--date", "2025-12-30")
    assert "Queued again" not in err
    assert [m.to for m in mailoutbox] == [["helen@example.nhs.uk"]]  # the escalation, claimed by this run
    with time_machine.travel(claimed_at + dt.timedelta(minutes=6), tick=False):  # past it
        out, err = run("--date", "2025-12-30")
    assert out == ["0 reminders sent"]
    assert err.splitlines()[0] == "Queued again 1 reminder emails an earlier run left unsent."
    assert [m.to for m in mailoutbox] == [["helen@example.nhs.uk"], ["rachel@example.nhs.uk"]]
    digest.refresh_from_db()
    reminder.refresh_from_db()
    assert (digest.status, digest.attempts, reminder.status) == (ReminderStatus.SENT, 2, ReminderStatus.SENT)
