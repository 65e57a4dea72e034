"""`manage.py seed_demo [--scale N]`: the demo data (demo/story.py, loaded by demo/loader.py)."""

from __future__ import annotations

import argparse
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils import timezone
from tqdm import tqdm

from demo.loader import DemoDataError, seed_demo
from demo.scale import SCALE_PER_UNIT


class _BarStream:
    """Lets tqdm draw on a command's output: no added newline, no error colouring."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> None:
        self._out.write(text, style_func=lambda msg: msg, ending="")

    def flush(self) -> None:
        self._out.flush()


def _per_unit() -> str:
    return ", ".join(f"{count} {what}" for what, count in SCALE_PER_UNIT.items())


class Command(BaseCommand):
    help = (
        "Load the demo data: users manager, coach, coach2 and lead (password 'demo' only when DJANGO_DEBUG is on), "
        "the sites RSH and PRH, the source document's autumn 2025 test bed (RSH and PRH education support teams), "
        "template v1.0 with its content changes, the PDSA cycle, a 'Spring 2026' cohort of 14 teams that "
        "adopts agreeing coaching times at session 1 (a second PDSA cycle), and a 'Current cohort' dated from "
        "today with teams on track, overdue and not yet started. Safe to run again: nothing is added twice. "
        "--scale N adds N units of benchmark teams, each a cohort of its own with two coaches; "
        f"one unit is {_per_unit()}."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help=f"Add N units of benchmark teams (one unit: {_per_unit()}). Default 0.",
        )
        # For tests: the date the demo is built around, instead of today in Europe/London.
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, scale: int, today: dt.date | None, **options):
        if scale < 0:
            raise CommandError("--scale must be 0 or more.")
        if not settings.DEBUG:
            self.stderr.write(
                self.style.WARNING(
                    "DJANGO_DEBUG is off: demo users get unusable passwords, so demo logins are disabled."
                )
            )
        bar = tqdm(
            total=scale * SCALE_PER_UNIT["teams"],
            desc="Scale teams",
            unit="team",
            file=_BarStream(self.stderr),
            disable=scale == 0,
        )
        try:
            with bar:
                summary = seed_demo(today=today or timezone.localdate(), scale=scale, on_progress=bar.update)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(summary)))
