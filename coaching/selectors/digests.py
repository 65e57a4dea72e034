"""Reads for digests (coaching.models.Digest): the reminders waiting for a daily digest, the
improvement managers due a weekly one, the row a send loads, what a weekly digest shows, and the
failed digests on the managers' Reminders page.

A daily digest carries the reminders of one person's day (coaching.selectors.reminders has the
rules); a weekly digest goes to each improvement manager (Cohort.owner of a cohort with teams still
in the programme) on Monday, about their cohorts: the last week's escalations, teams with session 1
held and no coaching agreement, the teams whose huddles have stopped at their physical board, the
emails that could not be sent, and the sessions of the week starting that Monday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from programmes.models import Enrolment, EnrolmentStatus, Session
from programmes.selectors.huddles import huddles_can_stop, team_huddles

from ..models import Digest, DigestKind, Reminder, ReminderKind, SendStatus


def weekly_rows_shown() -> int:
    """Rows a weekly digest lists per section at most (the rest are counted)."""
    return settings.QMS_DIGEST_WEEKLY_ROWS


_REMINDER_RELATED = (
    "session__plan",
    "session__enrolment__team__site",
    "session__enrolment__cohort__owner",
    "session__enrolment__coach",
)


def week_of(day: dt.date) -> dt.date:
    """The Monday of the week holding `day`: a weekly digest's period."""
    return day - dt.timedelta(days=day.weekday())


def recipients_awaiting_digest() -> list[int]:
    """Ids of the people with reminders claimed and not yet in a digest: one query."""
    return list(
        Reminder.objects.filter(digest__isnull=True, status=SendStatus.PENDING)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def weekly_digest_recipients() -> QuerySet:
    """The improvement managers due a weekly digest: active owners of cohorts with teams still in
    the programme. One query."""
    return (
        get_user_model()
        .objects.filter(is_active=True, owned_cohorts__enrolments__status__in=EnrolmentStatus.current())
        .distinct()
        .order_by("pk")
    )


def digest_for_sending(digest_id: int) -> Digest | None:
    """The digest with its recipient, and (daily) the reminders it carries that are not sent yet,
    each with what its line shows: two queries. None if it was deleted."""
    carried = Reminder.objects.exclude(status=SendStatus.SENT).select_related(*_REMINDER_RELATED).order_by("pk")
    return (
        Digest.objects.select_related("recipient")
        .prefetch_related(Prefetch("reminders", queryset=carried, to_attr="carried"))
        .filter(pk=digest_id)
        .first()
    )


@dataclass(frozen=True)
class StoppedHuddles:
    """A team whose huddles have stopped (programmes.selectors.huddles.TeamHuddles.stopped_since)."""

    enrolment: Enrolment  # team, site, cohort and coach loaded
    since: dt.date  # the Monday the stop began


@dataclass(frozen=True)
class WeeklyDigestContent:
    """What one manager's weekly digest shows: lists of at most QMS_DIGEST_WEEKLY_ROWS, and their totals."""

    week: dt.date  # the Monday
    escalations: list[Reminder]
    escalations_total: int
    slots_not_agreed: list[Session]  # session 1 of each team, held, no agreement
    slots_not_agreed_total: int
    sessions: list[Session]  # due or agreed in the week
    sessions_total: int
    failed: dict[str, int]  # failed emails by kind (outbox name): what the Reminders page can send again
    huddles_stopped: list[StoppedHuddles]  # teams with a physical board whose huddles stopped, as of the Monday
    huddles_stopped_total: int

    @property
    def empty(self) -> bool:
        return not (
            self.escalations_total
            or self.slots_not_agreed_total
            or self.sessions_total
            or self.failed_total
            or self.huddles_stopped_total
        )

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


def _limited(queryset: QuerySet) -> tuple[list, int]:
    shown = weekly_rows_shown()
    rows = list(queryset[: shown + 1])
    if len(rows) <= shown:
        return rows, len(rows)
    return rows[:shown], queryset.count()


def _huddles_stopped(*, manager, today: dt.date) -> tuple[list[StoppedHuddles], int]:
    """The manager's current teams with a physical board whose huddles have stopped as of `today`,
    longest stopped first: one query for the teams, three for their huddles (none without teams)."""
    enrolments = list(
        Enrolment.objects.filter(
            huddles_can_stop("team__"), cohort__owner=manager, status__in=EnrolmentStatus.current()
        )
        .select_related("team__site", "cohort", "coach")
        .order_by("team__name", "pk")
    )
    huddles = team_huddles(team_ids={e.team_id for e in enrolments}, today=today)
    # A team is current in one cohort at a time (programmes_enrolment_one_current_per_team): one row each.
    rows = [StoppedHuddles(enrolment=e, since=since) for e in enrolments if (since := huddles[e.team_id].stopped_since)]
    rows.sort(key=lambda row: row.since)  # stable: by team name within a day
    return rows[: weekly_rows_shown()], len(rows)


def weekly_digest_content(*, manager, week: dt.date, failed: dict[str, int]) -> WeeklyDigestContent:
    """One manager's week from Monday `week`, of the cohorts they own, teams still in the programme.
    failed: the failed emails by kind (the sending service counts them over every kind it sends).
    Huddles stopped are read as of that Monday, so a digest sent again later says the same.
    Seven queries (more only when a section has over QMS_DIGEST_WEEKLY_ROWS rows): three for the
    sections of sessions, four for huddles stopped (three fewer when no team has a physical board)."""
    current = {"enrolment__status__in": EnrolmentStatus.current(), "enrolment__cohort__owner": manager}
    week_end = week + dt.timedelta(days=7)
    escalations, escalations_total = _limited(
        Reminder.objects.filter(
            kind=ReminderKind.ESCALATION,
            session__enrolment__cohort__owner=manager,
            created_at__date__gte=week - dt.timedelta(days=7),
            created_at__date__lt=week,
        )
        .select_related(*_REMINDER_RELATED)
        .order_by("created_at", "pk")
    )
    not_agreed, not_agreed_total = _limited(
        Session.objects.filter(
            number=1, cancelled=False, held_on__isnull=False, enrolment__agreement__isnull=True, **current
        )
        .select_related("enrolment__team__site", "enrolment__cohort", "enrolment__coach")
        .order_by("held_on", "pk")
    )
    sessions, sessions_total = _limited(
        Session.objects.filter(
            Q(agreed_start__isnull=True, due_date__gte=week, due_date__lt=week_end)
            | Q(agreed_start__date__gte=week, agreed_start__date__lt=week_end),
            cancelled=False,
            **current,
        )
        .select_related("plan", "enrolment__team__site", "enrolment__cohort", "enrolment__coach")
        .order_by("due_date", "agreed_start", "pk")
    )
    huddles_stopped, huddles_stopped_total = _huddles_stopped(manager=manager, today=week)
    return WeeklyDigestContent(
        week=week,
        escalations=escalations,
        escalations_total=escalations_total,
        slots_not_agreed=not_agreed,
        slots_not_agreed_total=not_agreed_total,
        sessions=sessions,
        sessions_total=sessions_total,
        failed={kind: n for kind, n in failed.items() if n},
        huddles_stopped=huddles_stopped,
        huddles_stopped_total=huddles_stopped_total,
    )


def failed_digests() -> list[Digest]:
    """The digests that could not be sent, newest first, each with its recipient and the reminders
    it carries (carried): two queries."""
    carried = Reminder.objects.select_related("session__plan", "session__enrolment__team__site").order_by("pk")
    return list(
        Digest.objects.filter(status=SendStatus.FAILED)
        .select_related("recipient")
        .prefetch_related(Prefetch("reminders", queryset=carried, to_attr="carried"))
        .order_by("-period", "-pk")
    )


def digest_kind_label(kind: str) -> str:
    return DigestKind(kind).label
