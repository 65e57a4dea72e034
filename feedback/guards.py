"""Soft protection for the public feedback form, kept in the cache and the attendee's browser.

Nothing here records who answered: a counter per link (floods), a one-time token in each form
(replays and double clicks), and a signed cookie in the attendee's own browser (repeat answers).
With several server processes, set QMS_CACHE_URL so that the counter and the tokens are shared.
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .models import FeedbackLink

FORM_TOKEN_SALT = "feedback.form-token"  # noqa: S105 - a signing namespace, not a secret
FORM_TOKEN_MAX_AGE = 24 * 60 * 60  # a form left open longer is refreshed, keeping what was typed
ANSWERED_SALT = "feedback.answered"
ANSWERED_MAX_AGE = 180 * 24 * 60 * 60


def form_token_new(link: FeedbackLink) -> str:
    """A signed, single-use token for one rendering of the form."""
    return signing.dumps([link.pk, secrets.token_urlsafe(16)], salt=FORM_TOKEN_SALT)


def form_token_check(link: FeedbackLink, value: str) -> str | None:
    """The token's random part if it was issued by us for this link within the last day, else None."""
    try:
        link_pk, nonce = signing.loads(value, salt=FORM_TOKEN_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if link_pk != link.pk or not isinstance(nonce, str):
        return None
    return nonce


def form_token_claim(nonce: str) -> bool:
    """True the first time a form token is used; False for a replay or a double click.

    cache.add is atomic (an add-if-absent in local memory and in Redis), so of two identical
    posts exactly one wins. The claim outlives the token's own validity.
    """
    return cache.add(f"feedback:form-token:{nonce}", 1, timeout=FORM_TOKEN_MAX_AGE + 60)


def rate_limit_hit(link: FeedbackLink) -> bool:
    """Counts a post to this link's form; True when the link has had too many in this window."""
    window = settings.QMS_FEEDBACK_RATE_WINDOW_SECONDS
    key = f"feedback:rate:{link.pk}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.QMS_FEEDBACK_RATE_LIMIT


def _cookie_name(link: FeedbackLink) -> str:
    return f"qms_feedback_{link.pk}"


def _cookie_path(link: FeedbackLink) -> str:
    return reverse("feedback:form", kwargs={"token": link.token})


def has_answered(request: HttpRequest, link: FeedbackLink) -> bool:
    """Whether this browser has already answered this link's form (our signed cookie says so)."""
    value = request.get_signed_cookie(_cookie_name(link), default=None, salt=ANSWERED_SALT, max_age=ANSWERED_MAX_AGE)
    return value == "1"


def mark_answered(response: HttpResponse, link: FeedbackLink) -> None:
    """Leaves a signed cookie, sent only to this form's address, saying this browser has answered."""
    response.set_signed_cookie(
        _cookie_name(link),
        "1",
        salt=ANSWERED_SALT,
        max_age=ANSWERED_MAX_AGE,
        path=_cookie_path(link),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
