"""Start-up configuration and /healthz, against real services."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from conftest import require_service

ROOT = Path(__file__).resolve().parents[2]


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Runs code in a fresh interpreter with only the given Django environment variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "qms_site.settings"
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_with_debug_off_stops_the_web_app_with_a_clear_error():
    for entry in ("qms_site.wsgi", "qms_site.asgi"):
        result = run_django(f"import {entry}", DJANGO_DEBUG="0")
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_missing_secret_key_with_debug_off_stops_runserver():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "runserver", "127.0.0.1:0", "--noreload"],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_offline_commands_run_without_a_secret_key():
    code = (
        "from django.core.management import call_command\n"
        "call_command('makemigrations', check=True, dry_run=True, verbosity=1)"
    )
    result = run_django(code, DJANGO_DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No changes detected"


def test_debug_on_runs_without_a_secret_key_on_sqlite_and_eager_celery():
    code = (
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, settings.TIME_ZONE)"
    )
    result = run_django(code, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "Europe/London"]


def test_bad_whole_number_setting_names_the_variable():
    result = run_django("", DJANGO_DEBUG="1", QMS_SESSION_GRACE_DAYS="seven")
    assert result.returncode != 0
    assert "QMS_SESSION_GRACE_DAYS must be a whole number" in result.stderr


HEALTH = (
    "from django.test import Client\n"
    "import json\n"
    "r = Client().get('/healthz')\n"
    "print(json.dumps({'status': r.status_code, 'body': json.loads(r.content)}))"
)


def health_in_subprocess(**env: str) -> dict:
    result = run_django(HEALTH, DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="testserver", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_healthz_database_ok_and_broker_eager(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


def test_healthz_503_when_database_is_down():
    # Nothing listens on port 1: the database cannot be reached.
    result = health_in_subprocess(DATABASE_URL="postgres://postgres@127.0.0.1:1/qms")
    assert result == {"status": 503, "body": {"database": "down", "broker": "eager"}}


def test_healthz_broker_down_when_redis_unreachable():
    result = health_in_subprocess(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert result == {"status": 200, "body": {"database": "ok", "broker": "down"}}


def test_healthz_broker_ok_with_real_redis():
    url = os.environ.get("QMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        up = True
    except redis.exceptions.RedisError:
        up = False
    require_service("Redis", up, url)
    result = health_in_subprocess(CELERY_BROKER_URL=url)
    assert result == {"status": 200, "body": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_favicon_is_the_sites_icon_for_every_page(client):
    """Browsers ask /favicon.ico on pages that name no icon (the admin's): they get the site's
    icon, which the site's own pages name in their head, instead of a 404."""
    from xml.etree import ElementTree

    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    icon_url = static("img/qms-icon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == icon_url
    assert client.head("/favicon.ico").status_code == 301
    svg = ElementTree.parse(finders.find("img/qms-icon.svg")).getroot()  # noqa: S314 - our own file
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    login_page = client.get("/accounts/login/").content.decode()
    assert f'<link rel="icon" href="{icon_url}" type="image/svg+xml">' in login_page
