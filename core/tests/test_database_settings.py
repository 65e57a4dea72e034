"""Persistent database connections: DATABASE_CONN_MAX_AGE, its defaults and its errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from qms_site import settings as site_settings

ROOT = Path(__file__).resolve().parents[2]
POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"


@pytest.mark.parametrize(("engine", "seconds"), [(POSTGRESQL, 60), (SQLITE, 0), ("django.db.backends.mysql", 60)])
def test_conn_max_age_defaults_to_a_minute_for_a_database_server_and_0_for_sqlite(monkeypatch, engine, seconds):
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    assert site_settings.env_conn_max_age("DATABASE_CONN_MAX_AGE", engine) == seconds


@pytest.mark.parametrize(("value", "seconds"), [("300", 300), (" 0 ", 0), ("", 60)])
def test_conn_max_age_is_read_in_seconds(monkeypatch, value, seconds):
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", value)
    assert site_settings.env_conn_max_age("DATABASE_CONN_MAX_AGE", POSTGRESQL) == seconds


def test_conn_max_age_set_for_sqlite_is_kept(monkeypatch):
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "30")
    assert site_settings.env_conn_max_age("DATABASE_CONN_MAX_AGE", SQLITE) == 30


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "DATABASE_CONN_MAX_AGE must be a whole number, not 'soon'"),
        ("1.5", "DATABASE_CONN_MAX_AGE must be a whole number, not '1.5'"),
        ("-1", "DATABASE_CONN_MAX_AGE must be 0 or more seconds, not -1"),
    ],
)
def test_conn_max_age_refuses_what_is_not_seconds(monkeypatch, value, message):
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        site_settings.env_conn_max_age("DATABASE_CONN_MAX_AGE", POSTGRESQL)
    assert str(refused.value) == message


def test_the_running_database_has_its_max_age_and_health_checks():
    database = settings.DATABASES["default"]
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["CONN_MAX_AGE"] == site_settings.env_conn_max_age("DATABASE_CONN_MAX_AGE", database["ENGINE"])


def start_django(**env: str) -> subprocess.CompletedProcess:
    """Starts Django in a fresh interpreter with only these database variables, and prints the
    default database's engine, CONN_MAX_AGE and CONN_HEALTH_CHECKS (no connection is opened)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="qms_site.settings", DJANGO_DEBUG="1")
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "db = settings.DATABASES['default']\n"
        "print(db['ENGINE'], db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_start_up_with_postgresql_keeps_connections_a_minute_and_sqlite_none():
    postgresql = start_django(DATABASE_URL="postgres://qms@db.invalid:5432/qms")
    assert postgresql.returncode == 0, postgresql.stderr
    assert postgresql.stdout.split() == [POSTGRESQL, "60", "True"]
    sqlite = start_django()
    assert sqlite.returncode == 0, sqlite.stderr
    assert sqlite.stdout.split() == [SQLITE, "0", "True"]


def test_start_up_stops_on_a_bad_conn_max_age_naming_the_variable():
    result = start_django(DATABASE_URL="postgres://qms@db.invalid:5432/qms", DATABASE_CONN_MAX_AGE="a minute")
    assert result.returncode != 0
    assert "DATABASE_CONN_MAX_AGE must be a whole number, not 'a minute'" in result.stderr
