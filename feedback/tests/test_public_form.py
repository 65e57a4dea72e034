"""The public feedback form at /feedback/<token>/: no login, anonymous, hard to abuse."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from feedback import guards
from feedback.models import FeedbackResponse, FormTokenUse
from feedback.services import feedback_shared_device_set
from tests import factories

pytestmark = pytest.mark.django_db

LONDON_EVENING = dt.datetime(2025, 9, 22, 23, 30, tzinfo=dt.UTC)  # 00:30 on 23 September in London


def form_url(link) -> str:
    return reverse("feedback:form", kwargs={"token": link.token})


def fresh_token(client, link) -> str:
    """The single-use token of a freshly shown form, as a browser would post it back."""
    page = client.get(form_url(link)).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def answers(client, link, **overrides) -> dict:
    data = {
        "could_improve": "yes",
        "rating": "5",
        "what_worked": "Learning together as a team.",
        "what_better": "Fewer slides.",
    }
    data.update(overrides)
    if "form_token" not in data:
        data["form_token"] = fresh_token(client, link)
    return data


@pytest.mark.parametrize("persona", ["anonymous", "coach", "lead"])
def test_form_shows_without_login_to_anyone(client, login, personas, link, persona):
    login(persona, personas)
    response = client.get(form_url(link))
    assert response.status_code == 200
    content = response.content.decode()
    assert "As a result of this session I feel I could make improvements in my workplace" in content
    assert "Session 1: introduction to QMS and agreeing coaching times" in content
    assert "Education support team" in content


def test_form_reveals_nothing_about_other_responses(client, link):
    factories.FeedbackResponseFactory(link=link, what_worked="SECRET-PRAISE", what_better="SECRET-GRUMBLE", rating=2)
    for url in (form_url(link), reverse("feedback:thanks", kwargs={"token": link.token})):
        content = client.get(url).content.decode()
        assert "SECRET-PRAISE" not in content
        assert "SECRET-GRUMBLE" not in content
        assert "1 response" not in content
        assert "Responses" not in content


def test_send_saves_an_anonymous_response_dated_in_london(client, link):
    with time_machine.travel(LONDON_EVENING, tick=False):
        response = client.post(form_url(link), answers(client, link, rating="4", could_improve="not_sure"))
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:thanks", kwargs={"token": link.token})
    saved = FeedbackResponse.objects.get()
    assert (saved.link, saved.could_improve, saved.rating) == (link, "not_sure", 4)
    assert (saved.what_worked, saved.what_better) == ("Learning together as a team.", "Fewer slides.")
    assert saved.submitted_on == dt.date(2025, 9, 23)  # London's date, not UTC's
    # Nothing about who answered: the model has no such column to fill.
    names = {f.name for f in FeedbackResponse._meta.get_fields()}
    assert names == {"id", "link", "could_improve", "rating", "what_worked", "what_better", "submitted_on",
                     "content_changes"}  # fmt: skip
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Your feedback has been sent" in thanks.content.decode()


def test_send_leaves_no_session_or_server_record_of_the_browser(client, link):
    from django.contrib.sessions.models import Session as DjangoSession

    client.post(form_url(link), answers(client, link))
    assert DjangoSession.objects.count() == 0
    assert FeedbackResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"could_improve": ""}, "could_improve", "Choose yes, not sure or no."),
        ({"could_improve": "maybe"}, "could_improve", "Choose yes, not sure or no."),
        ({"rating": ""}, "rating", "Choose a rating from 1 to 5."),
        ({"rating": "0"}, "rating", "Choose a rating from 1 to 5."),
        ({"rating": "6"}, "rating", "Choose a rating from 1 to 5."),
        ({"rating": "five"}, "rating", "Choose a rating from 1 to 5."),
        ({"what_worked": "x" * 20_000}, "what_worked", "Keep this to 2,000 characters or fewer (this has 20000)."),
        ({"what_better": "y" * 20_000}, "what_better", "Keep this to 2,000 characters or fewer (this has 20000)."),
        ({"what_better": "null \x00 byte"}, "what_better", "Null characters are not allowed."),
    ],
)
def test_bad_answers_get_a_clear_message_and_keep_what_was_typed(client, link, overrides, field, message):
    data = answers(client, link, **overrides)
    response = client.post(form_url(link), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    content = response.content.decode()
    assert "Please check your answers" in content
    assert content.startswith("<!doctype html>") or "<title>Error:" in content
    if field != "what_worked":
        assert "Learning together as a team." in content  # what they typed is still there
    assert FeedbackResponse.objects.count() == 0


def test_answers_exactly_2000_characters_long_are_kept(client, link):
    client.post(form_url(link), answers(client, link, what_worked="w" * 2000))
    assert len(FeedbackResponse.objects.get().what_worked) == 2000


def test_unknown_token_is_a_plain_404(client, link):
    forged = "A" * 32
    for method in (client.get, client.post):
        response = method(reverse("feedback:form", kwargs={"token": forged}))
        assert response.status_code == 404
        assert "We can’t find this feedback form" in response.content.decode()
    assert client.get(reverse("feedback:thanks", kwargs={"token": forged})).status_code == 404
    assert client.get("/feedback/not-a-token/").status_code == 404


def test_closed_link_says_so_and_takes_nothing(client, link):
    data = answers(client, link)
    link.is_open = False
    link.save()
    assert client.get(form_url(link)).status_code == 410
    response = client.post(form_url(link), data)
    assert response.status_code == 410
    assert "This feedback form is closed" in response.content.decode()
    assert FeedbackResponse.objects.count() == 0


def test_replayed_post_saves_once(client, link):
    data = answers(client, link)
    first = client.post(form_url(link), data)
    assert first.status_code == 302
    client.cookies.clear()  # even without the browser's cookie, the same form cannot be sent twice
    replay = client.post(form_url(link), data)
    assert replay.status_code == 409
    assert "We already have your feedback" in replay.content.decode()
    assert FeedbackResponse.objects.count() == 1


def test_same_browser_cannot_answer_twice(client, link):
    client.post(form_url(link), answers(client, link))
    again = client.get(form_url(link))
    assert again.status_code == 200
    assert "We already have your feedback" in again.content.decode()
    assert "form_token" not in again.content.decode()
    token = guards.form_token_new(link)
    assert client.post(form_url(link), answers(client, link, form_token=token)).status_code == 409
    assert FeedbackResponse.objects.count() == 1


def test_answered_cookie_is_signed_scoped_to_the_form_and_says_nothing_else(client, link, rf):
    response = client.post(form_url(link), answers(client, link))
    name = f"qms_feedback_{link.pk}"
    cookie = response.cookies[name]
    assert cookie["path"] == form_url(link)
    assert cookie["httponly"] is True
    assert cookie.value.split(":")[0] == "1"  # the value is "answered", and a signature
    request = rf.get(form_url(link))
    request.COOKIES[name] = cookie.value
    assert guards.has_answered(request, link) is True
    request.COOKIES[name] = "1:forged:signature"
    assert guards.has_answered(request, link) is False


def test_another_browser_can_answer(client, link):
    client.post(form_url(link), answers(client, link))
    client.cookies.clear()
    assert client.post(form_url(link), answers(client, link)).status_code == 302
    assert FeedbackResponse.objects.count() == 2


def test_forged_form_token_is_refused_with_the_answers_kept(client, link, other_link):
    forged = signing.dumps([link.pk, "made-up"], salt="not-our-salt")
    for token in (forged, "rubbish", "", guards.form_token_new(other_link)):
        response = client.post(form_url(link), answers(client, link, form_token=token))
        assert response.status_code == 200
        assert "has been refreshed" in response.content.decode()
        assert "Learning together as a team." in response.content.decode()
    assert FeedbackResponse.objects.count() == 0


def test_form_left_open_over_a_day_is_refreshed_then_sends(client, link):
    with time_machine.travel(dt.datetime(2025, 9, 22, 10, 0, tzinfo=dt.UTC), tick=False):
        stale = fresh_token(client, link)
    with time_machine.travel(dt.datetime(2025, 9, 23, 11, 0, tzinfo=dt.UTC), tick=False):
        response = client.post(form_url(link), answers(client, link, form_token=stale))
        assert response.status_code == 200
        assert FeedbackResponse.objects.count() == 0
        renewed = re.search(r'name="form_token" value="([^"]+)"', response.content.decode()).group(1)
        assert client.post(form_url(link), answers(client, link, form_token=renewed)).status_code == 302
    assert FeedbackResponse.objects.count() == 1


def test_flood_is_refused_per_link_with_a_429(client, link, other_link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 3
    for _ in range(3):
        client.cookies.clear()
        assert client.post(form_url(link), answers(client, link)).status_code == 302
    client.cookies.clear()
    refused = client.post(form_url(link), answers(client, link))
    assert refused.status_code == 429
    assert "wait a few minutes" in refused.content.decode()
    assert "Learning together as a team." in refused.content.decode()
    assert FeedbackResponse.objects.filter(link=link).count() == 3
    # Another session's form is not affected.
    assert client.post(form_url(other_link), answers(client, other_link)).status_code == 302


def test_rate_limit_window_passes(client, link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 1
    settings.QMS_FEEDBACK_RATE_WINDOW_SECONDS = 600
    with time_machine.travel(dt.datetime(2025, 9, 22, 10, 0, tzinfo=dt.UTC), tick=False):
        assert client.post(form_url(link), answers(client, link)).status_code == 302
        client.cookies.clear()
        assert client.post(form_url(link), answers(client, link)).status_code == 429
    with time_machine.travel(dt.datetime(2025, 9, 22, 10, 11, tzinfo=dt.UTC), tick=False):
        assert client.post(form_url(link), answers(client, link)).status_code == 302


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, link, method):
    assert getattr(client, method)(form_url(link)).status_code == 405


# --- Past the rate limit: a page of its own, status 429 ------------------------------------------


def test_past_the_rate_limit_a_friendly_429_page_keeps_the_answers(client, link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 1
    settings.QMS_FEEDBACK_RATE_WINDOW_SECONDS = 600
    with time_machine.travel(dt.datetime(2025, 9, 22, 10, 3, 20, tzinfo=dt.UTC), tick=False):
        assert client.post(form_url(link), answers(client, link)).status_code == 302
        client.cookies.clear()
        data = answers(client, link, what_better="Shorter breaks.")
        refused = client.post(form_url(link), data)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "400"  # the window of 10:00 to 10:10 ends in 6 minutes 40 seconds
    assert [t.name for t in refused.templates][0] == "feedback/rate_limited.html"
    content = refused.content.decode()
    assert "<title>Please try again in a few minutes – Feedback on this session" in content
    assert '<h2 class="h5" id="busy-title">Please try again in a few minutes</h2>' in content
    assert "Shorter breaks." in content
    # The form it shows carries a fresh token, so pressing Send later sends what was kept.
    assert re.search(r'name="form_token" value="([^"]+)"', content).group(1) != data["form_token"]
    assert FeedbackResponse.objects.count() == 1


def test_rate_limit_counts_every_post_to_the_link_in_the_database(client, link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 2
    with time_machine.travel(dt.datetime(2025, 9, 22, 10, 0, tzinfo=dt.UTC), tick=False):
        client.post(form_url(link), {})  # an empty post counts too: a flood need not be valid
        client.post(form_url(link), {})
        assert client.post(form_url(link), answers(client, link)).status_code == 429
    link.refresh_from_db()
    assert (link.rate_window, link.rate_count) == (
        int(dt.datetime(2025, 9, 22, 10, 0, tzinfo=dt.UTC).timestamp()) // 600,
        3,
    )


# --- Replays: the one-time token is used up in the database ----------------------------------------


def test_used_token_is_kept_as_a_hash_with_the_date_only(client, link):
    data = answers(client, link)
    with time_machine.travel(LONDON_EVENING, tick=False):
        client.post(form_url(link), data)
    nonce = guards.form_token_check(link, data["form_token"])
    used = FormTokenUse.objects.get()
    assert (used.token_hash, used.used_on) == (hashlib.sha256(nonce.encode()).hexdigest(), dt.date(2025, 9, 23))
    assert nonce not in used.token_hash and data["form_token"] not in used.token_hash
    # Nothing else: no time, no address, no link to the answer or the session.
    assert {f.name for f in FormTokenUse._meta.get_fields()} == {"token_hash", "used_on"}


def test_a_token_replayed_later_from_another_browser_saves_once(client, link):
    data = answers(client, link)
    with time_machine.travel(dt.datetime(2025, 9, 22, 10, 0, tzinfo=dt.UTC), tick=False):
        assert client.post(form_url(link), data).status_code == 302
    client.cookies.clear()
    with time_machine.travel(dt.datetime(2025, 9, 22, 20, 0, tzinfo=dt.UTC), tick=False):
        replay = client.post(form_url(link), data)
    assert replay.status_code == 409
    assert (FeedbackResponse.objects.count(), FormTokenUse.objects.count()) == (1, 1)


def test_a_form_refused_for_bad_answers_keeps_its_token_unused(client, link):
    data = answers(client, link, rating="")
    assert client.post(form_url(link), data).status_code == 200
    assert FormTokenUse.objects.count() == 0
    assert client.post(form_url(link), {**data, "rating": "3"}).status_code == 302
    assert FeedbackResponse.objects.get().rating == 3


# --- A shared device: one tablet passed round the room ---------------------------------------------


def share_device(link, *, on: bool = True, now: dt.datetime | None = None) -> None:
    feedback_shared_device_set(session=link.session, on=on, now=now or timezone.now())


def test_shared_device_takes_answers_one_after_another_from_one_browser_only_while_on(client, link):
    assert client.post(form_url(link), answers(client, link, what_worked="First")).status_code == 302
    assert client.post(form_url(link), answers(client, link, form_token=guards.form_token_new(link))).status_code == 409

    share_device(link)
    for text in ("Second", "Third"):
        form = client.get(form_url(link))
        assert "This device is being passed round" in form.content.decode()
        assert client.post(form_url(link), answers(client, link, what_worked=text)).status_code == 302

    share_device(link, on=False)
    assert "We already have your feedback" in client.get(form_url(link)).content.decode()
    assert client.post(form_url(link), answers(client, link, form_token=guards.form_token_new(link))).status_code == 409
    assert sorted(FeedbackResponse.objects.values_list("what_worked", flat=True)) == ["First", "Second", "Third"]


def test_shared_device_ends_by_itself_after_its_hours(client, link):
    on_at = dt.datetime(2025, 9, 22, 9, 0, tzinfo=dt.UTC)
    share_device(link, now=on_at)
    with time_machine.travel(on_at + dt.timedelta(hours=3, minutes=59), tick=False):
        assert client.post(form_url(link), answers(client, link)).status_code == 302
        assert client.post(form_url(link), answers(client, link)).status_code == 302
    with time_machine.travel(on_at + dt.timedelta(hours=4), tick=False):
        # Back to one answer per device: the shared device was never marked, so it has one more.
        assert "This device is being passed round" not in client.get(form_url(link)).content.decode()
        assert client.post(form_url(link), answers(client, link)).status_code == 302
        assert (
            client.post(form_url(link), answers(client, link, form_token=guards.form_token_new(link))).status_code
            == 409
        )
    assert FeedbackResponse.objects.count() == 3


def test_shared_device_thanks_offers_the_next_person_a_fresh_form(client, link):
    share_device(link)
    data = answers(client, link, what_worked="Kept private")
    response = client.post(form_url(link), data)
    assert f"qms_feedback_{link.pk}" not in response.cookies  # the device is not marked "has answered"
    thanks = client.get(response["Location"]).content.decode()
    assert "Please pass this device to the next person." in thanks
    assert f'<a class="btn btn-primary btn-lg" href="{form_url(link)}">Next person</a>' in thanks
    following = client.get(form_url(link))
    content = following.content.decode()
    assert "Kept private" not in content
    assert 'autocomplete="off"' in content
    assert re.search(r'name="form_token" value="([^"]+)"', content).group(1) != data["form_token"]
    # Nor may the browser keep the last person's page to show again with Back.
    assert "no-store" in following["Cache-Control"]


def test_shared_device_still_sends_each_form_once_and_keeps_the_rate_limit(client, link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 3
    share_device(link)
    data = answers(client, link)
    assert client.post(form_url(link), data).status_code == 302
    replay = client.post(form_url(link), data)
    assert replay.status_code == 409
    assert "Next person" in replay.content.decode()
    assert client.post(form_url(link), answers(client, link)).status_code == 302
    assert client.post(form_url(link), answers(client, link)).status_code == 429  # the fourth post in the window
    assert FeedbackResponse.objects.count() == 2


def test_without_a_shared_device_thanks_says_close_the_page(client, link):
    response = client.post(form_url(link), answers(client, link))
    thanks = client.get(response["Location"]).content.decode()
    assert "You can close this page now." in thanks
    assert "Next person" not in thanks


# --- Anonymity: ids say nothing about the order of answers ----------------------------------------


def test_response_ids_are_random_and_lists_do_not_follow_the_order_of_answers(client, login, personas, link):
    for n in range(12):
        client.cookies.clear()
        assert client.post(form_url(link), answers(client, link, what_worked=f"Answer {n}")).status_code == 302
    in_order = [f"Answer {n}" for n in range(12)]
    saved = FeedbackResponse.objects.values_list("id", "what_worked")
    assert all(2**32 <= pk < 2**63 for pk, _ in saved)
    by_id = [text for _, text in sorted(saved)]
    assert sorted(by_id) == sorted(in_order) and by_id != in_order  # 1 chance in 12! of a false alarm

    login("manager", personas)
    export = b"".join(client.get("/exports/feedback.csv").streaming_content).decode("utf-8-sig")
    assert [row[8] for row in list(csv.reader(io.StringIO(export)))[1:]] == by_id  # one date: then the random id
    page = client.get(reverse("feedback:session", kwargs={"session_pk": link.session_id})).content.decode()
    assert re.findall(r"<td>(Answer \d+)</td>", page) == by_id[::-1]  # newest date first, then by id


def test_a_page_answering_a_post_drops_the_post_from_the_history(client, link):
    """The form with its errors (and why answers were refused) answers a POST: its script makes the
    history entry a plain visit, so that Back never asks to send the answers again. A GET has no need."""
    assertNotContains(client.get(form_url(link)), "feedback/after_post.js")
    assertContains(client.post(form_url(link), {}), "feedback/after_post.js")
