"""Attendee feedback in a real browser: an attendee answers on a phone, the coach sees it counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from conftest import BrowserPage
from feedback.models import FeedbackLink, FeedbackResponse
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def coached_session():
    coach = factories.CoachFactory(username="cara", first_name="Cara", last_name="Coach")
    enrolment = factories.EnrolmentFactory(coach=coach, team__name="Education support team", team__site__code="RSH")
    session = factories.make_sessions(enrolment)[0]
    session.held_on = dt.date(2025, 9, 22)
    session.attendees = 8
    session.save()
    return session


def test_attendee_answers_on_a_phone_and_the_coach_sees_it_counted(browser_page, coached_session):
    browser_page.page.set_viewport_size(PHONE)
    link = FeedbackLink.objects.create(session=coached_session)

    page = browser_page.goto(reverse("feedback:form", kwargs={"token": link.token}))
    assert page.get_by_role("heading", level=1).inner_text() == "Your feedback on this session"
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Send my feedback").click()  # nothing chosen yet
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_text("Choose yes, not sure or no.").first.is_visible()

    could_improve = page.get_by_role(
        "group", name="As a result of this session I feel I could make improvements in my workplace"
    )
    could_improve.locator("label", has_text="Yes").click()
    page.get_by_role("group", name="Overall, how would you rate this session?").locator("label", has_text="4").click()
    page.get_by_label("What worked well?").fill("Learning it as a whole team.")
    page.get_by_label("What would make it better?").fill("Agree the coaching times on the day.")
    page.get_by_role("button", name="Send my feedback").click()
    page.wait_for_url(lambda url: url.endswith("/thanks/"))
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    saved = FeedbackResponse.objects.get()
    assert (saved.could_improve, saved.rating, saved.what_worked) == ("yes", 4, "Learning it as a whole team.")

    # Back on the form from the same phone: already answered, nothing more to send.
    page = browser_page.goto(reverse("feedback:form", kwargs={"token": link.token}))
    assert page.get_by_role("heading", level=1).inner_text() == "We already have your feedback"

    browser_page.login("cara")
    page = browser_page.goto(reverse("feedback:session", kwargs={"session_pk": coached_session.pk}))
    figures = page.locator("dl")
    assert figures.locator("dt", has_text="Responses").locator("xpath=following-sibling::dd[1]").inner_text() == "1"
    assert "12.5% of 8 attendees recorded" in figures.inner_text()
    assert page.get_by_role("cell", name="Agree the coaching times on the day.").is_visible()


def test_coach_opens_a_form_prints_the_poster_and_closes_it(browser_page, coached_session):
    browser_page.login("cara")
    page = browser_page.goto(reverse("feedback:session", kwargs={"session_pk": coached_session.pk}))
    page.get_by_role("button", name="Open a feedback form").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_role("img", name="QR code for this session's feedback form").is_visible()
    token = FeedbackLink.objects.get(session=coached_session).token
    assert page.get_by_role("link", name=f"/feedback/{token}/").count() == 1

    page.get_by_role("link", name="Printable poster").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Tell us how this session went"
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="Print this poster").is_hidden()
    assert page.get_by_role("img", name="QR code for this session's feedback form").is_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Back to this session's feedback").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    page.get_by_role("button", name="Close feedback").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_text("Feedback form: closed").is_visible()
    assert FeedbackLink.objects.get(session=coached_session).is_open is False


def test_staff_feedback_pages_are_accessible(browser_page, coached_session):
    manager = factories.ManagerFactory(username="mina")
    link = FeedbackLink.objects.create(session=coached_session)
    response = factories.FeedbackResponseFactory(link=link, what_better="Some typos on the slides.")
    factories.ContentChangeFactory(made_by=manager).responses.add(response)
    browser_page.login("mina")
    for path in (
        reverse("feedback:overview"),
        reverse("feedback:changes"),
        reverse("feedback:change_create"),
        reverse("feedback:session", kwargs={"session_pk": coached_session.pk}),
    ):
        page = browser_page.goto(path)
        assert page.get_by_role("heading", level=1).count() == 1


def test_coach_shares_one_tablet_and_two_attendees_answer_on_it(browser_page, chromium_browser, coached_session):
    link = FeedbackLink.objects.create(session=coached_session)
    browser_page.login("cara")
    page = browser_page.goto(reverse("programmes:session", kwargs={"pk": coached_session.pk}))
    page.get_by_role("button", name="Share one device").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_text("Shared device: on").is_visible()
    assert page.url.endswith(reverse("programmes:session", kwargs={"pk": coached_session.pk}))

    # The tablet: its own browser, with no login.
    tablet = BrowserPage(
        chromium_browser.new_context(viewport={"width": 820, "height": 1180}).new_page(), browser_page.base_url
    )
    try:
        form = tablet.goto(reverse("feedback:form", kwargs={"token": link.token}))
        for text in ("The first attendee's answer", "The second attendee's answer"):
            assert form.get_by_text("This device is being passed round").is_visible()
            assert form.get_by_label("What worked well?").input_value() == ""  # nothing left by the one before
            form.get_by_role("group", name="As a result of this session").locator("label", has_text="Yes").click()
            form.get_by_role("group", name="Overall, how would you rate").locator("label", has_text="5").click()
            form.get_by_label("What worked well?").fill(text)
            form.get_by_role("button", name="Send my feedback").click()
            form.wait_for_url(lambda url: url.endswith("/thanks/"))
            tablet.check_accessibility()
            assert form.get_by_role("heading", level=1).inner_text() == "Thank you"
            form.get_by_role("link", name="Next person").click()
            form.wait_for_load_state("load")
            tablet.check_accessibility()
    finally:
        tablet.page.context.close()
    assert sorted(FeedbackResponse.objects.values_list("what_worked", flat=True)) == [
        "The first attendee's answer",
        "The second attendee's answer",
    ]

    page.get_by_role("button", name="Stop sharing a device").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_role("button", name="Share one device").is_visible()


def test_back_after_sending_fetches_the_form_afresh_and_sends_nothing_twice(browser_page, coached_session):
    """Back from the thanks page, even past a page that answered a POST (the form with its errors),
    is a plain visit: no "Confirm Form Resubmission" (Chromium's ERR_CACHE_MISS) and no second answer."""
    link = FeedbackLink.objects.create(session=coached_session)
    form_url = reverse("feedback:form", kwargs={"token": link.token})
    page = browser_page.goto(form_url)
    page.get_by_role("button", name="Send my feedback").click()  # nothing chosen: the errors answer the POST
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    could_improve = page.get_by_role(
        "group", name="As a result of this session I feel I could make improvements in my workplace"
    )
    could_improve.locator("label", has_text="Yes").click()
    page.get_by_role("group", name="Overall, how would you rate this session?").locator("label", has_text="5").click()
    page.get_by_role("button", name="Send my feedback").click()
    page.wait_for_url(lambda url: url.endswith("/thanks/"))
    browser_page.check_accessibility()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    back = page.go_back()  # raises net::ERR_CACHE_MISS if the browser had to post the answers again

    assert back is not None and back.request.method == "GET" and back.status == 200
    assert page.url == browser_page.base_url + form_url
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "We already have your feedback"
    assert dialogs == []
    assert FeedbackResponse.objects.count() == 1
