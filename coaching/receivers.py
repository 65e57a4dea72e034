"""Coaching's answers to the programme's signals (programmes.signals), and its receivers of
programmes' saves, connected in apps.py.

Calendar invitations: any save of a session's agreed start, place or cancellation, and of an
enrolment's status or coach, may call for one, whoever makes it (programmes' services through
core.concurrency.claim_version, the admin, the shell). Each receiver notes the sessions it changed
(coaching.services.invitations.invitations_note), claimed once when the transaction commits. A
save is read just before it (pre_save, core.derived.InputWatch) and notes its sessions only if one
of those fields changed: recording a session as held, or editing its notes, sends nothing.
agreement_confirm's bulk update sends no signal and notes its sessions itself.
"""

from __future__ import annotations

from django.db.models import Model
from django.db.models.signals import post_save
from django.urls import reverse

from core.concurrency import version_claimed
from core.derived import InputWatch
from programmes.models import Enrolment, Session

from .models import SlotsState
from .selectors import enrolment_slots
from .selectors.clashes import session_clashes
from .services.invitations import invitations_note


def agree_slots_after_session_1(sender, *, session, request, **kwargs) -> tuple[str, str] | None:
    """Session 1 just recorded as held by a team still in the programme, with no coaching slots
    agreed: straight on to agreeing them (the Trust's fix: agree the times during session 1)."""
    enrolment = session.enrolment
    if session.number != 1 or not enrolment.is_current:
        return None
    if enrolment_slots(enrolment, session_1=session).state != SlotsState.NOT_AGREED:
        return None
    return (
        reverse("coaching:agreement", args=[enrolment.pk]),
        "Session 1 is recorded as held. Now agree the coaching slots with the team: choose the meeting "
        "they already hold, untick any dates that will not work, and confirm.",
    )


def clashes_of_move(sender, *, session, start, **kwargs) -> list[str]:
    """A session being moved: what the new time clashes with (coaching.selectors.clashes)."""
    return [clash.message for clash in session_clashes(session=session, start=start)]


# --- Calendar invitations ---
INPUTS: dict[type[Model], tuple[str, ...]] = {
    Session: ("agreed_start", "cancelled", "location"),
    Enrolment: ("status", "coach_id"),
}
WATCH = InputWatch(INPUTS, tag="_coaching_invitation_inputs")


def _session_saved(sender, instance: Session, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    changed = WATCH.changed(sender, instance)
    if (created and instance.agreed_start is not None) or changed is not None:
        invitations_note(session_ids=[instance.pk])


def _session_claimed(sender, instance: Session, changes: dict, **kwargs) -> None:
    """Moved, cancelled or re-placed through claim_version (which sends no post_save). Recording a
    session as held writes cancelled=False: not a change worth an invitation."""
    if "agreed_start" in changes or "location" in changes or changes.get("cancelled") is True:
        invitations_note(session_ids=[instance.pk])


def _enrolment_saved(sender, instance: Enrolment, created: bool, raw=False, **kwargs) -> None:
    if raw or created:
        return
    before = WATCH.changed(sender, instance)
    if before is None:
        return
    old_coach = before.get("coach_id")
    ids = Session.objects.filter(enrolment=instance, agreed_start__isnull=False, held_on__isnull=True)
    invitations_note(
        session_ids=ids.values_list("pk", flat=True),
        old_coach_id=old_coach if old_coach != instance.coach_id else None,
    )


def connect_invitations() -> None:
    """Called by CoachingConfig.ready()."""
    uid = "coaching.invitations"
    WATCH.connect(uid)
    post_save.connect(_session_saved, sender=Session, dispatch_uid=f"{uid}.session_saved")
    post_save.connect(_enrolment_saved, sender=Enrolment, dispatch_uid=f"{uid}.enrolment_saved")
    version_claimed.connect(_session_claimed, sender=Session, dispatch_uid=f"{uid}.session_claimed")
