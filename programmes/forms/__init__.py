"""Forms for the programme, one module per area as in programmes.services."""

from .pdsa import (
    PdsaCycleForm,
)
from .scheduling import (
    CohortForm,
    EnrolmentCreateForm,
    EnrolmentEditForm,
    EnrolmentStatusForm,
    PersonChoiceField,
    SessionCancelForm,
    SessionForm,
    SessionHeldForm,
    SessionMoveForm,
    TeamForm,
    TeamMeetingForm,
)
from .versions import (
    BasePlanFormSet,
    PlanFormSet,
    PlanRowForm,
    RevisionForm,
    VersionDraftForm,
    VersionNotesForm,
    plan_initial,
)

__all__ = [
    "PersonChoiceField",
    "TeamForm",
    "TeamMeetingForm",
    "CohortForm",
    "EnrolmentCreateForm",
    "EnrolmentEditForm",
    "EnrolmentStatusForm",
    "SessionForm",
    "SessionHeldForm",
    "SessionCancelForm",
    "SessionMoveForm",
    "VersionDraftForm",
    "RevisionForm",
    "VersionNotesForm",
    "PlanRowForm",
    "BasePlanFormSet",
    "PlanFormSet",
    "plan_initial",
    "PdsaCycleForm",
]
