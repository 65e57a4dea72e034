"""Reads for every claimed email (coaching.models.ClaimedSend: reminders, invitations, digests): the
send bound, and the rows a sweep queues again because their task was lost or died."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from ..models import ClaimedSend, SendStatus

# Stale rows queued again per sweep, per kind of email.
STALE_BATCH_SIZE = 500
# A row still pending this long after its claim lost its task (broker down when it was queued, a
# message lost): the next sweep queues it again. Longer than the whole retry schedule.
STALE_PENDING_AFTER = dt.timedelta(hours=2)
# The send bound. On a worker the send task is stopped at SEND_SOFT_TIME_LIMIT (the row goes back
# to pending and is retried) and killed at SEND_TIME_LIMIT; run in-process (no broker) it has no
# time limit, but Django's SMTP backend gives up on each of a send's ~8 steps after EMAIL_TIMEOUT
# (30 s). A row still sending STALE_SENDING_AFTER after its claim has lost its task (its worker
# died mid-send): the sweep, or a redelivered task, may take it over and send it.
SEND_SOFT_TIME_LIMIT = 60
SEND_TIME_LIMIT = 90
STALE_SENDING_AFTER = dt.timedelta(minutes=5)


def stale_sending(*, now: dt.datetime) -> Q:
    """Rows whose send was claimed longer ago than the send bound: the task that claimed it is gone."""
    return Q(status=SendStatus.SENDING, sending_since__lt=now - STALE_SENDING_AFTER)


def is_stale_claim(row: ClaimedSend, now: dt.datetime) -> bool:
    """The same rule as stale_sending, for a row already read."""
    return (
        row.status == SendStatus.SENDING
        and row.sending_since is not None
        and row.sending_since < now - STALE_SENDING_AFTER
    )


@dataclass(frozen=True)
class StaleSends:
    """What a sweep queues again: ids, oldest first."""

    pending: list[int]  # claimed over STALE_PENDING_AFTER ago and never sent: their task was lost
    sending: list[int]  # sending for longer than the send bound: their worker died mid-send

    @property
    def ids(self) -> list[int]:
        return sorted(self.pending + self.sending)


def stale_sends(model: type[ClaimedSend], *, now: dt.datetime) -> StaleSends:
    """Rows of `model` left behind by a task that was lost or died (see StaleSends), at most
    STALE_BATCH_SIZE: one query."""
    rows = (
        model.objects.filter(
            Q(status=SendStatus.PENDING, created_at__lt=now - STALE_PENDING_AFTER) | stale_sending(now=now)
        )
        .order_by("pk")
        .values_list("pk", "status")[:STALE_BATCH_SIZE]
    )
    pending, sending = [], []
    for pk, status in rows:
        (sending if status == SendStatus.SENDING else pending).append(pk)
    return StaleSends(pending=pending, sending=sending)
