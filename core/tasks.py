"""Celery tasks of the site's own upkeep."""

from __future__ import annotations

import logging

from celery import shared_task

from . import figures_cache

logger = logging.getLogger(__name__)


@shared_task(name="core.prune_generations", soft_time_limit=60, time_limit=120, acks_late=True)
def prune_generations() -> int:
    """The nightly upkeep of the figures cache (beat, 03:30 Europe/London): deletes the generation
    rows of database server processes that have ended, so that reading the generation, which every
    kept page does, stays one small read however long the site runs. Safe to run twice."""
    deleted = figures_cache.prune()
    logger.info("Figures cache: %d generation rows of ended server processes deleted", deleted)
    return deleted
