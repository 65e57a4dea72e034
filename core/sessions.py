"""Session rules (README "Security"): a session ends when the browser closes unless the person
ticked "Keep me signed in on this device" (then it lasts QMS_SESSION_REMEMBER_DAYS from login);
either way, QMS_SESSION_IDLE_MINUTES without a request signs them out; deactivating or reactivating
a person ends all their sessions.

The idle clock is the session's last activity, written at most once a minute
(core.middleware.SessionIdleTimeoutMiddleware) rather than on every request
(SESSION_SAVE_EVERY_REQUEST would write the session row on every page). Which sessions are whose is
kept in core.models.UserSession, so ending a person's sessions deletes theirs by key instead of
decoding every session in the database.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.http import HttpRequest
from django.utils import timezone

from .models import UserSession
from .security import security_event

LAST_ACTIVITY_KEY = "_qms_last_activity"  # seconds since the epoch, an int (sessions are JSON)
REFRESH_SECONDS = 60  # the last activity is written at most this often


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=settings.QMS_SESSION_IDLE_MINUTES)


def idle_words() -> str:
    """The idle limit as people say it: "8 hours", "1 hour", "90 minutes"."""
    hours, minutes = divmod(settings.QMS_SESSION_IDLE_MINUTES, 60)
    if hours and not minutes:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{settings.QMS_SESSION_IDLE_MINUTES} minutes"


def session_remember(request: HttpRequest, *, remember: bool) -> None:
    """After login: ticked, the cookie outlives the browser for QMS_SESSION_REMEMBER_DAYS from now;
    not ticked, it ends when the browser closes. The idle timeout applies to both."""
    if remember:
        request.session.set_expiry(timezone.now() + dt.timedelta(days=settings.QMS_SESSION_REMEMBER_DAYS))
    else:
        request.session.set_expiry(0)


def _index(*, session_key: str, user_id, now: dt.datetime) -> None:
    """Insert or refresh the session's row in one statement."""
    UserSession.objects.bulk_create(
        [UserSession(user_id=user_id, session_key=session_key, last_seen=now)],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=["user", "last_seen"],
    )


def session_activity_record(request: HttpRequest, *, now: dt.datetime) -> None:
    """The request is activity: the session's idle clock and its index row start again from now.
    One UPDATE (and the session's own save); an INSERT too if the session's key changed since it
    was indexed (Django cycles the key when a password changes)."""
    session = request.session
    session[LAST_ACTIVITY_KEY] = int(now.timestamp())
    key = session.session_key
    if key and not UserSession.objects.filter(session_key=key).update(last_seen=now):
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        _index(session_key=key, user_id=user_id, now=now)


def session_is_idle(request: HttpRequest, *, now: dt.datetime) -> bool:
    last = request.session.get(LAST_ACTIVITY_KEY)
    return isinstance(last, int) and now.timestamp() - last > idle_limit().total_seconds()


def sessions_end_for(user) -> int:
    """End every session of this person, in whichever session engine is configured. Returns how
    many were indexed (some may have expired already)."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(user=user).delete()
    return len(keys)


# --- Receivers (connected in core.apps) ----------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    """Index the new session and start its idle clock; prune rows of sessions idle past the limit
    (they are over, by the idle rule, whatever their cookie says)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = timezone.now()
    session[LAST_ACTIVITY_KEY] = int(now.timestamp())
    if session.session_key is None:
        session.save()
    UserSession.objects.filter(last_seen__lt=now - idle_limit()).delete()
    _index(session_key=session.session_key, user_id=user.pk, now=now)


def on_logged_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def before_user_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Note whether this save changes is_active (one query, and none for a save that names its
    fields without is_active, such as the last_login update at every login)."""
    instance._qms_active_changed = False
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    before = sender._default_manager.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._qms_active_changed = before is not None and before != instance.is_active


def after_user_save(sender, instance, raw=False, **kwargs) -> None:
    """A person deactivated or reactivated: their old sessions end (in the same transaction)."""
    if raw or not getattr(instance, "_qms_active_changed", False):
        return
    instance._qms_active_changed = False
    ended = sessions_end_for(instance)
    security_event(
        "sessions_ended",
        None,
        username=instance.get_username(),
        reason="deactivated" if not instance.is_active else "reactivated",
        sessions=ended,
    )
