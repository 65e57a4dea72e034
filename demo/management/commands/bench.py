"""make bench: one JSON line per measured page or task and scale."""

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

from demo.bench.pages import REPEATS, URLCONF, measure_pages
from demo.bench.reminders import bench_sweep


def _postgres_admin_url(url: str) -> tuple[str, str]:
    """(server URL without database, database name) of a postgres:// URL."""
    head, _, name = url.rpartition("/")
    return head, name.split("?")[0]


class Command(BaseCommand):
    help = (
        "Measure pages and tasks at two data sizes, each in a fresh database: the demo data "
        "(--scales 0) and a large one (default 30: 368 enrolments, 3,680 sessions, ~26,000 ratings, "
        "~11,700 feedback responses). Prints one JSON line per page or task and scale. Uses SQLite "
        "files by default, or throwaway PostgreSQL databases when DATABASE_URL is PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scales", default="0,30", help="Comma-separated seed_demo scales (default 0,30).")
        parser.add_argument("--repeats", type=int, default=REPEATS, help="Timed requests per page.")
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--scale", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["child"]:
            self._child(scale=options["scale"], repeats=options["repeats"])
            return
        try:
            scales = [int(s) for s in options["scales"].split(",") if s.strip()]
        except ValueError as exc:
            raise CommandError("--scales takes whole numbers, e.g. 0,30") from exc
        for scale in scales:
            self._run_scale(scale=scale, repeats=options["repeats"])

    def _run_scale(self, *, scale: int, repeats: int) -> None:
        url = os.environ.get("DATABASE_URL", "")
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # the test client speaks plain HTTP
            "CELERY_BROKER_URL": "",
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
            try:
                command = [sys.executable, "manage.py", "bench", "--child", f"--scale={scale}", f"--repeats={repeats}"]
                result = subprocess.run(  # noqa: S603 - our own interpreter and command
                    command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True, check=False
                )
                self.stdout.write(result.stdout, ending="")
                if result.returncode:
                    raise CommandError(f"bench at scale {scale} failed (exit {result.returncode})")
            finally:
                if bench_db:
                    self._postgres(server, f'DROP DATABASE IF EXISTS "{bench_db}"')

    @staticmethod
    def _postgres(server: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def _child(self, *, scale: int, repeats: int) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        args = ["seed_demo", f"--today={timezone.localdate().isoformat()}"]
        if scale:
            args.append(f"--scale={scale}")
        call_command(*args, stdout=sys.stderr)
        with override_settings(ROOT_URLCONF=URLCONF):
            pages = measure_pages(scale=scale, repeats=repeats)
        for line in pages:
            self.stdout.write(json.dumps(line))
        baseline_ms = pages[0]["baseline_ms"] if pages else None
        for line in _task_benchmarks(scale=scale):
            self.stdout.write(json.dumps({**line, "scale": scale, "baseline_ms": baseline_ms}))


def _task_benchmarks(*, scale: int) -> list[dict]:
    """The reminder sweep over 2,000 sessions with the demo, 20,000 at a large scale (its own rows,
    rolled back afterwards); 25 teams need reminders either way, so the query count must match."""
    return [bench_sweep(sessions=2_000 if scale == 0 else 20_000)]
