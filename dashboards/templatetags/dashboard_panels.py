"""The dashboards app's panel on the team page: the adoption-score run chart.

{% load dashboard_panels %}{% adoption_run_chart checklists.summary %}
"""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("dashboards/_run_chart.html")
def adoption_run_chart(summary) -> dict:
    """The run chart of a team's checklists (checklists.selectors.TeamChecklistSummary); the
    template says so when there is none yet. One query (the PDSA cycles marked on its time axis),
    none without a checklist."""
    return {"chart": selectors.adoption_run_chart(summary=summary)}
