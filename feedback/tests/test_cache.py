"""The site's cache is shared by every server process: the database's by default, Redis when
QMS_CACHE_URL says so; its table is made after every migrate (feedback/apps.py)."""

from __future__ import annotations

import runpy
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections

from feedback.apps import create_cache_table

SETTINGS = Path(settings.BASE_DIR) / "qms_site" / "settings.py"


def cache_settings(monkeypatch, **env) -> dict:
    monkeypatch.delenv("QMS_CACHE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))["CACHES"]


def test_default_cache_is_a_table_in_the_database(monkeypatch):
    assert cache_settings(monkeypatch) == {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "qms_cache"}
    }


def test_cache_url_gives_redis(monkeypatch):
    assert cache_settings(monkeypatch, QMS_CACHE_URL="redis://127.0.0.1:6379/3") == {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/3"}
    }


@pytest.mark.django_db(transaction=True)
def test_database_cache_table_is_made_after_migrate_and_shared_between_connections(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "qms_cache"}}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE qms_cache")
    create_cache_table(using="default")  # what post_migrate runs
    assert "qms_cache" in connection.introspection.table_names()
    cache = caches.create_connection("default")
    cache.set("feedback-test", "from this connection", 60)
    seen = []

    def other_process():
        try:
            seen.append(caches.create_connection("default").get("feedback-test"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_process)
    thread.start()
    thread.join(timeout=30)
    assert seen == ["from this connection"]
    cache.delete("feedback-test")
