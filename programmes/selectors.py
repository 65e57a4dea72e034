"""Reads: the queries pages use."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Cohort, Enrolment, Session
from .roles import Role


def enrolments_for_coach(*, user) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.for_coach(user)
        .select_related("team__site", "cohort")
        .prefetch_related(Prefetch("sessions", queryset=Session.objects.order_by("number")))
        .order_by("status", "session1_date")
    )


def cohorts_overview() -> QuerySet[Cohort]:
    return (
        Cohort.objects.select_related("template", "owner")
        .annotate(
            team_count=Count("enrolments", distinct=True),
            active_count=Count("enrolments", filter=Q(enrolments__status="active"), distinct=True),
        )
        .order_by("-start_date")
    )


def home_context(*, user, role: Role | None) -> dict:
    if role == Role.MANAGER:
        return {"cohorts": list(cohorts_overview())}
    if role == Role.COACH:
        return {"enrolments": list(enrolments_for_coach(user=user))}
    return {}
