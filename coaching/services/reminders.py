"""Writes for reminders: the daily sweep that claims them, and sending each one once.
Which reminders are due, and to whom, is in coaching.selectors.reminders.

The claim: the sweep claims a reminder by inserting its Reminder row (status pending) under the
unique constraint (session, recipient, kind, due date) with INSERT ... ON CONFLICT DO NOTHING
RETURNING, so of two sweeps, in parallel or one after the other, only one gets each row back.
After the claim commits, a task per reminder id sends the email.

The send: the task claims the send with one committed UPDATE ... SET status = sending, claim =
<a token of its own>, sending_since = now, attempts = attempts + 1 WHERE status = pending, before
it calls the mail server. Only the task whose UPDATE matched sends; a duplicated or redelivered
task (a worker killed mid-send, its message handed out again) finds the row sending or sent and
does nothing. After the mail server accepts the message, sending -> sent. A mail server error
(or the soft time limit) puts it back to pending with the error recorded, and the task retries
with backoff; after the last retry it is marked failed, shown on the managers' Reminders page,
from where it can be sent again. A task that dies mid-send (worker killed, hard time limit) leaves
the row sending: once the send bound has passed (STALE_SENDING_AFTER, longer than any send can
last) the sweep puts it back to pending and queues it again, and a redelivered task may take it
over. So no reminder is lost, and one is sent twice only if a worker dies in the moment after
the mail server accepted the message and before the row was marked sent.

The send task is queued by its name, SEND_REMINDER_TASK: coaching.tasks imports this module, not
the other way round. Queries: a batch of due reminders is claimed in one INSERT (a few on SQLite,
whose statements take at most 999 parameters).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass, field

from celery import current_app
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..emails import person_name, recipient_is_coach, reminder_message, site_url
from ..models import Reminder, ReminderStatus
from ..selectors.reminders import (
    STALE_SENDING_AFTER,
    PlannedReminder,
    reminder_for_sending,
    reminders_due,
    stale_reminders,
    stale_sending,
)
from .calendar import calendar_feed_for_coach

logger = logging.getLogger(__name__)

# The name coaching.tasks registers its send task under. Queued by name, the task runs in-process
# when no broker is configured (task_always_eager) as long as it is registered in this process,
# i.e. coaching.tasks has been imported; else the message would go to the broker.
SEND_REMINDER_TASK = "coaching.send_reminder"

# Sending: errors worth another try, and the retry schedule (seconds) the task follows. A retry
# waits on a worker as an unacknowledged message, which Redis hands out again after the broker's
# visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS): the longest wait plus a send
# stays within it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)
SEND_MAX_RETRIES = 5
RETRY_BACKOFF_SECONDS = 60
RETRY_BACKOFF_MAX_SECONDS = 240
INTERRUPTED_ERROR = "The send was interrupted (the worker stopped); queued again."


# --- The claim --------------------------------------------------------------------------------

_CLAIM_FIELDS = ("session", "recipient", "kind", "due_date", "status", "attempts", "error", "created_at")
_UNIQUE_FIELDS = ("session", "recipient", "kind", "due_date")


def reminders_claim(*, planned: list[PlannedReminder], now: dt.datetime) -> dict[tuple[int, int, str], int]:
    """Inserts the batch's Reminder rows, skipping any that exist; returns the ones this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and SQLite 3.35+) returns only the
    rows inserted here: a row another sweep inserted first, or inserts while we wait on its lock,
    is not ours. Keyed by (session id, recipient id, kind), which is unique within one rule's batch.
    """
    meta = Reminder._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _CLAIM_FIELDS]
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in _UNIQUE_FIELDS)
    returning = ", ".join(quote(meta.get_field(name).column) for name in ("id", "session", "recipient", "kind"))
    claimed: dict[tuple[int, int, str], int] = {}
    per_statement = max(connection.ops.bulk_batch_size(fields, planned), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(planned), per_statement):
            chunk = planned[start : start + per_statement]
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608 - names from the model, values as parameters
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
            )
            params = []
            for p in chunk:
                values = (p.session.pk, p.recipient.pk, p.kind.value, p.due_date, ReminderStatus.PENDING, 0, "", now)
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True))
            cursor.execute(sql, params)
            for reminder_id, session_id, recipient_id, kind in cursor.fetchall():
                claimed[(session_id, recipient_id, kind)] = reminder_id
    return claimed


@dataclass
class SweepResult:
    today: dt.date
    dry_run: bool
    reminders: list[PlannedReminder] = field(default_factory=list)  # claimed by this run (or would be)
    reminder_ids: list[int] = field(default_factory=list)  # their rows, in the same order
    requeued: list[int] = field(default_factory=list)  # reminders left behind by a lost task, queued again


def _send_after_commit(reminder_id: int, today: dt.date | None) -> None:
    send = current_app.signature(SEND_REMINDER_TASK, args=(reminder_id, today.isoformat() if today else None))
    # robust: a broker that is down is logged and leaves the row pending for the next sweep, and
    # does not stop the other reminders of the batch being queued.
    transaction.on_commit(send.apply_async, robust=True)


def reminders_sweep(*, today: dt.date, dry_run: bool = False, now: dt.datetime | None = None) -> SweepResult:
    """Claims every reminder due on `today` and queues its email (after commit); dry_run claims nothing.

    Safe to run any number of times, in parallel too: each reminder is claimed once.
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
                _send_after_commit(reminder_id, today)
    if not dry_run:
        result.requeued = _requeue_stale(now=now)
    return result


def _requeue_stale(*, now: dt.datetime) -> list[int]:
    """Queues again, once each, the reminders claimed long ago but never sent nor failed, and those
    still sending after the send bound (their worker died mid-send: put back to pending first).
    One query when there are none."""
    stale = stale_reminders(now=now)
    if not stale.ids:
        return []
    if stale.pending:
        logger.warning(
            "Queuing again %d reminders left pending by an earlier run: %s", len(stale.pending), stale.pending
        )
    if stale.sending:
        logger.warning(
            "Queuing again %d reminders whose send was interrupted (sending for over %s): %s",
            len(stale.sending),
            STALE_SENDING_AFTER,
            stale.sending,
        )
    with transaction.atomic():
        if stale.sending:
            # Conditional, like every step of a send: a row a task has taken over since is left to it.
            Reminder.objects.filter(stale_sending(now=now), pk__in=stale.sending).update(
                status=ReminderStatus.PENDING, claim=None, sending_since=None, error=INTERRUPTED_ERROR
            )
        for reminder_id in stale.ids:
            _send_after_commit(reminder_id, None)
    return stale.ids


# --- Sending, once ----------------------------------------------------------------------------


class SendOutcome:
    SENT = "sent"
    ALREADY_DONE = "already done"  # sent, failed, or being sent by another task (its claim held)
    FAILED = "failed"  # cannot be sent (no email address); marked failed
    GONE = "gone"  # the row was deleted (its session was)


def _calendar_url(reminder: Reminder) -> str | None:
    """The coach's calendar feed for an email to the coach, made if they have none yet."""
    if not recipient_is_coach(reminder):
        return None
    try:
        reverse("coaching:calendar", args=["token"])
    except NoReverseMatch:
        return None  # the feed's page is not there yet: no link, and no token made for nothing
    return site_url("coaching:calendar", calendar_feed_for_coach(coach=reminder.recipient).token)


def _describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def is_permanent_error(exc: BaseException) -> bool:
    """A 5xx answer from the mail server: trying again will not help."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


def reminder_send(*, reminder_id: int, today: dt.date | None = None, now: dt.datetime | None = None) -> str:
    """Sends a pending reminder's email once; returns a SendOutcome.

    Claims the send first (pending -> sending, with a token of this call's own) in an UPDATE that
    commits before the mail server is called, so that only one call sends, whatever duplicate or
    redelivered tasks run; a claim left by a task that died is taken over once the send bound has
    passed (STALE_SENDING_AFTER). After the mail server accepted the message: sending -> sent. An
    error while sending puts it back to pending with the error recorded (attempts counts the tries)
    and is re-raised for the task to retry.

    Call it outside any transaction (the tasks do; the sweep queues them after its commit): the
    claim must be committed while the email goes out.
    """
    reminder = reminder_for_sending(reminder_id)
    if reminder is None:
        return SendOutcome.GONE
    moment = now or timezone.now()
    if reminder.status != ReminderStatus.PENDING and not _is_stale_claim(reminder, moment):
        return SendOutcome.ALREADY_DONE
    recipient = reminder.recipient
    if not recipient.email or not recipient.is_active:
        why = "has no email address" if recipient.is_active else "has an inactive account"
        reminder_mark_failed(reminder_id=reminder_id, error=f"{person_name(recipient)} {why}.")
        return SendOutcome.FAILED
    message = reminder_message(reminder, today=today or timezone.localdate(), calendar_url=_calendar_url(reminder))
    claim = uuid.uuid4()
    if not reminder_claim_send(reminder_id=reminder_id, claim=claim, now=moment):
        return SendOutcome.ALREADY_DONE
    try:
        message.send()
    except Exception as exc:
        # Not sent (the mail server refused it, or the soft time limit stopped the send): back to
        # pending for the task to retry or mark failed. Only while the claim is still ours.
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING, claim=claim).update(
            status=ReminderStatus.PENDING, claim=None, sending_since=None, error=_describe_error(exc)
        )
        raise
    sent = Reminder.objects.filter(
        Q(status=ReminderStatus.SENDING, claim=claim) | Q(status=ReminderStatus.PENDING), pk=reminder_id
    ).update(status=ReminderStatus.SENT, sent_at=now or timezone.now(), claim=None, sending_since=None, error="")
    if not sent:
        # Our claim was taken over after the send bound, and the other task is sending it too.
        logger.warning("Reminder %s was sent, but its claim was taken over: it may go out twice", reminder_id)
    return SendOutcome.SENT


def _is_stale_claim(reminder: Reminder, now: dt.datetime) -> bool:
    return (
        reminder.status == ReminderStatus.SENDING
        and reminder.sending_since is not None
        and reminder.sending_since < now - STALE_SENDING_AFTER
    )


def reminder_claim_send(*, reminder_id: int, claim: uuid.UUID, now: dt.datetime) -> bool:
    """pending -> sending under `claim`, or a claim older than the send bound taken over: one
    conditional UPDATE, committed at once outside a transaction. True if this call holds the send."""
    return bool(
        Reminder.objects.filter(Q(status=ReminderStatus.PENDING) | stale_sending(now=now), pk=reminder_id).update(
            status=ReminderStatus.SENDING, claim=claim, sending_since=now, attempts=F("attempts") + 1, error=""
        )
    )


def reminder_mark_failed(*, reminder_id: int, error: str) -> bool:
    """A pending reminder that will not be sent: shown as failed to managers. False if not pending."""
    return bool(
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.FAILED, error=error[:2000]
        )
    )


@transaction.atomic
def reminder_retry(*, reminder: Reminder) -> bool:
    """A manager asks for a failed reminder to be sent again. False if it is no longer failed."""
    updated = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING
    )
    if updated:
        _send_after_commit(reminder.pk, None)
    return bool(updated)


def retry_countdown(retries: int) -> int:
    """Seconds before retry number retries + 1: 60, 120, 240, 240, 240 (RETRY_BACKOFF_MAX_SECONDS,
    which with a send's SEND_TIME_LIMIT stays within the broker's visibility timeout)."""
    return min(RETRY_BACKOFF_SECONDS * 2**retries, RETRY_BACKOFF_MAX_SECONDS)
