"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the sweep Celery beat runs daily,
for sites that prefer cron. One line per reminder, then `N reminders sent` (or `would be sent`)."""

from __future__ import annotations

import argparse
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from coaching.models import Reminder, ReminderStatus
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
        "coaching agreement, and sessions due within two days with no agreed time. Safe to run again, and "
        "alongside Celery beat: each reminder is sent once. With CELERY_BROKER_URL set the emails are "
        "handed to the Celery worker; without it they are sent here."
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
            self.stderr.write(f"Queued again {len(result.requeued)} reminders an earlier run left unsent.")
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(f"{len(result.reminders)} reminders sent")
            self.stderr.write("Handed to the Celery worker, which sends them and retries any that fail.")
            return
        # Eager: the emails went out as each batch committed. One query for this run's outcome.
        ids = set(result.reminder_ids)
        not_sent = []
        if ids:
            not_sent = [
                (pk, status)
                for pk, status in Reminder.objects.filter(pk__gte=min(ids), pk__lte=max(ids))
                .exclude(status=ReminderStatus.SENT)
                .values_list("pk", "status")
                if pk in ids
            ]
        failed = sum(1 for _, status in not_sent if status == ReminderStatus.FAILED)
        self.stdout.write(f"{len(ids) - len(not_sent)} reminders sent")
        if failed:
            self.stderr.write(self.style.ERROR(f"{failed} reminders could not be sent: see the Reminders page."))
        if len(not_sent) > failed:
            self.stderr.write(f"{len(not_sent) - failed} reminders are still pending; the next sweep tries them again.")
