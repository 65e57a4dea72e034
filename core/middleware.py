"""Middleware every page goes through (qms_site/settings.py MIDDLEWARE; README "Security").

- SessionIdleTimeoutMiddleware: signs a person out after QMS_SESSION_IDLE_MINUTES without a request.
- PrivatePagesMiddleware: `Cache-Control: no-store, private` on whatever a signed-in person is sent
  (pages and CSV exports) and on the views named in QMS_NO_STORE_VIEWS (the public feedback form,
  which carries a one-time token), so that neither the browser nor a proxy keeps a copy.
- RefusedRequestLogMiddleware: one security-log line for each 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.cache import patch_cache_control

from .security import security_event
from .sessions import LAST_ACTIVITY_KEY, REFRESH_SECONDS, idle_words, session_activity_record, session_is_idle


def _signed_in(request: HttpRequest) -> bool:
    """Whether the request carries a signed-in session, read from the session alone (no user query)."""
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session


class SessionIdleTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware. A signed-in request either ends an idle
    session (the person is signed out and told why; the view then sees an anonymous request, so a
    page behind a login sends them to the login page and back) or counts as activity, written at
    most once a minute: no write for most requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if _signed_in(request):
            now = timezone.now()
            if session_is_idle(request, now=now):
                request.qms_logout_reason = "idle"
                logout(request)
                messages.info(
                    request, f"You were signed out after {idle_words()} without activity. Please log in again."
                )
            else:
                last = request.session.get(LAST_ACTIVITY_KEY)
                if not isinstance(last, int) or now.timestamp() - last >= REFRESH_SECONDS:
                    session_activity_record(request, now=now)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """`Cache-Control: no-store, private` on responses to signed-in requests and to the views in
    settings.QMS_NO_STORE_VIEWS ("namespace:name"). Static files never reach it (WhiteNoise answers
    them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if _signed_in(request) or (match is not None and match.view_name in settings.QMS_NO_STORE_VIEWS):
            patch_cache_control(response, no_store=True, private=True)
        return response


class RefusedRequestLogMiddleware:
    """One line on the security log for each 403 (a role refused, a CSRF failure), with who, from
    where and which path; Django's own "Forbidden (Permission denied)" record and its traceback are
    dropped by core.security.RequestLogFilter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 403:
            security_event("refused", request, status=403)
        return response
