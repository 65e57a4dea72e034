"""The huddle nudge: a team with a physical board whose planned huddles had no check-in for
QMS_HUDDLE_STOPPED_WEEKS weeks -> its coach hears of it in their daily digest, once per stop; the
improvement manager's weekly digest counts such teams. Check-ins are made by hand on fixed dates:
a Monday huddle from 2 November 2026, the board sheet printed that day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coaching.models import Digest, Reminder, ReminderKind, ReminderStatus
from coaching.selectors.digests import weekly_digest_content
from coaching.services import reminders_sweep, weekly_digests_sweep
from coaching.tasks import sweep_reminders
from programmes.models import Enrolment, HuddleBoard, HuddleCheckIn, ImprovementBoard
from programmes.selectors.huddles import BOARD_FINDING
from tests import factories

from .test_tasks import real_worker  # noqa: F401 - the real Celery worker fixture

LONDON = ZoneInfo("Europe/London")
D = dt.date
SHEET_DAY = D(2026, 11, 2)  # a Monday: the board sheet printed, the first huddle
TODAY = D(2026, 11, 26)  # a Thursday: the huddles of 16 and 23 November had no check-in
STOPPED = [D(2026, 11, 2), D(2026, 11, 9)]  # check-ins, then none: stopped since Monday 16 November
GOING = [D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23)]
DETAIL = "no huddle checked in at the board since the week of Monday 16 November 2026"


def huddling(
    enrolment: Enrolment, *, check_ins=(), board=ImprovementBoard.PHYSICAL, sheet_on: dt.date | None = SHEET_DAY
) -> Enrolment:
    """The enrolment's team with its board, a Monday huddle, its sheet printed on `sheet_on` (None:
    never) and these check-ins."""
    team = enrolment.team
    team.improvement_board = board
    team.save()
    factories.TeamMeetingFactory(team=team, name="Huddle", weekday=0, first_date=SHEET_DAY, is_huddle=True)
    if sheet_on is not None:
        sheet = HuddleBoard.objects.create(team=team)
        printed = dt.datetime.combine(sheet_on, dt.time(9, 0), tzinfo=LONDON)
        HuddleBoard.objects.filter(pk=sheet.pk).update(created_at=printed)
    HuddleCheckIn.objects.bulk_create(HuddleCheckIn(team=team, held_on=day) for day in check_ins)
    return enrolment


def enrol(programme, name: str, **kwargs) -> Enrolment:
    """A team with every session held and its slots agreed: due no other reminder in November 2026."""
    coach = kwargs.pop("coach", "default")
    enrolment, _ = programme.enrol(held_through=10, team_name=name, coach=coach)
    return huddling(enrolment, **kwargs)


def huddle_reminders() -> list[tuple[str, str, dt.date]]:
    return sorted(
        Reminder.objects.filter(kind=ReminderKind.HUDDLES_STOPPED).values_list(
            "session__enrolment__team__name", "recipient__username", "due_date"
        )
    )


def sweep(today: dt.date, callbacks):
    with callbacks(execute=True):
        return reminders_sweep(today=today)


# --- The rule ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_stopped_huddles_nudge_the_coach_once_and_nothing_else_is_nudged(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    stopped = enrol(programme, "Ward 22", check_ins=STOPPED)
    enrol(programme, "Going", check_ins=GOING)
    enrol(programme, "Virtual", check_ins=STOPPED, board=ImprovementBoard.VIRTUAL)
    enrol(programme, "No sheet", check_ins=STOPPED, sheet_on=None)
    enrol(programme, "Never started")  # no check-in ever: nothing stopped
    withdrawn = enrol(programme, "Withdrawn", check_ins=STOPPED)
    Enrolment.objects.filter(pk=withdrawn.pk).update(status="withdrawn")

    result = sweep(TODAY, django_capture_on_commit_callbacks)
    assert [p.describe() for p in result.reminders] == [
        f"Huddles stopped at the board: Ward 22 ({stopped.team.site.code}), {DETAIL} -> Rachel Evans (rachel)"
    ]
    assert huddle_reminders() == [("Ward 22", "rachel", D(2026, 11, 16))]
    (reminder,) = Reminder.objects.all()
    assert (reminder.session.enrolment_id, reminder.session.number) == (stopped.pk, 1)
    (message,) = mailoutbox
    assert message.to == ["rachel@example.nhs.uk"]
    site = stopped.team.site.code
    assert message.subject == f"Ward 22 ({site}): no huddle checked in at the board since Monday 16 November"
    assert f"its huddles have stopped: {DETAIL}." in message.body
    assert f"From the Trust's first test bed: {BOARD_FINDING}" in message.body
    assert "No huddle checked in since: Monday 16 November 2026" in message.body
    assert "Session 1:" not in message.body and "Due:" not in message.body
    assert "You get it once each time the team's huddles stop." in message.body
    assert BOARD_FINDING in message.alternatives[0][0]

    # The next days: the same stop, no second reminder.
    assert sweep(TODAY + dt.timedelta(days=1), django_capture_on_commit_callbacks).reminders == []
    assert sweep(D(2026, 12, 1), django_capture_on_commit_callbacks).reminders == []
    assert len(mailoutbox) == 1
    assert Reminder.objects.get().status == ReminderStatus.SENT


@pytest.mark.django_db
def test_without_the_team_page_the_nudge_links_to_the_site_and_escapes_the_name(
    programme, no_email_links, mailoutbox, django_capture_on_commit_callbacks
):
    enrol(programme, "Ward <22> & Co", check_ins=STOPPED)
    sweep(TODAY, django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert "Open QMS Coach: https://qms.example.nhs.uk/" in message.body
    assert "programmes/teams" not in message.body
    html = message.alternatives[0][0]
    assert "<strong>Ward &lt;22&gt; &amp; Co</strong>" in html
    assert '<a href="https://qms.example.nhs.uk/" style="color:#005eb8;">Open QMS Coach</a>' in html


@pytest.mark.django_db
def test_huddles_that_start_again_and_stop_again_are_a_second_nudge(programme, django_capture_on_commit_callbacks):
    enrolment = enrol(programme, "Ward 22", check_ins=STOPPED)
    sweep(TODAY, django_capture_on_commit_callbacks)
    HuddleCheckIn.objects.create(team=enrolment.team, held_on=D(2026, 11, 30))  # going again
    assert sweep(D(2026, 12, 3), django_capture_on_commit_callbacks).reminders == []
    # No check-in on 7 or 14 December: stopped again, since Monday 7 December.
    (planned,) = sweep(D(2026, 12, 17), django_capture_on_commit_callbacks).reminders
    assert planned.detail() == "no huddle checked in at the board since the week of Monday 7 December 2026"
    assert huddle_reminders() == [("Ward 22", "rachel", D(2026, 11, 16)), ("Ward 22", "rachel", D(2026, 12, 7))]


@pytest.mark.django_db
def test_the_nudge_follows_the_setting_and_goes_to_the_manager_without_a_coach(
    programme, settings, django_capture_on_commit_callbacks
):
    settings.QMS_HUDDLE_STOPPED_WEEKS = 3
    enrol(programme, "No coach", check_ins=STOPPED, coach=None)
    assert sweep(TODAY, django_capture_on_commit_callbacks).reminders == []  # 2 weeks missed of 3
    (planned,) = sweep(D(2026, 12, 1), django_capture_on_commit_callbacks).reminders  # 30 November missed too
    assert planned.describe().endswith(
        "no huddle checked in at the board since the week of Monday 16 November 2026 "
        "-> Helen Morris (helen), no coach assigned"
    )
    assert huddle_reminders() == [("No coach", "helen", D(2026, 11, 16))]


@pytest.mark.django_db
def test_a_team_enrolled_again_is_not_told_of_the_same_stop_again(programme, django_capture_on_commit_callbacks):
    first = enrol(programme, "Ward 22", check_ins=STOPPED)
    assert len(sweep(TODAY, django_capture_on_commit_callbacks).reminders) == 1
    Enrolment.objects.filter(pk=first.pk).update(status="withdrawn")
    again = factories.EnrolmentFactory(
        team=first.team, cohort=factories.CohortFactory(owner=programme.manager), coach=programme.coach
    )
    factories.make_sessions(again)
    later = sweep(TODAY + dt.timedelta(days=1), django_capture_on_commit_callbacks).reminders
    assert [p.kind for p in later if p.kind == ReminderKind.HUDDLES_STOPPED] == []  # its sessions are overdue
    assert huddle_reminders() == [("Ward 22", "rachel", D(2026, 11, 16))]


# --- The daily digest ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_digest_line_names_the_team_and_the_stop_not_a_session(
    programme, email_links, mailoutbox, django_capture_on_commit_callbacks
):
    email_links.ROOT_URLCONF = "qms_site.urls"  # the real pages, the team page included
    ward = enrol(programme, "Ward 22", check_ins=STOPPED)
    theatres = enrol(programme, "Theatres", check_ins=[D(2026, 11, 9)])
    sweep(TODAY, django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    assert message.subject == "2 reminders for Thursday 26 November: 2 huddles stopped"
    assert "Huddles stopped at the board (2)" in message.body
    lines = [line for line in message.body.splitlines() if line.startswith("- ")]
    assert lines == [
        f"- {name} ({e.team.site.code}), Autumn 2025 test bed: {DETAIL}"
        for name, e in (("Ward 22", ward), ("Theatres", theatres))
    ]
    team_url = f"https://qms.example.nhs.uk{reverse('programmes:team', args=[ward.team_id])}"
    assert f"  {team_url}" in message.body.splitlines()
    html = message.alternatives[0][0]
    assert f'<a href="{team_url}" style="color:#005eb8;"><strong>Ward 22</strong>' in html
    assert "session 1" not in message.body and "session 1" not in html


@pytest.mark.django_db
def test_huddle_line_sits_beside_session_lines_in_one_digest(programme, mailoutbox, django_capture_on_commit_callbacks):
    ward = enrol(programme, "Ward 22", check_ins=STOPPED)
    late, sessions = programme.enrol(held_through=9, team_name="Late")  # session 10, due 9 March 2026, overdue
    sweep(TODAY, django_capture_on_commit_callbacks)
    # The coach's digest (the manager gets the escalation of session 10 in theirs).
    (message,) = [m for m in mailoutbox if m.to == ["rachel@example.nhs.uk"]]
    assert message.subject == "2 reminders for Thursday 26 November: 1 overdue, 1 huddles stopped"
    lines = [line for line in message.body.splitlines() if line.startswith("- ")]
    days = sessions[10].days_overdue(TODAY)
    assert lines == [
        f'- Late ({late.team.site.code}), session 10 "{sessions[10].plan.title}", due 9 Mar 2026: {days} days overdue',
        f"- Ward 22 ({ward.team.site.code}), Autumn 2025 test bed: {DETAIL}",
    ]


# --- The weekly digest ---------------------------------------------------------------------------


MONDAY = D(2026, 11, 30)


@pytest.mark.django_db
def test_weekly_digest_counts_the_teams_whose_huddles_stopped(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    ward = enrol(programme, "Ward 22", check_ins=STOPPED)
    enrol(programme, "Theatres", check_ins=[D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16)])
    enrol(programme, "Going", check_ins=GOING)
    enrol(programme, "Virtual", check_ins=STOPPED, board=ImprovementBoard.VIRTUAL)
    content = weekly_digest_content(manager=programme.manager, week=MONDAY, failed={})
    # As of Monday 30 November (its huddle not checked in yet is not counted): Theatres missed one week only.
    assert [(h.enrolment.team.name, h.since) for h in content.huddles_stopped] == [("Ward 22", D(2026, 11, 16))]
    assert content.huddles_stopped_total == 1 and not content.empty
    with django_capture_on_commit_callbacks(execute=True):
        weekly_digests_sweep(today=MONDAY)
    (message,) = mailoutbox
    assert message.to == ["helen@example.nhs.uk"]
    lines = message.body.splitlines()
    start = lines.index(
        "Teams whose huddles have stopped at their board (1): no check-in for 2 weeks of planned huddles"
    )
    assert lines[start + 1 : start + 3] == [
        f"- Ward 22 ({ward.team.site.code}), Autumn 2025 test bed: none since 16 Nov 2026, coach Rachel Evans",
        "",
    ]
    assert "Teams whose huddles have stopped at their board (1)</h2>" in message.alternatives[0][0]


@pytest.mark.django_db
def test_weekly_digest_lists_a_few_stopped_teams_and_counts_them_all(programme, settings):
    settings.QMS_DIGEST_WEEKLY_ROWS = 2
    for n in range(3):
        enrol(programme, f"Ward {n}", check_ins=STOPPED)
    content = weekly_digest_content(manager=programme.manager, week=MONDAY, failed={})
    assert ([h.enrolment.team.name for h in content.huddles_stopped], content.huddles_stopped_total) == (
        ["Ward 0", "Ward 1"],
        3,
    )
    other = factories.ManagerFactory(username="other")
    assert weekly_digest_content(manager=other, week=MONDAY, failed={}).huddles_stopped_total == 0


# --- The managers' Reminders page ----------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_page_shows_the_huddle_nudge(programme, client, django_capture_on_commit_callbacks):
    ward = enrol(programme, "Ward 22", check_ins=STOPPED)
    sweep(TODAY, django_capture_on_commit_callbacks)
    client.force_login(programme.manager)
    response = client.get(reverse("coaching:reminders"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>Huddles stopped at the board</td>" in html
    assert f"Ward 22 ({ward.team.site.code})" in html
    assert 'none checked in since <time datetime="2026-11-16">16 Nov 2026</time>' in html
    assert "Session 1:" not in html


# --- Queries -------------------------------------------------------------------------------------


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_sweep_queries_do_not_grow_with_the_teams(programme, dry_run, django_capture_on_commit_callbacks):
    enrol(programme, "Ward 0", check_ins=STOPPED)
    with django_capture_on_commit_callbacks(execute=False):
        small = _queries(lambda: reminders_sweep(today=TODAY, dry_run=dry_run))
    Reminder.objects.all().delete()
    Digest.objects.all().delete()
    for n in range(1, 6):
        enrol(programme, f"Ward {n}", check_ins=STOPPED, coach=factories.CoachFactory(username=f"coach{n}"))
        enrol(programme, f"Going {n}", check_ins=GOING)
    with django_capture_on_commit_callbacks(execute=False):
        large = _queries(lambda: reminders_sweep(today=TODAY, dry_run=dry_run))
    assert Reminder.objects.count() == (0 if dry_run else 6)
    # Six session rules' SELECTs; the huddle rule: its sessions, team_huddles' three, the reminders
    # already claimed for those stops. The sweep adds the claim and the digests (as in test_reminders).
    assert large == small == (6 + 5 if dry_run else 6 + 5 + 3 + 6 + 1)


@pytest.mark.django_db
def test_huddle_rule_reads_in_batches(programme, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("coaching.selectors.reminders.BATCH_SIZE", 2)
    for n in range(5):
        enrol(programme, f"Ward {n}", check_ins=STOPPED if n != 2 else GOING)
    with django_capture_on_commit_callbacks(execute=False):
        result = reminders_sweep(today=TODAY)
    assert [p.session.enrolment.team.name for p in result.reminders] == ["Ward 0", "Ward 1", "Ward 3", "Ward 4"]
    assert len(huddle_reminders()) == 4


@pytest.mark.django_db
def test_weekly_digest_queries_do_not_grow_with_the_teams(programme):
    enrol(programme, "Ward 0", check_ins=STOPPED)
    small = _queries(lambda: weekly_digest_content(manager=programme.manager, week=MONDAY, failed={}))
    for n in range(1, 6):
        enrol(programme, f"Ward {n}", check_ins=STOPPED)
        enrol(programme, f"Going {n}", check_ins=GOING)
    large = _queries(lambda: weekly_digest_content(manager=programme.manager, week=MONDAY, failed={}))
    assert large == small == 3 + 4  # the three sections of sessions; the teams with a board, their huddles


# --- A real worker on a real Redis -----------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_sweep_queued_twice_sends_the_huddle_nudge_once(programme, real_worker):  # noqa: F811
    mail.outbox = []
    ward = enrol(programme, "Ward 22", check_ins=STOPPED)
    enrol(programme, "Going", check_ins=GOING)

    sweep_reminders.delay(TODAY.isoformat())
    sweep_reminders.delay(TODAY.isoformat())
    # Both sweeps finish; between them they claim the nudge and the coach's digest of the day once.
    real_worker.wait_for(lambda done: done["coaching.sweep_reminders"] == 2 and done["coaching.send_claimed"] >= 1)
    real_worker.wait_for(lambda done: real_worker.queued() == 0)
    (message,) = mail.outbox
    assert message.to == ["rachel@example.nhs.uk"]
    assert f"its huddles have stopped: {DETAIL}." in message.body
    assert huddle_reminders() == [("Ward 22", "rachel", D(2026, 11, 16))]
    assert list(Reminder.objects.values_list("status", flat=True)) == [ReminderStatus.SENT]
    assert list(Digest.objects.values_list("recipient__username", "period", "status")) == [("rachel", TODAY, "sent")]
    assert ward.team.huddle_check_ins.count() == 2
