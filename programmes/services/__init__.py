"""Writes for the programme, one module per area; each function is one transaction.

scheduling: cohorts, enrolments, sessions. versions: programme template versions. pdsa: the PDSA log.
"""

from .pdsa import PdsaEntry, pdsa_cycle_create, pdsa_cycle_update
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
]
