"""The stored progress of each enrolment through its sessions (EnrolmentProgress): recomputed from
the sessions in the caller's transaction by every write that changes them.

The scheduling and coaching services call refresh_progress() after their bulk writes (which send no
signals); programmes.receivers calls it after every other save or delete of a session, every
claim_version of one, and a plan row's change of kind. `manage.py rebuild_progress` recomputes all
(after loaddata or raw SQL).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from core.derived import store_per_enrolment
from core.locks import ENROLMENT_FIGURES, advisory_xact_lock

from ..models import SESSION_ORDER, Enrolment, EnrolmentProgress, Session, SessionKind, on_time_anchor

_PROGRESS_LOCK = ENROLMENT_FIGURES  # shared with the other stored per-enrolment figures (core.locks)

PROGRESS_FIELDS = (
    "session_count",
    "held_count",
    "cancelled_count",
    "next_session_id",
    "next_number",
    "next_due_date",
    "next_agreed_start",
    "next_anchor",
    "session_1_held_on",
    "review_due_date",
    "review_held_on",
    "first_coaching_held_on",
)
_UPDATE_FIELDS = [name.removesuffix("_id") for name in PROGRESS_FIELDS]  # next_session_id -> next_session
# What the figures read of each session: the fields the model's own rules (is_open, is_held,
# SessionPlan.is_review) and on_time_anchor() need. The receivers recompute when one of them changes.
SESSION_INPUTS = ("enrolment", "number", "due_date", "agreed_start", "held_on", "cancelled", "plan__kind")


def _empty() -> dict:
    return dict.fromkeys(PROGRESS_FIELDS) | {"session_count": 0, "held_count": 0, "cancelled_count": 0}


def progress_figures(sessions: QuerySet[Session]) -> dict[int, dict]:
    """The stored figures of every enrolment with a session among `sessions` (enrolment id -> the
    EnrolmentProgress fields): one query. Held, open and the review are the model's own rules
    (Session.is_held, Session.is_open, SessionPlan.is_review), and the anchor is on_time_anchor()."""
    figures: dict[int, dict] = {}
    rows = sessions.select_related("plan").only(*SESSION_INPUTS).order_by(*SESSION_ORDER, "pk")
    for session in rows:
        row = figures.setdefault(session.enrolment_id, _empty())
        row["session_count"] += 1
        row["held_count"] += session.is_held
        row["cancelled_count"] += session.cancelled
        if session.is_open and row["next_session_id"] is None:
            row["next_session_id"] = session.pk
            row["next_number"] = session.number
            row["next_due_date"] = session.due_date
            row["next_agreed_start"] = session.agreed_start
            row["next_anchor"] = on_time_anchor(session.due_date, session.agreed_start)
        if session.number == 1:
            row["session_1_held_on"] = session.held_on
        if session.plan.kind == SessionKind.COACHING and session.is_held and row["first_coaching_held_on"] is None:
            row["first_coaching_held_on"] = session.held_on
        if session.plan.is_review and "_review" not in row:
            row["_review"] = True
            row["review_due_date"] = session.due_date
            row["review_held_on"] = session.held_on
    for row in figures.values():
        row.pop("_review", None)
    return figures


@transaction.atomic(savepoint=False)
def refresh_progress(enrolment_ids: Iterable[int | None]) -> None:
    """Recomputes these enrolments' stored progress (EnrolmentProgress) in the caller's transaction:
    upserts a row for each with a session, deletes the row of each without one.

    At most four queries whatever the number of enrolments: the lock (PostgreSQL, so that two
    refreshes of one enrolment at once never store figures that miss the other's writes), the
    sessions, the delete, the upsert.
    """
    ids = sorted({int(pk) for pk in enrolment_ids if pk is not None})
    if not ids:
        return
    advisory_xact_lock(_PROGRESS_LOCK, ids)
    figures = progress_figures(Session.objects.filter(enrolment_id__in=ids))
    store_per_enrolment(
        EnrolmentProgress, figures, fields=_UPDATE_FIELDS, absent=[pk for pk in ids if pk not in figures]
    )


@transaction.atomic
def rebuild_progress() -> int:
    """Recomputes every enrolment's stored progress (after data loaded without the app's writes:
    loaddata, bulk inserts, raw SQL); returns how many rows are stored."""
    advisory_xact_lock(_PROGRESS_LOCK, Enrolment.objects.order_by("pk").values_list("pk", flat=True))
    figures = progress_figures(Session.objects.all())
    stored = set(EnrolmentProgress.objects.values_list("enrolment_id", flat=True))
    store_per_enrolment(EnrolmentProgress, figures, fields=_UPDATE_FIELDS, absent=sorted(stored - set(figures)))
    return len(figures)
