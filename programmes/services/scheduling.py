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
from simple_history.utils import bulk_create_with_history

from core.concurrency import claim_version
from core.dates import non_working_reason

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
from .progress import refresh_progress

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
    made = bulk_create_with_history(sessions, Session)  # one INSERT for the rows, one for their history
    refresh_progress([enrolment.pk])  # bulk_create sends no post_save
    return made


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
    contact_name: str = "",
    contact_email: str = "",
) -> Team:
    team = Team(
        name=name.strip(),
        site=site,
        department=department.strip(),
        improvement_board=improvement_board,
        board_location=board_location.strip(),
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
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
    contact_name: str = "",
    contact_email: str = "",
) -> Team:
    team.name = name.strip()
    team.site = site
    team.department = department.strip()
    team.improvement_board = improvement_board
    team.board_location = board_location.strip()
    team.contact_name = contact_name.strip()
    team.contact_email = contact_email.strip()
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
    is_huddle: bool = False,
) -> TeamMeeting:
    """Records a meeting the team already holds, so that coaching slots can ride on it (and, marked
    as the team's huddle, its board sheet and check-ins count its dates)."""
    meeting = TeamMeeting(
        team=team,
        name=name.strip(),
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration_minutes,
        every_weeks=every_weeks,
        first_date=first_date,
        location=location.strip(),
        is_huddle=is_huddle,
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
    is_huddle: bool | None = None,
) -> TeamMeeting:
    """Changes a meeting. Times already agreed on it stay as they are: re-agree to move them.
    is_huddle: whether it is the team's huddle (None: as it was)."""
    meeting.name = name.strip()
    meeting.weekday = weekday
    meeting.start_time = start_time
    meeting.duration_minutes = duration_minutes
    meeting.every_weeks = every_weeks
    meeting.first_date = first_date
    meeting.location = location.strip()
    if is_huddle is not None:
        meeting.is_huddle = is_huddle
    _check_meeting(meeting)
    claim_version(meeting, version, thing="meeting")
    meeting.save()
    return meeting


# --- Cohorts and enrolments -------------------------------------------------------------------


def cohort_default_end_date(*, template: ProgrammeTemplate, start_date: dt.date) -> dt.date:
    """A cohort's target end date when the manager gives none: the due date of its programme's last
    session for a team whose session 1 is on the cohort's start date. One query."""
    last = template.plans.order_by("-week_offset").first()
    return last.due_date_for(start_date) if last else start_date


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


def _day(day: dt.date) -> str:
    return f"{day:%a %-d %b %Y}"


def session1_date_warnings(*, cohort: Cohort, session1_date: dt.date, today: dt.date) -> list[str]:
    """What is odd about a session 1 date, each in plain words ("It is a Saturday."): a date that may
    be right, so the manager is asked to confirm it, not refused. Empty when nothing is odd."""
    warnings = []
    if session1_date < today:
        warnings.append(f"It is in the past: today is {_day(today)}.")
    if session1_date < cohort.start_date:
        warnings.append(f"It is before the cohort starts ({_day(cohort.start_date)}).")
    reason = non_working_reason(session1_date)
    if reason:
        warnings.append(f"It is {reason}.")
    if session1_date > cohort.target_end_date:
        warnings.append(f"It is after the cohort's target end date ({_day(cohort.target_end_date)}).")
    return warnings


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def current_enrolment_elsewhere(*, team: Team, cohort: Cohort) -> Enrolment | None:
    """The team's planned or active enrolment in another cohort, with its cohort and coach: at most
    one (programmes_enrolment_one_current_per_team). One query."""
    others = Enrolment.objects.current().filter(team=team).exclude(cohort=cohort)
    return others.select_related("team", "cohort", "coach").first()


def _check_not_current_elsewhere(cohort: Cohort, team: Team, *, field: str) -> None:
    """A team is in one cohort at a time, under one coach (programmes_enrolment_one_current_per_team)."""
    other = current_enrolment_elsewhere(team=team, cohort=cohort)
    if other is None:
        return
    coach = f"coached by {_person(other.coach)}" if other.coach else "with no coach yet"
    message = (
        f"{team.name} is already {other.get_status_display().lower()} in {other.cohort.name}, {coach}. "
        f"A team is in one cohort at a time: the manager must withdraw it from {other.cohort.name} first "
        "(or mark it completed there)."
    )
    raise ValidationError({field: ValidationError(message, code="in_another_cohort")})


def _check_not_enrolled(cohort: Cohort, team: Team) -> None:
    if Enrolment.objects.filter(cohort=cohort, team=team).exists():
        raise ValidationError(
            {"team": ValidationError(f"{team.name} is already enrolled in {cohort.name}.", code="duplicate")}
        )


def enrolment_team_check(*, cohort: Cohort, team: Team) -> None:
    """The rules for enrolling this team in this cohort, as the form and the service both apply them:
    not in this cohort already, and not planned or active in another."""
    _check_not_enrolled(cohort, team)
    _check_not_current_elsewhere(cohort, team, field="team")


def london_start(*, day: dt.date, time: dt.time, field: str) -> dt.datetime:
    """A London wall-clock time on a day as an aware datetime; a time the clocks skip or repeat that
    day (late March, late October) is refused in plain words, not guessed."""
    london = timezone.get_default_timezone()
    naive = dt.datetime.combine(day, time)
    start = timezone.make_aware(naive, london)
    skipped = start.astimezone(dt.UTC).astimezone(london).replace(tzinfo=None) != naive
    repeated = naive.replace(tzinfo=london, fold=0).utcoffset() != naive.replace(tzinfo=london, fold=1).utcoffset()
    if skipped or repeated:
        raise ValidationError(
            {
                field: ValidationError(
                    f"The clocks change at {time:%H:%M} on {_day(day)}, so that time happens "
                    f"{'not at all' if skipped else 'twice'} that day. Choose another time.",
                    code="clocks_change",
                )
            }
        )
    return start


@transaction.atomic
def enrolment_create(
    *,
    cohort: Cohort,
    team: Team,
    coach,
    session1_date: dt.date,
    session1_start: dt.time | None = None,
    session1_location: str = "",
) -> Enrolment:
    """Enrols a team and makes its sessions from the cohort's programme version. session1_start
    (London time) and session1_location, when given, are session 1's agreed start and place."""
    enrolment_team_check(cohort=cohort, team=team)
    agreed_start = None
    if session1_start is not None:
        agreed_start = london_start(day=session1_date, time=session1_start, field="session1_start")
    enrolment = Enrolment(
        cohort=cohort, team=team, coach=coach, session1_date=session1_date, status=EnrolmentStatus.PLANNED
    )
    # Another manager enrolling the same team at the same moment: the constraints refuse the second
    # save, and the check, run again, says why in the same words.
    _save_checked(enrolment, lambda: enrolment_team_check(cohort=cohort, team=team))
    sessions = sessions_for_enrolment_create(enrolment=enrolment)
    location = session1_location.strip()
    if sessions and (agreed_start is not None or location):
        first = min(sessions, key=lambda session: session.number)
        first.agreed_start, first.location = agreed_start, location
        first.save(update_fields=["agreed_start", "location"])
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
            moved = {}
            if session.number == 1 and session.agreed_start is not None:
                # Session 1's agreed time moves with its date, at the same London time.
                agreed = timezone.localtime(session.agreed_start)
                moved["agreed_start"] = london_start(day=session1_date, time=agreed.time(), field="session1_date")
            claim_version(session, session.version, due_date=due_date, updated_at=timezone.now(), **moved)
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
    reopened = status in EnrolmentStatus.current() and not enrolment.is_current

    def check() -> None:
        # Reopened here while planned or active in another cohort: refused, as enrolling it would be.
        if reopened:
            _check_not_current_elsewhere(enrolment.cohort, enrolment.team, field="status")

    check()
    claim_version(enrolment, version)
    enrolment.status = status
    _save_checked(enrolment, check, update_fields=["status", "version", "updated_at"])
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
def session_move(
    *,
    session: Session,
    version: int,
    to_start: dt.datetime,
    reason: str,
    user,
    clash_override_reason: str = "",
) -> SessionChange:
    """Moves a session's agreed time and keeps the move, so slippage can be counted.
    clash_override_reason: why the time is kept although it clashes (the form checks the clashes)."""
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
        session=session,
        from_start=session.agreed_start,
        to_start=to_start,
        reason=reason.strip(),
        clash_override_reason=clash_override_reason.strip(),
        changed_by=user,
    )
    session.refresh_from_db()
    return change
