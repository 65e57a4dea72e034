"""Celery tasks for reminders, digests and calendar invitations. Each takes ids or an ISO date and calls a service in
coaching.services.reminders, which queues the send task by its name (SEND_REMINDER_TASK) and so
does not import this module.

Both are safe to run twice (the work is claimed in the database), which is what lets them
acknowledge messages late (acks_late) and have them handed out again when a worker dies mid-task
(reject_on_worker_lost; and Redis's visibility timeout when the whole worker dies): a send whose
claim is still held is not sent again.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from .selectors.sending import SEND_SOFT_TIME_LIMIT, SEND_TIME_LIMIT
from .services.digests import weekly_digests_sweep
from .services.invitations import invitations_requeue
from .services.reminders import SEND_REMINDER_TASK, reminders_sweep
from .services.sending import (
    SEND_MAX_RETRIES,
    SEND_TASK,
    TRANSIENT_ERRORS,
    is_permanent_error,
    mark_failed,
    outbox_named,
    retry_countdown,
    send_claimed,
)

logger = logging.getLogger(__name__)


def _day(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else timezone.localdate()


# Within the broker's visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS), so that a sweep
# still running is not handed to a second worker.
@shared_task(name="coaching.sweep_reminders", soft_time_limit=240, time_limit=300, acks_late=True)
def sweep_reminders(today: str | None = None) -> int:
    """The daily sweep (beat, 08:00 Europe/London): claims the reminders due and queues their emails."""
    result = reminders_sweep(today=_day(today))
    logger.info("Reminder sweep for %s: %d reminders queued", result.today, len(result.reminders))
    return len(result.reminders)


@shared_task(name="coaching.sweep_weekly_digests", soft_time_limit=240, time_limit=300, acks_late=True)
def sweep_weekly_digests(today: str | None = None) -> int:
    """The weekly sweep (beat, Monday 08:00 Europe/London): claims each improvement manager's digest
    of the week, once per (manager, week), and queues its email."""
    result = weekly_digests_sweep(today=_day(today))
    logger.info("Weekly digest sweep for the week of %s: %d digests queued", result.week, len(result.digest_ids))
    return len(result.digest_ids)


def _send_with_retries(task, outbox_name: str, pk: int, today: str | None) -> str:
    """Sends one claimed email once; mail server errors are retried, then it is marked failed.

    The message is acknowledged when the task ends; a worker killed mid-send has it handed out
    again, and the task then finds the send claimed (sending) and does nothing. Once the send bound
    has passed, the sweep (or a later delivery of the message) takes the claim over and sends it.

    On a worker, a retry is a new message with a countdown (60 s doubling, at most 4 min). Run eagerly
    (no broker) there is nothing to schedule it on, so the same bounded number of tries is made at once.
    """
    outbox = outbox_named(outbox_name)
    retries = task.request.retries
    while True:
        try:
            return send_claimed(outbox, pk, today=_day(today))
        except (*TRANSIENT_ERRORS, SoftTimeLimitExceeded) as exc:
            if is_permanent_error(exc) or retries >= task.max_retries:
                mark_failed(outbox.model, pk, error=f"{type(exc).__name__}: {exc}")
                logger.warning("%s %s failed after %d tries: %s", outbox_name, pk, retries + 1, exc)
                return "failed"
            if not task.request.is_eager:
                raise task.retry(exc=exc, countdown=retry_countdown(retries)) from exc
            retries += 1


_SEND_OPTIONS = {
    "bind": True,
    "max_retries": SEND_MAX_RETRIES,
    "soft_time_limit": SEND_SOFT_TIME_LIMIT,
    "time_limit": SEND_TIME_LIMIT,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name=SEND_REMINDER_TASK, **_SEND_OPTIONS)
def send_reminder(self, reminder_id: int, today: str | None = None) -> str:
    """Sends one reminder's email once (see _send_with_retries)."""
    return _send_with_retries(self, "reminder", reminder_id, today)


@shared_task(name=SEND_TASK, **_SEND_OPTIONS)
def send_claimed_email(self, outbox: str, pk: int, today: str | None = None) -> str:
    """Sends one claimed email of any registered kind (coaching.services.sending.Outbox) once."""
    return _send_with_retries(self, outbox, pk, today)


REQUEUE_INVITATIONS_TASK = "coaching.requeue_invitations"


@shared_task(name=REQUEUE_INVITATIONS_TASK, soft_time_limit=240, time_limit=300, acks_late=True)
def requeue_invitations() -> int:
    """Beat, daily: invitations still pending long after their claim, or stuck sending, queued again."""
    requeued = invitations_requeue(now=timezone.now())
    if requeued:
        logger.info("%d calendar invitations queued again", len(requeued))
    return len(requeued)
