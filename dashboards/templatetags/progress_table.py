"""The progress dashboard's table body, written in Python rather than as a template loop.

{% load progress_table %}<tbody>{% progress_rows rows %}</tbody>

A Trust's page shows 25 rows of twelve cells, and a template loop over them (a {% url %}, an
{% include %} and a dozen filters per row) cost more than the rest of the page together; here each
row is one string built from its plain values (dashboards.selectors.DashboardRow), with the links
reversed once per page. The markup is the one the template had, cell by cell. Text from the database
is escaped (html.escape(), as Django's escape()); numbers, dates, fixed text and the links made here
need none. Dates and percentages are formatted by Django's own filters, once per page each (Memo).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe

from core.templatetags.core_tags import iso_datetime
from programmes.models import ImprovementBoard

register = template.Library()

_PROGRAMME_WEEKS = 12
_SENTINEL = 987654321  # a pk no URL pattern contains otherwise, to reverse a link once per page


def link_of(name: str) -> Callable[[int], str]:
    """A function of a pk giving reverse(name, args=[pk]), from one reverse() call."""
    prefix, _, suffix = reverse(name, args=[_SENTINEL]).rpartition(str(_SENTINEL))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _dash(missing: str) -> str:
    """A dash for the eye, and what is missing for a screen reader (fixed text)."""
    return f'<span aria-hidden="true">–</span><span class="visually-hidden">{missing}</span>'


_NOT_OVERDUE = _dash("Not overdue")
NO_CHECKLIST = _dash("No checklist yet")
_NO_RESPONSES = _dash("No responses yet")
_NO_FEEDBACK = _dash("No feedback yet")
_NO_ATTENDEES = _dash("attendees not recorded")
_NO_SESSION_1 = _dash("Session 1 not held yet")
_PROTECTS_SMALLER = (
    'Not shown<span class="visually-hidden">, so that a smaller group’s answers cannot be worked out</span>'
)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def _text(value) -> str:
    """escape() without its lazy-string wrapper (the same characters): it runs a dozen times a row."""
    return html.escape(str(value))


class Memo:
    """The values a page's rows format, each worked out once a page: the rows share a few dates,
    times and percentages, and Django's date and number formatting is slow beside the rest of a row."""

    def __init__(self) -> None:
        self._seen: dict[tuple, Any] = {}

    def __call__(self, function: Callable, *args) -> Any:
        key = (function, *((type(a), a) for a in args))  # 100.0 and Decimal("100.0") apart
        try:
            return self._seen[key]
        except KeyError:
            value = self._seen[key] = function(*args)
            return value


def _when(due_date, agreed_start) -> str:
    """The next session's time: its agreed start, else its due date."""
    if agreed_start:
        start = timezone.localtime(agreed_start)
        return f'<time datetime="{iso_datetime(start)}">{dateformat.format(start, "D j M Y, H:i")}</time>'
    return f'due <time datetime="{due_date.isoformat()}">{dateformat.format(due_date, "D j M Y")}</time>'


def _late(session) -> int:
    return session.days_scheduled_late


def _next_session_cell(row, session_link: Callable[[int], str], memo: Memo) -> str:
    session = row.next_session
    if session is None:
        if row.is_finished:
            return f"None: {_text(row.status_label.lower())}"
        return "No open session"
    when = memo(_when, session.due_date, session.agreed_start)
    late = 0 if row.is_overdue else memo(_late, session)
    badge = f' <span class="badge text-bg-warning">Scheduled {late} day{_plural(late)} late</span>' if late else ""
    return f'<a href="{session_link(session.pk)}">Session {session.number}</a>:\n{when}{badge}'


def _positive_cell(figures, memo: Memo | None = None) -> str:
    if figures is not None and figures.withheld:
        if figures.protects_smaller:
            return _PROTECTS_SMALLER
        return f'Not shown<span class="visually-hidden">: fewer than {figures.min_group} responses</span>'
    if figures is not None and figures.responses:
        return f"{(memo or Memo())(floatformat, figures.positive_pct, '-1')}%"
    return _NO_RESPONSES


def _responses_cell(figures) -> str:
    if figures is None:
        return _NO_FEEDBACK
    if figures.withheld:
        return "Not shown"
    attendees = figures.attendees if figures.attendees is not None else _NO_ATTENDEES
    return f"{figures.responses} / {attendees}"


def first_coaching_cell(wait) -> str:
    """The wait to first coaching (programmes.models.FirstCoachingWait) in words, marked when too long."""
    if wait is None:
        return _NO_SESSION_1
    if wait.too_long:
        return f'<strong>{_text(wait)}</strong><br><span class="overdue-flag">Too long</span>'
    return _text(wait)


def huddles_cell(huddles) -> str:
    """The team's huddles at its board (programmes.selectors.huddles.TeamHuddles): the weeks with a
    huddle checked in of the latest weeks with huddles planned, marked when they have stopped; or
    what kind of board it has, when it is not a physical one."""
    if huddles is None:
        return _dash("Not known")
    if not huddles.physical:
        return "No board" if huddles.board == ImprovementBoard.NONE else f"{_text(huddles.board_label)} board"
    if huddles.sheet_since is None:
        return "No board sheet yet"
    recent = huddles.recent
    if not recent.weeks_planned:
        return _dash("No huddle planned yet")
    text = f"{recent.weeks_held} of {recent.weeks_planned} week{_plural(recent.weeks_planned)}"
    if huddles.stopped_since is not None:
        return f'<strong>{text}</strong><br><span class="overdue-flag">Stopped</span>'
    return text


def progress_row(
    row, *, team_link: Callable[[int], str], session_link: Callable[[int], str], memo: Memo | None = None
) -> str:
    """One dashboard row (a DashboardRow) as HTML: the team (and Overdue, in words) with its coach,
    the site, the cohort, the programme week as a bar, sessions held / due, the next session, days
    overdue, the slots, the wait to first coaching, the huddles at the board, the adoption score and
    tools sustained at the latest checklist, the feedback positive % and responses / attendees.
    `memo`: shared by a page's rows."""
    memo = memo or Memo()
    if row.status == "completed":
        bar = " qms-bar-completed"
    elif row.week is not None and row.week > _PROGRAMME_WEEKS:
        bar = " past-12"
    else:
        bar = ""
    team_name = _text(row.team_name)
    week_label = row.week_label
    progress = row.progress_weeks
    overdue_flag = '<br><span class="overdue-flag">Overdue</span>' if row.is_overdue else ""
    if row.is_overdue:
        overdue = f"<strong>{row.days_overdue} day{_plural(row.days_overdue)}</strong>"
    else:
        overdue = _NOT_OVERDUE
    adoption = f"{memo(floatformat, row.adoption_score, 0)}%" if row.adoption_score is not None else NO_CHECKLIST
    sustained = f"{row.sustained_count} of {row.tool_count}" if row.tool_count is not None else NO_CHECKLIST
    return f"""<tr{' class="row-overdue"' if row.is_overdue else ""}>
  <th scope="row">
    <a href="{team_link(row.team_id)}">{team_name}</a>{overdue_flag}
    <div class="small fw-normal">Coach: {_text(row.coach_name or "none yet")}</div>
  </th>
  <td>{_text(row.site_code)}</td>
  <td>{_text(row.cohort_name)}</td>
  <td>
    <div class="progress{bar}" role="progressbar" aria-label="Programme week, {team_name}"
         aria-valuenow="{progress}" aria-valuemin="0" aria-valuemax="12" aria-valuetext="{_text(week_label)}">
      <div class="progress-bar qms-week-{progress}"></div>
    </div>
    <span class="small">{_text(week_label[:1].upper() + week_label[1:])}</span>
  </td>
  <td class="text-end">{row.held_count} / {row.sessions_due}</td>
  <td>{_next_session_cell(row, session_link, memo)}</td>
  <td class="text-end">{overdue}</td>
  <td>{_text(row.slots.label)}</td>
  <td class="text-end">{first_coaching_cell(row.first_coaching)}</td>
  <td class="text-end">{huddles_cell(row.huddles)}</td>
  <td class="text-end">{adoption}</td>
  <td class="text-end">{sustained}</td>
  <td class="text-end">{_positive_cell(row.feedback, memo)}</td>
  <td class="text-end">{_responses_cell(row.feedback)}</td>
</tr>
"""


@register.simple_tag
def progress_rows(rows: Iterable) -> SafeString:
    """The table's rows, in their order."""
    team_link = link_of("programmes:team")
    session_link = link_of("programmes:session")
    memo = Memo()
    return mark_safe(  # noqa: S308 (progress_row escapes every text from the database)
        "".join(progress_row(row, team_link=team_link, session_link=session_link, memo=memo) for row in rows)
    )


@register.simple_tag
def filter_select(field) -> SafeString:
    """A filter's <select> (a bound field of ProgressFilterForm), as Django's Select widget writes it
    (name, the widget's class, aria-invalid and aria-describedby when the value in the address was
    not one of the choices, id, the first matching option selected), without a template per option: the cohort filter
    of a Trust has dozens."""
    value = field.value()
    selected = "" if value is None else str(value)
    attrs = " ".join(f'{name}="{_text(v)}"' for name, v in field.field.widget.attrs.items())
    invalid = f' aria-invalid="true" aria-describedby="{field.auto_id}_error"' if field.errors else ""
    options = []
    found = False
    for choice, label in field.field.choices:
        key = str(choice)
        is_selected = not found and key == selected
        found = found or is_selected
        options.append(
            f'  <option value="{_text(key)}"{" selected" if is_selected else ""}>{_text(label)}</option>\n\n'
        )
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'<select name="{field.html_name}" {attrs}{invalid} id="{field.auto_id}">\n{"".join(options)}</select>'
    )


_ARROWS = {"ascending": '<span aria-hidden="true"> ▲</span>', "descending": '<span aria-hidden="true"> ▼</span>'}


@register.simple_tag
def sort_th(column: dict, numeric: bool = False) -> SafeString:
    """A sortable column heading (one of ProgressFilterForm.sort_columns()): a link that sorts by
    it, and aria-sort saying how the table is sorted now. A tag rather than an include: a page has
    twelve of them."""
    aria_sort = column["aria_sort"]
    aria = f' aria-sort="{aria_sort}"' if aria_sort else ""
    end = ' class="text-end"' if numeric else ""
    link = f'<a href="?{_text(column["query"])}">{_text(column["label"])}{_ARROWS.get(aria_sort, "")}</a>'
    return mark_safe(f'\n<th scope="col"{aria}{end}>\n  {link}\n</th>\n')  # noqa: S308 (escaped above)
