"""`seed_demo --scale N`: N units of benchmark teams, inserted in bulk. A Trust grows by cohorts
and coaches, not by ever larger ones: each unit is a cohort of 12 teams ("Scale cohort 001", ...)
with two coaches of its own (the demo's coach and coach2 take the first unit's), so that a cohort's
pages and a coach's caseload stay the size they are in a real Trust while the dashboard and the aim
page see every team.

This is the one part of the demo that writes rows directly rather than through the services: it
exists for benchmark volume (scale 30 is 360 enrolments and ~26,000 ratings), where a service call
per row would take minutes. It makes what the services would: sessions due from the programme
version's plan rows, coaching slots on the team's meeting's recurrence agreed on the day of
session 1, a rating for every active tool, feedback dated the day the session was held.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from simple_history.utils import bulk_create_with_history

from checklists.models import Checklist, Tool, ToolRating
from checklists.services import refresh_standings
from coaching.models import CoachingAgreement
from core.roles import Role
from feedback.models import CouldImprove, FeedbackLink, FeedbackResponse
from feedback.services import refresh_feedback_tallies
from programmes.meetings import MeetingPattern
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ImprovementBoard,
    Session,
    SessionPlan,
    Site,
    Team,
    TeamMeeting,
    Weekday,
)
from programmes.services.progress import refresh_progress

from .generate import meeting_fields, monday, rising_levels
from .story import AGREED_AT, CHECKLIST_DONE, TAUGHT_START, Meeting, at

SCALE_COHORT = "Scale cohort"  # each unit's cohort is named "<SCALE_COHORT> <unit, from 001>"


def scale_cohort_name(unit: int) -> str:
    return f"{SCALE_COHORT} {unit + 1:03d}"


def _unit_coaches(unit: int, demo_coaches: list) -> list:
    """The first unit's coaches are the demo's; every other unit has two of its own, who cannot
    sign in (unusable passwords)."""
    if unit == 0:
        return demo_coaches
    user_model = get_user_model()
    group, _ = Group.objects.get_or_create(name=Role.COACH.value)
    coaches = []
    for letter in "ab":
        username = f"scale-coach-{unit + 1:03d}{letter}"
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username, first_name="Scale coach", last_name=f"{unit + 1:03d}{letter}")
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
        coaches.append(user)
    return coaches


# Per unit of --scale: weeks since session 1 and the sessions that slipped (not held). Session 1 is
# on a Monday, coaching rides on a weekly Tuesday meeting, so these counts do not depend on the
# weekday of "today".
SCALE_PROFILES: tuple[tuple[int, tuple[int, ...]], ...] = (
    (40, ()),
    (38, ()),
    (36, ()),
    (34, ()),
    (32, ()),
    (30, ()),
    (28, ()),
    (27, ()),
    (26, ()),
    (20, ()),
    (14, (7,)),
    (6, ()),
)
SCALE_TEAMS_PER_UNIT = len(SCALE_PROFILES)
SCALE_SESSION_1_RESPONSES = 8
SCALE_COACHING_RESPONSES = 3
# What one unit makes, checked by the tests and quoted in the command's help.
SCALE_PER_UNIT = {
    "teams": 12,
    "enrolments": 12,
    "sessions": 120,
    "held sessions": 109,
    "checklists": 97,
    "ratings": 873,
    "feedback links": 109,
    "feedback responses": 387,
}

SCALE_DEPARTMENTS = ("Nursing", "Pharmacy", "Pathology", "Radiology", "Outpatients", "Estates")
SCALE_MEETING = Meeting("Weekly team huddle", Weekday.TUESDAY, dt.time(10, 0), 30, 1, "Team base")
SCALE_WORKED = ("Practical.", "Good examples.", "Working as a team.", "", "")
SCALE_BETTER = ("", "", "More time.", "Fewer slides.", "")


def scale_cohort_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """The Scale cohort's start and target end: from its oldest team's session 1 to its newest's week 12."""
    this_monday = monday(today)
    oldest = max(weeks for weeks, _ in SCALE_PROFILES)
    newest = min(weeks for weeks, _ in SCALE_PROFILES)
    return (
        this_monday - dt.timedelta(weeks=oldest),
        this_monday - dt.timedelta(weeks=newest) + dt.timedelta(weeks=12, days=-1),
    )


def _meeting_next_date(*, meeting: TeamMeeting, on_or_after: dt.date) -> dt.date:
    """The first date the meeting is held on or after a day: the same recurrence the agreement uses."""
    return next(MeetingPattern.of(meeting).dates_from(on_or_after))


def _unit_add(
    *,
    unit: int,
    today: dt.date,
    cohort: Cohort,
    sites: list[Site],
    coaches: list,
    plans: list[SessionPlan],
    tools: list[Tool],
) -> int:
    """One unit of benchmark teams, in bulk. Returns the number of enrolments added."""
    this_monday = monday(today)
    specs = []
    for j, (weeks_ago, slipped) in enumerate(SCALE_PROFILES):
        index = unit * SCALE_TEAMS_PER_UNIT + j
        specs.append((index, f"Scale team {index + 1:04d}", sites[index % len(sites)], weeks_ago, slipped))

    names = [name for _, name, _, _, _ in specs]
    teams = {(t.site_id, t.name): t for t in Team.objects.filter(name__in=names)}
    new_teams = [
        Team(
            name=name,
            site=site,
            department=SCALE_DEPARTMENTS[index % len(SCALE_DEPARTMENTS)],
            improvement_board=ImprovementBoard.PHYSICAL,
        )
        for index, name, site, _, _ in specs
        if (site.pk, name) not in teams
    ]
    bulk_create_with_history(new_teams, Team)  # the audit page's "created" records, one INSERT more
    teams.update({(t.site_id, t.name): t for t in new_teams})
    oldest = this_monday - dt.timedelta(weeks=max(w for w, _ in SCALE_PROFILES))
    TeamMeeting.objects.bulk_create(
        TeamMeeting(team=team, **meeting_fields(SCALE_MEETING, set_up_from=oldest)) for team in new_teams
    )

    enrolled = set(
        Enrolment.objects.filter(cohort=cohort, team__in=list(teams.values())).values_list("team_id", flat=True)
    )
    todo = [spec for spec in specs if teams[(spec[2].pk, spec[1])].pk not in enrolled]
    if not todo:
        return 0
    meetings = {}
    for meeting in TeamMeeting.objects.filter(team__in=[teams[(s[2].pk, s[1])] for s in todo]).order_by("-pk"):
        meetings[meeting.team_id] = meeting

    enrolments, to_schedule = [], []
    last_week = max(p.week_offset for p in plans)
    for index, name, site, weeks_ago, slipped in todo:
        team = teams[(site.pk, name)]
        complete = weeks_ago > last_week and not slipped
        enrolment = Enrolment(
            team=team,
            cohort=cohort,
            coach=coaches[index % len(coaches)],
            session1_date=this_monday - dt.timedelta(weeks=weeks_ago),
            status=EnrolmentStatus.COMPLETED if complete else EnrolmentStatus.ACTIVE,
        )
        enrolments.append(enrolment)
        to_schedule.append((enrolment, meetings.get(team.pk), slipped))
    bulk_create_with_history(enrolments, Enrolment)

    sessions, agreements = [], []
    for enrolment, meeting, slipped in to_schedule:
        for plan in plans:
            session = Session(
                enrolment=enrolment,
                plan=plan,
                number=plan.number,
                due_date=plan.due_date_for(enrolment.session1_date),
            )
            if plan.number == 1 or meeting is None:
                day, start = session.due_date, TAUGHT_START
            else:
                day, start = _meeting_next_date(meeting=meeting, on_or_after=session.due_date), meeting.start_time
            session.agreed_start = at(day, start)
            if day < today and plan.number not in slipped:
                session.held_on = day
                session.attendees = 8 if plan.number == 1 else 5
            sessions.append(session)
        if meeting is not None:
            # Agreed on the day of session 1: "agreed at session 1" follows from the dates.
            agreements.append(
                CoachingAgreement(
                    enrolment=enrolment,
                    meeting=meeting,
                    agreed_at=at(enrolment.session1_date, AGREED_AT),
                    agreed_on=enrolment.session1_date,
                    agreed_by=enrolment.coach,
                )
            )
    bulk_create_with_history(sessions, Session, batch_size=1000)
    bulk_create_with_history(agreements, CoachingAgreement)

    held = [s for s in sessions if s.held_on is not None]
    checklists, levels = [], []
    rng = random.Random(f"scale:{unit}")  # noqa: S311 - demo data, not security
    by_enrolment: dict[int, list[Session]] = {}
    for session in held:
        if session.plan.checklist_due:
            by_enrolment.setdefault(session.enrolment_id, []).append(session)
    for enrolment_sessions in by_enrolment.values():
        rows = rising_levels(rng=rng, tool_names=[tool.name for tool in tools], count=len(enrolment_sessions))
        for session, ratings in zip(enrolment_sessions, rows, strict=True):
            checklists.append(
                Checklist(
                    session=session, coach=session.enrolment.coach, completed_at=at(session.held_on, CHECKLIST_DONE)
                )
            )
            levels.append(ratings)
    bulk_create_with_history(checklists, Checklist, batch_size=1000)
    bulk_create_with_history(
        [
            ToolRating(
                checklist=checklist, tool=tool, level=ratings[tool.name].level, discussed=ratings[tool.name].discussed
            )
            for checklist, ratings in zip(checklists, levels, strict=True)
            for tool in tools
        ],
        ToolRating,
        batch_size=1000,
    )
    # Inserted in bulk, so no write stored the standings the dashboards read: store them as the
    # checklist services do.
    refresh_standings(by_enrolment)

    links = FeedbackLink.objects.bulk_create(
        [FeedbackLink(session=session, is_open=False) for session in held], batch_size=1000
    )
    responses = []
    for link in links:
        session = link.session
        count = SCALE_SESSION_1_RESPONSES if session.number == 1 else SCALE_COACHING_RESPONSES
        for _ in range(count):
            responses.append(
                FeedbackResponse(
                    link=link,
                    could_improve=CouldImprove.YES if rng.random() < 0.95 else CouldImprove.NOT_SURE,
                    rating=rng.choice((3, 4, 4, 5, 5)),
                    what_worked=rng.choice(SCALE_WORKED),
                    what_better=rng.choice(SCALE_BETTER),
                    submitted_on=session.held_on,
                )
            )
    FeedbackResponse.objects.bulk_create(responses, batch_size=1000)
    ids = [e.pk for e in enrolments]
    # Inserted in bulk, so no write stored the figures the dashboards read: store them as the
    # services do (the standings above, once the ratings are in).
    refresh_progress(ids)
    refresh_feedback_tallies(ids)
    return len(enrolments)


def scale_add(
    *,
    scale: int,
    today: dt.date,
    cohort_for: Callable[[int], Cohort],
    sites: list[Site],
    coaches: list,
    tools: list[Tool],
    on_progress: Callable[[int], None] | None,
) -> int:
    """`scale` units of benchmark teams, each in its own cohort (cohort_for(unit)) with its own
    coaches (the first unit: `coaches`); returns the enrolments added (0 when run again).

    on_progress(n) is called after each unit with the number of teams it covered.
    """
    added = 0
    plans = None
    for unit in range(scale):
        cohort = cohort_for(unit)
        if plans is None:
            plans = list(cohort.template.plans.order_by("number"))
        added += _unit_add(
            unit=unit,
            today=today,
            cohort=cohort,
            sites=sites,
            coaches=_unit_coaches(unit, coaches),
            plans=plans,
            tools=tools,
        )
        if on_progress is not None:
            on_progress(SCALE_TEAMS_PER_UNIT)
    return added
