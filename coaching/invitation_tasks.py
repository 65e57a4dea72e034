"""The daily task that queues again the calendar invitations a lost or dead task left behind (the
sends themselves go through coaching.tasks' send_claimed_email). Imported by CoachingConfig.ready()
so that workers and beat know it."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .services.invitations import invitations_requeue

logger = logging.getLogger(__name__)

REQUEUE_INVITATIONS_TASK = "coaching.requeue_invitations"


@shared_task(name=REQUEUE_INVITATIONS_TASK, soft_time_limit=240, time_limit=300, acks_late=True)
def requeue_invitations() -> int:
    """Beat, daily: invitations still pending long after their claim, or stuck sending, queued again."""
    requeued = invitations_requeue(now=timezone.now())
    if requeued:
        logger.info("%d calendar invitations queued again", len(requeued))
    return len(requeued)
