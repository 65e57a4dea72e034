"""The cohort page's tool-by-team heatmap body, written in Python rather than as a template loop.

{% load heatmap_table %}<tbody>{% heatmap_rows page.heatmap %}</tbody>

A row per team and a cell per tool: the template's nested loop (a {% url %}, an {% include %} and
a dozen lookups per cell) was most of the page's rendering. The markup is the one the template had,
cell by cell. Text from the database and labels go through escape(); numbers, dates and the links
made here need none.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.defaultfilters import floatformat
from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .progress_table import NO_CHECKLIST, link_of

register = template.Library()

_NOT_RATED = (
    '<td class="level level-none"><span aria-hidden="true">–</span>'
    '<span class="visually-hidden">Not rated yet</span></td>'
)


def _cell(cell) -> str:
    """A tool's cell: its latest level, in words, and its sustainment status (a ToolStanding; None: not rated)."""
    if cell is None:
        return _NOT_RATED
    return (
        f'<td class="level level-{cell.level}">{escape(cell.level_label)}'
        f'<span class="sustainment-word">{escape(cell.status.label)}</span></td>'
    )


def heatmap_row(hrow, *, team_link) -> str:
    """One team (a HeatmapRow): its name and site with the session and day of its latest
    checklist, a cell per tool, the tools sustained and the adoption score there."""
    enrolment = hrow.row.enrolment
    standing = hrow.row.standing
    team = enrolment.team
    if standing:
        date = standing.date
        at = (
            f'<div class="small fw-normal">at session {standing.session_number}, '
            f'<time datetime="{date.isoformat()}">{dateformat.format(date, "j M Y")}</time></div>'
        )
        sustained = f"{standing.sustained_count} of {standing.tool_count}"
    else:
        at = ""
        sustained = NO_CHECKLIST
    if standing and standing.adoption_score is not None:
        adoption = f"{floatformat(standing.adoption_score, 0)}%"
    else:
        adoption = NO_CHECKLIST
    return (
        f'<tr>\n  <th scope="row"><a href="{team_link(enrolment.team_id)}">{escape(team.name)}</a>'
        f' <span class="fw-normal">({escape(team.site.code)})</span>\n    {at}\n  </th>\n'
        f"  {''.join(_cell(cell) for cell in hrow.cells)}\n"
        f"  <td>{sustained}</td>\n  <td>{adoption}</td>\n</tr>\n"
    )


@register.simple_tag
def heatmap_rows(heatmap: Iterable) -> SafeString:
    """The heatmap's rows (dashboards.measures.HeatmapRow), in their order."""
    team_link = link_of("programmes:team")
    return mark_safe("".join(heatmap_row(hrow, team_link=team_link) for hrow in heatmap))  # noqa: S308 (escaped)
