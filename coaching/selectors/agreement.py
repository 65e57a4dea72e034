"""Reads for the coaching agreement: the slots state of one enrolment or of a page of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from programmes.models import Enrolment, Session
from programmes.selectors import TeamRow

from ..models import CoachingAgreement, SlotsState, slots_state


@dataclass(frozen=True)
class Slots:
    """A team's coaching slots: their state (one label everywhere) and the agreement, if any."""

    enrolment_id: int
    state: SlotsState
    agreement: CoachingAgreement | None
    finished: bool = False  # the enrolment is completed or withdrawn: nothing left to agree

    @property
    def label(self) -> str:
        return self.state.label

    @property
    def needs_agreeing(self) -> bool:
        """Session 1 is held, no slots are agreed, and the team is still in the programme."""
        return self.state == SlotsState.NOT_AGREED and not self.finished


def agreement_of(enrolment: Enrolment) -> CoachingAgreement | None:
    """The enrolment's coaching agreement, or None. No query when the enrolment was read with
    select_related("agreement"); one otherwise."""
    try:
        return enrolment.agreement
    except ObjectDoesNotExist:
        return None


def slot_sessions(enrolment: Enrolment) -> tuple[list[Session], Session | None]:
    """Every session after session 1 that is still to happen, and the session held last before the
    first of them (the slots keep their spacing from it), each with its plan row. One query."""
    sessions = list(enrolment.sessions.select_related("plan").chronological())
    needing = [s for s in sessions if s.number > 1 and s.is_open]
    first = needing[0].number if needing else None
    held = [s for s in sessions if first is not None and s.number < first and s.held_on is not None]
    return needing, (held[-1] if held else None)


def sessions_needing_slots(enrolment: Enrolment) -> list[Session]:
    """Every session after session 1 that is still to happen. Reads the enrolment's sessions: one query."""
    return slot_sessions(enrolment)[0]


def enrolment_slots(enrolment: Enrolment, *, session_1: Session | None = None) -> Slots:
    """One enrolment's slots. Queries: the agreement with its meeting and who agreed it (1),
    session 1 (1, none if given)."""
    if session_1 is None:
        session_1 = enrolment.sessions.filter(number=1).only("held_on").first()
    agreement = CoachingAgreement.objects.select_related("meeting", "agreed_by").filter(enrolment=enrolment).first()
    held_on = session_1.held_on if session_1 is not None else None
    return Slots(
        enrolment.pk, slots_state(agreement=agreement, session_1_held_on=held_on), agreement, enrolment.is_finished
    )


def slots_by_enrolment(rows: Iterable[TeamRow]) -> dict[int, Slots]:
    """The slots of every enrolment on a page (programmes.selectors.TeamRow, whose session_1 is
    loaded already), by enrolment id. One query (the agreements with their meetings), none for no rows."""
    rows = list(rows)
    if not rows:
        return {}
    agreements = {
        a.enrolment_id: a
        for a in CoachingAgreement.objects.select_related("meeting", "agreed_by").filter(
            enrolment_id__in=[row.enrolment.pk for row in rows]
        )
    }
    return {
        row.enrolment.pk: Slots(
            row.enrolment.pk,
            slots_state(
                agreement=agreements.get(row.enrolment.pk),
                session_1_held_on=row.session_1.held_on if row.session_1 is not None else None,
            ),
            agreements.get(row.enrolment.pk),
            row.is_finished,
        )
        for row in rows
    }
