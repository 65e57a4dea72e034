"""Figures read once per change of the data, not once per view: a cache that cannot serve stale figures.

A page's figures (the dashboard's page of teams, the aim and cohort pages, a team's page, My teams)
are kept in the cache under a key made of the data's generation: a value that every committed write
to the programme's tables changes, whoever makes it (a form, the admin, a Celery task, a
queryset.update(), raw SQL). A write commits, the generation changes with it, and the next view
computes afresh; a view while nothing was written reads the figures kept.

How the generation follows every write (PostgreSQL: installed after every migrate by install()):
- Each table of settings.QMS_FIGURES_CACHE_APPS (and the people and their groups in auth: names,
  roles and who is active; a login's last_login is not a change) has two triggers. A statement
  trigger marks the transaction as having written (a transaction-local setting), so that a read
  later in the same transaction, which sees its own uncommitted rows, uses no kept figures.
  A deferred constraint trigger runs once per transaction as it commits: it writes a new random
  token into the row of its own server process (core_datageneration, one row per backend pid).
- The generation is a digest of every row's token. A commit changes one of them, and since tokens
  are random and rows are only ever replaced by new tokens (prune() writes its own as it deletes
  others), no later generation equals an earlier one. prune() runs after every migrate and each
  night (core.tasks.prune_generations), so the rows are those of live processes and a few more.
- Each process writes its own row, so two commits never wait on each other for the token (a
  single shared row would be locked from a commit's first deferred trigger to its end, and could
  deadlock with a foreign-key check waiting on a row the other transaction holds).
- Reading the generation comes before reading the figures: a write committed in between gives
  figures newer than their key, never older.

SQLite (one process, `make run`) and a site with QMS_FIGURES_CACHE off compute every view afresh,
as do the tests but those of this module (qms_site/pytest_plugin.py): they read the fresh
computation, and tests/test_figures_cache.py reads the cache against it after each kind of
write. Kept figures also carry a digest of the code and the QMS_* settings (a release or a changed
setting reads none kept before it), and expire after QMS_FIGURES_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

T = TypeVar("T")
logger = logging.getLogger(__name__)

TABLE = "core_datageneration"
DIRTY = "qms.generation_dirty"  # this transaction has written a watched table
BUMPED = "qms.generation_bumped"  # this transaction's commit has written its token
TRIGGER = "qms_generation"
DIRTY_TRIGGER = "qms_generation_dirty"
# auth_user: only what a page shows or decides by; a login writes last_login alone.
USER_COLUMNS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser")
_MISSING = object()

_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION qms_generation_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('{DIRTY}', 'on', true);
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION qms_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{BUMPED}', true) IS DISTINCT FROM 'on' THEN
    INSERT INTO {TABLE} (pid, token) VALUES (pg_backend_pid(), gen_random_uuid()::text)
      ON CONFLICT (pid) DO UPDATE SET token = EXCLUDED.token;
    PERFORM set_config('{BUMPED}', 'on', true);
  END IF;
  RETURN NULL;
END $$;
"""  # noqa: S608 (this module's constants)


def enabled(using: str = DEFAULT_DB_ALIAS) -> bool:
    return bool(settings.QMS_FIGURES_CACHE) and connections[using].vendor == "postgresql"


def watched_tables() -> list[tuple[str, tuple[str, ...] | None]]:
    """(table, the columns whose update counts, or None for all) for every watched table."""
    tables: dict[str, tuple[str, ...] | None] = {}
    for label in settings.QMS_FIGURES_CACHE_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables[model._meta.db_table] = None
    User = apps.get_model(settings.AUTH_USER_MODEL)
    tables[User._meta.db_table] = USER_COLUMNS
    tables[apps.get_model("auth", "Group")._meta.db_table] = None
    tables[User.groups.through._meta.db_table] = None
    return sorted(tables.items())


def install(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """The triggers on every watched table (post_migrate, so a table a later migration adds gets
    them too), then a new token: figures kept by the code before this migrate are not read."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(_FUNCTIONS)
        for table, columns in watched_tables():
            if table not in existing:  # migrated back past it
                continue
            update = f"UPDATE OF {', '.join(quote(c) for c in columns)}" if columns else "UPDATE"
            events = f"INSERT OR {update} OR DELETE"
            cursor.execute(f"DROP TRIGGER IF EXISTS {DIRTY_TRIGGER} ON {quote(table)}")
            cursor.execute(
                f"CREATE TRIGGER {DIRTY_TRIGGER} AFTER {events} ON {quote(table)} "
                "FOR EACH STATEMENT EXECUTE FUNCTION qms_generation_dirty()"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER {events} ON {quote(table)} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION qms_generation_bump()"
            )
    prune(using)


def prune(using: str = DEFAULT_DB_ALIAS) -> int:
    """Deletes the rows of server processes that have ended, writing this process's own new token in
    the same transaction (so the generation is one never seen before); how many were deleted."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {TABLE} WHERE pid <> pg_backend_pid() "  # noqa: S608 (constants)
            "AND pid NOT IN (SELECT pid FROM pg_stat_activity) RETURNING 1), "
            f"mine AS (INSERT INTO {TABLE} (pid, token) VALUES (pg_backend_pid(), gen_random_uuid()::text) "
            "ON CONFLICT (pid) DO UPDATE SET token = EXCLUDED.token RETURNING 1) "
            "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM mine)"
        )
        return cursor.fetchone()[0]


def generation(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The data's generation now; None when figures may not be kept: this transaction has written
    rows not yet committed, or no write has given a token yet (a database just emptied). One query."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT md5(string_agg(token, ',' ORDER BY pid)), current_setting(%s, true) FROM {TABLE}",  # noqa: S608
            [DIRTY],
        )
        digest, dirty = cursor.fetchone()
    return None if dirty == "on" else digest


@lru_cache(maxsize=1)
def release() -> str:
    """A digest of this code and its QMS_* settings: read once per process."""
    digest = hashlib.sha1(usedforsecurity=False)
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and "site-packages" not in path.parts:  # the project's own apps
            for source in sorted(p for p in path.rglob("*.py") if "tests" not in p.parts):
                digest.update(str(source.relative_to(base)).encode())
                digest.update(source.read_bytes())
    qms = sorted((k, repr(getattr(settings, k))) for k in dir(settings) if k.startswith("QMS_") and "SECRET" not in k)
    digest.update(repr(qms).encode())
    return digest.hexdigest()


def kept(name: str, parts: tuple, compute: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """compute()'s value for these parts (everything it depends on but the data: the user, today,
    the filters), from the cache when nothing was written since it was computed. A cache that does
    not answer costs a fresh computation, not an error."""
    if not enabled(using):
        return compute()
    token = generation(using)
    if token is None:
        return compute()
    key = (
        "qms:figures:" + hashlib.sha1(repr((release(), name, token, parts)).encode(), usedforsecurity=False).hexdigest()
    )
    try:
        value = cache.get(key, _MISSING)
    except Exception:  # noqa: BLE001 (a cache that is down: compute)
        logger.warning("figures cache: read failed for %s", name, exc_info=True)
        return compute()
    if value is not _MISSING:
        return value
    value = compute()
    try:
        cache.set(key, value, timeout=settings.QMS_FIGURES_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("figures cache: write failed for %s", name, exc_info=True)
    return value
