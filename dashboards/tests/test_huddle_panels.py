"""Huddles at the board, where staff see them: the team page's panel (the kind of board, the weeks
with a huddle, a stop, the weekly run chart, the sheet for coaches and managers) and the dashboard's
column and summary, and the checklist page's box beside the huddle rating. Today is Thursday 26
November 2026; the team's huddle is on Mondays."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from core.dates import LONDON
from dashboards.templatetags.progress_table import huddles_cell
from programmes.models import HuddleBoard, HuddleCheckIn, ImprovementBoard
from programmes.selectors.huddles import team_huddles
from tests import factories

D = dt.date
TODAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
BOARD_FINDING = "A team that tried a virtual improvement board stopped holding its huddle"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


SHEET_DAY = D(2026, 10, 26)


def give_board(team, *, check_ins, board=ImprovementBoard.PHYSICAL, sheet_on=SHEET_DAY):
    """A Monday huddle from 26 October 2026, the board sheet printed that day, and these check-ins."""
    team.improvement_board = board
    team.save()
    factories.TeamMeetingFactory(team=team, name="Board huddle", weekday=0, first_date=D(2026, 10, 26), is_huddle=True)
    sheet = HuddleBoard.objects.create(team=team)
    HuddleBoard.objects.filter(pk=sheet.pk).update(created_at=dt.datetime.combine(sheet_on, dt.time(9), tzinfo=LONDON))
    HuddleCheckIn.objects.bulk_create(HuddleCheckIn(team=team, held_on=day) for day in check_ins)


@pytest.fixture
def stopped(personas):
    """The coach's team: huddles on 26 October and 2 and 9 November, none on 16 or 23 November."""
    team = personas.enrolment.team
    give_board(team, check_ins=[D(2026, 10, 26), D(2026, 11, 2), D(2026, 11, 9)])
    return team


def team_url(team) -> str:
    return reverse("programmes:team", args=[team.pk])


@pytest.mark.django_db
def test_team_page_shows_the_rhythm_the_stop_and_the_chart(client, personas, stopped):
    client.force_login(personas.coach)
    page = client.get(team_url(stopped)).content.decode()
    assert "Physical improvement board" in page
    rhythm = re.sub(r"\s+", " ", re.search(r'id="huddle-rhythm">(.*?)</p>', page, re.S).group(1))
    assert "in <strong>3 of 5 weeks</strong> with huddles planned" in rhythm
    assert '<time datetime="2026-10-26">26 October 2026</time>' in rhythm
    assert 'id="huddle-stopped"' in page and '<time datetime="2026-11-16">16 November 2026</time>' in page
    chart = re.search(r'<svg[^>]*id="team-\d+-huddle-chart[^"]*"', page) or re.search(r"team-\d+-huddle-chart", page)
    assert chart, "the weekly run chart"
    assert page.count("From Mon ") >= 5  # a point per week with a huddle planned, each labelled
    assert "From Mon 16 Nov 2026: 0 of 1 planned day checked in" in page
    assert reverse("feedback:huddle_sheet", args=[stopped.pk]) in page  # the coach prints the sheet
    assert BOARD_FINDING not in page
    assert 'id="huddle-notes"' not in page  # nothing typed at the board yet
    HuddleCheckIn.objects.filter(team=stopped, held_on=D(2026, 11, 9)).update(people=6, note="Idea: <move> the board")
    page = client.get(team_url(stopped)).content.decode()
    notes = re.search(r'id="huddle-notes">(.*?)</ul>', page, re.S).group(1)
    assert '<time datetime="2026-11-09">Mon 9 Nov</time> (6 there): Idea: &lt;move&gt; the board' in notes


@pytest.mark.django_db
def test_a_lead_sees_the_rhythm_but_not_the_sheet(client, personas, stopped):
    client.force_login(personas.lead)
    page = client.get(team_url(stopped)).content.decode()
    assert 'id="huddle-stopped"' in page
    assert reverse("feedback:huddle_sheet", args=[stopped.pk]) not in page


@pytest.mark.django_db
def test_a_virtual_board_says_so_with_the_finding(client, personas):
    team = personas.enrolment.team
    give_board(team, board=ImprovementBoard.VIRTUAL, check_ins=[D(2026, 10, 26)])
    client.force_login(personas.manager)
    page = client.get(team_url(team)).content.decode()
    assert "Virtual improvement board" in page
    assert BOARD_FINDING in page
    assert 'id="huddle-stopped"' not in page and 'id="huddle-rhythm"' not in page


@pytest.mark.django_db
def test_a_physical_board_without_a_sheet(client, personas):
    team = personas.enrolment.team
    team.improvement_board = ImprovementBoard.PHYSICAL
    team.save()
    client.force_login(personas.coach)
    page = client.get(team_url(team)).content.decode()
    assert "No board sheet printed yet" in page


@pytest.mark.django_db
def test_dashboard_row_and_summary(client, personas, stopped):
    other = personas.other_enrolment.team  # no board recorded
    client.force_login(personas.lead)
    response = client.get(reverse("dashboards:progress"))
    page = response.content.decode()
    rows = {row.team_id: row for row in response.context["rows"]}
    assert (
        huddles_cell(rows[stopped.pk].huddles)
        == '<strong>3 of 5 weeks</strong><br><span class="overdue-flag">Stopped</span>'
    )
    assert huddles_cell(rows[other.pk].huddles) == "No board"
    assert "<strong>1</strong> without a physical improvement board" in page
    assert BOARD_FINDING in page
    assert '<th scope="col" class="text-end">Huddles</th>' in page


@pytest.mark.django_db
def test_huddles_cell_in_words(personas):
    team = personas.enrolment.team
    give_board(team, check_ins=[D(2026, 10, 26), D(2026, 11, 16), D(2026, 11, 23)])
    huddles = team_huddles(team_ids=[team.pk], today=D(2026, 11, 26))[team.pk]
    assert huddles_cell(huddles) == "3 of 5 weeks"
    assert huddles_cell(None).startswith('<span aria-hidden="true">–</span>')
    team.improvement_board = ImprovementBoard.VIRTUAL
    team.save()
    assert huddles_cell(team_huddles(team_ids=[team.pk], today=D(2026, 11, 26))[team.pk]) == "Virtual board"
    HuddleBoard.objects.filter(team=team).delete()
    team.improvement_board = ImprovementBoard.PHYSICAL
    team.save()
    assert huddles_cell(team_huddles(team_ids=[team.pk], today=D(2026, 11, 26))[team.pk]) == "No board sheet yet"


@pytest.mark.django_db
def test_checklist_page_sets_the_board_beside_the_huddle_rating(client, personas, stopped):
    session = personas.enrolment.sessions.get(number=2)
    session.held_on = D(2026, 11, 19)  # a Thursday: the four weeks to it are 26 October to 16 November
    session.save()
    client.force_login(personas.coach)
    page = client.get(reverse("checklists:checklist", args=[session.pk])).content.decode()
    box = re.search(r'<div class="board-check-ins[^>]*>(.*?)</div>', page, re.S).group(1)
    lines = [" ".join(re.sub(r"<[^>]+>", "", li).split()) for li in re.findall(r"<li>(.*?)</li>", box, re.S)]
    assert lines == [
        "Week of 26 Oct: 1 check-in, 1 huddle day planned",
        "Week of 2 Nov: 1 check-in, 1 huddle day planned",
        "Week of 9 Nov: 1 check-in, 1 huddle day planned",
        "Week of 16 Nov: no check-in, 1 huddle day planned",
    ]
    # The box sits in the "Improvement huddle" row of the form, and only there.
    assert page.count('id="board-check-ins"') == 1
    huddle_row = re.search(r'<legend class="card-header h5 mb-0">Improvement huddle.*?</fieldset>', page, re.S).group(0)
    assert 'id="board-check-ins"' in huddle_row


@pytest.mark.django_db
def test_dashboard_and_team_page_queries_do_not_grow_with_teams_that_huddle(client, personas, stopped):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(personas.lead)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count(team_url(stopped))  # the first view of a team page makes its calendar feed
    few = count(reverse("dashboards:progress")), count(team_url(stopped))
    for _ in range(4):
        enrolment = factories.EnrolmentFactory(cohort=personas.enrolment.cohort, coach=personas.coach)
        give_board(enrolment.team, check_ins=[D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16)])
    assert (count(reverse("dashboards:progress")), count(team_url(stopped))) == few


@pytest.mark.django_db
def test_team_page_says_when_the_weeks_stop_short_of_an_old_sheet(client, personas):
    team = personas.enrolment.team
    give_board(team, sheet_on=D(2026, 3, 2), check_ins=[D(2026, 11, 23)])
    client.force_login(personas.manager)
    page = client.get(team_url(team)).content.decode()
    rhythm = " ".join(re.search(r'id="huddle-rhythm">(.*?)</p>', page, re.S).group(1).split())
    assert 'in the last 26 weeks (the sheet was printed on <time datetime="2026-03-02">2 March 2026</time>).' in rhythm
