"""Builders for dashboard tests: held sessions, checklists and feedback made straight in the
database (the services are tested in their own apps), so that tests can make many of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from checklists.models import Checklist, Tool, ToolRating
from checklists.services import refresh_standings
from coaching.models import CoachingAgreement
from feedback.models import CouldImprove, FeedbackLink, FeedbackResponse
from feedback.services import refresh_feedback_tallies
from programmes.models import Enrolment, Session
from tests import factories

LONDON = ZoneInfo("Europe/London")


def session(enrolment: Enrolment, number: int) -> Session:
    return Session.objects.get(enrolment=enrolment, number=number)


def hold(enrolment: Enrolment, number: int, held_on: dt.date | None = None, attendees: int | None = None) -> Session:
    s = session(enrolment, number)
    s.held_on = held_on or s.due_date
    s.attendees = attendees
    s.save(update_fields=["held_on", "attendees"])
    return s


def checklist(
    s: Session, levels: int | Sequence[int] | dict[int, int], *, tools: list[Tool] | None = None
) -> Checklist:
    """A checklist on the session rating `tools` (default: every active tool, in order) at `levels`:
    one level for all, one per tool in order, or tool id -> level."""
    tools = list(Tool.objects.active().order_by("order")) if tools is None else tools
    made = Checklist.objects.create(
        session=s,
        coach=s.enrolment.coach,
        completed_at=dt.datetime.combine(s.held_on or s.due_date, dt.time(16), tzinfo=LONDON),
    )
    if isinstance(levels, int):
        by_tool = {t.pk: levels for t in tools}
    elif isinstance(levels, dict):
        by_tool = levels
    else:
        by_tool = {t.pk: level for t, level in zip(tools, levels, strict=True)}
    ToolRating.objects.bulk_create(
        ToolRating(checklist=made, tool_id=tool_id, level=level, discussed=True) for tool_id, level in by_tool.items()
    )
    # bulk_create sends no signals: store the standing as the checklist services do.
    refresh_standings([s.enrolment_id])
    return made


def feedback(s: Session, *, yes: int = 0, not_sure: int = 0, no: int = 0) -> FeedbackLink:
    link = FeedbackLink.objects.create(session=s, is_open=False)
    answers = [CouldImprove.YES] * yes + [CouldImprove.NOT_SURE] * not_sure + [CouldImprove.NO] * no
    FeedbackResponse.objects.bulk_create(
        FeedbackResponse(link=link, could_improve=a, rating=4, submitted_on=s.held_on or s.due_date) for a in answers
    )
    refresh_feedback_tallies([s.enrolment_id])  # bulk writes send no post_save
    return link


def agree(enrolment: Enrolment, *, at_session_1: bool = True) -> CoachingAgreement:
    return factories.CoachingAgreementFactory(enrolment=enrolment, at_session_1=at_session_1)


def extra_team(cohort, coach, *, site=None, name: str | None = None) -> Enrolment:
    """Another enrolment with a history like the coach's team: sessions 1-4 held, checklists on 2-4,
    feedback on session 1, an agreement; session 5 overdue on 19 November 2025."""
    kwargs = {"cohort": cohort, "coach": coach}
    if site is not None:
        kwargs["team__site"] = site
    if name is not None:
        kwargs["team__name"] = name
    enrolment = factories.EnrolmentFactory(**kwargs)
    factories.make_sessions(enrolment)
    for number in (1, 2, 3, 4):
        hold(enrolment, number, attendees=6)
    for number, level in ((2, 1), (3, 2), (4, 3)):
        checklist(session(enrolment, number), level)
    feedback(session(enrolment, 1), yes=5)
    agree(enrolment)
    return enrolment
