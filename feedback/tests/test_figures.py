"""feedback_figures: the figures per enrolment, cohort and overall without model instances, which
must be exactly what feedback_report gives at those levels, for every persona and whatever the
minimum-group rule hides, in one query; and enrolment_feedback_figures, the same for a page of teams."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.roles import is_manager
from feedback.models import CouldImprove, FeedbackLink, FeedbackResponse
from feedback.selectors import (
    FeedbackFigures,
    FeedbackTotals,
    enrolment_feedback_figures,
    feedback_figures,
    feedback_report,
)
from feedback.services import refresh_feedback_tallies
from programmes.access import enrolments_visible_to
from programmes.models import Enrolment
from tests import factories

pytestmark = pytest.mark.django_db

PERSONAS = ["manager", "coach", "other_coach", "lead"]
ANSWERS = [(CouldImprove.YES, 5), (CouldImprove.NOT_SURE, 3), (CouldImprove.NO, 1), (CouldImprove.YES, 4)]
SUBMITTED = factories.FeedbackResponseFactory.submitted_on


def answer(session, n: int, *, attendees: int | None = None, start: int = 0) -> FeedbackLink:
    """A link on the session and n answers (a mix of kinds and ratings), attendees as given."""
    session.attendees = attendees
    session.held_on = session.due_date
    session.save()
    link = FeedbackLink.objects.create(session=session)
    FeedbackResponse.objects.bulk_create(
        FeedbackResponse(
            link=link,
            could_improve=ANSWERS[(start + i) % len(ANSWERS)][0],
            rating=ANSWERS[(start + i) % len(ANSWERS)][1],
            submitted_on=SUBMITTED,
        )
        for i in range(n)
    )
    refresh_feedback_tallies([session.enrolment_id])  # a bulk insert sends no post_save
    return link


def as_levels(totals_or_report) -> dict:
    """The figures at the three levels feedback_figures gives, by id, for comparing the two reads."""
    if isinstance(totals_or_report, FeedbackTotals):
        return {
            "overall": totals_or_report.overall,
            "cohorts": totals_or_report.cohorts,
            "enrolments": totals_or_report.enrolments,
            "has_links": totals_or_report.has_links,
        }
    return {
        "overall": totals_or_report.overall,
        "cohorts": {row.cohort.pk: row.figures for row in totals_or_report.cohorts},
        "enrolments": {row.enrolment.pk: row.figures for row in totals_or_report.enrolments},
        "has_links": bool(totals_or_report.sessions),
    }


def assert_same_as_report(user) -> dict:
    """feedback_figures equals feedback_report at every level (and in the same order); returns them."""
    figures, report = as_levels(feedback_figures(user=user)), as_levels(feedback_report(user=user))
    assert figures == report
    assert list(figures["cohorts"]) == list(report["cohorts"])
    assert list(figures["enrolments"]) == list(report["enrolments"])
    # Asked for some cohorts' enrolments only: the same figures for those, and the same cohorts and
    # overall (what the rule hides among cohorts still sees them all).
    for cohort_ids in ([], *([pk] for pk in report["cohorts"]), list(report["cohorts"])[:2]):
        scoped = as_levels(feedback_figures(user=user, cohort_ids=cohort_ids))
        cohort_of = dict(Enrolment.objects.values_list("pk", "cohort_id"))
        assert scoped["overall"] == report["overall"]
        assert scoped["cohorts"] == report["cohorts"]
        assert list(scoped["cohorts"]) == list(report["cohorts"])
        assert scoped["enrolments"] == {pk: f for pk, f in report["enrolments"].items() if cohort_of[pk] in cohort_ids}
        assert scoped["has_links"] == report["has_links"]
        if len(cohort_ids) == 1:  # a cohort page: its teams as it read them (dashboards.selectors)
            loaded = list(
                enrolments_visible_to(user, Enrolment.objects.select_related("feedback_tally"))
                .filter(cohort_id__in=cohort_ids)
                .order_by("team__site__code", "team__name", "pk")
            )
            from_loaded = as_levels(feedback_figures(user=user, cohort_ids=cohort_ids, loaded=loaded))
            assert from_loaded == scoped
            assert list(from_loaded["enrolments"]) == list(scoped["enrolments"])
    # A page of teams (enrolment_feedback_figures, the dashboard's): the same figures for those
    # teams, whatever else is on the page; for a lead it reads every team of a cohort only where
    # the rule hides more than the teams too small to show.
    ids = list(Enrolment.objects.order_by("pk").values_list("pk", flat=True))
    for page in ([], *([pk] for pk in ids), ids[:2], ids[1:4], ids[::2], ids):
        expected = {pk: report["enrolments"][pk] for pk in page if pk in report["enrolments"]}
        cohorts = {cohort_of[pk] for pk in page}
        assert enrolment_feedback_figures(user=user, enrolment_ids=page, cohort_ids=cohorts) == expected
    return figures


@dataclass
class World:
    """Two cohorts: the personas' (the coach's team and the other coach's, plus a third team of the
    coach's) and a spring cohort with one team of each coach."""

    enrolments: list[Enrolment]

    def session(self, team: int, number: int):
        return self.enrolments[team].sessions.get(number=number)


@pytest.fixture
def world(personas) -> World:
    spring = factories.CohortFactory(owner=personas.manager, name="Spring cohort", start_date=SUBMITTED)
    extra = [
        factories.EnrolmentFactory(cohort=personas.enrolment.cohort, coach=personas.coach, team__name="Theatres team"),
        factories.EnrolmentFactory(cohort=spring, coach=personas.coach, team__name="Outpatients team"),
        factories.EnrolmentFactory(cohort=spring, coach=personas.other_coach, team__name="Radiology team"),
    ]
    for enrolment in extra:
        factories.make_sessions(enrolment)
    return World(enrolments=[personas.enrolment, personas.other_enrolment, *extra])


# --- Hand-made worlds: each exercises one part of the rule -------------------------------------

# Per world: {(team, session number): (responses, attendees)}; teams index World.enrolments.
WORLDS = {
    "no links": {},
    "one link, no answers": {(0, 1): (0, None)},
    "every group large": {(0, 1): (6, 8), (1, 1): (7, 9), (3, 1): (5, None), (4, 2): (9, 12)},
    # A session under the minimum hides, and its sibling with it (else 10 - 3 gives it away).
    "small session and its sibling": {(0, 1): (3, 4), (0, 2): (7, 8), (1, 1): (8, None)},
    # The other team's only session is under the minimum: hidden with its enrolment, and a sibling
    # enrolment hides to protect it (else the cohort minus the shown team gives it away).
    "small enrolment and its sibling": {(0, 1): (6, 6), (1, 1): (2, 3), (3, 1): (8, 9), (4, 1): (6, None)},
    # The spring cohort is under the minimum: it hides, and so does the autumn cohort.
    "small cohort and its sibling": {(0, 1): (6, 6), (1, 1): (5, 7), (3, 1): (2, 2), (4, 1): (1, 1)},
    # Several small sessions that together reach the minimum: hidden together, the rest shown.
    "small sessions reaching the minimum together": {(0, 1): (2, 2), (0, 2): (3, 3), (0, 3): (9, None), (1, 1): (6, 6)},
    # Everything small: the whole tree is hidden from a lead.
    "everything under the minimum": {(0, 1): (1, 1), (1, 1): (2, None), (4, 1): (1, 2)},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(WORLDS))
def test_figures_equal_the_report_at_every_level(personas, world, persona, name):
    for start, ((team, number), (responses, attendees)) in enumerate(WORLDS[name].items()):
        answer(world.session(team, number), responses, attendees=attendees, start=start)
    figures = assert_same_as_report(personas.user(persona))
    if persona in ("manager", "lead"):  # they read every session
        assert figures["has_links"] is bool(WORLDS[name])


def test_worlds_exercise_the_rule(personas, world):
    """The worlds above are what they say: a lead gets groups withheld to protect smaller ones."""
    for start, ((team, number), (responses, attendees)) in enumerate(WORLDS["small enrolment and its sibling"].items()):
        answer(world.session(team, number), responses, attendees=attendees, start=start)
    figures = feedback_figures(user=personas.lead)
    small, protecting = figures.enrolments[world.enrolments[1].pk], figures.enrolments[world.enrolments[0].pk]
    assert small.withheld and not small.protects_smaller
    assert protecting.withheld and protecting.protects_smaller  # shown, the cohort's 8 minus its 6 gives 2 away
    assert figures.cohorts[world.enrolments[0].cohort_id].responses == 8
    # The manager sees every group.
    manager = feedback_figures(user=personas.manager)
    assert manager.enrolments[world.enrolments[1].pk].responses == 2
    assert manager.overall.responses == 22


def test_has_links_only_for_the_sessions_the_user_may_read(personas, world):
    assert feedback_figures(user=personas.manager) == FeedbackTotals(
        overall=FeedbackFigures(responses=0, yes=0, not_sure=0, no=0), has_links=False
    )
    answer(world.session(1, 1), 0)  # the other coach's team: the coach cannot read it
    assert feedback_figures(user=personas.manager).has_links is True
    assert feedback_figures(user=personas.lead).has_links is True
    assert feedback_figures(user=personas.other_coach).has_links is True
    assert feedback_figures(user=personas.coach).has_links is False
    assert feedback_figures(user=personas.coach).enrolments == {}


# --- Random small worlds -----------------------------------------------------------------------

# Per session of a world: no link (None), or a link with these answers (indexes into ANSWERS) and
# attendees recorded or not. Small numbers, around the minimum group of 5, so that the rule bites.
session_draw = st.one_of(
    st.none(),
    st.tuples(
        st.lists(st.integers(min_value=0, max_value=len(ANSWERS) - 1), max_size=8),
        st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
    ),
)
# Up to three sessions of each of the world's five teams.
world_draw = st.lists(st.lists(session_draw, max_size=3), min_size=5, max_size=5)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=world_draw)
def test_random_worlds_figures_equal_the_report(personas, world, drawn):
    # Each example starts from the same rows (its writes are rolled back at its end), so that
    # hypothesis can replay and shrink a failing one.
    with transaction.atomic():
        for team, sessions in enumerate(drawn):
            for number, drawn_session in enumerate(sessions, start=1):
                if drawn_session is None:
                    continue
                answers, attendees = drawn_session
                session = world.session(team, number)
                session.attendees = attendees
                session.save(update_fields=["attendees"])
                link = FeedbackLink.objects.create(session=session)
                FeedbackResponse.objects.bulk_create(
                    FeedbackResponse(
                        link=link, could_improve=ANSWERS[i][0], rating=ANSWERS[i][1], submitted_on=SUBMITTED
                    )
                    for i in answers
                )
                refresh_feedback_tallies([session.enrolment_id])  # a bulk insert sends no post_save
        for persona in PERSONAS:
            figures = assert_same_as_report(personas.user(persona))
            groups = [*figures["cohorts"].values(), *figures["enrolments"].values()]
            if any(f.protects_smaller for f in groups):  # seen with --hypothesis-show-statistics
                event(f"{persona}: a group withheld to protect a smaller one")
        transaction.set_rollback(True)


# --- Queries -----------------------------------------------------------------------------------


def _spread(world, per_team: int) -> None:
    for team, enrolment in enumerate(world.enrolments):
        for number in range(1, per_team + 1):
            answer(enrolment.sessions.get(number=number), 3 + team, attendees=6, start=number)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("teams", ["one enrolment", "many enrolments"])
def test_figures_take_one_query_whatever_the_number_of_enrolments(
    personas, world, persona, teams, django_assert_num_queries
):
    if teams == "one enrolment":
        answer(world.session(0 if persona != "other_coach" else 1, 1), 6, attendees=8)
    else:
        _spread(world, per_team=4)
    user = personas.user(persona)
    is_manager(user)  # the user's groups, read once per request before any page reads figures
    with django_assert_num_queries(1):
        figures = feedback_figures(user=user)
    assert figures.has_links is True
    assert len(figures.enrolments) == (
        1 if teams == "one enrolment" else {"coach": 3, "other_coach": 2}.get(persona, 5)
    )
    assert_same_as_report(user)
