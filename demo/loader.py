"""Loads the demo data of demo.story through the apps' services, so that it keeps the rules a
person's edits keep: sessions made from the programme version, held dates neither in the future
nor before session 1, coaching slots from the meeting's recurrence, a rating for every tool, a
feedback form that takes answers only while open, a published version never edited.

The story is replayed on its own dates: each service's "today" (or agreement_confirm's "now") is
the day the thing happened. The current cohort counts from the seed's today. Two services stamp
the time they run and cannot be told another one (session_move's change, checklist_save's
completion); those stamps are moved to the story's dates afterwards (_move, _checklist).

Everything is keyed on natural keys (usernames, site codes, team names per site, cohort names,
template versions, PDSA titles), and a parent's children are made only when the parent is made
here, so running the seed again with the same arguments adds nothing. `--scale` teams are bulk
inserted by demo.scale.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings  # the seed's emails into memory (_reminder_sweeps_run)
from django.utils import timezone

from checklists.models import Checklist, RatingValue, Tool, ToolRating, UsageLevel
from checklists.services import checklist_save
from coaching.services import agreement_confirm, reminders_sweep
from coaching.services.invitations import invitations_suppressed
from core.roles import Role
from feedback.models import FeedbackResponse
from feedback.services import (
    content_change_create,
    feedback_link_close,
    feedback_link_open,
    feedback_response_create,
    huddle_board_for_team,
)
from programmes.meetings import MeetingPattern
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    HuddleBoard,
    HuddleCheckIn,
    ImprovementBoard,
    PdsaCycle,
    ProgrammeTemplate,
    Session,
    SessionChange,
    Site,
    Team,
)
from programmes.services import (
    PdsaEntry,
    PlanRow,
    cohort_create,
    enrolment_create,
    enrolment_set_status,
    pdsa_cycle_create,
    programme_version_draft,
    programme_version_publish,
    programme_version_update,
    session_cancel,
    session_move,
    session_record_held,
)
from programmes.services.scheduling import team_create, team_meeting_create

from . import story
from .generate import meeting_fields, monday, rising_levels
from .scale import scale_add, scale_cohort_dates, scale_cohort_name
from .story import YES, Answer, CurrentTeam, Held, Move, TeamSpec, at


class DemoDataError(RuntimeError):
    """The demo cannot be loaded: the migrations' data (template v0.9, the nine tools) is missing,
    or a service refused a step."""


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
            return f"{line} Log in as manager / coach / coach2 / lead with password {story.DEMO_PASSWORD}."
        return f"{line} Demo logins are disabled (DJANGO_DEBUG is off)."


# --- Entry point -----------------------------------------------------------------------------------


def seed_demo(*, today: dt.date, scale: int = 0, on_progress: Callable[[int], None] | None = None) -> DemoSummary:
    """Load the demo data in one transaction, then run the reminder sweep for the current cohort's
    days (_reminder_sweeps_run, without --scale); safe to run again with the same arguments.

    on_progress(n) is called after each unit of --scale with the number of teams it covered.
    """
    if scale < 0:
        raise ValueError("scale must be 0 or more")
    debug = bool(settings.DEBUG)
    with invitations_suppressed(), transaction.atomic():  # the demo's people are made up
        test_bed = ProgrammeTemplate.objects.filter(name=story.TEMPLATE_NAME, version=story.TEST_BED_VERSION).first()
        tools = list(Tool.objects.active().order_by("order", "name"))
        missing = set(story.RSH_RATINGS) - {tool.name for tool in tools}
        if test_bed is None or missing or not test_bed.plans.exists():
            raise DemoDataError(
                "The default template v0.9 or the nine checklist tools are missing: run `manage.py migrate` first."
            )
        users = demo_users_ensure(debug=debug)
        sites = _sites_ensure()
        try:
            test_bed_cohort = _test_bed_ensure(users=users, sites=sites, template=test_bed, tools=tools)
            version_1 = _version_1_ensure(test_bed=test_bed, test_bed_cohort=test_bed_cohort, manager=users["manager"])
            _pdsa_ensure(story.PDSA, cohort=test_bed_cohort, template=test_bed, manager=users["manager"])
            if today > story.SPRING_LAST_DAY:
                spring = _spring_cohort_ensure(users=users, sites=sites, template=test_bed, tools=tools, today=today)
                _pdsa_ensure(story.SPRING_PDSA, cohort=spring, template=test_bed, manager=users["manager"])
            _current_cohort_ensure(today=today, users=users, sites=sites, template=version_1, tools=tools)
            added = 0
            if scale:
                start, end = scale_cohort_dates(today)
                added = scale_add(
                    scale=scale,
                    today=today,
                    cohort_for=lambda unit: _cohort_ensure(
                        name=scale_cohort_name(unit),
                        template=version_1,
                        owner=users["manager"],
                        start_date=start,
                        target_end_date=end,
                    ),
                    sites=[sites["RSH"], sites["PRH"]],
                    coaches=[users["coach"], users["coach2"]],
                    tools=tools,
                    on_progress=on_progress,
                )
        except ValidationError as exc:
            raise DemoDataError(f"The demo data breaks a rule of the app: {'; '.join(exc.messages)}") from exc
    if not scale:
        _reminder_sweeps_run(today=today)
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


def _reminder_sweeps_run(*, today: dt.date) -> None:
    """The reminder log as the daily sweep would have left it: the real sweep (the one Celery beat and
    `send_reminders` run), once for each day from the current cohort's start to today. Run after the
    data commit, as the sweep sends each email after its own claim commits. Again with the same
    today it adds nothing: each reminder is claimed once (the Reminder log's unique constraint).

    The emails go to Django's in-memory backend while seeding (the demo's people are made up, and a
    console backend would fill the terminal of `make run` with them); the log records them as sent.
    With a Celery broker configured, the worker sends them through its own email settings; called
    inside a transaction (not so by seed_demo's command), they are sent when that one commits.
    --scale data is left out (see seed_demo): a benchmark measures the sweep on its own data."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        day = current_cohort_start(today)
        while day <= today:
            now = min(timezone.now(), dt.datetime.combine(day, dt.time(8), tzinfo=story.LONDON))
            reminders_sweep(today=day, now=now)
            day += dt.timedelta(days=1)


# --- People and places -------------------------------------------------------------------------
# There is no service for users or sites: the admin makes them.


def demo_users_ensure(*, debug: bool) -> dict:
    """The demo users by username. Password `demo` only in debug; otherwise unusable, and a
    `demo` password left by an earlier debug run is switched off."""
    user_model = get_user_model()
    users = {}
    for spec in story.DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@{story.EMAIL_DOMAIN}",
                "is_staff": spec.role == Role.MANAGER,
            },
        )
        group, _ = Group.objects.get_or_create(name=spec.role.value)
        user.groups.add(group)
        if debug and (created or not user.has_usable_password()):
            user.set_password(story.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        elif not debug and (created or (user.has_usable_password() and user.check_password(story.DEMO_PASSWORD))):
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users


def _sites_ensure() -> dict[str, Site]:
    return {
        code: Site.objects.update_or_create(code=code, defaults={"name": name})[0] for code, name in story.SITES.items()
    }


# --- Steps through the services ----------------------------------------------------------------


def _team_ensure(*, spec: TeamSpec, sites: dict[str, Site], meetings_from: dt.date) -> Team:
    """The team, made with its meetings (each first held on or after meetings_from) if new."""
    site = sites[spec.site]
    team = Team.objects.filter(site=site, name=spec.name).first()
    if team is not None:
        return team
    team = team_create(
        name=spec.name,
        site=site,
        department=spec.department,
        improvement_board=spec.board,
        board_location=spec.board_location,
    )
    for meeting in spec.meetings:
        team_meeting_create(team=team, **meeting_fields(meeting, set_up_from=meetings_from))
    return team


def _cohort_ensure(
    *, name: str, template: ProgrammeTemplate, owner, start_date: dt.date, target_end_date: dt.date
) -> Cohort:
    cohort = Cohort.objects.filter(name=name).select_related("template").first()
    if cohort is not None:
        return cohort
    return cohort_create(
        name=name, template=template, owner=owner, start_date=start_date, target_end_date=target_end_date
    )


def _enrol(*, cohort: Cohort, team: Team, coach, session1_date: dt.date) -> Enrolment | None:
    """A new enrolment with its sessions from the cohort's version; None if the team is enrolled already."""
    if Enrolment.objects.filter(cohort=cohort, team=team).exists():
        return None
    return enrolment_create(cohort=cohort, team=team, coach=coach, session1_date=session1_date)


def _sessions(enrolment: Enrolment) -> dict[int, Session]:
    """The enrolment's sessions as saved now, by number."""
    sessions = Session.objects.filter(enrolment=enrolment).select_related("plan").order_by("number")
    return {session.number: session for session in sessions}


def _hold(session: Session, held: Held, *, today: dt.date) -> Session:
    return session_record_held(
        session=session,
        version=session.version,
        held_on=held.held_on,
        attendees=held.attendees,
        notes=held.notes,
        today=today,
    )


def _move(session: Session, move: Move, *, user) -> None:
    change = session_move(
        session=session, version=session.version, to_start=move.to_start, reason=move.reason, user=user
    )
    # session_move stamps the moment it runs: date the move when the coach made it in the story.
    SessionChange.objects.filter(pk=change.pk).update(changed_at=move.changed_at)


def _checklist(
    session: Session, *, coach, tools: list[Tool], ratings: Mapping[str, RatingValue], note: str = ""
) -> Checklist:
    """The session's checklist (ratings by tool name), completed at the end of the day it was held."""
    unrated = RatingValue(discussed=False, level=UsageLevel.NOT_AT_ALL)  # a tool added after this story
    checklist = checklist_save(
        session=session,
        user=coach,
        version=0,
        ratings={tool.pk: ratings.get(tool.name, unrated) for tool in tools},
        culture_note=note,
    )
    # checklist_save stamps the moment it runs: date the checklist, and its history, on the day.
    completed_at = at(session.held_on, story.CHECKLIST_DONE)
    Checklist.objects.filter(pk=checklist.pk).update(completed_at=completed_at)
    Checklist.history.filter(id=checklist.pk).update(history_date=completed_at)
    ToolRating.history.filter(checklist_id=checklist.pk).update(history_date=completed_at)
    checklist.completed_at = completed_at
    return checklist


def _feedback(session: Session, answers: Iterable[Answer], *, keep_open: bool = False) -> None:
    """Attendees' answers through the session's feedback link, dated the day it was held; the link is
    closed afterwards unless keep_open."""
    link = feedback_link_open(session=session)
    for answer in answers:
        feedback_response_create(
            link=link,
            could_improve=answer.could_improve,
            rating=answer.rating,
            what_worked=answer.what_worked,
            what_better=answer.what_better,
            today=session.held_on,
        )
    if not keep_open:
        feedback_link_close(session=session)


# --- The story: the autumn 2025 test bed -------------------------------------------------------


def _test_bed_ensure(*, users: dict, sites: dict[str, Site], template: ProgrammeTemplate, tools: list[Tool]) -> Cohort:
    """Both education support teams, coached by `coach`, session 1 on 22 September 2025, no coaching
    agreement (the times were never agreed: that is the story)."""
    session_1 = story.TEST_BED_SESSION_1
    cohort = _cohort_ensure(
        name=story.TEST_BED_COHORT,
        template=template,
        owner=users["manager"],
        start_date=session_1,
        target_end_date=session_1 + dt.timedelta(weeks=12, days=-1),
    )
    coach = users["coach"]
    for site, build in (("RSH", _rsh_test_bed_build), ("PRH", _prh_test_bed_build)):
        team = _team_ensure(spec=story.education_support_team(site), sites=sites, meetings_from=session_1)
        enrolment = _enrol(cohort=cohort, team=team, coach=coach, session1_date=session_1)
        if enrolment is not None:
            build(enrolment=enrolment, coach=coach, tools=tools)
    return cohort


def _rsh_test_bed_build(*, enrolment: Enrolment, coach, tools: list[Tool]) -> None:
    """Held through the 12-week review (three days late), checklists at week 10 and the review showing
    few tools sustained, then closed: the sustain checks cancelled."""
    sessions = _sessions(enrolment)
    checklists = {
        story.RSH_WEEK_10: (
            {name: RatingValue(discussed=True, level=r.at_week_10) for name, r in story.RSH_RATINGS.items()},
            story.RSH_WEEK_10_NOTE,
        ),
        story.RSH_REVIEW: (
            {name: RatingValue(True, r.at_review, r.comment) for name, r in story.RSH_RATINGS.items()},
            story.RSH_REVIEW_NOTE,
        ),
    }
    for number, held in story.RSH_HELD.items():
        session = _hold(sessions[number], held, today=held.held_on)
        if number in checklists:
            ratings, note = checklists[number]
            _checklist(session, coach=coach, tools=tools, ratings=ratings, note=note)
        if number in story.TEST_BED_FEEDBACK["RSH"]:
            _feedback(session, story.TEST_BED_FEEDBACK["RSH"][number])
    for number, session in sessions.items():
        if number > story.RSH_REVIEW:
            session_cancel(session=session, version=session.version, reason=story.RSH_SUSTAIN_CANCELLED)
    enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.COMPLETED)


def _prh_test_bed_build(*, enrolment: Enrolment, coach, tools: list[Tool]) -> None:
    """Coaching held late or combined; the 12-week review booked, then moved to week 18: not held in
    week 15. Still active."""
    sessions = _sessions(enrolment)
    for number, held in story.PRH_HELD.items():
        session = _hold(sessions[number], held, today=held.held_on)
        if number in story.TEST_BED_FEEDBACK["PRH"]:
            _feedback(session, story.TEST_BED_FEEDBACK["PRH"][number])
    for number, reason in story.PRH_CANCELLED.items():
        session_cancel(session=sessions[number], version=sessions[number].version, reason=reason)
    for move in story.PRH_REVIEW_MOVES:
        _move(sessions[story.PRH_REVIEW], move, user=coach)


# --- Version 1.0 and the PDSA cycle --------------------------------------------------------------


def _version_1_ensure(*, test_bed: ProgrammeTemplate, test_bed_cohort: Cohort, manager) -> ProgrammeTemplate:
    """Version 1.0, drafted from 0.9 with the test bed's content changes recorded against it (each
    with the feedback that prompted it), published on 1 April 2026."""
    template = ProgrammeTemplate.objects.filter(name=story.TEMPLATE_NAME, version=story.VERSION_1).first()
    if template is not None:
        return template
    draft = programme_version_draft(source=test_bed, version=story.VERSION_1)
    test_bed_responses = FeedbackResponse.objects.filter(link__session__enrolment__cohort=test_bed_cohort)
    for change in story.CONTENT_CHANGES:
        prompted_by = functools.reduce(operator.or_, (Q(what_better__icontains=word) for word in change.prompted_by))
        content_change_create(
            template=draft,
            section=change.section,
            kind=change.kind,
            description=change.description,
            made_on=change.made_on,
            made_by=manager,
            responses=test_bed_responses.filter(prompted_by),
            today=change.made_on,
        )
    draft = programme_version_update(
        template=draft,
        revision=draft.revision,
        notes=story.VERSION_1_NOTES,
        plans=[PlanRow.of(plan) for plan in draft.plans.order_by("number")],
    )
    return programme_version_publish(template=draft, revision=draft.revision, today=story.VERSION_1_PUBLISHED)


def _pdsa_ensure(pdsa: story.PdsaStory, *, cohort: Cohort, template: ProgrammeTemplate, manager) -> PdsaCycle:
    cycle = PdsaCycle.objects.filter(title=pdsa.title).first()
    if cycle is not None:
        return cycle
    entry = PdsaEntry(
        title=pdsa.title,
        aim=pdsa.aim,
        plan=pdsa.plan,
        do=pdsa.do,
        study=pdsa.study,
        act=pdsa.act,
        decision=pdsa.decision,
        started_on=pdsa.started_on,
        decided_on=pdsa.decided_on,
        cohort=cohort,
        template=template,
    )
    return pdsa_cycle_create(entry=entry, created_by=manager)


# --- Spring 2026: agreeing coaching times at session 1 -------------------------------------------


def _spring_cohort_ensure(
    *, users: dict, sites: dict[str, Site], template: ProgrammeTemplate, tools: list[Tool], today: dt.date
) -> Cohort:
    """Twelve teams on version 0.9, every session held and each enrolment completed; made only once
    every session is in the past (seed_demo: today after story.SPRING_LAST_DAY)."""
    cohort = _cohort_ensure(
        name=story.SPRING_COHORT,
        template=template,
        owner=users["manager"],
        start_date=story.SPRING_START,
        target_end_date=story.SPRING_START + dt.timedelta(weeks=18, days=-1),
    )
    for spec in story.SPRING_TEAMS:
        team = _team_ensure(spec=spec.team, sites=sites, meetings_from=spec.session1_date)
        enrolment = _enrol(cohort=cohort, team=team, coach=users[spec.coach], session1_date=spec.session1_date)
        if enrolment is not None:
            _spring_enrolment_build(enrolment=enrolment, spec=spec, tools=tools, today=today)
    return cohort


def _spring_enrolment_build(*, enrolment: Enrolment, spec: story.SpringTeam, tools: list[Tool], today: dt.date) -> None:
    """Session 1 held; the coaching slots agreed on the team's meeting at session 1 or some days
    later (the first coaching is the meeting's first date from then), every slot held, a checklist
    at each session that asks for one, a few attendees' feedback at session 1; then completed."""
    rng = random.Random(f"spring:{spec.team.name}")  # noqa: S311 - demo data, not security
    coach = enrolment.coach
    meeting = enrolment.team.meetings.order_by("pk").first()
    first = _sessions(enrolment)[1]
    at_session_1 = spec.agreed_days_after == 0
    notes = (
        story.SPRING_SESSION_1_AGREED_NOTES.format(meeting=meeting.name.lower())
        if at_session_1
        else story.SPRING_SESSION_1_LATE_NOTES
    )
    first = _hold(first, Held(first.due_date, rng.randint(6, 12), notes), today=today)
    agreed_on = first.held_on + dt.timedelta(days=spec.agreed_days_after)
    agreement_confirm(
        enrolment=enrolment, meeting=meeting, unavailable=(), user=coach, now=at(agreed_on, story.AGREED_AT)
    )
    held = [first]
    for session in list(_sessions(enrolment).values())[1:]:
        day = session.agreed_start.astimezone(story.LONDON).date()
        held.append(_hold(session, Held(day, rng.randint(4, 8), ""), today=today))
    with_checklist = [s for s in held if s.plan.checklist_due]
    levels = rising_levels(rng=rng, tool_names=[tool.name for tool in tools], count=len(with_checklist))
    for session, ratings in zip(with_checklist, levels, strict=True):
        _checklist(session, coach=coach, tools=tools, ratings=ratings)
    answers = [
        Answer(YES, rng.choice((4, 4, 5, 5, 5)), rng.choice(story.CURRENT_WORKED), rng.choice(story.CURRENT_BETTER))
        for _ in range(rng.randint(2, 4))
    ]
    _feedback(first, answers)
    enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.COMPLETED)


# --- The current cohort, dated from today ----------------------------------------------------------


def current_cohort_start(today: dt.date) -> dt.date:
    """The Monday some weeks before today's (story.CURRENT_COHORT_WEEKS_AGO): today is in week 9."""
    return monday(today) - dt.timedelta(weeks=story.CURRENT_COHORT_WEEKS_AGO)


def _current_cohort_ensure(
    *, today: dt.date, users: dict, sites: dict[str, Site], template: ProgrammeTemplate, tools: list[Tool]
) -> Cohort:
    start = current_cohort_start(today)
    cohort = _cohort_ensure(
        name=story.CURRENT_COHORT,
        template=template,
        owner=users["manager"],
        start_date=start,
        target_end_date=start + dt.timedelta(weeks=12, days=-1),
    )
    for spec in story.CURRENT_TEAMS:
        session1_date = cohort.start_date + dt.timedelta(weeks=spec.start_week)
        team = _team_ensure(spec=spec.team, sites=sites, meetings_from=session1_date)
        enrolment = _enrol(cohort=cohort, team=team, coach=users[spec.coach], session1_date=session1_date)
        if enrolment is not None:
            _current_enrolment_build(enrolment=enrolment, spec=spec, today=today, tools=tools)
        _huddles_build(team=team, spec=spec, today=today)
    return cohort


def _huddles_build(*, team: Team, spec: CurrentTeam, today: dt.date) -> None:
    """A physical board's sheet, printed on the day of session 1, and the huddles checked in from it
    on the team's huddle days since: a day missed now and then (never two in a row), or none from
    the Monday spec.huddles_stopped_weeks_ago weeks before today's (the huddles stopped). Today's
    huddle is left to come. Again with the same today it adds nothing."""
    if spec.huddles_stopped_weeks_ago is None or team.improvement_board != ImprovementBoard.PHYSICAL:
        return
    session_1 = Session.objects.filter(enrolment__team=team, number=1, held_on__lte=today).order_by("-held_on").first()
    if session_1 is None:
        return
    board = huddle_board_for_team(team=team)
    HuddleBoard.objects.filter(pk=board.pk).update(created_at=at(session_1.held_on, story.AGREED_AT))
    stop = None
    if spec.huddles_stopped_weeks_ago:
        stop = monday(today) - dt.timedelta(weeks=spec.huddles_stopped_weeks_ago)
    patterns = [MeetingPattern.of(meeting) for meeting in team.meetings.filter(is_huddle=True)]
    days = sorted({day for pattern in patterns for day in pattern.dates_between(session_1.held_on, today)})
    rng = random.Random(f"huddles:{team.name}")  # noqa: S311 - demo data, not security
    check_ins, missed_last = [], False
    for day in days:
        if day >= today or (stop is not None and day >= stop):
            break
        missed_last = not missed_last and rng.random() < 0.15
        if not missed_last:
            note = rng.choice(story.HUDDLE_NOTES)
            check_ins.append(HuddleCheckIn(team=team, held_on=day, people=rng.randint(4, 9), note=note))
    HuddleCheckIn.objects.bulk_create(check_ins, ignore_conflicts=True)


def _current_enrolment_build(*, enrolment: Enrolment, spec: CurrentTeam, today: dt.date, tools: list[Tool]) -> None:
    """On track: session 1 held, the coaching slots agreed that day on the team's first meeting (the
    ACT of the story), every slot before today held. Overdue: session 1 and a few coaching sessions
    held late, no agreement. Not started: session 1 still to come."""
    rng = random.Random(f"current:{spec.team.name}")  # noqa: S311 - demo data, not security
    coach = enrolment.coach
    first = _sessions(enrolment)[1]
    if spec.progress == story.ON_TRACK:
        meeting = enrolment.team.meetings.order_by("pk").first()
        notes = story.ON_TRACK_SESSION_1_NOTES.format(meeting=meeting.name.lower())
        first = _hold(first, Held(first.due_date, rng.randint(8, 12), notes), today=today)
        typed_in = min(first.held_on + dt.timedelta(days=spec.typed_in_days_later), today)
        agreement_confirm(
            enrolment=enrolment,
            meeting=meeting,
            unavailable=(),
            user=coach,
            now=at(typed_in, story.AGREED_AT),
            agreed_on=first.held_on,  # agreed in the room at session 1, whenever it was typed in
        )
        for session in list(_sessions(enrolment).values())[1:]:
            day = session.agreed_start.astimezone(story.LONDON).date()
            if day < today:
                _hold(session, Held(day, rng.randint(4, 8), ""), today=today)
    elif spec.progress == story.OVERDUE:
        _hold(first, Held(first.due_date, rng.randint(6, 10), story.OVERDUE_SESSION_1_NOTES), today=today)
        sessions = _sessions(enrolment)
        for number in range(2, spec.held_through + 1):
            session = sessions[number]
            held_on = session.due_date + dt.timedelta(days=spec.days_late)
            _hold(session, Held(held_on, rng.randint(3, 5), story.OVERDUE_LATE_NOTES), today=today)

    held = [s for s in _sessions(enrolment).values() if s.held_on is not None]
    with_checklist = [s for s in held if s.plan.checklist_due]
    levels = rising_levels(rng=rng, tool_names=[tool.name for tool in tools], count=len(with_checklist))
    for session, ratings in zip(with_checklist, levels, strict=True):
        _checklist(session, coach=coach, tools=tools, ratings=ratings)
    for session in held:
        count = max(session.attendees - rng.randint(0, 2), 1) if session.number == 1 else rng.randint(2, 4)
        answers = [
            Answer(YES, rng.choice((4, 4, 5, 5, 5)), rng.choice(story.CURRENT_WORKED), rng.choice(story.CURRENT_BETTER))
            for _ in range(count)
        ]
        _feedback(session, answers, keep_open=session is held[-1])
