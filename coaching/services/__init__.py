"""Writes for coaching, one module per area as in coaching.views: agreement (the coaching slots),
calendar (feed addresses), reminders (claiming and sending reminders)."""

from .agreement import (
    RE_AGREED_REASON,
    agreement_confirm,
    agreement_propose,
    agreement_refresh_session_1_flag,
    sessions_needing_slots,
)
from .calendar import (
    calendar_feed_for_coach,
    calendar_feed_for_team,
    calendar_feed_reset,
)

__all__ = [
    "RE_AGREED_REASON",
    "sessions_needing_slots",
    "agreement_propose",
    "agreement_confirm",
    "agreement_refresh_session_1_flag",
    "calendar_feed_for_coach",
    "calendar_feed_for_team",
    "calendar_feed_reset",
]
