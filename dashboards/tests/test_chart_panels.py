"""The cohort's and the Trust's chart panels ({% cohort_charts %}, {% trust_charts %}): who sees
what, valid HTML and the queries (the demo data's charts: demo/tests/test_charts_story.py)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from conftest import require_service
from tests import factories
from tests.html_checker import checker_missing, describe

from .helpers import checklist, hold

pytestmark = pytest.mark.django_db

PAGE = Template(
    '{% load chart_panels %}<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Charts</title>'
    "</head><body><main><h1>Charts</h1>{% cohort_charts cohort %}{% trust_charts %}</main></body></html>"
)
TODAY = dt.datetime(2025, 11, 19, 10, tzinfo=ZoneInfo("Europe/London"))


def render_charts(user, cohort) -> str:
    """A minimal page with both tags, as `user` sees it."""
    request = RequestFactory().get("/")
    request.user = user
    return PAGE.render(Context({"request": request, "cohort": cohort}))


def answers(html: str) -> list[str]:
    return re.findall(r"<strong>(Is this .*?)</strong>", html)


@pytest.fixture
def teams(personas):
    """Both personas' teams held sessions 1 and 2 with a checklist on 2, the coach's at 100%, the
    other coach's at 0%."""
    for enrolment, level in ((personas.enrolment, 3), (personas.other_enrolment, 0)):
        hold(enrolment, 1)
        checklist(hold(enrolment, 2), level)
    return personas


@pytest.mark.parametrize(
    ("persona", "teams_seen", "adoption"),
    [("manager", 2, "50%"), ("lead", 2, "50%"), ("coach", 1, "100%"), ("other_coach", 1, "0%")],
)
def test_each_role_sees_the_teams_it_may(teams, persona, teams_seen, adoption):
    with time_machine.travel(TODAY, tick=False):
        html = render_charts(getattr(teams, persona), teams.enrolment.cohort)
    first_coaching = re.findall(r'<th scope="row">([^<]* team, [^<]+ \(Autumn cohort\))</th>', html)
    assert len(first_coaching) == 2 * teams_seen  # the cohort's chart and the Trust's
    adoption_charts = [c for c in html.split("<section ") if 'chart-adoption-heading"' in c]
    assert len(adoption_charts) == 2
    for chart in adoption_charts:
        assert f'<th scope="row">Week 2</th>\n            <td class="text-end">{adoption}</td>' in chart
    # Too few points: each chart says so (no feedback is charted, so a lead sees the same as a manager).
    assert len(answers(html)) == 6
    assert all(a.startswith("Is this better? Too few points to tell: the rules need 10") for a in answers(html))


@pytest.mark.parametrize("user", ["no_role", "anonymous"])
def test_no_role_and_anonymous_see_no_charts(teams, user):
    person = AnonymousUser() if user == "anonymous" else teams.no_role
    html = render_charts(person, teams.enrolment.cohort)
    assert "<svg" not in html
    assert "Charts:" not in html


def test_the_panels_are_valid_html(teams, html_checker, tmp_path):
    require_service("Nu HTML checker", html_checker is not None, checker_missing())
    with time_machine.travel(TODAY, tick=False):
        html = render_charts(teams.manager, teams.enrolment.cohort)
    (tmp_path / "charts.html").write_text(html)  # for `java -jar vnu.jar --errors-only` by hand
    errors = html_checker.errors(html)
    assert not errors, describe(errors)


@pytest.mark.parametrize("more", [0, 5])
def test_the_panels_queries_do_not_grow(teams, django_assert_num_queries, more):
    for _ in range(more):
        enrolment = factories.EnrolmentFactory(cohort=teams.enrolment.cohort, coach=teams.coach)
        factories.make_sessions(enrolment)
        checklist(hold(enrolment, 2), 1)
    manager = teams.manager
    manager.groups.all()
    render_charts(manager, teams.enrolment.cohort)  # the roles, read once per user
    with django_assert_num_queries(9):  # cohort_charts 5, trust_charts 4 (dashboards.series)
        html = render_charts(manager, teams.enrolment.cohort)
    assert html.count("<svg") == 6
