""" "Slots agreed at session 1" is derived, never stored: an admin edit of session 1's held date
changes it at once, in the same words on the dashboard and on the cohort page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from coaching.models import SlotsState
from programmes.models import Session
from programmes.tests.test_admin import admin_url, resubmitted
from tests import factories

LONDON = ZoneInfo("Europe/London")

pytestmark = pytest.mark.django_db


def slots_cells(client, enrolment) -> tuple[str, str]:
    """The page HTML of the dashboard and of the cohort page, as a lead sees them."""
    dashboard = client.get(reverse("dashboards:progress")).content.decode()
    cohort = client.get(reverse("programmes:cohort", args=[enrolment.cohort_id])).content.decode()
    return dashboard, cohort


def test_admin_change_of_session_1_held_date_changes_the_slots_state_on_dashboard_and_cohort_page(client, personas):
    enrolment = personas.enrolment
    session_1 = Session.objects.get(enrolment=enrolment, number=1)
    session_1.held_on = dt.date(2025, 9, 22)
    session_1.save(update_fields=["held_on"])
    factories.CoachingAgreementFactory(enrolment=enrolment, agreed_at=dt.datetime(2025, 9, 24, 10, 0, tzinfo=LONDON))

    client.force_login(personas.lead)
    for html in slots_cells(client, enrolment):
        assertInHTML(f"<td>{SlotsState.AGREED_LATER.label}</td>", html)
        assertInHTML(f"<td>{SlotsState.AGREED_AT_SESSION_1.label}</td>", html, count=0)

    # The manager corrects session 1's held date in the admin: it was held on the 24th, the day
    # the slots were agreed.
    client.force_login(personas.manager)
    url = admin_url(Session, "change", session_1.pk)
    response = client.post(url, resubmitted(client, url, held_on="2025-09-24"))
    assert response.status_code == 302
    assert Session.objects.get(pk=session_1.pk).held_on == dt.date(2025, 9, 24)

    client.force_login(personas.lead)
    for html in slots_cells(client, enrolment):
        assertInHTML(f"<td>{SlotsState.AGREED_AT_SESSION_1.label}</td>", html)
        assertInHTML(f"<td>{SlotsState.AGREED_LATER.label}</td>", html, count=0)
