"""Migration 0004: responses saved before random ids get random ids, keeping their links to content
changes; nothing saved is lost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("feedback", "0002_contentchange_version")]


def test_responses_saved_with_counted_ids_get_random_ones_and_keep_their_changes():
    link = factories.FeedbackLinkFactory()
    template_pk = factories.default_template().pk
    executor = MigrationExecutor(connection)
    latest = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "feedback"]
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    response_model = old.get_model("feedback", "FeedbackResponse")
    saved = [
        response_model.objects.create(
            link_id=link.pk, could_improve="yes", rating=r, what_better=f"Comment {r}", submitted_on="2025-09-22"
        )
        for r in (3, 4, 5)
    ]
    assert [r.pk for r in saved] == sorted(r.pk for r in saved) and saved[-1].pk < 2**32  # counted
    change = old.get_model("feedback", "ContentChange").objects.create(
        template_id=template_pk, section="Slides", kind="spelling", description="Typos", made_on="2025-09-30"
    )
    change.responses.set(saved[1:])

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    from feedback.models import ContentChange, FeedbackResponse

    renumbered = dict(FeedbackResponse.objects.values_list("what_better", "id"))
    assert sorted(renumbered) == ["Comment 3", "Comment 4", "Comment 5"]
    assert all(2**32 <= pk < 2**63 for pk in renumbered.values())
    assert not {r.pk for r in saved} & set(renumbered.values())
    linked = ContentChange.objects.get(pk=change.pk).responses.order_by("rating")
    assert [r.what_better for r in linked] == ["Comment 4", "Comment 5"]
    assert FeedbackResponse.objects.get(what_better="Comment 3").link_id == link.pk
    # And a new answer gets a random id too.
    assert factories.FeedbackResponseFactory(link=link).pk >= 2**32
