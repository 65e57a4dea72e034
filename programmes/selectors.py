"""Reads: the queries pages use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Cohort, Enrolment, EnrolmentStatus, Session, SessionStatus
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


# A team that has finished or left the programme has no next session to chase.
_FINISHED = {EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN}
_CLOSED = {SessionStatus.HELD, SessionStatus.CANCELLED}


@dataclass(frozen=True)
class TeamRow:
    """One of a coach's teams on the home page, with its next open session."""

    enrolment: Enrolment
    next_session: Session | None
    is_overdue: bool
    days_overdue: int


def team_row(enrolment: Enrolment, *, today: dt.date) -> TeamRow:
    """Reads enrolment.sessions.all(): no query when prefetched in number order."""
    next_session = None
    if enrolment.status not in _FINISHED:
        next_session = next((s for s in enrolment.sessions.all() if s.status(today) not in _CLOSED), None)
    if next_session is None:
        return TeamRow(enrolment=enrolment, next_session=None, is_overdue=False, days_overdue=0)
    return TeamRow(
        enrolment=enrolment,
        next_session=next_session,
        is_overdue=next_session.status(today) == SessionStatus.OVERDUE,
        days_overdue=next_session.days_overdue(today),
    )


def home_context(*, user, role: Role | None, today: dt.date) -> dict:
    if role in (Role.MANAGER, Role.LEAD):
        return {"cohorts": list(cohorts_overview())}
    if role == Role.COACH:
        return {"team_rows": [team_row(e, today=today) for e in enrolments_for_coach(user=user)]}
    return {}
