"""Moving a session to a time that clashes with the coach's diary (the check_slot signal, answered by
coaching.selectors.clashes): the page names each clash and saves only with the override ticked and
a reason, kept on the move. Cara coaches the Education support team and Ward 7 (RSH), whose
session 4 is agreed for Tue 6 Jan 2026, 09:30."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from conftest import PERSONAS
from programmes.models import Session, SessionChange
from tests import factories
from tests.helpers import THIS_TEAM_WRITE, persona_request

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2025, 11, 10, 9, 0, tzinfo=LONDON)
TO_START = "2026-01-06T09:00"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def ward(personas):
    """Cara's other team, with session 4 agreed half an hour into the time session 8 is moved to."""
    enrolment = factories.EnrolmentFactory(
        cohort=factories.CohortFactory(name="Spring cohort"),
        coach=personas.coach,
        team__name="Ward 7",
        team__site=factories.SiteFactory(code="RSH"),
    )
    sessions = {s.number: s for s in factories.make_sessions(enrolment)}
    Session.objects.filter(pk=sessions[4].pk).update(agreed_start=dt.datetime(2026, 1, 6, 9, 30, tzinfo=LONDON))
    return enrolment


def eighth(personas) -> Session:
    return personas.enrolment.sessions.get(number=8)


def move_url(personas) -> str:
    return reverse("programmes:session_move", args=[eighth(personas).pk])


def move(client, personas, **extra):
    data = {"version": 1, "to_start": TO_START, "reason": "Audit week", **extra}
    return client.post(move_url(personas), data)


def test_move_onto_another_teams_session_warns_naming_it_and_saves_nothing(login, personas, ward):
    response = move(login("coach", personas), personas)
    assert response.status_code == 200
    assertContains(
        response,
        "<li>Clashes with session 4 (Coaching: go and see, leader standard work) of Ward 7 (RSH) in Spring cohort: "
        "Tue 6 Jan 2026, 09:30–10:30.</li>",
        html=True,
    )
    assert response.context["form"].errors == {
        "clash_override": [
            "This time clashes (see above). Choose another time, or tick “Keep this time despite the clashes” "
            "and say why."
        ]
    }
    assertContains(response, 'value="2026-01-06T09:00"')  # what was typed is kept
    assertContains(response, "Audit week</textarea>")
    assert not SessionChange.objects.exists()


def test_move_override_without_a_reason_is_an_error(login, personas, ward):
    response = move(login("coach", personas), personas, clash_override="on", clash_override_reason=" ")
    assert response.context["form"].errors == {"clash_override_reason": ["Say why the time is kept."]}
    assert not SessionChange.objects.exists()


def test_move_override_is_recorded_with_its_reason_and_shown_in_the_history(login, personas, ward):
    client = login("coach", personas)
    response = move(client, personas, clash_override="on", clash_override_reason="Ward 7's is a 10-minute call")
    assert response.status_code == 302
    change = SessionChange.objects.get(session=eighth(personas))
    assert (change.reason, change.clash_override_reason) == ("Audit week", "Ward 7's is a 10-minute call")
    page = client.get(reverse("programmes:session", args=[eighth(personas).pk]))
    assertContains(page, "Kept despite clashes: Ward 7&#x27;s is a 10-minute call")


def test_move_without_a_clash_needs_no_override_and_keeps_no_reason(login, personas, ward):
    client = login("coach", personas)
    assertNotContains(client.get(move_url(personas)), 'name="clash_override"')
    response = move(
        client, personas, to_start="2026-01-06T14:00", clash_override="on", clash_override_reason="Just in case"
    )
    assert response.status_code == 302
    assert SessionChange.objects.get(session=eighth(personas)).clash_override_reason == ""


def test_move_onto_a_day_the_coach_marked_unavailable_warns(login, personas):
    factories.CoachingAgreementFactory(enrolment=personas.other_enrolment, agreed_by=personas.other_coach)
    factories.CoachingAgreementFactory(enrolment=personas.enrolment, skipped_dates=["2026-01-06"])
    response = move(login("coach", personas), personas)
    assertContains(
        response, "<li>Tue 6 Jan 2026 is a day the coach marked unavailable for Education support team (S", count=1
    )


def test_move_clash_check_is_the_other_coachs_sessions_only_for_their_own_teams(login, personas):
    other = personas.other_enrolment.sessions.get(number=8)
    Session.objects.filter(pk=other.pk).update(agreed_start=dt.datetime(2026, 1, 6, 9, 0, tzinfo=LONDON))
    assert move(login("coach", personas), personas).status_code == 302


@pytest.mark.parametrize("persona", PERSONAS)
def test_move_override_by_role(login, personas, ward, persona):
    data = {"version": 1, "to_start": TO_START, "reason": "Audit week", "clash_override": "on"}
    data["clash_override_reason"] = "Short call"
    expected = {**THIS_TEAM_WRITE, "manager": 302, "coach": 302}
    persona_request(login, personas, persona, move_url(personas), expected, method="post", data=data)
    reasons = list(SessionChange.objects.values_list("clash_override_reason", flat=True))
    assert reasons == (["Short call"] if persona in ("manager", "coach") else [])
