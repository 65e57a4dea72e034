"""The public form under parallel posts, each thread with its own database connection, as two server
processes would be: a form sent twice at once saves once, and the rate limit counts every post.

PostgreSQL only: on SQLite (one writer at a time, and CI's second pass) they skip.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import skip_unless_postgresql
from feedback import guards
from feedback.models import FeedbackLink, FeedbackResponse, FormTokenUse
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def link():
    skip_unless_postgresql()
    return factories.FeedbackLinkFactory()


def in_parallel(*jobs: Callable[[], object]) -> list:
    """Runs the jobs at the same moment, each in its own thread and database connection."""
    start = threading.Barrier(len(jobs))
    results, errors = [], []

    def run(job):
        try:
            start.wait(timeout=10)
            results.append(job())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def answers(link: FeedbackLink, token: str | None = None) -> dict:
    return {
        "could_improve": "yes",
        "rating": "5",
        "what_worked": "",
        "what_better": "",
        "form_token": token or guards.form_token_new(link),
    }


def test_one_form_sent_twice_at_the_same_moment_saves_once(link):
    url = reverse("feedback:form", kwargs={"token": link.token})
    statuses = []
    for _ in range(10):
        data = answers(link)  # one form, posted by two browsers (two cookie jars) at once
        statuses += in_parallel(
            lambda data=data: Client().post(url, data).status_code,
            lambda data=data: Client().post(url, data).status_code,
        )
    assert Counter(statuses) == {302: 10, 409: 10}
    assert (FeedbackResponse.objects.count(), FormTokenUse.objects.count()) == (10, 10)


def test_rate_limit_counts_posts_from_two_connections_exactly(link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 30
    now = timezone.now()

    def posts() -> list[bool]:
        return [guards.rate_limit_hit(link, now=now) for _ in range(25)]

    hits = [hit for run in in_parallel(posts, posts) for hit in run]
    assert Counter(hits) == {False: 30, True: 20}
    link.refresh_from_db()
    assert link.rate_count == 50


def test_rate_limit_refuses_the_form_past_the_limit_across_two_connections(link, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 5
    url = reverse("feedback:form", kwargs={"token": link.token})

    def four_people() -> list[int]:
        return [Client().post(url, answers(link)).status_code for _ in range(4)]

    statuses = [status for run in in_parallel(four_people, four_people) for status in run]
    assert Counter(statuses) == {302: 5, 429: 3}
    assert FeedbackResponse.objects.filter(link=link).count() == 5
