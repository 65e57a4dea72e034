"""The dashboard pages: permissions for every persona, exact content, filters and sorting, bad
input, and query counts that do not grow with the number of teams."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from conftest import PERSONAS
from programmes.models import Cohort, EnrolmentStatus, PdsaCycle, PdsaDecision
from tests import factories

from ..selectors import dashboard_page
from ..templatetags.progress_table import Memo, link_of, progress_row, progress_rows
from .helpers import extra_team

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboards:progress")
AIM = reverse("dashboards:aim")


def cohort_url(name: str, personas) -> str:
    return reverse(f"dashboards:{name}", args=[personas.enrolment.cohort_id])


def team_names(response) -> list[str]:
    return [row.team_name for row in response.context["rows"]]


# --- Permissions: every view, every persona ------------------------------------------------------

READ_BY_EVERY_ROLE = {"manager": 200, "coach": 200, "other_coach": 200, "lead": 200}
MANAGERS_AND_LEADS = {"manager": 200, "coach": 403, "other_coach": 403, "lead": 200}
PAGES = [
    ("dashboard", lambda p: DASHBOARD, READ_BY_EVERY_ROLE),
    ("sessions_csv", lambda p: reverse("sessions_csv"), READ_BY_EVERY_ROLE),
    ("aim", lambda p: AIM, MANAGERS_AND_LEADS),
    ("cohort", lambda p: cohort_url("cohort", p), MANAGERS_AND_LEADS),
    ("cohort_report", lambda p: cohort_url("cohort_report", p), MANAGERS_AND_LEADS),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("page", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_dashboard_pages_permissions_for_every_persona(login, history, persona, page, url, expected):
    path = url(history)
    response = login(persona, history).get(path)
    if persona == "anonymous":
        assertRedirects(response, f"{reverse('login')}?next={path}", fetch_redirect_response=False)
    else:
        assert response.status_code == expected[persona]


@pytest.mark.parametrize("persona", ["manager", "lead", "coach"])
@pytest.mark.parametrize(("page", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_dashboard_pages_refuse_writes(login, history, persona, page, url, expected):
    # Every page is read-only, for leads and everyone else; those who may not read it get 403 first.
    status = login(persona, history).post(url(history)).status_code
    assert status == (405 if expected[persona] == 200 else 403)


def test_dashboard_user_without_a_role_is_refused(login, history):
    client = login("no_role", history)
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(AIM).status_code == 403


def test_cohort_pages_unknown_cohort_is_404(login, history):
    client = login("lead", history)
    assert client.get(reverse("dashboards:cohort", args=[999_999])).status_code == 404
    assert client.get(reverse("dashboards:cohort_report", args=[999_999])).status_code == 404


# --- The progress dashboard ------------------------------------------------------------------------


def test_dashboard_manager_sees_every_team_overdue_first_with_its_figures(login, history):
    response = login("manager", history).get(DASHBOARD)
    assert team_names(response) == ["Pharmacy team", "Education support team"]  # 51 days overdue, then 9
    html = response.content.decode()
    education = history.enrolment
    assertInHTML(
        """<div class="progress" role="progressbar" aria-label="Programme week, Education support team"
             aria-valuenow="9" aria-valuemin="0" aria-valuemax="12" aria-valuetext="week 9 of 12">
             <div class="progress-bar qms-week-9"></div></div>""",
        html,
    )
    session_5 = education.sessions.get(number=5)
    assertInHTML(
        f"""<td><a href="/programmes/sessions/{session_5.pk}/">Session 5</a>:
        due <time datetime="2025-11-10">Mon 10 Nov 2025</time></td>""",
        html,
    )
    # Days overdue count from the end of the 7 days' grace: due 10 Nov and 29 Sep, today 19 Nov.
    assertInHTML('<td class="text-end"><strong>2 days</strong></td>', html)
    assertInHTML('<td class="text-end"><strong>44 days</strong></td>', html)
    assertInHTML('<td class="text-end">4 / 5</td>', html)  # held / due by today
    assertInHTML('<td class="text-end">1 / 5</td>', html)
    assertInHTML("<td>Agreed at session 1</td>", html)
    assertInHTML("<td>Not agreed</td>", html)
    assertInHTML('<td class="text-end">37%</td>', html)  # adoption at the latest checklist
    assertInHTML('<td class="text-end">2 of 9</td>', html)  # tools sustained
    assertInHTML('<td class="text-end">83.3%</td>', html)  # 5 of 6 said yes
    assertInHTML('<td class="text-end">6 / 8</td>', html)  # responses / attendees
    assertInHTML('<td class="text-end">80%</td>', html)
    assertInHTML('<td class="text-end">5 / 7</td>', html)
    # Overdue rows stand out in words, not colour alone.
    assert html.count('<span class="overdue-flag">Overdue</span>') == 2 + 1  # two rows, and the intro


def test_dashboard_coach_sees_only_their_own_teams(login, history):
    response = login("coach", history).get(DASHBOARD)
    assert team_names(response) == ["Education support team"]
    assertNotContains(response, "Pharmacy team")
    other = login("other_coach", history).get(DASHBOARD)
    assert team_names(other) == ["Pharmacy team"]
    assertNotContains(other, "Education support team")
    # A coach cannot reach another coach's team by filtering for its cohort either.
    filtered = login("other_coach", history).get(DASHBOARD, {"cohort": history.enrolment.cohort_id})
    assert team_names(filtered) == ["Pharmacy team"]


def test_dashboard_lead_reads_figures_without_any_write_links(login, history):
    response = login("lead", history).get(DASHBOARD)
    assert team_names(response) == ["Pharmacy team", "Education support team"]
    assertContains(response, "Figures for fewer than 5 responses are not shown.")
    html = response.content.decode()
    assertInHTML('<td class="text-end">83.3%</td>', html)  # both groups have 5 or more responses
    for write in ("/held/", "/move/", "/edit/", "Record session"):
        assert write not in html


def test_dashboard_lead_small_feedback_groups_are_not_shown(login, history):
    # A third team with 2 responses: too few for a lead, and its sibling is hidden with it, so that
    # the cohort's total cannot give it away (the feedback app's rule).
    small = extra_team(history.enrolment.cohort, history.coach, name="Radiology team")
    link = small.sessions.get(number=1).feedback_link
    link.responses.filter(pk__in=list(link.responses.values_list("pk", flat=True)[:3])).delete()
    response = login("lead", history).get(DASHBOARD, {"sort": "team"})
    figures = {row.team_name: row.feedback for row in response.context["rows"]}
    assert figures["Radiology team"].withheld is True
    assert sum(f.withheld for f in figures.values()) == 2
    # Each says why: the small group for its size, its sibling to protect it.
    assertContains(response, 'Not shown<span class="visually-hidden">: fewer than 5 responses</span>', count=1)
    assertContains(
        response,
        'Not shown<span class="visually-hidden">, so that a smaller group’s answers cannot be worked out</span>',
        count=1,
    )


def test_dashboard_filters_by_site_cohort_and_status(login, history):
    client = login("lead", history)
    education = history.enrolment
    assert team_names(client.get(DASHBOARD, {"site": education.team.site_id})) == ["Education support team"]
    other_cohort = factories.CohortFactory(name="Spring cohort")
    extra_team(other_cohort, history.coach, name="Radiology team")
    assert team_names(client.get(DASHBOARD, {"cohort": other_cohort.pk})) == ["Radiology team"]
    response = client.get(DASHBOARD, {"cohort": education.cohort_id, "sort": "team"})
    assert team_names(response) == ["Education support team", "Pharmacy team"]
    assertContains(response, "2 teams match the filters.")
    history.other_enrolment.status = EnrolmentStatus.COMPLETED
    history.other_enrolment.save()
    assert team_names(client.get(DASHBOARD, {"status": "completed"})) == ["Pharmacy team"]
    # "Overdue": the next session is overdue (the completed team has no next session).
    assert team_names(client.get(DASHBOARD, {"status": "overdue", "sort": "team"})) == [
        "Education support team",
        "Radiology team",
    ]


def test_dashboard_sorts_by_each_column_with_empty_values_last(login, history):
    client = login("lead", history)
    assert team_names(client.get(DASHBOARD, {"sort": "team"})) == ["Education support team", "Pharmacy team"]
    assert team_names(client.get(DASHBOARD, {"sort": "-team"})) == ["Pharmacy team", "Education support team"]
    assert team_names(client.get(DASHBOARD, {"sort": "overdue"})) == ["Education support team", "Pharmacy team"]
    assert team_names(client.get(DASHBOARD, {"sort": "-positive"})) == ["Education support team", "Pharmacy team"]
    # Pharmacy has no checklist: last whichever way adoption is sorted.
    assert team_names(client.get(DASHBOARD, {"sort": "adoption"})) == ["Education support team", "Pharmacy team"]
    assert team_names(client.get(DASHBOARD, {"sort": "-adoption"})) == ["Education support team", "Pharmacy team"]
    for key in ("site", "cohort", "week", "held", "next", "slots", "sustained", "responses"):
        for sort in (key, f"-{key}"):
            assert len(team_names(client.get(DASHBOARD, {"sort": sort}))) == 2


def test_dashboard_sort_links_keep_the_filters_and_say_the_order(login, history):
    site = history.enrolment.team.site_id
    response = login("lead", history).get(DASHBOARD, {"site": site, "sort": "team"})
    html = response.content.decode()
    # The sorted column says so (aria-sort), and its link turns the order round.
    assertInHTML(
        f"""<th scope="col" aria-sort="ascending">
        <a href="?site={site}&amp;sort=-team">Team<span aria-hidden="true"> ▲</span></a></th>""",
        html,
    )
    assertInHTML(f'<th scope="col"><a href="?site={site}&amp;sort=site">Site</a></th>', html)
    # A numeric column is right-aligned; sorted descending, it says so and its link sorts ascending.
    assertInHTML(
        f'<th scope="col" class="text-end"><a href="?site={site}&amp;sort=held">Sessions held / due</a></th>', html
    )
    html = login("lead", history).get(DASHBOARD, {"sort": "-overdue"}).content.decode()
    assertInHTML(
        """<th scope="col" aria-sort="descending" class="text-end">
        <a href="?sort=overdue">Overdue<span aria-hidden="true"> ▼</span></a></th>""",
        html,
    )


def test_dashboard_rows_formatted_once_a_page_read_as_each_row_alone(history):
    """The page's rows share one Memo of formatted dates and percentages: each row reads as it
    does rendered on its own."""
    for n in range(4):
        extra_team(history.enrolment.cohort, history.coach, name=f"Extra team {n}")
    rows = dashboard_page(user=history.lead, today=dt.date(2025, 11, 19)).rows
    assert len(rows) == 6
    links = {"team_link": link_of("programmes:team"), "session_link": link_of("programmes:session")}
    assert progress_rows(rows) == "".join(progress_row(row, **links) for row in rows)
    assert sum(1 for row in rows if row.next_session) >= 2  # dates shared between rows


def test_memo_works_each_value_out_once_and_keeps_types_apart():
    calls = []

    def shown(value, places):
        calls.append((value, places))
        return f"{value}/{places}"

    memo = Memo()
    assert [memo(shown, 100.0, 0), memo(shown, 100.0, 0), memo(shown, Decimal("100.0"), 0)] == [
        "100.0/0",
        "100.0/0",
        "100.0/0",
    ]
    assert calls == [(100.0, 0), (Decimal("100.0"), 0)]
    assert type(calls[1][0]) is Decimal


@pytest.mark.parametrize(
    "query",
    [
        {"site": "abc"},
        {"site": "999999"},
        {"cohort": "1; drop table"},
        {"status": "lost"},
        {"sort": "password"},
        {"sort": "--team"},
    ],
)
def test_dashboard_bad_filters_are_ignored_with_a_message(login, history, query):
    response = login("lead", history).get(DASHBOARD, query)
    assert response.status_code == 200
    assert sorted(team_names(response)) == ["Education support team", "Pharmacy team"]
    assertContains(response, "were not recognised and have been ignored")
    assertContains(response, "<title>Error: Progress dashboard – QMS Coach</title>")


def test_dashboard_bad_filter_keeps_the_good_ones(login, history):
    response = login("lead", history).get(DASHBOARD, {"site": history.enrolment.team.site_id, "sort": "nonsense"})
    assert team_names(response) == ["Education support team"]
    assert response.context["ignored"] == ["sort"]


def test_dashboard_week_labels_not_started_and_past_12(login, history):
    planned = factories.EnrolmentFactory(
        cohort=history.enrolment.cohort,
        coach=history.coach,
        team__name="Theatres team",
        status=EnrolmentStatus.PLANNED,
        session1_date=history.enrolment.session1_date,
    )
    factories.make_sessions(planned)
    late = factories.EnrolmentFactory(
        cohort=factories.CohortFactory(), coach=history.coach, team__name="PRH team", session1_date=dt.date(2025, 7, 1)
    )
    factories.make_sessions(late)
    response = login("manager", history).get(DASHBOARD)
    labels = {row.team_name: row.week_label for row in response.context["rows"]}
    assert labels["Theatres team"] == "not started"
    assert labels["PRH team"] == "week 21 (past 12)"  # 1 July to 19 November: 141 days
    assert labels["Education support team"] == "week 9 of 12"
    assertContains(response, "Week 21 (past 12)")
    assertContains(response, "Not started")


def test_dashboard_coach_with_no_teams_is_told_so(client, personas, today):
    client.force_login(factories.CoachFactory(username="newcoach"))
    response = client.get(DASHBOARD)
    assertContains(response, "No teams to show.")
    assertContains(response, '<p id="team-count" role="status">0 teams.</p>', html=True)


@pytest.mark.parametrize("extra_teams", [0, 6])
def test_dashboard_query_count_does_not_grow_with_teams(client, django_assert_num_queries, history, extra_teams):
    for n in range(extra_teams):
        extra_team(history.enrolment.cohort, history.coach if n % 2 else history.other_coach)
    client.force_login(history.lead)
    # 1 session, 2 user, 3 groups, 4 sites, 5 cohorts (filter choices), 6 the summary with the count
    # of matching teams, 7 the page's rows, 8-9 the feedback figures of the page's teams, 10 the
    # rows' details and sessions due by today, 11-13 their huddles (test_dashboard_pages.py checks
    # every sort).
    with django_assert_num_queries(13):
        response = client.get(DASHBOARD, {"sort": "-adoption"})
    assert len(response.context["rows"]) == 2 + extra_teams


# --- The aim page and the cohort pages -------------------------------------------------------------


def test_aim_page_shows_the_aim_and_each_measure_with_how_it_was_computed(login, history):
    response = login("lead", history).get(AIM)
    html = response.content.decode()
    assertContains(response, "A comprehensive training package by 31 March 2026")
    page = response.context["page"]
    measures = {m.key: m for m in page.measures}
    assert (measures["positive"].numerator, measures["positive"].denominator) == (9, 11)
    assert measures["positive"].figure == "81.8%"
    assert (measures["slots"].numerator, measures["slots"].denominator) == (1, 2)
    assert measures["on_time"].figure == "None due yet"  # 12-week reviews are due on 8 December
    assert measures["sustained"].figure == "No 12-week checklist yet"
    assert measures["version"].figure == "Version 0.9"
    # One team's first coaching session came 7 days after session 1; the other has waited past 21 days.
    first = measures["first_coaching"]
    assert (first.figure, first.numerator, first.denominator) == ("7 days", 1, 2)
    assert "1 team still waiting after more than 21 days" in first.detail
    assertInHTML('<p class="measure-figure mb-1" data-measure="slots">50%</p>', html)
    assertContains(response, "1 of 2 teams that have held session 1 agreed their coaching slots on or before that day.")
    assertContains(response, "<strong>How it is computed:</strong>", count=6)
    cohort = history.enrolment.cohort
    assertInHTML(f'<th scope="row"><a href="/dashboard/cohorts/{cohort.pk}/">Autumn cohort</a></th>', html)


@pytest.mark.parametrize("extra_teams", [0, 5])
def test_aim_page_query_count_does_not_grow_with_teams(client, django_assert_num_queries, history, extra_teams):
    for _ in range(extra_teams):
        extra_team(factories.CohortFactory(), history.coach)
    client.force_login(history.manager)
    # 1 session, 2 user, 3 groups, 4 the feedback figures, 5 programme versions, 6 this page's
    # cohorts with their count, 7 the measures counted in SQL (overall and this page's cohorts), 8-11
    # the Trust-wide chart series (dashboards.series.trust_series).
    with django_assert_num_queries(11):
        response = client.get(AIM)
    assert response.context["page"].team_count == 2 + extra_teams
    assert len(response.context["page"].cohorts) == 1 + extra_teams


def test_aim_page_pages_its_cohorts_newest_first(login, history):
    for n in range(21):
        extra_team(
            factories.CohortFactory(name=f"Cohort {n:02}", start_date=dt.date(2025, 1, 1) + dt.timedelta(n)),
            history.coach,
        )
    client = login("lead", history)
    first = client.get(AIM)
    page = first.context["page"]
    assert (page.cohort_count, len(page.cohorts)) == (22, 20)
    assert [row.cohort.name for row in page.cohorts][:2] == ["Autumn cohort", "Cohort 20"]
    assertContains(first, "Newest first: cohorts 1 to 20 of 22.")
    assertContains(first, 'href="?page=2" rel="next"')
    assertContains(first, "Measured across 23 teams in 22 cohorts")
    second = client.get(AIM, {"page": 2})
    assert [row.cohort.name for row in second.context["page"].cohorts] == ["Cohort 01", "Cohort 00"]
    # The measures above the table are over every team, whichever page.
    assert [m.figure for m in second.context["page"].measures] == [m.figure for m in page.measures]
    assert client.get(AIM, {"page": "nope"}).context["page"].cohort_page.number == 1
    # Past the last page, or below the first: the last page, as Django's Paginator.get_page.
    for past in ("3", "99", "0", "-1"):
        paged = client.get(AIM, {"page": past}).context["page"]
        assert (paged.cohort_page.number, [row.cohort.name for row in paged.cohorts]) == (2, ["Cohort 01", "Cohort 00"])


def test_cohort_page_shows_measures_and_tool_by_team_heatmap(login, history):
    response = login("lead", history).get(cohort_url("cohort", history))
    html = response.content.decode()
    page = response.context["page"]
    assert [row.row.enrolment.team.name for row in page.heatmap] == ["Education support team", "Pharmacy team"]
    assert [t.tool.name for t in page.tallies][:2] == ["Driver diagrams / aims", "Go and See"]
    assert [(t.sustained, t.embedding, t.not_yet, t.not_rated) for t in page.tallies][:3] == [
        (1, 0, 0, 1),
        (1, 0, 0, 1),
        (0, 1, 0, 1),
    ]
    assertInHTML(
        '<td class="level level-3">Most of the time<span class="sustainment-word">Sustained</span></td>', html, count=2
    )
    assertInHTML(
        '<td class="level level-0">Not at all<span class="sustainment-word">Not yet</span></td>', html, count=5
    )
    assertInHTML(
        '<td class="level level-none"><span aria-hidden="true">–</span>'
        '<span class="visually-hidden">Not rated yet</span></td>',
        html,
        count=9,
    )
    assertContains(response, "1 of 2 teams have a checklist.")
    assertContains(response, f'href="/dashboard/cohorts/{history.enrolment.cohort_id}/report/"')


@pytest.mark.parametrize("extra_teams", [0, 5])
def test_cohort_pages_query_count_does_not_grow_with_teams(client, django_assert_num_queries, history, extra_teams):
    for _ in range(extra_teams):
        extra_team(history.enrolment.cohort, history.coach)
    client.force_login(history.lead)
    # 1 session, 2 user, 3 groups, 4 the cohort with template and owner, 5 enrolments with their
    # stored figures, 6 sessions, 7 checklist standings, 8 every cohort's feedback totals, 9 session
    # plan, 10 tools, 11 programme versions, 12-16 the cohort's chart series (dashboards.series.cohort_series).
    with django_assert_num_queries(16):
        response = client.get(cohort_url("cohort", history))
    assert len(response.context["page"].heatmap) == 2 + extra_teams
    # The report: the same, and 12 the PDSA cycles, 13 the count of moved sessions.
    with django_assert_num_queries(13):
        response = client.get(cohort_url("cohort_report", history))
    assert len(response.context["page"].facts) == 2 + extra_teams


def test_cohort_report_reads_as_a_pdsa_write_up(login, history):
    cohort = history.enrolment.cohort
    PdsaCycle.objects.create(
        title="Agree coaching at session 1",
        plan="Book every coaching slot in session 1.",
        do="Tried with two teams.",
        study="Slots held better.",
        act="Adopt for every cohort.",
        decision=PdsaDecision.ADOPT,
        started_on="2025-09-22",
        decided_on="2025-11-17",
        cohort=cohort,
    )
    PdsaCycle.objects.create(title="Another cohort's cycle", started_on="2025-09-01", cohort=factories.CohortFactory())
    response = login("manager", history).get(cohort_url("cohort_report", history))
    html = response.content.decode()
    headings = [h for h in ("Aim", "Plan", "Do", "Study", "Act")]
    for heading in headings:
        assertContains(response, f'class="h3">{heading}</h2>')
    assert html.index(">Plan</h2>") < html.index(">Do</h2>") < html.index(">Study</h2>") < html.index(">Act</h2>")
    assertContains(response, "Book every coaching slot in session 1.")
    assertContains(
        response,
        "5 of 10 sessions due so far were held (20 planned in all);\n"
        "      0 cancelled; 5 overdue today, across 2 teams;",
    )
    assertInHTML(
        """<tr><th scope="row">Agree coaching at session 1</th>
        <td><strong>Adopt</strong>, <time datetime="2025-11-17">17 Nov 2025</time></td>
        <td>Adopt for every cohort.</td></tr>""",
        html,
    )
    assertNotContains(response, "Another cohort's cycle")
    assertContains(response, '<button type="button" class="btn btn-outline-primary print-hide" data-print hidden>')
    assertContains(response, "js/print.js")
    assertContains(response, "Most of the time")  # the checklist summary's column headings
    assertInHTML(
        '<tr><th scope="row">Driver diagrams / aims</th><td class="text-end">1</td><td class="text-end">0</td>'
        '<td class="text-end">0</td><td class="text-end">1</td></tr>',
        html,
    )


def test_cohort_report_print_stylesheet(client):
    from django.contrib.staticfiles import finders

    css = open(finders.find("dashboards/dashboards.css"), encoding="utf-8").read()
    assert "@media print" in css and "size: A4;" in css


# --- The sessions export ---------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_sessions_csv_one_row_per_session_iso_dates_and_derived_status(login, history):
    session_3 = history.enrolment.sessions.get(number=3)
    session_3.agreed_start = "2025-10-14T09:00:00+01:00"
    session_3.notes = "=HYPERLINK(1)"
    session_3.save()
    response = login("manager", history).get(reverse("sessions_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sessions.csv"'
    rows = read_csv(response)
    assert rows[0] == [
        "team",
        "site",
        "cohort",
        "coach",
        "session_number",
        "session_title",
        "kind",
        "due_date",
        "agreed_start",
        "held_on",
        "status",
        "attendees",
        "cancelled_reason",
        "times_moved",
        "notes",
    ]
    assert len(rows) == 1 + 20
    site = history.enrolment.team.site.code
    education = [r for r in rows[1:] if r[0] == "Education support team"]
    assert education[2] == [
        "Education support team",
        site,
        "Autumn cohort",
        "Cara Coach",
        "3",
        "Coaching: improvement board and huddle",
        "Coaching",
        "2025-10-13",
        "2025-10-14T09:00:00+01:00",
        "2025-10-13",
        "Held",
        "6",
        "",
        "0",
        "'=HYPERLINK(1)",
    ]
    assert [r[10] for r in education] == ["Held"] * 4 + ["Overdue"] + ["Planned"] * 5


def test_sessions_csv_coach_gets_only_their_own_teams(login, history):
    rows = read_csv(login("coach", history).get(reverse("sessions_csv")))
    assert {r[0] for r in rows[1:]} == {"Education support team"}
    assert len(rows) == 11


@pytest.mark.parametrize("extra_teams", [0, 4])
def test_sessions_csv_query_count_does_not_grow(client, django_assert_num_queries, history, extra_teams):
    for _ in range(extra_teams):
        extra_team(history.enrolment.cohort, history.coach)
    client.force_login(history.lead)
    # 1 session, 2 user, 3 groups, 4 the sessions with their teams, cohorts, coaches and move counts.
    with django_assert_num_queries(4):
        rows = read_csv(client.get(reverse("sessions_csv")))
    assert len(rows) == 1 + 10 * (2 + extra_teams)


# --- Links into the dashboards ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "coach", "lead"])
def test_navigation_has_the_dashboard_for_every_role(login, history, persona):
    response = login(persona, history).get(reverse("home"))
    assertContains(response, '<a class="nav-link" href="/dashboard/">Dashboard</a>', html=True)


def test_navigation_marks_the_dashboard_as_current(login, history):
    response = login("lead", history).get(DASHBOARD)
    assertContains(
        response, '<a class="nav-link active" href="/dashboard/" aria-current="page">Dashboard</a>', html=True
    )


def test_cohort_page_links_to_the_cohort_report_and_the_aim(login, history):
    cohort = Cohort.objects.get(pk=history.enrolment.cohort_id)
    response = login("lead", history).get(reverse("programmes:cohort", args=[cohort.pk]))
    assertContains(response, f'href="/dashboard/cohorts/{cohort.pk}/report/"')
    assertContains(response, f'href="/dashboard/cohorts/{cohort.pk}/"')
    assertContains(response, 'href="/dashboard/aim/"')
