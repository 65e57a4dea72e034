"""`manage.py rebuild_standings`: recomputes every enrolment's stored checklist standing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from checklists.services import rebuild_standings
from checklists.sustainment import sustained_run_length


class Command(BaseCommand):
    help = (
        "Recomputes every enrolment's stored checklist standing (adoption score, tools sustained, at the "
        "latest and the 12-week review's checklist) with QMS_SUSTAINED_RUN_LENGTH. Run it after changing "
        "that setting (the system check checklists.W001 says when), or after loading data with loaddata."
    )

    def handle(self, *args, **options) -> None:
        run_length = sustained_run_length()
        count = rebuild_standings(run_length=run_length)
        self.stdout.write(
            f"Rebuilt {count} checklist standing{'s' if count != 1 else ''} with a sustained run length of "
            f"{run_length}."
        )
