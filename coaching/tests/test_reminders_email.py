"""The reminder emails: plain text and HTML, what they say, and their links."""

from __future__ import annotations

import datetime as dt

import pytest

from coaching.models import CalendarFeed
from coaching.services import reminders_sweep
from programmes.models import Session
from tests import factories


def send(today: dt.date, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(today=today)


def html_of(message) -> str:
    (content, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return content


@pytest.mark.django_db
def test_overdue_email_to_coach_links_to_session_team_and_calendar_feed(
    programme, email_links, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment, sessions = programme.enrol(held_through=6, team_name="Education support team")
    site = enrolment.team.site.code
    send(dt.date(2025, 12, 16), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    token = CalendarFeed.objects.get(coach=programme.coach).token
    base = "https://qms.example.nhs.uk"
    assert message.to == ["rachel@example.nhs.uk"]
    assert message.subject == f"Session 7 for Education support team ({site}) is 1 day overdue"
    assert message.body == (
        "Dear Rachel Evans,\n\n"
        f"Session 7 (12-week review) with Education support team at {site} was due on Monday 8 December 2025 "
        "and has not been recorded as held. It is now 1 day overdue, after the 7 days' grace.\n\n"
        "If it has happened, please record it. If not, please book it with the team as soon as you can, "
        "ideally at one of their existing meetings.\n\n"
        f"Record the session: {base}/programmes/sessions/{sessions[7].pk}/\n"
        f"The team's page: {base}/programmes/enrolments/{enrolment.pk}/\n"
        "Your coaching calendar (subscribe in Outlook or your phone's calendar): "
        f"{base}/coaching/calendar/{token}.ics\n\n"
        f"Team: Education support team ({site}), Autumn 2025 test bed\n"
        "Session 7: 12-week review\n"
        "Due: Monday 8 December 2025\n\n"
        "This is an automatic reminder from QMS Coach. You get it once for this session.\n"
    )
    html = html_of(message)
    assert f'<a href="{base}/programmes/sessions/{sessions[7].pk}/" style="color:#005eb8;">' in html
    assert f'<a href="{base}/coaching/calendar/{token}.ics" style="color:#005eb8;">' in html
    assert "It is now <strong>1 day overdue</strong>, after the 7 days' grace." in html
    assert '<html lang="en-GB">' in html


@pytest.mark.django_db
def test_escalation_email_to_manager_names_the_coach_and_has_no_calendar_link(
    programme, email_links, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment, _ = programme.enrol(held_through=6, team_name="Education support team")
    send(dt.date(2025, 12, 16), django_capture_on_commit_callbacks)
    mailoutbox.clear()
    send(dt.date(2025, 12, 29), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert message.to == ["helen@example.nhs.uk"]
    assert (
        message.subject
        == f"Still overdue: session 7 for Education support team ({enrolment.team.site.code}), 14 days overdue"
    )
    assert "Its coach, Rachel Evans, was reminded when it became overdue." in message.body
    assert "calendar" not in message.body
    assert CalendarFeed.objects.filter(coach=programme.manager).count() == 0


@pytest.mark.django_db
def test_without_the_linked_pages_the_email_links_to_the_site(
    programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks
):
    programme.enrol(held_through=6)
    send(dt.date(2025, 12, 16), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert "Open QMS Coach: https://qms.example.nhs.uk/\n" in message.body
    assert "Record the session" not in message.body
    assert '<a href="https://qms.example.nhs.uk/" style="color:#005eb8;">Open QMS Coach</a>' in html_of(message)
    assert CalendarFeed.objects.count() == 0  # no feed made for a link that cannot be shown


@pytest.mark.django_db
def test_team_names_are_escaped_in_html_only(programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks):
    programme.enrol(held_through=6, team_name="Stores & <Supplies>")
    send(dt.date(2025, 12, 16), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert "with Stores & <Supplies> at" in message.body
    assert "<strong>Stores &amp; &lt;Supplies&gt;</strong>" in html_of(message)


@pytest.mark.django_db
def test_overdue_email_for_a_team_without_coach_asks_the_manager_to_assign_one(
    programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks
):
    programme.enrol(held_through=6, coach=None, team_name="Coachless")
    send(dt.date(2025, 12, 16), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert message.to == ["helen@example.nhs.uk"]
    assert "Coachless has no coach assigned in Autumn 2025 test bed, so nobody else has been reminded." in message.body


@pytest.mark.django_db
def test_slots_not_agreed_and_upcoming_emails(
    programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks
):
    # One kind each, to two coaches: a person's only reminder of the day goes as its own email.
    enrolment, sessions = programme.enrol(held_through=1, agreement=False, team_name="New team")
    site = enrolment.team.site.code
    Session.objects.filter(pk=sessions[1].pk).update(held_on=dt.date(2025, 9, 25))
    Session.objects.filter(pk=sessions[2].pk).update(agreed_start=dt.datetime(2025, 9, 29, 9, tzinfo=dt.UTC))
    other, sessions = programme.enrol(held_through=1, coach=factories.CoachFactory(username="tom"), team_name="Other")
    Session.objects.filter(pk=sessions[2].pk).update(agreed_start=None)
    send(dt.date(2025, 9, 27), django_capture_on_commit_callbacks)
    assert sorted((m.subject, m.extra_headers) for m in mailoutbox) == [
        (f"Agree the coaching times with New team ({site})", {}),
        (f"Session 2 for Other ({other.team.site.code}) is due on Monday 29 September with no agreed time", {}),
    ]
    bodies = "\n".join(m.body for m in mailoutbox)
    assert "had session 1 on Thursday 25 September 2025, 2 days ago, but its coaching times" in bodies
    assert "is due in 2 days, on Monday 29 September 2025, and no time has been agreed" in bodies


@pytest.mark.django_db
def test_a_persons_reminders_of_the_day_go_in_one_email_grouped_by_kind(
    programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment, sessions = programme.enrol(held_through=1, agreement=False, team_name="New <team>")
    site = enrolment.team.site.code
    Session.objects.filter(pk=sessions[1].pk).update(held_on=dt.date(2025, 9, 25))
    send(dt.date(2025, 9, 27), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert message.subject == "2 reminders for Saturday 27 September: 1 slots not agreed, 1 upcoming"
    assert message.body.splitlines()[2] == (
        "You have 2 reminders from QMS Coach for Saturday 27 September 2025 (1 slots not agreed, 1 upcoming)."
    )
    title_1, title_2 = sessions[1].plan.title, sessions[2].plan.title
    assert (
        f'- New <team> ({site}), session 1 "{title_1}", due 22 Sep 2025: held 2025-09-25, no coaching agreement'
    ) in message.body
    assert f'- New <team> ({site}), session 2 "{title_2}", due 29 Sep 2025: due in 2 days, no agreed time' in (
        message.body
    )
    html = html_of(message)
    assert "<strong>New &lt;team&gt;</strong>" in html and "New <team>" not in html


@pytest.mark.django_db
def test_slipping_email_tells_the_manager_when_and_how_late_the_session_was_agreed(
    programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks
):
    enrolment, sessions = programme.enrol(held_through=6, team_name="Education support team")
    Session.objects.filter(pk=sessions[7].pk).update(agreed_start=dt.datetime(2026, 1, 12, 10, tzinfo=dt.UTC))
    send(dt.date(2025, 12, 10), django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert message.to == ["helen@example.nhs.uk"]
    assert message.subject == (
        f"Agreed late: session 7 for Education support team ({enrolment.team.site.code}), 35 days after it was due"
    )
    assert (
        "was due on Monday 8 December 2025 and has been agreed for Monday 12 January 2026, 10:00: "
        "35 days after its due date, beyond the 7 days' grace." in message.body
    )
    assert "You may want to talk to its coach, Rachel Evans, about an earlier date." in message.body
