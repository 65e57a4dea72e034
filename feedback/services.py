"""Writes for attendee feedback and the content change log: each function is one transaction.

Errors a person can fix are raised as ValidationError, in their words, and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from core.concurrency import claim_version
from programmes.models import ProgrammeTemplate, Session

from .models import ChangeKind, ContentChange, CouldImprove, FeedbackLink, FeedbackResponse

COMMENT_MAX_LENGTH = 2000
CLOSED_MESSAGE = "This feedback form is closed. Thank you for wanting to give feedback."


# --- Links and responses -----------------------------------------------------------------------


@transaction.atomic
def feedback_link_open(*, session: Session) -> FeedbackLink:
    """Opens the session's feedback link, making it (with a new unguessable token) the first time."""
    if session.cancelled:
        raise ValidationError("This session was cancelled, so it has no feedback to collect.", code="cancelled")
    link, created = FeedbackLink.objects.get_or_create(session=session, defaults={"is_open": True})
    if not created and not link.is_open:
        FeedbackLink.objects.filter(pk=link.pk).update(is_open=True)
        link.is_open = True
    return link


@transaction.atomic
def feedback_link_close(*, session: Session) -> FeedbackLink:
    """Closes the session's feedback link: the form then says it is closed and takes no answers."""
    link = FeedbackLink.objects.filter(session=session).first()
    if link is None:
        raise ValidationError("This session has no feedback link to close.", code="no_link")
    FeedbackLink.objects.filter(pk=link.pk).update(is_open=False)
    link.is_open = False
    return link


@transaction.atomic
def feedback_response_create(
    *,
    link: FeedbackLink,
    could_improve: str,
    rating: int,
    what_worked: str,
    what_better: str,
    today: dt.date,
) -> FeedbackResponse:
    """Saves an attendee's answers: no user, no address, only the date."""
    if not FeedbackLink.objects.filter(pk=link.pk, is_open=True).exists():
        raise ValidationError(CLOSED_MESSAGE, code="closed")
    errors = {}
    if could_improve not in CouldImprove.values:
        errors["could_improve"] = "Choose yes, not sure or no."
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = "Choose a rating from 1 to 5."
    for name, text in (("what_worked", what_worked), ("what_better", what_better)):
        if len(text) > COMMENT_MAX_LENGTH:
            errors[name] = f"Keep this to {COMMENT_MAX_LENGTH:,} characters or fewer."
    if errors:
        raise ValidationError(errors)
    return FeedbackResponse.objects.create(
        link=link,
        could_improve=could_improve,
        rating=rating,
        what_worked=what_worked.strip(),
        what_better=what_better.strip(),
        submitted_on=today,
    )


# --- The content change log --------------------------------------------------------------------


def _check_change(*, section: str, kind: str, description: str, made_on: dt.date, today: dt.date) -> None:
    errors = {}
    if not section.strip():
        errors["section"] = "Say which part of the training package changed."
    if kind not in ChangeKind.values:
        errors["kind"] = "Choose the kind of change."
    if not description.strip():
        errors["description"] = "Describe the change."
    if made_on > today:
        errors["made_on"] = "A change is recorded once it has been made: the date cannot be in the future."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def content_change_create(
    *,
    template: ProgrammeTemplate,
    section: str,
    kind: str,
    description: str,
    made_on: dt.date,
    made_by,
    responses: Iterable[FeedbackResponse],
    today: dt.date,
) -> ContentChange:
    """Records a change to the training package and the feedback responses that prompted it."""
    _check_change(section=section, kind=kind, description=description, made_on=made_on, today=today)
    change = ContentChange.objects.create(
        template=template,
        section=section.strip(),
        kind=kind,
        description=description.strip(),
        made_on=made_on,
        made_by=made_by,
    )
    change.responses.set(responses)
    return change


@transaction.atomic
def content_change_update(
    *,
    change: ContentChange,
    version: int,
    template: ProgrammeTemplate,
    section: str,
    kind: str,
    description: str,
    made_on: dt.date,
    responses: Iterable[FeedbackResponse],
    today: dt.date,
) -> ContentChange:
    """Edits a change made on a form opened on `version` of it: of two editors, the later one is refused
    (StaleEdit, core.concurrency)."""
    _check_change(section=section, kind=kind, description=description, made_on=made_on, today=today)
    claim_version(
        change, version, template=template, section=section.strip(), kind=kind, description=description.strip(),
        made_on=made_on,
    )  # fmt: skip
    change.refresh_from_db()
    change.responses.set(responses)
    return change
