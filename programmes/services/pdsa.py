"""Writes for the PDSA log: the programme's own Plan-Do-Study-Act cycles.

PdsaCycle has no version column, so an edit form carries a fingerprint of the cycle as it was
opened, checked under a row lock: of two managers saving at once, the second is refused.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Cohort, PdsaCycle, PdsaDecision, ProgrammeTemplate
from .scheduling import StaleEdit
from .versions import fingerprint

PDSA_FIELDS = [
    "title",
    "aim",
    "plan",
    "do",
    "study",
    "act",
    "decision",
    "started_on",
    "decided_on",
    "cohort",
    "template",
]
PDSA_STALE_MESSAGE = (
    "Someone else saved this PDSA cycle while you were editing it. Nothing has been saved yet: your edits are "
    "still in the form, next to the latest saved version. Check them and save again."
)


def pdsa_fingerprint(cycle: PdsaCycle) -> str:
    values = {name: getattr(cycle, name) for name in PDSA_FIELDS if name not in ("cohort", "template")}
    values |= {"cohort": cycle.cohort_id, "template": cycle.template_id}
    return fingerprint(values)


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


@transaction.atomic
def pdsa_cycle_create(
    *,
    title: str,
    aim: str,
    plan: str,
    do: str,
    study: str,
    act: str,
    decision: str,
    started_on: dt.date,
    decided_on: dt.date | None,
    cohort: Cohort | None,
    template: ProgrammeTemplate | None,
    created_by,
) -> PdsaCycle:
    pdsa_cycle_check(title=title, decision=decision, started_on=started_on, decided_on=decided_on)
    return PdsaCycle.objects.create(
        title=title.strip(),
        aim=aim.strip(),
        plan=plan.strip(),
        do=do.strip(),
        study=study.strip(),
        act=act.strip(),
        decision=decision,
        started_on=started_on,
        decided_on=decided_on,
        cohort=cohort,
        template=template,
        created_by=created_by,
    )


@transaction.atomic
def pdsa_cycle_update(
    *,
    cycle: PdsaCycle,
    expected: str,
    title: str,
    aim: str,
    plan: str,
    do: str,
    study: str,
    act: str,
    decision: str,
    started_on: dt.date,
    decided_on: dt.date | None,
    cohort: Cohort | None,
    template: ProgrammeTemplate | None,
) -> PdsaCycle:
    """Saves an edit if the cycle still reads as it did when the form was opened (`expected`)."""
    locked = PdsaCycle.objects.select_for_update().get(pk=cycle.pk)
    if pdsa_fingerprint(locked) != expected:
        raise StaleEdit(PDSA_STALE_MESSAGE, code="stale")
    pdsa_cycle_check(title=title, decision=decision, started_on=started_on, decided_on=decided_on)
    locked.title, locked.aim, locked.plan = title.strip(), aim.strip(), plan.strip()
    locked.do, locked.study, locked.act = do.strip(), study.strip(), act.strip()
    locked.decision, locked.started_on, locked.decided_on = decision, started_on, decided_on
    locked.cohort, locked.template = cohort, template
    locked.save()
    return locked
