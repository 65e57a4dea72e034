"""The cohort's and the Trust's run and XmR charts (dashboards.series, drawn by dashboards.spc_svg),
for the cohort and aim pages:

{% load chart_panels %}{% cohort_charts cohort %}
{% trust_charts %}

Both take the signed-in person from the request: a coach sees their own teams only. Charts with
enough points for the rules come first; a series with no points is left out.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..series import cohort_series, trust_series
from ..spc_svg import spc_chart_svg

register = template.Library()


def _charts(prefix: str, all_series) -> list:
    charts = [spc_chart_svg(chart_id=f"{prefix}-{s.key}", series=s) for s in all_series if s.points]
    return sorted(charts, key=lambda c: not c.enough_points)


@register.inclusion_tag("dashboards/_spc_charts.html", takes_context=True)
def cohort_charts(context, cohort) -> dict:
    """Five queries (dashboards.series.cohort_series)."""
    series = cohort_series(cohort=cohort, user=context["request"].user, today=timezone.localdate())
    prefix = f"cohort-{cohort.pk}-chart"
    return {"charts": _charts(prefix, series), "where": cohort.name, "chart_set_id": prefix}


@register.inclusion_tag("dashboards/_spc_charts.html", takes_context=True)
def trust_charts(context) -> dict:
    """Four queries whose rows do not grow with the teams (dashboards.series.trust_series)."""
    series = trust_series(user=context["request"].user, today=timezone.localdate())
    return {"charts": _charts("trust-chart", series), "where": "Trust-wide", "chart_set_id": "trust-chart"}
