"""Writes for programme template versions: draft a new version, edit its session plan, publish it.

A published version is never edited (cohorts keep the version they started with); a new version
is drafted from it instead. ProgrammeTemplate has no version column, so a form carries a
fingerprint of what it was opened on and a save is refused if the row now reads differently
(checked under a row lock, so of two managers saving at once the second is refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..models import ProgrammeTemplate, Session, SessionKind, SessionPlan, TemplateStatus
from .scheduling import StaleEdit

VERSION_LABEL = re.compile(r"^\d{1,3}(\.\d{1,3}){0,2}$")
VERSION_STALE_MESSAGE = (
    "Someone else changed this version while you had it open. Nothing has been saved yet: your edits are "
    "still below, next to the latest saved session plan. Check them and save again."
)


def fingerprint(values) -> str:
    """A short digest of what a form was opened on; any saved change gives a different one."""
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def template_fingerprint(template: ProgrammeTemplate) -> str:
    """Reads the template's plans: one query unless prefetched."""
    plans = sorted((p.number, p.title, p.kind, p.week_offset, p.checklist_due) for p in template.plans.all())
    return fingerprint([template.version, template.status, template.notes, plans])


@dataclass(frozen=True)
class PlanRow:
    """One row of a draft's session plan, as a manager typed it."""

    number: int
    title: str
    kind: str
    week_offset: int
    checklist_due: bool


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


def _lock(template: ProgrammeTemplate, expected: str) -> ProgrammeTemplate:
    """The template, locked for this transaction, if it still reads as the form saw it."""
    locked = ProgrammeTemplate.objects.select_for_update().get(pk=template.pk)
    _check_draft(locked)
    if template_fingerprint(locked) != expected:
        raise StaleEdit(VERSION_STALE_MESSAGE, code="stale")
    return locked


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
    SessionPlan.objects.bulk_create(
        SessionPlan(
            template=template,
            number=plan.number,
            title=plan.title,
            kind=plan.kind,
            week_offset=plan.week_offset,
            checklist_due=plan.checklist_due,
        )
        for plan in source.plans.order_by("number")
    )
    return template


@transaction.atomic
def programme_version_update(
    *, template: ProgrammeTemplate, expected: str, notes: str, plans: list[PlanRow]
) -> ProgrammeTemplate:
    """Replaces a draft's notes and session plan. `expected` is the fingerprint the form was opened on."""
    locked = _lock(template, expected)
    plan_rows_check(plans)
    if Session.objects.filter(plan__template=locked).exists():  # only if made outside the app
        raise ValidationError("Sessions already follow this draft, so its plan cannot change.", code="in_use")
    locked.plans.all().delete()
    SessionPlan.objects.bulk_create(
        SessionPlan(
            template=locked,
            number=row.number,
            title=row.title.strip(),
            kind=row.kind,
            week_offset=row.week_offset,
            checklist_due=row.checklist_due,
        )
        for row in sorted(plans, key=lambda row: row.number)
    )
    locked.notes = notes.strip()
    locked.save(update_fields=["notes"])
    return locked


@transaction.atomic
def programme_version_publish(*, template: ProgrammeTemplate, expected: str, today: dt.date) -> ProgrammeTemplate:
    """Publishes a draft as it was shown to the manager: from now on it is read-only."""
    locked = _lock(template, expected)
    plan_rows_check([PlanRow(p.number, p.title, p.kind, p.week_offset, p.checklist_due) for p in locked.plans.all()])
    ProgrammeTemplate.objects.filter(pk=locked.pk, status=TemplateStatus.DRAFT).update(
        status=TemplateStatus.PUBLISHED, published_on=today
    )
    locked.refresh_from_db()
    return locked


@transaction.atomic
def programme_version_delete(*, template: ProgrammeTemplate, expected: str) -> None:
    """Deletes a draft that nothing refers to yet."""
    locked = _lock(template, expected)
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
