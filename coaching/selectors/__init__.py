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
from .clashes import (
    Clash,
    Slot,
    proposal_clashes,
    session_clashes,
    slot_clashes,
)
from .digests import (
    failed_digests,
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
    reminder_states,
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
    "Clash",
    "Slot",
    "proposal_clashes",
    "session_clashes",
    "slot_clashes",
    "feed_lookup",
    "feed_sessions",
    "feed_name",
    "last_reminders",
    "reminders_for_page",
    "reminder_counts",
    "PlannedReminder",
    "reminders_due",
    "reminder_for_sending",
    "reminder_states",
    "failed_digests",
    "stale_reminders",
]
