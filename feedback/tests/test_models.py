import pytest

from tests import factories
from tests.helpers import assert_violates

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rating", [0, 6])
def test_feedback_rating_is_1_to_5(rating):
    assert_violates(lambda: factories.FeedbackResponseFactory(rating=rating))


def test_one_feedback_link_per_session_with_unique_token():
    link = factories.FeedbackLinkFactory()
    assert_violates(lambda: factories.FeedbackLinkFactory(session=link.session))
    other = factories.FeedbackLinkFactory()
    assert len(link.token) >= 32 and link.token != other.token
    assert_violates(lambda: factories.FeedbackLinkFactory(token=link.token))


def test_content_change_links_feedback_responses():
    response = factories.FeedbackResponseFactory(what_better="Typos on slide 4")
    change = factories.ContentChangeFactory()
    change.responses.add(response)
    assert list(response.content_changes.all()) == [change]
