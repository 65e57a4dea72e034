"""make bench: one JSON line per measured page or task and scale, then a summary per page and the
acceptance (demo.bench.report)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from demo.bench.pages import REPEATS, URLCONF, measure_pages, page_specs
from demo.bench.reminders import bench_sweep
from demo.bench.report import summarise


def _postgres_admin_url(url: str) -> tuple[str, str]:
    """(server URL without database, database name) of a postgres:// URL."""
    head, _, name = url.rpartition("/")
    return head, name.split("?")[0]


DEFAULT_SCALES = "0,30,100"


class Command(BaseCommand):
    help = (
        "Measure pages and tasks at several data sizes, each in a fresh database: the demo data "
        "(scale 0), scale 30 (382 enrolments, 3,820 sessions, ~27,000 ratings, ~11,700 feedback "
        "responses) and scale 100. Each page is timed in turn with a minimal logged-in baseline page. "
        "Prints one JSON line per page or task and scale, then one summary line per page and the "
        "acceptance. Uses SQLite files by default, or throwaway PostgreSQL databases when "
        "DATABASE_URL is PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scales", default=DEFAULT_SCALES, help=f"Comma-separated seed_demo scales (default {DEFAULT_SCALES})."
        )
        parser.add_argument("--repeats", type=int, default=REPEATS, help="Timed requests per page.")
        parser.add_argument(
            "--pages", default="", help="Comma-separated page names to measure (default: all); tasks run either way."
        )
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--scale", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["child"]:
            self._child(scale=options["scale"], repeats=options["repeats"], pages=options["pages"])
            return
        try:
            scales = [int(s) for s in options["scales"].split(",") if s.strip()]
        except ValueError as exc:
            raise CommandError("--scales takes whole numbers, e.g. 0,30") from exc
        lines: list[dict] = []
        for scale in scales:
            lines += self._run_scale(scale=scale, repeats=options["repeats"], pages=options["pages"])
        for summary in summarise(lines):
            self.stdout.write(json.dumps(summary))

    def _run_scale(self, *, scale: int, repeats: int, pages: str) -> list[dict]:
        """Runs one scale in a child process on a fresh database; its lines, as printed."""
        url = os.environ.get("DATABASE_URL", "")
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # the test client speaks plain HTTP
            "CELERY_BROKER_URL": "",
            "PYTHONUNBUFFERED": "1",  # each line as soon as it is measured
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        with tempfile.TemporaryDirectory(prefix="qms-bench-") as tmp:
            if url.startswith(("postgres://", "postgresql://")):
                server, name = _postgres_admin_url(url)
                bench_db = f"{name}_bench_{scale}"
                self._postgres(server, f'DROP DATABASE IF EXISTS "{bench_db}"')
                self._postgres(server, f'CREATE DATABASE "{bench_db}"')
                env["DATABASE_URL"] = f"{server}/{bench_db}"
            else:
                bench_db = None
                env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / f'bench-{scale}.sqlite3'}"
            lines = []
            try:
                command = [sys.executable, "manage.py", "bench", "--child", f"--scale={scale}", f"--repeats={repeats}"]
                if pages:
                    command.append(f"--pages={pages}")
                with subprocess.Popen(  # noqa: S603 - our own interpreter and command
                    command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
                ) as child:
                    for text in child.stdout:  # as they come: a large scale takes minutes
                        self.stdout.write(text, ending="")
                        self.stdout.flush()
                        try:
                            lines.append(json.loads(text))
                        except ValueError:
                            pass  # not a measurement: printed as it is
                if child.returncode:
                    raise CommandError(f"bench at scale {scale} failed (exit {child.returncode})")
            finally:
                if bench_db:
                    self._postgres(server, f'DROP DATABASE IF EXISTS "{bench_db}"')
        return lines

    @staticmethod
    def _postgres(server: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def _child(self, *, scale: int, repeats: int, pages: str) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        tasks = _task_benchmarks(scale=scale)  # before the demo data: the sweep's own rows alone
        args = ["seed_demo", f"--today={timezone.localdate().isoformat()}"]
        if scale:
            args.append(f"--scale={scale}")
        call_command(*args, stdout=sys.stderr)
        specs = page_specs()
        if pages:
            wanted = {name.strip() for name in pages.split(",") if name.strip()}
            unknown = wanted - {spec.name for spec in specs}
            if unknown:
                raise CommandError(f"no such page: {', '.join(sorted(unknown))}")
            specs = [spec for spec in specs if spec.name in wanted]
        with override_settings(ROOT_URLCONF=URLCONF):
            lines = measure_pages(scale=scale, repeats=repeats, specs=specs)
        for line in lines:
            self.stdout.write(json.dumps(line))
        for line in tasks:
            self.stdout.write(json.dumps({**line, "scale": scale}))


def _task_benchmarks(*, scale: int) -> list[dict]:
    """The reminder sweep over 2,000 sessions, 20,000 at a large scale (its own rows, rolled back
    afterwards), run before the demo data is loaded: the demo's own sessions due on the sweep's day
    would add reminder kinds at one scale and not another. 25 teams need reminders either way, so
    the query count must match."""
    return [bench_sweep(sessions=2_000 if scale == 0 else 20_000)]
