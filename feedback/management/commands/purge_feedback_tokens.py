"""`manage.py purge_feedback_tokens`: forgets the feedback forms' used one-time tokens that have
expired. Each accepted answer does this too, so running it is optional (a cron job may)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.services import form_tokens_purge


class Command(BaseCommand):
    help = (
        "Delete the record of used feedback form tokens too old to be accepted again (a form's token "
        "lasts a day; two days are kept). Safe to run at any time, and again."
    )

    def handle(self, *args, **options):
        purged = form_tokens_purge(today=timezone.localdate())
        self.stdout.write(f"{purged} used form tokens purged")
