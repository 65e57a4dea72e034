"""Many rows at once, for tests of what an export costs as it grows: bulk_create, no services.

The rows are plain (no history records, no optimistic-concurrency checks): they exist only to be read.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from checklists.models import Checklist, Tool, ToolRating, UsageLevel
from programmes.models import Enrolment, EnrolmentStatus, Session, SessionChange, Team


def bulk_sessions(enrolments: int, *, like: Enrolment, first: int = 0, moved_every: int = 10) -> list[Session]:
    """`enrolments` new teams enrolled in `like`'s cohort with `like`'s coach, each with every session of
    the cohort's template (held, with notes); one in `moved_every` sessions has a recorded move.
    `first` numbers the teams, so that a second call adds teams rather than clashing with the first's."""
    cohort, coach, site = like.cohort, like.coach, like.team.site
    teams = Team.objects.bulk_create(
        [Team(site=site, name=f"Bulk team {first + i:05d}") for i in range(enrolments)], batch_size=500
    )
    new_enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                team=team, cohort=cohort, coach=coach, session1_date=like.session1_date, status=EnrolmentStatus.ACTIVE
            )
            for team in teams
        ],
        batch_size=500,
    )
    plans = list(cohort.template.plans.order_by("number"))
    sessions = Session.objects.bulk_create(
        [
            Session(
                enrolment=enrolment,
                plan=plan,
                number=plan.number,
                due_date=enrolment.session1_date + dt.timedelta(weeks=plan.week_offset),
                held_on=enrolment.session1_date + dt.timedelta(weeks=plan.week_offset),
                attendees=6,
                notes="Huddle board moved to the corridor, where the whole team sees it",
            )
            for enrolment in new_enrolments
            for plan in plans
        ],
        batch_size=500,
    )
    agreed = dt.datetime(2025, 10, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    SessionChange.objects.bulk_create(
        [
            SessionChange(session=session, to_start=agreed, reason="Ward round moved", changed_by=coach)
            for session in sessions[::moved_every]
        ],
        batch_size=500,
    )
    return sessions


def bulk_tools(count: int, *, first: int = 0) -> list[Tool]:
    """`count` more active tools."""
    return Tool.objects.bulk_create(
        [Tool(name=f"Bulk tool {first + i:04d}", order=100 + first + i) for i in range(count)], batch_size=500
    )


def bulk_ratings(sessions: list[Session], *, coach) -> int:
    """A checklist on each session rating every active tool; returns the number of ratings made."""
    checklists = Checklist.objects.bulk_create(
        [Checklist(session=session, coach=coach, completed_at=timezone.now()) for session in sessions], batch_size=500
    )
    tools = list(Tool.objects.active())
    levels = [level.value for level in UsageLevel]
    ratings = ToolRating.objects.bulk_create(
        [
            ToolRating(
                checklist=checklist,
                tool=tool,
                discussed=True,
                level=levels[(checklist.pk + tool.pk) % len(levels)],
                comment="Used at every huddle this month",
            )
            for checklist in checklists
            for tool in tools
        ],
        batch_size=1000,
    )
    return len(ratings)
