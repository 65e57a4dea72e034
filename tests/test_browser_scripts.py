"""The pages' scripts in a real browser: every print button runs the one shared static/js/print.js,
and the attendee's feedback form sends once however often it is pressed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from feedback.models import FeedbackLink
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 (autouse)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the calls instead of opening the print dialog, which a headless browser cannot show.
COUNT_PRINTS = "window.printCalls = 0; window.print = () => { window.printCalls += 1; };"


def test_every_print_button_opens_the_print_dialog_once(browser_page, personas):
    session = personas.enrolment.sessions.get(number=1)
    link = FeedbackLink.objects.create(session=session)
    pages = [
        (reverse("checklists:checklist_print", args=[session.pk]), "Print"),
        (reverse("dashboards:cohort_report", args=[personas.enrolment.cohort_id]), "Print this report"),
        (reverse("feedback:poster", kwargs={"session_pk": link.session_id}), "Print this poster"),
    ]
    browser_page.page.add_init_script(COUNT_PRINTS)
    browser_page.login("manager")
    for path, name in pages:
        page = browser_page.goto(path)
        page.get_by_role("button", name=name, exact=True).click()
        assert page.evaluate("window.printCalls") == 1, path


def test_feedback_form_second_press_is_not_sent(browser_page, personas):
    link = FeedbackLink.objects.create(session=personas.enrolment.sessions.get(number=1))
    page = browser_page.goto(reverse("feedback:form", kwargs={"token": link.token}))
    # Record whether each submit would go to the server, and keep this page whatever happens.
    page.evaluate(
        """window.sent = [];
        window.addEventListener("submit", (event) => {
          window.sent.push(!event.defaultPrevented);
          event.preventDefault();
        });"""
    )
    page.get_by_role("button", name="Send my feedback").click()
    button = page.get_by_role("button", name="Sending…")
    expect(button).to_be_disabled()
    page.locator("#feedback-form").evaluate("form => form.requestSubmit()")
    assert page.evaluate("window.sent") == [True, False]
