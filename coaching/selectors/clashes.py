"""The one clash rule for coaching slots, used by agreeing the slots and by moving one session.

A proposed slot [start, start + length) clashes with another session of the same coach (any team,
any cohort, still in the programme) that is neither held nor cancelled and whose agreed time
[agreed_start, + its length) overlaps the slot widened by QMS_CLASH_BUFFER_MINUTES on each side; and
with a day the coach marked unavailable in any of their coaching agreements (skipped_dates). A
session's length is its agreement's meeting length, else DEFAULT_LENGTH. A clash is a warning: the
coach may keep the time, with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from programmes.models import Enrolment, EnrolmentStatus, Session, TeamMeeting

from ..ical import meeting_length
from ..models import CoachingAgreement
from ..recurrence import ProposedSlot
from .agreement import agreement_of

# The longest a meeting can be (programmes_teammeeting_duration_range): how far before a slot
# another session may start and still run into it.
LONGEST_MEETING = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Slot:
    """A time being proposed: key is the caller's name for it (a session number)."""

    key: Hashable
    start: dt.datetime
    length: dt.timedelta


@dataclass(frozen=True)
class Clash:
    """One warning about a slot: the other session it runs into, or the unavailable day it falls on."""

    message: str
    session: Session | None = None
    day: dt.date | None = None


def clash_buffer() -> dt.timedelta:
    return dt.timedelta(minutes=settings.QMS_CLASH_BUFFER_MINUTES)


def session_length(session: Session) -> dt.timedelta:
    """Reads session.enrolment's agreement and its meeting: none when loaded with them, else up to two queries."""
    agreement = agreement_of(session.enrolment)
    return meeting_length(agreement.meeting if agreement is not None else None)


def _team(enrolment) -> str:
    return f"{enrolment.team.name} ({enrolment.team.site.code})"


def _session_clash(other: Session, length: dt.timedelta, *, direct: bool) -> Clash:
    start = timezone.localtime(other.agreed_start)
    end = timezone.localtime(other.agreed_start + length)
    note = "" if direct else f", within the {settings.QMS_CLASH_BUFFER_MINUTES} minutes kept between sessions"
    return Clash(
        f"Clashes with session {other.number} ({other.plan.title}) of {_team(other.enrolment)} in "
        f"{other.enrolment.cohort.name}: {start:%a %-d %b %Y, %H:%M}–{end:%H:%M}{note}.",
        session=other,
    )


def slot_clashes(
    *,
    coach_id: int | None,
    slots: Sequence[Slot],
    exclude_sessions: Iterable[int] = (),
    exclude_agreement_of: int | None = None,
) -> dict[Hashable, list[Clash]]:
    """The clashes of each slot, by its key (only slots that clash). exclude_sessions: the sessions
    being given these slots (their own times do not count); exclude_agreement_of: an enrolment whose
    saved unavailable days do not count (the agreement being chosen again carries its own).

    Two queries whatever the number of slots (the coach's other sessions in the slots' date range
    with their teams, cohorts and meetings; the coach's agreements), none without a coach or slots.
    """
    slots = [s for s in slots if s.start is not None]
    if coach_id is None or not slots:
        return {}
    buffer = clash_buffer()
    earliest = min(s.start for s in slots) - buffer - LONGEST_MEETING
    latest = max(s.start + s.length for s in slots) + buffer
    others = list(
        Session.objects.open()
        .filter(
            enrolment__coach_id=coach_id,
            enrolment__status__in=EnrolmentStatus.current(),
            agreed_start__gt=earliest,
            agreed_start__lt=latest,
        )
        .exclude(pk__in=list(exclude_sessions))
        .select_related("plan", "enrolment__team__site", "enrolment__cohort", "enrolment__agreement__meeting")
        .order_by("agreed_start", "pk")
    )
    agreements = (
        CoachingAgreement.objects.filter(enrolment__coach_id=coach_id, enrolment__status__in=EnrolmentStatus.current())
        .exclude(enrolment_id=exclude_agreement_of)
        .select_related("enrolment__team__site")
        .order_by("enrolment__team__name", "pk")
    )
    unavailable: dict[dt.date, list[str]] = {}
    for agreement in agreements:
        for day in agreement.skipped_dates:
            unavailable.setdefault(dt.date.fromisoformat(day), []).append(_team(agreement.enrolment))
    found: dict[Hashable, list[Clash]] = {}
    for slot in slots:
        end = slot.start + slot.length
        clashes = []
        for other in others:
            length = session_length(other)
            other_end = other.agreed_start + length
            if other.agreed_start < end + buffer and other_end > slot.start - buffer:
                direct = other.agreed_start < end and other_end > slot.start
                clashes.append(_session_clash(other, length, direct=direct))
        day = timezone.localdate(slot.start)
        for team in unavailable.get(day, ()):
            clashes.append(Clash(f"{day:%a %-d %b %Y} is a day the coach marked unavailable for {team}.", day=day))
        if clashes:
            found[slot.key] = clashes
    return found


def session_clashes(*, session: Session, start: dt.datetime) -> list[Clash]:
    """The clashes of moving this session to start. Reads session.enrolment (and its agreement:
    see session_length), then slot_clashes()' two queries."""
    slot = Slot(session.pk, start, session_length(session))
    return slot_clashes(coach_id=session.enrolment.coach_id, slots=[slot], exclude_sessions=[session.pk]).get(
        session.pk, []
    )


def proposal_clashes(
    *, enrolment: Enrolment, meeting: TeamMeeting, proposals: Iterable[ProposedSlot], sessions: Mapping[int, Session]
) -> dict[int, list[Clash]]:
    """The clashes of the slots proposed for an enrolment's later sessions on this meeting, by session
    number. sessions: the enrolment's sessions by number (those being given slots at least); their
    own times and the enrolment's saved unavailable days do not count, as the choice replaces them.
    slot_clashes()' two queries."""
    length = meeting_length(meeting)
    slots = [Slot(p.number, p.start, length) for p in proposals if p.start is not None]
    return slot_clashes(
        coach_id=enrolment.coach_id,
        slots=slots,
        exclude_sessions=[sessions[s.key].pk for s in slots if s.key in sessions],
        exclude_agreement_of=enrolment.pk,
    )
