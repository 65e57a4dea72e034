"""Writes for reminders: the daily sweep that claims them, and sending each one once.
Which reminders are due, and to whom, is in coaching.selectors.reminders.

The claim: the sweep claims a reminder by inserting its Reminder row (status pending) under the
unique constraint (session, recipient, kind, due date) with INSERT ... ON CONFLICT DO NOTHING
RETURNING, so of two sweeps, in parallel or one after the other, only one gets each row back.
Then each recipient's reminders go into their one digest of the day (coaching.services.digests:
one email per person per day, claimed under its own unique constraint), and a task per digest
sends it after the claim commits.

The send: coaching.services.sending, the one state machine for every claimed email (claim the send
in a committed UPDATE, send, mark sent; retry, fail, or take over a claim left by a dead worker).

The send task is queued by its name, SEND_REMINDER_TASK: coaching.tasks imports this module, not
the other way round. Queries: a batch of due reminders is claimed in one INSERT (a few on SQLite,
whose statements take at most 999 parameters).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ..emails import person_name, reminder_message
from ..models import Reminder
from ..selectors.reminders import PlannedReminder, reminder_for_sending, reminders_due
from .digests import DIGESTS, calendar_url_for, daily_digests_attach
from .sending import (  # noqa: F401 - the names the reminder tasks and tests know
    INTERRUPTED_ERROR,
    RETRY_BACKOFF_MAX_SECONDS,
    RETRY_BACKOFF_SECONDS,
    SEND_MAX_RETRIES,
    TRANSIENT_ERRORS,
    Outbox,
    SendOutcome,
    insert_claims,
    is_permanent_error,
    mark_failed,
    register_outbox,
    requeue_stale,
    retry_countdown,
    retry_failed,
    send_after_commit,
    send_claimed,
)
from .sending import claim_send as _claim_send

logger = logging.getLogger(__name__)

# The name coaching.tasks registers the reminders' send task under (kept from before the other
# kinds of email, so that messages already queued by it still run).
SEND_REMINDER_TASK = "coaching.send_reminder"


# --- The claim --------------------------------------------------------------------------------

_UNIQUE_FIELDS = ("session", "recipient", "kind", "due_date")


def reminders_claim(*, planned: list[PlannedReminder], now: dt.datetime) -> dict[tuple[int, int, str], int]:
    """Inserts the batch's Reminder rows, skipping any that exist; returns the ones this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and SQLite 3.35+) returns only the
    rows inserted here: a row another sweep inserted first, or inserts while we wait on its lock,
    is not ours. Keyed by (session id, recipient id, kind), which is unique within one rule's batch.
    """
    rows = [
        {"session": p.session.pk, "recipient": p.recipient.pk, "kind": p.kind.value, "due_date": p.due_date}
        for p in planned
    ]
    inserted = insert_claims(
        Reminder, rows, unique=_UNIQUE_FIELDS, now=now, returning=("id", "session", "recipient", "kind")
    )
    return {(session_id, recipient_id, kind): pk for pk, session_id, recipient_id, kind in inserted}


@dataclass
class SweepResult:
    today: dt.date
    dry_run: bool
    reminders: list[PlannedReminder] = field(default_factory=list)  # claimed by this run (or would be)
    reminder_ids: list[int] = field(default_factory=list)  # their rows, in the same order
    digest_ids: list[int] = field(default_factory=list)  # the day's digests that took reminders, queued
    requeued: list[int] = field(default_factory=list)  # digests left behind by a lost task, queued again


def reminders_sweep(*, today: dt.date, dry_run: bool = False, now: dt.datetime | None = None) -> SweepResult:
    """Claims every reminder due on `today`, puts each recipient's into their digest of the day and
    queues its email (after commit); dry_run claims nothing.

    Safe to run any number of times, in parallel too: each reminder is claimed once, and each
    person's digest of the day once. Reminders claimed after that digest was sent (or while it is
    being sent) wait for the next day's.
    """
    now = now or timezone.now()
    result = SweepResult(today=today, dry_run=dry_run)
    for batch in reminders_due(today=today):
        if dry_run:
            result.reminders.extend(batch)
            continue
        with transaction.atomic():
            claimed = reminders_claim(planned=batch, now=now)
            for planned in batch:
                reminder_id = claimed.get((planned.session.pk, planned.recipient.pk, planned.kind.value))
                if reminder_id is None:
                    continue  # another sweep claimed it between our read and our insert
                result.reminders.append(planned)
                result.reminder_ids.append(reminder_id)
    if not dry_run:
        result.digest_ids = daily_digests_attach(today=today, now=now)
        result.requeued = requeue_stale(DIGESTS, now=now)
    return result


# --- Sending, once ----------------------------------------------------------------------------


def _reminder_message(reminder: Reminder, today: dt.date):
    """One reminder's own email, or why it cannot be sent: for a reminder queued on its own before
    digests (the sweep now sends digests), and the send tests."""
    recipient = reminder.recipient
    if not recipient.email or not recipient.is_active:
        why = "has no email address" if recipient.is_active else "has an inactive account"
        return f"{person_name(recipient)} {why}."
    return reminder_message(reminder, today=today, calendar_url=calendar_url_for(reminder))


REMINDERS = register_outbox(
    Outbox(
        name="reminder",
        model=Reminder,
        load=reminder_for_sending,
        message=_reminder_message,
        task=SEND_REMINDER_TASK,
    )
)


def reminder_send(*, reminder_id: int, today: dt.date | None = None, now: dt.datetime | None = None) -> str:
    """Sends a pending reminder's email once; returns a SendOutcome (see coaching.services.sending)."""
    return send_claimed(REMINDERS, reminder_id, today=today, now=now)


def reminder_claim_send(*, reminder_id: int, claim, now: dt.datetime) -> bool:
    """pending -> sending under `claim` (see coaching.services.sending.claim_send)."""
    return _claim_send(Reminder, reminder_id, claim=claim, now=now)


def reminder_mark_failed(*, reminder_id: int, error: str) -> bool:
    """A pending reminder that will not be sent: shown as failed to managers. False if not pending."""
    return mark_failed(Reminder, reminder_id, error=error)


def reminder_retry(*, reminder: Reminder) -> bool:
    """A manager asks for a failed reminder to be sent again. False if it is no longer failed."""
    return retry_failed(REMINDERS, reminder.pk)
