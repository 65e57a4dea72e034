"""The dashboards app's panels on lower apps' pages: the adoption-score run chart on the team page,
and the coach's week at the top of My teams.

{% load dashboard_panels %}{% adoption_run_chart checklists.summary %}
{% coach_week_panel %}
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from .. import selectors
from ..week import coach_week

register = template.Library()


@register.inclusion_tag("dashboards/_run_chart.html")
def adoption_run_chart(summary) -> dict:
    """The run chart of a team's checklists (checklists.selectors.TeamChecklistSummary); the
    template says so when there is none yet. One query (the PDSA cycles marked on its time axis),
    none without a checklist."""
    return {"chart": selectors.adoption_run_chart(summary=summary)}


@register.inclusion_tag("dashboards/_week_panel.html", takes_context=True)
def coach_week_panel(context) -> dict:
    """The top of My teams: the signed-in person's sessions this week and next, with what each
    needs (dashboards.week.coach_week). One query."""
    now = timezone.now()
    return {"week": coach_week(coach=context["request"].user, today=timezone.localdate(now), now=now)}
