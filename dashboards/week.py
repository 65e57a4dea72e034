"""A coach's week: this week's and next week's sessions across all their teams, each with what it
needs next (agree the slots, record it, its checklist, its feedback link). Reads across coaching,
checklists and feedback, hence here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from coaching.models import SlotsState, slots_state_on
from coaching.selectors import agreement_of
from core.dates import LONDON
from programmes.models import EnrolmentStatus, Session, SessionStatus

WEEKS = 2  # this week and next, Monday to Sunday


@dataclass(frozen=True)
class WeekRow:
    """One session in the week and what it needs. `day` is the day it was held, else the London
    date of its agreed start, else its due date ("due"); `start` is the agreed start in London time
    when it falls on that day, else None."""

    session: Session
    day: dt.date
    start: dt.datetime | None
    status: SessionStatus
    agree_slots: bool  # session 1 is held and the team's coaching slots are not agreed
    record: bool  # its start has passed and it is neither held nor cancelled
    checklist: bool  # held, its plan row has a checklist due, and none is filled in yet
    feedback: bool  # held or today, and its feedback link is open (or not made yet)
    feedback_link_open: bool

    @property
    def team(self):
        return self.session.enrolment.team

    @property
    def needs_something(self) -> bool:
        return self.agree_slots or self.record or self.checklist or self.feedback


@dataclass(frozen=True)
class WeekPart:
    """One week, Monday to Sunday, and its sessions in the order they happen."""

    first_day: dt.date
    last_day: dt.date
    is_this_week: bool
    rows: list[WeekRow]

    @property
    def label(self) -> str:
        return "This week" if self.is_this_week else "Next week"


@dataclass(frozen=True)
class CoachWeek:
    coach: object
    today: dt.date
    weeks: list[WeekPart]

    @property
    def rows(self) -> list[WeekRow]:
        return [row for week in self.weeks for row in week.rows]


def week_start(today: dt.date) -> dt.date:
    """The Monday of today's week."""
    return today - dt.timedelta(days=today.weekday())


def _related(session: Session, name: str):
    """A reverse one-to-one read with select_related (the checklist, the feedback link), or None."""
    try:
        return getattr(session, name)
    except ObjectDoesNotExist:
        return None


def _row(session: Session, *, today: dt.date, now: dt.datetime) -> WeekRow:
    start = timezone.localtime(session.agreed_start, LONDON) if session.agreed_start else None
    day = session.held_on or (start.date() if start else session.due_date)
    if start is not None and start.date() != day:
        start = None  # held on another day than agreed: its time is not known
    agreement = agreement_of(session.enrolment)
    link = _related(session, "feedback_link")
    slots = slots_state_on(
        agreed_on=agreement.agreed_on if agreement else None, session_1_held_on=session.session_1_held_on
    )
    started = session.agreed_start <= now if session.agreed_start else session.due_date <= today
    return WeekRow(
        session=session,
        day=day,
        start=start,
        status=session.status(today),
        agree_slots=slots == SlotsState.NOT_AGREED,
        record=session.is_open and started,
        checklist=session.is_held and session.plan.checklist_due and _related(session, "checklist") is None,
        feedback=(session.is_held or (day == today and not session.cancelled)) and (link is None or link.is_open),
        feedback_link_open=link is not None and link.is_open,
    )


def coach_week(*, coach, today: dt.date, now: dt.datetime) -> CoachWeek:
    """The sessions of the teams `coach` coaches (still in the programme) that fall in this week or
    next: on the day they were held, else on their agreed start's London date, else on their due
    date. One query (the
    sessions with their plan row, team, site, coaching agreement, checklist, feedback link and the
    day session 1 was held), whatever the number of teams."""
    first = week_start(today)
    end = first + dt.timedelta(weeks=WEEKS)  # the Monday after, exclusive
    start_of = dt.datetime.combine(first, dt.time.min, tzinfo=LONDON)
    end_of = dt.datetime.combine(end, dt.time.min, tzinfo=LONDON)
    session_1 = Session.objects.filter(enrolment=OuterRef("enrolment_id"), number=1, cancelled=False)
    sessions = (
        Session.objects.for_coach(coach)
        .filter(enrolment__status__in=EnrolmentStatus.current())
        .filter(
            Q(held_on__gte=first, held_on__lt=end)
            | Q(held_on__isnull=True, agreed_start__gte=start_of, agreed_start__lt=end_of)
            | Q(held_on__isnull=True, agreed_start__isnull=True, due_date__gte=first, due_date__lt=end)
        )
        .select_related("plan", "enrolment__team__site", "enrolment__agreement", "checklist", "feedback_link")
        .annotate(session_1_held_on=Subquery(session_1.values("held_on")[:1]))
    )
    rows = [_row(s, today=today, now=now) for s in sessions]
    # In the order they happen: timed sessions by their start, those with only a due date after
    # the day's timed ones; then by team and number, so that the order is the same every time.
    rows.sort(
        key=lambda r: (
            r.day,
            r.start is None,
            r.start.time() if r.start else dt.time.min,
            r.team.name,
            r.session.number,
        )
    )
    weeks = []
    for n in range(WEEKS):
        monday = first + dt.timedelta(weeks=n)
        sunday = monday + dt.timedelta(days=6)
        weeks.append(WeekPart(monday, sunday, n == 0, [r for r in rows if monday <= r.day <= sunday]))
    return CoachWeek(coach=coach, today=today, weeks=weeks)
