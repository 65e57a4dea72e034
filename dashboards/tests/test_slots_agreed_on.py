"""The aim's "slots agreed at session 1" measure counts by the day the coach says the slots were
agreed (CoachingAgreement.agreed_on), not the day they were typed in."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coaching.models import SlotsState
from dashboards.measures import cohort_page
from dashboards.selectors import dashboard_page
from tests import factories

from .helpers import hold

LONDON = ZoneInfo("Europe/London")
SESSION_1 = dt.date(2025, 9, 22)
TYPED_IN = dt.datetime(2025, 9, 29, 10, 0, tzinfo=LONDON)  # a week after session 1

pytestmark = pytest.mark.django_db


def test_slots_typed_in_a_week_later_but_agreed_at_session_1_count_as_at_session_1(personas):
    cohort = factories.CohortFactory(name="Measured cohort")
    in_the_room, later = (
        factories.EnrolmentFactory(cohort=cohort, coach=personas.coach, session1_date=SESSION_1) for _ in range(2)
    )
    for enrolment in (in_the_room, later):
        factories.make_sessions(enrolment)
        hold(enrolment, 1)
    # Both typed in on 29 September; the first coach says they were agreed in the room on the 22nd.
    factories.CoachingAgreementFactory(enrolment=in_the_room, agreed_at=TYPED_IN, agreed_on=SESSION_1)
    factories.CoachingAgreementFactory(enrolment=later, agreed_at=TYPED_IN)

    page = cohort_page(cohort=cohort, user=personas.manager, today=dt.date(2025, 10, 1), run_length=2)
    slots = {m.key: m for m in page.measures}["slots"]
    assert (slots.numerator, slots.denominator, slots.figure) == (1, 2, "50%")
    rows = dashboard_page(user=personas.manager, today=dt.date(2025, 10, 1)).rows
    states = {r.pk: r.slots for r in rows}
    assert (states[in_the_room.pk], states[later.pk]) == (SlotsState.AGREED_AT_SESSION_1, SlotsState.AGREED_LATER)
