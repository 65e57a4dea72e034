"""Backups (README, "Backups"): pg_dump -Fc of the demo database, pg_restore into a fresh database,
and the restored app serves the same dashboard figures and pages as the original.

PostgreSQL only: skipped on SQLite, in CI too (the CI's SQLite pass runs the rest). Without pg_dump,
pg_restore or a PostgreSQL server it is skipped, or failed when QMS_REQUIRE_SERVICES=1. Both
databases are named after DATABASE_URL's (`<name>_backup_src`, `<name>_backup_restored`) and
dropped at the end, whatever happens."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict

import pytest
from django.conf import settings
from django.db import connection

from conftest import require_service
from demo.management.commands.loadtest import _server_and_name

TODAY = dt.date(2026, 11, 26)  # the demo is built around it, and every figure is read on it
FIGURES_MARK = "BACKUP_FIGURES="
PAGES = ["/dashboard/", "/dashboard/aim/"]  # and each cohort's page
# Tables the demo fills: a restore that lost any of them must not compare equal on empty tables.
DEMO_TABLES = [
    "programmes_enrolment",
    "programmes_session",
    "coaching_coachingagreement",
    "checklists_checklist",
    "checklists_toolrating",
    "feedback_feedbackresponse",
]
CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def served_figures(*, today: dt.date) -> dict:
    """What this process's database serves the demo lead on `today`, read with the app's own code
    (run in each database's environment by manage.py shell): every table's rows, the sequences,
    the dashboard's summary and rows, the aim page's measures, and the pages as rendered."""
    import time_machine
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse
    from django.utils import timezone

    from checklists.sustainment import sustained_run_length
    from dashboards.measures import aim_page
    from dashboards.selectors import dashboard_page

    with connection.cursor() as cursor:
        # Read before anything below writes (the login's session and last_login).
        tables = {}
        for table in sorted(connection.introspection.table_names()):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {quoted} t")  # noqa: S608 - names from the catalogue
            tables[table] = list(cursor.fetchone())
        cursor.execute("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences ORDER BY 1")
        sequences = dict(cursor.fetchall())

    lead = get_user_model().objects.get(username="lead")
    dashboard = dashboard_page(user=lead, today=today, page_size=10_000)
    aim = aim_page(user=lead, today=today, run_length=sustained_run_length())

    setup_test_environment()  # the test client's host allowed, as under pytest
    client = Client()
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=timezone.get_default_timezone())
    pages = {}
    paths = PAGES + [reverse("dashboards:cohort", args=[c.cohort.pk]) for c in aim.cohorts]
    with time_machine.travel(noon, tick=False):  # the views read today from the clock
        client.force_login(lead)
        for path in paths:
            response = client.get(path)
            pages[path] = [response.status_code, CSRF_TOKEN.sub(r"\1\2", response.content.decode())]

    return {
        "tables": tables,
        "sequences": sequences,
        "summary": asdict(dashboard.summary),
        "matching": dashboard.matching,
        "rows": [asdict(row) for row in dashboard.rows],
        "aim": {
            "team_count": aim.team_count,
            "measures": [asdict(m) for m in aim.measures],
            "cohorts": [
                {
                    "cohort": c.cohort.pk,
                    "name": c.cohort.name,
                    "teams": c.team_count,
                    "measures": [asdict(m) for m in c.measures],
                }
                for c in aim.cohorts
            ],
        },
        "pages": pages,
    }


def _postgres(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql)


def _server_reachable(server: str) -> str:
    """'' when the PostgreSQL server answers; otherwise why not."""
    import psycopg

    try:
        _postgres(server, "SELECT 1")
    except psycopg.OperationalError as exc:
        return str(exc).strip()
    return ""


def _run(command: list[str], env: dict | None = None) -> str:
    """Runs a command; its standard output. A failure fails the test with what it said."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, manage.py and the PostgreSQL tools
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        pytest.fail(f"{' '.join(command[:3])} ... exit {result.returncode}:\n{result.stderr[-4000:]}", pytrace=False)
    return result.stdout


def _figures_of(url: str, env: dict) -> dict:
    code = (
        "import datetime as dt, json\n"
        "from demo.tests.test_backup_restore import FIGURES_MARK, served_figures\n"
        f"print(FIGURES_MARK + json.dumps(served_figures(today=dt.date.fromisoformat({TODAY.isoformat()!r})),"
        " default=str))\n"
    )
    out = _run([sys.executable, "manage.py", "shell", "-c", code], {**env, "DATABASE_URL": url})
    line = next(text for text in out.splitlines() if text.startswith(FIGURES_MARK))
    return json.loads(line.removeprefix(FIGURES_MARK))


def test_pg_dump_restored_into_a_fresh_database_serves_the_same_dashboard(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backups are pg_dump and pg_restore: PostgreSQL only")
    for tool in ("pg_dump", "pg_restore"):
        require_service(tool, shutil.which(tool) is not None, "apt-get install postgresql-client")
    server, configured = _server_and_name(os.environ["DATABASE_URL"])  # set: the tests run on PostgreSQL
    require_service("PostgreSQL", not (why := _server_reachable(server)), why)
    source, restored = f"{configured}_backup_src", f"{configured}_backup_restored"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "CELERY_BROKER_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    dump = tmp_path / "qms.dump"
    try:
        for name in (source, restored):
            _postgres(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres(server, f'CREATE DATABASE "{source}"')
        source_env = {**env, "DATABASE_URL": f"{server}/{source}"}
        _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], source_env)
        _run([sys.executable, "manage.py", "seed_demo", "--scale=0", f"--today={TODAY.isoformat()}"], source_env)

        # The README's commands.
        _run(["pg_dump", "--format=custom", f"--file={dump}", f"{server}/{source}"])
        _postgres(server, f'CREATE DATABASE "{restored}"')
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={server}/{restored}", str(dump)])

        before = _figures_of(f"{server}/{source}", env)
        after = _figures_of(f"{server}/{restored}", env)
    finally:
        for name in (source, restored):
            _postgres(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert dump.stat().st_size > 0
    # Not equal for want of anything to compare: the demo's tables, teams and pages are there.
    assert all(before["tables"][table][0] > 0 for table in DEMO_TABLES), before["tables"]
    assert before["summary"]["teams"] == len(before["rows"]) > 20
    assert before["summary"]["overdue"] > 0
    assert any(row["adoption_score"] is not None for row in before["rows"])
    assert before["aim"]["team_count"] == before["summary"]["teams"]
    assert [m["numerator"] is not None for m in before["aim"]["measures"]][:4] == [True] * 4
    assert len(before["pages"]) == len(PAGES) + len(before["aim"]["cohorts"]) > len(PAGES)
    assert all(status == 200 and "<table" in html for status, html in before["pages"].values())
    assert before["pages"]["/dashboard/"][1].count("<tr") > len(before["rows"])

    # The restored database: the same rows in every table, the same sequences (new rows do not
    # collide), the same figures and the same pages.
    assert after["tables"] == before["tables"]
    assert after["sequences"] == before["sequences"]
    assert after["summary"] == before["summary"]
    assert after["rows"] == before["rows"]
    assert after["aim"] == before["aim"]
    assert list(after["pages"]) == list(before["pages"])
    for path, page in before["pages"].items():
        assert after["pages"][path] == page, path
