"""Writes for attendee feedback and the content change log: each function is one transaction.

Errors a person can fix are raised as ValidationError, in their words, and change nothing.

The stored feedback counts per enrolment (EnrolmentFeedback) follow every write of a response, a
link or a session's attendees in the same transaction: refresh_feedback_tallies, called by
feedback.receivers after each such save or delete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.concurrency import claim_version
from core.derived import store_per_enrolment
from core.locks import ENROLMENT_FIGURES, advisory_xact_lock
from programmes.models import (
    HUDDLE_MAX_PEOPLE,
    HUDDLE_NOTE_MAX_LENGTH,
    Enrolment,
    HuddleBoard,
    HuddleCheckIn,
    ProgrammeTemplate,
    Session,
    Team,
    new_huddle_token,
)

from .guards import form_token_forget_before, form_token_hash
from .models import (
    SHARED_DEVICE_HOURS,
    ChangeKind,
    ContentChange,
    CouldImprove,
    EnrolmentFeedback,
    FeedbackLink,
    FeedbackResponse,
    FormTokenUse,
)
from .selectors import TALLY_FIELDS, enrolment_tallies

COMMENT_MAX_LENGTH = 2000
CLOSED_MESSAGE = "This feedback form is closed. Thank you for wanting to give feedback."
ALREADY_SENT = "This form has already been sent, so nothing more has been saved."


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
    # Closing ends a shared device too: reopened later, the form asks again whether a device has answered.
    FeedbackLink.objects.filter(pk=link.pk).update(is_open=False, shared_device_until=None)
    link.is_open = False
    link.shared_device_until = None
    return link


@transaction.atomic
def feedback_shared_device_set(*, session: Session, on: bool, now: dt.datetime) -> FeedbackLink:
    """Turns the session's "shared device" on for SHARED_DEVICE_HOURS from `now`, or off.

    While it is on, one device passed round the room takes one answer per fresh form: the form does
    not refuse a device that has answered already. Each form still sends once, and the link's rate
    limit still applies.
    """
    link = FeedbackLink.objects.filter(session=session).first()
    if link is None:
        raise ValidationError("Open the feedback form first: a shared device answers its form.", code="no_link")
    if on and not link.is_open:
        raise ValidationError("The feedback form is closed: reopen it before sharing a device.", code="closed")
    until = now + dt.timedelta(hours=SHARED_DEVICE_HOURS) if on else None
    FeedbackLink.objects.filter(pk=link.pk).update(shared_device_until=until)
    link.shared_device_until = until
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
    form_token: str | None = None,
) -> FeedbackResponse:
    """Saves an attendee's answers: no user, no address, only the date.

    form_token is the random part of the public form's one-time token (guards.form_token_check). It
    is used up here, in the same transaction as the answer: of two posts of one form, replayed or
    sent at the same moment from two processes, one saves and the other is refused with
    code "already_sent" (the second waits on the first's row under the unique key, then finds it).
    None for answers that come from no form (seed_demo).
    """
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
    if form_token is not None:
        _form_token_use(form_token=form_token, today=today)
    return FeedbackResponse.objects.create(
        link=link,
        could_improve=could_improve,
        rating=rating,
        what_worked=what_worked.strip(),
        what_better=what_better.strip(),
        submitted_on=today,
    )


def _form_token_use(*, form_token: str, today: dt.date) -> None:
    """Uses up a public form's one-time token (its random part, guards.form_token_check) in the
    caller's transaction, or raises ValidationError code "already_sent" when it was used before: of
    two posts of one form at once, the second waits on the first's row under the unique key, then
    finds it. Only the token's hash and the date are kept."""
    try:
        with transaction.atomic():
            FormTokenUse.objects.create(token_hash=form_token_hash(form_token), used_on=today)
    except IntegrityError:
        raise ValidationError(ALREADY_SENT, code="already_sent") from None
    # Now and then there are tokens old enough to forget; a purge that fails is logged, not raised.
    transaction.on_commit(lambda: form_tokens_purge(today=today), robust=True)


def form_tokens_purge(*, today: dt.date) -> int:
    """Forgets the used form tokens that could no longer be accepted anyway; returns how many.

    Run after every accepted answer (on commit) and by `manage.py purge_feedback_tokens`.
    """
    deleted, _ = FormTokenUse.objects.filter(used_on__lt=form_token_forget_before(today)).delete()
    return deleted


# --- Huddle check-ins ---------------------------------------------------------------------------

HUDDLE_PEOPLE_MESSAGE = f"Give a number of people from 1 to {HUDDLE_MAX_PEOPLE}, or leave it blank."
HUDDLE_NOTE_MESSAGE = f"Keep this to {HUDDLE_NOTE_MAX_LENGTH} characters or fewer."


def huddle_board_for_team(*, team: Team) -> HuddleBoard:
    """The team's huddle board, made (with a new unguessable token) the first time it is asked for.
    Two requests making it at once make one: get_or_create reads the other's row after the unique
    key refuses the second insert."""
    board, _ = HuddleBoard.objects.get_or_create(team=team)
    return board


@transaction.atomic
def huddle_token_reset(*, team: Team, now: dt.datetime) -> HuddleBoard:
    """Gives the team's huddle board a new token: every QR code printed before stops working (its
    address is unknown from now on). The team's check-ins are kept; its flood counter starts again."""
    board = huddle_board_for_team(team=team)
    HuddleBoard.objects.filter(pk=board.pk).update(
        token=new_huddle_token(), token_reset_at=now, rate_window=0, rate_count=0
    )
    board.refresh_from_db()
    return board


@dataclass(frozen=True)
class HuddleCheckInResult:
    check_in: HuddleCheckIn
    recorded: bool  # False: the team's huddle of that day was recorded before, and nothing was added


@transaction.atomic
def huddle_check_in_record(
    *,
    board: HuddleBoard,
    people: int | None,
    note: str,
    today: dt.date,
    form_token: str | None = None,
) -> HuddleCheckInResult:
    """Records that the board's team held its huddle `today` (the date in London): nothing about who
    tapped, from where, or at what time.

    At most one check-in per team per day: a later tap, or two at the same moment from two phones,
    adds nothing (the unique key on team and date; the second insert waits for the first and then
    reads its row) and comes back with recorded=False. form_token: the check-in page's one-time
    token, used up as the feedback form's is (a replayed form: ValidationError "already_sent")."""
    errors = {}
    if people is not None and (not isinstance(people, int) or not 1 <= people <= HUDDLE_MAX_PEOPLE):
        errors["people"] = HUDDLE_PEOPLE_MESSAGE
    if len(note) > HUDDLE_NOTE_MAX_LENGTH:
        errors["note"] = HUDDLE_NOTE_MESSAGE
    if errors:
        raise ValidationError(errors)
    if form_token is not None:
        _form_token_use(form_token=form_token, today=today)
    check_in, created = HuddleCheckIn.objects.get_or_create(
        team_id=board.team_id, held_on=today, defaults={"people": people, "note": " ".join(note.split())}
    )
    return HuddleCheckInResult(check_in=check_in, recorded=created)


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


# --- Stored feedback counts per enrolment --------------------------------------------------------

_TALLY_LOCK = ENROLMENT_FIGURES  # shared with the other stored per-enrolment figures (core.locks)


@transaction.atomic(savepoint=False)
def refresh_feedback_tallies(enrolment_ids: Iterable[int | None]) -> None:
    """Recomputes these enrolments' stored feedback counts (EnrolmentFeedback) in the caller's
    transaction: upserts a row for each with a feedback link, deletes the row of each without one.

    Called by every write that changes what the counts are computed from (feedback.receivers: a
    response, a link, a session's attendees or enrolment, and the deletes). At most four queries
    whatever the number of enrolments: the lock (PostgreSQL, so that two refreshes of one enrolment
    at once never store counts that miss the other's writes), the counts, the delete, the upsert.
    """
    ids = sorted({int(pk) for pk in enrolment_ids if pk is not None})
    if not ids:
        return
    advisory_xact_lock(_TALLY_LOCK, ids)
    tallies = enrolment_tallies(Session.objects.filter(enrolment_id__in=ids))
    store_per_enrolment(
        EnrolmentFeedback, tallies, fields=list(TALLY_FIELDS), absent=[pk for pk in ids if pk not in tallies]
    )


@transaction.atomic
def rebuild_feedback_tallies() -> int:
    """Recomputes every enrolment's stored feedback counts (after data loaded without the app's
    writes: loaddata, bulk inserts); returns how many rows are stored."""
    ids = Enrolment.objects.order_by("pk").values_list("pk", flat=True)
    advisory_xact_lock(_TALLY_LOCK, ids)
    tallies = enrolment_tallies(Session.objects.all())
    stored = set(EnrolmentFeedback.objects.values_list("enrolment_id", flat=True))
    store_per_enrolment(EnrolmentFeedback, tallies, fields=list(TALLY_FIELDS), absent=sorted(stored - set(tallies)))
    return len(tallies)
