"""The aim page's table of cohorts, written in Python rather than as a template loop.

{% load aim_table %}<tbody>{% aim_cohort_rows page.cohorts %}</tbody>

A row per cohort of the page: its link, its teams, the first five measures (figure, and numerator
of denominator when there is one) and its programme version. The template's loop (a {% url %} and
a nested loop of lookups per row) was most of the page's rendering. The markup is the one the
template had. Text from the database and the measures' words go through escape(); numbers and the
links made here need none.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .progress_table import link_of

register = template.Library()

SHOWN_MEASURES = 5  # positive, on time, slots, sustained, first coaching: the version has its own column


def _measure_cell(measure) -> str:
    count = (
        f'<br><span class="small">{measure.numerator} of {measure.denominator}</span>' if measure.denominator else ""
    )
    return f'<td class="text-end">{escape(measure.figure)}{count}</td>'


@register.simple_tag
def aim_cohort_rows(cohorts: Iterable) -> SafeString:
    """The rows of dashboards.measures.CohortMeasures, in their order."""
    cohort_link = link_of("dashboards:cohort")
    rows = []
    for row in cohorts:
        cohort = row.cohort
        cells = "".join(_measure_cell(m) for m in row.measures[:SHOWN_MEASURES])
        rows.append(
            f'<tr><th scope="row"><a href="{cohort_link(cohort.pk)}">{escape(cohort.name)}</a></th>'
            f'<td class="text-end">{row.team_count}</td>{cells}<td>{escape(cohort.template.version)}</td></tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 (escaped above)
