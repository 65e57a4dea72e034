"""A cohort's rows (cohort_progress_rows) read the sessions in one query of the cohort's and hand
each team its own: the rows are those each enrolment's own sessions give (_progress_row reading
enrolment.sessions), on randomised histories, for a user who sees every team and one who sees some.
The report's table of teams, written by a template tag, is the markup its template loop gave."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.db.models import Prefetch
from django.template import Context, Template

from dashboards.measures import cohort_page
from dashboards.selectors import _progress_row, _sessions_for_rows, cohort_progress_rows
from programmes.models import Enrolment, EnrolmentStatus, Session
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 1, 14)


def _random_cohort(rng: random.Random, coaches) -> tuple:
    cohort = factories.CohortFactory()
    other = factories.CohortFactory()  # its sessions must not reach the cohort's rows
    for c, n in ((cohort, 7), (other, 2)):
        for _ in range(n):
            enrolment = factories.EnrolmentFactory(
                cohort=c,
                coach=rng.choice(coaches),
                session1_date=TODAY - dt.timedelta(days=rng.randrange(-20, 120)),
                status=rng.choice([EnrolmentStatus.ACTIVE] * 4 + [EnrolmentStatus.WITHDRAWN]),
            )
            factories.make_sessions(enrolment)
            for s in Session.objects.filter(enrolment=enrolment):
                roll = rng.random()
                if roll < 0.4 and s.due_date <= TODAY:
                    s.held_on = s.due_date + dt.timedelta(days=rng.randrange(0, 10))
                elif roll < 0.5:
                    s.cancelled = True
                s.save(update_fields=["held_on", "cancelled"])
    return cohort


def _facts(row) -> tuple:
    t = row.team_row
    return (
        [(s.pk, s.status_today) for s in t.sessions],
        t.next_session.pk if t.next_session else None,
        (t.is_overdue, t.days_overdue, t.overdue_count, t.held_count, t.session_count),
        t.session_1.pk if t.session_1 else None,
        row.week,
        row.sessions_due,
        row.first_coaching,
        row.slots,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cohort_rows_equal_each_enrolments_own_sessions(personas, seed):
    rng = random.Random(seed)
    cohort = _random_cohort(rng, [personas.coach, personas.other_coach])
    for user in (personas.manager, personas.coach):
        rows = cohort_progress_rows(user=user, cohort=cohort, today=TODAY, run_length=2).rows
        reference = (
            Enrolment.objects.filter(pk__in=[r.enrolment.pk for r in rows])
            .select_related("agreement")
            .prefetch_related(Prefetch("sessions", queryset=_sessions_for_rows()))
        )
        expected = {e.pk: _facts(_progress_row(e, today=TODAY, standing=None, feedback=None)) for e in reference}
        assert {r.enrolment.pk: _facts(r) for r in rows} == expected
        visible = Enrolment.objects.filter(cohort=cohort)
        if user is personas.coach:
            visible = visible.filter(coach=personas.coach)
        assert sorted(expected) == sorted(visible.values_list("pk", flat=True))
        # Each session knows its team without a query, as when prefetched.
        assert all(s.enrolment is r.enrolment for r in rows for s in r.team_row.sessions)


# The report's loop as its template had it, before the report_team_rows tag.
TEMPLATE_LOOP = """
{% for team in page.team_reviews %}
  {% with row=team.row review=team.review session_1=team.row.team_row.session_1 %}
    <tr>
      <th scope="row">{{ row.enrolment.team.name }} <span class="fw-normal">({{ row.enrolment.team.site.code }})</span>{% if row.is_overdue %} <span class="overdue-flag">Overdue</span>{% endif %}</th>
      <td>{% if session_1.held_on %}Held <time datetime="{{ session_1.held_on|date:'Y-m-d' }}">{{ session_1.held_on|date:"j M Y" }}</time>{% else %}Due <time datetime="{{ row.enrolment.session1_date|date:'Y-m-d' }}">{{ row.enrolment.session1_date|date:"j M Y" }}</time>{% endif %}</td>
      <td>{{ row.week_label|capfirst }}</td>
      <td class="text-end">{{ row.team_row.held_count }} / {{ row.sessions_due }}</td>
      <td>{% if not review %}No review in this version{% elif review.held_on %}Held <time datetime="{{ review.held_on|date:'Y-m-d' }}">{{ review.held_on|date:"j M Y" }}</time> (due {{ review.due_date|date:"j M" }}){% elif review.cancelled %}Cancelled{% else %}{{ review.status_today.label }}: due <time datetime="{{ review.due_date|date:'Y-m-d' }}">{{ review.due_date|date:"j M Y" }}</time>{% endif %}</td>
      <td>{{ row.slots.label }}</td>
    </tr>
  {% endwith %}
{% endfor %}
"""  # noqa: E501


def _between_tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_report_team_rows_are_the_template_loops_markup(personas, seed):
    rng = random.Random(seed)
    cohort = _random_cohort(rng, [personas.coach, personas.other_coach])
    team = Enrolment.objects.filter(cohort=cohort).first().team
    team.name = 'Ward <7> & "Annexe"'  # escaped alike
    team.save(update_fields=["name"])
    page = cohort_page(cohort=cohort, user=personas.manager, today=TODAY, run_length=2, report=True)
    assert {t.review is None for t in page.team_reviews} == {False}  # each team has a review session
    assert len({(t.review.held_on is None, t.review.cancelled) for t in page.team_reviews}) > 1
    old = Template(TEMPLATE_LOOP).render(Context({"page": page}))
    new = Template("{% load report_table %}{% report_team_rows page.team_reviews %}").render(Context({"page": page}))
    assert _between_tags(new) == _between_tags(old)
    assert new.count("<tr>") == len(page.team_reviews) == 7
    assert "Ward &lt;7&gt; &amp; &quot;Annexe&quot;" in new
