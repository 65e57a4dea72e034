"""Reads for coaching, one module per area as in coaching.services."""

from .calendar import (
    CURRENT,
    feed_lookup,
    feed_name,
    feed_sessions,
)
from .reminders import (
    last_reminders,
    reminder_counts,
    reminders_for_page,
)

__all__ = [
    "CURRENT",
    "feed_lookup",
    "feed_sessions",
    "feed_name",
    "last_reminders",
    "reminders_for_page",
    "reminder_counts",
]
