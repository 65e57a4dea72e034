"""Keeps the stored progress (EnrolmentProgress) current, in the same transaction, after every write
of a session that the services do not follow themselves: the admin's edits and deletes, other saves
of a session (factories, the shell), deletes that cascade, programmes' session writes through
core.concurrency.claim_version (a queryset UPDATE that sends no post_save: version_claimed), and a
plan row's change of kind (which session is the 12-week review).

The progress is computed from each session's enrolment, number, plan row, due date, agreed start,
day held and cancelled flag (programmes.services.progress). A save refreshes only when one of those
changed, read from the database just before the save (pre_save, core.derived.InputWatch): an edit of a note or of the
attendees costs one read and no recompute. The bulk writes (sessions made for an enrolment, the
coaching slots agreed) send no signals: their services call refresh_progress() themselves. Raw
saves (loaddata) are left to `manage.py rebuild_progress`.
"""

from __future__ import annotations

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from core.concurrency import version_claimed
from core.derived import InputWatch, deleted_through

from .models import Enrolment, Session, SessionPlan
from .services.progress import refresh_progress

# The fields of each model that the progress is computed from (attribute names).
INPUTS: dict[type[Model], tuple[str, ...]] = {
    Session: ("enrolment_id", "plan_id", "number", "due_date", "agreed_start", "held_on", "cancelled"),
    SessionPlan: ("kind",),
}
WATCH = InputWatch(INPUTS, tag="_programmes_progress_inputs")


def _session_saved(sender, instance: Session, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        refresh_progress([instance.enrolment_id])
        return
    before = WATCH.changed(sender, instance)
    if before is not None:  # moved to another enrolment: both
        refresh_progress([before.get("enrolment_id"), instance.enrolment_id])


def _plan_saved(sender, instance: SessionPlan, created: bool, raw=False, **kwargs) -> None:
    if raw or created:  # a new plan row has no sessions
        return
    if WATCH.changed(sender, instance) is not None:  # the review kind moved: its sessions' enrolments
        refresh_progress(Session.objects.filter(plan=instance).values_list("enrolment_id", flat=True).distinct())


# A delete cascades from an enrolment to its sessions (and the enrolment's stored row), and Django
# sends post_delete for the sessions before the enrolment. A session deleted through its enrolment
# is left alone: the row goes with the enrolment, and recomputing first would store one for it. A
# session deleted on its own (the admin, a queryset) recomputes its enrolment, whose row has already
# lost the session as its next one (SET_NULL). A plan row with sessions cannot be deleted (PROTECT).


def _session_deleted(sender, instance: Session, origin=None, **kwargs) -> None:
    if not deleted_through(origin, (Enrolment,)):
        refresh_progress([instance.enrolment_id])


def _session_claimed(sender, instance: Session, changes: dict, **kwargs) -> None:
    """programmes' session services write held_on, cancelled, due dates and agreed starts through
    claim_version, with no post_save. A bare bump (the admin's, before its save) changes nothing."""
    if not WATCH.touches(Session, changes):
        return
    enrolment = changes.get("enrolment", changes.get("enrolment_id"))
    refresh_progress([instance.enrolment_id, getattr(enrolment, "pk", enrolment)])


def connect() -> None:
    """Called by ProgrammesConfig.ready()."""
    uid = "programmes.progress"
    WATCH.connect(uid)
    post_save.connect(_session_saved, sender=Session, dispatch_uid=f"{uid}.session_saved")
    post_save.connect(_plan_saved, sender=SessionPlan, dispatch_uid=f"{uid}.plan_saved")
    post_delete.connect(_session_deleted, sender=Session, dispatch_uid=f"{uid}.session_deleted")
    version_claimed.connect(_session_claimed, sender=Session, dispatch_uid=f"{uid}.session_claimed")
