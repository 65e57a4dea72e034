"""Core's tables: which sessions belong to which person, so that theirs can be ended; the data's
generation (core/figures_cache.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """One row per signed-in session: written at login, refreshed with the session's activity (at
    most once a minute, core.middleware.SessionIdleTimeoutMiddleware), removed at logout.

    Ending a person's sessions (core.sessions.sessions_end_for) reads their rows instead of decoding
    every session in the database. A row whose session has expired is harmless (deleting a session
    that is gone does nothing) and is pruned at the next login of anyone.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "signed-in session"

    def __str__(self) -> str:
        return f"session of user {self.user_id}, last seen {self.last_seen:%Y-%m-%d %H:%M}"


class DataGeneration(models.Model):
    """One row per server process that has committed a write to the watched tables: a random token,
    replaced by that process's next such commit (written by the database's own triggers; see
    core/figures_cache.py). The digest of every row's token is the data's generation."""

    pid = models.IntegerField(primary_key=True)  # the PostgreSQL backend's process id
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = "data generation"

    def __str__(self) -> str:
        return f"generation of backend {self.pid}"
