"""Writes for programme template versions: draft a new version, edit its session plan, publish it.

A published version is never edited (cohorts keep the version they started with); a new version
is drafted from it instead. Forms and buttons carry the draft's revision (its notes and session plan
together) as they showed it: of two managers saving at once, the second is refused
(core.concurrency).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.concurrency import claim_version
from core.history import history_record_changed

from ..models import ProgrammeTemplate, Session, SessionKind, SessionPlan, TemplateStatus

VERSION_LABEL = re.compile(r"^\d{1,3}(\.\d{1,3}){0,2}$")


@dataclass(frozen=True)
class PlanRow:
    """One row of a draft's session plan, as a manager typed it."""

    number: int
    title: str
    kind: str
    week_offset: int
    checklist_due: bool

    @classmethod
    def of(cls, plan: SessionPlan) -> PlanRow:
        return cls(plan.number, plan.title, plan.kind, plan.week_offset, plan.checklist_due)


def _plans_create(template: ProgrammeTemplate, rows: list[PlanRow]) -> None:
    SessionPlan.objects.bulk_create(
        SessionPlan(
            template=template,
            number=row.number,
            title=row.title.strip(),
            kind=row.kind,
            week_offset=row.week_offset,
            checklist_due=row.checklist_due,
        )
        for row in sorted(rows, key=lambda row: row.number)
    )


def plan_rows_check(rows: list[PlanRow]) -> None:
    """The rules a session plan keeps; raises ValidationError listing every problem."""
    problems = []
    if not rows:
        raise ValidationError("A version needs at least one session.", code="empty")
    numbers = [row.number for row in rows]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        problems.append(f"Each session needs its own number; used more than once: {', '.join(map(str, duplicates))}.")
    ordered = sorted(rows, key=lambda row: row.number)
    if ordered[0].number != 1:
        problems.append("The first session must be number 1.")
    elif ordered[0].week_offset != 0:
        problems.append("Session 1 is in week 1: every other session's week counts from it.")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.week_offset < before.week_offset:
            problems.append(f"Session {after.number} is in an earlier week than session {before.number}.")
    for row in rows:
        if not row.title.strip():
            problems.append(f"Session {row.number} needs a title.")
        if row.kind not in SessionKind.values:
            problems.append(f"Session {row.number} needs a kind.")
    if problems:
        raise ValidationError(problems, code="plan")


def _check_draft(template: ProgrammeTemplate) -> None:
    if template.is_published:
        raise ValidationError(
            f"Version {template.version} is published, so it can no longer be changed. "
            "Draft a new version from it instead.",
            code="published",
        )


def _claim(template: ProgrammeTemplate, revision: int) -> ProgrammeTemplate:
    """The draft as saved now, claimed at the revision the page showed (else StaleEdit)."""
    claimed = ProgrammeTemplate.objects.get(pk=template.pk)
    _check_draft(claimed)
    claim_version(claimed, revision, thing="programme version")
    return claimed


@transaction.atomic
def programme_version_draft(*, source: ProgrammeTemplate, version: str) -> ProgrammeTemplate:
    """A new draft version with a copy of the source version's session plan."""
    version = version.strip()
    if not VERSION_LABEL.match(version):
        raise ValidationError({"version": "Write the version as numbers and dots, for example 1.1 or 2.0."})
    draft = ProgrammeTemplate.objects.filter(name=source.name, status=TemplateStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            f"Version {draft.version} of {source.name} is already a draft: publish it or delete it first.",
            code="draft_exists",
        )
    if ProgrammeTemplate.objects.filter(name=source.name, version=version).exists():
        raise ValidationError({"version": f"{source.name} already has a version {version}."})
    try:
        with transaction.atomic():
            template = ProgrammeTemplate.objects.create(
                name=source.name,
                version=version,
                status=TemplateStatus.DRAFT,
                notes=f"Drafted from version {source.version}.",
            )
    except IntegrityError as exc:  # another manager drafted the same version a moment ago
        raise ValidationError({"version": f"{source.name} already has a version {version}."}) from exc
    _plans_create(template, [PlanRow.of(plan) for plan in source.plans.all()])
    return template


@transaction.atomic
def programme_version_update(
    *, template: ProgrammeTemplate, revision: int, notes: str, plans: list[PlanRow]
) -> ProgrammeTemplate:
    """Replaces a draft's notes and session plan, as edited on a form opened on `revision`."""
    locked = _claim(template, revision)
    plan_rows_check(plans)
    if Session.objects.filter(plan__template=locked).exists():  # only if made outside the app
        raise ValidationError("Sessions already follow this draft, so its plan cannot change.", code="in_use")
    locked.plans.all().delete()
    _plans_create(locked, plans)
    locked.notes = notes.strip()
    locked.save(update_fields=["notes"])
    return locked


@transaction.atomic
def programme_version_publish(*, template: ProgrammeTemplate, revision: int, today: dt.date) -> ProgrammeTemplate:
    """Publishes a draft as it was shown to the manager (at `revision`): from now on it is read-only."""
    locked = _claim(template, revision)
    plan_rows_check([PlanRow.of(plan) for plan in locked.plans.all()])
    ProgrammeTemplate.objects.filter(pk=locked.pk, status=TemplateStatus.DRAFT).update(
        status=TemplateStatus.PUBLISHED, published_on=today
    )
    locked.refresh_from_db()
    history_record_changed([locked])  # the UPDATE sends no post_save
    return locked


@transaction.atomic
def programme_version_delete(*, template: ProgrammeTemplate, revision: int) -> None:
    """Deletes a draft that nothing refers to yet, as it was shown to the manager (at `revision`)."""
    locked = _claim(template, revision)
    if locked.cohorts.exists() or Session.objects.filter(plan__template=locked).exists():
        raise ValidationError("A cohort follows this draft, so it cannot be deleted.", code="in_use")
    changes = locked.content_changes.count()
    if changes:
        raise ValidationError(
            f"{changes} content change{'s are' if changes != 1 else ' is'} recorded against version "
            f"{locked.version}; move or delete {'them' if changes != 1 else 'it'} before deleting the draft.",
            code="in_use",
        )
    cycles = locked.pdsa_cycles.count()
    if cycles:
        raise ValidationError(
            f"{cycles} PDSA cycle{'s refer' if cycles != 1 else ' refers'} to version {locked.version}; "
            "unlink it before deleting the draft.",
            code="in_use",
        )
    locked.delete()
