"""Writes for coaching, one module per area as in coaching.views: agreement (the coaching slots),
calendar (feed addresses), reminders (claiming and sending reminders)."""

from .agreement import (
    RE_AGREED_REASON,
    STALE_AGREEMENT_MESSAGE,
    agreement_confirm,
    agreement_propose,
)
from .calendar import (
    calendar_feed_for_coach,
    calendar_feed_for_team,
    calendar_feed_reset,
)
from .reminders import (
    reminder_mark_failed,
    reminder_retry,
    reminder_send,
    reminders_claim,
    reminders_sweep,
)

__all__ = [
    "RE_AGREED_REASON",
    "STALE_AGREEMENT_MESSAGE",
    "agreement_propose",
    "agreement_confirm",
    "calendar_feed_for_coach",
    "calendar_feed_for_team",
    "calendar_feed_reset",
    "reminders_sweep",
    "reminders_claim",
    "reminder_send",
    "reminder_mark_failed",
    "reminder_retry",
]
