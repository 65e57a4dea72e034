"""Reads for reminders: which sessions are due a reminder today and for whom (the rules the sweep
follows), the row a send loads, the managers' Reminders page, and "when the last reminder went"
for the coach's teams and the enrolment page.

The rules, for a given day in Europe/London (an argument, so tests fix it); only enrolments that
are current (EnrolmentStatus.current(): planned or active) get reminders:

- overdue: a session overdue by the one rule (Session.objects.overdue: neither held nor cancelled,
  and the later of its due date and its agreed start, plus the grace QMS_SESSION_GRACE_DAYS, has
  passed) -> its coach, once per session and due date. A team with no coach: the cohort's
  improvement manager, so that someone hears of it.
- escalation: on the day a session is QMS_ESCALATION_DAYS overdue (Session.days_overdue, the
  number the pages show: 1 on the first overdue day) and still open -> the cohort's improvement
  manager (Cohort.owner), once.
- slipping: a session agreed (or moved) past its due date plus the grace days
  (Session.objects.scheduled_late) -> the cohort's improvement manager, once.
- slots_not_agreed: session 1 held AGREEMENT_REMINDER_DAYS or more ago and no coaching agreement
  -> the coach, once.
- upcoming: a session due within UPCOMING_REMINDER_DAYS with no agreed time -> the coach, once.
- huddles_stopped: a team with a physical improvement board, its board sheet printed, whose planned
  huddles had no check-in for QMS_HUDDLE_STOPPED_WEEKS weeks (programmes.huddles, read through
  programmes.selectors.huddles.team_huddles) -> the coach (or the manager), once per stop. It is
  about the team, not a session: it hangs on the enrolment's session 1, and its due date is the
  Monday the stop began, so huddles that start again and stop again are a new reminder.

Queries: each rule reads its candidates in batches of BATCH_SIZE sessions, already reminded ones
excluded in SQL: the count does not grow with the sessions that need no reminder. The huddle rule
reads its teams' check-ins too: five queries per batch (the sessions, team_huddles' three, the
reminders already claimed for those stops).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, CharField, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from programmes.models import (
    EnrolmentStatus,
    Session,
    first_coaching_wait,
    first_coaching_wait_limit,
)
from programmes.selectors.huddles import huddles_can_stop, team_huddles

from ..models import Reminder, ReminderKind, ReminderStatus
from .sending import (  # noqa: F401 - the send bound's names, as the reminder tests know them
    SEND_SOFT_TIME_LIMIT,
    SEND_TIME_LIMIT,
    STALE_PENDING_AFTER,
    STALE_SENDING_AFTER,
    StaleSends,
    stale_sending,
    stale_sends,
)

# Session 1 held this many days ago without a coaching agreement -> remind the coach.
AGREEMENT_REMINDER_DAYS = 2
# A session due within this many days with no agreed time -> remind the coach.
UPCOMING_REMINDER_DAYS = 2
# Candidate sessions read (and claimed) per batch.
BATCH_SIZE = 500


def escalation_days() -> int:
    return settings.QMS_ESCALATION_DAYS


# --- Who gets what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    kind: ReminderKind
    sessions: Callable[[dt.date], QuerySet[Session]]
    to_manager: bool = False  # True: the cohort's improvement manager; else the coach (or the manager)


def _of_current_teams(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return sessions.filter(enrolment__status__in=EnrolmentStatus.current())


def _overdue(today: dt.date) -> QuerySet[Session]:
    return _of_current_teams(Session.objects.overdue(today))


def _escalation(today: dt.date) -> QuerySet[Session]:
    # N days overdue today <=> overdue (1 day) on the day N - 1 days ago, and not held or cancelled since.
    return _of_current_teams(Session.objects.overdue(today - dt.timedelta(days=max(escalation_days(), 1) - 1)))


def _slipping(today: dt.date) -> QuerySet[Session]:
    return _of_current_teams(Session.objects.scheduled_late())


def _slots_not_agreed(today: dt.date) -> QuerySet[Session]:
    return _of_current_teams(
        Session.objects.filter(
            number=1,
            cancelled=False,
            held_on__lte=today - dt.timedelta(days=AGREEMENT_REMINDER_DAYS),
            enrolment__agreement__isnull=True,
        )
    )


def _upcoming(today: dt.date) -> QuerySet[Session]:
    return _of_current_teams(
        Session.objects.open().filter(
            agreed_start__isnull=True,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=UPCOMING_REMINDER_DAYS),
        )
    )


def _first_coaching(today: dt.date) -> QuerySet[Session]:
    # Session 1 (one per enrolment, so once per team) of teams whose wait to first coaching
    # (programmes.models.first_coaching_wait) is over the limit: held more than the limit's days ago,
    # no coaching session held since. From the stored progress: one indexed read.
    return _of_current_teams(
        Session.objects.filter(
            number=1,
            cancelled=False,
            enrolment__progress__session_1_held_on__lt=today - dt.timedelta(days=first_coaching_wait_limit()),
            enrolment__progress__first_coaching_held_on__isnull=True,
        )
    )


_RULES = (
    _Rule(ReminderKind.OVERDUE, _overdue),
    _Rule(ReminderKind.ESCALATION, _escalation, to_manager=True),
    _Rule(ReminderKind.SLIPPING, _slipping, to_manager=True),
    _Rule(ReminderKind.SLOTS_NOT_AGREED, _slots_not_agreed),
    _Rule(ReminderKind.UPCOMING, _upcoming),
    _Rule(ReminderKind.FIRST_COACHING, _first_coaching, to_manager=True),
)


def _huddle_boards(today: dt.date) -> QuerySet[Session]:
    # Session 1 (one per enrolment) of current teams with a physical board whose sheet was printed:
    # the teams whose huddles can stop (team_huddles says which did).
    return _of_current_teams(Session.objects.filter(huddles_can_stop("enrolment__team__"), number=1))


# Reminders about the team rather than one of its sessions: the Reminder's due date is the day the
# finding began (huddles stopped: the stop's Monday), not the session's.
TEAM_KINDS = frozenset({ReminderKind.HUDDLES_STOPPED})

_HUDDLES_RULE = _Rule(ReminderKind.HUDDLES_STOPPED, _huddle_boards)


def _with_recipient(rule: _Rule, sessions: QuerySet[Session]) -> QuerySet[Session]:
    if rule.to_manager:
        recipient = F("enrolment__cohort__owner_id")
    else:
        recipient = Coalesce("enrolment__coach_id", "enrolment__cohort__owner_id", output_field=IntegerField())
    return (
        sessions.annotate(reminder_to_id=recipient)
        .select_related("plan", "enrolment__team__site", "enrolment__cohort__owner", "enrolment__coach")
        .order_by("pk")
    )


def _candidates(rule: _Rule, today: dt.date) -> QuerySet[Session]:
    """The rule's sessions with their recipient, minus those this recipient was already reminded of."""
    already = Reminder.objects.filter(
        session=OuterRef("pk"), recipient=OuterRef("reminder_to_id"), kind=rule.kind, due_date=OuterRef("due_date")
    )
    return _with_recipient(rule, rule.sessions(today)).filter(~Exists(already))


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def huddles_stopped_detail(*, since: dt.date) -> str:
    """What a huddles-stopped reminder says, in the digest line, the email and the command's line:
    since when (the stop's first missed week), not how many weeks, which depend on the huddle days."""
    return f"no huddle checked in at the board since the week of {since:%A %-d %B %Y}"


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder the sweep found due. session has its plan, team, site, cohort owner and coach loaded."""

    session: Session
    kind: ReminderKind
    today: dt.date
    to_manager: bool
    period: dt.date | None = None  # a team kind's (TEAM_KINDS) own due date: huddles stopped, the stop's Monday

    @classmethod
    def of(cls, reminder: Reminder, *, today: dt.date, to_manager: bool) -> PlannedReminder:
        """A claimed reminder as the sweep planned it (its session loaded as for a digest line)."""
        kind = ReminderKind(reminder.kind)
        return cls(reminder.session, kind, today, to_manager, reminder.due_date if kind in TEAM_KINDS else None)

    @property
    def about_team(self) -> bool:
        return self.kind in TEAM_KINDS

    @property
    def recipient(self):
        enrolment = self.session.enrolment
        return enrolment.cohort.owner if self.to_manager or enrolment.coach is None else enrolment.coach

    @property
    def due_date(self) -> dt.date:
        return self.period if self.period is not None else self.session.due_date

    def detail(self) -> str:
        session = self.session
        if self.kind == ReminderKind.HUDDLES_STOPPED:
            return huddles_stopped_detail(since=self.due_date)
        if self.kind == ReminderKind.FIRST_COACHING:
            wait = first_coaching_wait(session_1_held_on=session.held_on, first_coaching_held_on=None, today=self.today)
            return f"session 1 held {session.held_on.isoformat()}, no coaching session held for {_days(wait.days)}"
        if self.kind == ReminderKind.SLOTS_NOT_AGREED:
            return f"held {session.held_on.isoformat()}, no coaching agreement"
        if self.kind == ReminderKind.UPCOMING:
            days = (session.due_date - self.today).days
            when = {0: "due today", 1: "due tomorrow"}.get(days, f"due in {days} days")
            return f"{when}, no agreed time"
        if self.kind == ReminderKind.SLIPPING:
            agreed_on = timezone.localdate(session.agreed_start).isoformat()
            return f"agreed for {agreed_on}, {_days(session.days_scheduled_late)} after its due date"
        return f"{_days(session.days_overdue(self.today))} overdue"

    def describe(self) -> str:
        """One line for the send_reminders command."""
        session, enrolment, recipient = self.session, self.session.enrolment, self.recipient
        to = f"{recipient.get_full_name() or recipient.get_username()} ({recipient.get_username()})"
        if enrolment.coach is None and not self.to_manager:
            to += ", no coach assigned"
        if self.about_team:
            return f"{self.kind.label}: {enrolment.team.name} ({enrolment.team.site.code}), {self.detail()} -> {to}"
        return (
            f"{self.kind.label}: {enrolment.team.name} ({enrolment.team.site.code}), "
            f'session {session.number} "{session.plan.title}" due {session.due_date.isoformat()}, '
            f"{self.detail()} -> {to}"
        )


def reminders_due(*, today: dt.date) -> Iterator[list[PlannedReminder]]:
    """The reminders due on `today` and not yet claimed, rule by rule (overdue, escalation, slipping,
    slots not agreed, upcoming, first coaching, then huddles stopped), in batches of up to
    BATCH_SIZE: one query per batch (five for huddles stopped).

    A batch holds one rule's reminders, so (session, recipient, kind) is unique within it. Claim a
    batch before reading the next: the read skips only what is already claimed.
    """
    yield from _session_reminders_due(today)
    yield from _huddles_stopped_due(today)


def _session_reminders_due(today: dt.date) -> Iterator[list[PlannedReminder]]:
    for rule in _RULES:
        queryset = _candidates(rule, today)
        last_pk = 0
        while True:
            batch = list(queryset.filter(pk__gt=last_pk)[:BATCH_SIZE])
            if not batch:
                break
            yield [PlannedReminder(s, rule.kind, today, rule.to_manager) for s in batch]
            if len(batch) < BATCH_SIZE:
                break
            last_pk = batch[-1].pk


def _huddles_stopped_due(today: dt.date) -> Iterator[list[PlannedReminder]]:
    """Huddles stopped: per batch of teams with a physical board, their huddles (team_huddles, three
    queries) and the reminders already claimed for their stops (one). Already reminded is per team,
    recipient and stop (not per session), so a team withdrawn and enrolled again in another cohort
    is not told of the same stop twice."""
    rule = _HUDDLES_RULE
    queryset = _with_recipient(rule, rule.sessions(today))
    seen: set[tuple[int, int, dt.date]] = set()  # (team, recipient, stop) planned by this read
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not batch:
            break
        huddles = team_huddles(team_ids={s.enrolment.team_id for s in batch}, today=today)
        stopped = [(s, huddles[s.enrolment.team_id].stopped_since) for s in batch]
        stopped = [(s, since) for s, since in stopped if since is not None]
        if stopped:
            seen.update(
                Reminder.objects.filter(
                    kind=rule.kind,
                    session__enrolment__team_id__in={s.enrolment.team_id for s, _ in stopped},
                    due_date__in={since for _, since in stopped},
                ).values_list("session__enrolment__team_id", "recipient_id", "due_date")
            )
            planned = []
            for session, since in stopped:
                key = (session.enrolment.team_id, session.reminder_to_id, since)
                if key not in seen:
                    seen.add(key)
                    planned.append(PlannedReminder(session, rule.kind, today, rule.to_manager, since))
            if planned:
                yield planned
        if len(batch) < BATCH_SIZE:
            break
        last_pk = batch[-1].pk


def stale_reminders(*, now: dt.datetime) -> StaleSends:
    """Reminders left behind by a task that was lost or died: one query."""
    return stale_sends(Reminder, now=now)


def reminder_for_sending(reminder_id: int) -> Reminder | None:
    """One query: the reminder with what its email shows (recipient, session, plan, team, site,
    cohort owner, coach) loaded; None if it was deleted."""
    return (
        Reminder.objects.select_related(
            "recipient",
            "session__plan",
            "session__enrolment__team__site",
            "session__enrolment__cohort__owner",
            "session__enrolment__coach",
        )
        .filter(pk=reminder_id)
        .first()
    )


# --- The log --------------------------------------------------------------------------------------


def last_reminders(*, enrolment_ids: Iterable[int]) -> dict[int, Reminder]:
    """The latest reminder sent about each enrolment (any kind, any recipient), by enrolment id.

    One query. Enrolments with no reminder sent are absent. Each reminder has its session (and
    plan) and recipient loaded, and `enrolment_id` set.
    """
    ids = list(enrolment_ids)
    if not ids:
        return {}
    latest = (
        Reminder.objects.filter(status=ReminderStatus.SENT, session__enrolment_id__in=ids)
        .annotate(
            enrolment_id=F("session__enrolment_id"),
            newest=Window(
                RowNumber(), partition_by=F("session__enrolment_id"), order_by=[F("sent_at").desc(), F("pk").desc()]
            ),
        )
        .filter(newest=1)
        .select_related("session__plan", "recipient")
    )
    return {reminder.enrolment_id: reminder for reminder in latest}


def reminder_state() -> Case:
    """A reminder's status as the pages show it: its digest's (pending, sending, failed) while the
    digest that carries it is not sent, else its own."""
    return Case(
        When(status=ReminderStatus.SENT, then=Value(ReminderStatus.SENT.value)),
        When(digest__isnull=False, then=F("digest__status")),
        default=F("status"),
        output_field=CharField(),
    )


def reminders_for_page(*, status: str = "") -> QuerySet[Reminder]:
    """The reminder log, newest first, optionally one status (reminder_state: `state`), with what
    each row shows loaded, and the digest that carries it."""
    queryset = (
        Reminder.objects.select_related(
            "recipient", "session__plan", "session__enrolment__team__site", "session__enrolment__cohort", "digest"
        )
        .annotate(state=reminder_state())
        .order_by("-created_at", "-pk")
    )
    return queryset.filter(state=status) if status else queryset


def reminder_counts() -> dict[str, int]:
    """Reminders by status (reminder_state), plus "all": one query."""
    counts = Reminder.objects.annotate(state=reminder_state()).aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(state=status)) for status in ReminderStatus.values}
    )
    return counts


def reminder_states(*, reminder_ids: Iterable[int]) -> dict[int, str]:
    """reminder_state of each of these reminders, by id: one query (a few on SQLite for many ids)."""
    ids = sorted(set(reminder_ids))
    states: dict[int, str] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        rows = Reminder.objects.filter(pk__in=chunk).annotate(state=reminder_state()).values_list("pk", "state")
        states.update(rows)
    return states
