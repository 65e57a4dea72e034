"""Reads: the queries pages use. Each says how many queries it costs, whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from core.dates import LONDON
from core.roles import Role
from programmes.access import enrolments_visible_to

from ..models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ProgrammeTemplate,
    Session,
    SessionChange,
    SessionStatus,
    Team,
    TeamMeeting,
)

_CLOSED = {SessionStatus.HELD, SessionStatus.CANCELLED}


def users_in(role: Role):
    """Active users in a role, for the pickers that must hold someone in that role."""
    in_role = Q(groups__name=role)
    if role == Role.MANAGER:
        in_role |= Q(is_superuser=True)  # as core.roles.is_manager does
    return get_user_model().objects.filter(in_role, is_active=True).distinct().order_by("first_name", "username")


# How far ahead a coach's load counts sessions (the enrolment form's coach choice).
LOAD_WEEKS = 4


def coaches_with_load(*, today: dt.date) -> QuerySet:
    """The coaches (users_in(Role.COACH)), each with active_teams (enrolments planned or active) and
    upcoming_sessions (sessions of those enrolments neither held nor cancelled whose day, the agreed
    start's London date if agreed else the due date, is in the LOAD_WEEKS weeks from today), so that
    the manager spreads the work. One query, whatever the number of coaches."""
    end = today + dt.timedelta(weeks=LOAD_WEEKS)
    start, stop = (dt.datetime.combine(day, dt.time.min, tzinfo=LONDON) for day in (today, end))
    s = "coached_enrolments__sessions__"
    current = Q(coached_enrolments__status__in=EnrolmentStatus.current())
    upcoming = Q(**{f"{s}held_on__isnull": True, f"{s}cancelled": False}) & (
        Q(**{f"{s}agreed_start__gte": start, f"{s}agreed_start__lt": stop})
        | Q(**{f"{s}agreed_start__isnull": True, f"{s}due_date__gte": today, f"{s}due_date__lt": end})
    )
    return users_in(Role.COACH).annotate(
        active_teams=Count("coached_enrolments", filter=current, distinct=True),
        upcoming_sessions=Count("coached_enrolments__sessions", filter=current & upcoming, distinct=True),
    )


def published_templates() -> QuerySet[ProgrammeTemplate]:
    return ProgrammeTemplate.objects.published().order_by("name", "-published_on")


def sessions_prefetch(*, with_plan: bool = False) -> Prefetch:
    """An enrolment's sessions in the order they happen, for prefetch_related (with their plans)."""
    queryset = Session.objects.chronological()
    if with_plan:
        queryset = queryset.select_related("plan")
    return Prefetch("sessions", queryset=queryset)


# --- One row per enrolment: My teams, the home page, the cohort page, the team page ----------


@dataclass(frozen=True)
class TeamRow:
    """An enrolment with its next open session and what needs doing."""

    enrolment: Enrolment
    next_session: Session | None
    is_overdue: bool
    days_overdue: int
    overdue_count: int = 0  # sessions overdue today, the next one included
    held_count: int = 0
    session_count: int = 0
    session_1: Session | None = None
    sessions: list[Session] = field(default_factory=list)
    today: dt.date = dt.date.min

    @property
    def is_finished(self) -> bool:
        return self.enrolment.is_finished

    @property
    def next_is_due(self) -> bool:
        """The next session's due date has come (today or earlier) but it is not overdue yet."""
        return bool(self.next_session and not self.is_overdue and self.next_session.due_date <= self.today)


def team_row(enrolment: Enrolment, *, today: dt.date, sessions: list[Session] | None = None) -> TeamRow:
    """sessions: the enrolment's sessions in number order; by default enrolment.sessions.all(),
    no query when prefetched."""
    sessions = list(enrolment.sessions.all()) if sessions is None else sessions
    statuses = [s.status(today) for s in sessions]
    for session, status in zip(sessions, statuses, strict=True):
        session.status_today = status  # for templates, which cannot pass today to Session.status()
    finished = enrolment.is_finished
    session_1 = next((s for s in sessions if s.number == 1), None)
    next_session = None
    if not finished:
        next_session = next((s for s, status in zip(sessions, statuses, strict=True) if status not in _CLOSED), None)
    is_overdue = next_session is not None and next_session.status(today) == SessionStatus.OVERDUE
    return TeamRow(
        enrolment=enrolment,
        next_session=next_session,
        is_overdue=is_overdue,
        days_overdue=next_session.days_overdue(today) if next_session else 0,
        overdue_count=0 if finished else statuses.count(SessionStatus.OVERDUE),
        held_count=statuses.count(SessionStatus.HELD),
        session_count=len(sessions),
        session_1=session_1,
        sessions=sessions,
        today=today,
    )


# --- Cohorts ----------------------------------------------------------------------------------


def cohorts_overview() -> QuerySet[Cohort]:
    """One query: cohorts with template, owner and team counts."""
    return (
        Cohort.objects.select_related("template", "owner")
        .annotate(
            team_count=Count("enrolments", distinct=True),
            active_count=Count("enrolments", filter=Q(enrolments__status="active"), distinct=True),
        )
        .order_by("-start_date")
    )


def cohort_rows(*, cohort: Cohort, today: dt.date) -> list[TeamRow]:
    """Every enrolment in the cohort, by site and team. Queries: enrolments with team, site and
    coach (1), their sessions (1)."""
    enrolments = (
        cohort.enrolments.select_related("team__site", "coach")
        .prefetch_related(sessions_prefetch())
        .order_by("team__site__code", "team__name")
    )
    return [team_row(e, today=today) for e in enrolments]


# --- Teams ------------------------------------------------------------------------------------


def teams_overview() -> QuerySet[Team]:
    """One query: teams with their site and how many meetings and enrolments they have."""
    return (
        Team.objects.select_related("site")
        .annotate(
            meeting_count=Count("meetings", distinct=True),
            current_count=Count(
                "enrolments",
                filter=Q(enrolments__status__in=EnrolmentStatus.current()),
                distinct=True,
            ),
        )
        .order_by("site__code", "name")
    )


@dataclass(frozen=True)
class TeamPage:
    team: Team
    meetings: list[TeamMeeting]
    rows: list[TeamRow]  # the enrolments this user may see, newest cohort first


def team_page(*, team: Team, user, today: dt.date) -> TeamPage:
    """Queries: meetings (1), the enrolments this user may see with cohort and coach (1), their
    sessions with plans (1)."""
    meetings = list(team.meetings.order_by("weekday", "start_time"))
    enrolments = (
        enrolments_visible_to(user, team.enrolments.all())
        .select_related("cohort__template", "coach")
        .prefetch_related(sessions_prefetch(with_plan=True))
        .order_by("-session1_date")
    )
    return TeamPage(team=team, meetings=meetings, rows=[team_row(e, today=today) for e in enrolments])


# --- Enrolments and sessions ------------------------------------------------------------------


ENROLMENT_PAGE_RELATED = ("team__site", "cohort__template", "cohort__owner", "coach")


def enrolment_page_queryset() -> QuerySet[Enrolment]:
    """For programmes.access.get_enrolment_for_user: the enrolment and all it shows, one query."""
    return Enrolment.objects.select_related(*ENROLMENT_PAGE_RELATED)


@dataclass(frozen=True)
class EnrolmentPage:
    row: TeamRow
    sessions: list[Session]  # each with plan and move_count
    changes: list[SessionChange]  # newest first, each with session and changed_by
    sessions_moved: int  # sessions moved at least once
    moves: int


def enrolment_page(*, enrolment: Enrolment, today: dt.date) -> EnrolmentPage:
    """Queries: sessions with plans and move counts (1), the moves with who made them (1).
    The enrolment itself comes from enrolment_page_queryset()."""
    sessions = list(
        Session.objects.filter(enrolment=enrolment)
        .select_related("plan")
        .annotate(move_count=Count("changes"))
        .chronological()
    )
    changes = list(
        SessionChange.objects.filter(session__enrolment=enrolment)
        .select_related("session", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    return EnrolmentPage(
        row=team_row(enrolment, today=today, sessions=sessions),
        sessions=sessions,
        changes=changes,
        sessions_moved=sum(1 for s in sessions if s.move_count),
        moves=len(changes),
    )


SESSION_PAGE_RELATED = ("plan", "enrolment__team__site", "enrolment__cohort__template", "enrolment__coach")


def session_page_queryset() -> QuerySet[Session]:
    """For programmes.access.get_session_for_user: the session and all its page shows, one query."""
    return Session.objects.select_related(*SESSION_PAGE_RELATED)


def session_changes(*, session: Session) -> list[SessionChange]:
    """One query: the moves of one session, oldest first, with who made them."""
    return list(session.changes.select_related("changed_by").order_by("changed_at", "pk"))
