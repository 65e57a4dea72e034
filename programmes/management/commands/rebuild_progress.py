"""`manage.py rebuild_progress`: recomputes every enrolment's stored progress through its sessions."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from programmes.services.progress import rebuild_progress


class Command(BaseCommand):
    help = (
        "Recomputes every enrolment's stored progress (sessions held and cancelled, the next open session "
        "and its anchor, session 1 and the 12-week review) from its sessions. Run it after loading sessions "
        "with loaddata, bulk inserts or raw SQL (the system check programmes.W001 says when rows are missing)."
    )

    def handle(self, *args, **options) -> None:
        count = rebuild_progress()
        self.stdout.write(f"Rebuilt the stored progress of {count} enrolment{'s' if count != 1 else ''}.")
