import pytest

from checklists.models import Tool
from tests import factories
from tests.helpers import assert_violates

from .helpers import SEEDED_TOOLS

pytestmark = pytest.mark.django_db


def test_nine_tools_seeded_in_the_source_documents_order():
    assert list(Tool.objects.values_list("name", flat=True)) == SEEDED_TOOLS


def test_one_checklist_per_session():
    checklist = factories.ChecklistFactory()
    assert_violates(lambda: factories.ChecklistFactory(session=checklist.session))


def test_one_rating_per_tool_per_checklist():
    rating = factories.ToolRatingFactory()
    assert_violates(lambda: factories.ToolRatingFactory(checklist=rating.checklist, tool=rating.tool))


@pytest.mark.parametrize("level", [4, 9])
def test_rating_level_is_0_to_3(level):
    assert_violates(lambda: factories.ToolRatingFactory(level=level))


def test_tool_name_unique():
    assert_violates(lambda: factories.ToolFactory(name="Go and See"))


def test_checklist_changes_are_kept_in_history():
    rating = factories.ToolRatingFactory(level=1)
    rating.level = 3
    rating.save()
    assert list(rating.history.order_by("history_date").values_list("level", flat=True)) == [1, 3]
