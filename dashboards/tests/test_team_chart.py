"""The team page's adoption-score chart (dashboards.team_chart, drawn by dashboards.spc_svg): every
checklist of every enrolment the person may see, oldest first, with the PDSA cycles marked; and what
the drawing must do for it (placement, a shift as squares and words, escaping, markers)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from coaching.services import calendar_feed_for_team
from core.roles import is_manager
from dashboards.series import Marker, Series, SeriesPoint
from dashboards.spc_svg import PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, spc_chart_svg
from dashboards.team_chart import TEAM_ADOPTION, team_series
from programmes.models import EnrolmentStatus, PdsaCycle, PdsaDecision
from tests import factories

from .helpers import checklist, hold

SPRING_LEVELS = [0, 1, 0, 1, 0, 1, 0]  # 0%, 33%, ...: the baseline, before Autumn's PDSA change
AUTUMN_LEVELS = [2, 3, 2, 3, 3, 2, 3]  # 67%, 100%, ...: all above the baseline median of 0%


def _series(values, markers=()) -> Series:
    return Series(
        key=TEAM_ADOPTION,
        title="Adoption score at each checklist, Ward 22",
        value_name="Adoption score",
        x_name="Checklist, oldest first",
        unit="%",
        higher_is_better=True,
        points=tuple(SeriesPoint(f"Session {i + 1}", v, 9, i + 1) for i, v in enumerate(values)),
        markers=tuple(markers),
    )


# --- The drawing ---------------------------------------------------------------------------------


def test_points_are_placed_evenly_on_a_0_to_100_axis_with_the_median():
    chart = spc_chart_svg(chart_id="c", series=_series([0, 50, 100]))
    assert [p.y for p in chart.points] == [PLOT_BOTTOM, (PLOT_BOTTOM + PLOT_TOP) / 2, PLOT_TOP]
    xs = [p.x for p in chart.points]
    assert PLOT_LEFT < xs[0] < xs[1] < xs[2] < PLOT_RIGHT
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.2)
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert [(line.kind, line.y, line.label) for line in chart.lines] == [("centre", 147.0, "Median 50%")]
    assert chart.answer == "Is this better? Too few points to tell: the rules need 10, and there are 3."


def test_a_shift_is_drawn_as_squares_and_said_in_words():
    # Median 50: six points on it (neither count nor break), then six below it.
    chart = spc_chart_svg(chart_id="c", series=_series([50] * 6 + [10] * 6 + [60, 70]))
    assert [p.marked for p in chart.points] == [False] * 6 + [True] * 6 + [False] * 2
    shift = "Shift: points 7 to 12 (6 in a row) are below the median of 50%"
    assert chart.points[6].signals == (shift,)
    assert shift in chart.findings
    assert chart.answer == f"Is this worse? {shift} (higher is better)."
    html = render_to_string("dashboards/_spc_chart.html", {"chart": chart})
    assert html.count('<rect class="point-signal"') == 6
    assert html.count('<circle class="point"') == 8


def test_a_pdsa_marker_sits_between_its_points():
    chart = spc_chart_svg(chart_id="c", series=_series([40, 60] * 3, [Marker(2, "PDSA started: Board", False)]))
    assert [(m.short, m.text, m.change) for m in chart.markers] == [("P1", "PDSA started: Board", False)]
    assert chart.points[1].x < chart.markers[0].x < chart.points[2].x
    assert chart.description.endswith("1 PDSA marker on the axis.")


def test_the_template_escapes_every_text():
    series = Series(
        key=TEAM_ADOPTION,
        title='Team <script>alert("x")</script> & co',
        value_name="Adoption score",
        x_name="Checklist, oldest first",
        unit="%",
        higher_is_better=True,
        points=(SeriesPoint("Session <b>2</b>", 40.0, 9, 1), SeriesPoint("Session 3", 60.0, 9, 2)),
        markers=(Marker(1, "PDSA started: <i>bold</i>", False),),
    )
    html = render_to_string("dashboards/_spc_chart.html", {"chart": spc_chart_svg(chart_id="c1", series=series)})
    assert "<script>" not in html and "<b>2" not in html and "<i>bold" not in html
    assert "Team &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "Session &lt;b&gt;2&lt;/b&gt;" in html and "PDSA started: &lt;i&gt;bold&lt;/i&gt;" in html


# --- The team's series ---------------------------------------------------------------------------


@pytest.fixture
def two_cohorts(personas):
    """The coach's team took part in Spring (coached by the other coach, completed: seven low
    checklists) before Autumn (the coach's: seven high ones); Autumn adopted a PDSA change before its
    first checklist."""
    team = personas.enrolment.team
    spring = factories.EnrolmentFactory(
        team=team,
        coach=personas.other_coach,
        cohort=factories.CohortFactory(name="Spring cohort", start_date=dt.date(2025, 3, 3)),
        session1_date=dt.date(2025, 3, 3),
        status=EnrolmentStatus.COMPLETED,
    )
    factories.make_sessions(spring)
    for enrolment, levels in ((spring, SPRING_LEVELS), (personas.enrolment, AUTUMN_LEVELS)):
        for number, level in enumerate(levels, start=1):
            checklist(hold(enrolment, number), level)
    PdsaCycle.objects.create(
        title="Board by the door",
        started_on=dt.date(2025, 9, 1),
        decided_on=dt.date(2025, 9, 15),
        decision=PdsaDecision.ADOPT,
        cohort=personas.enrolment.cohort,
    )
    return spring


def _score(level: int) -> float:
    return 100 * level / 3


@pytest.mark.django_db
def test_team_series_takes_every_checklist_of_both_cohorts_in_time_order(personas, two_cohorts):
    series = team_series(team=personas.enrolment.team, user=personas.manager)
    assert series.values == [_score(level) for level in SPRING_LEVELS + AUTUMN_LEVELS]
    assert series.points[0].label == "Session 1, Spring cohort (3 Mar 2025)"
    assert series.points[7].label == "Session 1, Autumn cohort (22 Sep 2025)"
    assert [p.position for p in series.points] == list(range(1, 15))
    # Autumn's change comes before its first checklist, after Spring's seven.
    assert [(m.index, m.text, m.change) for m in series.markers] == [
        (7, "PDSA adopt: Board by the door", True),
        (7, "PDSA started: Board by the door", False),
    ]
    assert series.changes == [7]


@pytest.mark.django_db
def test_team_series_marks_the_cycles_about_the_team_programmes_only(personas):
    enrolment = personas.enrolment
    for number, level in ((2, 0), (3, 1), (4, 3)):
        checklist(hold(enrolment, number), level)
    template = enrolment.cohort.template
    cycles = [
        ("Slots at session 1", {"cohort": enrolment.cohort, "decided_on": dt.date(2025, 10, 20), "decision": "adapt"}),
        ("This version", {"template": template}),
        ("Programme-wide", {}),
        ("Another cohort", {"cohort": factories.CohortFactory()}),
        ("Too late", {"cohort": enrolment.cohort, "started_on": dt.date(2026, 6, 1)}),
        ("Too early", {"cohort": enrolment.cohort, "started_on": dt.date(2025, 9, 1)}),
    ]
    for title, fields in cycles:
        PdsaCycle.objects.create(title=title, **{"started_on": dt.date(2025, 10, 1), **fields})
    series = team_series(team=enrolment.team, user=personas.manager)
    # Checklists on 29 Sep, 13 Oct and 27 Oct: a cycle on 1 Oct comes before the second.
    assert [(m.index, m.text, m.change) for m in series.markers] == [
        (1, "PDSA started: Programme-wide", False),
        (1, "PDSA started: Slots at session 1", False),
        (1, "PDSA started: This version", False),
        (2, "PDSA adapt: Slots at session 1", True),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "levels"),
    [
        ("manager", SPRING_LEVELS + AUTUMN_LEVELS),
        ("lead", SPRING_LEVELS + AUTUMN_LEVELS),
        ("coach", AUTUMN_LEVELS),
        ("other_coach", SPRING_LEVELS),
    ],
)
def test_team_series_has_the_enrolments_the_person_may_see(personas, two_cohorts, persona, levels):
    series = team_series(team=personas.enrolment.team, user=personas.user(persona))
    assert series.values == [_score(level) for level in levels]


def _more_enrolments(personas, extra: int) -> None:
    """`extra` more completed enrolments of the coach's team, in earlier cohorts, each with three
    checklists and a PDSA cycle."""
    for n in range(extra):
        start = dt.date(2024 - n, 3, 4)
        cohort = factories.CohortFactory(name=f"Old cohort {n}", start_date=start)
        enrolment = factories.EnrolmentFactory(
            team=personas.enrolment.team,
            coach=personas.coach,
            cohort=cohort,
            session1_date=start,
            status=EnrolmentStatus.COMPLETED,
        )
        factories.make_sessions(enrolment)
        for number in (2, 3, 4):
            checklist(hold(enrolment, number), number - 1)
        PdsaCycle.objects.create(title=f"Cycle {n}", started_on=start + dt.timedelta(weeks=3), cohort=cohort)


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 2])
def test_team_series_query_count_does_not_grow(personas, django_assert_num_queries, extra):
    for number in (2, 3, 4):
        checklist(hold(personas.enrolment, number), 2)
    _more_enrolments(personas, extra)
    is_manager(personas.coach)  # the roles, read once per request: the page has read them already
    # 1 the checklists with their ratings summed, 2 the PDSA cycles.
    with django_assert_num_queries(2):
        series = team_series(team=personas.enrolment.team, user=personas.coach)
    assert len(series.points) == 3 * (extra + 1)


@pytest.mark.django_db
def test_team_series_without_checklists_is_one_query(personas, django_assert_num_queries):
    is_manager(personas.manager)
    with django_assert_num_queries(1):
        series = team_series(team=personas.enrolment.team, user=personas.manager)
    assert series.points == () and series.markers == ()


# --- On the team page ----------------------------------------------------------------------------


def _chart_part(html: str) -> str:
    start = html.index('<section class="mb-4 run-chart"')
    return html[start : html.index("</section>", start)]


@pytest.mark.django_db
def test_team_page_charts_both_cohorts_with_the_verdict_in_words(login, personas, two_cohorts):
    team = personas.enrolment.team
    response = login("lead", personas).get(reverse("programmes:team", args=[team.pk]))
    html = response.content.decode()
    chart_id = f"team-{team.pk}-adoption-chart"
    assertContains(response, 'class="mb-4 run-chart"', count=1)  # one chart, not one per cohort
    assertContains(response, f'aria-labelledby="{chart_id}-title {chart_id}-desc"', count=1)
    assertContains(
        response, f'<title id="{chart_id}-title">Run chart: Adoption score at each checklist, {team.name}</title>'
    )
    chart = _chart_part(html)
    assert chart.count('<th scope="row">Session ') == 14
    assert '<th scope="row">Session 1, Spring cohort (3 Mar 2025)</th>' in chart
    assert '<th scope="row">Session 7, Autumn cohort (8 Dec 2025)</th>' in chart
    assert re.findall(r"<strong>(Is this .*?)</strong>", chart) == [
        "Is this better? Shift: the last 7 points are above the baseline median of 0% (higher is better)."
    ]
    assert "Baseline: the first 7 points, before the first PDSA change" in chart
    assert chart.count('<rect class="point-signal"') == 7
    assert "P1 = PDSA adopt: Board by the door (a change)" in " ".join(chart.split())
    assertContains(response, 'rel="stylesheet" href="/static/dashboards/dashboards.css"', count=1)


@pytest.mark.django_db
def test_team_page_coach_sees_the_chart_of_their_own_enrolment_only(login, personas, two_cohorts):
    team = personas.enrolment.team
    response = login("coach", personas).get(reverse("programmes:team", args=[team.pk]))
    chart = _chart_part(response.content.decode())
    assert chart.count('<th scope="row">Session ') == 7
    assert "Spring cohort" not in chart
    assert re.findall(r"<strong>(Is this .*?)</strong>", chart) == [
        "Is this better? Too few points to tell: the rules need 10, and there are 7."
    ]


@pytest.mark.django_db
def test_team_page_without_checklists_shows_no_chart(login, personas):
    response = login("manager", personas).get(reverse("programmes:team", args=[personas.enrolment.team_id]))
    assertNotContains(response, "run-chart")
    assertNotContains(response, "Adoption score over time")


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 2])
def test_team_page_query_count_does_not_grow_with_enrolments(client, personas, django_assert_num_queries, extra):
    for number in (2, 3, 4):
        checklist(hold(personas.enrolment, number), 2)
    _more_enrolments(personas, extra)
    calendar_feed_for_team(team=personas.enrolment.team)
    client.force_login(personas.manager)
    # 1 session, 2 user, 3 groups, 4 the team with its site, 5 meetings, 6 enrolments with cohort
    # and coach, 7 their sessions with plans, 8 their coaching agreements with meetings, 9-11 every
    # enrolment's checklists (sessions, ratings, tools), 12 the chart's checklists with their ratings
    # summed, 13 its PDSA cycles, 14-17 the huddles at the board (the team's board sheet, huddle
    # meetings, check-ins and the latest lines typed), 18 the team's calendar feed.
    with django_assert_num_queries(18):
        response = client.get(reverse("programmes:team", args=[personas.enrolment.team_id]))
    assert _chart_part(response.content.decode()).count('<th scope="row">Session ') == 3 * (extra + 1)
