"""Writes for the programme, one module per area; each function is one transaction.

scheduling: cohorts, enrolments, sessions. versions: programme template versions. pdsa: the PDSA log.
"""

from .pdsa import pdsa_cycle_create, pdsa_cycle_update, pdsa_fingerprint
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
from .versions import (
    PlanRow,
    programme_version_delete,
    programme_version_draft,
    programme_version_publish,
    programme_version_update,
    template_fingerprint,
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
    # versions
    "PlanRow",
    "programme_version_delete",
    "programme_version_draft",
    "programme_version_publish",
    "programme_version_update",
    "template_fingerprint",
    # pdsa
    "pdsa_cycle_create",
    "pdsa_cycle_update",
    "pdsa_fingerprint",
]
