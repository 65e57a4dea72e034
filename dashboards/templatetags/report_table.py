"""The cohort report's table of teams (the "Do" section), written in Python rather than as a template loop.

{% load report_table %}<tbody>{% report_team_rows page.team_reviews %}</tbody>

A row per team (dashboards.measures.TeamReview): its name and site (flagged when overdue), session 1
held or due, its programme week, sessions held of those due, its 12-week review and its coaching
slots. The template's loop (a {% with %} and some twenty lookups and filters per row) was a third of
the report's rendering. The markup is the one the template had, cell by cell. Text from the
database and labels go through escape(); numbers and dates need none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import template
from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

register = template.Library()


def _time(day: dt.date | None, fmt: str = "j M Y") -> str:
    """A day as the template's <time datetime="{{ day|date:'Y-m-d' }}">{{ day|date:fmt }}</time>."""
    if day is None:
        return '<time datetime=""></time>'
    return f'<time datetime="{day.isoformat()}">{dateformat.format(day, fmt)}</time>'


def _review(review) -> str:
    if not review:
        return "No review in this version"
    if review.held_on:
        return f"Held {_time(review.held_on)} (due {dateformat.format(review.due_date, 'j M')})"
    if review.cancelled:
        return "Cancelled"
    return f"{escape(review.status_today.label)}: due {_time(review.due_date)}"


def report_team_row(team) -> str:
    row, review = team.row, team.review
    enrolment = row.enrolment
    session_1 = row.team_row.session_1
    flag = ' <span class="overdue-flag">Overdue</span>' if row.is_overdue else ""
    if session_1 is not None and session_1.held_on:
        started = f"Held {_time(session_1.held_on)}"
    else:
        started = f"Due {_time(enrolment.session1_date)}"
    return (
        f'<tr>\n  <th scope="row">{escape(enrolment.team.name)} <span class="fw-normal">'
        f"({escape(enrolment.team.site.code)})</span>{flag}</th>\n"
        f"  <td>{started}</td>\n"
        f"  <td>{escape(capfirst(row.week_label))}</td>\n"
        f'  <td class="text-end">{row.team_row.held_count} / {row.sessions_due}</td>\n'
        f"  <td>{_review(review)}</td>\n"
        f"  <td>{escape(row.slots.label)}</td>\n</tr>\n"
    )


@register.simple_tag
def report_team_rows(team_reviews: Iterable) -> SafeString:
    """The rows of dashboards.measures.TeamReview, in their order."""
    return mark_safe("".join(report_team_row(team) for team in team_reviews))  # noqa: S308 (escaped)
