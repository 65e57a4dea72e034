"""Reads for coaching, one module per area as in coaching.services."""

from .agreement import (
    Slots,
    agreement_of,
    enrolment_slots,
    sessions_needing_slots,
    slots_by_enrolment,
)
from .calendar import (
    feed_lookup,
    feed_name,
    feed_sessions,
)
from .my_teams import (
    MyTeamRow,
    attention_key,
    attention_order,
    enrolments_for_coach,
    my_team_rows,
)
from .reminders import (
    PlannedReminder,
    last_reminders,
    reminder_counts,
    reminder_for_sending,
    reminders_due,
    reminders_for_page,
    stale_reminders,
)

__all__ = [
    "MyTeamRow",
    "attention_key",
    "attention_order",
    "enrolments_for_coach",
    "my_team_rows",
    "Slots",
    "agreement_of",
    "enrolment_slots",
    "sessions_needing_slots",
    "slots_by_enrolment",
    "feed_lookup",
    "feed_sessions",
    "feed_name",
    "last_reminders",
    "reminders_for_page",
    "reminder_counts",
    "PlannedReminder",
    "reminders_due",
    "reminder_for_sending",
    "stale_reminders",
]
