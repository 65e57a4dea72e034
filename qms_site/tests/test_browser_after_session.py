"""The coach's path after a session, in a real browser: record it as held, then its checklist, then its
feedback link, each one press from the page before."""

import pytest
from playwright.sync_api import expect

from checklists.models import Checklist, Tool
from checklists.tests.helpers import session_number
from feedback.models import FeedbackLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_coach_goes_from_held_to_checklist_to_feedback_link_one_press_each(browser_page, personas, settings):
    settings.SITE_URL = "https://qms.example.nhs.uk"  # an address phones reach, not the live server's
    session = session_number(personas.enrolment, 3)  # a coaching session: its plan row has a checklist due
    session_page = f"/programmes/sessions/{session.pk}/"
    browser_page.login("coach")
    page = browser_page.goto(session_page)
    page.get_by_role("link", name="Record as held").click()
    page.wait_for_url(f"**{session_page}held/")
    browser_page.check_accessibility()
    page.get_by_label("Number of attendees").fill("7")
    page.get_by_role("button", name="Save").click()

    # Landed on the session page: its one primary button is the checklist.
    page.wait_for_url(f"**{session_page}")
    browser_page.check_accessibility()
    expect(page.get_by_role("status")).to_contain_text("Session 3 is recorded as held")
    expect(page.locator("main .btn-primary")).to_have_count(1)
    expect(page.locator("main .btn-primary")).to_have_text("Fill in the tool checklist")
    page.get_by_role("link", name="Fill in the tool checklist").click()

    page.wait_for_url(f"**/checklists/session/{session.pk}/?next=*")
    browser_page.check_accessibility()
    for tool in Tool.objects.active():
        page.get_by_role("group", name=tool.name, exact=True).get_by_text("Sometimes", exact=True).click()
    page.get_by_role("button", name="Save checklist").click()

    # Back on the session page: the next primary step is the feedback link.
    page.wait_for_url(f"**{session_page}")
    browser_page.check_accessibility()
    assert Checklist.objects.filter(session=session).exists()
    expect(page.get_by_role("status")).to_have_text("Checklist for session 3 saved.")
    expect(page.get_by_role("link", name="Edit the tool checklist")).to_be_visible()
    expect(page.locator("main .btn-primary")).to_have_count(1)
    expect(page.locator("main .btn-primary")).to_have_text("Show the feedback link / QR poster")
    page.get_by_role("button", name="Show the feedback link / QR poster").click()

    page.wait_for_url(f"**/feedback/session/{session.pk}/poster/")
    browser_page.check_accessibility()
    link = FeedbackLink.objects.get(session=session)
    assert link.is_open
    expect(page.get_by_text(f"https://qms.example.nhs.uk/feedback/{link.token}/")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for this session's feedback form")).to_be_visible()
    # Staff are told the poster's address is not the one they opened the page at (not printed).
    note = page.locator("#site-address-note")
    expect(note).to_contain_text("The link and QR code use https://qms.example.nhs.uk, but you opened this page at")
    expect(note).to_have_class("alert alert-warning d-print-none")
