"""The home page's alerts: a manager's across every team still in the programme, a coach's of their own
teams, none for a lead; each count in SQL, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from coaching.models import Digest, DigestKind, Invitation, ReminderStatus, SendStatus
from programmes.models import EnrolmentStatus, Session
from tests import factories

NOW = dt.datetime(2025, 11, 10, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # seven weeks after 22 September


@pytest.fixture(autouse=True)
def _today(settings):
    settings.QMS_SESSION_GRACE_DAYS = 7  # overdue: due before 3 November: sessions 1 to 4 of each team
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alerts(personas):
    """The coach's team: session 1 held, no slots agreed, sessions 2-4 overdue. The other coach's: session 1
    held with slots agreed, sessions 2-4 overdue. One reminder email that failed. A withdrawn team,
    overdue and without slots, that no alert counts."""
    for enrolment in (personas.enrolment, personas.other_enrolment):
        Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    factories.CoachingAgreementFactory(enrolment=personas.other_enrolment)
    overdue = Session.objects.get(enrolment=personas.enrolment, number=2)
    factories.ReminderFactory(session=overdue, status=ReminderStatus.FAILED, error="Mailbox unavailable")
    factories.ReminderFactory(
        session=overdue, recipient=personas.manager, status=ReminderStatus.SENT, sent_at=NOW - dt.timedelta(days=1)
    )
    withdrawn = factories.EnrolmentFactory(
        cohort=personas.enrolment.cohort, coach=personas.coach, status=EnrolmentStatus.WITHDRAWN
    )
    factories.make_sessions(withdrawn)
    Session.objects.filter(enrolment=withdrawn, number=1).update(held_on=dt.date(2025, 9, 22))
    return personas


def _alerts_section(response) -> str:
    html = response.content.decode()
    start = html.index('id="alerts"')
    return html[start : html.index("</section>", start)]


def test_manager_sees_overdue_slots_not_agreed_and_failed_emails(login, alerts):
    response = login("manager", alerts).get("/")
    section = _alerts_section(response)
    assert "<strong>6 sessions overdue</strong>\n            in 2 teams:" in section
    assertContains(response, '<a href="/dashboard/?status=overdue">see the overdue teams on the dashboard</a>')
    assert "<strong>1 team</strong> had session 1 but\n            has no coaching slots agreed:" in section
    agreement = f"/coaching/enrolments/{alerts.enrolment.pk}/agreement/"
    assertContains(response, f'<a href="{agreement}">Education support team ({alerts.enrolment.team.site.code})</a>')
    assert "Pharmacy team" not in section  # its slots are agreed
    assert "<strong>1 reminder email could not be sent</strong>" in section
    assertContains(response, '<a href="/coaching/reminders/?status=failed">see the failed reminders</a>')


def test_manager_is_told_of_failed_weekly_digests_and_invitations_that_still_matter(login, alerts):
    section = _alerts_section(login("manager", alerts).get("/"))
    assert "alert-failed-other" not in section
    Digest.objects.create(
        recipient=alerts.manager, kind=DigestKind.WEEKLY, period=dt.date(2025, 11, 17), status=SendStatus.FAILED
    )
    session = Session.objects.get(enrolment=alerts.enrolment, number=5)
    session.agreed_start = NOW + dt.timedelta(days=3)
    session.save()
    session.refresh_from_db()
    current = session.version + session.enrolment.version
    for sequence in (current, current - 1):  # the second was superseded by a later change: not counted
        Invitation.objects.create(
            session=session, email=f"x{sequence}@example.nhs.uk", sequence=sequence, method="REQUEST", status="failed"
        )
    section = _alerts_section(login("manager", alerts).get("/"))
    assert "<strong>2 weekly digests or calendar invitations could not be sent</strong>" in section
    assert "alert-failed-other" not in _alerts_section(login("coach", alerts).get("/"))


def test_coach_sees_only_their_own_teams_and_no_email_failures(login, alerts):
    section = _alerts_section(login("coach", alerts).get("/"))
    assert "<strong>3 sessions overdue</strong>\n            in 1 team:" in section
    assert '<a href="/coaching/my-teams/">see them in My teams</a>' in section
    assert "Education support team" in section
    assert "reminder email" not in section  # the reminder log is the managers'

    other = _alerts_section(login("other_coach", alerts).get("/"))
    assert "<strong>3 sessions overdue</strong>\n            in 1 team:" in other
    assert "coaching slots agreed:" not in other
    assert "Education support team" not in other


def test_lead_and_a_user_without_a_role_see_no_alerts(login, alerts):
    for persona in ("lead", "no_role"):
        response = login(persona, alerts).get("/")
        assert response.status_code == 200
        assertNotContains(response, 'id="alerts"')
        assertNotContains(response, "Needs attention")


def test_nothing_to_report_says_so(login, personas):
    Session.objects.filter(enrolment__in=[personas.enrolment, personas.other_enrolment], number__lte=4).update(
        held_on=dt.date(2025, 9, 22)
    )
    factories.CoachingAgreementFactory(enrolment=personas.enrolment)
    factories.CoachingAgreementFactory(enrolment=personas.other_enrolment)
    section = _alerts_section(login("manager", personas).get("/"))
    assert "Nothing overdue, every team that has had session 1 has its coaching slots agreed, and every" in section


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["manager", "coach"])
def test_home_queries_do_not_grow_with_the_alerts(login, alerts, persona):
    client = login(persona, alerts)
    small = _home_queries(client)
    for _ in range(4):  # four more of the coach's teams, overdue with no slots agreed, each with a failed email
        enrolment = factories.EnrolmentFactory(cohort=alerts.enrolment.cohort, coach=alerts.coach)
        first, second, *_ = factories.make_sessions(enrolment)
        Session.objects.filter(pk=first.pk).update(held_on=dt.date(2025, 9, 22))
        factories.ReminderFactory(session=second, status=ReminderStatus.FAILED)
    section = _alerts_section(client.get("/"))
    assert "<strong>5 teams</strong> had session 1" in section
    assert small == _home_queries(client)


def test_slots_alert_names_five_teams_and_counts_the_rest(login, alerts):
    for n in range(6):
        enrolment = factories.EnrolmentFactory(
            cohort=alerts.enrolment.cohort, coach=alerts.coach, team__name=f"Ward {n}"
        )
        factories.make_sessions(enrolment)
        Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    section = _alerts_section(login("manager", alerts).get("/"))
    assert "<strong>7 teams</strong> had session 1 but\n            have no coaching slots agreed:" in section
    assert section.count("/agreement/") == 5
    assert " and 2 more" in section
