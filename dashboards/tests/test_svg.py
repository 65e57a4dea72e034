"""The run chart as SVG: placement, the signals in words and shapes, escaping, and the chart on the
team page (title, description, axis labels, median, markers, the points as a table)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML

from coaching.services import calendar_feed_for_team
from dashboards.svg import PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, ChartMarker, ChartPoint, run_chart_svg
from programmes.models import Enrolment, EnrolmentStatus, PdsaCycle, PdsaDecision, SessionKind
from tests import factories

from .helpers import checklist, hold, session

START = dt.date(2025, 9, 1)


def weekly(values, start=START) -> list[ChartPoint]:
    return [
        ChartPoint(date=start + dt.timedelta(weeks=i), value=v, label=f"Session {i + 2}") for i, v in enumerate(values)
    ]


def test_run_chart_svg_places_points_median_and_axes():
    chart = run_chart_svg(chart_id="c", title="T", value_name="Adoption score", points=weekly([0, 50, 100]))
    assert [p.shape for p in chart.points] == ["circle"] * 3
    ys = [p.y for p in chart.points]
    assert ys == [PLOT_BOTTOM, (PLOT_BOTTOM + PLOT_TOP) / 2, PLOT_TOP]
    xs = [p.x for p in chart.points]
    assert PLOT_LEFT < xs[0] < xs[1] < xs[2] < PLOT_RIGHT
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.2)  # evenly spaced weeks
    assert chart.median_y == ys[1] and chart.median_label == "50%"
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert [t.label for t in chart.x_ticks] == ["Sep 2025"]
    assert chart.description == (
        "Adoption score at 3 checklists, from 1 Sep 2025 to 15 Sep 2025: lowest 0%, highest 100%, median 50%. "
        "With fewer than 10 points the shift and trend rules are not applied yet."
    )


def test_run_chart_svg_shift_drawn_as_squares_and_said_in_words():
    # Median 50: six points below it after six on it; the rule finds a shift of 6 below.
    values = [50, 50, 50, 50, 50, 50, 10, 10, 10, 10, 10, 10, 60, 70]
    chart = run_chart_svg(chart_id="c", title="T", value_name="Adoption score", points=weekly(values))
    assert [p.shape for p in chart.points] == ["circle"] * 6 + ["square"] * 6 + ["circle"] * 2
    assert chart.points[6].signals == ("Shift: 6 points in a row below the median",)
    assert [label.text for label in chart.signal_labels] == ["Shift: 6 below median"]
    assert chart.signal_texts == [
        "Shift: 6 points in a row below the median, session 8 (13 Oct 2025) to session 13 (17 Nov 2025)"
    ]
    assert "Signals: Shift: 6 points in a row below the median, session 8" in chart.description


def test_run_chart_svg_trend_drawn_as_diamonds():
    values = [10, 20, 20, 30, 40, 50, 45, 45, 45, 45]  # five rising, the two 20s counting once
    chart = run_chart_svg(chart_id="c", title="T", value_name="Adoption score", points=weekly(values))
    assert [p.shape for p in chart.points] == ["diamond", "diamond", "circle", "diamond", "diamond", "diamond"] + [
        "circle"
    ] * 4
    assert [label.text for label in chart.signal_labels] == ["Trend: 5 rising"]


def test_run_chart_svg_no_signal_with_ten_points():
    values = [40, 60, 40, 60, 40, 60, 40, 60, 40, 60]
    chart = run_chart_svg(chart_id="c", title="T", value_name="Adoption score", points=weekly(values))
    assert chart.signal_labels == []
    assert chart.description.endswith("No shift or trend: no sign of change beyond the usual variation.")


def test_run_chart_svg_markers_widen_the_time_axis():
    markers = [
        ChartMarker(date=dt.date(2025, 8, 1), kind="pdsa", short="P1", text="PDSA started: x"),
        ChartMarker(date=START, kind="coaching", short="C2", text="Coaching session 2 held"),
    ]
    chart = run_chart_svg(chart_id="c", title="T", value_name="Adoption score", points=weekly([10]), markers=markers)
    assert chart.pdsa_markers[0].x < chart.coaching_markers[0].x == chart.points[0].x
    assert [t.label for t in chart.x_ticks] == ["Aug 2025", "Sep 2025"]
    assert chart.description.endswith("Marked on the time axis: 1 coaching session (C) and 1 PDSA change (P).")


def test_run_chart_svg_needs_a_point():
    with pytest.raises(ValueError, match="at least one point"):
        run_chart_svg(chart_id="c", title="T", value_name="V", points=[])


def test_run_chart_template_escapes_text_and_names_the_image():
    chart = run_chart_svg(
        chart_id="chart-1",
        title='Team <script>alert("x")</script> & co',
        value_name="Adoption score",
        points=[ChartPoint(date=START, value=40, label="Session <b>2</b>")],
        markers=[ChartMarker(date=START, kind="pdsa", short="P1", text="PDSA started: <i>bold</i>")],
    )
    html = render_to_string("dashboards/_run_chart.html", {"chart": chart})
    assert "<script>" not in html and "<b>2" not in html and "<i>bold" not in html
    assert "Team &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 330" role="img"' in html
    assert 'aria-labelledby="chart-1-title chart-1-desc"' in html
    assert '<title id="chart-1-title">' in html and '<desc id="chart-1-desc">' in html
    assert ">Date of the checklist</text>" in html and ">Adoption score (%)</text>" in html
    assert "<summary>The chart's points as a table</summary>" in html


def test_run_chart_template_without_a_chart_is_empty():
    assert render_to_string("dashboards/_run_chart.html", {"chart": None}).strip() == ""


# --- On the team page --------------------------------------------------------------------------------


@pytest.fixture
def long_programme(personas):
    """A team on a 12-session weekly coaching programme with 12 checklists: adoption low for six
    sessions, then high for six (a shift either side of the median), and a PDSA change in between."""
    template = factories.ProgrammeTemplateFactory(name="Weekly programme", version="2.0")
    for number in range(1, 13):
        factories.SessionPlanFactory(
            template=template,
            number=number,
            kind=SessionKind.TAUGHT if number == 1 else SessionKind.COACHING,
            week_offset=number - 1,
        )
    cohort = factories.CohortFactory(name="Weekly cohort", template=template)
    # A team is in one cohort at a time: it finished the autumn one first.
    Enrolment.objects.filter(pk=personas.enrolment.pk).update(status=EnrolmentStatus.COMPLETED)
    enrolment = factories.EnrolmentFactory(
        cohort=cohort, coach=personas.coach, team=personas.enrolment.team, session1_date=dt.date(2026, 1, 5)
    )
    factories.make_sessions(enrolment)
    levels = [0, 0, 1, 0, 1, 0, 3, 2, 3, 3, 2, 3]
    for number, level in zip(range(1, 13), levels, strict=True):
        checklist(hold(enrolment, number), level)
    PdsaCycle.objects.create(
        title="Physical board",
        started_on=dt.date(2026, 2, 1),
        decided_on=dt.date(2026, 2, 14),
        decision=PdsaDecision.ADOPT,
        cohort=cohort,
    )
    return enrolment


@pytest.mark.django_db
def test_team_page_shows_the_run_chart_with_a_shift(login, personas, long_programme):
    team = personas.enrolment.team
    response = login("lead", personas).get(reverse("programmes:team", args=[team.pk]))
    chart = response.context["chart"]
    # Scores 0, 0, 33, 0, 33, 0 then 100, 67, 100, 100, 67, 100: median 50, six below then six above.
    assert [p.shape for p in chart.points] == ["square"] * 12
    html = response.content.decode()
    chart_id = f"adoption-run-chart-{long_programme.pk}"
    assertContains(response, f'aria-labelledby="{chart_id}-title {chart_id}-desc"')
    assertContains(
        response,
        f'<title id="{chart_id}-title">Adoption score at each checklist: Education support team, Weekly cohort</title>',
    )
    assertContains(response, "Shift: 6 points in a row below the median, session 1 (5 Jan 2026) to session 6")
    assertContains(response, "Shift: 6 points in a row above the median, session 7 (16 Feb 2026) to session 12")
    assertContains(response, '<text class="signal-label"', count=2)
    assertContains(response, ">Shift: 6 below median</text>")
    assertContains(response, ">Median 50%</text>")
    assertContains(response, '<text class="pdsa-label"', count=2)  # started and adopted
    assert len(re.findall(r'<polygon class="marker-coaching"', html)) == 11
    assertInHTML(
        """<tr><td><time datetime="2026-01-05">5 Jan 2026</time></td><th scope="row">Session 1</th>
        <td class="text-end">0%</td><td>Shift: 6 points in a row below the median</td></tr>""",
        html,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("checklists", [1, 6])
def test_team_page_with_checklists_query_count_does_not_grow(client, django_assert_num_queries, personas, checklists):
    enrolment = personas.enrolment
    for number in range(1, checklists + 1):
        checklist(hold(enrolment, number), number % 4)
        PdsaCycle.objects.create(title=f"Cycle {number}", started_on=session(enrolment, number).due_date)
    calendar_feed_for_team(team=enrolment.team)
    client.force_login(personas.manager)
    # 1 session, 2 user, 3 groups, 4 the team with its site, 5 meetings, 6 enrolments with cohort
    # and coach, 7 their sessions with plans, 8 their coaching agreements with meetings, 9-11 the
    # latest enrolment's checklists (sessions, ratings, tools), 12 the PDSA cycles for the run
    # chart, 13 the team's calendar feed.
    with django_assert_num_queries(13):
        response = client.get(reverse("programmes:team", args=[enrolment.team_id]))
    assert len(response.context["chart"].points) == checklists
