"""Writes: saving a checklist (one transaction, history, conflicts) and changing tools."""

import pytest
from django.core.exceptions import ValidationError

from checklists.models import Checklist, RatingValue, Tool, ToolRating, UsageLevel
from checklists.services import (
    CHECKLIST_STALE_MESSAGE,
    NOT_HELD_MESSAGE,
    checklist_save,
    tool_create,
    tool_update,
)
from core.concurrency import StaleEdit
from programmes.models import Session

from .helpers import hold, save_checklist, session_number

pytestmark = pytest.mark.django_db


def all_at(tools, level, *, discussed=True, comment=""):
    return {t.pk: RatingValue(discussed=discussed, level=level, comment=comment) for t in tools}


def test_checklist_save_new_rates_every_active_tool_in_one_go(personas, held_session, tools):
    checklist = checklist_save(
        session=held_session, user=personas.coach, version=0, ratings=all_at(tools, 2), culture_note="  Keen team. "
    )
    assert checklist.version == 1
    assert checklist.coach == personas.coach
    assert checklist.culture_note == "Keen team."
    assert list(checklist.ratings.order_by("tool__order").values_list("tool__name", "level", "discussed")) == [
        (t.name, 2, True) for t in tools
    ]


def test_checklist_save_by_manager_keeps_the_teams_coach_and_records_the_manager(personas, held_session, tools):
    checklist = checklist_save(
        session=held_session, user=personas.manager, version=0, ratings=all_at(tools, 1), culture_note=""
    )
    assert checklist.coach == personas.coach
    assert checklist.history.get().history_user == personas.manager
    assert set(ToolRating.history.values_list("history_user__username", flat=True)) == {"manager"}


def test_checklist_save_session_not_held_is_refused_and_saves_nothing(personas, tools):
    session = session_number(personas.enrolment, 3)
    with pytest.raises(ValidationError) as error:
        checklist_save(session=session, user=personas.coach, version=0, ratings=all_at(tools, 2), culture_note="")
    assert error.value.messages == [NOT_HELD_MESSAGE]
    assert Checklist.objects.count() == 0
    assert ToolRating.objects.count() == 0


def test_checklist_save_cancelled_session_is_refused(personas, tools):
    session = session_number(personas.enrolment, 3)
    Session.objects.filter(pk=session.pk).update(cancelled=True)
    session.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        checklist_save(session=session, user=personas.coach, version=0, ratings=all_at(tools, 2), culture_note="")
    assert error.value.messages == ["This session was cancelled, so it has no checklist."]
    assert Checklist.objects.count() == 0


def test_checklist_save_missing_tool_is_refused_and_saves_nothing(personas, held_session, tools):
    ratings = all_at(tools[:-1], 2)
    with pytest.raises(ValidationError) as error:
        checklist_save(session=held_session, user=personas.coach, version=0, ratings=ratings, culture_note="")
    assert error.value.messages == ["Rate every tool on the checklist. Missing: Performance review report."]
    assert Checklist.objects.count() == 0


def test_checklist_save_unknown_tool_is_refused(personas, held_session, tools):
    ratings = {**all_at(tools, 2), 999_999: RatingValue(True, 2)}
    with pytest.raises(ValidationError, match="not on this checklist"):
        checklist_save(session=held_session, user=personas.coach, version=0, ratings=ratings, culture_note="")
    assert Checklist.objects.count() == 0


@pytest.mark.parametrize("level", [-1, 4, 7])
def test_checklist_save_level_off_the_scale_is_refused_and_saves_nothing(personas, held_session, tools, level):
    ratings = {**all_at(tools, 2), tools[0].pk: RatingValue(True, level)}
    with pytest.raises(ValidationError, match="one of the four on the scale"):
        checklist_save(session=held_session, user=personas.coach, version=0, ratings=ratings, culture_note="")
    assert Checklist.objects.count() == 0
    assert ToolRating.objects.count() == 0


def test_checklist_save_edit_of_a_level_off_the_scale_leaves_the_saved_checklist_as_it_was(
    personas, held_session, tools
):
    save_checklist(held_session, personas.coach, 2, note="First")
    ratings = {**all_at(tools, 3), tools[-1].pk: RatingValue(True, 9)}
    with pytest.raises(ValidationError):
        checklist_save(session=held_session, user=personas.coach, version=1, ratings=ratings, culture_note="Second")
    checklist = Checklist.objects.get()
    assert (checklist.version, checklist.culture_note) == (1, "First")
    assert set(checklist.ratings.values_list("level", flat=True)) == {2}


def test_checklist_save_edit_keeps_history_of_who_changed_which_rating(personas, held_session, tools):
    save_checklist(held_session, personas.coach, 2)
    go_and_see = Tool.objects.get(name="Go and See")
    ratings = {**all_at(tools, 2), go_and_see.pk: RatingValue(True, 3, "Every Tuesday")}
    checklist = checklist_save(
        session=held_session, user=personas.manager, version=1, ratings=ratings, culture_note="Moved on"
    )
    assert checklist.version == 2
    rating = checklist.ratings.get(tool=go_and_see)
    assert (rating.level, rating.comment) == (3, "Every Tuesday")
    history = list(rating.history.order_by("history_date").values_list("level", "history_user__username"))
    assert history == [(2, "coach"), (3, "manager")]
    # Only the changed rating gets a new history record.
    assert ToolRating.history.filter(history_type="~").count() == 1
    assert list(checklist.history.order_by("history_date").values_list("version", "culture_note")) == [
        (1, ""),
        (2, "Moved on"),
    ]


def test_checklist_save_stale_version_is_refused_and_the_first_save_is_kept(personas, held_session, tools):
    save_checklist(held_session, personas.coach, 2)
    # Both opened version 1; the manager saves first.
    checklist_save(session=held_session, user=personas.manager, version=1, ratings=all_at(tools, 3), culture_note="M")
    with pytest.raises(StaleEdit) as error:
        checklist_save(session=held_session, user=personas.coach, version=1, ratings=all_at(tools, 0), culture_note="C")
    assert error.value.messages == [CHECKLIST_STALE_MESSAGE]
    checklist = Checklist.objects.get()
    assert (checklist.version, checklist.culture_note) == (2, "M")
    assert set(checklist.ratings.values_list("level", flat=True)) == {3}


def test_checklist_save_stale_version_with_the_same_answers_as_saved_is_accepted(personas, held_session, tools):
    save_checklist(held_session, personas.coach, 2)
    checklist_save(session=held_session, user=personas.manager, version=1, ratings=all_at(tools, 3), culture_note="")
    checklist = checklist_save(
        session=held_session, user=personas.coach, version=1, ratings=all_at(tools, 3), culture_note=""
    )
    assert checklist.version == 2  # nothing to write: what was sent is what is saved


def test_checklist_save_new_when_someone_already_filled_it_in_is_a_conflict(personas, held_session, tools):
    save_checklist(held_session, personas.manager, 3)
    with pytest.raises(StaleEdit):
        checklist_save(session=held_session, user=personas.coach, version=0, ratings=all_at(tools, 0), culture_note="")
    assert set(Checklist.objects.get().ratings.values_list("level", flat=True)) == {3}


def test_checklist_save_retired_tool_stays_on_old_checklist_and_leaves_new_ones(personas, held_session, tools):
    save_checklist(held_session, personas.coach, 2)
    huddle = Tool.objects.get(name="Improvement huddle")
    Tool.objects.filter(pk=huddle.pk).update(active=False)
    # The old checklist still has, and is edited with, the retired tool.
    checklist = checklist_save(
        session=held_session, user=personas.coach, version=1, ratings=all_at(tools, 3), culture_note=""
    )
    assert checklist.ratings.count() == 9
    assert checklist.ratings.get(tool=huddle).level == 3
    # A new checklist rates the eight active tools only; rating the retired one is refused.
    later = hold(session_number(personas.enrolment, 3))
    with pytest.raises(ValidationError, match="not on this checklist"):
        checklist_save(session=later, user=personas.coach, version=0, ratings=all_at(tools, 2), culture_note="")
    active = [t for t in tools if t.pk != huddle.pk]
    new = checklist_save(session=later, user=personas.coach, version=0, ratings=all_at(active, 2), culture_note="")
    assert new.ratings.count() == 8


def test_checklist_save_new_tool_is_not_added_to_an_old_checklist(personas, held_session, tools):
    save_checklist(held_session, personas.coach, 2)
    added = Tool.objects.create(name="Visual management", order=10)
    with pytest.raises(ValidationError, match="not on this checklist"):
        checklist_save(
            session=held_session,
            user=personas.coach,
            version=1,
            ratings=all_at([*tools, added], 3),
            culture_note="",
        )
    assert Checklist.objects.get().ratings.count() == 9


def test_checklist_save_comment_too_long_is_refused(personas, held_session, tools):
    ratings = {**all_at(tools, 2), tools[0].pk: RatingValue(True, 2, "x" * 1001)}
    with pytest.raises(ValidationError, match="1000 characters"):
        checklist_save(session=held_session, user=personas.coach, version=0, ratings=ratings, culture_note="")
    assert Checklist.objects.count() == 0


def test_tool_create_adds_an_active_tool(personas):
    tool = tool_create(name=" Visual management ", order=10, description="Boards everywhere.", user=personas.manager)
    assert (tool.name, tool.order, tool.active, tool.version) == ("Visual management", 10, True, 1)
    assert tool.history.get().history_user == personas.manager


def test_tool_create_duplicate_name_any_case_is_refused(db):
    with pytest.raises(ValidationError) as error:
        tool_create(name="go and see", order=10, description="")
    assert error.value.message_dict == {"name": ["There is already a tool called go and see."]}
    assert Tool.objects.count() == 9


def test_tool_update_retires_and_reorders(personas):
    tool = Tool.objects.get(name="Improvement huddle")
    tool_update(tool=tool, version=1, name=tool.name, order=20, description="Gone", active=False, user=personas.manager)
    tool.refresh_from_db()
    assert (tool.order, tool.description, tool.active, tool.version) == (20, "Gone", False, 2)
    assert list(tool.history.order_by("history_date").values_list("active", "history_user__username")) == [
        (False, "manager")
    ]


def test_tool_update_stale_version_is_refused_and_the_first_save_is_kept(db):
    first = Tool.objects.get(name="Go and See")
    second = Tool.objects.get(name="Go and See")
    tool_update(tool=first, version=1, name=first.name, order=5, description="First", active=True)
    with pytest.raises(StaleEdit):
        tool_update(tool=second, version=1, name=second.name, order=6, description="Second", active=False)
    first.refresh_from_db()
    assert (first.order, first.description, first.active, first.version) == (5, "First", True, 2)


def test_tool_update_rename_of_a_rated_tool_is_refused(personas, held_session):
    save_checklist(held_session, personas.coach, 2)
    tool = Tool.objects.get(name="Go and See")
    with pytest.raises(ValidationError) as error:
        tool_update(tool=tool, version=1, name="Gemba walk", order=2, description="", active=True)
    assert error.value.message_dict == {
        "name": ["Checklists have rated this tool, so its name stays. Retire it and add a new tool instead."]
    }
    tool.refresh_from_db()
    assert (tool.name, tool.version) == ("Go and See", 1)


def test_tool_update_rename_of_an_unrated_tool_is_allowed(db):
    tool = tool_create(name="Visual managment", order=10, description="")
    tool_update(tool=tool, version=1, name="Visual management", order=10, description="", active=True)
    tool.refresh_from_db()
    assert tool.name == "Visual management"


def test_tool_update_rename_to_an_existing_name_is_refused(db):
    tool = tool_create(name="Visual management", order=10, description="")
    with pytest.raises(ValidationError) as error:
        tool_update(tool=tool, version=1, name="GO AND SEE", order=10, description="", active=True)
    assert error.value.message_dict == {"name": ["There is already a tool called GO AND SEE."]}


def test_usage_level_labels_are_the_source_documents():
    assert [label for _, label in UsageLevel.choices] == ["Not at all", "Oscillatory", "Sometimes", "Most of the time"]
