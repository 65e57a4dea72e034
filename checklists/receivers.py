"""Keeps the stored checklist standings (EnrolmentStanding) current, in the same transaction, after
every write that the checklist services do not make themselves: the admin's edits and deletes of
sessions, checklists, ratings and plan rows, deletes that cascade, and programmes' session writes
through core.concurrency.claim_version (a queryset UPDATE that sends no post_save: version_claimed).

A standing is computed from the enrolment's ratings (their checklist, tool and level), the sessions
those are on (enrolment, number, day held, due date) and which session is the 12-week review (the
first whose plan row is of the review kind). A save refreshes only when one of those fields
changed, read from the database just before the save (pre_save, core.derived.InputWatch), so
that an edit of a note or an attendance costs one read and no recompute. The bulk writes of
checklists.services send no signals: those call refresh_standings() themselves. Raw saves
(loaddata) are left to `manage.py rebuild_standings`.
"""

from __future__ import annotations

from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from core.concurrency import version_claimed
from core.derived import InputWatch, deleted_through
from programmes.models import Enrolment, Session, SessionPlan

from .models import Checklist, ToolRating
from .services import refresh_standings

# The fields of each model that a standing is computed from (attribute names).
INPUTS: dict[type[Model], tuple[str, ...]] = {
    Session: ("enrolment_id", "plan_id", "number", "held_on", "due_date"),
    Checklist: ("session_id",),
    ToolRating: ("checklist_id", "tool_id", "level"),
    SessionPlan: ("kind",),
}
WATCH = InputWatch(INPUTS, tag="_checklist_standing_inputs")


def _enrolments_of(*, sessions=(), checklists=()) -> list[int]:
    """The enrolments of these sessions and of these checklists' sessions (one query)."""
    sessions, checklists = [pk for pk in sessions if pk], [pk for pk in checklists if pk]
    if not sessions and not checklists:
        return []
    rows = Session.objects.filter(pk__in=sessions) | Session.objects.filter(checklist__pk__in=checklists)
    return list(rows.values_list("enrolment_id", flat=True).distinct())


# --- Saves ------------------------------------------------------------------------------------------


def _session_saved(sender, instance: Session, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:  # no checklist yet, but it may come before the review session in the order
        refresh_standings([instance.enrolment_id])
        return
    before = WATCH.changed(sender, instance)
    if before is not None:
        refresh_standings([before.get("enrolment_id"), instance.enrolment_id])


def _checklist_saved(sender, instance: Checklist, created: bool, raw=False, **kwargs) -> None:
    if raw or created:  # a new checklist counts from its first rating
        return
    before = WATCH.changed(sender, instance)
    if before is not None:  # moved to another session
        refresh_standings(_enrolments_of(sessions=[before.get("session_id"), instance.session_id]))


def _rating_saved(sender, instance: ToolRating, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        refresh_standings(_enrolments_of(checklists=[instance.checklist_id]))
        return
    before = WATCH.changed(sender, instance)
    if before is not None:
        refresh_standings(_enrolments_of(checklists=[before.get("checklist_id"), instance.checklist_id]))


def _plan_saved(sender, instance: SessionPlan, created: bool, raw=False, **kwargs) -> None:
    if raw or created:  # a new plan row has no sessions
        return
    if WATCH.changed(sender, instance) is not None:  # the review kind moved: its sessions' enrolments
        refresh_standings(Session.objects.filter(plan=instance).values_list("enrolment_id", flat=True).distinct())


# --- Deletes ----------------------------------------------------------------------------------------
# A delete cascades from an enrolment to its sessions, their checklists and those checklists'
# ratings, and Django sends post_delete for the rows it cascades to before the row deleted on
# purpose (the origin). Each receiver leaves cascaded rows to the origin's own receiver, which then
# recomputes once, with all of them gone; an enrolment's delete takes its stored row with it.


def _session_deleted(sender, instance: Session, origin=None, **kwargs) -> None:
    if not deleted_through(origin, (Enrolment,)):
        refresh_standings([instance.enrolment_id])


def _checklist_deleted(sender, instance: Checklist, origin=None, **kwargs) -> None:
    if not deleted_through(origin, (Enrolment, Session)):
        refresh_standings(_enrolments_of(sessions=[instance.session_id]))


def _rating_deleted(sender, instance: ToolRating, origin=None, **kwargs) -> None:
    if not deleted_through(origin, (Enrolment, Session, Checklist)):
        refresh_standings(_enrolments_of(checklists=[instance.checklist_id]))


# A plan row with sessions cannot be deleted (PROTECT), so its delete changes no standing.


# --- Claims -------------------------------------------------------------------------------------------


def _session_claimed(sender, instance: Session, changes: dict, **kwargs) -> None:
    """programmes' scheduling writes held_on and due_date through claim_version, with no post_save."""
    if not WATCH.touches(Session, changes):
        return
    enrolment = changes.get("enrolment", changes.get("enrolment_id"))
    refresh_standings([instance.enrolment_id, getattr(enrolment, "pk", enrolment)])


def connect() -> None:
    """Called by ChecklistsConfig.ready()."""
    uid = "checklists.standing"
    WATCH.connect(uid)
    post_save.connect(_session_saved, sender=Session, dispatch_uid=f"{uid}.session_saved")
    post_save.connect(_checklist_saved, sender=Checklist, dispatch_uid=f"{uid}.checklist_saved")
    post_save.connect(_rating_saved, sender=ToolRating, dispatch_uid=f"{uid}.rating_saved")
    post_save.connect(_plan_saved, sender=SessionPlan, dispatch_uid=f"{uid}.plan_saved")
    post_delete.connect(_session_deleted, sender=Session, dispatch_uid=f"{uid}.session_deleted")
    post_delete.connect(_checklist_deleted, sender=Checklist, dispatch_uid=f"{uid}.checklist_deleted")
    post_delete.connect(_rating_deleted, sender=ToolRating, dispatch_uid=f"{uid}.rating_deleted")
    version_claimed.connect(_session_claimed, sender=Session, dispatch_uid=f"{uid}.session_claimed")
