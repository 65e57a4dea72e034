"""`manage.py send_weekly_digests [--date YYYY-MM-DD] [--dry-run]`: the sweep Celery beat runs on
Mondays at 08:00, for sites that prefer cron. One line per improvement manager, then
`N weekly digests sent` (or `would be sent`)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from coaching.management.commands.send_reminders import iso_date
from coaching.services import weekly_digests_sweep


class Command(BaseCommand):
    help = (
        "Send each improvement manager (the owner of a cohort with teams in the programme) their weekly "
        "digest for the week holding the date (Monday to Sunday): last week's escalations, teams without "
        "coaching slots agreed, emails that could not be sent, and the week's sessions. Safe to run again, "
        "and alongside Celery beat: one digest per manager per week."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=iso_date,
            default=None,
            metavar="YYYY-MM-DD",
            help="Sweep as if today were this date (default: today in Europe/London).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List who would get one; send and record nothing.")

    def handle(self, *args, date: dt.date | None, dry_run: bool, **options):
        result = weekly_digests_sweep(today=date or timezone.localdate(), dry_run=dry_run)
        for manager in result.recipients:
            name = manager.get_full_name() or manager.get_username()
            self.stdout.write(
                f"Weekly digest for the week of {result.week.isoformat()} -> {name} ({manager.get_username()})"
            )
        count = len(result.recipients)
        self.stdout.write(f"{count} weekly digests {'would be sent' if dry_run else 'sent'}")
