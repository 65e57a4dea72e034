"""Demo data: the source document's story, a current cohort dated from today, and benchmark teams.

Everything is keyed on natural keys (usernames, site codes, team names per site, cohort names,
template versions, PDSA titles), and a parent's children are made only when the parent is made
here, so running the seed again with the same arguments adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from checklists.models import Checklist, Tool, ToolRating, UsageLevel
from coaching.models import CoachingAgreement
from coaching.recurrence import MeetingPattern
from core.roles import Role
from feedback.models import ChangeKind, ContentChange, CouldImprove, FeedbackLink, FeedbackResponse

from .models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ImprovementBoard,
    PdsaCycle,
    PdsaDecision,
    ProgrammeTemplate,
    Session,
    SessionChange,
    SessionPlan,
    Site,
    Team,
    TeamMeeting,
    TemplateStatus,
    Weekday,
)

LONDON = ZoneInfo("Europe/London")
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo login, set only when DEBUG is on
EMAIL_DOMAIN = "example.nhs.uk"

TEMPLATE_NAME = "QMS programme"
TEST_BED_VERSION = "0.9"
VERSION_1 = "1.0"
VERSION_1_PUBLISHED = dt.date(2026, 4, 1)

TEST_BED_COHORT = "Autumn 2025 test bed"
TEST_BED_TEAM = "Education support team"
TEST_BED_SESSION_1 = dt.date(2025, 9, 22)
TEST_BED_WRITTEN_UP = dt.date(2026, 1, 5)  # week 15: "15 weeks ago at the time of writing"
PDSA_TITLE = "QMS training programme test bed"
CURRENT_COHORT = "Current cohort"
SCALE_COHORT = "Scale cohort"

# RSH's 12-week checklist: the only tools whose two latest ratings are both "Most of the time".
SUSTAINED_AT_RSH_REVIEW = ("Ideas generated", "Metrics discussed")

# Benchmark data per unit of --scale: weeks since session 1 and the sessions that slipped (not held).
# Session 1 is on a Monday, coaching rides on a weekly Tuesday meeting, so these counts do not
# depend on the weekday of "today".
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

TAUGHT_START = dt.time(9, 30)
CHECKLIST_DONE = dt.time(16, 0)
AGREED_AT = dt.time(12, 0)


class DemoDataError(RuntimeError):
    """The migrations' data (template v0.9, the nine tools) is missing: run migrate first."""


@dataclass(frozen=True)
class DemoSummary:
    sites: int
    teams: int
    cohorts: int
    enrolments: int
    sessions: int
    checklists: int
    ratings: int
    feedback_responses: int
    scale_teams_added: int
    demo_logins: bool

    def __str__(self) -> str:
        line = (
            f"Demo data ready: {self.sites} sites, {self.teams} teams, {self.cohorts} cohorts, "
            f"{self.enrolments} enrolments, {self.sessions} sessions, {self.checklists} checklists "
            f"({self.ratings} ratings), {self.feedback_responses} feedback responses."
        )
        if self.demo_logins:
            return f"{line} Log in as manager / coach / coach2 / lead with password {DEMO_PASSWORD}."
        return f"{line} Demo logins are disabled (DJANGO_DEBUG is off)."


# --- People and places -----------------------------------------------------------------------


@dataclass(frozen=True)
class _DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role


DEMO_USERS = (
    _DemoUser("manager", "Helen", "Morris", Role.MANAGER),
    _DemoUser("coach", "Rachel", "Evans", Role.COACH),
    _DemoUser("coach2", "Tom", "Bradley", Role.COACH),
    _DemoUser("lead", "Amira", "Khan", Role.LEAD),
)

SITES = {"RSH": "Royal Shrewsbury Hospital", "PRH": "Princess Royal Hospital"}


def demo_users_ensure(*, debug: bool) -> dict:
    """The demo users by username. Password `demo` only in debug; otherwise unusable, and a
    `demo` password left by an earlier debug run is switched off."""
    user_model = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@{EMAIL_DOMAIN}",
                "is_staff": spec.role == Role.MANAGER,
            },
        )
        group, _ = Group.objects.get_or_create(name=spec.role.value)
        user.groups.add(group)
        if debug and (created or not user.has_usable_password()):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        elif not debug and (created or (user.has_usable_password() and user.check_password(DEMO_PASSWORD))):
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users


def _sites_ensure() -> dict[str, Site]:
    return {code: Site.objects.update_or_create(code=code, defaults={"name": name})[0] for code, name in SITES.items()}


# --- Small helpers ---------------------------------------------------------------------------


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=LONDON)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _first_on_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def meeting_next_date(*, meeting: TeamMeeting, on_or_after: dt.date) -> dt.date:
    """The first date the meeting is held on or after a day: the same recurrence the agreement uses."""
    return next(MeetingPattern.of(meeting).dates_from(on_or_after))


@dataclass(frozen=True)
class _Meeting:
    name: str
    weekday: Weekday
    start_time: dt.time
    minutes: int
    every_weeks: int
    location: str


def _meetings_create(*, team: Team, specs: Iterable[_Meeting], from_date: dt.date) -> list[TeamMeeting]:
    return TeamMeeting.objects.bulk_create(
        TeamMeeting(
            team=team,
            name=spec.name,
            weekday=spec.weekday,
            start_time=spec.start_time,
            duration_minutes=spec.minutes,
            every_weeks=spec.every_weeks,
            first_date=_first_on_weekday(from_date, spec.weekday),
            location=spec.location,
        )
        for spec in specs
    )


def _sessions_new(*, enrolment: Enrolment, plans: Iterable[SessionPlan]) -> dict[int, Session]:
    """Unsaved sessions from the plan rows: due date = session 1 date + 7 x week offset."""
    return {
        plan.number: Session(
            enrolment=enrolment,
            plan=plan,
            number=plan.number,
            due_date=enrolment.session1_date + dt.timedelta(weeks=plan.week_offset),
        )
        for plan in plans
    }


def _checklist_create(
    *, session: Session, coach, tools: list[Tool], ratings: dict[str, tuple[int, bool, str]], note: str = ""
) -> Checklist:
    """ratings: tool name -> (level, discussed, comment). Saved with history, as the app would."""
    (checklist,) = bulk_create_with_history(
        [Checklist(session=session, coach=coach, completed_at=_at(session.held_on, CHECKLIST_DONE), culture_note=note)],
        Checklist,
    )
    unrated = (UsageLevel.NOT_AT_ALL, False, "")  # a tool added to the list after this story
    bulk_create_with_history(
        [
            ToolRating(checklist=checklist, tool=tool, level=level, discussed=discussed, comment=comment)
            for tool in tools
            for level, discussed, comment in [ratings.get(tool.name, unrated)]
        ],
        ToolRating,
    )
    return checklist


def _feedback_create(
    *, session: Session, answers: Iterable[tuple[str, int, str, str]], is_open: bool = False
) -> list[FeedbackResponse]:
    """answers: (could improve, rating, what worked, what would make it better), dated the day held."""
    link = FeedbackLink.objects.create(session=session, is_open=is_open)
    return FeedbackResponse.objects.bulk_create(
        FeedbackResponse(
            link=link,
            could_improve=could_improve,
            rating=rating,
            what_worked=worked,
            what_better=better,
            submitted_on=session.held_on,
        )
        for could_improve, rating, worked, better in answers
    )


# --- The story: the autumn 2025 test bed -----------------------------------------------------

YES = CouldImprove.YES

# Session number -> (held on, attendees, notes). The 12-week review is session 7.
RSH_HELD = {
    1: (dt.date(2025, 9, 22), 8, "Taught session 1. Coaching times to be found later with the team."),
    2: (dt.date(2025, 9, 30), 6, "Drafted the team's aim and a first driver diagram."),
    3: (dt.date(2025, 10, 14), 7, "Set up a virtual improvement board on the team's shared channel."),
    4: (dt.date(2025, 10, 29), 5, "Go and see on the education centre front desk; leader standard work drafted."),
    5: (dt.date(2025, 11, 12), 6, "Metrics on the team meeting agenda; ideas log started."),
    6: (dt.date(2025, 11, 25), 6, "First performance review meeting planned. Huddles have stopped."),
    7: (
        dt.date(2025, 12, 11),
        7,
        "12-week review, three days late. First use of the tool-usage checklist: very few tools sustained.",
    ),
}
RSH_SUSTAIN_CANCELLED = (
    "Test bed closed at the 12-week review (PDSA decision: adapt). Sustain checks move to the version 1.0 programme."
)
PRH_HELD = {
    1: (dt.date(2025, 9, 22), 7, "Taught session 1. No coaching times agreed on the day."),
    2: (dt.date(2025, 10, 16), 4, "Held 17 days late: the first time the team could find."),
    3: (dt.date(2025, 11, 6), 5, "Virtual improvement board discussed; huddle not yet started."),
    4: (dt.date(2025, 11, 27), 3, "Three of the team free. Go and see planned."),
    6: (dt.date(2025, 12, 18), 4, "Covered metrics and ideas (session 5) as well as performance review."),
}
PRH_CANCELLED = {5: "No time the whole team could make; combined with session 6."}
# PRH's 12-week review: booked, then moved to week 18 (it was due in week 12).
PRH_REVIEW_MOVES = (
    (
        None,
        dt.datetime(2025, 12, 9, 10, 0, tzinfo=LONDON),
        "Booked after session 4.",
        _at(dt.date(2025, 11, 27), AGREED_AT),
    ),
    (
        dt.datetime(2025, 12, 9, 10, 0, tzinfo=LONDON),
        dt.datetime(2026, 1, 21, 10, 0, tzinfo=LONDON),
        "Team not available before Christmas; the first time everyone is free is week 18.",
        _at(dt.date(2025, 12, 5), AGREED_AT),
    ),
)

# Tool name -> (level at the week-10 coaching session, level at the 12-week review, review comment).
RSH_RATINGS = {
    "Driver diagrams / aims": (2, 2, "Aim agreed; the driver diagram has not been looked at since week 4."),
    "Go and See": (1, 2, "Goes and sees when prompted."),
    "Leader standard work": (1, 1, "Written down, not yet followed week to week."),
    "Improvement board": (1, 0, "Virtual board on the shared channel; nobody opens it."),
    "Improvement huddle": (1, 0, "Not happening: the virtual board isn't visible, so nobody gathers at it."),
    "Ideas generated": (3, 3, "Ideas come forward at every team meeting."),
    "Metrics discussed": (3, 3, "Metrics are a standing item on the team meeting agenda."),
    "Performance review meeting": (2, 2, "Held once, the next one not yet booked."),
    "Performance review report": (1, 2, "Report template in use, not every month."),
}
RSH_WEEK_10_NOTE = "Team engaged and keen to try things. The huddle lapsed once the board went online."
RSH_REVIEW_NOTE = (
    "The team tried a virtual improvement board. It wasn't highly visible, so the huddle didn't happen. "
    "Metrics are discussed and ideas come forward, but very few of the tools are used in a sustained way."
)

# Feedback markers below ("spelling", "typo", "follow", "flow", "coaching times") tie responses
# to the content changes of version 1.0.
RSH_SESSION_1_FEEDBACK = (
    (YES, 5, "Learning it as a whole team instead of one of us going on a course.", ""),
    (YES, 4, "Clear link between the board, the huddle and our metrics.", "A few spelling mistakes on the slides."),
    (YES, 5, "Examples from other NHS Trusts.", ""),
    (YES, 4, "", "The leader standard work section jumped about and was hard to follow."),
    (YES, 5, "Practical, not too much theory.", "Fix the coaching times before we leave the room."),
    (YES, 4, "", "Some typos, and the handout didn't match the slides."),
    (YES, 5, "The go and see exercise.", ""),
    (YES, 4, "Time to talk about our own problems.", "The performance review part didn't flow; I got lost."),
)
PRH_SESSION_1_FEEDBACK = (
    (YES, 5, "Whole team together, good discussion.", ""),
    (YES, 5, "The huddle role play.", "Spelling mistakes in the driver diagram handout."),
    (YES, 4, "Relevant to our work in education support.", "Sections felt out of order; the flow could be better."),
    (YES, 4, "", "Hard to find coaching times afterwards; agree them on the day."),
    (YES, 5, "Friendly and well paced.", ""),
    (YES, 4, "Lean ideas explained simply.", "Less text on the slides."),
    (YES, 5, "", ""),
)
RSH_REVIEW_FEEDBACK = (
    (YES, 5, "Seeing the checklist made it obvious where we are.", ""),
    (YES, 4, "Honest conversation about the board.", "A physical board would have helped us huddle."),
    (YES, 4, "", "More coaching sessions closer together."),
    (YES, 5, "Good to look back over the 12 weeks.", ""),
    (YES, 4, "Metrics work has stuck.", "Use the checklist earlier, not only at the end."),
)
PRH_SESSION_3_FEEDBACK = (
    (YES, 4, "Ideas for our board.", "Sessions keep moving; hard to keep momentum."),
    (YES, 5, "Practical tips.", ""),
    (YES, 4, "", "Book all the coaching times at the start."),
)


def _test_bed_team(*, site: Site) -> Team:
    team, created = Team.objects.get_or_create(
        site=site,
        name=TEST_BED_TEAM,
        defaults={
            "department": "Education",
            "improvement_board": ImprovementBoard.VIRTUAL,
            "board_location": "Team channel on the shared drive",
        },
    )
    if created:
        _meetings_create(
            team=team,
            specs=[_Meeting("Weekly team meeting", Weekday.WEDNESDAY, dt.time(10, 0), 60, 1, "Education centre")],
            from_date=TEST_BED_SESSION_1,
        )
    return team


def _test_bed_sessions(
    *,
    enrolment: Enrolment,
    plans: list[SessionPlan],
    held: dict,
    cancelled: dict[int, str],
    agreed: dict[int, dt.datetime] | None = None,
) -> dict[int, Session]:
    sessions = _sessions_new(enrolment=enrolment, plans=plans)
    for number, start in (agreed or {}).items():
        sessions[number].agreed_start = start
    for number, (held_on, attendees, notes) in held.items():
        session = sessions[number]
        session.held_on, session.attendees, session.notes = held_on, attendees, notes
        session.agreed_start = _at(held_on, TAUGHT_START if number == 1 else dt.time(10, 0))
    for number, reason in cancelled.items():
        sessions[number].cancelled = True
        sessions[number].cancelled_reason = reason
    Session.objects.bulk_create(sessions.values())
    return sessions


def _test_bed_ensure(*, users: dict, sites: dict[str, Site], template: ProgrammeTemplate, tools: list[Tool]) -> Cohort:
    manager, coach = users["manager"], users["coach"]
    cohort, _ = Cohort.objects.get_or_create(
        name=TEST_BED_COHORT,
        defaults={
            "template": template,
            "owner": manager,
            "start_date": TEST_BED_SESSION_1,
            "target_end_date": TEST_BED_SESSION_1 + dt.timedelta(weeks=12, days=-1),
        },
    )
    plans = list(template.plans.order_by("number"))

    rsh, created = Enrolment.objects.get_or_create(
        team=_test_bed_team(site=sites["RSH"]),
        cohort=cohort,
        defaults={"coach": coach, "session1_date": TEST_BED_SESSION_1, "status": EnrolmentStatus.COMPLETED},
    )
    if created:
        sustain = {plan.number: RSH_SUSTAIN_CANCELLED for plan in plans if plan.number > max(RSH_HELD)}
        sessions = _test_bed_sessions(enrolment=rsh, plans=plans, held=RSH_HELD, cancelled=sustain)
        for number, index, note in ((6, 0, RSH_WEEK_10_NOTE), (7, 1, RSH_REVIEW_NOTE)):
            ratings = {
                name: (levels[index], True, levels[2] if index == 1 else "") for name, levels in RSH_RATINGS.items()
            }
            _checklist_create(session=sessions[number], coach=coach, tools=tools, ratings=ratings, note=note)
        _feedback_create(session=sessions[1], answers=RSH_SESSION_1_FEEDBACK)
        _feedback_create(session=sessions[7], answers=RSH_REVIEW_FEEDBACK)

    prh, created = Enrolment.objects.get_or_create(
        team=_test_bed_team(site=sites["PRH"]),
        cohort=cohort,
        defaults={"coach": coach, "session1_date": TEST_BED_SESSION_1, "status": EnrolmentStatus.ACTIVE},
    )
    if created:
        sessions = _test_bed_sessions(
            enrolment=prh,
            plans=plans,
            held=PRH_HELD,
            cancelled=PRH_CANCELLED,
            agreed={7: PRH_REVIEW_MOVES[-1][1]},  # still overdue: due in week 12, booked for week 18
        )
        for from_start, to_start, reason, changed_at in PRH_REVIEW_MOVES:
            change = SessionChange.objects.create(
                session=sessions[7], from_start=from_start, to_start=to_start, reason=reason, changed_by=coach
            )
            # changed_at is auto_now_add; date it in the story instead of today.
            SessionChange.objects.filter(pk=change.pk).update(changed_at=changed_at)
        _feedback_create(session=sessions[1], answers=PRH_SESSION_1_FEEDBACK)
        _feedback_create(session=sessions[3], answers=PRH_SESSION_3_FEEDBACK)
    return cohort


# --- Version 1.0 and the PDSA cycle ----------------------------------------------------------

# (section, kind, description, made on, feedback filter on what_better)
CONTENT_CHANGES = (
    (
        "Session 1 slides and handouts",
        ChangeKind.SPELLING_GRAMMAR,
        "Corrected spelling and grammar on the session 1 slides and handouts; the handout now matches the slides.",
        dt.date(2025, 10, 6),
        Q(what_better__icontains="spelling") | Q(what_better__icontains="typo"),
    ),
    (
        "Leader standard work",
        ChangeKind.REWRITE_FLOW,
        "Rewrote the leader standard work section so it follows on from go and see and is easier to follow.",
        dt.date(2025, 11, 17),
        Q(what_better__icontains="follow") | Q(what_better__icontains="out of order"),
    ),
    (
        "Performance review",
        ChangeKind.REWRITE_FLOW,
        "Reordered the performance review meeting and report slides around one worked example so they flow.",
        dt.date(2026, 1, 19),
        Q(what_better__icontains="flow"),
    ),
    (
        "Session 1",
        ChangeKind.NEW_CONTENT,
        "Session 1 now includes agreeing coaching times on existing meetings, before the team leaves the room.",
        dt.date(2026, 1, 12),
        Q(what_better__icontains="coaching times"),
    ),
    (
        "Coaching sessions",
        ChangeKind.NEW_CONTENT,
        "The tool-usage checklist is completed at every coaching session, the 12-week review and the sustain "
        "checks, not only at the end.",
        dt.date(2026, 1, 12),
        Q(what_better__icontains="checklist"),
    ),
    (
        "Improvement board",
        ChangeKind.NEW_CONTENT,
        "Guidance on a visible, physical board where the team huddles; a virtual board only on a screen the team "
        "stands at.",
        dt.date(2026, 2, 9),
        Q(what_better__icontains="physical board"),
    ),
)


def _version_1_ensure(*, test_bed: ProgrammeTemplate, test_bed_cohort: Cohort, manager) -> ProgrammeTemplate:
    template, created = ProgrammeTemplate.objects.get_or_create(
        name=TEMPLATE_NAME,
        version=VERSION_1,
        defaults={
            "status": TemplateStatus.PUBLISHED,
            "published_on": VERSION_1_PUBLISHED,
            "notes": "Version 1: coaching times agreed at session 1 on meetings the team already holds; "
            "the tool-usage checklist at every coaching, review and sustain session.",
        },
    )
    if created:
        SessionPlan.objects.bulk_create(
            SessionPlan(
                template=template,
                number=plan.number,
                title=plan.title,
                kind=plan.kind,
                week_offset=plan.week_offset,
                checklist_due=plan.checklist_due,
            )
            for plan in test_bed.plans.order_by("number")
        )
        test_bed_responses = FeedbackResponse.objects.filter(link__session__enrolment__cohort=test_bed_cohort)
        for section, kind, description, made_on, prompted_by in CONTENT_CHANGES:
            change = ContentChange.objects.create(
                template=template, section=section, kind=kind, description=description, made_on=made_on, made_by=manager
            )
            change.responses.set(test_bed_responses.filter(prompted_by))
    return template


def _pdsa_ensure(*, cohort: Cohort, template: ProgrammeTemplate, manager) -> PdsaCycle:
    sustained = len(SUSTAINED_AT_RSH_REVIEW)
    cycle, _ = PdsaCycle.objects.get_or_create(
        title=PDSA_TITLE,
        defaults={
            "aim": "A comprehensive QMS training package by 31 March 2026, shown by attendee feedback and by teams "
            "putting the components of a QMS into practice.",
            "plan": "Teach QMS to whole teams rather than individuals, so that staff learn quality management "
            "together and link assurance and improvement with daily operational management.",
            "do": "Ran the complete programme (taught session 1, coaching sessions, 12-week review) with the "
            "education support teams at RSH and PRH from 22 September 2025, on slides built from existing "
            "training, other NHS Trusts' material and lean management.",
            "study": "100% of attendees said they could make improvements in their workplace; their comments led to "
            "spelling, grammar and flow changes. Coaching times were hard to pin down: 15 weeks after session 1 "
            "PRH had still not had its 12-week session. The virtual improvement board was not visible, so the "
            f"huddle did not happen. RSH's checklist at the 12-week review showed {sustained} of 9 tools sustained.",
            "act": "ADAPT: agree the coaching times during session 1, on meetings the team already holds; use the "
            "tool-usage checklist frequently through the 12 weeks; keep adapting the content to reach version 1 "
            "by April 2026.",
            "decision": PdsaDecision.ADAPT,
            "started_on": TEST_BED_SESSION_1,
            "decided_on": TEST_BED_WRITTEN_UP,
            "cohort": cohort,
            "template": template,
            "created_by": manager,
        },
    )
    return cycle


# --- The current cohort, dated from today ----------------------------------------------------

HUDDLE = _Meeting("Weekly team huddle", Weekday.TUESDAY, dt.time(9, 0), 30, 1, "Team base")
GOVERNANCE = _Meeting("Fortnightly governance meeting", Weekday.THURSDAY, dt.time(14, 0), 60, 2, "Seminar room 2")


@dataclass(frozen=True)
class _CurrentTeam:
    name: str
    site: str
    department: str
    board: ImprovementBoard
    board_location: str
    coach: str
    progress: str  # "on track", "overdue" or "not started"
    start_week: int  # session 1 in this week of the cohort (0: the cohort's first week)
    meetings: tuple[_Meeting, ...]
    held_through: int = 0  # overdue teams: the last session held
    days_late: int = 0  # overdue teams: how late the coaching sessions they did hold were


CURRENT_TEAMS = (
    _CurrentTeam(
        "Ward 22 nursing team",
        "RSH",
        "Surgery",
        ImprovementBoard.PHYSICAL,
        "Corridor by the nurses' station",
        "coach",
        "on track",
        0,
        (HUDDLE, GOVERNANCE),
    ),
    _CurrentTeam(
        "Pharmacy dispensary team",
        "PRH",
        "Pharmacy",
        ImprovementBoard.PHYSICAL,
        "Dispensary office wall",
        "coach2",
        "on track",
        1,
        (_Meeting("Weekly team meeting", Weekday.WEDNESDAY, dt.time(13, 30), 45, 1, "Dispensary office"),),
    ),
    _CurrentTeam(
        "Pathology reception",
        "RSH",
        "Pathology",
        ImprovementBoard.NONE,
        "",
        "coach2",
        "overdue",
        0,
        (_Meeting("Team meeting", Weekday.THURSDAY, dt.time(12, 30), 60, 4, "Pathology seminar room"),),
        held_through=2,
        days_late=5,
    ),
    _CurrentTeam(
        "Theatres admin team",
        "PRH",
        "Theatres",
        ImprovementBoard.VIRTUAL,
        "Team channel",
        "coach",
        "overdue",
        1,
        (_Meeting("Weekly team huddle", Weekday.MONDAY, dt.time(8, 30), 15, 1, "Theatres office"),),
        held_through=1,
    ),
    _CurrentTeam(
        "Maternity day unit",
        "PRH",
        "Women and children",
        ImprovementBoard.PHYSICAL,
        "Staff room",
        "coach",
        "not started",
        10,
        (HUDDLE, GOVERNANCE),
    ),
    _CurrentTeam(
        "Estates helpdesk",
        "RSH",
        "Estates and facilities",
        ImprovementBoard.NONE,
        "",
        "coach2",
        "not started",
        11,
        (_Meeting("Weekly team meeting", Weekday.FRIDAY, dt.time(11, 0), 30, 1, "Estates office"),),
    ),
)

CURRENT_WORKED = (
    "Practical and relevant to our team.",
    "Working on our own problems.",
    "Time together as a team.",
    "Clear examples.",
    "",
    "",
)
CURRENT_BETTER = ("", "", "", "A bit more time for questions.", "Share the slides beforehand.", "")


def _current_cohort_start(today: dt.date) -> dt.date:
    """The Monday about eight weeks before today: today falls in the cohort's week 9."""
    return _monday(today) - dt.timedelta(weeks=8)


def _current_feedback(*, session: Session, rng: random.Random, is_open: bool) -> None:
    count = max(session.attendees - rng.randint(0, 2), 1) if session.number == 1 else rng.randint(2, 4)
    _feedback_create(
        session=session,
        is_open=is_open,
        answers=[
            (YES, rng.choice((4, 4, 5, 5, 5)), rng.choice(CURRENT_WORKED), rng.choice(CURRENT_BETTER))
            for _ in range(count)
        ],
    )


def _rising_levels(*, rng: random.Random, tools: list[Tool], count: int) -> list[dict[str, tuple[int, bool, str]]]:
    """Ratings for `count` checklists in a row with adoption rising: each tool starts low and climbs."""
    start = {tool.name: rng.choice((0, 0, 1, 1, 2)) for tool in tools}
    every = {tool.name: rng.choice((1, 1, 2, 2, 3)) for tool in tools}
    rows = []
    for k in range(count):
        row = {}
        for name in start:
            level = min(3, start[name] + (k + 1) // every[name])
            row[name] = (level, level > 0 or rng.random() < 0.5, "")
        rows.append(row)
    return rows


def _current_enrolment_build(
    *, enrolment: Enrolment, spec: _CurrentTeam, plans: list[SessionPlan], today: dt.date, tools: list[Tool]
) -> None:
    rng = random.Random(f"current:{spec.name}")  # noqa: S311 - demo data, not security
    meetings = list(enrolment.team.meetings.order_by("pk"))
    sessions = _sessions_new(enrolment=enrolment, plans=plans)
    first = sessions[1]
    first.agreed_start = _at(first.due_date, TAUGHT_START)
    if spec.progress == "on track":
        # The ACT of the story: slots agreed at session 1 on a meeting the team already holds.
        meeting = meetings[0]
        first.held_on, first.attendees = first.due_date, rng.randint(8, 12)
        first.notes = f"Taught session 1. Coaching times agreed on the {meeting.name.lower()}."
        for session in list(sessions.values())[1:]:
            day = meeting_next_date(meeting=meeting, on_or_after=session.due_date)
            session.agreed_start = _at(day, meeting.start_time)
            if day < today:
                session.held_on, session.attendees = day, rng.randint(4, 8)
    elif spec.progress == "overdue":
        first.held_on, first.attendees = first.due_date, rng.randint(6, 10)
        first.notes = "Taught session 1. Coaching times not agreed: the team will check rotas and come back."
        for number in range(2, spec.held_through + 1):
            session = sessions[number]
            session.held_on = session.due_date + dt.timedelta(days=spec.days_late)
            session.attendees = rng.randint(3, 5)
            session.notes = "Held late: the first time the team could find."
    Session.objects.bulk_create(sessions.values())

    if spec.progress == "on track":
        CoachingAgreement.objects.create(
            enrolment=enrolment,
            meeting=meetings[0],
            agreed_at=_at(first.held_on, AGREED_AT),
            agreed_by=enrolment.coach,
            agreed_at_session_1=True,
        )
    held = [s for s in sessions.values() if s.held_on is not None]
    with_checklist = [s for s in held if s.plan.checklist_due]
    for session, ratings in zip(
        with_checklist, _rising_levels(rng=rng, tools=tools, count=len(with_checklist)), strict=True
    ):
        _checklist_create(session=session, coach=enrolment.coach, tools=tools, ratings=ratings)
    for session in held:
        _current_feedback(session=session, rng=rng, is_open=session is held[-1])


def _current_cohort_ensure(
    *, today: dt.date, users: dict, sites: dict[str, Site], template: ProgrammeTemplate, tools: list[Tool]
) -> Cohort:
    start = _current_cohort_start(today)
    cohort, _ = Cohort.objects.get_or_create(
        name=CURRENT_COHORT,
        defaults={
            "template": template,
            "owner": users["manager"],
            "start_date": start,
            "target_end_date": start + dt.timedelta(weeks=12, days=-1),
        },
    )
    plans = list(cohort.template.plans.order_by("number"))
    for spec in CURRENT_TEAMS:
        session1_date = cohort.start_date + dt.timedelta(weeks=spec.start_week)
        team, created = Team.objects.get_or_create(
            site=sites[spec.site],
            name=spec.name,
            defaults={
                "department": spec.department,
                "improvement_board": spec.board,
                "board_location": spec.board_location,
            },
        )
        if created:
            _meetings_create(team=team, specs=spec.meetings, from_date=session1_date)
        enrolment, created = Enrolment.objects.get_or_create(
            team=team,
            cohort=cohort,
            defaults={
                "coach": users[spec.coach],
                "session1_date": session1_date,
                "status": EnrolmentStatus.PLANNED if spec.progress == "not started" else EnrolmentStatus.ACTIVE,
            },
        )
        if created:
            _current_enrolment_build(enrolment=enrolment, spec=spec, plans=plans, today=today, tools=tools)
    return cohort


# --- Benchmark teams (--scale) ---------------------------------------------------------------

SCALE_DEPARTMENTS = ("Nursing", "Pharmacy", "Pathology", "Radiology", "Outpatients", "Estates")
SCALE_MEETING = _Meeting("Weekly team huddle", Weekday.TUESDAY, dt.time(10, 0), 30, 1, "Team base")
SCALE_WORKED = ("Practical.", "Good examples.", "Working as a team.", "", "")
SCALE_BETTER = ("", "", "More time.", "Fewer slides.", "")


def _scale_unit_add(
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
    monday = _monday(today)
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
    Team.objects.bulk_create(new_teams)
    teams.update({(t.site_id, t.name): t for t in new_teams})
    TeamMeeting.objects.bulk_create(
        TeamMeeting(
            team=team,
            name=SCALE_MEETING.name,
            weekday=SCALE_MEETING.weekday,
            start_time=SCALE_MEETING.start_time,
            duration_minutes=SCALE_MEETING.minutes,
            every_weeks=SCALE_MEETING.every_weeks,
            first_date=_first_on_weekday(
                monday - dt.timedelta(weeks=max(w for w, _ in SCALE_PROFILES)), SCALE_MEETING.weekday
            ),
            location=SCALE_MEETING.location,
        )
        for team in new_teams
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
    for index, name, site, weeks_ago, slipped in todo:
        team = teams[(site.pk, name)]
        session1_date = monday - dt.timedelta(weeks=weeks_ago)
        complete = weeks_ago > max(p.week_offset for p in plans) and not slipped
        enrolment = Enrolment(
            team=team,
            cohort=cohort,
            coach=coaches[index % len(coaches)],
            session1_date=session1_date,
            status=EnrolmentStatus.COMPLETED if complete else EnrolmentStatus.ACTIVE,
        )
        enrolments.append(enrolment)
        to_schedule.append((enrolment, meetings.get(team.pk), slipped))
    Enrolment.objects.bulk_create(enrolments)

    sessions, agreements = [], []
    for enrolment, meeting, slipped in to_schedule:
        planned = _sessions_new(enrolment=enrolment, plans=plans)
        for number, session in planned.items():
            if number == 1:
                day, start = session.due_date, TAUGHT_START
            elif meeting is not None:
                day = meeting_next_date(meeting=meeting, on_or_after=session.due_date)
                start = meeting.start_time
            else:
                day, start = session.due_date, TAUGHT_START
            session.agreed_start = _at(day, start)
            if day < today and number not in slipped:
                session.held_on = day
                session.attendees = 8 if number == 1 else 5
        sessions.extend(planned.values())
        if meeting is not None:
            agreements.append(
                CoachingAgreement(
                    enrolment=enrolment,
                    meeting=meeting,
                    agreed_at=_at(enrolment.session1_date, AGREED_AT),
                    agreed_by=enrolment.coach,
                    agreed_at_session_1=True,
                )
            )
    Session.objects.bulk_create(sessions, batch_size=1000)
    CoachingAgreement.objects.bulk_create(agreements)

    held = [s for s in sessions if s.held_on is not None]
    checklists, levels = [], []
    rng = random.Random(f"scale:{unit}")  # noqa: S311 - demo data, not security
    by_enrolment: dict[int, list[Session]] = {}
    for session in held:
        if session.plan.checklist_due:
            by_enrolment.setdefault(session.enrolment_id, []).append(session)
    for enrolment_sessions in by_enrolment.values():
        rows = _rising_levels(rng=rng, tools=tools, count=len(enrolment_sessions))
        for session, ratings in zip(enrolment_sessions, rows, strict=True):
            checklists.append(
                Checklist(
                    session=session,
                    coach=session.enrolment.coach,
                    completed_at=_at(session.held_on, CHECKLIST_DONE),
                )
            )
            levels.append(ratings)
    bulk_create_with_history(checklists, Checklist, batch_size=1000)
    bulk_create_with_history(
        [
            ToolRating(checklist=checklist, tool=tool, level=ratings[tool.name][0], discussed=ratings[tool.name][1])
            for checklist, ratings in zip(checklists, levels, strict=True)
            for tool in tools
        ],
        ToolRating,
        batch_size=1000,
    )

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
                    could_improve=YES if rng.random() < 0.95 else CouldImprove.NOT_SURE,
                    rating=rng.choice((3, 4, 4, 5, 5)),
                    what_worked=rng.choice(SCALE_WORKED),
                    what_better=rng.choice(SCALE_BETTER),
                    submitted_on=session.held_on,
                )
            )
    FeedbackResponse.objects.bulk_create(responses, batch_size=1000)
    return len(enrolments)


def _scale_add(
    *,
    scale: int,
    today: dt.date,
    users: dict,
    sites: dict[str, Site],
    template: ProgrammeTemplate,
    tools: list[Tool],
    on_progress: Callable[[int], None] | None,
) -> int:
    monday = _monday(today)
    oldest = max(weeks for weeks, _ in SCALE_PROFILES)
    newest = min(weeks for weeks, _ in SCALE_PROFILES)
    cohort, _ = Cohort.objects.get_or_create(
        name=SCALE_COHORT,
        defaults={
            "template": template,
            "owner": users["manager"],
            "start_date": monday - dt.timedelta(weeks=oldest),
            "target_end_date": monday - dt.timedelta(weeks=newest) + dt.timedelta(weeks=12, days=-1),
        },
    )
    plans = list(cohort.template.plans.order_by("number"))
    added = 0
    for unit in range(scale):
        added += _scale_unit_add(
            unit=unit,
            today=today,
            cohort=cohort,
            sites=[sites["RSH"], sites["PRH"]],
            coaches=[users["coach"], users["coach2"]],
            plans=plans,
            tools=tools,
        )
        if on_progress is not None:
            on_progress(SCALE_TEAMS_PER_UNIT)
    return added


# --- Entry point -----------------------------------------------------------------------------


def seed_demo(*, today: dt.date, scale: int = 0, on_progress: Callable[[int], None] | None = None) -> DemoSummary:
    """Load the demo data in one transaction; safe to run again with the same arguments.

    on_progress(n) is called after each unit of --scale with the number of teams it covered.
    """
    if scale < 0:
        raise ValueError("scale must be 0 or more")
    debug = bool(settings.DEBUG)
    with transaction.atomic():
        test_bed = ProgrammeTemplate.objects.filter(name=TEMPLATE_NAME, version=TEST_BED_VERSION).first()
        tools = list(Tool.objects.active().order_by("order", "name"))
        missing = {*SUSTAINED_AT_RSH_REVIEW, *RSH_RATINGS} - {tool.name for tool in tools}
        if test_bed is None or missing or not test_bed.plans.exists():
            raise DemoDataError(
                "The default template v0.9 or the nine checklist tools are missing: run `manage.py migrate` first."
            )
        users = demo_users_ensure(debug=debug)
        sites = _sites_ensure()
        test_bed_cohort = _test_bed_ensure(users=users, sites=sites, template=test_bed, tools=tools)
        version_1 = _version_1_ensure(test_bed=test_bed, test_bed_cohort=test_bed_cohort, manager=users["manager"])
        _pdsa_ensure(cohort=test_bed_cohort, template=test_bed, manager=users["manager"])
        _current_cohort_ensure(today=today, users=users, sites=sites, template=version_1, tools=tools)
        added = 0
        if scale:
            added = _scale_add(
                scale=scale,
                today=today,
                users=users,
                sites=sites,
                template=version_1,
                tools=tools,
                on_progress=on_progress,
            )
    return DemoSummary(
        sites=Site.objects.count(),
        teams=Team.objects.count(),
        cohorts=Cohort.objects.count(),
        enrolments=Enrolment.objects.count(),
        sessions=Session.objects.count(),
        checklists=Checklist.objects.count(),
        ratings=ToolRating.objects.count(),
        feedback_responses=FeedbackResponse.objects.count(),
        scale_teams_added=added,
        demo_logins=debug,
    )
