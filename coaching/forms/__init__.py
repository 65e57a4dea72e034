"""Forms for coaching, one module per area as in coaching.services."""

from .agreement import (
    CONFIRM,
    RECALCULATE,
    AgreementForm,
    DateListField,
)
from .reminders import (
    ReminderFilterForm,
)

__all__ = [
    "RECALCULATE",
    "CONFIRM",
    "DateListField",
    "AgreementForm",
    "ReminderFilterForm",
]
