"""Checklist test helpers: held sessions, saved checklists and form posts."""

from __future__ import annotations

import datetime as dt

from checklists.models import Checklist, RatingValue, Tool
from checklists.services import checklist_save
from programmes.models import Session

# The nine tools of the source document, in its order, as the data migration seeds them.
SEEDED_TOOLS = [
    "Driver diagrams / aims",
    "Go and See",
    "Leader standard work",
    "Improvement board",
    "Improvement huddle",
    "Ideas generated",
    "Metrics discussed",
    "Performance review meeting",
    "Performance review report",
]


def hold(session: Session, held_on: dt.date | None = None) -> Session:
    """Marks a session held (on its due date unless told otherwise)."""
    session.held_on = held_on or session.due_date
    session.save(update_fields=["held_on"])
    return session


def session_number(enrolment, number: int) -> Session:
    return Session.objects.select_related("enrolment").get(enrolment=enrolment, number=number)


def save_checklist(
    session: Session, user, levels: int | dict[int, int] = 2, *, discussed: bool = True, note: str = "", version=0
) -> Checklist:
    """Fills in (or, with version, edits) a checklist through the service: every active tool, or the
    tools it already has, at `levels` (one level for all, or tool id -> level)."""
    session.refresh_from_db()
    existing = Checklist.objects.filter(session=session).first()
    tools = [r.tool for r in existing.ratings.select_related("tool")] if existing else list(Tool.objects.active())
    ratings = {
        tool.pk: RatingValue(discussed=discussed, level=levels if isinstance(levels, int) else levels[tool.pk])
        for tool in tools
    }
    return checklist_save(session=session, user=user, version=version, ratings=ratings, culture_note=note)


def form_post(
    tools, levels: int | dict[int, int] = 2, *, discussed: bool = True, comment: str = "", note: str = "", version=0
) -> dict:
    """The POST body of the checklist form, as the page sends it."""
    data: dict = {"version": str(version), "tools": [str(t.pk) for t in tools], "culture_note": note}
    for tool in tools:
        level = levels if isinstance(levels, int) else levels[tool.pk]
        data[f"tool-{tool.pk}-level"] = str(level)
        data[f"tool-{tool.pk}-comment"] = comment
        if discussed:
            data[f"tool-{tool.pk}-discussed"] = "on"
    return data
