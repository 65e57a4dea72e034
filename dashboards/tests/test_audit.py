"""The audit page: who changed what and when, for managers only; the writes that bypass save() still
leave a history record; and nothing there ties a feedback answer to anyone."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.models import registered_models
from simple_history.utils import bulk_update_with_history

from coaching.models import CoachingAgreement
from coaching.services import agreement_confirm
from conftest import PERSONAS_AND_NO_ROLE, require_service
from dashboards.audit import AUDIT_CSV_HEADER
from feedback.models import ContentChange, FeedbackResponse
from feedback.services import content_change_update
from programmes.models import ProgrammeTemplate, Session, Team, TemplateStatus
from programmes.services.scheduling import enrolment_create, session_record_held, team_update
from programmes.services.versions import programme_version_draft, programme_version_publish
from tests import factories
from tests.helpers import MANAGERS_ONLY, persona_request
from tests.html_checker import checker_missing, describe

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
AUDIT = reverse("audit")
AUDIT_CSV = reverse("audit_csv")


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _hold(session: Session, *, user, held_on=dt.date(2025, 9, 22), attendees=8, notes="Went well") -> None:
    session._history_user = user
    session_record_held(
        session=session, version=session.version, held_on=held_on, attendees=attendees, notes=notes,
        today=dt.date(2025, 10, 1),
    )  # fmt: skip


# --- Permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
@pytest.mark.parametrize("url", [AUDIT, AUDIT_CSV])
def test_audit_managers_only(client, login, personas, persona, url):
    response = persona_request(login, personas, persona, url, MANAGERS_ONLY)
    if persona == "manager" and url == AUDIT:
        assert "Who changed what" in response.content.decode()


def test_audit_in_the_managers_navigation(client, login, personas):
    assert f'href="{AUDIT}"' in login("manager", personas).get(reverse("home")).content.decode()
    assert f'href="{AUDIT}"' not in login("lead", personas).get(reverse("home")).content.decode()


# --- History is written by the writes that bypass save() ---------------------------------------------


def test_claimed_session_change_is_recorded_with_its_person(personas):
    session = personas.enrolment.sessions.get(number=1)
    _hold(session, user=personas.coach)
    record = session.history.order_by("-history_date", "-history_id").first()
    assert (record.history_type, record.history_user, record.held_on, record.attendees) == (
        "~",
        personas.coach,
        dt.date(2025, 9, 22),
        8,
    )
    assert record.version == Session.objects.get(pk=session.pk).version


def test_held_through_the_page_records_the_signed_in_person(client, login, personas):
    session = personas.enrolment.sessions.get(number=2)
    login("coach", personas).post(
        reverse("programmes:session_held", args=[session.pk]),
        {"held_on": "2025-10-06", "attendees": "6", "notes": "", "version": session.version},
    )
    record = session.history.order_by("-history_date", "-history_id").first()
    assert (record.history_type, record.history_user, record.held_on) == ("~", personas.coach, dt.date(2025, 10, 6))


def test_enrolling_records_every_session_created(personas):
    cohort = personas.enrolment.cohort
    enrolment = enrolment_create(
        cohort=cohort, team=factories.TeamFactory(), coach=personas.coach, session1_date=dt.date(2025, 9, 29)
    )
    created = Session.history.filter(enrolment_id=enrolment.pk, history_type="+")
    assert created.count() == enrolment.sessions.count() == 10
    assert enrolment.history.get().history_type == "+"


def test_agreeing_slots_records_each_session_moved(personas):
    enrolment = personas.enrolment
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    meeting = factories.TeamMeetingFactory(team=enrolment.team)
    agreement_confirm(
        enrolment=enrolment, meeting=meeting, unavailable=[], user=personas.coach,
        now=dt.datetime(2025, 9, 22, 15, tzinfo=LONDON),
    )  # fmt: skip
    moved = Session.history.filter(enrolment_id=enrolment.pk, history_type="~", agreed_start__isnull=False)
    assert moved.count() == 9  # sessions 2 to 10
    assert CoachingAgreement.history.get(enrolment_id=enrolment.pk).history_type == "+"
    # Agreed again on another meeting: the claim's UPDATE is recorded too.
    other = factories.TeamMeetingFactory(team=enrolment.team, weekday=3, first_date=dt.date(2025, 9, 25))
    agreement = CoachingAgreement.objects.get(enrolment=enrolment)
    agreement_confirm(
        enrolment=enrolment, meeting=other, unavailable=[], user=personas.coach, version=agreement.version,
        now=dt.datetime(2025, 9, 23, 15, tzinfo=LONDON),
    )  # fmt: skip
    latest = CoachingAgreement.history.filter(enrolment_id=enrolment.pk).order_by("-history_id").first()
    assert (latest.history_type, latest.meeting_id) == ("~", other.pk)


def test_publishing_a_version_is_recorded():
    draft = programme_version_draft(source=factories.default_template(), version="1.0")
    programme_version_publish(template=draft, revision=draft.revision, today=dt.date(2026, 4, 1))
    latest = ProgrammeTemplate.history.filter(id=draft.pk).order_by("-history_id").first()
    assert (latest.history_type, latest.status, latest.published_on) == (
        "~",
        TemplateStatus.PUBLISHED,
        dt.date(2026, 4, 1),
    )


def test_feedback_responses_have_no_history():
    history_tables = {model._meta.db_table for model in registered_models.values()}
    assert "feedback_feedbackresponse" not in history_tables
    assert not hasattr(FeedbackResponse, "history")
    # A content change's history keeps none of its linked responses.
    assert [f.name for f in ContentChange.history.model._meta.many_to_many] == []


def test_no_secret_token_is_copied_into_any_history():
    # Calendar feed and feedback link tokens live on models without history; keep it that way.
    fields = {(model.__name__, f.name) for model in registered_models.values() for f in model._meta.fields}
    assert {pair for pair in fields if "token" in pair[1] or "claim" in pair[1]} == set()


# --- The page ----------------------------------------------------------------------------------------


def test_page_lists_changes_newest_first_with_old_and_new(client, login, personas):
    session = personas.enrolment.sessions.get(number=1)
    _hold(session, user=personas.coach, attendees=8)
    session.refresh_from_db()
    _hold(session, user=personas.manager, attendees=9)
    response = login("manager", personas).get(AUDIT)
    assert response.status_code == 200
    rows = response.context["rows"]
    first, second = rows[0], rows[1]
    assert (first.who, first.what, first.change) == ("Mina Manager", "Session", "changed")
    assert [(f.field, f.old, f.new) for f in first.fields] == [("Attendees", "8", "9")]
    assert (second.who, [(f.field, f.old, f.new) for f in second.fields]) == (
        "Cara Coach",
        [("Held on", "–", "Mon 22 Sep 2025"), ("Attendees", "–", "8"), ("Notes", "–", "Went well")],
    )
    assert first.url == reverse("programmes:session", args=[session.pk])
    assert first.label == f"Session 1 due 22 Sep 2025, {personas.enrolment.team}"
    # The personas' teams, enrolments and sessions, made by no one signed in.
    assert rows[-1].who == "System" and rows[-1].change == "created"
    assert response.context["page"].paginator.count == 2 + 2 + 2 + 20


def test_page_shows_names_for_people_and_choices(client, login, personas):
    enrolment = personas.enrolment
    enrolment._history_user = personas.manager
    enrolment.coach = personas.other_coach
    enrolment.status = "withdrawn"
    enrolment.save()
    row = login("manager", personas).get(AUDIT).context["rows"][0]
    assert [(f.field, f.old, f.new) for f in row.fields] == [
        ("Coach", "Cara Coach", "Omar Other"),
        ("Status", "Active", "Withdrawn"),
    ]
    assert row.label == f"{personas.enrolment.team} in Autumn cohort"


def test_rows_older_than_their_history_say_so(client, login, personas):
    team = personas.enrolment.team
    Team.history.filter(id=team.pk).delete()  # as for a team made before its history was kept
    team_update(
        team=team, version=team.version, name="Education team", site=team.site, department="Education",
        improvement_board="physical", board_location="Corridor",
    )  # fmt: skip
    row = login("manager", personas).get(AUDIT).context["rows"][0]
    assert row.what == "Team"
    assert ("Name", "not recorded", "Education team") in [(f.field, f.old, f.new) for f in row.fields]


def test_deleted_rows_are_listed_without_a_link(client, login, personas):
    team = factories.TeamFactory(name="Short-lived team")
    Team.objects.filter(pk=team.pk).first().delete()
    rows = login("manager", personas).get(AUDIT).context["rows"]
    assert [(r.change, r.label.split(" (")[0], r.url) for r in rows[:2]] == [
        ("deleted", "Short-lived team", None),
        ("created", "Short-lived team", None),
    ]


def test_filters_by_person_team_and_day(client, login, personas):
    mine = personas.enrolment.sessions.get(number=1)
    other = personas.other_enrolment.sessions.get(number=1)
    _hold(mine, user=personas.coach)
    _hold(other, user=personas.other_coach)
    checklist = factories.ChecklistFactory(session=mine, coach=personas.coach)
    client = login("manager", personas)

    def listed(**params):
        response = client.get(AUDIT, params)
        assert response.status_code == 200, response.context["form"].errors
        return [(r.who, r.what, r.label) for r in response.context["rows"]]

    by_coach = listed(person=personas.coach.pk)
    assert [who for who, _, _ in by_coach] == ["Cara Coach"]
    team_rows = listed(team=personas.other_enrolment.team.pk)
    assert all(str(personas.other_enrolment.team) in label for _, _, label in team_rows)
    assert len(team_rows) == 1 + 1 + 10 + 1  # the team, its enrolment, its sessions made, then session 1 held
    mine_rows = listed(team=personas.enrolment.team.pk)
    assert ("System", "Checklist", f"Checklist for session 1 due 22 Sep 2025, {personas.enrolment.team}") in mine_rows
    # Dates are London days, inclusive: everything here happened today.
    today = timezone.localdate()
    assert len(listed(date_from=today, date_to=today)) == 2 + 2 + 20 + 2 + 1
    assert listed(date_to=today - dt.timedelta(days=1)) == []
    assert checklist.pk


def test_a_day_is_a_london_day(client, login, personas):
    session = personas.enrolment.sessions.get(number=1)
    _hold(session, user=personas.coach)
    record = session.history.order_by("-history_id").first()
    # 23:30 London on 30 June is 22:30 UTC: that London day, not the next.
    Session.history.filter(history_id=record.history_id).update(
        history_date=dt.datetime(2025, 6, 30, 23, 30, tzinfo=LONDON)
    )
    client = login("manager", personas)
    rows = client.get(AUDIT, {"date_from": "2025-06-30", "date_to": "2025-06-30"}).context["rows"]
    assert [r.when for r in rows] == [dt.datetime(2025, 6, 30, 23, 30, tzinfo=LONDON)]
    assert client.get(AUDIT, {"date_from": "2025-07-01", "date_to": "2025-07-01"}).context["rows"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"person": "not-a-number"}, "person"),
        ({"person": "99999999999999999999999"}, "person"),
        ({"team": "424242"}, "team"),
        ({"date_from": "2025-02-30"}, "date_from"),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_to"),
    ],
)
@pytest.mark.parametrize("url", [AUDIT, AUDIT_CSV])
def test_bad_filters_are_form_errors(client, login, personas, params, field, url):
    response = login("manager", personas).get(url, params)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert 'aria-invalid="true"' in response.content.decode()


def test_pages_keep_the_filters(client, login, personas):
    response = login("manager", personas).get(AUDIT, {"person": "", "team": personas.enrolment.team.pk, "page": "1"})
    assert response.context["csv_query"] == f"team={personas.enrolment.team.pk}"


def _make_changes(personas, start: int, count: int) -> None:
    """`count` changes of each kind, on the personas' team's sessions start + 1 onwards."""
    enrolment = personas.enrolment
    sessions = list(enrolment.sessions.order_by("number"))
    for i in range(start, start + count):
        session = sessions[i]
        session.notes = f"Note {i}"
        bulk_update_with_history([session], Session, ["notes"], default_user=personas.coach)
        enrolment.refresh_from_db()
        enrolment._history_user = personas.manager
        enrolment.coach = personas.other_coach if i % 2 else personas.coach
        enrolment.save()
        factories.ContentChangeFactory(section=f"Section {i}")
        checklist = factories.ChecklistFactory(session=session, coach=personas.coach)
        factories.ToolRatingFactory(checklist=checklist)
        factories.ProgrammeTemplateFactory(version=f"{i}.5")
        team = enrolment.team
        team.department = f"Department {i}"
        team.save()
        factories.TeamFactory(site=team.site)  # a created row names its site, as the personas' teams do
        agreement = CoachingAgreement.objects.filter(enrolment=enrolment).first()
        if agreement is None:  # made before the first page is read: each kind has a change of a row on it
            agreement = factories.CoachingAgreementFactory(enrolment=enrolment)
        agreement.clash_override_reason = f"Reason {i}"
        agreement.save()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if url == AUDIT_CSV:
            _csv(response)
    assert response.status_code == 200
    return len(queries)


def test_page_query_count_does_not_grow_with_its_rows(client, login, personas):
    client = login("manager", personas)
    _make_changes(personas, 0, 1)
    few = _queries(client, AUDIT)
    rows_few = len(client.get(AUDIT).context["rows"])
    _make_changes(personas, 1, 4)
    many = _queries(client, AUDIT)
    rows_many = len(client.get(AUDIT).context["rows"])
    assert (rows_few, rows_many) == (24 + 10, 50)  # the personas' rows, then a change of each kind
    # Session, user and roles (3), the filter choices (2), count and page keys (2), then per kind on
    # the page (8) its records and their previous records (16), the labels' rows (up to 5) and one
    # per kind of row the changed values name.
    assert many == few


def test_csv_one_line_per_changed_field_iso_dates(client, login, personas):
    session = personas.enrolment.sessions.get(number=1)
    _hold(session, user=personas.coach)
    response = login("manager", personas).get(AUDIT_CSV, {"person": personas.coach.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0] == AUDIT_CSV_HEADER
    when = rows[1][0]
    assert dt.datetime.fromisoformat(when).utcoffset() is not None
    assert [row[1:] for row in rows[1:]] == [
        ["Cara Coach", "Session", rows[1][3], "changed", "Held on", "", "2025-09-22"],
        ["Cara Coach", "Session", rows[1][3], "changed", "Attendees", "", "8"],
        ["Cara Coach", "Session", rows[1][3], "changed", "Notes", "", "Went well"],
    ]


def test_csv_query_count_grows_only_by_chunk(client, login, personas, monkeypatch):
    monkeypatch.setattr("dashboards.audit.CSV_CHUNK", 1000)
    client = login("manager", personas)
    _make_changes(personas, 0, 1)
    few = _queries(client, AUDIT_CSV)
    _make_changes(personas, 1, 4)
    assert _queries(client, AUDIT_CSV) == few


def test_content_change_shows_no_attendee_data(client, login, personas):
    response_text = "The trainer Dr Example was brilliant"
    answers = [
        factories.FeedbackResponseFactory(what_worked=response_text, what_better="More tea, from attendee 42")
        for _ in range(2)
    ]
    template = factories.default_template()
    change = factories.ContentChangeFactory(template=template, section="Session 1 slides")
    change.responses.set(answers)
    content_change_update(
        change=change, version=change.version, template=template, section="Session 1 slides", kind="rewrite",
        description="Reworded the aims slide.", made_on=dt.date(2025, 10, 2), responses=answers[:1],
        today=dt.date(2025, 10, 3),
    )  # fmt: skip
    client = login("manager", personas)
    page = client.get(AUDIT).content.decode()
    csv_text = b"".join(client.get(AUDIT_CSV).streaming_content).decode("utf-8-sig")
    assert "Reworded the aims slide." in page and "Reworded the aims slide." in csv_text
    for text in (response_text, "attendee 42", "More tea"):
        assert text not in page and text not in csv_text
    for answer in answers:
        assert f"#{answer.pk}" not in page and str(answer.pk) not in csv_text
    assert FeedbackResponse.objects.count() == 2  # the answers are still there, just not in the audit


@pytest.mark.parametrize("params", [{}, {"date_from": "2025-03-02", "date_to": "2025-03-01"}])
def test_the_page_is_valid_html(client, login, personas, html_checker, params):
    require_service("Nu HTML checker", html_checker is not None, checker_missing())
    _hold(personas.enrolment.sessions.get(number=1), user=personas.coach)
    html = login("manager", personas).get(AUDIT, params).content.decode()
    errors = html_checker.errors(html)
    assert not errors, describe(errors)
