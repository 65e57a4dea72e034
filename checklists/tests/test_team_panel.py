"""The team page's checklists panel: every enrolment the person may see, latest cohort first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from checklists.selectors import team_checklist_summaries, team_checklist_summary
from programmes.models import EnrolmentStatus
from tests import factories

from .helpers import hold, save_checklist, session_number

pytestmark = pytest.mark.django_db


def _earlier_enrolment(team, *, coach, name="Spring cohort", session1=dt.date(2025, 3, 3)):
    """A finished enrolment of the team in an earlier cohort, with its sessions."""
    enrolment = factories.EnrolmentFactory(
        team=team,
        coach=coach,
        cohort=factories.CohortFactory(name=name, start_date=session1),
        session1_date=session1,
        status=EnrolmentStatus.COMPLETED,
    )
    factories.make_sessions(enrolment)
    return enrolment


def _headings(html: str) -> list[str]:
    return re.findall(r'<h3 id="cohort-checklists-\d+-heading" class="h5">([^<]+)</h3>', html)


def test_team_page_shows_each_cohorts_checklists_latest_first(login, personas):
    team = personas.enrolment.team
    spring = _earlier_enrolment(team, coach=personas.other_coach)
    save_checklist(hold(session_number(spring, 7)), personas.other_coach, 3, note="Huddles every morning now")
    save_checklist(hold(session_number(personas.enrolment, 2)), personas.coach, 1, note="Board moved to the office")

    response = login("manager", personas).get(reverse("programmes:team", args=[team.pk]))

    html = response.content.decode()
    assert _headings(html) == ["Autumn cohort", "Spring cohort"]  # latest first
    assert "No checklists have been filled in" not in html  # the earlier 12-week checklist is not hidden
    # Each cohort says its status and coach, and has its own heatmap and notes.
    assert html.index("Active; coach: Cara Coach;") < html.index("Completed; coach: Omar Other;")
    assertContains(response, f'id="tool-usage-heading-{personas.enrolment.pk}"', count=1)
    assertContains(response, f'id="tool-usage-heading-{spring.pk}"', count=1)
    assertContains(response, '<table class="table table-bordered heatmap align-middle">', count=2)
    assertContains(response, f'id="session-{session_number(spring, 7).pk}"', count=1)
    assertContains(response, "adoption score 33%.", count=1)  # Autumn's latest checklist
    assertContains(response, "adoption score 100%.", count=1)  # Spring's
    assertContains(response, "Huddles every morning now", count=1)
    assertContains(response, "Board moved to the office", count=1)
    assert html.index("Board moved to the office") < html.index("Huddles every morning now")
    assertContains(response, 'rel="stylesheet" href="/static/checklists/checklists.css"', count=1)
    # One adoption-score chart across both cohorts: a point per checklist.
    assertContains(response, f'id="team-{team.pk}-adoption-chart-title"', count=1)
    assertContains(response, '<th scope="row">Session 7, Spring cohort (19 May 2025)</th>', count=1)
    assertContains(response, '<th scope="row">Session 2, Autumn cohort (29 Sep 2025)</th>', count=1)


def test_team_page_coach_does_not_see_another_coachs_earlier_cohort(login, personas):
    team = personas.enrolment.team
    spring = _earlier_enrolment(team, coach=personas.other_coach)
    save_checklist(hold(session_number(spring, 7)), personas.other_coach, 3, note="Spring secret note")

    response = login("coach", personas).get(reverse("programmes:team", args=[team.pk]))

    assert _headings(response.content.decode()) == ["Autumn cohort"]
    assertNotContains(response, "Spring cohort")
    assertNotContains(response, "Spring secret note")
    assertNotContains(response, f'id="tool-usage-heading-{spring.pk}"')
    # The coach's own earlier cohort is theirs to see, and to fill in.
    mine = _earlier_enrolment(team, coach=personas.coach, name="Winter cohort", session1=dt.date(2024, 11, 4))
    held = hold(session_number(mine, 2))
    response = login("coach", personas).get(reverse("programmes:team", args=[team.pk]))
    assert _headings(response.content.decode()) == ["Autumn cohort", "Winter cohort"]
    assertContains(response, f'href="{reverse("checklists:checklist", args=[held.pk])}"')
    # The other coach sees their own cohort only.
    other = login("other_coach", personas).get(reverse("programmes:team", args=[team.pk]))
    assert _headings(other.content.decode()) == ["Spring cohort"]
    assertContains(other, "Spring secret note")


def test_team_page_lead_reads_every_cohort_without_links_to_fill_in(login, personas):
    team = personas.enrolment.team
    spring = _earlier_enrolment(team, coach=personas.other_coach)
    held = hold(session_number(spring, 3))
    response = login("lead", personas).get(reverse("programmes:team", args=[team.pk]))
    assert _headings(response.content.decode()) == ["Autumn cohort", "Spring cohort"]
    assertNotContains(response, f'href="{reverse("checklists:checklist", args=[held.pk])}"')


@pytest.mark.parametrize("earlier", [0, 3])
def test_team_page_query_count_does_not_grow_with_cohorts_or_checklists(
    client, django_assert_max_num_queries, personas, earlier
):
    team = personas.enrolment.team
    save_checklist(hold(session_number(personas.enrolment, 2)), personas.coach, 2)
    for n in range(earlier):
        old = _earlier_enrolment(team, coach=personas.coach, name=f"Old cohort {n}", session1=dt.date(2024 - n, 3, 4))
        for number in (2, 3, 4):
            save_checklist(hold(session_number(old, number)), personas.coach, n % 4, note=f"Note {n}.{number}")
    client.force_login(personas.manager)
    client.get(reverse("programmes:team", args=[team.pk]))  # the first view makes the team's calendar feed
    # 1 session, 2 user, 3 the team with its site, 4 groups, 5 meetings, 6 enrolments with cohort
    # and coach, 7 their sessions with plans, 8 their coaching agreements, 9-11 every enrolment's
    # checklists (sessions, ratings, tools), 12-13 the adoption-score chart's checklists and PDSA
    # cycles (dashboards.team_chart), 14-17 the huddles at the board, 18 the team's calendar feed.
    with django_assert_max_num_queries(18):
        response = client.get(reverse("programmes:team", args=[team.pk]))
    assert len(_headings(response.content.decode())) == earlier + 1


def test_team_checklist_summaries_keep_each_enrolments_own_checklists(personas, django_assert_num_queries):
    team = personas.enrolment.team
    spring = _earlier_enrolment(team, coach=personas.coach)
    save_checklist(hold(session_number(spring, 2)), personas.coach, 3)
    save_checklist(hold(session_number(spring, 3)), personas.coach, 3)
    save_checklist(hold(session_number(personas.enrolment, 2)), personas.coach, 0)
    with django_assert_num_queries(3):  # sessions, ratings, tools
        autumn_summary, spring_summary = team_checklist_summaries(enrolments=[personas.enrolment, spring], run_length=2)
    assert autumn_summary.enrolment == personas.enrolment
    assert [c.session.number for c in spring_summary.columns] == [2, 3]
    assert spring_summary.sustained_count == 9
    assert spring_summary.latest_adoption_score == 100
    assert [c.session.number for c in autumn_summary.columns if c.checklist] == [2]
    assert autumn_summary.latest_adoption_score == 0
    assert autumn_summary.sustained_count == 0
    # The same as the one-enrolment summary.
    single = team_checklist_summary(enrolment=spring, run_length=2)
    assert [(c.session.pk, c.adoption_score, c.sustained_count) for c in single.columns] == [
        (c.session.pk, c.adoption_score, c.sustained_count) for c in spring_summary.columns
    ]
    assert team_checklist_summaries(enrolments=[], run_length=2) == []
