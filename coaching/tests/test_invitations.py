"""Calendar invitations (iMIP): what is sent when, read back with icalendar and with vobject; one
invitation per change; the person's own switch; a real worker."""

from __future__ import annotations

import datetime as dt
import email
from zoneinfo import ZoneInfo

import pytest
import time_machine
import vobject
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from coaching.ical import build_calendar, session_uid
from coaching.models import Invitation, InvitationPreference, SendStatus
from coaching.selectors import feed_sessions
from coaching.services import agreement_confirm, calendar_feed_for_coach
from coaching.services.invitations import invitations_claim, invitations_suppressed
from coaching.tasks import requeue_invitations
from conftest import PERSONAS_AND_NO_ROLE
from programmes.models import EnrolmentStatus, Session
from programmes.services.scheduling import enrolment_set_status, enrolment_update, session_cancel, session_move
from tests import factories
from tests.helpers import persona_request

from .test_tasks import real_worker  # noqa: F401 - the fixture

LONDON = ZoneInfo("Europe/London")
SESSION_1 = dt.date(2026, 3, 2)  # a Monday; the clocks go forward on Sunday 29 March 2026
NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=LONDON)


@pytest.fixture
def enrolment(db):
    coach = factories.CoachFactory(
        username="rachel", first_name="Rachel", last_name="Evans", email="rachel@example.nhs.uk"
    )
    team = factories.TeamFactory(name="PRH education", contact_name="Sam Patel", contact_email="sam@example.nhs.uk")
    enrolment = factories.EnrolmentFactory(team=team, coach=coach, session1_date=SESSION_1, status="active")
    factories.make_sessions(enrolment)
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=SESSION_1)
    return enrolment


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def agree(enrolment, capture):
    """Slots on a weekly Tuesday 09:00 meeting from 3 March 2026."""
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team, name="Huddle", weekday=1, start_time=dt.time(9, 0), every_weeks=1,
        first_date=dt.date(2026, 3, 3), location="Seminar room 2",
    )  # fmt: skip
    with capture(execute=True):
        agreement_confirm(enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=NOW)


def calendar_part(message) -> tuple[str, str]:
    """(Content-Type of the inline calendar part, its text) of a sent email."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            return part["Content-Type"], part.get_payload(decode=True).decode()
    raise AssertionError("no text/calendar part")


def read(message) -> dict:
    """What icalendar and vobject read in the invitation, which must agree."""
    _, text = calendar_part(message)
    cal = Calendar.from_ical(text)
    (event,) = cal.walk("VEVENT")
    vcal = vobject.readOne(text)
    vevent = vcal.vevent
    start = event.decoded("dtstart")
    assert vevent.dtstart.value.astimezone(dt.UTC) == start.astimezone(dt.UTC)
    assert str(vcal.method.value) == str(cal["method"])
    assert int(vevent.sequence.value) == int(event["sequence"])
    assert vevent.uid.value == str(event["uid"])
    return {
        "method": str(cal["method"]),
        "uid": str(event["uid"]),
        "sequence": int(event["sequence"]),
        "start": start,
        "tzid": event["dtstart"].params["TZID"],
        "vobject_wall": vevent.dtstart.value.replace(tzinfo=None),
        "to": message.to,
        "attendee": str(event["attendee"]),
        "organizer": str(event["organizer"]),
    }


def for_session(session, outbox) -> list[dict]:
    uid = session_uid(session)
    return [r for r in (read(m) for m in outbox) if r["uid"] == uid]


def feed_uids_and_sequences(coach) -> dict[str, int]:
    feed = calendar_feed_for_coach(coach=coach)
    cal = Calendar.from_ical(build_calendar(name="feed", sessions=feed_sessions(feed), now=NOW))
    return {str(e["uid"]): int(e["sequence"]) for e in cal.walk("VEVENT")}


pytestmark = pytest.mark.django_db


def test_agree_move_cancel_send_request_request_cancel_with_rising_sequence_and_the_feeds_uid(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks
):
    agree(enrolment, django_capture_on_commit_callbacks)
    session = Session.objects.get(enrolment=enrolment, number=2)
    agreed = for_session(session, mailoutbox)
    agreed_messages = list(mailoutbox)
    assert [(r["method"], r["to"]) for r in agreed] == [
        ("REQUEST", ["rachel@example.nhs.uk"]),
        ("REQUEST", ["sam@example.nhs.uk"]),
    ]
    feed = feed_uids_and_sequences(enrolment.coach)
    assert agreed[0]["uid"] == session_uid(session) and agreed[0]["sequence"] == feed[session_uid(session)]
    # One invitation per session with a time and an address: sessions 2 to 10, to the coach and the contact.
    assert len(mailoutbox) == 2 * Session.objects.filter(enrolment=enrolment, agreed_start__isnull=False).count()

    mailoutbox.clear()
    session.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        session_move(
            session=session, version=session.version, to_start=dt.datetime(2026, 3, 12, 14, 0, tzinfo=LONDON),
            reason="Ward inspection", user=enrolment.coach,
        )  # fmt: skip
    moved = for_session(session, mailoutbox)
    assert [(r["method"], r["start"].hour) for r in moved] == [("REQUEST", 14), ("REQUEST", 14)]
    # The first invitation for the session reads as one; the move as an update of the same entry.
    first_subjects = [m.subject for m in agreed_messages]
    assert all(not subject.startswith("Updated:") for subject in first_subjects)
    assert all(m.subject.startswith("Updated: QMS ") for m in mailoutbox)

    mailoutbox.clear()
    session.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, version=session.version, reason="Team away day")
    cancelled = for_session(session, mailoutbox)
    assert [r["method"] for r in cancelled] == ["CANCEL", "CANCEL"]
    assert all(m.subject.startswith("Cancelled: QMS ") for m in mailoutbox)
    sequences = [agreed[0]["sequence"], moved[0]["sequence"], cancelled[0]["sequence"]]
    assert sequences == sorted(set(sequences))  # strictly rising
    assert cancelled[0]["sequence"] == feed_uids_and_sequences(enrolment.coach)[session_uid(session)]
    assert len(mailoutbox) == 2  # nothing for the sessions the cancellation did not touch


def test_times_keep_london_wall_clock_across_both_clock_changes(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks
):
    agree(enrolment, django_capture_on_commit_callbacks)
    coach = [read(m) for m in mailoutbox if m.to == ["rachel@example.nhs.uk"]]
    by_date = {r["start"].date(): r for r in coach}
    before, after = by_date[dt.date(2026, 3, 24)], by_date[dt.date(2026, 4, 7)]  # GMT, then BST
    for r in (before, after):
        assert (r["tzid"], r["start"].time(), r["vobject_wall"].time()) == ("Europe/London", dt.time(9), dt.time(9))
    assert before["start"].utcoffset() == dt.timedelta(0)
    assert after["start"].utcoffset() == dt.timedelta(hours=1)

    # The autumn change: moved from Tuesday 20 October (BST) to Tuesday 27 October (GMT), 09:00 both.
    session = Session.objects.filter(enrolment=enrolment, number=10).get()
    for day in (dt.date(2026, 10, 20), dt.date(2026, 10, 27)):
        mailoutbox.clear()
        session.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            session_move(
                session=session, version=session.version, to_start=dt.datetime.combine(day, dt.time(9), LONDON),
                reason="Later", user=enrolment.coach,
            )  # fmt: skip
        (r,) = [read(m) for m in mailoutbox if m.to == ["rachel@example.nhs.uk"]]
        assert (r["start"].date(), r["start"].time(), r["vobject_wall"].time()) == (day, dt.time(9), dt.time(9))
        assert r["start"].utcoffset() == (dt.timedelta(hours=1) if day.day == 20 else dt.timedelta(0))


def test_email_layout_for_outlook(enrolment, travel, mailoutbox, django_capture_on_commit_callbacks):
    agree(enrolment, django_capture_on_commit_callbacks)
    message = mailoutbox[0]
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert parsed["Content-Class"] == "urn:content-classes:calendarmessage"
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    calendar = alternative.get_payload()[2]
    assert (calendar.get_param("method"), calendar.get_param("charset")) == ("REQUEST", "utf-8")
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/ics", "invite.ics")
    attached, inline = (p.get_payload(decode=True).decode().replace("\r\n", "\n") for p in (attachment, calendar))
    assert attached == inline
    r = read(message)
    assert r["organizer"] == "mailto:qms-coach@localhost"
    assert r["attendee"] == "mailto:rachel@example.nhs.uk"
    event = Calendar.from_ical(calendar.get_payload(decode=True)).walk("VEVENT")[0]
    params = event["attendee"].params
    assert (params["CN"], params["ROLE"], params["PARTSTAT"], params["RSVP"]) == (
        "Rachel Evans", "REQ-PARTICIPANT", "NEEDS-ACTION", "FALSE",
    )  # fmt: skip


def test_trigger_run_twice_sends_one_invitation_per_change(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks
):
    agree(enrolment, django_capture_on_commit_callbacks)
    sent = len(mailoutbox)
    ids = list(Session.objects.filter(enrolment=enrolment).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_claim(session_ids=ids, old_coaches={}, now=NOW) == []
    assert len(mailoutbox) == sent
    assert Invitation.objects.count() == sent
    assert set(Invitation.objects.values_list("status", flat=True)) == {SendStatus.SENT}


def test_claim_of_many_sessions_takes_a_few_queries(enrolment, travel, django_assert_max_num_queries):
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team, weekday=1, start_time=dt.time(9, 0), every_weeks=1, first_date=dt.date(2026, 3, 3)
    )
    with invitations_suppressed():
        agreement_confirm(enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=NOW)
    ids = list(Session.objects.filter(enrolment=enrolment).values_list("pk", flat=True))
    # The sessions, who turned invitations off, the insert (savepoint and release around them).
    with django_assert_max_num_queries(5):
        claimed = invitations_claim(session_ids=ids, old_coaches={}, now=NOW)
    assert len(claimed) == 18


def test_turned_off_coach_gets_none_and_the_contact_still_does(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks
):
    InvitationPreference.objects.create(user=enrolment.coach, send_invitations=False)
    agree(enrolment, django_capture_on_commit_callbacks)
    assert {tuple(m.to) for m in mailoutbox} == {("sam@example.nhs.uk",)}


def test_cleared_contact_gets_none(enrolment, travel, mailoutbox, django_capture_on_commit_callbacks):
    type(enrolment.team).objects.filter(pk=enrolment.team_id).update(contact_email="")
    enrolment.refresh_from_db()
    agree(enrolment, django_capture_on_commit_callbacks)
    assert {tuple(m.to) for m in mailoutbox} == {("rachel@example.nhs.uk",)}


def test_withdrawal_cancels_and_a_new_coach_gets_requests_the_old_one_cancels(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks
):
    agree(enrolment, django_capture_on_commit_callbacks)
    upcoming = Session.objects.filter(enrolment=enrolment, agreed_start__isnull=False).count()
    mailoutbox.clear()
    new_coach = factories.CoachFactory(username="tom", email="tom@example.nhs.uk")
    enrolment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_update(enrolment=enrolment, version=enrolment.version, coach=new_coach, session1_date=SESSION_1)
    by_address = {}
    for m in mailoutbox:
        by_address.setdefault(m.to[0], set()).add(read(m)["method"])
    assert by_address == {
        "rachel@example.nhs.uk": {"CANCEL"},
        "tom@example.nhs.uk": {"REQUEST"},
        "sam@example.nhs.uk": {"REQUEST"},
    }
    assert len(mailoutbox) == 3 * upcoming

    mailoutbox.clear()
    enrolment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.WITHDRAWN, version=enrolment.version)
    assert {(m.to[0], read(m)["method"]) for m in mailoutbox} == {
        ("tom@example.nhs.uk", "CANCEL"),
        ("sam@example.nhs.uk", "CANCEL"),
    }


def test_recording_a_session_held_sends_nothing(enrolment, travel, mailoutbox, django_capture_on_commit_callbacks):
    from programmes.services.scheduling import session_record_held

    agree(enrolment, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    session = Session.objects.get(enrolment=enrolment, number=2)
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, 0, tzinfo=LONDON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            session_record_held(
                session=session, version=session.version, held_on=dt.date(2026, 3, 10), attendees=5, notes="",
                today=dt.date(2026, 3, 10),
            )  # fmt: skip
    assert mailoutbox == []


def test_superseded_invitation_is_not_sent_and_the_daily_task_requeues_stale_ones(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team, weekday=1, start_time=dt.time(9, 0), every_weeks=1, first_date=dt.date(2026, 3, 3)
    )
    with invitations_suppressed():
        agreement_confirm(enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=NOW)
    session = Session.objects.get(enrolment=enrolment, number=2)
    # Claimed, but its task lost (the broker was down): pending.
    claimed = invitations_claim(session_ids=[session.pk], old_coaches={}, now=NOW)
    assert len(claimed) == 2
    Invitation.objects.filter(pk=claimed[1]).update(sequence=0)  # as if a later change came since
    Invitation.objects.update(created_at=NOW - dt.timedelta(hours=3))
    with (
        time_machine.travel(NOW + dt.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert requeue_invitations.apply().get() == 2
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    superseded = Invitation.objects.get(pk=claimed[1])
    assert superseded.status == SendStatus.FAILED and superseded.error.startswith("Superseded")


def test_failed_invitation_is_listed_for_managers_and_sent_again(
    enrolment, travel, mailoutbox, django_capture_on_commit_callbacks, client
):
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team, weekday=1, start_time=dt.time(9, 0), every_weeks=1, first_date=dt.date(2026, 3, 3)
    )
    with invitations_suppressed():
        agreement_confirm(enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=NOW)
    session = Session.objects.get(enrolment=enrolment, number=2)
    to_coach, to_contact = invitations_claim(session_ids=[session.pk], old_coaches={}, now=NOW)
    Invitation.objects.update(status=SendStatus.FAILED, error="SMTPServerDisconnected: Connection closed")
    Invitation.objects.filter(pk=to_contact).update(sequence=0)  # superseded by a later change: not listed
    manager = factories.ManagerFactory()
    client.force_login(manager)
    page = client.get(reverse("coaching:reminders"))
    assert [i.pk for i in page.context["failed_invitations"]] == [to_coach]
    assert "SMTPServerDisconnected: Connection closed" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("coaching:invitation_retry", args=[to_coach]), follow=True)
    assert "will be sent again" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    assert Invitation.objects.get(pk=to_coach).status == SendStatus.SENT
    # Sent now: a second retry changes nothing and says so.
    response = client.post(reverse("coaching:invitation_retry", args=[to_coach]), follow=True)
    assert "is not marked as failed" in response.content.decode()
    assert len(mailoutbox) == 1


# --- The person's own switch -----------------------------------------------------------------------


def response_user(personas, persona: str) -> str:
    return personas.user(persona).get_username()


ALLOWED = {"manager": 200, "coach": 200, "other_coach": 200, "lead": 403, "no_role": 403}


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
def test_invitation_settings_page_by_role(client, login, personas, persona):
    response = persona_request(login, personas, persona, reverse("coaching:invitations"), ALLOWED)
    if response.status_code == 200:
        assert "Calendar invitations" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
def test_invitation_settings_post_by_role(client, login, personas, persona):
    url = reverse("coaching:invitations")
    expected = {**ALLOWED, "manager": 302, "coach": 302, "other_coach": 302}
    persona_request(login, personas, persona, url, expected, method="post", data={})
    stored = list(InvitationPreference.objects.values_list("user__username", "send_invitations"))
    assert stored == ([(response_user(personas, persona), False)] if expected.get(persona) == 302 else [])


def test_invitation_settings_turn_off_then_on(client, login, personas):
    browser = login("coach", personas)
    url = reverse("coaching:invitations")
    assert "checked" in browser.get(url).content.decode()
    browser.post(url, {})
    assert "checked" not in browser.get(url).content.decode().split("send_invitations")[1][:200]
    browser.post(url, {"send_invitations": "on"})
    assert InvitationPreference.objects.get(user=personas.coach).send_invitations is True


# --- A real worker ------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_an_invitation_once(enrolment, real_worker):  # noqa: F811 - the fixture imported above
    """Queued after the move commits, through Redis; the claim run again sends nothing more."""
    mail.outbox = []
    session = Session.objects.get(enrolment=enrolment, number=2)
    future = timezone.now() + dt.timedelta(days=30)
    session_move(session=session, version=session.version, to_start=future, reason="Later", user=enrolment.coach)
    real_worker.wait_for(lambda done: done["coaching.send_claimed"] == 2)
    assert invitations_claim(session_ids=[session.pk], old_coaches={}, now=timezone.now()) == []
    assert sorted(m.to[0] for m in mail.outbox) == ["rachel@example.nhs.uk", "sam@example.nhs.uk"]
    assert [read(m)["method"] for m in mail.outbox] == ["REQUEST", "REQUEST"]
    assert sorted(Invitation.objects.values_list("status", flat=True)) == ["sent", "sent"]
    assert real_worker.queued() == 0
