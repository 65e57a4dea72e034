"""The checklists app's panel on the team page: programmes knows nothing of checklists, so its
template asks this tag.

{% load checklist_panels %}{% team_checklists page.rows as cohorts %}
{% session_checklist_step session as step %}   the session page: its checklist button, if any
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from core.access import can_change

from ..selectors import session_checklist, team_checklist_summaries
from ..sustainment import sustained_run_length

register = template.Library()


@register.simple_tag(takes_context=True)
def team_checklists(context, rows) -> list[dict]:
    """For each enrolment on the page (rows, programmes.selectors.TeamRow, newest first: the
    enrolments this user may see), its heatmap, sustainment, adoption and culture notes, for
    checklists/_team_checklists.html: a list of {"enrolment", "summary", "can_fill"}, empty when
    there are no rows. Three queries whatever the number of enrolments
    (checklists.selectors.team_checklist_summaries)."""
    user = context["request"].user
    enrolments = [row.enrolment for row in rows]
    summaries = team_checklist_summaries(enrolments=enrolments, run_length=sustained_run_length())
    return [
        {"enrolment": summary.enrolment, "summary": summary, "can_fill": can_change(user, summary.enrolment.coach_id)}
        for summary in summaries
    ]


@register.simple_tag(takes_context=True)
def session_checklist_step(context, session) -> dict | None:
    """The session page's checklist button for the session's coach or a manager:
    {"url", "label", "pending"}, pending while the plan row asks for a checklist and none is filled
    in (then it is the coach's next step). None when the session offers no checklist: not held,
    cancelled, or its plan row has none due. One query for a session with a checklist due, unless
    session.checklist is loaded; none otherwise.

    The form comes back to the page the button was on (its `next`)."""
    request = context["request"]
    if session.held_on is None or session.cancelled or not session.plan.checklist_due:
        return None
    if not can_change(request.user, session.enrolment.coach_id):
        return None
    checklist = session_checklist(session)
    url = f"{reverse('checklists:checklist', args=[session.pk])}?{urlencode({'next': request.get_full_path()})}"
    if checklist is None:
        return {"url": url, "label": "Fill in the tool checklist", "pending": True}
    return {"url": url, "label": "Edit the tool checklist", "pending": False}
