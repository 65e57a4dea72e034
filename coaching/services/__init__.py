"""Writes for coaching, one module per area as in coaching.views: agreement (the coaching slots),
calendar (feed addresses), reminders (claiming and sending reminders),
digests (one email per person per day, and a weekly one per improvement manager)."""

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
from .digests import (
    daily_digests_attach,
    digest_retry,
    weekly_digests_sweep,
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
    "daily_digests_attach",
    "digest_retry",
    "weekly_digests_sweep",
    "reminders_sweep",
    "reminders_claim",
    "reminder_send",
    "reminder_mark_failed",
    "reminder_retry",
]
