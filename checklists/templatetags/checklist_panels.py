"""The checklists app's panel on the team page: programmes knows nothing of checklists, so its
template asks this tag.

{% load checklist_panels %}{% team_checklists page.rows as checklists %}
"""

from __future__ import annotations

from django import template

from core.access import can_change

from ..selectors import team_checklist_summary
from ..sustainment import sustained_run_length

register = template.Library()


@register.simple_tag(takes_context=True)
def team_checklists(context, rows) -> dict | None:
    """The heatmap, sustainment, adoption and culture notes of the newest enrolment on the page
    (rows, programmes.selectors.TeamRow, come newest first), for checklists/_team_checklists.html;
    None when there is none. Three queries (checklists.selectors.team_checklist_summary)."""
    if not rows:
        return None
    enrolment = rows[0].enrolment
    return {
        "enrolment": enrolment,
        "summary": team_checklist_summary(enrolment=enrolment, run_length=sustained_run_length()),
        "can_fill": can_change(context["request"].user, enrolment.coach_id),
    }
