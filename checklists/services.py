"""Writes for checklists and tools: each function is one transaction.

Errors a person can fix are raised as django.core.exceptions.ValidationError with messages in
their words, and leave the database as it was. A save from a form opened on an older version
of a checklist (or tool) than the one now saved is refused with StaleEdit (core.concurrency),
so that two people saving at once never silently overwrite each other.

Every change is written with django-simple-history, with the person who made it, so that a
checklist's history says who changed which rating, and when.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.concurrency import STALE_MESSAGE, StaleEdit, claim_version
from core.derived import store_per_enrolment
from core.locks import ENROLMENT_FIGURES, advisory_xact_lock
from programmes.models import Enrolment, Session

from .models import Checklist, EnrolmentStanding, RatingValue, Tool, ToolRating, UsageLevel
from .selectors import StandingFigures, standing_figures
from .sustainment import sustained_run_length

COMMENT_MAX_LENGTH = ToolRating._meta.get_field("comment").max_length
CULTURE_NOTE_MAX_LENGTH = 5000

NOT_HELD_MESSAGE = (
    "This session has not been recorded as held, so it cannot have a checklist yet. Record the session as held first."
)
CANCELLED_MESSAGE = "This session was cancelled, so it has no checklist."
CHECKLIST_STALE_MESSAGE = STALE_MESSAGE.format(thing="checklist")


def _check_session_takes_checklist(session: Session) -> None:
    if session.cancelled:
        raise ValidationError(CANCELLED_MESSAGE, code="cancelled")
    if session.held_on is None:
        raise ValidationError(NOT_HELD_MESSAGE, code="not_held")


def _check_ratings(ratings: Mapping[int, RatingValue], tools: list[Tool]) -> None:
    """Exactly one rating per tool on the checklist, each on the scale."""
    expected = {tool.pk for tool in tools}
    unknown = set(ratings) - expected
    if unknown:
        raise ValidationError("A rating was given for a tool that is not on this checklist.", code="unknown_tool")
    missing = [tool.name for tool in tools if tool.pk not in ratings]
    if missing:
        raise ValidationError(
            "Rate every tool on the checklist. Missing: %(tools)s.",
            code="missing_tool",
            params={"tools": ", ".join(missing)},
        )
    for value in ratings.values():
        if value.level not in UsageLevel.values:
            raise ValidationError("A usage level must be one of the four on the scale.", code="level")
        if len(value.comment) > COMMENT_MAX_LENGTH:
            raise ValidationError(f"Keep each comment to {COMMENT_MAX_LENGTH} characters.", code="comment_length")


def _clean(value: RatingValue) -> RatingValue:
    return RatingValue(discussed=bool(value.discussed), level=value.level, comment=value.comment.strip())


@transaction.atomic
def checklist_save(
    *, session: Session, user, version: int, ratings: Mapping[int, RatingValue], culture_note: str
) -> Checklist:
    """Creates (version 0) or updates the session's checklist: one rating per tool and the culture note.

    A new checklist rates the tools active now; an existing one keeps the tools it was made with,
    so retiring a tool never changes an old checklist. `version` is the checklist version the form
    was opened on; if someone has saved since, StaleEdit is raised and nothing is written, unless
    what was submitted is exactly what is now saved.
    """
    _check_session_takes_checklist(session)
    culture_note = culture_note.strip()
    if len(culture_note) > CULTURE_NOTE_MAX_LENGTH:
        raise ValidationError(f"Keep the note to {CULTURE_NOTE_MAX_LENGTH} characters.", code="note_length")
    ratings = {tool_id: _clean(value) for tool_id, value in ratings.items()}
    checklist = Checklist.objects.filter(session=session).first()
    if checklist is None:
        if version != 0:
            # The checklist the form was opened on has been deleted (through the admin).
            raise StaleEdit(CHECKLIST_STALE_MESSAGE)
        return _checklist_create(session=session, user=user, ratings=ratings, culture_note=culture_note)
    if version == 0:
        raise StaleEdit(CHECKLIST_STALE_MESSAGE)  # someone else filled it in first
    checklist.session = session  # no query when the update reads it
    return _checklist_update(
        checklist=checklist, user=user, version=version, ratings=ratings, culture_note=culture_note
    )


def _checklist_create(*, session: Session, user, ratings: dict[int, RatingValue], culture_note: str) -> Checklist:
    tools = list(Tool.objects.active())
    _check_ratings(ratings, tools)
    checklist = Checklist(
        session=session,
        coach_id=session.enrolment.coach_id or user.pk,
        completed_at=timezone.now(),
        culture_note=culture_note,
        version=1,
    )
    checklist._history_user = user
    try:
        with transaction.atomic():
            checklist.save()
    except IntegrityError:
        # Two people filling in the same new checklist: the first one saved wins.
        raise StaleEdit(CHECKLIST_STALE_MESSAGE) from None
    bulk_create_with_history(
        [
            ToolRating(
                checklist=checklist, tool=tool, discussed=value.discussed, level=value.level, comment=value.comment
            )
            for tool in tools
            for value in [ratings[tool.pk]]
        ],
        ToolRating,
        default_user=user,
        default_date=timezone.now(),
    )
    refresh_standings([session.enrolment_id])  # bulk writes send no post_save
    return checklist


def _checklist_update(
    *, checklist: Checklist, user, version: int, ratings: dict[int, RatingValue], culture_note: str
) -> Checklist:
    current = {rating.tool_id: rating for rating in checklist.ratings.select_related("tool")}
    _check_ratings(ratings, sorted((rating.tool for rating in current.values()), key=lambda t: (t.order, t.name)))
    changed = [rating for tool_id, rating in current.items() if rating.value != ratings[tool_id]]
    levels_changed = any(rating.level != ratings[rating.tool_id].level for rating in changed)
    if not changed and checklist.culture_note == culture_note:
        return checklist  # what was submitted is what is saved: nothing to do, whoever saved last
    claim_version(checklist, version)
    # The checklist's history record is written before its ratings' (selectors rely on this order).
    checklist.culture_note = culture_note
    checklist._history_user = user
    checklist.save(update_fields=["version", "culture_note", "updated_at"])
    for rating in changed:
        value = ratings[rating.tool_id]
        rating.discussed, rating.level, rating.comment = value.discussed, value.level, value.comment
    if changed:
        bulk_update_with_history(
            changed, ToolRating, ["discussed", "level", "comment"], default_user=user, default_date=timezone.now()
        )
    if levels_changed:  # a level is the one thing on a rating the standing reads
        refresh_standings([checklist.session.enrolment_id])
    return checklist


@transaction.atomic
def tool_create(*, name: str, order: int, description: str, active: bool = True, user=None) -> Tool:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the tool a name."})
    if Tool.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"There is already a tool called {name}."})
    tool = Tool(name=name, order=order, description=description.strip(), active=active)
    tool._history_user = user
    try:
        with transaction.atomic():
            tool.save()
    except IntegrityError:
        raise ValidationError({"name": f"There is already a tool called {name}."}) from None
    return tool


@transaction.atomic
def tool_update(*, tool: Tool, version: int, name: str, order: int, description: str, active: bool, user=None) -> Tool:
    """Changes a tool's order, description or whether it is active (retired tools stay on old checklists).

    The name can change only while no checklist has rated the tool, so old checklists keep their meaning.
    """
    name = name.strip()
    if name != tool.name:
        if tool.ratings.exists():
            raise ValidationError(
                {"name": "Checklists have rated this tool, so its name stays. Retire it and add a new tool instead."}
            )
        if not name:
            raise ValidationError({"name": "Give the tool a name."})
        if Tool.objects.filter(name__iexact=name).exclude(pk=tool.pk).exists():
            raise ValidationError({"name": f"There is already a tool called {name}."})
    claim_version(tool, version)
    tool.name, tool.order, tool.description, tool.active = name, order, description.strip(), active
    tool._history_user = user
    try:
        with transaction.atomic():
            tool.save(update_fields=["version", "name", "order", "description", "active"])
    except IntegrityError:
        raise ValidationError({"name": f"There is already a tool called {name}."}) from None
    return tool


# --- Stored checklist standings ------------------------------------------------------------------

_STANDING_LOCK = ENROLMENT_FIGURES  # shared with the other stored per-enrolment figures (core.locks)
_STANDING_COLUMNS = [f.name for f in dataclasses.fields(StandingFigures)]


@transaction.atomic(savepoint=False)
def refresh_standings(enrolment_ids: Iterable[int | None], *, run_length: int | None = None) -> None:
    """Recomputes these enrolments' stored checklist standings (EnrolmentStanding), in the caller's
    transaction: upserts a row for each with a standing, deletes the row of each without one.

    Called by every write that changes what a standing is computed from (this module's checklist
    saves, and checklists.receivers for the rest). run_length: QMS_SUSTAINED_RUN_LENGTH unless told.
    At most six queries whatever the number of enrolments: the lock (PostgreSQL), the figures (one
    to three), the delete, the upsert.
    """
    ids = sorted({int(pk) for pk in enrolment_ids if pk is not None})
    if not ids:
        return
    run_length = sustained_run_length() if run_length is None else run_length
    advisory_xact_lock(_STANDING_LOCK, ids)
    figures = standing_figures(enrolments=Enrolment.objects.filter(pk__in=ids), run_length=run_length)
    store_per_enrolment(
        EnrolmentStanding,
        {pk: dataclasses.asdict(v) for pk, v in figures.items()},
        fields=_STANDING_COLUMNS,
        absent=[pk for pk in ids if pk not in figures],
    )


@transaction.atomic
def rebuild_standings(*, run_length: int | None = None) -> int:
    """Recomputes every enrolment's stored standing (after QMS_SUSTAINED_RUN_LENGTH changes, or data
    loaded without the app's writes); returns how many rows are stored."""
    run_length = sustained_run_length() if run_length is None else run_length
    ids = list(Enrolment.objects.order_by("pk").values_list("pk", flat=True))
    advisory_xact_lock(_STANDING_LOCK, ids)
    figures = standing_figures(enrolments=Enrolment.objects.all(), run_length=run_length)
    stored = set(EnrolmentStanding.objects.values_list("enrolment_id", flat=True))
    store_per_enrolment(
        EnrolmentStanding,
        {pk: dataclasses.asdict(v) for pk, v in figures.items()},
        fields=_STANDING_COLUMNS,
        absent=sorted(stored - set(figures)),
    )
    return len(figures)
