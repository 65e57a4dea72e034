"""Writes for the programme: each function is one transaction.

Errors a person can fix are raised as django.core.exceptions.ValidationError, with messages in
their words, and leave the database as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.concurrency import claim_version

from ..models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ImprovementBoard,
    ProgrammeTemplate,
    Session,
    SessionChange,
    Site,
    Team,
    TeamMeeting,
    Weekday,
)

# Forms keep session 1 within two years of today (core.forms.BoundedDateField); a caller that
# skips them still gets a ValidationError, not the OverflowError of a date past the calendar's end.
OFF_THE_CALENDAR = "Session 1 cannot be that far from today: its sessions' due dates would fall off the calendar."


def _off_the_calendar() -> ValidationError:
    return ValidationError({"session1_date": ValidationError(OFF_THE_CALENDAR, code="out_of_range")})


def sessions_for_enrolment_create(*, enrolment: Enrolment) -> list[Session]:
    """The enrolment's sessions from its cohort's template: due date = session 1 + week offset."""
    plans = enrolment.cohort.template.plans.order_by("number")
    try:
        sessions = [
            Session(
                enrolment=enrolment, plan=plan, number=plan.number, due_date=plan.due_date_for(enrolment.session1_date)
            )
            for plan in plans
        ]
    except OverflowError:
        raise _off_the_calendar() from None
    return Session.objects.bulk_create(sessions)


def _save_checked(instance: models.Model, check: Callable[[], None], **save: object) -> None:
    """Saves the row in a savepoint. If another request saved a row with the same unique name in
    the moment since `check` passed (two managers at once), runs `check` again: it sees that row
    now (READ COMMITTED) and raises the ValidationError the person would have had a moment later,
    never a 500. An integrity error that `check` does not explain is raised as it is."""
    try:
        with transaction.atomic():
            instance.save(**save)
    except IntegrityError:
        check()
        raise


# --- Teams and their meetings ------------------------------------------------------------------


def _full_clean(instance, *, exclude: list[str] | None = None) -> None:
    """The model's own rules (unique names, constraints) as a ValidationError rather than an IntegrityError."""
    instance.full_clean(exclude=exclude)


@transaction.atomic
def team_create(
    *,
    name: str,
    site: Site,
    department: str = "",
    improvement_board: ImprovementBoard = ImprovementBoard.NONE,
    board_location: str = "",
) -> Team:
    team = Team(
        name=name.strip(),
        site=site,
        department=department.strip(),
        improvement_board=improvement_board,
        board_location=board_location.strip(),
    )
    _full_clean(team)
    _save_checked(team, lambda: _full_clean(team))
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    version: int,
    name: str,
    site: Site,
    department: str,
    improvement_board: ImprovementBoard,
    board_location: str,
) -> Team:
    team.name = name.strip()
    team.site = site
    team.department = department.strip()
    team.improvement_board = improvement_board
    team.board_location = board_location.strip()
    _full_clean(team)
    claim_version(team, version)
    _save_checked(team, lambda: _full_clean(team))
    return team


def _check_meeting(meeting: TeamMeeting) -> None:
    if meeting.first_date.weekday() != meeting.weekday:
        day = Weekday(meeting.weekday).label
        raise ValidationError(
            {
                "first_date": f"{meeting.first_date:%-d %B %Y} is a {meeting.first_date:%A}, but the meeting is on "
                f"{day}s. Give a {day} the meeting is (or was) held on: fortnightly and four-weekly meetings "
                "count their weeks from it."
            }
        )
    _full_clean(meeting)


@transaction.atomic
def team_meeting_create(
    *,
    team: Team,
    name: str,
    weekday: int,
    start_time: dt.time,
    duration_minutes: int,
    every_weeks: int,
    first_date: dt.date,
    location: str = "",
) -> TeamMeeting:
    """Records a meeting the team already holds, so that coaching slots can ride on it."""
    meeting = TeamMeeting(
        team=team,
        name=name.strip(),
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration_minutes,
        every_weeks=every_weeks,
        first_date=first_date,
        location=location.strip(),
    )
    _check_meeting(meeting)
    meeting.save()
    return meeting


@transaction.atomic
def team_meeting_update(
    *,
    meeting: TeamMeeting,
    version: int,
    name: str,
    weekday: int,
    start_time: dt.time,
    duration_minutes: int,
    every_weeks: int,
    first_date: dt.date,
    location: str,
) -> TeamMeeting:
    """Changes a meeting. Times already agreed on it stay as they are: re-agree to move them."""
    meeting.name = name.strip()
    meeting.weekday = weekday
    meeting.start_time = start_time
    meeting.duration_minutes = duration_minutes
    meeting.every_weeks = every_weeks
    meeting.first_date = first_date
    meeting.location = location.strip()
    _check_meeting(meeting)
    claim_version(meeting, version, thing="meeting")
    meeting.save()
    return meeting


# --- Cohorts and enrolments -------------------------------------------------------------------


@transaction.atomic
def cohort_create(
    *, name: str, template: ProgrammeTemplate, owner, start_date: dt.date, target_end_date: dt.date
) -> Cohort:
    if not template.is_published:
        raise ValidationError("A cohort can only follow a published programme version.", code="draft_template")
    if target_end_date < start_date:
        raise ValidationError("The target end date must be on or after the start date.", code="dates")
    cohort = Cohort(
        name=name.strip(), template=template, owner=owner, start_date=start_date, target_end_date=target_end_date
    )
    _full_clean(cohort)
    _save_checked(cohort, lambda: _full_clean(cohort))
    return cohort


@transaction.atomic
def cohort_update(
    *, cohort: Cohort, version: int, name: str, owner, start_date: dt.date, target_end_date: dt.date
) -> Cohort:
    """Renames or re-dates a cohort; its programme version is fixed once created."""
    if target_end_date < start_date:
        raise ValidationError({"target_end_date": "The target end date must be on or after the start date."})
    cohort.name = name.strip()
    cohort.owner = owner
    cohort.start_date = start_date
    cohort.target_end_date = target_end_date
    _full_clean(cohort)
    claim_version(cohort, version)
    _save_checked(cohort, lambda: _full_clean(cohort))
    return cohort


def _check_not_enrolled(cohort: Cohort, team: Team) -> None:
    if Enrolment.objects.filter(cohort=cohort, team=team).exists():
        raise ValidationError(f"{team.name} is already enrolled in {cohort.name}.", code="duplicate")


@transaction.atomic
def enrolment_create(*, cohort: Cohort, team: Team, coach, session1_date: dt.date) -> Enrolment:
    """Enrols a team and makes its sessions from the cohort's programme version."""
    _check_not_enrolled(cohort, team)
    enrolment = Enrolment(
        cohort=cohort, team=team, coach=coach, session1_date=session1_date, status=EnrolmentStatus.PLANNED
    )
    _save_checked(enrolment, lambda: _check_not_enrolled(cohort, team))
    sessions_for_enrolment_create(enrolment=enrolment)
    return enrolment


@transaction.atomic
def enrolment_update(*, enrolment: Enrolment, version: int | None, coach, session1_date: dt.date) -> Enrolment:
    """Changes the coach or session 1's date; moving session 1 moves every due date not yet held.

    version: the enrolment's version the form was opened on (None: the admin's save, which bumps it).
    """
    claim_version(enrolment, version)
    saved_session1_date = Enrolment.objects.values_list("session1_date", flat=True).get(pk=enrolment.pk)
    if session1_date != saved_session1_date:
        if enrolment.sessions.filter(held_on__isnull=False).exists():
            raise ValidationError(
                {
                    "session1_date": ValidationError(
                        "Session 1's date cannot change once a session has been held.", code="held_sessions"
                    )
                }
            )
        shift = session1_date - saved_session1_date
        for session in enrolment.sessions.select_for_update():  # locked: each claim wins
            try:
                due_date = session.due_date + shift
            except OverflowError:
                raise _off_the_calendar() from None
            claim_version(session, session.version, due_date=due_date, updated_at=timezone.now())
    enrolment.coach = coach
    enrolment.session1_date = session1_date
    enrolment.save(update_fields=["coach", "session1_date", "version", "updated_at"])
    return enrolment


@transaction.atomic
def enrolment_set_status(*, enrolment: Enrolment, status: EnrolmentStatus, version: int | None = None) -> Enrolment:
    """Withdraws, completes or reopens an enrolment. Its sessions and their records stay.

    version: the enrolment's version the page was shown with; None for the app's own steps (session 1
    held starts the enrolment) and the admin, which bump it whatever it is.
    """
    if status not in EnrolmentStatus.values:
        raise ValidationError({"status": "Choose planned, active, completed or withdrawn."})
    claim_version(enrolment, version)
    enrolment.status = status
    enrolment.save(update_fields=["status", "version", "updated_at"])
    return enrolment


def _check_held_on(session: Session, held_on: dt.date, today: dt.date) -> None:
    if held_on > today:
        raise ValidationError({"held_on": "A session cannot be recorded as held on a future date."})
    start = session.enrolment.session1_date
    if held_on < start:
        raise ValidationError(
            {
                "held_on": f"That is before this team's programme started ({start:%-d %B %Y}). "
                "If session 1 really happened earlier, change the enrolment's session 1 date first."
            }
        )


@transaction.atomic
def session_record_held(
    *, session: Session, version: int, held_on: dt.date, attendees: int, notes: str, today: dt.date
) -> Session:
    """Records a session as held. Recording session 1 also starts the enrolment."""
    _check_held_on(session, held_on, today)
    claim_version(
        session, version, held_on=held_on, attendees=attendees, notes=notes, cancelled=False, cancelled_reason="",
        updated_at=timezone.now(),
    )  # fmt: skip
    session.refresh_from_db()
    enrolment = session.enrolment
    if enrolment.status == EnrolmentStatus.PLANNED:
        enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.ACTIVE)
    return session


@transaction.atomic
def session_cancel(*, session: Session, version: int, reason: str) -> Session:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the session is cancelled."})
    if session.held_on is not None:
        raise ValidationError("A session that has been held cannot be cancelled.", code="held")
    claim_version(session, version, cancelled=True, cancelled_reason=reason.strip(), updated_at=timezone.now())
    session.refresh_from_db()
    return session


@transaction.atomic
def session_move(*, session: Session, version: int, to_start: dt.datetime, reason: str, user) -> SessionChange:
    """Moves a session's agreed time and keeps the move, so slippage can be counted."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the session is moving."})
    if session.held_on is not None or session.cancelled:
        raise ValidationError("Only a session that is still to happen can be moved.", code="closed")
    if timezone.is_naive(to_start):
        raise ValueError("to_start must be an aware datetime")
    if session.agreed_start == to_start:
        raise ValidationError({"to_start": "That is the time already agreed."})
    start = session.enrolment.session1_date
    if timezone.localdate(to_start) < start:
        raise ValidationError({"to_start": f"That is before this team's programme started ({start:%-d %B %Y})."})
    claim_version(session, version, agreed_start=to_start, updated_at=timezone.now())
    change = SessionChange.objects.create(
        session=session, from_start=session.agreed_start, to_start=to_start, reason=reason.strip(), changed_by=user
    )
    session.refresh_from_db()
    return change
