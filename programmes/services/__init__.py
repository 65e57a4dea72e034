"""Writes for the programme, one module per area; each function is one transaction.

scheduling: cohorts, enrolments, sessions. versions: programme template versions. pdsa: the PDSA log.
"""

from .scheduling import (
    STALE_MESSAGE,
    StaleEdit,
    cohort_create,
    enrolment_create,
    enrolment_set_status,
    enrolment_update,
    session_cancel,
    session_move,
    session_record_held,
    sessions_for_enrolment_create,
)

__all__ = [
    "STALE_MESSAGE",
    "StaleEdit",
    "cohort_create",
    "enrolment_create",
    "enrolment_set_status",
    "enrolment_update",
    "session_cancel",
    "session_move",
    "session_record_held",
    "sessions_for_enrolment_create",
]
