"""Scheduling writes: teams and meetings, cohorts, enrolments and their sessions, recording,
cancelling and moving sessions, and refusing stale saves."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from coaching.models import CoachingAgreement, SlotsState
from coaching.selectors import enrolment_slots
from core.concurrency import StaleEdit
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ImprovementBoard,
    Session,
    SessionChange,
    Team,
    TeamMeeting,
)
from programmes.services.scheduling import (
    cohort_create,
    cohort_update,
    enrolment_create,
    enrolment_set_status,
    enrolment_update,
    session_cancel,
    session_move,
    session_record_held,
    team_create,
    team_meeting_create,
    team_meeting_update,
    team_update,
)
from tests import factories

LONDON = ZoneInfo("Europe/London")
SESSION_1 = dt.date(2025, 9, 22)  # a Monday
TODAY = dt.date(2025, 11, 10)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return factories.CohortFactory(name="Autumn 2025", start_date=SESSION_1)


@pytest.fixture
def enrolment(cohort):
    return enrolment_create(
        cohort=cohort, team=factories.TeamFactory(), coach=factories.CoachFactory(), session1_date=SESSION_1
    )


def session(enrolment, number: int) -> Session:
    return enrolment.sessions.select_related("enrolment").get(number=number)


# --- Teams and meetings -----------------------------------------------------------------------


def test_team_create_saves_trimmed_fields():
    site = factories.SiteFactory(code="RSH")
    team = team_create(
        name="  Education support  ",
        site=site,
        department=" Education ",
        improvement_board=ImprovementBoard.VIRTUAL,
        board_location="Teams channel",
    )
    team.refresh_from_db()
    assert (team.name, team.department, team.improvement_board, team.board_location) == (
        "Education support",
        "Education",
        "virtual",
        "Teams channel",
    )


def test_team_create_duplicate_name_on_site_is_a_validation_error():
    site = factories.SiteFactory(code="RSH")
    team_create(name="Pharmacy", site=site)
    with pytest.raises(ValidationError) as error:
        team_create(name="Pharmacy", site=site)
    assert "__all__" in error.value.message_dict


def test_team_update_changes_board():
    team = factories.TeamFactory(name="Pharmacy")
    team_update(
        team=team,
        version=1,
        name="Pharmacy",
        site=team.site,
        department="",
        improvement_board=ImprovementBoard.PHYSICAL,
        board_location="Corridor B",
    )
    team.refresh_from_db()
    assert (team.improvement_board, team.board_location, team.version) == ("physical", "Corridor B", 2)


def test_team_update_from_a_stale_version_is_refused_and_changes_nothing():
    team = factories.TeamFactory(name="Pharmacy")
    fields = {"name": "Pharmacy", "site": team.site, "department": "", "board_location": ""}
    team_update(team=team, version=1, improvement_board=ImprovementBoard.PHYSICAL, **fields)
    with pytest.raises(StaleEdit) as error:
        team_update(team=Team.objects.get(pk=team.pk), version=1, improvement_board="virtual", **fields)
    assert error.value.messages == [
        "Someone else saved this team while you were editing it, so your changes have not been saved yet. "
        "What you typed is still in the form, and what is saved now is shown on this page: check both, then "
        "save again to keep yours."
    ]
    team.refresh_from_db()
    assert (team.improvement_board, team.version) == ("physical", 2)


def meeting_fields(**overrides) -> dict:
    fields = {
        "name": "Weekly huddle",
        "weekday": 1,
        "start_time": dt.time(9, 0),
        "duration_minutes": 30,
        "every_weeks": 2,
        "first_date": dt.date(2025, 9, 23),  # a Tuesday
        "location": "Seminar room 2",
    }
    return {**fields, **overrides}


def test_team_meeting_create_saves_the_meeting():
    team = factories.TeamFactory()
    meeting = team_meeting_create(team=team, **meeting_fields())
    assert list(team.meetings.values_list("name", "weekday", "every_weeks")) == [("Weekly huddle", 1, 2)]
    assert meeting.first_date == dt.date(2025, 9, 23)


def test_team_meeting_create_first_date_on_another_weekday_is_refused():
    team = factories.TeamFactory()
    with pytest.raises(ValidationError) as error:
        team_meeting_create(team=team, **meeting_fields(first_date=dt.date(2025, 9, 22)))
    assert error.value.message_dict["first_date"] == [
        "22 September 2025 is a Monday, but the meeting is on Tuesdays. Give a Tuesday the meeting is (or was) held "
        "on: fortnightly and four-weekly meetings count their weeks from it."
    ]
    assert TeamMeeting.objects.count() == 0


def test_team_meeting_create_every_three_weeks_is_refused():
    with pytest.raises(ValidationError) as error:
        team_meeting_create(team=factories.TeamFactory(), **meeting_fields(every_weeks=3))
    assert "every_weeks" in error.value.message_dict


def test_team_meeting_update_moves_the_meeting():
    meeting = factories.TeamMeetingFactory()
    team_meeting_update(meeting=meeting, version=1, **meeting_fields(weekday=3, first_date=dt.date(2025, 9, 25)))
    meeting.refresh_from_db()
    assert (meeting.weekday, meeting.first_date, meeting.version) == (3, dt.date(2025, 9, 25), 2)
    with pytest.raises(StaleEdit):
        team_meeting_update(meeting=meeting, version=1, **meeting_fields())
    meeting.refresh_from_db()
    assert (meeting.weekday, meeting.version) == (3, 2)


# --- Cohorts ----------------------------------------------------------------------------------


def test_cohort_create_from_published_version():
    owner = factories.ManagerFactory()
    cohort = cohort_create(
        name="Spring 2026",
        template=factories.default_template(),
        owner=owner,
        start_date=dt.date(2026, 3, 2),
        target_end_date=dt.date(2026, 6, 1),
    )
    assert Cohort.objects.get(pk=cohort.pk).template.version == "0.9"


def test_cohort_create_from_draft_version_is_refused():
    draft = factories.ProgrammeTemplateFactory(status="draft", published_on=None)
    with pytest.raises(ValidationError) as error:
        cohort_create(
            name="Spring 2026",
            template=draft,
            owner=factories.ManagerFactory(),
            start_date=dt.date(2026, 3, 2),
            target_end_date=dt.date(2026, 6, 1),
        )
    assert error.value.code == "draft_template"
    assert Cohort.objects.count() == 0


def test_cohort_create_end_before_start_is_refused():
    with pytest.raises(ValidationError) as error:
        cohort_create(
            name="Spring 2026",
            template=factories.default_template(),
            owner=factories.ManagerFactory(),
            start_date=dt.date(2026, 3, 2),
            target_end_date=dt.date(2026, 3, 1),
        )
    assert error.value.code == "dates"


def test_cohort_update_renames_and_redates(cohort):
    cohort_update(
        cohort=cohort,
        version=1,
        name="Autumn 2025 (RSH and PRH)",
        owner=cohort.owner,
        start_date=SESSION_1,
        target_end_date=dt.date(2026, 1, 5),
    )
    cohort.refresh_from_db()
    assert (cohort.name, cohort.target_end_date, cohort.version) == (
        "Autumn 2025 (RSH and PRH)",
        dt.date(2026, 1, 5),
        2,
    )
    with pytest.raises(StaleEdit):
        cohort_update(
            cohort=cohort, version=1, name="Stale", owner=cohort.owner, start_date=SESSION_1, target_end_date=SESSION_1
        )
    cohort.refresh_from_db()
    assert (cohort.name, cohort.version) == ("Autumn 2025 (RSH and PRH)", 2)


# --- Enrolments -------------------------------------------------------------------------------


def test_enrolment_create_makes_sessions_from_week_offsets(enrolment):
    assert enrolment.status == EnrolmentStatus.PLANNED
    due = dict(enrolment.sessions.values_list("number", "due_date"))
    assert due == {
        1: dt.date(2025, 9, 22),
        2: dt.date(2025, 9, 29),
        3: dt.date(2025, 10, 13),
        4: dt.date(2025, 10, 27),
        5: dt.date(2025, 11, 10),
        6: dt.date(2025, 11, 24),
        7: dt.date(2025, 12, 8),
        8: dt.date(2026, 1, 5),
        9: dt.date(2026, 2, 2),
        10: dt.date(2026, 3, 9),
    }


def test_enrolment_create_session_1_on_a_weekend_is_fine(cohort):
    saturday = dt.date(2025, 9, 27)
    enrolment = enrolment_create(cohort=cohort, team=factories.TeamFactory(), coach=None, session1_date=saturday)
    assert enrolment.sessions.get(number=2).due_date == dt.date(2025, 10, 4)


def test_enrolment_create_twice_is_refused(enrolment):
    with pytest.raises(ValidationError) as error:
        enrolment_create(cohort=enrolment.cohort, team=enrolment.team, coach=None, session1_date=SESSION_1)
    assert error.value.error_dict["team"][0].code == "duplicate"
    assert Enrolment.objects.count() == 1


def test_enrolment_update_moving_session_1_moves_every_due_date(enrolment):
    enrolment_update(enrolment=enrolment, version=1, coach=enrolment.coach, session1_date=dt.date(2025, 9, 29))
    due = dict(enrolment.sessions.values_list("number", "due_date"))
    assert (due[1], due[2], due[10]) == (dt.date(2025, 9, 29), dt.date(2025, 10, 6), dt.date(2026, 3, 16))
    assert set(enrolment.sessions.values_list("version", flat=True)) == {2}


def test_enrolment_update_session_1_date_after_a_session_is_held_is_refused(enrolment):
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=SESSION_1)
    with pytest.raises(ValidationError) as error:
        enrolment_update(enrolment=enrolment, version=1, coach=enrolment.coach, session1_date=dt.date(2025, 9, 29))
    assert error.value.error_dict["session1_date"][0].code == "held_sessions"
    assert enrolment.sessions.get(number=2).due_date == dt.date(2025, 9, 29)


def test_enrolment_update_changes_coach_only(enrolment):
    new_coach = factories.CoachFactory()
    enrolment_update(enrolment=enrolment, version=1, coach=new_coach, session1_date=SESSION_1)
    enrolment.refresh_from_db()
    assert enrolment.coach == new_coach
    assert set(enrolment.sessions.values_list("version", flat=True)) == {1}


def test_enrolment_update_stale_form_is_refused(enrolment):
    enrolment_update(enrolment=enrolment, version=1, coach=factories.CoachFactory(), session1_date=SESSION_1)
    with pytest.raises(StaleEdit):
        enrolment_update(
            enrolment=Enrolment.objects.get(pk=enrolment.pk), version=1, coach=None, session1_date=dt.date(2025, 9, 29)
        )
    enrolment.refresh_from_db()
    assert (enrolment.coach is not None, enrolment.session1_date, enrolment.version) == (True, SESSION_1, 2)
    assert set(enrolment.sessions.values_list("version", flat=True)) == {1}


def test_enrolment_update_without_a_version_bumps_it(enrolment):
    """The admin's save: whatever version is saved, it is bumped, so that forms opened before are refused."""
    Enrolment.objects.filter(pk=enrolment.pk).update(version=7)
    enrolment_update(enrolment=enrolment, version=None, coach=None, session1_date=SESSION_1)
    enrolment.refresh_from_db()
    assert (enrolment.coach, enrolment.version) == (None, 8)


def test_enrolment_set_status_stale_version_is_refused(enrolment):
    enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.WITHDRAWN, version=1)
    with pytest.raises(StaleEdit):
        enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.COMPLETED, version=1)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.version) == (EnrolmentStatus.WITHDRAWN, 2)


@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.COMPLETED, EnrolmentStatus.ACTIVE])
def test_enrolment_set_status_keeps_sessions(enrolment, status):
    enrolment_set_status(enrolment=enrolment, status=status)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.sessions.count()) == (status, 10)


def test_enrolment_set_status_unknown_is_refused(enrolment):
    with pytest.raises(ValidationError):
        enrolment_set_status(enrolment=enrolment, status="paused")


# --- Sessions ---------------------------------------------------------------------------------


def test_session_record_held_saves_and_starts_the_enrolment(enrolment):
    first = session(enrolment, 1)
    session_record_held(session=first, version=1, held_on=SESSION_1, attendees=8, notes="Good start", today=TODAY)
    first.refresh_from_db()
    enrolment.refresh_from_db()
    assert (first.held_on, first.attendees, first.notes, first.version) == (SESSION_1, 8, "Good start", 2)
    assert enrolment.status == EnrolmentStatus.ACTIVE


def test_session_record_held_in_the_future_is_refused(enrolment):
    with pytest.raises(ValidationError) as error:
        session_record_held(
            session=session(enrolment, 2), version=1, held_on=TODAY + dt.timedelta(days=1), attendees=5, notes="",
            today=TODAY,
        )  # fmt: skip
    assert error.value.message_dict == {"held_on": ["A session cannot be recorded as held on a future date."]}
    assert session(enrolment, 2).held_on is None


def test_session_record_held_before_the_programme_started_is_refused(enrolment):
    with pytest.raises(ValidationError) as error:
        session_record_held(
            session=session(enrolment, 1), version=1, held_on=dt.date(2025, 9, 21), attendees=5, notes="", today=TODAY
        )
    assert error.value.message_dict["held_on"][0].startswith(
        "That is before this team's programme started (22 September 2025)."
    )
    assert session(enrolment, 1).version == 1


def test_session_record_held_stale_version_is_refused_and_nothing_changes(enrolment):
    second = session(enrolment, 2)
    session_record_held(session=second, version=1, held_on=dt.date(2025, 9, 30), attendees=6, notes="", today=TODAY)
    with pytest.raises(StaleEdit):
        session_record_held(
            session=session(enrolment, 2), version=1, held_on=dt.date(2025, 10, 1), attendees=9, notes="Mine",
            today=TODAY,
        )  # fmt: skip
    second.refresh_from_db()
    assert (second.held_on, second.attendees, second.version) == (dt.date(2025, 9, 30), 6, 2)


def test_session_record_held_of_session_1_measures_the_agreement_flag(enrolment):
    meeting = factories.TeamMeetingFactory(team=enrolment.team)
    CoachingAgreement.objects.create(
        enrolment=enrolment,
        meeting=meeting,
        agreed_at=dt.datetime(2025, 9, 22, 11, 0, tzinfo=LONDON),
        agreed_by=enrolment.coach,
    )
    assert enrolment_slots(enrolment).state == SlotsState.NOT_YET
    session_record_held(session=session(enrolment, 1), version=1, held_on=SESSION_1, attendees=7, notes="", today=TODAY)
    assert enrolment_slots(enrolment).state == SlotsState.AGREED_AT_SESSION_1


def test_session_record_held_of_a_cancelled_session_uncancels_it(enrolment):
    third = session(enrolment, 3)
    session_cancel(session=third, version=1, reason="Ward closed")
    session_record_held(
        session=session(enrolment, 3), version=2, held_on=dt.date(2025, 10, 14), attendees=4, notes="", today=TODAY
    )
    third.refresh_from_db()
    assert (third.cancelled, third.cancelled_reason, third.held_on) == (False, "", dt.date(2025, 10, 14))


def test_session_cancel_keeps_reason(enrolment):
    third = session_cancel(session=session(enrolment, 3), version=1, reason="  Ward closed  ")
    assert (third.cancelled, third.cancelled_reason, third.version) == (True, "Ward closed", 2)


def test_session_cancel_without_reason_is_refused(enrolment):
    with pytest.raises(ValidationError) as error:
        session_cancel(session=session(enrolment, 3), version=1, reason="   ")
    assert error.value.message_dict == {"reason": ["Say why the session is cancelled."]}


def test_session_cancel_held_session_is_refused(enrolment):
    Session.objects.filter(enrolment=enrolment, number=2).update(held_on=dt.date(2025, 9, 29))
    with pytest.raises(ValidationError) as error:
        session_cancel(session=session(enrolment, 2), version=1, reason="Oops")
    assert error.value.code == "held"


def test_session_cancel_stale_version_is_refused(enrolment):
    session_cancel(session=session(enrolment, 3), version=1, reason="Ward closed")
    with pytest.raises(StaleEdit):
        session_cancel(session=session(enrolment, 3), version=1, reason="Staff off sick")
    assert session(enrolment, 3).cancelled_reason == "Ward closed"


OCT_14 = dt.datetime(2025, 10, 14, 9, 0, tzinfo=LONDON)


def move(enrolment, number: int = 3, *, version: int = 1, to_start: dt.datetime = OCT_14, reason: str = "x"):
    """Moves the enrolment's session `number`, as its coach."""
    return session_move(
        session=session(enrolment, number), version=version, to_start=to_start, reason=reason, user=enrolment.coach
    )


def test_session_move_records_the_change(enrolment):
    user = enrolment.coach
    first_time = dt.datetime(2025, 10, 14, 9, 0, tzinfo=LONDON)
    later = dt.datetime(2025, 10, 21, 14, 30, tzinfo=LONDON)
    session_move(session=session(enrolment, 3), version=1, to_start=first_time, reason="Agreed", user=user)
    change = session_move(session=session(enrolment, 3), version=2, to_start=later, reason="Clinic", user=user)
    moved = session(enrolment, 3)
    assert (moved.agreed_start, moved.version) == (later, 3)
    assert (change.from_start, change.to_start, change.reason, change.changed_by) == (first_time, later, "Clinic", user)
    assert SessionChange.objects.filter(session=moved).count() == 2


def test_session_move_to_the_same_time_is_refused(enrolment):
    when = dt.datetime(2025, 10, 14, 9, 0, tzinfo=LONDON)
    Session.objects.filter(enrolment=enrolment, number=3).update(agreed_start=when)
    with pytest.raises(ValidationError) as error:
        move(enrolment, to_start=when)
    assert error.value.message_dict == {"to_start": ["That is the time already agreed."]}


def test_session_move_before_the_programme_is_refused(enrolment):
    with pytest.raises(ValidationError) as error:
        move(enrolment, to_start=dt.datetime(2025, 9, 1, 9, 0, tzinfo=LONDON))
    assert error.value.message_dict == {
        "to_start": ["That is before this team's programme started (22 September 2025)."]
    }


def test_session_move_without_reason_is_refused(enrolment):
    with pytest.raises(ValidationError) as error:
        move(enrolment, reason=" ")
    assert error.value.message_dict == {"reason": ["Say why the session is moving."]}
    assert SessionChange.objects.count() == 0


def test_session_move_of_a_held_session_is_refused(enrolment):
    Session.objects.filter(enrolment=enrolment, number=2).update(held_on=dt.date(2025, 9, 29))
    with pytest.raises(ValidationError) as error:
        move(enrolment, 2, reason="Late")
    assert error.value.code == "closed"


def test_session_move_stale_version_is_refused_and_no_change_kept(enrolment):
    move(enrolment, reason="Agreed")
    with pytest.raises(StaleEdit):
        move(enrolment, to_start=OCT_14 + dt.timedelta(days=7), reason="Mine")
    assert list(SessionChange.objects.values_list("reason", flat=True)) == ["Agreed"]
