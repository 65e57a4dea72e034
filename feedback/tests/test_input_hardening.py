"""Input the feedback staff pages must survive: a damaged `next` on the open and close buttons,
forged feedback ids on the content change form, and dates too far from today. A redirect to a
page of this site or a form error, never a 500, and whatever the button did is kept."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from feedback.models import ContentChange, FeedbackLink
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 12, 0, tzinfo=LONDON), tick=False)


# --- next= on the open and close buttons ------------------------------------------------------

DAMAGED_NEXT = [
    "oops",  # redirect() took it for a view name: NoReverseMatch, a 500 after the close was saved
    "feedback:session",
    "",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", DAMAGED_NEXT)
def test_closing_with_a_damaged_next_goes_to_the_session_feedback_page_and_is_closed(
    client, login, personas, link, target
):
    login("coach", personas)
    response = client.post(reverse("feedback:session_close", kwargs={"session_pk": link.session_id}), {"next": target})
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("feedback:session", kwargs={"session_pk": link.session_id}),
    )
    assert FeedbackLink.objects.get(pk=link.pk).is_open is False


@pytest.mark.parametrize("target", DAMAGED_NEXT)
def test_opening_with_a_damaged_next_goes_to_the_session_feedback_page_and_is_open(
    client, login, personas, session_1, target
):
    login("coach", personas)
    response = client.post(reverse("feedback:session_open", kwargs={"session_pk": session_1.pk}), {"next": target})
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("feedback:session", kwargs={"session_pk": session_1.pk}),
    )
    assert FeedbackLink.objects.get(session=session_1).is_open is True


def test_closing_goes_back_to_the_session_page_the_button_was_on(client, login, personas, link):
    login("coach", personas)
    session_page = reverse("programmes:session", kwargs={"pk": link.session_id})
    response = client.post(
        reverse("feedback:session_close", kwargs={"session_pk": link.session_id}), {"next": session_page}
    )
    assert response["Location"] == session_page
    assert FeedbackLink.objects.get(pk=link.pk).is_open is False


# --- Forged feedback ids on the content change form ---------------------------------------------


def change_data(**overrides) -> dict:
    return {
        "template": factories.default_template().pk,
        "section": "Leader standard work",
        "kind": "rewrite",
        "description": "Rewrote the section so it follows on from go and see.",
        "made_on": "2026-11-17",
        **overrides,
    }


@pytest.mark.parametrize("forged", ["²", "9" * 30, "-" + "9" * 30, "1e3", "x"])
def test_a_forged_feedback_id_is_a_form_error_and_nothing_is_recorded(client, login, personas, link, forged):
    response_to_link = factories.FeedbackResponseFactory(link=link, what_better="Typos on slide 4")
    login("manager", personas)
    response = client.post(reverse("feedback:change_create"), change_data(responses=[response_to_link.pk, forged]))
    assert response.status_code == 200
    assert response.context["form"].errors == {"responses": [f"“{forged}” is not a valid value."]}
    assert ContentChange.objects.count() == 0
    # The comment ticked stays listed and ticked; the forged value is not offered.
    assert [c[0] for c in response.context["form"].fields["responses"].widget.choices] == [response_to_link.pk]


@pytest.mark.parametrize("forged", ["²", "9" * 30])
def test_listing_comments_with_a_forged_feedback_id_shows_the_form_again(client, login, personas, link, forged):
    ticked = factories.FeedbackResponseFactory(link=link, what_better="Typos on slide 4")
    login("manager", personas)
    response = client.post(
        reverse("feedback:change_create"),
        {
            "cohort": personas.enrolment.cohort_id,
            "list": "1",
            "section": "Half typed",
            "responses": [ticked.pk, forged],
        },
    )
    assert response.status_code == 200
    assert [c[0] for c in response.context["form"].fields["responses"].widget.choices] == [ticked.pk]
    assert ContentChange.objects.count() == 0


# --- Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_change_made_on_a_date_too_far_from_today_is_a_form_error(client, login, personas, day):
    login("manager", personas)
    response = client.post(reverse("feedback:change_create"), change_data(made_on=day))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "made_on": ["The date must be within two years of today (between 1 Dec 2024 and 1 Dec 2028)."]
    }
    assert ContentChange.objects.count() == 0


def test_a_change_made_long_ago_can_still_be_edited(client, login, personas):
    change = factories.ContentChangeFactory(section="Session 1 slides", made_on=dt.date(2021, 5, 4))
    login("manager", personas)
    response = client.post(
        reverse("feedback:change_edit", kwargs={"pk": change.pk}),
        change_data(template=change.template_id, section="Session 1 slides, part 2", made_on="2021-05-04", version=1),
    )
    assert response["Location"] == reverse("feedback:changes")
    change.refresh_from_db()
    assert (change.section, change.made_on) == ("Session 1 slides, part 2", dt.date(2021, 5, 4))
