"""Forms for coaching, one module per area as in coaching.services."""

from .agreement import (
    CONFIRM,
    RECALCULATE,
    AgreementForm,
    DateListField,
    agreement_version_field,
)
from .reminders import (
    ReminderFilterForm,
)

__all__ = [
    "RECALCULATE",
    "CONFIRM",
    "DateListField",
    "AgreementForm",
    "agreement_version_field",
    "ReminderFilterForm",
]
