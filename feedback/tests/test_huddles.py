"""The huddle check-in from a team's improvement board: the board sheet with its QR code for the
team's coaches and managers, and the no-login check-in page it opens (one per team per London day,
nothing about who tapped, the feedback form's abuse guards)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from conftest import PERSONAS, skip_unless_postgresql
from core.security import redact_path
from feedback import guards
from feedback.models import FormTokenUse
from feedback.services import huddle_board_for_team, huddle_check_in_record
from feedback.tests.test_concurrency import in_parallel
from programmes.models import HuddleBoard, HuddleCheckIn, ImprovementBoard, TeamMeeting
from programmes.services.scheduling import team_meeting_create, team_meeting_update
from tests import factories

pytestmark = pytest.mark.django_db

SUMMER_NIGHT = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 BST on 2 July in London


@pytest.fixture
def team(personas):
    """The coach's team, with a physical board."""
    team = personas.enrolment.team
    team.improvement_board = ImprovementBoard.PHYSICAL
    team.board_location = "Corridor by the office"
    team.save()
    return team


@pytest.fixture
def board(team) -> HuddleBoard:
    return huddle_board_for_team(team=team)


def check_in_url(board) -> str:
    return reverse("feedback:huddle", kwargs={"token": board.token})


def fresh_token(client, board) -> str:
    page = client.get(check_in_url(board)).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def tap(client, board, **data):
    """One tap on "Huddle held today", from a freshly shown page unless a form_token is given."""
    data.setdefault("people", "")
    data.setdefault("note", "")
    if "form_token" not in data:
        data["form_token"] = fresh_token(client, board)
    return client.post(check_in_url(board), data)


def sheet_url(team) -> str:
    return reverse("feedback:huddle_sheet", kwargs={"team_pk": team.pk})


def reset_url(team) -> str:
    return reverse("feedback:huddle_reset", kwargs={"team_pk": team.pk})


# --- What is stored -----------------------------------------------------------------------------


def test_check_in_table_keeps_no_user_address_or_time_of_day():
    assert {f.name for f in HuddleCheckIn._meta.concrete_fields} == {"id", "team", "held_on", "people", "note"}
    assert HuddleCheckIn._meta.get_field("held_on").get_internal_type() == "DateField"


@pytest.mark.django_db
def test_check_in_table_in_the_database_has_those_columns_only():
    from django.db import connection

    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, HuddleCheckIn._meta.db_table)}
    assert columns == {"id", "team_id", "held_on", "people", "note"}


def test_board_table_holds_the_token_and_the_flood_counter_only():
    assert {f.name for f in HuddleBoard._meta.concrete_fields} == {
        "id", "team", "token", "created_at", "token_reset_at", "rate_window", "rate_count",
    }  # fmt: skip


def test_board_is_made_once_with_an_unguessable_token(team):
    first = huddle_board_for_team(team=team)
    again = huddle_board_for_team(team=team)
    assert (HuddleBoard.objects.count(), again.token) == (1, first.token)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first.token)
    assert huddle_board_for_team(team=factories.TeamFactory()).token != first.token


def test_check_in_address_is_hidden_in_logs(board):
    assert redact_path(check_in_url(board)) == "/feedback/huddle/<token>/"
    recorded = reverse("feedback:huddle_recorded", kwargs={"token": board.token})
    assert redact_path(recorded) == "/feedback/huddle/<token>/recorded/"


# --- The check-in page ----------------------------------------------------------------------------


def test_check_in_page_shows_without_login(client, board, team):
    response = client.get(check_in_url(board))
    assertContains(response, "Huddle held today")
    assertContains(response, team.name)
    assert response["Cache-Control"].startswith("max-age=0")


def test_one_tap_records_todays_huddle_with_what_was_typed(client, board, team):
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 20, tzinfo=dt.UTC), tick=False):
        response = tap(client, board, people="7", note="  Ideas   board: move the rota  ")
        done = reverse("feedback:huddle_recorded", kwargs={"token": board.token})
        assertRedirects(response, done)
        page = client.get(done)
    assertContains(page, "Thank you — today's huddle is recorded")
    saved = HuddleCheckIn.objects.get()
    assert (saved.team_id, saved.held_on, saved.people, saved.note) == (
        team.pk,
        dt.date(2026, 3, 3),
        7,
        "Ideas board: move the rota",
    )
    from django.contrib.sessions.models import Session as DjangoSession

    assert DjangoSession.objects.count() == 0  # no server-side record of the phone that tapped


def test_check_in_counts_for_the_london_date(client, board):
    with time_machine.travel(SUMMER_NIGHT, tick=False):
        assert tap(client, board).status_code == 302
    assert list(HuddleCheckIn.objects.values_list("held_on", flat=True)) == [dt.date(2026, 7, 2)]


def test_many_taps_in_a_day_count_once_and_say_so(client, board):
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False):
        assert tap(client, board, people="5", note="First").status_code == 302
        for _ in range(4):
            response = tap(client, board, people="9", note="Later")
            assert response.status_code == 302
            assert response["Location"].endswith("/recorded/?already=1")
        page = client.get(response["Location"])
        assertContains(page, "Today's huddle was already recorded; thank you")
        assertContains(client.get(check_in_url(board)), "Today's huddle is already recorded")
    assert list(HuddleCheckIn.objects.values_list("people", "note")) == [(5, "First")]
    with time_machine.travel(dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        assert tap(client, board).status_code == 302
    assert HuddleCheckIn.objects.count() == 2


def test_two_teams_each_have_their_own_day(client, board, personas):
    other = huddle_board_for_team(team=personas.other_enrolment.team)
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False):
        assert tap(client, board).status_code == 302
        response = tap(client, other)
        assert response["Location"].endswith("/recorded/")
    assert HuddleCheckIn.objects.count() == 2


def test_confirmation_without_a_check_in_today_goes_back_to_the_button(client, board):
    done = reverse("feedback:huddle_recorded", kwargs={"token": board.token})
    assertRedirects(client.get(done), check_in_url(board))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"people": "-3"}, "Give a number of people from 1 to 100"),
        ({"people": "0"}, "Give a number of people from 1 to 100"),
        ({"people": "101"}, "Give a number of people from 1 to 100"),
        ({"people": "lots"}, "Give a number of people from 1 to 100"),
        ({"people": "9" * 5000}, "Give a number of people from 1 to 100"),
        ({"note": "x" * 201}, "Keep this to 200 characters or fewer"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, board, data, message):
    response = tap(client, board, **data)
    assert response.status_code == 200
    assertContains(response, message)
    assert (HuddleCheckIn.objects.count(), FormTokenUse.objects.count()) == (0, 0)


def test_a_note_of_exactly_200_characters_is_kept(client, board):
    assert tap(client, board, note="y" * 200).status_code == 302
    assert HuddleCheckIn.objects.get().note == "y" * 200


def test_service_refuses_what_the_form_would(board):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        huddle_check_in_record(board=board, people=0, note="z" * 201, today=dt.date(2026, 3, 3))
    assert set(error.value.message_dict) == {"people", "note"}
    assert HuddleCheckIn.objects.count() == 0


def test_replayed_form_is_refused_without_adding_anything(client, board):
    token = fresh_token(client, board)
    assert tap(client, board, form_token=token).status_code == 302
    HuddleCheckIn.objects.all().delete()  # so that only the token can refuse the replay
    replay = tap(client, board, form_token=token)
    assert replay.status_code == 409
    assertContains(replay, "already recorded", status_code=409)
    assert HuddleCheckIn.objects.count() == 0


@pytest.mark.parametrize("kind", ["forged", "feedback form's", "other board's"])
def test_a_form_token_not_issued_for_this_board_is_refused(client, board, personas, kind):
    link = factories.FeedbackLinkFactory()
    link.pk = board.pk  # the same id as the board: only the token's kind tells them apart
    token = {
        "forged": "rubbish",
        "feedback form's": guards.form_token_new(link),
        "other board's": guards.form_token_new(huddle_board_for_team(team=personas.other_enrolment.team)),
    }[kind]
    response = tap(client, board, form_token=token)
    assert response.status_code == 200
    assertContains(response, "has been refreshed")
    assert HuddleCheckIn.objects.count() == 0


def test_flood_is_refused_per_board_with_a_429(client, board, personas, settings):
    settings.QMS_FEEDBACK_RATE_LIMIT = 3
    for _ in range(3):
        assert tap(client, board).status_code == 302
    refused = tap(client, board, note="Still typed")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assertContains(refused, "Please try again in a few minutes", status_code=429)
    assertContains(refused, "Still typed", status_code=429)
    board.refresh_from_db()
    assert board.rate_count == 4
    # Another team's board is not affected.
    assert tap(client, huddle_board_for_team(team=personas.other_enrolment.team)).status_code == 302


def test_unknown_token_is_a_plain_404(client, board):
    response = client.get(reverse("feedback:huddle", kwargs={"token": "A" * 32}))
    assert response.status_code == 404
    assertContains(response, "We can’t find this huddle check-in", status_code=404)
    assertNotContains(response, board.team.name, status_code=404)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, board, method):
    assert getattr(client, method)(check_in_url(board)).status_code == 405


# --- Reset ----------------------------------------------------------------------------------------


def test_reset_stops_the_old_code_and_keeps_the_check_ins(client, login, personas, board, team):
    old_url = check_in_url(board)
    token = fresh_token(client, board)  # a page opened from the old code before the reset
    assert tap(client, board).status_code == 302
    login("coach", personas)
    assertRedirects(client.post(reset_url(team)), sheet_url(team))
    board.refresh_from_db()
    assert board.token_reset_at is not None
    client.logout()
    assert client.get(old_url).status_code == 404
    assert client.post(old_url, {"form_token": token}).status_code == 404
    assert client.get(check_in_url(board)).status_code == 200
    assert HuddleCheckIn.objects.count() == 1


# --- The board sheet ------------------------------------------------------------------------------


def test_sheet_shows_the_huddle_day_time_and_qr_code(client, login, personas, team):
    TeamMeeting.objects.create(
        team=team, name="Board huddle", weekday=1, start_time=dt.time(9, 15), duration_minutes=15,
        every_weeks=1, first_date=dt.date(2026, 3, 3), location="By the board", is_huddle=True,
    )  # fmt: skip
    login("coach", personas)
    response = client.get(sheet_url(team))
    board = HuddleBoard.objects.get(team=team)
    assertContains(response, "<li>Every Tuesday at 09:15, 15 minutes, By the board</li>", html=True)
    assert re.search(r'<svg role="img"[^>]*class="qr-code"', response.content.decode())
    assertContains(response, check_in_url(board))
    assertNotContains(response, "not physical")


def test_sheet_without_a_huddle_meeting_or_physical_board_says_so(client, login, personas, team):
    team.improvement_board = ImprovementBoard.VIRTUAL
    team.save()
    factories.TeamMeetingFactory(team=team, name="Monthly team meeting")  # not marked as the huddle
    login("manager", personas)
    response = client.get(sheet_url(team))
    assertContains(response, "recorded as virtual, not physical")
    assertContains(response, "No meeting of")
    assertNotContains(response, 'id="huddle-when"')


def test_sheet_fortnightly_huddle_reads_every_2_weeks(client, login, personas, team):
    factories.TeamMeetingFactory(team=team, every_weeks=2, is_huddle=True)
    login("manager", personas)
    assertContains(client.get(sheet_url(team)), "Every 2 weeks on Tuesday at 09:00, 30 minutes, Seminar room 2")


def test_sheet_of_a_team_that_huddles_on_several_days_lists_each(client, login, personas, team):
    for weekday, first in ((3, dt.date(2026, 3, 5)), (0, dt.date(2026, 3, 2))):
        factories.TeamMeetingFactory(
            team=team,
            weekday=weekday,
            first_date=first,
            start_time=dt.time(8, 30),
            duration_minutes=10,
            location="",
            is_huddle=True,
        )
    login("manager", personas)
    response = client.get(sheet_url(team))
    days = re.findall(r"<li>(Every \w+ at 08:30, 10 minutes)</li>", response.content.decode())
    assert days == ["Every Monday at 08:30, 10 minutes", "Every Thursday at 08:30, 10 minutes"]


def test_team_page_links_the_sheet_for_its_coach_and_managers_only(client, login, personas, team):
    for persona, shown in [("manager", True), ("coach", True), ("lead", False)]:
        login(persona, personas)
        response = client.get(reverse("programmes:team", kwargs={"pk": team.pk}))
        assert response.status_code == 200
        assert (sheet_url(team) in response.content.decode()) is shown, persona


def test_team_page_says_when_the_board_is_not_physical(client, login, personas):
    team = personas.other_enrolment.team  # no board recorded
    login("manager", personas)
    response = client.get(reverse("programmes:team", kwargs={"pk": team.pk}))
    assertContains(response, "No improvement board recorded.")
    assertContains(response, "A team that tried a virtual improvement board stopped holding its huddle")
    assertContains(response, "A sheet with a check-in QR code is made for a physical board")


# --- Permissions: every role on each staff page ---------------------------------------------------

SHEET_STATUS = {"manager": 200, "coach": 200, "other_coach": 404, "lead": 403, "no_role": 403}


@pytest.mark.parametrize("persona", [*PERSONAS, "no_role"])
def test_sheet_permissions(client, login, personas, team, persona):
    login(persona, personas)
    response = client.get(sheet_url(team))
    if persona == "anonymous":
        assertRedirects(response, f"{reverse('login')}?next={sheet_url(team)}", fetch_redirect_response=False)
        assert HuddleBoard.objects.count() == 0
        return
    assert response.status_code == SHEET_STATUS[persona]
    if response.status_code == 200:
        assertContains(response, check_in_url(HuddleBoard.objects.get(team=team)))
    else:
        assert HuddleBoard.objects.count() == 0  # nothing made for someone who may not see it


@pytest.mark.parametrize("persona", [*PERSONAS, "no_role"])
def test_reset_permissions(client, login, personas, board, team, persona):
    login(persona, personas)
    response = client.post(reset_url(team))
    board_after = HuddleBoard.objects.get(pk=board.pk)
    if persona == "anonymous":
        assertRedirects(response, f"{reverse('login')}?next={reset_url(team)}", fetch_redirect_response=False)
    elif persona in ("manager", "coach"):
        assertRedirects(response, sheet_url(team))
        assert board_after.token != board.token
        return
    else:
        assert response.status_code == SHEET_STATUS[persona]
    assert board_after.token == board.token


def test_reset_is_post_only(client, login, personas, team):
    login("manager", personas)
    assert client.get(reset_url(team)).status_code == 405


def test_a_coach_of_an_earlier_enrolment_of_the_team_may_see_the_sheet(client, personas, team):
    earlier = factories.CoachFactory(username="earlier")
    factories.EnrolmentFactory(team=team, coach=earlier, status="completed")
    client.force_login(earlier)
    assert client.get(sheet_url(team)).status_code == 200


def test_a_coach_who_is_also_a_lead_reads_but_cannot_open_another_teams_sheet(client, personas, team):
    from django.contrib.auth.models import Group

    personas.other_coach.groups.add(Group.objects.get(name="Education leads"))
    client.force_login(personas.other_coach)
    assert client.get(sheet_url(team)).status_code == 403


# --- The team's huddle meeting --------------------------------------------------------------------


def meeting_fields(**overrides) -> dict:
    fields = {
        "name": "Huddle", "weekday": 1, "start_time": dt.time(9, 0), "duration_minutes": 15, "every_weeks": 1,
        "first_date": dt.date(2026, 3, 3), "location": "",
    }  # fmt: skip
    return fields | overrides


def test_several_meetings_of_a_team_can_be_its_huddle_and_an_edit_keeps_the_mark(team):
    monday = team_meeting_create(team=team, is_huddle=True, **meeting_fields(name="Monday huddle", weekday=0,
                                 first_date=dt.date(2026, 3, 2)))  # fmt: skip
    team_meeting_create(team=team, is_huddle=True, **meeting_fields(name="Tuesday huddle"))
    team_meeting_create(team=team, **meeting_fields(name="Team meeting"))
    marked = TeamMeeting.objects.filter(team=team, is_huddle=True).order_by("weekday").values_list("name", flat=True)
    assert list(marked) == ["Monday huddle", "Tuesday huddle"]
    team_meeting_update(meeting=monday, version=monday.version, **meeting_fields(name="Early huddle", weekday=0,
                        first_date=dt.date(2026, 3, 2)))  # fmt: skip
    assert TeamMeeting.objects.get(pk=monday.pk).is_huddle is True  # not given: as it was
    monday.refresh_from_db()
    team_meeting_update(meeting=monday, version=monday.version, is_huddle=False, **meeting_fields(weekday=0,
                        first_date=dt.date(2026, 3, 2)))  # fmt: skip
    assert TeamMeeting.objects.get(pk=monday.pk).is_huddle is False


def test_meeting_form_marks_the_huddle(client, login, personas, team):
    login("manager", personas)
    url = reverse("programmes:meeting_create", kwargs={"pk": team.pk})
    assertContains(client.get(url), "This is the team&#x27;s huddle")
    data = {
        "name": "Board huddle", "weekday": "1", "start_time": "09:00", "duration_minutes": "15",
        "every_weeks": "1", "first_date": "2026-03-03", "location": "", "is_huddle": "on",
    }  # fmt: skip
    assertRedirects(client.post(url, data), reverse("programmes:team", kwargs={"pk": team.pk}))
    assert TeamMeeting.objects.get(team=team).is_huddle is True
    assertContains(client.get(reverse("programmes:team", kwargs={"pk": team.pk})), "The team's huddle</span>")


# --- Parallel taps (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_phones_tapping_at_the_same_moment_save_one():
    skip_unless_postgresql()
    from django.test import Client

    board = huddle_board_for_team(team=factories.TeamFactory())
    url = check_in_url(board)
    statuses = []
    for attempt in range(5):
        HuddleCheckIn.objects.all().delete()
        tokens = [guards.form_token_new(board), guards.form_token_new(board)]  # two phones, two pages
        statuses += in_parallel(
            *(lambda t=t: Client().post(url, {"form_token": t, "people": "", "note": ""})["Location"] for t in tokens)
        )
        assert HuddleCheckIn.objects.count() == 1, attempt
    assert Counter(location.endswith("?already=1") for location in statuses) == {True: 5, False: 5}


@pytest.mark.django_db(transaction=True)
def test_one_page_sent_twice_at_the_same_moment_saves_once():
    skip_unless_postgresql()
    from django.test import Client

    board = huddle_board_for_team(team=factories.TeamFactory())
    url = check_in_url(board)
    token = guards.form_token_new(board)
    statuses = in_parallel(
        *(lambda: Client().post(url, {"form_token": token, "people": "4", "note": ""}).status_code for _ in range(2))
    )
    assert sorted(statuses) == [302, 409]
    assert (HuddleCheckIn.objects.count(), FormTokenUse.objects.count()) == (1, 1)
