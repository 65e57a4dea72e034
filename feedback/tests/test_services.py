"""Writes behind the public form: the one-time token used up with the answer, the purge of old
tokens, and the shared device switch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from feedback import guards
from feedback.models import FeedbackLink, FeedbackResponse, FormTokenUse
from feedback.services import (
    feedback_link_close,
    feedback_response_create,
    feedback_shared_device_set,
    form_tokens_purge,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 22)
MORNING = dt.datetime(2025, 9, 22, 9, 0, tzinfo=dt.UTC)


def answer(link: FeedbackLink, **extra) -> FeedbackResponse:
    fields = {"could_improve": "yes", "rating": 5, "what_worked": "", "what_better": "", "today": TODAY}
    return feedback_response_create(link=link, **{**fields, **extra})


def test_a_form_token_is_used_once_and_the_second_changes_nothing(link):
    answer(link, form_token="nonce-1")
    with pytest.raises(ValidationError) as refused:
        answer(link, form_token="nonce-1", what_worked="Second try")
    assert (refused.value.code, refused.value.messages) == (
        "already_sent",
        ["This form has already been sent, so nothing more has been saved."],
    )
    assert list(FeedbackResponse.objects.values_list("what_worked", flat=True)) == [""]
    assert list(FormTokenUse.objects.values_list("token_hash", "used_on")) == [
        (guards.form_token_hash("nonce-1"), TODAY)
    ]
    answer(link, form_token="nonce-2")
    assert FeedbackResponse.objects.count() == 2


def test_an_answer_refused_uses_up_no_token(link):
    with pytest.raises(ValidationError):
        answer(link, form_token="nonce-1", rating=9)
    link.is_open = False
    link.save()
    with pytest.raises(ValidationError):
        answer(link, form_token="nonce-1")
    assert FormTokenUse.objects.count() == 0


def test_answers_from_no_form_need_no_token(link):
    answer(link)
    answer(link)
    assert (FeedbackResponse.objects.count(), FormTokenUse.objects.count()) == (2, 0)


def _used(day: dt.date, name: str) -> None:
    FormTokenUse.objects.create(token_hash=guards.form_token_hash(name), used_on=day)


def test_purge_forgets_tokens_that_can_no_longer_be_accepted():
    for days_ago in (0, 1, 2, 3, 30):
        _used(TODAY - dt.timedelta(days=days_ago), f"used {days_ago} days ago")
    # A token lasts a day from when it was shown, so one used two days ago has long expired; a day more is kept.
    assert form_tokens_purge(today=TODAY) == 2
    assert sorted(FormTokenUse.objects.values_list("used_on", flat=True)) == [
        dt.date(2025, 9, 20),
        dt.date(2025, 9, 21),
        dt.date(2025, 9, 22),
    ]
    assert form_tokens_purge(today=TODAY) == 0


def test_each_accepted_answer_purges_old_tokens_after_it_commits(link, django_capture_on_commit_callbacks):
    _used(TODAY - dt.timedelta(days=5), "old")
    _used(TODAY - dt.timedelta(days=1), "yesterday")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer(link, form_token="today")
    assert len(callbacks) == 1
    assert sorted(FormTokenUse.objects.values_list("used_on", flat=True)) == [dt.date(2025, 9, 21), TODAY]


def test_purge_command_says_how_many(capsys):
    _used(dt.date(2020, 1, 1), "long ago")
    call_command("purge_feedback_tokens")
    assert capsys.readouterr().out == "1 used form tokens purged\n"
    assert FormTokenUse.objects.count() == 0


def test_shared_device_lasts_four_hours_and_turns_off(link):
    turned_on = feedback_shared_device_set(session=link.session, on=True, now=MORNING)
    link.refresh_from_db()
    assert link.shared_device_until == turned_on.shared_device_until == dt.datetime(2025, 9, 22, 13, 0, tzinfo=dt.UTC)
    assert link.shared_device_on(MORNING + dt.timedelta(hours=3, minutes=59)) is True
    assert link.shared_device_on(MORNING + dt.timedelta(hours=4)) is False
    feedback_shared_device_set(session=link.session, on=False, now=MORNING)
    link.refresh_from_db()
    assert (link.shared_device_until, link.shared_device_on(MORNING)) == (None, False)


def test_shared_device_needs_an_open_link_and_closing_ends_it(session_1):
    with pytest.raises(ValidationError) as no_link:
        feedback_shared_device_set(session=session_1, on=True, now=MORNING)
    assert no_link.value.code == "no_link"
    link = FeedbackLink.objects.create(session=session_1)
    feedback_shared_device_set(session=session_1, on=True, now=MORNING)
    feedback_link_close(session=session_1)
    link.refresh_from_db()
    assert (link.is_open, link.shared_device_until) == (False, None)
    with pytest.raises(ValidationError) as closed:
        feedback_shared_device_set(session=session_1, on=True, now=MORNING)
    assert closed.value.code == "closed"
    feedback_shared_device_set(session=session_1, on=False, now=MORNING)  # off is always allowed
