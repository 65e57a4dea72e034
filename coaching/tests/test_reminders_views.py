"""The managers' Reminders page and "send again", and the last-reminder selector other pages use."""

from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coaching.models import Reminder, ReminderKind, ReminderStatus
from coaching.selectors import last_reminders
from conftest import PERSONAS
from tests import factories
from tests.helpers import MANAGERS_ONLY, persona_request

URL = "/coaching/reminders/"
SENT_AT = dt.datetime(2025, 12, 16, 8, 0, 5, tzinfo=dt.UTC)


def session(enrolment, number: int):
    return enrolment.sessions.get(number=number)


@pytest.fixture
def log(personas) -> dict[str, Reminder]:
    """A sent overdue reminder to the coach, and a failed escalation to the manager."""
    sent = factories.ReminderFactory(
        session=session(personas.enrolment, 7),
        recipient=personas.coach,
        kind=ReminderKind.OVERDUE,
        status=ReminderStatus.SENT,
        sent_at=SENT_AT,
        attempts=1,
    )
    failed = factories.ReminderFactory(
        session=session(personas.enrolment, 7),
        recipient=personas.manager,
        kind=ReminderKind.ESCALATION,
        status=ReminderStatus.FAILED,
        attempts=6,
        error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    return {"sent": sent, "failed": failed}


def test_urls_are_the_reminders_page_and_send_again():
    assert reverse("coaching:reminders") == URL
    assert reverse("coaching:reminder_retry", args=[5]) == "/coaching/reminders/5/retry/"


# --- Who may see it ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_reminders_page_is_for_managers_only(persona, personas, log, login):
    persona_request(login, personas, persona, URL, MANAGERS_ONLY)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_send_again_is_for_managers_only(persona, personas, log, login):
    url = reverse("coaching:reminder_retry", args=[log["failed"].pk])
    response = persona_request(login, personas, persona, url, {**MANAGERS_ONLY, "manager": 302}, method="post")
    log["failed"].refresh_from_db()
    if persona == "manager":
        assert response["Location"] == f"{URL}?status=failed"
    # Only the manager's request queued it again (its task runs after commit, which a test never reaches).
    expected = ReminderStatus.PENDING if persona == "manager" else ReminderStatus.FAILED
    assert log["failed"].status == expected


@pytest.mark.django_db
def test_send_again_needs_post(personas, log, login):
    response = login("manager", personas).get(reverse("coaching:reminder_retry", args=[log["failed"].pk]))
    assert response.status_code == 405


@pytest.mark.django_db
def test_send_again_of_unknown_reminder_is_404(personas, login):
    response = login("manager", personas).post(reverse("coaching:reminder_retry", args=[999999]))
    assert response.status_code == 404


# --- What it shows --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_page_shows_what_went_to_whom_when_and_what_failed(personas, log, login):
    response = login("manager", personas).get(URL)
    html = response.content.decode()
    assert response.context["counts"] == {"all": 2, "sent": 1, "failed": 1, "pending": 0, "sending": 0}
    assert list(response.context["page"].object_list) == [log["failed"], log["sent"]]  # newest first
    assert "Sent: <strong>1</strong>" in html
    assert "Failed: <strong>1</strong>" in html
    assert "1 reminder could not be sent." in html
    site = personas.enrolment.team.site.code
    assert f"Education support team ({site})" in html
    assert "Session 7: 12-week review" in html
    assert "Cara Coach" in html and "coach@example.nhs.uk" in html
    assert "Mina Manager" in html
    # The sent one: when, in London time (08:00:05 UTC in December is 08:00 GMT).
    assert '<time datetime="2025-12-16T08:00:05+00:00">16 Dec 2025, 08:00</time>' in html
    # The failed one: the reason, by text as well as colour, and a way to send it again.
    assert '<span class="badge text-bg-danger">Failed</span>' in html
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in html
    assert f'action="/coaching/reminders/{log["failed"].pk}/retry/"' in html
    assert html.count("Send again<span") == 1


@pytest.mark.django_db
def test_reminders_page_filters_by_status(personas, log, login):
    response = login("manager", personas).get(URL, {"status": "failed"})
    assert list(response.context["page"].object_list) == [log["failed"]]
    assert "Failed reminders, newest first" in response.content.decode()


@pytest.mark.django_db
def test_reminders_page_shows_a_reminder_being_sent_and_filters_on_it(personas, log, login):
    sending = factories.ReminderFactory(
        session=session(personas.enrolment, 8),
        recipient=personas.coach,
        status=ReminderStatus.SENDING,
        sending_since=SENT_AT,
        claim="9f1c5d7e-0000-4000-8000-000000000001",
        attempts=1,
    )
    client = login("manager", personas)
    response = client.get(URL)
    html = response.content.decode()
    assert response.context["counts"] == {"all": 3, "sent": 1, "failed": 1, "pending": 0, "sending": 1}
    assert "Sending: <strong>1</strong>" in html
    assert '<span class="badge text-bg-info">Sending</span>' in html
    assert (
        'Being sent since <time datetime="2025-12-16T08:00:05+00:00">16 Dec 2025, 08:00</time>. '
        "If that does not finish, the next daily sweep sends it again." in html
    )
    assert html.count("Send again<span") == 1  # only the failed one: a send under way is not offered again
    filtered = client.get(URL, {"status": "sending"})
    assert list(filtered.context["page"].object_list) == [sending]
    assert "Sending reminders, newest first" in filtered.content.decode()
    assert '<option value="sending" selected>Sending</option>' in filtered.content.decode()


@pytest.mark.django_db
def test_reminders_page_with_a_bad_filter_explains_and_shows_all(personas, log, login):
    response = login("manager", personas).get(URL, {"status": "lost"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "status": ["Select a valid choice. lost is not one of the available choices."]
    }
    assert len(response.context["page"].object_list) == 2


@pytest.mark.django_db
def test_reminders_page_bad_page_number_shows_a_page(personas, log, login):
    response = login("manager", personas).get(URL, {"page": "nonsense"})
    assert response.status_code == 200
    assert response.context["page"].number == 1


@pytest.mark.django_db
def test_reminders_page_when_nothing_was_sent(personas, login):
    response = login("manager", personas).get(URL)
    assert "No reminders have been sent yet." in response.content.decode()


@pytest.mark.django_db
def test_send_again_of_a_reminder_not_failed_changes_nothing(personas, log, login):
    client = login("manager", personas)
    response = client.post(reverse("coaching:reminder_retry", args=[log["sent"].pk]), follow=True)
    assert "The reminder to Cara Coach is not marked as failed, so it was left as it is." in response.content.decode()
    log["sent"].refresh_from_db()
    assert log["sent"].status == ReminderStatus.SENT


def _add_reminders(personas, count: int) -> None:
    sessions = list(personas.other_enrolment.sessions.order_by("number"))
    kinds = list(ReminderKind)
    factories.ReminderFactory.create_batch(
        count,
        session=factory.Iterator(sessions),
        recipient=personas.other_coach,
        kind=factory.Iterator(kinds),
        due_date=factory.Sequence(lambda n: dt.date(2025, 1, 1) + dt.timedelta(days=n)),
        status=factory.Iterator([ReminderStatus.SENT, ReminderStatus.FAILED]),
        sent_at=SENT_AT,
        error="Timed out",
    )


@pytest.mark.django_db
def test_reminders_page_queries_do_not_grow_with_rows(personas, log, login):
    client = login("manager", personas)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    small = page_queries()
    _add_reminders(personas, 40)
    large = page_queries()
    # session, user, the user's groups (role check), counts by status, the paginator's count,
    # the page's reminders with recipient, session, plan, team, site, cohort and digest joined, the
    # failed digests (none here) and the failed invitations (none here).
    assert small == large == 8


# --- When the last reminder went (for the coach's teams and the enrolment page) ---------------------


@pytest.mark.django_db
def test_last_reminders_is_the_latest_sent_per_enrolment_in_one_query(personas, django_assert_num_queries):
    enrolment, other = personas.enrolment, personas.other_enrolment
    factories.ReminderFactory(
        session=session(enrolment, 6), status=ReminderStatus.SENT, sent_at=SENT_AT - dt.timedelta(days=3)
    )
    latest = factories.ReminderFactory(
        session=session(enrolment, 7),
        recipient=personas.manager,
        kind=ReminderKind.ESCALATION,
        status=ReminderStatus.SENT,
        sent_at=SENT_AT,
    )
    factories.ReminderFactory(session=session(enrolment, 8), status=ReminderStatus.FAILED)  # never went
    factories.ReminderFactory(session=session(enrolment, 9))  # pending: not gone yet
    factories.ReminderFactory(session=session(other, 2), status=ReminderStatus.PENDING)
    quiet = factories.EnrolmentFactory(cohort=enrolment.cohort)

    with django_assert_num_queries(1):
        found = last_reminders(enrolment_ids=[enrolment.pk, other.pk, quiet.pk])
        assert found == {enrolment.pk: latest}
        assert (found[enrolment.pk].session.number, found[enrolment.pk].recipient.username) == (7, "manager")
    with django_assert_num_queries(0):
        assert last_reminders(enrolment_ids=[]) == {}


@pytest.mark.django_db
def test_last_reminder_snippet_says_when_what_and_to_whom(personas):
    reminder = factories.ReminderFactory(
        session=session(personas.enrolment, 7), status=ReminderStatus.SENT, sent_at=SENT_AT
    )
    html = render_to_string("coaching/reminders_last.html", {"reminder": reminder}).strip()
    assert html == (
        '<time datetime="2025-12-16T08:00:05+00:00">16 Dec 2025</time>: session overdue, session 7, to Cara Coach'
    )
    assert render_to_string("coaching/reminders_last.html", {"reminder": None}).strip() == "No reminders sent"


# --- In a real browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_sends_a_failed_reminder_again_in_the_browser(personas, log, browser_page, mailoutbox):
    browser_page.login("manager")
    page = browser_page.goto(URL)
    assert page.get_by_role("heading", level=1).inner_text() == "Reminders"
    page.get_by_label("Show", exact=True).select_option("failed")
    page.get_by_role("button", name="Filter").click()
    browser_page.check_accessibility()
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("button", name="Send again to Mina Manager about session 7 for Education support team").click()
    browser_page.check_accessibility()
    assert page.get_by_role("status").first.inner_text() == "The reminder to Mina Manager will be sent again."
    log["failed"].refresh_from_db()
    assert log["failed"].status == ReminderStatus.SENT
    assert [m.to for m in mailoutbox] == [[personas.manager.email]]
