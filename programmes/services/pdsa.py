"""Writes for the PDSA log: the programme's own Plan-Do-Study-Act cycles.

An edit form carries the cycle's version: of two managers saving at once, the second is refused
(core.concurrency).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError
from django.db import transaction

from core.concurrency import claim_version

from ..models import Cohort, PdsaCycle, PdsaDecision, ProgrammeTemplate


def pdsa_cycle_check(*, title: str, decision: str, started_on: dt.date, decided_on: dt.date | None) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the cycle a title."
    if decision and decision not in PdsaDecision.values:
        errors["decision"] = "Choose adopt, adapt or abandon."
    if decision and decided_on is None:
        errors["decided_on"] = "Give the date the decision was made."
    if decided_on is not None and not decision:
        errors["decision"] = "Choose the decision made on that date, or clear the date."
    if decided_on is not None and decided_on < started_on:
        errors["decided_on"] = "The decision cannot come before the cycle started."
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class PdsaEntry:
    """A cycle's fields as a manager typed them."""

    title: str
    aim: str
    plan: str
    do: str
    study: str
    act: str
    decision: str
    started_on: dt.date
    decided_on: dt.date | None
    cohort: Cohort | None
    template: ProgrammeTemplate | None
    new_limits: bool = True  # programmes.models.marks_chart_change

    def checked(self) -> dict:
        """The fields as they are saved, once they keep the rules (else ValidationError)."""
        pdsa_cycle_check(
            title=self.title, decision=self.decision, started_on=self.started_on, decided_on=self.decided_on
        )
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        return values | {name: values[name].strip() for name in ("title", "aim", "plan", "do", "study", "act")}


PDSA_FIELDS = [field.name for field in fields(PdsaEntry)]


@transaction.atomic
def pdsa_cycle_create(*, entry: PdsaEntry, created_by) -> PdsaCycle:
    return PdsaCycle.objects.create(created_by=created_by, **entry.checked())


@transaction.atomic
def pdsa_cycle_update(*, cycle: PdsaCycle, version: int, entry: PdsaEntry) -> PdsaCycle:
    """Saves an edit made on a form opened on `version` of the cycle."""
    values = entry.checked()
    claim_version(cycle, version, thing="PDSA cycle")
    for name, value in values.items():
        setattr(cycle, name, value)
    cycle.save()
    return cycle
