"""The SQLite default (`make run`) in WAL mode with IMMEDIATE transactions and a busy timeout, so
that a double-clicked button waits for the first click's write instead of failing with
"database is locked".

pytest's own SQLite database is in memory, where none of this applies, so these tests run a fresh
interpreter against a SQLite file of their own, as `make run` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRAGMAS = """
import json
from django.db import connection
with connection.cursor() as cursor:
    found = {}
    for pragma in ("journal_mode", "busy_timeout", "synchronous"):
        cursor.execute(f"PRAGMA {pragma}")
        found[pragma] = cursor.fetchone()[0]
print(json.dumps({**found, "transaction_mode": connection.transaction_mode}))
"""

# Two browsers post the same enrolment at the same moment (a double click): each thread has its
# own connection, as each gunicorn worker or runserver thread does.
DOUBLE_CLICK = """
import json, threading
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from programmes.models import Enrolment, Session
from tests import factories

setup_test_environment()  # so that a response carries its form (response.context)
manager = factories.ManagerFactory()
cohort = factories.CohortFactory(name="Autumn cohort", owner=manager)
team = factories.TeamFactory(name="Education support team")
url = reverse("programmes:enrolment_create", args=[cohort.pk])
data = {"team": team.pk, "coach": "", "session1_date": "2026-12-07", "confirm": "on"}  # past the cohort's end
clicks = threading.Barrier(2, timeout=30)
results, failures = [], []

def click():
    try:
        client = Client()
        client.force_login(manager)
        clicks.wait()
        response = client.post(url, data)
        errors = []
        if response.status_code == 200:
            errors = [e for errs in response.context["form"].errors.values() for e in errs]
        results.append([response.status_code, errors])
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()

threads = [threading.Thread(target=click) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(timeout=60)
print(json.dumps({
    "results": sorted(results),
    "failures": failures,
    "enrolments": Enrolment.objects.filter(cohort=cohort, team=team).count(),
    "sessions": Session.objects.filter(enrolment__cohort=cohort).count(),
    "plans": cohort.template.plans.count(),
}))
"""


def run_on_file(database: Path, code: str | None = None) -> dict:
    """Migrates (code=None) or runs code against the SQLite file, in a fresh interpreter with only
    this database's settings; returns the JSON the code printed last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_DEBUG="1",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="qms_site.settings",
    )
    if code is None:
        command = [sys.executable, "manage.py", "migrate", "--verbosity", "0"]
    else:
        command = [sys.executable, "-c", "import django; django.setup()\n" + code]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]) if code is not None else {}


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "qms.sqlite3"
    run_on_file(path)
    return path


def test_the_sqlite_file_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout(database):
    assert run_on_file(database, PRAGMAS) == {
        "journal_mode": "wal",
        "busy_timeout": 20_000,  # milliseconds
        "synchronous": 1,  # NORMAL: safe in WAL mode, and no sync on every commit
        "transaction_mode": "IMMEDIATE",
    }


def test_a_double_clicked_enrol_makes_one_enrolment_and_tells_the_second_click_why(database):
    outcome = run_on_file(database, DOUBLE_CLICK)
    assert (outcome["failures"], outcome["enrolments"], outcome["sessions"]) == ([], 1, outcome["plans"])
    (saved, _), (refused, errors) = sorted(outcome["results"], reverse=True)
    assert (saved, refused) == (302, 200)
    # The second click waited for the first: it then finds the team enrolled, or (if it was read
    # after the first was saved) no longer offered.
    assert errors in (
        ["Education support team is already enrolled in Autumn cohort."],
        ["Select a valid choice. That choice is not one of the available choices."],
    )
