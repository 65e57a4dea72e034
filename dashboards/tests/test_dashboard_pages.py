"""The dashboard at Trust scale: a summary of every visible team, pages of rows in the order asked
for, the page's cost flat in the number of teams, and every team's keys (read as plain values for
the summary, the filters and the order) equal to what its full row says."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from checklists.sustainment import sustained_run_length
from coaching.models import SlotsState
from coaching.selectors import attention_order
from programmes.models import Enrolment, EnrolmentStatus
from tests import factories

from ..selectors import (
    OVERDUE,
    PAGE_SIZE,
    SORTS,
    DashboardSummary,
    cohort_progress_rows,
    dashboard_page,
    filter_choices,
)
from .helpers import extra_team, hold, session

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboards:progress")


def names(rows) -> list[str]:
    return [row.team_name for row in rows]


def test_pages_of_teams_keep_the_attention_order_across_pages(history):
    cohort = history.enrolment.cohort
    for n in range(3):
        extra_team(cohort, history.coach, name=f"Extra team {n}")
    today = dt.date(2025, 11, 19)
    first = dashboard_page(user=history.manager, today=today, page=1, page_size=2)
    second = dashboard_page(user=history.manager, today=today, page=2, page_size=2)
    last = dashboard_page(user=history.manager, today=today, page=3, page_size=2)
    assert first.matching == 5
    assert first.page.paginator.num_pages == 3
    # Pharmacy team is 44 days overdue, the others 2 (ties keep the cohort, site, team order).
    assert names(first.rows)[0] == "Pharmacy team"
    everyone = names(first.rows) + names(second.rows) + names(last.rows)
    assert sorted(everyone) == sorted(
        ["Pharmacy team", "Education support team", "Extra team 0", "Extra team 1", "Extra team 2"]
    )
    assert len(set(everyone)) == 5


@pytest.mark.parametrize("asked", ["0", "99", "abc", "", None])
def test_a_page_out_of_range_or_not_a_number_shows_a_real_page(history, asked):
    page = dashboard_page(user=history.manager, today=dt.date(2025, 11, 19), page=asked, page_size=1)
    assert page.page.number in (1, 2)
    assert len(page.rows) == 1


def test_summary_counts_every_visible_team_whatever_the_filters(history):
    history.other_enrolment.status = EnrolmentStatus.WITHDRAWN
    history.other_enrolment.save()
    today = dt.date(2025, 11, 19)
    page = dashboard_page(user=history.manager, today=today, status=EnrolmentStatus.ACTIVE)
    assert names(page.rows) == ["Education support team"]
    summary = page.summary
    assert summary.teams == 2
    assert dict((value, n) for value, _, n in summary.by_status) == {
        "planned": 0,
        "active": 1,
        "completed": 0,
        "withdrawn": 1,
    }
    assert summary.overdue == 1  # a withdrawn team has no next session
    # A coach's summary is of their own teams only.
    mine = dashboard_page(user=history.coach, today=today).summary
    assert (mine.teams, mine.overdue) == (1, 1)


def test_summary_of_no_teams_counts_none_in_every_status(personas):
    page = dashboard_page(user=factories.CoachFactory(username="newcoach"), today=dt.date(2025, 11, 19))
    assert page.summary == DashboardSummary(
        teams=0,
        by_status=[(value, label, 0) for value, label in EnrolmentStatus.choices],
        overdue=0,
        slots_not_agreed=0,
    )
    assert (page.matching, page.rows) == (0, [])


def test_summary_counts_matching_teams_per_filter(history):
    """The count of matching teams comes with the summary (a row per status): each filter alone."""
    today = dt.date(2025, 11, 19)
    far = extra_team(history.enrolment.cohort, history.coach, site=factories.SiteFactory(code="ZZZ"), name="Far team")
    cohort = history.enrolment.cohort_id
    assert dashboard_page(user=history.manager, today=today).matching == 3
    assert dashboard_page(user=history.manager, today=today, site_id=far.team.site_id).matching == 1
    in_cohort = Enrolment.objects.filter(cohort_id=cohort).count()
    assert dashboard_page(user=history.manager, today=today, cohort_id=cohort).matching == in_cohort
    assert dashboard_page(user=history.manager, today=today, status=EnrolmentStatus.ACTIVE).matching == 3
    assert dashboard_page(user=history.manager, today=today, status=EnrolmentStatus.PLANNED).matching == 0
    overdue = dashboard_page(user=history.manager, today=today, status=OVERDUE)
    assert overdue.matching == overdue.summary.overdue == 3


def test_filter_choices_read_what_the_filters_show_in_two_queries(history, django_assert_num_queries):
    with django_assert_num_queries(3):  # the coach's groups, the sites, the cohorts with a team they see
        sites, cohorts = filter_choices(user=history.coach)
    with django_assert_num_queries(0):
        shown = [(s.pk, s.code, s.name) for s in sites], [(c.pk, c.name) for c in cohorts]
    assert shown[1] == [(history.enrolment.cohort_id, history.enrolment.cohort.name)]


def test_overdue_filter_and_summary_agree(history):
    today = dt.date(2025, 11, 12)  # the coach's session 5 (due 10 Nov) is in its grace days
    page = dashboard_page(user=history.manager, today=today, status=OVERDUE)
    assert names(page.rows) == ["Pharmacy team"]
    assert page.summary.overdue == page.matching == 1


def test_page_links_keep_the_filters_and_the_sort(login, history):
    cohort = history.enrolment.cohort
    for n in range(PAGE_SIZE + 3):
        extra_team(cohort, history.coach, name=f"Extra team {n:02}")
    client = login("manager", history)
    response = client.get(DASHBOARD, {"sort": "team", "cohort": cohort.pk})
    assert len(response.context["rows"]) == PAGE_SIZE == 25
    html = response.content.decode()
    assert f'href="?cohort={cohort.pk}&amp;sort=team&amp;page=2" rel="next"' in html
    assert "30 teams match the filters: showing 1 to 25, page 1 of 2." in html
    second = client.get(DASHBOARD, {"sort": "team", "cohort": cohort.pk, "page": 2})
    assert [r.team_name for r in second.context["rows"]] == [
        *(f"Extra team {n}" for n in range(24, 28)),
        "Pharmacy team",
    ]
    assert f'href="?cohort={cohort.pk}&amp;sort=team&amp;page=1" rel="prev"' in second.content.decode()
    # A sort link starts again at page 1.
    assert "page=2&amp;sort" not in second.content.decode()
    assert client.get(DASHBOARD, {"page": "x' OR 1=1"}).status_code == 200


@pytest.mark.parametrize("sort", ["", *SORTS, *(f"-{key}" for key in SORTS)])
def test_query_count_is_the_same_for_few_and_many_teams(client, django_assert_num_queries, history, sort):
    client.force_login(history.lead)
    # 1 session, 2 user, 3 groups, 4 sites, 5 cohorts (filter choices), 6 the summary with the count
    # of matching teams, 7 the page's rows, 8-9 the feedback figures of the page's teams (every
    # cohort's totals, the page's teams), 10 the rows' coaches, checklist standings and sessions due
    # by today, 11-13 the page's teams' huddles (their board sheets, huddle meetings and check-ins).
    # Sorted by a feedback figure: 6 the summary, 7 every team's feedback figures, 8 the matching
    # teams' ids and names, 9 the page's rows, 10 their details, 11-13 their huddles.
    queries = 13
    with django_assert_num_queries(queries):
        few = client.get(DASHBOARD, {"sort": sort})
    for n in range(PAGE_SIZE + 5):
        extra_team(history.enrolment.cohort, history.coach if n % 2 else history.other_coach)
    with django_assert_num_queries(queries):
        many = client.get(DASHBOARD, {"sort": sort})
    assert (len(few.context["rows"]), len(many.context["rows"])) == (2, PAGE_SIZE)


def _dashboard_facts(row):
    next_session = row.next_session
    return (
        row.week,
        row.held_count,
        row.sessions_due,
        (next_session.pk, next_session.number, next_session.days_scheduled_late) if next_session else None,
        row.is_overdue,
        row.days_overdue,
        row.slots,
        row.adoption_score,
        row.sustained_count,
        row.tool_count,
        row.positive_pct,
        row.responses,
        row.week_label,
        row.progress_weeks,
        row.coach_name,
        row.first_coaching,
    )


def _full_facts(row):
    next_session = row.team_row.next_session
    standing, coach = row.standing, row.enrolment.coach
    return (
        row.week,
        row.team_row.held_count,
        row.sessions_due,
        (next_session.pk, next_session.number, next_session.days_scheduled_late) if next_session else None,
        row.is_overdue,
        row.team_row.days_overdue,
        row.slots,
        standing.adoption_score if standing else None,
        standing.sustained_count if standing else None,
        standing.tool_count if standing else None,
        row.positive_pct,
        row.responses,
        row.week_label,
        row.progress_weeks,
        (coach.get_full_name() or coach.get_username()) if coach else None,
        row.first_coaching,
    )


LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    "today",
    [
        dt.date(2025, 9, 21),  # before session 1
        dt.date(2025, 9, 22),
        dt.date(2025, 11, 19),
        dt.date(2026, 3, 28),  # the weekend the clocks go forward
        dt.date(2026, 3, 30),
        dt.date(2026, 10, 26),  # the day after they go back
    ],
)
def test_every_dashboard_row_says_what_the_full_row_says(history, today):
    """The dashboard's rows (plain values for every team, two queries) say what the rows built from
    each team's sessions, fresh checklist standings and feedback figures say (as the cohort pages
    build them), on days around session 1, the grace days and the clock changes; for every persona."""
    cohort = history.enrolment.cohort
    withdrawn = extra_team(cohort, history.coach, name="Withdrawn")
    withdrawn.status = EnrolmentStatus.WITHDRAWN
    withdrawn.save()
    planned = factories.EnrolmentFactory(cohort=cohort, coach=None, status=EnrolmentStatus.PLANNED)
    factories.make_sessions(planned)
    moved = extra_team(cohort, history.other_coach, name="Agreed late")
    s5 = session(moved, 5)
    # Agreed for 22:30 London on the Saturday before the clocks go forward: its London day counts.
    s5.agreed_start = dt.datetime(2026, 3, 28, 22, 30, tzinfo=LONDON)
    s5.save(update_fields=["agreed_start"])
    cancelled = extra_team(cohort, history.other_coach, name="Cancelled five")
    s5 = session(cancelled, 5)
    s5.cancelled = True
    s5.save(update_fields=["cancelled"])
    hold(cancelled, 6)
    for persona in ("manager", "coach", "other_coach", "lead"):
        user = getattr(history, persona)
        with time_machine.travel(dt.datetime.combine(today, dt.time(9), tzinfo=LONDON), tick=False):
            page = dashboard_page(user=user, today=today, page_size=100)
            full = cohort_progress_rows(user=user, cohort=cohort, today=today, run_length=sustained_run_length())
        assert {r.pk: _dashboard_facts(r) for r in page.rows} == {r.enrolment.pk: _full_facts(r) for r in full.rows}
        # The summary's counts (SQL twins of the rules) agree with the rows' (the Python rules).
        summary = page.summary
        assert summary.overdue == sum(1 for r in full.rows if r.is_overdue)
        assert summary.slots_not_agreed == sum(
            1 for r in full.rows if r.slots == SlotsState.NOT_AGREED and not r.team_row.is_finished
        )
        assert dict((value, n) for value, _, n in summary.by_status) == {
            value: sum(1 for r in full.rows if r.enrolment.status == value) for value in EnrolmentStatus.values
        }


def _reference_order(rows, sort: str, today: dt.date) -> list[int]:
    """The documented orders, in plain Python over the full rows (the dashboard orders in SQL)."""
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    values = {
        "team": lambda r: (r.enrolment.team.name.lower(), r.enrolment.team.site.code),
        "site": lambda r: (r.enrolment.team.site.code, r.enrolment.team.name.lower()),
        "cohort": lambda r: (r.enrolment.cohort.start_date, r.enrolment.cohort.name),
        # A later session 1 is an earlier week.
        "week": lambda r: None if r.week is None else -r.enrolment.session1_date.toordinal(),
        "held": lambda r: (r.team_row.held_count, r.sessions_due),
        "next": lambda r: r.team_row.next_session.due_date if r.team_row.next_session else None,
        "overdue": lambda r: r.team_row.days_overdue,
        "slots": lambda r: r.slots,
        "adoption": lambda r: r.standing.adoption_score if r.standing else None,
        "sustained": lambda r: r.standing.sustained_count if r.standing else None,
        "positive": lambda r: r.positive_pct,
        "responses": lambda r: r.responses,
    }
    if key not in values:
        ordered = sorted(
            rows,
            key=lambda r: (
                attention_order(
                    r.team_row, slots_to_agree=r.slots == SlotsState.NOT_AGREED and not r.team_row.is_finished
                ),
                r.enrolment.cohort.start_date,
                r.enrolment.team.site.code,
                r.enrolment.team.name,
                r.enrolment.pk,
            ),
        )
        return [r.enrolment.pk for r in ordered]
    value = values[key]
    tie = sorted(rows, key=lambda r: (r.enrolment.team.name.lower(), r.enrolment.pk))
    with_value = [r for r in tie if value(r) is not None]
    with_value.sort(key=value, reverse=descending)
    return [r.enrolment.pk for r in with_value] + [r.enrolment.pk for r in tie if value(r) is None]


@pytest.mark.parametrize("sort", ["", *SORTS, *(f"-{key}" for key in SORTS)])
def test_every_sort_orders_as_its_rule_says(history, sort):
    cohort = history.enrolment.cohort
    today = dt.date(2025, 11, 19)
    for n, coach in enumerate([history.coach, history.other_coach, None, history.coach]):
        team = extra_team(cohort, coach or history.coach, name=f"{'Beta' if n % 2 else 'alpha'} team {n}")
        if n == 1:
            hold(team, 5)
        if n == 2:
            team.coach = None
            team.save()
    late = factories.EnrolmentFactory(cohort=cohort, coach=history.coach, session1_date=dt.date(2025, 10, 6))
    factories.make_sessions(late)
    for persona in ("manager", "lead"):
        user = getattr(history, persona)
        with time_machine.travel(dt.datetime.combine(today, dt.time(9), tzinfo=LONDON), tick=False):
            page = dashboard_page(user=user, today=today, sort=sort, page_size=100)
            full = cohort_progress_rows(user=user, cohort=cohort, today=today, run_length=sustained_run_length())
        assert [r.pk for r in page.rows] == _reference_order(full.rows, sort, today)
