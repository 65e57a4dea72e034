"""Reads for calendar invitations: the sessions a change invites to, who turned invitations off,
an invitation with what its email shows, and the failed ones the Reminders page lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet

from programmes.models import Session

from ..models import Digest, DigestKind, Invitation, InvitationPreference, SendStatus

# What coaching.ical.session_event reads, and the coach and team contact the invitation goes to.
_SESSION_RELATED = ("plan", "enrolment__team__site", "enrolment__agreement__meeting", "enrolment__coach")


def sessions_to_invite(session_ids: Iterable[int], *, now: dt.datetime) -> list[Session]:
    """One query: those of the sessions still to come (not held, agreed start not passed), with
    what an invitation shows."""
    return list(
        Session.objects.filter(pk__in=set(session_ids), held_on__isnull=True, agreed_start__gte=now)
        .select_related(*_SESSION_RELATED)
        .order_by("pk")
    )


def invitations_off(user_ids: Iterable[int]) -> set[int]:
    """One query (none for no one): those of the people who turned calendar invitations off."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(
        InvitationPreference.objects.filter(user_id__in=ids, send_invitations=False).values_list("user_id", flat=True)
    )


def invitations_on_for(user) -> bool:
    """Whether the person gets calendar invitations (no choice saved: yes). One query."""
    return user.pk not in invitations_off({user.pk})


def users_by_id(user_ids: Iterable[int]) -> dict:
    """One query (none for no one)."""
    ids = set(user_ids)
    return get_user_model().objects.in_bulk(ids) if ids else {}


def invitation_for_sending(pk: int) -> Invitation | None:
    """One query: the invitation with its session, as sessions_to_invite loads it, and recipient."""
    related = [f"session__{name}" for name in _SESSION_RELATED]
    return Invitation.objects.select_related(*related, "recipient").filter(pk=pk).first()


def invitations_of(session: Session) -> QuerySet[Invitation]:
    return session.invitations.order_by("sequence", "email")


FAILED_INVITATIONS_SHOWN = 50


def _failed_and_current(now: dt.datetime) -> QuerySet[Invitation]:
    """Failed invitations for the session as it is now (its SEQUENCE unchanged since: a later change
    has its own invitation), still to come."""
    return Invitation.objects.filter(
        status=SendStatus.FAILED,
        sequence=F("session__version") + F("session__enrolment__version"),
        session__agreed_start__gt=now,
    )


def failed_invitations(*, now: dt.datetime) -> list[Invitation]:
    """The invitations that could not be sent and still matter (_failed_and_current), newest first:
    one query, at most FAILED_INVITATIONS_SHOWN."""
    return list(
        _failed_and_current(now)
        .select_related("session__plan", "session__enrolment__team__site")
        .order_by("-created_at", "-pk")[:FAILED_INVITATIONS_SHOWN]
    )


def other_failed_emails(*, now: dt.datetime) -> int:
    """Failed emails that carry no reminder (those count as failed reminders): weekly digests, and the
    calendar invitations that still matter (_failed_and_current). One query."""
    weekly = Digest.objects.filter(status=SendStatus.FAILED, kind=DigestKind.WEEKLY).order_by().values("pk")
    return weekly.union(_failed_and_current(now).order_by().values("pk"), all=True).count()
