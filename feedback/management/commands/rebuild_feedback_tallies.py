"""`manage.py rebuild_feedback_tallies`: recomputes every enrolment's stored feedback counts."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from feedback.services import rebuild_feedback_tallies


class Command(BaseCommand):
    help = (
        "Recomputes every enrolment's stored feedback counts (responses, answers, ratings, attendees) from "
        "the responses. The app's own writes keep them current: run it after loading data with loaddata "
        "or inserting responses in bulk."
    )

    def handle(self, *args, **options) -> None:
        count = rebuild_feedback_tallies()
        self.stdout.write(f"Rebuilt the feedback counts of {count} enrolment{'s' if count != 1 else ''}.")
