"""Reads for the programme's versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Cohort, ProgrammeTemplate, SessionPlan

# The programme's aim: "version 1 by April 2026". "By April" is read as published on or before
# the last day of April 2026.
TARGET_VERSION = "1.0"
TARGET_LABEL = "version 1.0 by April 2026"
TARGET_DEADLINE = dt.date(2026, 4, 30)


def version_key(label: str) -> tuple[int, ...] | None:
    """ "1.0" -> (1, 0) for comparing versions; None for a label that is not numbers and dots."""
    try:
        parts = tuple(int(part) for part in label.split("."))
    except ValueError:
        return None
    while len(parts) > 1 and parts[-1] == 0:  # 1.0 == 1
        parts = parts[:-1]
    return parts


def _reaches_target(template: ProgrammeTemplate) -> bool:
    key = version_key(template.version)
    return key is not None and key >= version_key(TARGET_VERSION)


def _count(model, field_name: str) -> Coalesce:
    """A correlated COUNT subquery: one number per template without multiplying joined rows."""
    counted = (
        model.objects.filter(**{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class TargetStatus:
    met: bool
    label: str  # Met, Missed or Not met yet
    text: str

    @property
    def summary(self) -> str:
        return f"{self.label}: {self.text}"


@dataclass(frozen=True)
class VersionRow:
    template: ProgrammeTemplate  # annotated with plan_count and cohort_count (its content changes: feedback's tag)
    is_current: bool
    standing: str


@dataclass(frozen=True)
class ProgrammeVersions:
    """One programme's versions, newest first, with the version 1.0 target."""

    name: str
    target: TargetStatus
    rows: list[VersionRow] = field(default_factory=list)
    current: ProgrammeTemplate | None = None
    draft: ProgrammeTemplate | None = None


def _target(templates: list[ProgrammeTemplate], today: dt.date) -> TargetStatus:
    published = sorted(
        (t for t in templates if t.is_published and _reaches_target(t)), key=lambda t: (t.published_on, t.pk)
    )
    if published:
        first = published[0]
        when = f"{first.published_on:%-d %b %Y}"
        if first.published_on <= TARGET_DEADLINE:
            return TargetStatus(True, "Met", f"version {first.version} was published on {when}.")
        return TargetStatus(False, "Missed", f"version {first.version} was published on {when}, after April 2026.")
    if today <= TARGET_DEADLINE:
        days = (TARGET_DEADLINE - today).days
        return TargetStatus(False, "Not met yet", f"{days} day{'s' if days != 1 else ''} left to publish version 1.0.")
    return TargetStatus(False, "Missed", "no version 1.0 or later has been published yet.")


def _standing(template: ProgrammeTemplate, *, is_current: bool, target: TargetStatus) -> str:
    """Where a version stands, in words (status is never shown by colour alone)."""
    if not template.is_published:
        words = ["Draft: not yet in use"]
        if _reaches_target(template) and not target.met:
            words.append(f"publishing it by {TARGET_DEADLINE:%-d %B %Y} meets the target")
        return "; ".join(words)
    words = [f"Published {template.published_on:%-d %b %Y}"]
    if is_current:
        words.append("current: new cohorts follow it")
    if not _reaches_target(template):
        words.append("before version 1.0")
    elif template.published_on <= TARGET_DEADLINE:
        words.append("on time for the version 1.0 target")
    else:
        words.append("after the April 2026 target")
    return "; ".join(words)


def _row(template: ProgrammeTemplate, *, current: ProgrammeTemplate | None, target: TargetStatus) -> VersionRow:
    is_current = template == current
    return VersionRow(
        template=template, is_current=is_current, standing=_standing(template, is_current=is_current, target=target)
    )


def programme_versions(*, today: dt.date) -> list[ProgrammeVersions]:
    """Every programme's versions with their counts. One query, whatever the number of versions."""
    templates = list(
        ProgrammeTemplate.objects.annotate(
            plan_count=_count(SessionPlan, "template"),
            cohort_count=_count(Cohort, "template"),
        ).order_by("name", "-created_at")
    )
    by_name: dict[str, list[ProgrammeTemplate]] = {}
    for template in templates:
        by_name.setdefault(template.name, []).append(template)
    programmes = []
    for name, versions in by_name.items():
        # Newest version first; a label that is not numbers and dots sorts by when it was made.
        published = [t for t in versions if t.is_published]
        current = max(published, key=lambda t: (t.published_on, t.created_at)) if published else None
        target = _target(versions, today)
        versions.sort(key=lambda t: (version_key(t.version) or (), t.created_at), reverse=True)
        programmes.append(
            ProgrammeVersions(
                name=name,
                target=target,
                rows=[_row(t, current=current, target=target) for t in versions],
                current=current,
                draft=next((t for t in versions if not t.is_published), None),
            )
        )
    return programmes


def programme_version(*, pk: int) -> ProgrammeTemplate:
    """A version with its session plan and the cohorts that follow it (three queries)."""
    return ProgrammeTemplate.objects.prefetch_related(
        Prefetch("plans", queryset=SessionPlan.objects.order_by("number")),
        Prefetch("cohorts", queryset=Cohort.objects.order_by("-start_date", "name")),
    ).get(pk=pk)


def published_versions() -> QuerySet[ProgrammeTemplate]:
    return ProgrammeTemplate.objects.published().order_by("name", "-published_on", "-created_at")
