"""Calendar feeds: RFC 5545 made with icalendar, read back with icalendar and with vobject; the
secret address; resetting it."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.urls import reverse
from icalendar import Calendar
from pytest_django.asserts import assertRedirects

from coaching.ical import build_calendar
from coaching.models import CalendarFeed
from coaching.selectors import feed_sessions
from coaching.services import agreement_confirm, calendar_feed_for_coach, calendar_feed_for_team
from conftest import PERSONAS
from programmes.models import EnrolmentStatus, Session
from programmes.services.scheduling import (
    enrolment_set_status,
    session_cancel,
    session_move,
    session_record_held,
)
from tests import factories
from tests.helpers import MANAGERS_ONLY, persona_request

LONDON = ZoneInfo("Europe/London")
ON_SESSION_1 = dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON)

pytestmark = pytest.mark.django_db


def agree(enrolment, *, every_weeks: int = 2):
    """Agrees the slots on a Tuesday 09:00 meeting from 23 September 2025 (sessions 2-10)."""
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team,
        name="Team huddle",
        weekday=1,
        start_time=dt.time(9, 0),
        every_weeks=every_weeks,
        first_date=dt.date(2025, 9, 23),
        location="Seminar room 2",
    )
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    agreement_confirm(enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    return meeting


def feed_url(feed) -> str:
    return reverse("coaching:calendar", args=[feed.token])


def events(response) -> dict[str, object]:
    """UID -> VEVENT of a feed response."""
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_calendar_url_is_the_contract_path():
    assert reverse("coaching:calendar", args=["abc_DEF-123"]) == "/coaching/calendar/abc_DEF-123.ics"


def test_calendar_coach_feed_parses_with_one_event_per_scheduled_session(client, personas):
    agree(personas.enrolment)
    feed = calendar_feed_for_coach(coach=personas.coach)
    response = client.get(feed_url(feed))  # no login: the token is the secret
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "QMS coaching – Cara Coach"
    found = events(response)
    sessions = {s.pk: s for s in personas.enrolment.sessions.select_related("plan")}
    assert sorted(found) == sorted(f"qms-session-{pk}@qms-coach" for pk, s in sessions.items() if s.number > 1)
    session_3 = personas.enrolment.sessions.get(number=3)
    event = found[f"qms-session-{session_3.pk}@qms-coach"]
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2025, 10, 21, 9, 0, tzinfo=LONDON)
    assert start.tzinfo.key == "Europe/London"
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=30)
    assert event["SEQUENCE"] == 3  # session version 2 (its time agreed) + enrolment version 1
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Seminar room 2"
    assert str(event["SUMMARY"]) == (
        f"QMS Coaching: improvement board and huddle – Education support team ({personas.enrolment.team.site.code})"
    )
    assert str(event["URL"]).endswith(f"/programmes/enrolments/{personas.enrolment.pk}/")
    # The wire format names the zone, and the feed carries its definition.
    assert b"DTSTART;TZID=Europe/London:20251021T090000" in response.content
    assert b"DTSTART;TZID=Europe/London:20251104T090000" in response.content  # after the clocks went back
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_calendar_coach_feed_leaves_out_other_coaches_and_finished_enrolments(client, personas):
    agree(personas.enrolment)
    agree(personas.other_enrolment)
    feed = calendar_feed_for_coach(coach=personas.coach)
    assert len(events(client.get(feed_url(feed)))) == 9
    enrolment_set_status(enrolment=personas.enrolment, status=EnrolmentStatus.COMPLETED)
    assert len(events(client.get(feed_url(feed)))) == 0


def test_calendar_moved_session_keeps_its_uid_with_a_higher_sequence(client, personas):
    agree(personas.enrolment)
    feed = calendar_feed_for_team(team=personas.enrolment.team)
    session_4 = personas.enrolment.sessions.get(number=4)
    uid = f"qms-session-{session_4.pk}@qms-coach"
    before = events(client.get(feed_url(feed)))[uid]
    session_move(
        session=session_4,
        version=session_4.version,
        to_start=dt.datetime(2025, 11, 5, 14, 0, tzinfo=LONDON),
        reason="Clinic overran",
        user=personas.coach,
    )
    after = events(client.get(feed_url(feed)))[uid]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (3, 4)
    assert after.decoded("DTSTART") == dt.datetime(2025, 11, 5, 14, 0, tzinfo=LONDON)


def test_calendar_cancelled_session_is_status_cancelled(client, personas):
    agree(personas.enrolment)
    session_5 = personas.enrolment.sessions.get(number=5)
    session_cancel(session=session_5, version=session_5.version, reason="Ward closed")
    feed = calendar_feed_for_coach(coach=personas.coach)
    found = events(client.get(feed_url(feed)))
    assert str(found[f"qms-session-{session_5.pk}@qms-coach"]["STATUS"]) == "CANCELLED"
    assert [str(e["STATUS"]) for e in found.values()].count("CANCELLED") == 1


def test_calendar_cancelling_raises_sequence_and_nothing_lowers_it(client, personas):
    agree(personas.enrolment)
    feed = calendar_feed_for_team(team=personas.enrolment.team)
    session_5 = personas.enrolment.sessions.get(number=5)
    session_6 = personas.enrolment.sessions.get(number=6)
    uid_5, uid_6 = (f"qms-session-{s.pk}@qms-coach" for s in (session_5, session_6))

    def seen():
        found = events(client.get(feed_url(feed)))
        return [(found[uid]["SEQUENCE"], str(found[uid]["STATUS"])) for uid in (uid_5, uid_6)]

    assert seen() == [(3, "CONFIRMED"), (3, "CONFIRMED")]
    session_cancel(session=session_5, version=session_5.version, reason="Ward closed")
    assert seen() == [(4, "CANCELLED"), (3, "CONFIRMED")]
    # A cancelled session later recorded as held after all: confirmed again, and still no lower.
    session_5.refresh_from_db()
    session_record_held(
        session=session_5, version=session_5.version, held_on=dt.date(2025, 11, 18), attendees=5, notes="",
        today=dt.date(2025, 11, 18),
    )  # fmt: skip
    assert seen() == [(5, "CONFIRMED"), (3, "CONFIRMED")]
    enrolment_set_status(enrolment=personas.enrolment, status=EnrolmentStatus.WITHDRAWN)
    assert seen() == [(6, "CONFIRMED"), (4, "CANCELLED")]  # held stays held; to come is called off
    enrolment_set_status(enrolment=personas.enrolment, status=EnrolmentStatus.ACTIVE)
    assert seen() == [(7, "CONFIRMED"), (5, "CONFIRMED")]


# Summer and winter sessions over several years: London wall-clock times and the UTC instants they
# are. With the Sundays the clocks change (26 Oct 2025 back at 02:00, 29 Mar 2026 forward at 01:00)
# and the days either side of a change (25 Mar 2028, before BST; 30 Oct 2028, after it).
ACROSS_YEARS = [
    (dt.datetime(2025, 10, 26, 9, 0, tzinfo=LONDON), dt.datetime(2025, 10, 26, 9, 0, tzinfo=dt.UTC)),
    (dt.datetime(2026, 1, 13, 9, 0, tzinfo=LONDON), dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)),
    (dt.datetime(2026, 3, 29, 9, 0, tzinfo=LONDON), dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)),
    (dt.datetime(2026, 7, 14, 14, 30, tzinfo=LONDON), dt.datetime(2026, 7, 14, 13, 30, tzinfo=dt.UTC)),
    (dt.datetime(2027, 2, 9, 9, 0, tzinfo=LONDON), dt.datetime(2027, 2, 9, 9, 0, tzinfo=dt.UTC)),
    (dt.datetime(2027, 8, 10, 9, 0, tzinfo=LONDON), dt.datetime(2027, 8, 10, 8, 0, tzinfo=dt.UTC)),
    (dt.datetime(2028, 3, 25, 9, 0, tzinfo=LONDON), dt.datetime(2028, 3, 25, 9, 0, tzinfo=dt.UTC)),
    (dt.datetime(2028, 10, 30, 9, 0, tzinfo=LONDON), dt.datetime(2028, 10, 30, 9, 0, tzinfo=dt.UTC)),
]


def test_calendar_feed_times_read_alike_by_icalendar_and_vobject_across_years(client, personas):
    agree(personas.enrolment)
    sessions = list(personas.enrolment.sessions.filter(number__gte=2).order_by("number"))[: len(ACROSS_YEARS)]
    for session, (local, _utc) in zip(sessions, ACROSS_YEARS, strict=True):
        Session.objects.filter(pk=session.pk).update(agreed_start=local)
    expected = {
        f"qms-session-{s.pk}@qms-coach": s.agreed_start for s in Session.objects.filter(pk__in=[s.pk for s in sessions])
    }
    assert sorted(expected.values()) == [utc for _local, utc in ACROSS_YEARS]
    body = client.get(feed_url(calendar_feed_for_team(team=personas.enrolment.team))).content

    # icalendar: DTSTART as it reads it, and the wall-clock time through the feed's own VTIMEZONE.
    calendar = Calendar.from_ical(body)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    own_zone = vtimezone.to_tz(lookup_tzid=False)
    by_icalendar = {}
    by_icalendar_vtimezone = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        if uid not in expected:
            continue
        by_icalendar[uid] = event.decoded("DTSTART").astimezone(dt.UTC)
        wall = event.decoded("DTSTART").replace(tzinfo=None)
        by_icalendar_vtimezone[uid] = wall.replace(tzinfo=own_zone).astimezone(dt.UTC)
    # vobject, which reads the feed's VTIMEZONE with dateutil.
    vcal = vobject.readOne(body.decode())
    vobject_zone = vcal.vtimezone.gettzinfo()
    by_vobject = {}
    by_vobject_vtimezone = {}
    for vevent in vcal.vevent_list:
        uid = vevent.uid.value
        if uid not in expected:
            continue
        by_vobject[uid] = vevent.dtstart.value.astimezone(dt.UTC)
        wall = vevent.dtstart.value.replace(tzinfo=None)
        by_vobject_vtimezone[uid] = wall.replace(tzinfo=vobject_zone).astimezone(dt.UTC)
    assert by_icalendar == expected
    assert by_icalendar_vtimezone == expected
    assert by_vobject == expected
    assert by_vobject_vtimezone == expected


def test_calendar_vtimezone_is_two_yearly_rules_without_lists_of_dates(client, personas):
    agree(personas.enrolment)
    text = client.get(feed_url(calendar_feed_for_coach(coach=personas.coach))).content.decode()
    block = re.search(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", text, re.DOTALL).group(0)
    assert re.search(r"^RDATE[^\r\n]*,", text, re.MULTILINE) is None
    assert "RDATE" not in block
    assert block == (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
        "TZNAME:BST\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\nDTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
        "TZNAME:GMT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    )
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


def test_calendar_team_feed_shows_a_withdrawn_teams_sessions_as_cancelled(client, personas):
    agree(personas.enrolment)
    enrolment_set_status(enrolment=personas.enrolment, status=EnrolmentStatus.WITHDRAWN)
    feed = calendar_feed_for_team(team=personas.enrolment.team)
    response = client.get(feed_url(feed))
    assert {str(e["STATUS"]) for e in events(response).values()} == {"CANCELLED"}
    assert str(Calendar.from_ical(response.content)["X-WR-CALNAME"]) == (
        f"QMS coaching – Education support team ({personas.enrolment.team.site.code})"
    )


def test_calendar_unknown_token_is_404(client, db):
    assert client.get("/coaching/calendar/not-a-real-token.ics").status_code == 404


def test_calendar_feed_refuses_post(client, personas):
    feed = calendar_feed_for_coach(coach=personas.coach)
    assert client.post(feed_url(feed)).status_code == 405


def test_calendar_feed_empty_is_still_a_calendar(client, personas):
    response = client.get(feed_url(calendar_feed_for_coach(coach=personas.coach)))
    calendar = Calendar.from_ical(response.content)
    assert (str(calendar["VERSION"]), calendar.walk("VEVENT")) == ("2.0", [])


@pytest.mark.parametrize("teams", [1, 4])
def test_calendar_feed_query_count_does_not_grow_with_sessions(client, django_assert_num_queries, teams):
    coach = factories.CoachFactory()
    for _ in range(teams):
        enrolment = factories.EnrolmentFactory(coach=coach)
        factories.make_sessions(enrolment)
        agree(enrolment)
        session_4 = enrolment.sessions.get(number=4)
        session_move(
            session=session_4,
            version=session_4.version,
            to_start=dt.datetime(2025, 11, 5, 14, 0, tzinfo=LONDON),
            reason="Moved",
            user=coach,
        )
    feed = calendar_feed_for_coach(coach=coach)
    # 1 the feed with its coach (or team and site), 2 its sessions with plan, team, site,
    # agreement and meeting.
    with django_assert_num_queries(2):
        response = client.get(feed_url(feed))
    assert len(events(response)) == 9 * teams


def test_build_calendar_skips_sessions_without_an_agreed_time(personas):
    feed = calendar_feed_for_coach(coach=personas.coach)
    Session.objects.filter(enrolment=personas.enrolment, number=2).update(
        agreed_start=dt.datetime(2025, 9, 30, 9, 0, tzinfo=LONDON)
    )
    sessions = list(feed_sessions(feed))
    body = build_calendar(name="Test", sessions=sessions, now=ON_SESSION_1)
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 1
    # No meeting agreed: an hour long.
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=1)


# --- Resetting the address ------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_calendar_reset_mine_permissions(login, personas, persona):
    client = login(persona, personas)
    response = client.post(reverse("coaching:calendar_reset"))
    if persona == "anonymous":
        assertRedirects(response, "/accounts/login/?next=/coaching/calendar/reset/")
    elif persona == "lead":
        assert response.status_code == 403
    else:
        assertRedirects(response, reverse("coaching:my_teams"), fetch_redirect_response=False)
        assert CalendarFeed.objects.filter(coach=personas.user(persona)).count() == 1


def test_calendar_reset_mine_old_address_stops_working(login, personas):
    client = login("coach", personas)
    old = calendar_feed_for_coach(coach=personas.coach).token
    client.post(reverse("coaching:calendar_reset"))
    new = CalendarFeed.objects.get(coach=personas.coach).token
    assert new != old
    assert client.get(f"/coaching/calendar/{old}.ics").status_code == 404
    assert client.get(f"/coaching/calendar/{new}.ics").status_code == 200


def test_calendar_reset_mine_get_is_refused(login, personas):
    assert login("coach", personas).get(reverse("coaching:calendar_reset")).status_code == 405


@pytest.mark.parametrize("persona", PERSONAS)
def test_calendar_reset_team_permissions(login, personas, persona):
    team = personas.enrolment.team
    old = calendar_feed_for_team(team=team).token
    url = reverse("coaching:team_calendar_reset", args=[team.pk])
    response = persona_request(login, personas, persona, url, {**MANAGERS_ONLY, "manager": 302}, method="post")
    changed = CalendarFeed.objects.get(team=team).token != old
    assert changed is (persona == "manager")
    if persona == "manager":
        assertRedirects(response, reverse("programmes:team", args=[team.pk]), fetch_redirect_response=False)
