"""Sending a claimed email once: the one state machine behind reminders, calendar invitations and
digests (coaching.models.ClaimedSend).

Each kind registers an Outbox: its model, how to load a row with what its message shows, and how to
build the message (or say why it cannot be sent). The send task (SEND_TASK, in coaching.tasks) takes
the outbox's name and a row id and calls send_claimed().

The claim: a row is claimed by inserting it under its model's unique constraint, by whoever decides
an email is due (the reminder sweep, an invitation after a change commits, a digest sweep); a task
per row is queued after that commit.

The send: the task claims the send with one committed UPDATE ... SET status = sending, claim =
<a token of its own>, sending_since = now, attempts = attempts + 1 WHERE status = pending, before it
calls the mail server. Only the task whose UPDATE matched sends; a duplicated or redelivered task (a
worker killed mid-send, its message handed out again) finds the row sending or sent and does nothing.
After the mail server accepts the message, sending -> sent. A mail server error (or the soft time
limit) puts it back to pending with the error recorded, and the task retries with backoff; after the
last retry it is marked failed, shown on the managers' Reminders page, from where it can be sent
again. A task that dies mid-send (worker killed, hard time limit) leaves the row sending: once the
send bound has passed (STALE_SENDING_AFTER, longer than any send can last) the sweep puts it back to
pending and queues it again, and a redelivered task may take it over. So nothing is lost, and an
email goes twice only if a worker dies in the moment after the mail server accepted it and before the
row was marked sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from celery import current_app
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import ClaimedSend, SendStatus
from ..selectors.sending import STALE_SENDING_AFTER, is_stale_claim, stale_sending, stale_sends

logger = logging.getLogger(__name__)

# The name coaching.tasks registers the send task under. Queued by name, the task runs in-process
# when no broker is configured (task_always_eager) as long as it is registered in this process,
# i.e. coaching.tasks has been imported; else the message would go to the broker.
SEND_TASK = "coaching.send_claimed"

# Sending: errors worth another try, and the retry schedule (seconds) the task follows. A retry
# waits on a worker as an unacknowledged message, which Redis hands out again after the broker's
# visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS): the longest wait plus a send
# stays within it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)
SEND_MAX_RETRIES = 5
RETRY_BACKOFF_SECONDS = 60
RETRY_BACKOFF_MAX_SECONDS = 240
INTERRUPTED_ERROR = "The send was interrupted (the worker stopped); queued again."


@dataclass(frozen=True)
class Outbox:
    """One kind of claimed email.

    load(pk) returns the row with what its message shows loaded (None if deleted); message(row,
    today) returns the message to send, or a str saying why it cannot be sent (the row is marked
    failed with it). after_sent(row, now), if given, runs in the transaction that marks it sent.
    task names the Celery task that sends this kind (SEND_TASK unless the kind kept its own name).
    """

    name: str
    model: type[ClaimedSend]
    load: Callable[[int], ClaimedSend | None]
    message: Callable[[ClaimedSend, dt.date], EmailMessage | str]
    after_sent: Callable[[ClaimedSend, dt.datetime], None] | None = None
    task: str = SEND_TASK


_OUTBOXES: dict[str, Outbox] = {}


def register_outbox(outbox: Outbox) -> Outbox:
    _OUTBOXES[outbox.name] = outbox
    return outbox


def outbox_named(name: str) -> Outbox:
    return _OUTBOXES[name]


def registered_outboxes() -> list[Outbox]:
    """Every kind of claimed email registered in this process, by name."""
    return [_OUTBOXES[name] for name in sorted(_OUTBOXES)]


def _task_args(outbox: Outbox, pk: int, today: dt.date | None) -> tuple:
    day = today.isoformat() if today else None
    return (pk, day) if outbox.task != SEND_TASK else (outbox.name, pk, day)


def send_after_commit(outbox: Outbox, pk: int, today: dt.date | None = None) -> None:
    """Queues the row's send task once the current transaction commits.

    robust: a broker that is down is logged and leaves the row pending for the next sweep, and does
    not stop the other rows of a batch being queued.
    """
    send = current_app.signature(outbox.task, args=_task_args(outbox, pk, today))
    transaction.on_commit(send.apply_async, robust=True)


class SendOutcome:
    SENT = "sent"
    ALREADY_DONE = "already done"  # sent, failed, or being sent by another task (its claim held)
    FAILED = "failed"  # cannot be sent (no email address, turned off); marked failed
    GONE = "gone"  # the row was deleted (its session was)


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def is_permanent_error(exc: BaseException) -> bool:
    """A 5xx answer from the mail server: trying again will not help."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


def send_claimed(outbox: Outbox, pk: int, *, today: dt.date | None = None, now: dt.datetime | None = None) -> str:
    """Sends a pending row's email once; returns a SendOutcome.

    Claims the send first (pending -> sending, with a token of this call's own) in an UPDATE that
    commits before the mail server is called, so that only one call sends, whatever duplicate or
    redelivered tasks run; a claim left by a task that died is taken over once the send bound has
    passed (STALE_SENDING_AFTER). After the mail server accepted the message: sending -> sent. An
    error while sending puts it back to pending with the error recorded (attempts counts the tries)
    and is re-raised for the task to retry.

    Call it outside any transaction (the tasks do; claims queue them after their commit): the claim
    must be committed while the email goes out.
    """
    model = outbox.model
    row = outbox.load(pk)
    if row is None:
        return SendOutcome.GONE
    moment = now or timezone.now()
    if row.status != SendStatus.PENDING and not is_stale_claim(row, moment):
        return SendOutcome.ALREADY_DONE
    message = outbox.message(row, today or timezone.localdate())
    if isinstance(message, str):
        mark_failed(model, pk, error=message)
        return SendOutcome.FAILED
    claim = uuid.uuid4()
    if not claim_send(model, pk, claim=claim, now=moment):
        return SendOutcome.ALREADY_DONE
    try:
        message.send()
    except Exception as exc:
        # Not sent (the mail server refused it, or the soft time limit stopped the send): back to
        # pending for the task to retry or mark failed. Only while the claim is still ours.
        model.objects.filter(pk=pk, status=SendStatus.SENDING, claim=claim).update(
            status=SendStatus.PENDING, claim=None, sending_since=None, error=describe_error(exc)
        )
        raise
    sent_at = now or timezone.now()
    with transaction.atomic():
        sent = model.objects.filter(
            Q(status=SendStatus.SENDING, claim=claim) | Q(status=SendStatus.PENDING), pk=pk
        ).update(status=SendStatus.SENT, sent_at=sent_at, claim=None, sending_since=None, error="")
        if outbox.after_sent is not None:
            outbox.after_sent(row, sent_at)
    if not sent:
        # Our claim was taken over after the send bound, and the other task is sending it too.
        logger.warning("%s %s was sent, but its claim was taken over: it may go out twice", outbox.name, pk)
    return SendOutcome.SENT


def claim_send(model: type[ClaimedSend], pk: int, *, claim: uuid.UUID, now: dt.datetime) -> bool:
    """pending -> sending under `claim`, or a claim older than the send bound taken over: one
    conditional UPDATE, committed at once outside a transaction. True if this call holds the send."""
    return bool(
        model.objects.filter(Q(status=SendStatus.PENDING) | stale_sending(now=now), pk=pk).update(
            status=SendStatus.SENDING, claim=claim, sending_since=now, attempts=F("attempts") + 1, error=""
        )
    )


def mark_failed(model: type[ClaimedSend], pk: int, *, error: str) -> bool:
    """A pending row that will not be sent: shown as failed to managers. False if not pending."""
    return bool(
        model.objects.filter(pk=pk, status=SendStatus.PENDING).update(status=SendStatus.FAILED, error=error[:2000])
    )


@transaction.atomic
def retry_failed(outbox: Outbox, pk: int) -> bool:
    """A manager asks for a failed email to be sent again. False if it is no longer failed."""
    updated = outbox.model.objects.filter(pk=pk, status=SendStatus.FAILED).update(status=SendStatus.PENDING)
    if updated:
        send_after_commit(outbox, pk)
    return bool(updated)


def requeue_stale(outbox: Outbox, *, now: dt.datetime) -> list[int]:
    """Queues again, once each, the rows claimed long ago but never sent nor failed, and those still
    sending after the send bound (their worker died mid-send: put back to pending first). One query
    when there are none."""
    model = outbox.model
    stale = stale_sends(model, now=now)
    if not stale.ids:
        return []
    if stale.pending:
        logger.warning(
            "Queuing again %d %s left pending by an earlier run: %s", len(stale.pending), outbox.name, stale.pending
        )
    if stale.sending:
        logger.warning(
            "Queuing again %d %s whose send was interrupted (sending for over %s): %s",
            len(stale.sending),
            outbox.name,
            STALE_SENDING_AFTER,
            stale.sending,
        )
    with transaction.atomic():
        if stale.sending:
            # Conditional, like every step of a send: a row a task has taken over since is left to it.
            model.objects.filter(stale_sending(now=now), pk__in=stale.sending).update(
                status=SendStatus.PENDING, claim=None, sending_since=None, error=INTERRUPTED_ERROR
            )
        for pk in stale.ids:
            send_after_commit(outbox, pk)
    return stale.ids


def retry_countdown(retries: int) -> int:
    """Seconds before retry number retries + 1: 60, 120, 240, 240, 240 (RETRY_BACKOFF_MAX_SECONDS,
    which with a send's SEND_TIME_LIMIT stays within the broker's visibility timeout)."""
    return min(RETRY_BACKOFF_SECONDS * 2**retries, RETRY_BACKOFF_MAX_SECONDS)


def insert_claims(
    model: type[ClaimedSend],
    rows: list[dict],
    *,
    unique: tuple[str, ...],
    now: dt.datetime | None = None,
    returning: tuple[str, ...] = ("id",),
) -> list:
    """Claims rows of `model` (field -> value, each naming every field of the first) by inserting
    them as pending under the unique constraint on `unique`, skipping any that exist: INSERT ... ON
    CONFLICT DO NOTHING RETURNING (PostgreSQL, and SQLite 3.35+). A row another claim inserted first,
    or inserts while this one waits on its lock, is not returned: only the rows this call inserted,
    the only ones it may send. Returns their ids, or with several `returning` fields a tuple of those
    per row. One statement per batch of the database's size."""
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    names = [*rows[0], "status", "attempts", "error", "created_at"]
    fields = [meta.get_field(name) for name in names]
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique)
    returned = ", ".join(quote(meta.get_field(name).column) for name in returning)
    now = now or timezone.now()
    inserted: list = []
    per_statement = max(connection.ops.bulk_batch_size(fields, rows), 1)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "  # noqa: S608 - names from the model, values as parameters
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returned}"
            )
            params = []
            for row in chunk:
                values = [*(row[name] for name in rows[0]), SendStatus.PENDING, 0, "", now]
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True))
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
            inserted.extend(fetched if len(returning) > 1 else [pk for (pk,) in fetched])
    return inserted
