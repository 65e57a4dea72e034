"""Writes for the coaching agreement: agreeing the coaching slots at session 1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from core.concurrency import StaleEdit, claim_version
from programmes.meetings import MeetingPattern
from programmes.models import Enrolment, Session, SessionChange, TeamMeeting
from programmes.services.progress import refresh_progress

from ..models import NO_AGREEMENT_VERSION, CoachingAgreement, agreed_on_error
from ..recurrence import ProposedSlot, SlotAnchor, SlotRequest, propose_slots
from ..selectors.agreement import sessions_needing_slots, slot_sessions
from ..selectors.clashes import Clash, proposal_clashes
from .invitations import invitations_note

RE_AGREED_REASON = "Coaching slots re-agreed"
CLASH_OVERRIDE_LABEL = "Keep these times despite the clashes"
STALE_AGREEMENT_MESSAGE = (
    "Someone else agreed this team's coaching slots while you were choosing, so yours have not been saved. "
    "Your choice is still below, and what is agreed now is shown beside it: check both, then press "
    "Confirm these times again to replace it."
)


def agreement_propose(
    *,
    enrolment: Enrolment,
    meeting: TeamMeeting,
    unavailable: Iterable[dt.date] = (),
    not_before: dt.date | None = None,
) -> list[ProposedSlot]:
    """The slot each later session would get on this meeting: skipping unavailable dates and bank
    holidays, keeping at least the plan's spacing less QMS_SLOT_MIN_GAP_WEEKS_LESS weeks (never under
    one) from the session before, marking a slot after the cohort's end, and, given not_before
    (today), never proposing a day already gone. One query (the sessions with their plan rows);
    reads enrolment.cohort (none when loaded with it)."""
    needing, held_before = slot_sessions(enrolment)
    after = None
    if held_before is not None:
        after = SlotAnchor(held_before.held_on, held_before.plan.week_offset, held_before.due_date)
    return propose_slots(
        MeetingPattern.of(meeting),
        [SlotRequest(s.number, s.due_date, s.plan.week_offset) for s in needing],
        unavailable=unavailable,
        not_before=not_before,
        min_gap_weeks_less=settings.QMS_SLOT_MIN_GAP_WEEKS_LESS,
        after=after,
        ends_on=enrolment.cohort.target_end_date,
    )


def _clash_override(clashes: dict[int, list[Clash]], override: bool | None, reason: str) -> str:
    """The reason to keep for slots that clash ("" when none do); refused unless overridden with one."""
    if not clashes:
        return ""
    numbers = ", ".join(str(n) for n in sorted(clashes))
    which = (
        f"The slot for session {numbers} clashes" if len(clashes) == 1 else f"The slots for sessions {numbers} clash"
    )
    if not override:
        raise ValidationError(
            {
                "clash_override": f"{which} with the coach's diary (see below). Untick those dates, or tick "
                f"“{CLASH_OVERRIDE_LABEL}” and say why."
            }
        )
    if not reason.strip():
        raise ValidationError({"clash_override_reason": "Say why the clashing times are kept."})
    return reason.strip()


@transaction.atomic
def agreement_confirm(
    *,
    enrolment: Enrolment,
    meeting: TeamMeeting,
    unavailable: Iterable[dt.date],
    user,
    now: dt.datetime | None = None,
    version: int | None = None,
    agreed_on: dt.date | None = None,
    clash_override: bool | None = None,
    clash_override_reason: str = "",
) -> CoachingAgreement:
    """Agrees the coaching slots: fills the agreed start of every later session from the meeting.

    agreed_on: the day the slots were agreed with the team (default: today, in London, from now);
    refused unless coaching.models.agreed_on_error allows it (not in the future, not before
    session 1 was held). It, not the day it is recorded, decides "agreed at session 1".

    Refused, with nothing saved, if any session would be left without a date. A session that
    already had a different agreed time keeps the move as a SessionChange.

    version: the agreement's version the page was opened on (NO_AGREEMENT_VERSION: there was none
    yet). If another confirm (or an admin edit) was saved since, StaleEdit is raised and nothing is
    saved, so that of two people confirming at once the second is told rather than overwriting the
    first. None (the app's own steps, the demo data): agreed whatever is saved now.

    clash_override: whether the person keeps slots that clash with the coach's other sessions or
    unavailable days (coaching.selectors.clashes); refused, with nothing saved, when some clash and
    it is not ticked with a clash_override_reason, which the agreement keeps. None (the app's own
    steps, the demo data): not checked.
    """
    if meeting.team_id != enrolment.team_id:
        raise ValidationError({"meeting": "Pick one of this team's meetings."})
    if enrolment.is_finished:
        raise ValidationError(
            f"This team's enrolment is {enrolment.get_status_display().lower()}: there are no sessions to agree.",
            code="finished",
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    agreed_on = agreed_on or today
    unavailable = sorted(set(unavailable))
    # Lock the enrolment so two people agreeing at once queue rather than interleave, and its
    # sessions so that a session being recorded as held at this moment is read once it is saved.
    Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
    held = dict(Session.objects.select_for_update().filter(enrolment=enrolment).values_list("number", "held_on"))
    problem = agreed_on_error(agreed_on, today=today, session_1_held_on=held.get(1))
    if problem:
        raise ValidationError({"agreed_on": problem})
    # Under the enrolment's lock a confirm saved meanwhile is seen here (each statement reads what
    # is committed by then), so the second of two confirms opened on one version is refused.
    existing = CoachingAgreement.objects.filter(enrolment=enrolment).first()
    if version is not None and (existing.version if existing else NO_AGREEMENT_VERSION) != version:
        raise StaleEdit(STALE_AGREEMENT_MESSAGE)
    proposals = agreement_propose(enrolment=enrolment, meeting=meeting, unavailable=unavailable, not_before=today)
    missing = [p.number for p in proposals if p.start is None]
    if missing:
        listed = ", ".join(str(n) for n in missing)
        raise ValidationError(
            f"This meeting has no free date near session {listed}. Tick more dates, or choose or add another meeting.",
            code="not_enough_dates",
        )
    sessions = {s.number: s for s in sessions_needing_slots(enrolment)}
    clashes = {}
    if clash_override is not None:
        clashes = proposal_clashes(enrolment=enrolment, meeting=meeting, proposals=proposals, sessions=sessions)
    override_reason = _clash_override(clashes, clash_override, clash_override_reason)
    changes = []
    moved = []
    for proposal in proposals:
        session = sessions[proposal.number]
        if session.agreed_start == proposal.start:
            continue
        moved.append(session)
        if session.agreed_start is not None:
            changes.append(
                SessionChange(
                    session=session,
                    from_start=session.agreed_start,
                    to_start=proposal.start,
                    reason=RE_AGREED_REASON,
                    clash_override_reason=override_reason if proposal.number in clashes else "",
                    changed_by=user,
                )
            )
        session.agreed_start = proposal.start
        session.version += 1
        session.updated_at = now
    bulk_update_with_history(moved, Session, ["agreed_start", "version", "updated_at"])  # + one INSERT of history
    if moved:
        refresh_progress([enrolment.pk])  # bulk_update sends no post_save
        invitations_note(session_ids=[session.pk for session in moved])  # nor any signal
    SessionChange.objects.bulk_create(changes)
    agreed = {
        "meeting": meeting,
        "skipped_dates": [d.isoformat() for d in unavailable],
        "agreed_at": now,
        "agreed_on": agreed_on,
        "agreed_by": user,
        "clash_override_reason": override_reason,
    }
    if existing is None:
        try:
            with transaction.atomic():  # an agreement added in the admin meanwhile: refused, not a 500
                return CoachingAgreement.objects.create(enrolment=enrolment, **agreed)
        except IntegrityError as exc:
            if version is None:
                raise
            raise StaleEdit(STALE_AGREEMENT_MESSAGE) from exc
    # Written by the conditional UPDATE of core.concurrency, which also refuses an admin edit made
    # since the check above (the admin does not take the enrolment's lock).
    try:
        claim_version(existing, version, **agreed)
    except StaleEdit as exc:
        raise StaleEdit(STALE_AGREEMENT_MESSAGE) from exc
    for name, value in agreed.items():
        setattr(existing, name, value)
    return existing
