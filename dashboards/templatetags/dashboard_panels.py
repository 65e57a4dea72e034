"""The dashboards app's panels on lower apps' pages: the adoption-score chart and the huddles at the
board on the team page, and the coach's week at the top of My teams.

{% load dashboard_panels %}{% team_adoption_chart team %}
{% team_huddles_panel team rows %}
{% coach_week_panel %}
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from core.figures_cache import kept
from programmes.huddles import stopped_after_weeks
from programmes.selectors.huddles import BOARD_FINDING, latest_huddle_notes, team_huddles

from ..spc_svg import spc_chart_svg
from ..team_chart import huddle_series, team_series
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


@register.inclusion_tag("dashboards/_team_huddles.html", takes_context=True)
def team_huddles_panel(context, team, rows) -> dict:
    """The team page's huddles at the board: the kind of board (and the Trust's finding, when it is not
    a physical one), the weeks with a huddle checked in, whether they have stopped, a run chart of the
    planned days checked in each week, and (for its coaches and managers) the board sheet. rows: the
    page's enrolment rows, for the sheet's permission. Four queries (programmes.selectors.huddles:
    the weeks, and the latest lines typed at the board)."""
    today = timezone.localdate()
    huddles = team_huddles(team_ids=[team.pk], today=today)[team.pk]
    notes = latest_huddle_notes(team=team, today=today)
    series = huddle_series(team=team, huddles=huddles)
    chart = spc_chart_svg(chart_id=f"team-{team.pk}-huddle-chart", series=series) if series.points else None
    return {
        "request": context["request"],
        "role": context.get("role"),
        "team": team,
        "rows": rows,
        "huddles": huddles,
        "chart": chart,
        "notes": notes,
        "finding": BOARD_FINDING,
        "stopped_weeks": stopped_after_weeks(),
    }


@register.inclusion_tag("dashboards/_week_panel.html", takes_context=True)
def coach_week_panel(context) -> dict:
    """The top of My teams: the signed-in person's sessions this week and next, with what each
    needs (dashboards.week.coach_week). One query, kept until the next write within the minute
    (core.figures_cache): read at the minute's start, as a session's agreed time is a whole minute."""
    now = timezone.now().replace(second=0, microsecond=0)
    user = context["request"].user
    week = kept("coach_week", (user.pk, now), lambda: coach_week(coach=user, today=timezone.localdate(now), now=now))
    return {"week": week}
