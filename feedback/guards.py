"""Soft protection for the public no-login forms (the feedback form and the huddle check-in), kept in
the database and the person's browser.

Nothing here records who answered: a counter per link or board (floods), a one-time token in each
form (replays, double clicks, two posts at once) and, for the feedback form, a signed cookie in the
attendee's own browser (repeat answers). The counter and the used tokens are rows in the database,
so every server process sees the same ones, whatever cache is configured.

The form token and the counter belong to an "owner": the row behind the public address (a
FeedbackLink or a HuddleBoard). A form token names its owner's kind and id, so a token issued for one
form is refused by every other; the counter is the owner's own rate_window and rate_count columns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from programmes.models import HuddleBoard

from .models import FeedbackLink

FORM_TOKEN_SALT = "feedback.form-token"  # noqa: S105 - a signing namespace, not a secret
FORM_TOKEN_MAX_AGE = 24 * 60 * 60  # a form left open longer is refreshed, keeping what was typed
ANSWERED_SALT = "feedback.answered"
ANSWERED_MAX_AGE = 180 * 24 * 60 * 60

# The owners of a public form and the signing namespace of each one's form tokens. The feedback
# link keeps the namespace it has always had, so forms open when this was deployed still send.
_FORM_TOKEN_SALTS: dict[type[models.Model], str] = {
    FeedbackLink: FORM_TOKEN_SALT,
    HuddleBoard: f"{FORM_TOKEN_SALT}.huddle",
}
# The public forms' owners, for rate_limit_hit: each has rate_window and rate_count columns.
GuardedOwner = FeedbackLink | HuddleBoard


def _form_token_salt(owner: GuardedOwner) -> str:
    return _FORM_TOKEN_SALTS[type(owner)]


def form_token_new(owner: GuardedOwner) -> str:
    """A signed, single-use token for one rendering of the owner's form."""
    return signing.dumps([owner.pk, secrets.token_urlsafe(16)], salt=_form_token_salt(owner))


def form_token_check(owner: GuardedOwner, value: str) -> str | None:
    """The token's random part if it was issued by us for this owner's form within the last day,
    else None. A token of another kind of form, or of another owner of this kind, is refused."""
    try:
        owner_pk, nonce = signing.loads(value, salt=_form_token_salt(owner), max_age=FORM_TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if owner_pk != owner.pk or not isinstance(nonce, str):
        return None
    return nonce


def form_token_hash(nonce: str) -> str:
    """What the database keeps of a used form token: its SHA-256, never the token itself."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def form_token_forget_before(today: dt.date) -> dt.date:
    """Used tokens dated before this day may be forgotten: each was issued at most FORM_TOKEN_MAX_AGE
    before its use, so it has expired by now (and a day more is kept, for clocks and time zones)."""
    return today - dt.timedelta(seconds=FORM_TOKEN_MAX_AGE) - dt.timedelta(days=1)


def _rate_window(now: dt.datetime) -> tuple[int, float]:
    """The number of the rate window `now` falls in, and the seconds left in it."""
    seconds = settings.QMS_FEEDBACK_RATE_WINDOW_SECONDS
    elapsed = now.timestamp() / seconds
    return math.floor(elapsed), (math.floor(elapsed) + 1 - elapsed) * seconds


def rate_limit_hit(owner: GuardedOwner, *, now: dt.datetime) -> bool:
    """Counts a post to this owner's form (a feedback link's, a huddle board's); True when it has had
    too many in this window.

    One UPDATE adds one to the owner's counter (or starts it again at 1 in a new window), and the
    SELECT after it, in the same transaction, reads the count while this UPDATE's row lock is still
    held. On PostgreSQL parallel posts queue on that lock, each adding to the count the one before
    left, so no post is lost and exactly RATE_LIMIT of them pass; SQLite has one writer at a time.
    """
    window, _ = _rate_window(now)
    rows = type(owner)._default_manager.filter(pk=owner.pk)
    with transaction.atomic():
        rows.update(
            rate_count=Case(When(rate_window=window, then=F("rate_count") + 1), default=Value(1)),
            rate_window=window,
        )
        count = rows.values_list("rate_count", flat=True).first()
    return count is not None and count > settings.QMS_FEEDBACK_RATE_LIMIT


def rate_limit_retry_after(now: dt.datetime) -> int:
    """Whole seconds until the current window ends: the 429's Retry-After."""
    _, left = _rate_window(now)
    return max(math.ceil(left), 1)


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
