"""Enrolling a team, its page (sessions, agreement, moves, last reminder), editing, withdrawing
and completing it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from coaching.models import ReminderKind, ReminderStatus
from core.concurrency import DAMAGED_MESSAGE
from programmes.models import Enrolment, EnrolmentStatus, Session, SessionChange
from programmes.services.scheduling import session_move
from tests import factories

LONDON = ZoneInfo("Europe/London")

pytestmark = pytest.mark.django_db


def test_enrolment_create_makes_the_sessions_and_shows_them(login, personas):
    cohort = personas.enrolment.cohort
    team = factories.TeamFactory(name="Theatres")
    client = login("manager", personas)
    response = client.post(
        reverse("programmes:enrolment_create", args=[cohort.pk]),
        # A Saturday in the past is fine, once confirmed.
        {"team": team.pk, "coach": personas.coach.pk, "session1_date": "2025-10-04", "confirm": "on"},
        follow=True,
    )
    enrolment = Enrolment.objects.get(team=team)
    assertRedirects(response, reverse("programmes:enrolment", args=[enrolment.pk]))
    assertContains(response, "Theatres is enrolled in Autumn cohort, with 10 sessions due from Sat 4 Oct 2025.")
    assert (enrolment.coach, enrolment.status) == (personas.coach, EnrolmentStatus.PLANNED)
    assert list(enrolment.sessions.values_list("due_date", flat=True)[:3]) == [
        dt.date(2025, 10, 4),
        dt.date(2025, 10, 11),
        dt.date(2025, 10, 25),
    ]


def test_enrolment_create_offers_only_teams_not_yet_in_the_cohort_and_coaches_only(login, personas):
    free = factories.TeamFactory(name="Theatres")
    form = login("manager", personas).get(reverse("programmes:enrolment_create", args=[personas.enrolment.cohort_id]))
    form = form.context["form"]
    assert list(form.fields["team"].queryset) == [free]
    assert set(form.fields["coach"].queryset) == {personas.coach, personas.other_coach}


def test_enrolment_create_missing_date_keeps_choices(login, personas):
    team = factories.TeamFactory(name="Theatres")
    response = login("manager", personas).post(
        reverse("programmes:enrolment_create", args=[personas.enrolment.cohort_id]),
        {"team": team.pk, "coach": personas.coach.pk, "session1_date": ""},
    )
    assert response.context["form"].errors == {"session1_date": ["This field is required."]}
    assertContains(response, f'<option value="{team.pk}" selected>')
    assert not Enrolment.objects.filter(team=team).exists()


def test_enrolment_page_flags_slots_not_agreed_after_session_1(login, personas):
    Session.objects.filter(enrolment=personas.enrolment, number=1).update(held_on=dt.date(2025, 9, 22), attendees=8)
    response = login("coach", personas).get(reverse("programmes:enrolment", args=[personas.enrolment.pk]))
    assertContains(response, "<strong>Coaching slots: Not agreed.</strong> Session 1 was held on Mon 22 Sep 2025")
    assertContains(response, f'<a href="/coaching/enrolments/{personas.enrolment.pk}/agreement/" class="alert-link">')
    assertContains(response, "Mon 22 Sep 2025</time>, 8 attended")
    assertNotContains(response, "Edit coach or session 1 date")  # managers only


def test_enrolment_page_shows_agreement_and_move_history(login, personas):
    enrolment = personas.enrolment
    enrolment.sessions.filter(number=1).update(held_on=dt.date(2025, 9, 22))
    factories.CoachingAgreementFactory(
        enrolment=enrolment,
        agreed_at=dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON),
        meeting__name="Team huddle",
    )
    session_4 = enrolment.sessions.get(number=4)
    first = dt.datetime(2025, 10, 28, 9, 0, tzinfo=LONDON)
    session_move(session=session_4, version=1, to_start=first, reason="Agreed", user=personas.coach)
    session_4.refresh_from_db()
    session_move(
        session=session_4,
        version=2,
        to_start=dt.datetime(2025, 11, 4, 14, 30, tzinfo=LONDON),
        reason="Clinic overran",
        user=personas.manager,
    )
    response = login("lead", personas).get(reverse("programmes:enrolment", args=[enrolment.pk]))
    html = response.content.decode()
    changed_at = timezone.localtime(SessionChange.objects.latest("pk").changed_at)
    assertContains(response, "Coaching slots: <strong>Agreed at session 1</strong>")
    assertContains(response, "Coaching rides on <strong>Team huddle</strong>")
    assertContains(response, "1 session moved, 2 moves in all.")
    assertInHTML(
        """<tr>
          <th scope="row">Session 4</th>
          <td><time datetime="2025-10-28T09:00:00+00:00">Tue 28 Oct 2025, 09:00</time></td>
          <td><time datetime="2025-11-04T14:30:00+00:00">Tue 4 Nov 2025, 14:30</time></td>
          <td>Clinic overran</td>
          <td>Mina Manager</td>"""
        + f"""<td><time datetime="{changed_at.replace(microsecond=0).isoformat()}">"""
        + f"""{changed_at:%a %-d %b %Y, %H:%M}</time></td>
        </tr>""",
        html,
    )
    assert "Record as held" not in html  # leads read only
    assert "Withdraw the team" not in html


def test_enrolment_page_shows_when_the_last_reminder_went(login, personas):
    session_3 = personas.enrolment.sessions.get(number=3)
    factories.ReminderFactory(
        session=session_3,
        kind=ReminderKind.OVERDUE,
        status=ReminderStatus.SENT,
        sent_at=dt.datetime(2025, 10, 21, 8, 0, tzinfo=LONDON),
    )
    response = login("coach", personas).get(reverse("programmes:enrolment", args=[personas.enrolment.pk]))
    assertContains(
        response,
        '<time datetime="2025-10-21T08:00:00+01:00">21 Oct 2025</time>: session overdue, session 3, to Cara Coach',
    )


@pytest.mark.parametrize("moves", [1, 6])
def test_enrolment_page_query_count_does_not_grow_with_sessions_and_moves(
    client, django_assert_num_queries, personas, moves
):
    enrolment = personas.enrolment
    factories.CoachingAgreementFactory(enrolment=enrolment)
    for n in range(moves):
        session = enrolment.sessions.get(number=2 + n % 8)
        session_move(
            session=session,
            version=session.version,
            to_start=dt.datetime(2025, 10, 1, 9, 0, tzinfo=LONDON) + dt.timedelta(days=n),
            reason=f"Move {n}",
            user=personas.coach,
        )
    client.force_login(personas.manager)
    # 1 session, 2 user, 3 groups, 4 the enrolment with team, site, cohort, template, owner and
    # coach, 5 sessions with plans and move counts, 6 the moves with who made them, then coaching's
    # panel: 7 the agreement with its meeting and who agreed it, 8 the last reminder sent.
    with django_assert_num_queries(8):
        response = client.get(reverse("programmes:enrolment", args=[enrolment.pk]))
    assert response.context["page"].moves == moves


def test_enrolment_edit_moving_session_1_moves_due_dates(login, personas):
    enrolment = personas.enrolment
    client = login("manager", personas)
    form = client.get(reverse("programmes:enrolment_edit", args=[enrolment.pk])).context["form"]
    response = client.post(
        reverse("programmes:enrolment_edit", args=[enrolment.pk]),
        {
            "coach": personas.other_coach.pk,
            "session1_date": "2025-09-29",
            "version": form.initial["version"],
            "confirm": "on",  # in the past
        },
    )
    assertRedirects(response, reverse("programmes:enrolment", args=[enrolment.pk]), fetch_redirect_response=False)
    enrolment.refresh_from_db()
    assert (enrolment.coach, enrolment.sessions.get(number=2).due_date) == (personas.other_coach, dt.date(2025, 10, 6))


def test_enrolment_edit_stale_form_is_refused_and_keeps_input(login, personas):
    enrolment = personas.enrolment
    url = reverse("programmes:enrolment_edit", args=[enrolment.pk])
    client = login("manager", personas)
    opened = client.get(url).context["form"].initial
    assert opened["version"] == 1
    # Another manager, from a form opened on the same version, changes the coach first.
    first = client.post(url, {"coach": "", "session1_date": "2025-09-22", "version": opened["version"]})
    assert first.status_code == 302
    response = client.post(
        url,
        {
            "coach": personas.other_coach.pk,
            "session1_date": "2025-09-29",
            "version": opened["version"],
            "confirm": "on",
        },
    )
    assert response.status_code == 200
    assertContains(response, "Someone else saved this enrolment while you were editing it")
    assertContains(response, 'value="2025-09-29"')
    assertContains(response, "Saved by someone else meanwhile")
    assertInHTML(
        '<tr><th scope="row">Coach</th><td>–</td><td>Omar Other</td></tr>'
        '<tr><th scope="row">Session 1 date</th><td>Mon 22 Sep 2025</td><td>Mon 29 Sep 2025</td></tr>',
        response.content.decode(),
    )
    assertContains(response, '<input type="hidden" name="version" value="2" id="id_version">', html=True)
    enrolment.refresh_from_db()
    assert (enrolment.coach, enrolment.session1_date, enrolment.version) == (None, dt.date(2025, 9, 22), 2)
    # Saving again, knowingly, goes through.
    again = client.post(reverse("programmes:enrolment_edit", args=[enrolment.pk]), response.context["form"].data)
    assert again.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.session1_date == dt.date(2025, 9, 29)


def test_enrolment_edit_session_1_date_after_a_held_session_is_a_field_error(login, personas):
    enrolment = personas.enrolment
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    client = login("manager", personas)
    opened = client.get(reverse("programmes:enrolment_edit", args=[enrolment.pk])).context["form"].initial
    response = client.post(
        reverse("programmes:enrolment_edit", args=[enrolment.pk]),
        {"coach": personas.coach.pk, "session1_date": "2025-09-29", "version": opened["version"], "confirm": "on"},
    )
    assert response.context["form"].errors == {
        "session1_date": ["Session 1's date cannot change once a session has been held."]
    }


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("withdrawn", "Education support team is withdrawn from Autumn cohort. Its sessions and records are kept."),
        ("completed", "Education support team has completed Autumn cohort."),
    ],
)
def test_enrolment_status_withdraw_and_complete(login, personas, status, message):
    client = login("manager", personas)
    page = client.get(reverse("programmes:enrolment", args=[personas.enrolment.pk]))
    assertContains(page, '<input type="hidden" name="version" value="1">', count=3)  # one per status button
    response = client.post(
        reverse("programmes:enrolment_status", args=[personas.enrolment.pk]),
        {"status": status, "version": 1},
        follow=True,
    )
    assertContains(response, message)
    personas.enrolment.refresh_from_db()
    assert personas.enrolment.status == status
    assert personas.enrolment.sessions.count() == 10


def test_enrolment_status_unknown_value_changes_nothing(login, personas):
    client = login("manager", personas)
    response = client.post(
        reverse("programmes:enrolment_status", args=[personas.enrolment.pk]),
        {"status": "paused", "version": 1},
        follow=True,
    )
    assertContains(response, "Choose planned, active, completed or withdrawn.")
    personas.enrolment.refresh_from_db()
    assert personas.enrolment.status == EnrolmentStatus.ACTIVE


def test_enrolment_status_get_is_refused(login, personas):
    url = reverse("programmes:enrolment_status", args=[personas.enrolment.pk])
    assert login("manager", personas).get(url).status_code == 405


def test_enrolment_status_from_a_stale_page_is_refused_and_the_first_change_kept(login, personas):
    url = reverse("programmes:enrolment_status", args=[personas.enrolment.pk])
    client = login("manager", personas)
    assert client.post(url, {"status": "completed", "version": 1}).status_code == 302
    response = client.post(url, {"status": "withdrawn", "version": 1}, follow=True)
    assertContains(
        response,
        "Someone else changed this enrolment after you opened the page, so it has not been changed: "
        "Education support team is completed now. Check the page below, then choose again.",
    )
    personas.enrolment.refresh_from_db()
    assert (personas.enrolment.status, personas.enrolment.version) == (EnrolmentStatus.COMPLETED, 2)


def test_enrolment_status_without_a_version_changes_nothing(login, personas):
    url = reverse("programmes:enrolment_status", args=[personas.enrolment.pk])
    response = login("manager", personas).post(url, {"status": "withdrawn"}, follow=True)
    assertContains(response, DAMAGED_MESSAGE)
    personas.enrolment.refresh_from_db()
    assert (personas.enrolment.status, personas.enrolment.version) == (EnrolmentStatus.ACTIVE, 1)


@pytest.mark.parametrize("name", ["programmes:enrolment_edit", "programmes:enrolment_create"])
def test_enrolment_forms_posted_empty_show_errors_and_change_nothing(login, personas, name):
    pk = personas.enrolment.pk if name == "programmes:enrolment_edit" else personas.enrolment.cohort_id
    response = login("manager", personas).post(reverse(name, args=[pk]), {})
    assert response.status_code == 200
    assert response.context["form"].errors["session1_date"] == ["This field is required."]
    assertContains(response, "<title>Error: ")
    personas.enrolment.refresh_from_db()
    assert (personas.enrolment.session1_date, personas.enrolment.version, Enrolment.objects.count()) == (
        dt.date(2025, 9, 22),
        1,
        2,
    )
