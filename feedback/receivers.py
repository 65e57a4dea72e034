"""Keeps the stored feedback counts (EnrolmentFeedback) current, in the same transaction, after every
write that changes them: a response saved (the public form, the admin) or deleted, a link made,
moved or deleted, a session's attendees or enrolment changed (the admin, or programmes' services
through core.concurrency.claim_version, a queryset UPDATE that sends no post_save: version_claimed),
and the deletes that cascade.

The counts are computed from each response's link and answers (could_improve, rating), from which
session each link is on, and from those sessions' enrolment and attendees. Opening or closing a
link changes none of them (only that the link exists counts). A save refreshes only when one of
those fields changed, read from the database just before the save (pre_save, core.derived.InputWatch): an edit of a
session's notes, or of a session without a feedback link, costs one read and no recompute. Raw
saves (loaddata) and bulk inserts are left to `manage.py rebuild_feedback_tallies` or a call of
refresh_feedback_tallies() by whoever makes them.
"""

from __future__ import annotations

from django.db.models import Model, Q
from django.db.models.signals import post_delete, post_save

from core.concurrency import version_claimed
from core.derived import InputWatch, deleted_through
from programmes.models import Enrolment, Session

from .models import FeedbackLink, FeedbackResponse
from .services import refresh_feedback_tallies

# The fields of each model that the counts are computed from (attribute names).
INPUTS: dict[type[Model], tuple[str, ...]] = {
    Session: ("enrolment_id", "attendees"),
    FeedbackLink: ("session_id",),
    FeedbackResponse: ("link_id", "could_improve", "rating"),
}
# A session without a feedback link counts nowhere: its saves change no count, and bring no link along.
WATCH = InputWatch(
    INPUTS, tag="_feedback_tally_inputs", skip_if={Session: ("feedback_link", lambda link: link is None)}
)


def _enrolments_of(*, sessions=(), links=()) -> list[int]:
    """The enrolments of these sessions and of these links' sessions (one query)."""
    sessions, links = [pk for pk in sessions if pk], [pk for pk in links if pk]
    if not sessions and not links:
        return []
    rows = Session.objects.filter(Q(pk__in=sessions) | Q(feedback_link__pk__in=links)).order_by()
    return list(rows.values_list("enrolment_id", flat=True).distinct())


# --- Saves ------------------------------------------------------------------------------------------


def _session_saved(sender, instance: Session, created: bool, raw=False, **kwargs) -> None:
    if raw or created:  # a new session has no link yet
        return
    before = WATCH.changed(sender, instance)
    if before is not None:
        refresh_feedback_tallies([before.get("enrolment_id"), instance.enrolment_id])


def _link_saved(sender, instance: FeedbackLink, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:  # the session's enrolment now has a link (and a row)
        refresh_feedback_tallies(_enrolments_of(sessions=[instance.session_id]))
        return
    before = WATCH.changed(sender, instance)
    if before is not None:  # moved to another session
        refresh_feedback_tallies(_enrolments_of(sessions=[before.get("session_id"), instance.session_id]))


def _response_saved(sender, instance: FeedbackResponse, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        refresh_feedback_tallies(_enrolments_of(links=[instance.link_id]))
        return
    before = WATCH.changed(sender, instance)
    if before is not None:
        refresh_feedback_tallies(_enrolments_of(links=[before.get("link_id"), instance.link_id]))


# --- Deletes ----------------------------------------------------------------------------------------
# A delete cascades from an enrolment to its sessions, their links and those links' responses, and
# Django sends post_delete for each model's rows right after deleting them, the rows it cascades to
# first. A response or link deleted by a cascade is left to the receiver of the session it cascaded
# from (the only way a delete reaches them), which recomputes once, with all of them gone; were it
# recomputed before the session goes, it could store a row for an enrolment being deleted. A
# session's delete recomputes its enrolment unless that is being deleted itself (its row goes with
# it), and by then no session of a deleted enrolment is left to store a row for.


def _session_deleted(sender, instance: Session, origin=None, **kwargs) -> None:
    if not deleted_through(origin, (Enrolment,)):
        refresh_feedback_tallies([instance.enrolment_id])


def _link_deleted(sender, instance: FeedbackLink, origin=None, **kwargs) -> None:
    if deleted_through(origin, (FeedbackLink,)):
        refresh_feedback_tallies(_enrolments_of(sessions=[instance.session_id]))


def _response_deleted(sender, instance: FeedbackResponse, origin=None, **kwargs) -> None:
    if deleted_through(origin, (FeedbackResponse,)):
        refresh_feedback_tallies(_enrolments_of(links=[instance.link_id]))


# --- Claims -------------------------------------------------------------------------------------------


def _session_claimed(sender, instance: Session, changes: dict, **kwargs) -> None:
    """programmes' session services write attendees (session_record_held) through claim_version,
    with no post_save. Only a session with a link counts: one read for those without."""
    if not WATCH.touches(Session, changes):
        return
    if not FeedbackLink.objects.filter(session_id=instance.pk).exists():
        return
    enrolment = changes.get("enrolment", changes.get("enrolment_id"))
    refresh_feedback_tallies([instance.enrolment_id, getattr(enrolment, "pk", enrolment)])


def connect() -> None:
    """Called by FeedbackConfig.ready()."""
    uid = "feedback.tally"
    WATCH.connect(uid)
    post_save.connect(_session_saved, sender=Session, dispatch_uid=f"{uid}.session_saved")
    post_save.connect(_link_saved, sender=FeedbackLink, dispatch_uid=f"{uid}.link_saved")
    post_save.connect(_response_saved, sender=FeedbackResponse, dispatch_uid=f"{uid}.response_saved")
    post_delete.connect(_session_deleted, sender=Session, dispatch_uid=f"{uid}.session_deleted")
    post_delete.connect(_link_deleted, sender=FeedbackLink, dispatch_uid=f"{uid}.link_deleted")
    post_delete.connect(_response_deleted, sender=FeedbackResponse, dispatch_uid=f"{uid}.response_deleted")
    version_claimed.connect(_session_claimed, sender=Session, dispatch_uid=f"{uid}.session_claimed")
