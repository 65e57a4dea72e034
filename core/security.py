"""The security log, the client's address, and the login lockout page.

Every authentication event (login, failed login, lockout, logout, sessions ended) and every refused
request (403) is one line on the "qms.security" logger: what happened, who (the username typed or
signed in, never a password), from where (the client's IP address) and which path, with any secret
token in the path replaced by "<token>". Passwords, form contents and feedback text are never logged.
The log record's time is the "when" (the LOGGING formatter writes it).

Failed logins are counted and locked out by django-axes (settings: AXES_*); this module gives axes
the client address it counts by (client_ip) and the page it shows (lockout_response).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger("qms.security")

# Secret tokens travel in paths: the feedback form /feedback/<token>/ and the calendar feeds
# /coaching/calendar/<token>.ics (token_urlsafe: 32 or more of A-Z a-z 0-9 - _). No other path
# segment of the site is 20 characters of that alphabet, so such a segment is taken for a token
# wherever it appears (resolved or not, in a path or in a request line "GET /feedback/… HTTP/1.1").
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_-]{20,}(?=[/.?\s]|$)")
_LONGEST = 300  # a longer value is cut: a log line stays a line, not a copy of the request


def redact_path(path: str) -> str:
    """The path with each token segment replaced by "<token>"."""
    return _TOKEN_SEGMENT.sub("<token>", path)[:_LONGEST]


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, unless QMS_CLIENT_IP_HEADER names a header that the
    site's own reverse proxies set (e.g. X-Forwarded-For). Then the address QMS_TRUSTED_PROXY_COUNT
    places from the right of that header is taken: what the client wrote at the left is never
    believed, because each proxy appends the address it was reached from. A header that is missing,
    too short or not an address falls back to REMOTE_ADDR."""
    header = settings.QMS_CLIENT_IP_HEADER
    if header:
        hops = [hop.strip() for hop in request.META.get(header, "").split(",") if hop.strip()]
        count = settings.QMS_TRUSTED_PROXY_COUNT
        if len(hops) >= count:
            candidate = hops[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def _username_of(request: HttpRequest | None, username: str | None = None) -> str:
    if username is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            username = user.get_username()
    return (username or "")[:150]


def security_event(event: str, request: HttpRequest | None, *, username: str | None = None, **details) -> None:
    """One line on the security log: `event user='…' ip=… path='…'` and any details (key=value).

    Values a client chose (username, path) are written with repr(), so that a newline typed into the
    username field cannot start a forged line."""
    ip = client_ip(request) if request is not None else None
    path = redact_path(request.path) if request is not None else ""
    extra = "".join(f" {key}={value}" for key, value in details.items())
    logger.info(
        "%s user=%r ip=%s path=%r%s",
        event,
        _username_of(request, username),
        ip or "-",
        path,
        extra,
    )


# --- Receivers (connected in core.apps) ----------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    security_event("login", request, username=user.get_username())


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # A try while locked out is said once, by on_locked_out (axes marks the request first).
    if request is not None and getattr(request, "axes_locked_out", False):
        return
    username = credentials.get("username") if isinstance(credentials, dict) else None
    security_event("login_failed", request, username=username if isinstance(username, str) else None)


def on_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    until = lockout_ends_at(username=username, ip_address=ip_address)
    security_event(
        "login_locked_out",
        request,
        username=username if isinstance(username, str) else None,
        until=timezone.localtime(until).isoformat(timespec="minutes"),
    )


def on_logged_out(sender, request, user, **kwargs) -> None:
    reason = getattr(request, "qms_logout_reason", None)
    details = {"reason": reason} if reason else {}
    security_event("logout", request, username=user.get_username() if user is not None else None, **details)


# --- Lockout ---------------------------------------------------------------------------------------


def _cool_off() -> dt.timedelta:
    return settings.AXES_COOLOFF_TIME


def lockout_ends_at(*, username: str | None, ip_address: str | None) -> dt.datetime:
    """When this username may try again from this address: its latest counted failure plus the
    cool-off (failures during the lockout are not counted, AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT),
    rounded up to the minute, so that "after 10:42" is true at 10:42:00."""
    from axes.models import AccessAttempt
    from django.db.models import Max

    attempts = AccessAttempt.objects.filter(username=username, ip_address=ip_address)
    latest = attempts.aggregate(latest=Max("attempt_time"))["latest"]
    ends = (latest or timezone.now()) + _cool_off()
    if ends.second or ends.microsecond:
        ends = ends.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return ends


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a locked-out login gets (AXES_LOCKOUT_CALLABLE): 429, and when to try again, in
    London time."""
    from axes.helpers import get_client_username

    username = get_client_username(request, credentials)
    ends = timezone.localtime(lockout_ends_at(username=username, ip_address=request.axes_ip_address))
    context = {
        "try_again_at": ends,
        "minutes": int(_cool_off().total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "different_day": ends.date() != timezone.localdate(),
    }
    return render(request, "registration/locked_out.html", context, status=429)


# --- Logging ---------------------------------------------------------------------------------------


class RequestLogFilter(logging.Filter):
    """On Django's request loggers (django.request, django.security.*, django.server): drops the
    "Forbidden (Permission denied)" record and its traceback, since a refused request is a line of
    the security log (core.middleware.RefusedRequestLogMiddleware), and takes tokens out of the
    path in every other record. Real errors (500) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            return False
        if isinstance(record.msg, str):
            record.msg = _TOKEN_SEGMENT.sub("<token>", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_SEGMENT.sub("<token>", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
