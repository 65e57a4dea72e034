"""The dashboards app's panels on lower apps' pages: the adoption-score chart on the team page,
and the coach's week at the top of My teams.

{% load dashboard_panels %}{% team_adoption_chart team %}
{% coach_week_panel %}
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..spc_svg import spc_chart_svg
from ..team_chart import team_series
from ..week import coach_week

register = template.Library()


@register.inclusion_tag("dashboards/_team_chart.html", takes_context=True)
def team_adoption_chart(context, team) -> dict:
    """The run or XmR chart of the adoption score at each of the team's checklists, across every
    enrolment the signed-in person may see (dashboards.team_chart.team_series); nothing without a
    checklist. Two queries (the checklists, the PDSA cycles), one without a checklist."""
    series = team_series(team=team, user=context["request"].user)
    chart = spc_chart_svg(chart_id=f"team-{team.pk}-adoption-chart", series=series) if series.points else None
    return {"chart": chart}


@register.inclusion_tag("dashboards/_week_panel.html", takes_context=True)
def coach_week_panel(context) -> dict:
    """The top of My teams: the signed-in person's sessions this week and next, with what each
    needs (dashboards.week.coach_week). One query."""
    now = timezone.now()
    return {"week": coach_week(coach=context["request"].user, today=timezone.localdate(now), now=now)}
