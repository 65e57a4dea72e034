"""Reads for reminders: the managers' Reminders page, and "when the last reminder went" for
the coach's teams and the enrolment page."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from ..models import Reminder, ReminderStatus


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


def reminders_for_page(*, status: str = "") -> QuerySet[Reminder]:
    """The reminder log, newest first, optionally one status, with what each row shows loaded."""
    queryset = Reminder.objects.select_related(
        "recipient", "session__plan", "session__enrolment__team__site", "session__enrolment__cohort"
    ).order_by("-created_at", "-pk")
    return queryset.filter(status=status) if status else queryset


def reminder_counts() -> dict[str, int]:
    """Reminders by status, plus "all": one query."""
    counts = Reminder.objects.aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in ReminderStatus.values}
    )
    return counts
