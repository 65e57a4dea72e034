"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the sweep Celery beat runs daily,
for sites that prefer cron. One line per reminder, then `N reminders sent` (or `would be sent`); the
reminders go out in one email per person (their daily digest)."""

from __future__ import annotations

import argparse
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from coaching.models import ReminderStatus
from coaching.selectors import reminder_states
from coaching.services import reminders_sweep


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-01-05") from None


class Command(BaseCommand):
    help = (
        "Send the reminders due today (Europe/London): overdue sessions to their coach, sessions still "
        "overdue after QMS_ESCALATION_DAYS to the cohort's improvement manager, session 1 held without a "
        "coaching agreement, sessions due within two days with no agreed time, and teams whose huddles stopped "
        "at their physical board (QMS_HUDDLE_STOPPED_WEEKS); one email per person a "
        "day listing all of theirs. Safe to run again, and alongside Celery beat: each reminder is sent once. "
        "With CELERY_BROKER_URL set the emails are handed to the Celery worker; without it they are sent here."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=iso_date,
            default=None,
            metavar="YYYY-MM-DD",
            help="Sweep as if today were this date (default: today in Europe/London).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the reminders that would be sent; send and record nothing."
        )

    def handle(self, *args, date: dt.date | None, dry_run: bool, **options):
        result = reminders_sweep(today=date or timezone.localdate(), dry_run=dry_run)
        for planned in result.reminders:
            self.stdout.write(planned.describe())
        if dry_run:
            self.stdout.write(f"{len(result.reminders)} reminders would be sent")
            return
        if result.requeued:
            self.stderr.write(f"Queued again {len(result.requeued)} reminder emails an earlier run left unsent.")
        emails = f"in {len(result.digest_ids)} email{'' if len(result.digest_ids) == 1 else 's'}"
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(f"{len(result.reminders)} reminders sent")
            self.stderr.write(f"Handed to the Celery worker ({emails}), which sends them and retries any that fail.")
            return
        # Eager: the emails went out as the run committed. One query for this run's outcome.
        states = reminder_states(reminder_ids=result.reminder_ids)
        not_sent = [(pk, state) for pk, state in states.items() if state != ReminderStatus.SENT]
        failed = sum(1 for _, state in not_sent if state == ReminderStatus.FAILED)
        self.stdout.write(f"{len(states) - len(not_sent)} reminders sent")
        if result.digest_ids:
            self.stderr.write(f"Sent {emails}: one per person.")
        if failed:
            self.stderr.write(self.style.ERROR(f"{failed} reminders could not be sent: see the Reminders page."))
        if len(not_sent) > failed:
            self.stderr.write(f"{len(not_sent) - failed} reminders are still pending; the next sweep tries them again.")
