"""Reads for My teams: a coach's teams, those needing attention first, with their coaching slots
and the last reminder sent about each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.db.models import QuerySet

from programmes.models import Enrolment
from programmes.selectors import TeamRow, sessions_prefetch, team_row

from ..models import Reminder
from .agreement import Slots, slots_by_enrolment
from .reminders import last_reminders


@dataclass(frozen=True)
class MyTeamRow(TeamRow):
    """A team row with what coaching adds: its slots, and the last reminder sent about it."""

    slots: Slots | None = None
    last_reminder: Reminder | None = None

    @property
    def slots_to_agree(self) -> bool:
        return bool(self.slots and self.slots.needs_agreeing)


def attention_order(row: TeamRow, *, slots_to_agree: bool) -> tuple:
    """Overdue first (longest overdue first), then slots to agree, then by the next due date;
    finished enrolments last. My teams and the dashboard's default order."""
    return attention_key(
        is_finished=row.is_finished,
        is_overdue=row.is_overdue,
        days_overdue=row.days_overdue,
        slots_to_agree=slots_to_agree,
        next_due=row.next_session.due_date if row.next_session else None,
    )


def attention_key(
    *, is_finished: bool, is_overdue: bool, days_overdue: int, slots_to_agree: bool, next_due: dt.date | None
) -> tuple:
    """attention_order() from plain values, for reads that have no TeamRow (the dashboard's keys)."""
    return (is_finished, not is_overdue, -days_overdue, not slots_to_agree, next_due or dt.date.max)


def enrolments_for_coach(*, user) -> QuerySet[Enrolment]:
    """One query for the enrolments (with team, site and cohort) and one for their sessions."""
    return (
        Enrolment.objects.for_coach(user)
        .select_related("team__site", "cohort")
        .prefetch_related(sessions_prefetch())
        .order_by("status", "session1_date")
    )


def my_team_rows(*, user, today: dt.date, with_reminders: bool = False) -> list[MyTeamRow]:
    """The teams a user coaches, those needing attention first.

    Queries: enrolments with team, site and cohort (1), their sessions (1), their coaching
    agreements (1), and with with_reminders the last reminder sent about each (1); none but the
    first when there are no enrolments.
    """
    rows = [team_row(e, today=today) for e in enrolments_for_coach(user=user)]
    slots = slots_by_enrolment(rows)
    reminders = last_reminders(enrolment_ids=[r.enrolment.pk for r in rows]) if with_reminders else {}
    mine = [
        MyTeamRow(
            **{f.name: getattr(row, f.name) for f in fields(TeamRow)},
            slots=slots.get(row.enrolment.pk),
            last_reminder=reminders.get(row.enrolment.pk),
        )
        for row in rows
    ]
    return sorted(mine, key=lambda row: attention_order(row, slots_to_agree=row.slots_to_agree))
