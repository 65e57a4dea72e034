"""Writes for the programme, one module per area; each function is one transaction.

scheduling: cohorts, enrolments, sessions. versions: programme template versions. pdsa: the PDSA log.
progress: the stored progress of each enrolment through its sessions (EnrolmentProgress).
"""

from .pdsa import PdsaEntry, pdsa_cycle_create, pdsa_cycle_update
from .progress import rebuild_progress, refresh_progress
from .scheduling import (
    cohort_create,
    enrolment_create,
    enrolment_set_status,
    enrolment_update,
    session_cancel,
    session_move,
    session_record_held,
    sessions_for_enrolment_create,
)
from .versions import (
    PlanRow,
    programme_version_delete,
    programme_version_draft,
    programme_version_publish,
    programme_version_update,
)

__all__ = [
    "cohort_create",
    "enrolment_create",
    "enrolment_set_status",
    "enrolment_update",
    "session_cancel",
    "session_move",
    "session_record_held",
    "sessions_for_enrolment_create",
    # versions
    "PlanRow",
    "programme_version_delete",
    "programme_version_draft",
    "programme_version_publish",
    "programme_version_update",
    # pdsa
    "PdsaEntry",
    "pdsa_cycle_create",
    "pdsa_cycle_update",
    # progress
    "rebuild_progress",
    "refresh_progress",
]
