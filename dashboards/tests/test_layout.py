"""Layout fixes: the aim's deadline in words, the progress bar's states, the sticky team column."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from dashboards.measures import AIM_DATE, Deadline
from programmes.models import EnrolmentStatus

LONDON = ZoneInfo("Europe/London")


def test_aim_deadline_is_31_march_2026():
    assert AIM_DATE == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("today", "days_left", "passed", "words"),
    [
        (dt.date(2025, 11, 19), 132, False, "The deadline is 31 March 2026: 132 days to go."),
        (dt.date(2026, 3, 30), 1, False, "The deadline is 31 March 2026: 1 day to go."),
        (dt.date(2026, 3, 31), 0, False, "The deadline, 31 March 2026, is today."),
        (dt.date(2026, 4, 1), -1, True, "The deadline, 31 March 2026, passed 1 day ago."),
        (dt.date(2026, 12, 1), -245, True, "The deadline, 31 March 2026, passed 245 days ago."),
    ],
)
def test_deadline_words_count_the_days_from_today(today, days_left, passed, words):
    deadline = Deadline(date=AIM_DATE, today=today)
    assert deadline.days_left == days_left
    assert deadline.passed is passed
    assert deadline.words == words


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "words", "after"),
    [
        (dt.datetime(2026, 3, 1, 9, 0, tzinfo=LONDON), "The deadline is 31 March 2026: 30 days to go.", False),
        # Just after midnight in London on 1 April (still 31 March in UTC): the deadline has passed.
        (dt.datetime(2026, 4, 1, 0, 30, tzinfo=LONDON), "The deadline, 31 March 2026, passed 1 day ago.", True),
        (dt.datetime(2026, 6, 30, 9, 0, tzinfo=LONDON), "The deadline, 31 March 2026, passed 91 days ago.", True),
    ],
)
def test_aim_page_says_whether_the_deadline_has_passed(login, personas, now, words, after):
    with time_machine.travel(now, tick=False):
        response = login("lead", personas).get(reverse("dashboards:aim"))
    assertContains(response, f"<strong>{words}</strong>", count=1)
    if after:
        assertContains(response, "The figures below are as of today, after the deadline.")
    else:
        assertNotContains(response, "after the deadline")


@pytest.mark.django_db
def test_progress_bar_tells_completed_from_past_week_12(login, personas, today):
    # Both teams started on 22 September 2025; in late January they are in week 18.
    personas.other_enrolment.status = EnrolmentStatus.COMPLETED
    personas.other_enrolment.save(update_fields=["status"])
    with time_machine.travel(dt.datetime(2026, 1, 21, 10, 0, tzinfo=LONDON), tick=False):
        response = login("manager", personas).get(reverse("dashboards:progress"))
    html = response.content.decode()
    education = html[html.index('aria-label="Programme week, Education support team"') - 200 :]
    pharmacy = html[html.index('aria-label="Programme week, Pharmacy team"') - 200 :]
    assert '<div class="progress past-12" role="progressbar" aria-label="Programme week, Education' in education
    assert '<div class="progress qms-bar-completed" role="progressbar" aria-label="Programme week, Pharmacy' in pharmacy
    assertContains(response, '<span class="small">Week 18 (past 12)</span>', count=1)
    assertContains(response, '<span class="small">Completed</span>', count=1)


def test_stylesheet_gives_completed_and_past_12_their_own_colours():
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "qms.css").read_text()
    completed = css.split(".progress-table .progress.qms-bar-completed .progress-bar {", 1)[1].split("}", 1)[0]
    past = css.split(".progress-table .progress.past-12 .progress-bar {", 1)[1].split("}", 1)[0]
    assert "background-color: #006435;" in completed
    assert "background-color: #8a1538;" in past


@pytest.mark.django_db
def test_team_tables_keep_the_team_column_in_view(login, personas, today):
    progress = login("manager", personas).get(reverse("dashboards:progress"))
    assertContains(progress, 'class="table table-sm align-middle progress-table qms-sticky-first"', count=1)
    my_teams = login("coach", personas).get(reverse("coaching:my_teams"))
    assertContains(my_teams, 'class="table align-middle qms-sticky-first"', count=1)
