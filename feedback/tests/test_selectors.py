"""Feedback figures: positive %, counts, mean rating and response rate per session, enrolment,
cohort and overall, and the minimum-group rule for leads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from core.roles import Role
from feedback.models import FeedbackLink
from feedback.selectors import FeedbackFigures, feedback_report, session_feedback_panel
from tests import factories

pytestmark = pytest.mark.django_db


def answer(link, could_improve="yes", rating=5, n=1):
    for _ in range(n):
        factories.FeedbackResponseFactory(link=link, could_improve=could_improve, rating=rating)


def held(enrolment, number, attendees):
    session = enrolment.sessions.get(number=number)
    session.held_on = session.due_date
    session.attendees = attendees
    session.save()
    return session


def test_session_figures_exact(personas):
    link = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    answer(link, "yes", 5, n=2)
    answer(link, "not_sure", 4)
    report = feedback_report(user=personas.manager)
    assert report.for_session(link.session_id) == FeedbackFigures(
        responses=3,
        yes=2,
        not_sure=1,
        no=0,
        positive_pct=Decimal("66.7"),
        mean_rating=Decimal("4.7"),
        attendees=8,
        response_rate_pct=Decimal("37.5"),
    )


def test_source_document_100_percent_positive_across_both_test_bed_teams(personas):
    """The test bed: every attendee said yes (RSH 8 and 5 answers, PRH 7 and 3)."""
    rsh, prh = personas.enrolment, personas.other_enrolment
    for enrolment, by_session in ((rsh, {1: (8, 8), 7: (5, 7)}), (prh, {1: (7, 7), 3: (3, 5)})):
        for number, (responses, attendees) in by_session.items():
            link = FeedbackLink.objects.create(session=held(enrolment, number, attendees))
            answer(link, "yes", 5, n=responses - 1)
            answer(link, "yes", 4)
    report = feedback_report(user=personas.manager)
    assert report.overall.positive_pct == Decimal("100.0")
    assert (report.overall.responses, report.overall.yes, report.overall.no) == (23, 23, 0)
    assert report.overall.attendees == 27
    assert report.overall.response_rate_pct == Decimal("85.2")  # 23 / 27 = 85.19
    assert report.overall.mean_rating == Decimal("4.8")  # (19 * 5 + 4 * 4) / 23 = 4.83
    assert report.for_enrolment(rsh.pk).positive_pct == Decimal("100.0")
    assert report.for_enrolment(rsh.pk).responses == 13
    assert report.for_enrolment(prh.pk).responses == 10
    assert report.for_cohort(rsh.cohort_id).positive_pct == Decimal("100.0")
    # A lead sees the same 100%. PRH's session 3 (3 answers) is hidden, and so is its session 1,
    # or PRH's 10 minus session 1's 7 would show session 3's answers.
    lead_report = feedback_report(user=personas.lead)
    assert lead_report.overall.positive_pct == Decimal("100.0")
    assert lead_report.for_session(prh.sessions.get(number=3).pk).withheld is True
    assert lead_report.for_session(prh.sessions.get(number=1).pk).withheld is True
    assert lead_report.for_enrolment(prh.pk).responses == 10
    assert lead_report.for_session(rsh.sessions.get(number=7).pk).responses == 5


def test_enrolment_cohort_and_overall_add_up_from_sessions(personas):
    spring = factories.EnrolmentFactory(coach=personas.coach, cohort__name="Spring cohort")
    factories.make_sessions(spring)
    a = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=4))
    b = FeedbackLink.objects.create(session=held(personas.enrolment, 2, attendees=None))
    c = FeedbackLink.objects.create(session=held(personas.other_enrolment, 1, attendees=10))
    d = FeedbackLink.objects.create(session=held(spring, 1, attendees=5))
    answer(a, "yes", 5, n=3)
    answer(a, "no", 1)
    answer(b, "not_sure", 3, n=2)  # attendees not recorded: counted, but not in the response rate
    answer(c, "yes", 4)
    answer(c, "no", 2, n=2)
    answer(d, "yes", 5, n=5)
    report = feedback_report(user=personas.manager)

    mine = report.for_enrolment(personas.enrolment.pk)
    assert (mine.responses, mine.yes, mine.not_sure, mine.no) == (6, 3, 2, 1)
    assert mine.positive_pct == Decimal("50.0")
    assert mine.mean_rating == Decimal("3.7")  # (15 + 1 + 6) / 6 = 3.67
    assert (mine.attendees, mine.response_rate_pct) == (4, Decimal("100.0"))

    theirs = report.for_enrolment(personas.other_enrolment.pk)
    assert (theirs.positive_pct, theirs.mean_rating, theirs.response_rate_pct) == (
        Decimal("33.3"),
        Decimal("2.7"),
        Decimal("30.0"),
    )
    autumn = report.for_cohort(personas.enrolment.cohort_id)
    assert (autumn.responses, autumn.positive_pct, autumn.mean_rating) == (9, Decimal("44.4"), Decimal("3.3"))
    assert (autumn.attendees, autumn.response_rate_pct) == (14, Decimal("50.0"))
    assert report.for_cohort(spring.cohort_id).positive_pct == Decimal("100.0")
    overall = report.overall
    assert (overall.responses, overall.yes, overall.not_sure, overall.no) == (14, 9, 2, 3)
    assert overall.positive_pct == Decimal("64.3")  # 9 / 14 = 64.29
    assert overall.mean_rating == Decimal("3.9")  # 55 / 14 = 3.93
    assert (overall.attendees, overall.response_rate_pct) == (19, Decimal("63.2"))  # 12 / 19
    assert [row.cohort.name for row in report.cohorts] == ["Autumn cohort", "Spring cohort"]


def test_percentages_round_half_up(personas):
    link = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=None))
    answer(link, "yes", 3)
    answer(link, "no", 3, n=15)
    figures = feedback_report(user=personas.manager).for_session(link.session_id)
    assert figures.positive_pct == Decimal("6.3")  # 1 / 16 = 6.25, not 6.2
    assert (figures.attendees, figures.response_rate_pct) == (None, None)


def test_no_responses_gives_no_percentages(personas):
    link = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    figures = feedback_report(user=personas.manager).for_session(link.session_id)
    assert (figures.responses, figures.positive_pct, figures.mean_rating) == (0, None, None)
    assert figures.response_rate_pct == Decimal("0.0")
    assert feedback_report(user=personas.manager).overall.positive_pct is None


def test_sessions_without_a_link_are_left_out(personas):
    held(personas.enrolment, 1, attendees=8)
    report = feedback_report(user=personas.manager)
    assert report.sessions == []
    assert report.overall.attendees is None


@pytest.mark.parametrize(("responses", "withheld"), [(4, True), (5, False)])
def test_lead_sees_figures_only_from_the_minimum_group(personas, responses, withheld):
    link = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    answer(link, "yes", 5, n=responses)
    report = feedback_report(user=personas.lead)
    for figures in (report.overall, report.for_session(link.session_id), report.for_enrolment(personas.enrolment.pk)):
        assert figures.withheld is withheld
        if withheld:
            assert figures == FeedbackFigures(withheld=True, min_group=5)
        else:
            assert (figures.responses, figures.positive_pct) == (5, Decimal("100.0"))


def test_lead_sees_a_big_enough_group_made_of_small_sessions(personas):
    small = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    other = FeedbackLink.objects.create(session=held(personas.enrolment, 2, attendees=8))
    answer(small, "yes", 5, n=3)
    answer(other, "no", 3, n=2)
    report = feedback_report(user=personas.lead)
    assert report.for_session(small.session_id).withheld is True
    assert report.for_session(other.session_id).withheld is True
    assert report.for_enrolment(personas.enrolment.pk).positive_pct == Decimal("60.0")


def test_minimum_group_is_a_setting(personas, settings):
    settings.QMS_FEEDBACK_MIN_GROUP = 2
    link = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    answer(link, "yes", 5, n=2)
    assert feedback_report(user=personas.lead).for_session(link.session_id).positive_pct == Decimal("100.0")


def test_coach_sees_own_small_groups_and_nothing_of_other_teams(personas):
    mine = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    theirs = FeedbackLink.objects.create(session=held(personas.other_enrolment, 1, attendees=8))
    answer(mine, "yes", 5)
    answer(theirs, "no", 1, n=6)
    report = feedback_report(user=personas.coach)
    assert [row.session.pk for row in report.sessions] == [mine.session_id]
    assert report.for_session(theirs.session_id) is None
    assert report.overall.responses == 1
    assert report.overall.positive_pct == Decimal("100.0")
    assert report.sessions[0].can_manage is True


def test_session_panel_for_coach_lead_and_without_a_link(personas, settings):
    settings.SITE_URL = "https://qms.example.nhs.uk"
    session = held(personas.enrolment, 1, attendees=8)
    assert session_feedback_panel(session=session, user=personas.coach).link is None
    link = FeedbackLink.objects.create(session=session)
    answer(link, "yes", 4, n=2)
    panel = session_feedback_panel(session=session, user=personas.coach)
    assert panel.url == f"https://qms.example.nhs.uk/feedback/{link.token}/"
    assert (panel.is_open, panel.can_manage) == (True, True)
    assert (panel.figures.responses, panel.figures.response_rate_pct) == (2, Decimal("25.0"))
    lead_panel = session_feedback_panel(session=session, user=personas.lead)
    assert (lead_panel.can_manage, lead_panel.figures.withheld) == (False, True)


def test_lead_sees_no_responses_as_none(personas):
    link = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    figures = feedback_report(user=personas.lead).for_session(link.session_id)
    assert (figures.withheld, figures.responses, figures.response_rate_pct) == (False, 0, Decimal("0.0"))


# --- A small group cannot be worked out from the figures around it --------------------------------

WITHHELD = FeedbackFigures(withheld=True, min_group=5)
# Big enough itself, hidden so that a smaller group cannot be worked out.
PROTECTING = FeedbackFigures(withheld=True, min_group=5, protects_smaller=True)


def test_small_session_and_its_smallest_sibling_are_hidden_from_a_lead(personas):
    big = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    small = FeedbackLink.objects.create(session=held(personas.enrolment, 2, attendees=8))
    answer(big, "yes", 5, n=7)
    answer(small, "no", 1, n=3)
    report = feedback_report(user=personas.lead)
    assert report.for_session(small.session_id) == WITHHELD
    assert report.for_session(big.session_id) == PROTECTING  # else 10 - 7 gives the small one away
    assert report.for_enrolment(personas.enrolment.pk).positive_pct == Decimal("70.0")
    assert feedback_report(user=personas.manager).for_session(big.session_id).responses == 7


def test_hidden_sessions_must_add_up_to_the_minimum(personas):
    links = [FeedbackLink.objects.create(session=held(personas.enrolment, n, attendees=9)) for n in (1, 2, 3, 4)]
    for link, n in zip(links, (2, 2, 6, 8), strict=True):
        answer(link, "yes", 4, n=n)
    report = feedback_report(user=personas.lead)
    shown = [report.for_session(link.session_id).responses for link in links]
    assert shown == [None, None, None, 8]  # 2 + 2 is too few, so the 6 goes too; the 8 can stay
    assert report.for_enrolment(personas.enrolment.pk).responses == 18


def test_hidden_team_is_not_rebuilt_from_its_sessions(personas, link, other_link):
    answer(link, "yes", 5, n=5)
    answer(other_link, "no", 1)
    report = feedback_report(user=personas.lead)
    assert report.for_enrolment(personas.other_enrolment.pk) == WITHHELD
    assert report.for_enrolment(personas.enrolment.pk) == PROTECTING  # else 6 - 5 gives the other team away
    assert report.for_session(link.session_id) == PROTECTING  # and its only session would show it
    assert report.for_cohort(personas.enrolment.cohort_id).responses == 6
    assert report.overall.positive_pct == Decimal("83.3")


def test_coach_who_is_also_a_lead_sees_own_team_but_not_a_total_hiding_a_small_group(personas, link, other_link):
    personas.coach.groups.add(Group.objects.get(name=Role.LEAD))
    coach = type(personas.coach).objects.get(pk=personas.coach.pk)
    answer(link, "yes", 5, n=10)
    answer(other_link, "no", 1)
    report = feedback_report(user=coach)
    assert report.for_session(link.session_id).responses == 10
    assert report.for_enrolment(personas.enrolment.pk).responses == 10
    assert report.for_session(other_link.session_id) == WITHHELD
    assert report.for_cohort(personas.enrolment.cohort_id) == WITHHELD  # 11 - 10 would give it away
    assert report.overall == WITHHELD


def test_lead_panel_hides_what_the_report_hides(personas):
    big = FeedbackLink.objects.create(session=held(personas.enrolment, 1, attendees=8))
    small = FeedbackLink.objects.create(session=held(personas.enrolment, 2, attendees=8))
    answer(big, "yes", 5, n=7)
    answer(small, "no", 1, n=3)
    assert session_feedback_panel(session=big.session, user=personas.lead).figures == PROTECTING
    assert session_feedback_panel(session=big.session, user=personas.coach).figures.responses == 7
