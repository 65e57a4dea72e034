"""The demo data: the source document's story, the current cohort and --scale."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from checklists.models import Checklist, Tool, ToolRating, UsageLevel
from coaching.models import CoachingAgreement, SlotsState, slots_state
from demo import story
from demo.generate import monday
from demo.loader import seed_demo
from demo.scale import SCALE_PER_UNIT, SCALE_TEAMS_PER_UNIT, scale_cohort_name
from feedback.models import CouldImprove, FeedbackResponse
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    HuddleCheckIn,
    PdsaCycle,
    ProgrammeTemplate,
    Session,
    SessionStatus,
    Team,
)
from programmes.selectors.huddles import team_huddles

TODAY = dt.date(2026, 11, 26)
WEEK_15 = dt.date(2026, 1, 5)  # when the source document was written
DEMO_USERNAMES = ["coach", "coach2", "lead", "manager"]


def _row_counts() -> dict[str, int]:
    models = [
        m
        for label in ("programmes", "coaching", "checklists", "feedback")
        for m in apps.get_app_config(label).get_models()
    ]
    counts = {m._meta.label: m._default_manager.count() for m in models}
    counts["auth.User"] = get_user_model().objects.count()
    return counts


def _test_bed(site_code: str) -> Enrolment:
    return Enrolment.objects.get(cohort__name=story.TEST_BED_COHORT, team__site__code=site_code)


def _sustained_tools(checklist: Checklist) -> list[str]:
    """Tools whose two latest ratings, up to this checklist, are both "Most of the time"."""
    ratings = ToolRating.objects.filter(
        checklist__session__enrolment=checklist.session.enrolment,
        checklist__session__number__lte=checklist.session.number,
    ).order_by("-checklist__session__number")
    sustained = []
    for tool in Tool.objects.order_by("order"):
        latest = [r.level for r in ratings if r.tool_id == tool.pk][:2]
        if len(latest) == 2 and all(level == UsageLevel.MOST_OF_THE_TIME for level in latest):
            sustained.append(tool.name)
    return sustained


@pytest.mark.django_db
def test_seed_demo_twice_same_counts():
    seed_demo(today=TODAY)
    first = _row_counts()
    seed_demo(today=TODAY)
    assert _row_counts() == first
    assert first["programmes.Site"] == 2
    assert first["programmes.Cohort"] == 3
    assert first["programmes.PdsaCycle"] == 2
    assert first["auth.User"] == 4


@pytest.mark.django_db
def test_seed_demo_twice_with_scale_same_counts():
    call_command("seed_demo", "--scale", "1", "--today", "2026-11-26", stdout=StringIO(), stderr=StringIO())
    first = _row_counts()
    call_command("seed_demo", "--scale", "1", "--today", "2026-11-26", stdout=StringIO(), stderr=StringIO())
    assert _row_counts() == first


@pytest.mark.parametrize("today", [WEEK_15, TODAY])
@pytest.mark.django_db
def test_prh_twelve_week_session_slipping_in_week_15_then_overdue(today):
    seed_demo(today=today)
    prh = _test_bed("PRH")
    review = prh.sessions.get(number=7)
    assert prh.session1_date == dt.date(2025, 9, 22)
    assert prh.status == EnrolmentStatus.ACTIVE
    assert review.due_date == dt.date(2025, 12, 8)
    assert review.held_on is None
    assert review.cancelled is False
    assert review.changes.count() == 2
    # Moved to 21 January 2026, 44 days after its due date: in week 15 it is slipping, not overdue;
    # overdue from 29 January, after the 7 days' grace.
    assert review.days_scheduled_late == 44
    assert review.status(WEEK_15) == SessionStatus.SCHEDULED
    assert review.status(dt.date(2026, 1, 28)) == SessionStatus.SCHEDULED
    assert review.status(dt.date(2026, 1, 29)) == SessionStatus.OVERDUE
    assert review.days_overdue(dt.date(2026, 1, 29)) == 1


@pytest.mark.django_db
def test_test_bed_sessions_due_from_plan_rows():
    seed_demo(today=WEEK_15)
    for site_code in ("RSH", "PRH"):
        for session in _test_bed(site_code).sessions.select_related("plan"):
            assert session.number == session.plan.number
            assert session.due_date == dt.date(2025, 9, 22) + dt.timedelta(days=7 * session.plan.week_offset)


@pytest.mark.django_db
def test_spring_cohort_made_only_once_every_session_is_past():
    seed_demo(today=WEEK_15)
    assert not Cohort.objects.filter(name=story.SPRING_COHORT).exists()
    assert not PdsaCycle.objects.filter(title=story.SPRING_PDSA_TITLE).exists()


def _first_coaching_waits(enrolments) -> list[int]:
    """Days from session 1 held to the first coaching session held, in order of session 1."""
    waits = []
    for enrolment in enrolments.order_by("session1_date", "team__name"):
        held = dict(enrolment.sessions.values_list("number", "held_on"))
        waits.append((held[2] - held[1]).days)
    return waits


@pytest.mark.django_db
def test_spring_cohort_coached_sooner_once_times_agreed_at_session_1():
    seed_demo(today=TODAY)
    cohort = Cohort.objects.get(name=story.SPRING_COHORT)
    enrolments = cohort.enrolments.select_related("agreement")
    assert enrolments.count() == len(story.SPRING_TEAMS) == 14
    assert set(enrolments.values_list("team__site__code", flat=True)) == {"RSH", "PRH"}
    assert set(enrolments.values_list("coach__username", flat=True)) == {"coach", "coach2"}
    assert set(enrolments.values_list("status", flat=True)) == {EnrolmentStatus.COMPLETED}
    sessions = Session.objects.filter(enrolment__cohort=cohort)
    assert not sessions.filter(held_on__isnull=True).exists()
    assert not sessions.filter(held_on__gt=story.SPRING_LAST_DAY).exists()
    assert Checklist.objects.filter(session__in=sessions).count() == 14 * 9
    # The PDSA cycle, started and decided between the eighth team's session 1 and the ninth's.
    cycle = PdsaCycle.objects.get(title=story.SPRING_PDSA_TITLE)
    ordered = list(enrolments.order_by("session1_date", "team__name"))
    assert (cycle.cohort, cycle.decision) == (cohort, "adopt")
    assert ordered[7].session1_date < cycle.started_on <= cycle.decided_on <= ordered[8].session1_date
    # Before it, the slots were agreed weeks after session 1; after it, at session 1.
    held_1 = {e.pk: e.sessions.get(number=1).held_on for e in ordered}
    before, after = ordered[:8], ordered[8:]
    assert all(e.agreement.agreed_on > held_1[e.pk] for e in before)
    assert all(
        slots_state(agreement=e.agreement, session_1_held_on=held_1[e.pk]) == SlotsState.AGREED_AT_SESSION_1
        for e in after
    )
    waits = _first_coaching_waits(enrolments)
    assert all(18 <= wait <= 35 for wait in waits[:8]), waits
    assert all(6 <= wait <= 10 for wait in waits[8:]), waits


@pytest.mark.django_db
def test_test_bed_without_coaching_agreement():
    seed_demo(today=WEEK_15)
    assert CoachingAgreement.objects.filter(enrolment__cohort__name=story.TEST_BED_COHORT).count() == 0


@pytest.mark.django_db
def test_rsh_twelve_week_checklist_few_tools_sustained():
    seed_demo(today=WEEK_15)
    rsh = _test_bed("RSH")
    review = rsh.sessions.get(number=7)
    assert rsh.status == EnrolmentStatus.COMPLETED
    assert review.held_on == dt.date(2025, 12, 11)
    assert review.checklist.ratings.count() == 9
    assert _sustained_tools(review.checklist) == ["Ideas generated", "Metrics discussed"]
    levels = {r.tool.name: r.level for r in review.checklist.ratings.select_related("tool")}
    assert levels["Improvement board"] == UsageLevel.NOT_AT_ALL
    assert levels["Improvement huddle"] == UsageLevel.NOT_AT_ALL
    assert "huddle didn't happen" in review.checklist.culture_note


@pytest.mark.django_db
def test_rsh_sustain_checks_cancelled_with_reason():
    seed_demo(today=WEEK_15)
    sustain = _test_bed("RSH").sessions.filter(number__gte=8)
    assert [s.status(WEEK_15) for s in sustain] == [SessionStatus.CANCELLED] * 3
    assert all(s.cancelled_reason for s in sustain)


@pytest.mark.django_db
def test_test_bed_feedback_all_yes():
    seed_demo(today=WEEK_15)
    answers = list(
        FeedbackResponse.objects.filter(link__session__enrolment__cohort__name=story.TEST_BED_COHORT).values_list(
            "could_improve", "rating", "submitted_on", "link__session__held_on"
        )
    )
    assert len(answers) >= 15
    assert {could_improve for could_improve, _, _, _ in answers} == {CouldImprove.YES}
    assert {rating for _, rating, _, _ in answers} <= {4, 5}
    assert all(submitted_on == held_on for _, _, submitted_on, held_on in answers)


@pytest.mark.django_db
def test_version_1_content_changes_trace_feedback():
    seed_demo(today=TODAY)
    v1 = ProgrammeTemplate.objects.get(name="QMS programme", version="1.0")
    v09 = ProgrammeTemplate.objects.get(name="QMS programme", version="0.9")
    assert v1.published_on == dt.date(2026, 4, 1)
    assert list(v1.plans.values_list("number", "kind", "week_offset")) == list(
        v09.plans.values_list("number", "kind", "week_offset")
    )
    assert set(v1.content_changes.values_list("kind", flat=True)) == {"spelling", "rewrite", "new"}
    spelling = v1.content_changes.get(kind="spelling")
    assert spelling.responses.count() == 3
    cycle = PdsaCycle.objects.get(title=story.PDSA_TITLE)
    assert (cycle.decision, cycle.cohort.name, cycle.template) == ("adapt", story.TEST_BED_COHORT, v09)


@pytest.mark.django_db
def test_demo_users_usable_passwords_when_debug(settings):
    settings.DEBUG = True
    summary = seed_demo(today=TODAY)
    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES).order_by("username")
    assert [u.username for u in users] == DEMO_USERNAMES
    assert all(u.check_password("demo") for u in users)
    assert summary.demo_logins is True
    manager = users.get(username="manager")
    assert manager.is_staff is True
    assert list(manager.groups.values_list("name", flat=True)) == ["Improvement managers"]


@pytest.mark.django_db
def test_demo_users_unusable_passwords_without_debug(settings):
    settings.DEBUG = False
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--today", "2026-11-26", stdout=out, stderr=err)
    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES)
    assert users.count() == 4
    assert not any(u.has_usable_password() for u in users)
    assert "demo logins are disabled" in err.getvalue()
    assert "Demo logins are disabled" in out.getvalue()
    # Enrolments still have their coach.
    assert Enrolment.objects.filter(coach__isnull=True).count() == 0


@pytest.mark.django_db
def test_demo_users_password_switched_off_when_rerun_without_debug(settings):
    settings.DEBUG = True
    seed_demo(today=TODAY)
    settings.DEBUG = False
    seed_demo(today=TODAY)
    assert not any(u.has_usable_password() for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES))


def _progress(enrolment: Enrolment, today: dt.date) -> str:
    statuses = [s.status(today) for s in enrolment.sessions.all()]
    if enrolment.session1_date > today:
        return "not started"
    if SessionStatus.OVERDUE in statuses:
        return "overdue"
    return "on track"


# A Monday to a Sunday: the mix holds whatever weekday today is.
@pytest.mark.parametrize("today", [dt.date(2026, 11, 23) + dt.timedelta(days=n) for n in range(7)])
@pytest.mark.django_db
def test_current_cohort_has_on_track_overdue_and_not_started(today):
    seed_demo(today=today)
    cohort = Cohort.objects.get(name=story.CURRENT_COHORT)
    assert cohort.template.version == "1.0"
    assert (today - cohort.start_date).days in range(56, 63)
    progress = {e.team.name: _progress(e, today) for e in cohort.enrolments.select_related("team")}
    assert sorted(progress.values()) == ["not started"] * 2 + ["on track"] * 2 + ["overdue"] * 2
    for enrolment in cohort.enrolments.all():
        if progress[enrolment.team.name] == "not started":
            assert enrolment.status == EnrolmentStatus.PLANNED
        else:
            assert enrolment.status == EnrolmentStatus.ACTIVE
    assert set(cohort.enrolments.values_list("coach__username", flat=True)) == {"coach", "coach2"}
    assert set(cohort.enrolments.values_list("team__site__code", flat=True)) == {"RSH", "PRH"}


@pytest.mark.parametrize("today", [dt.date(2026, 11, 23) + dt.timedelta(days=n) for n in range(7)])
@pytest.mark.django_db
def test_current_cohort_huddles_kept_stopped_and_virtual(today):
    """Whatever the weekday: Ward 22 keeps its huddle, the pharmacy's stopped two weeks before this
    week, the theatres team's board is virtual, and the maternity unit has not printed its sheet."""
    seed_demo(today=today)
    teams = {t.name: t.pk for t in Team.objects.filter(enrolments__cohort__name=story.CURRENT_COHORT)}
    huddles = {name: h for name, pk in teams.items() for h in [team_huddles(team_ids=[pk], today=today)[pk]]}
    ward, pharmacy = huddles[story.WARD_22.name], huddles["Pharmacy dispensary team"]
    assert ward.stopped_since is None and ward.recent.weeks_held == ward.recent.weeks_planned >= 5
    assert pharmacy.stopped_since == monday(today) - dt.timedelta(weeks=2)
    assert len(pharmacy.patterns) == 2  # Mondays and Thursdays
    assert pharmacy.rhythm.weeks_held >= 4
    assert not huddles["Theatres admin team"].physical
    assert huddles["Maternity day unit"].sheet_since is None
    assert HuddleCheckIn.objects.filter(team_id=teams["Theatres admin team"]).count() == 0
    before = HuddleCheckIn.objects.count()
    seed_demo(today=today)  # again: nothing added
    assert HuddleCheckIn.objects.count() == before


@pytest.mark.parametrize("today", [dt.date(2026, 11, 23), TODAY])
@pytest.mark.django_db
def test_current_cohort_on_track_agreed_at_session_1(today):
    seed_demo(today=today)
    on_track = [
        e
        for e in Enrolment.objects.filter(cohort__name=story.CURRENT_COHORT).select_related("agreement__meeting")
        if _progress(e, today) == "on track"
    ]
    assert len(on_track) == 2
    for enrolment in on_track:
        agreement = enrolment.agreement
        session_1 = enrolment.sessions.get(number=1)
        # "Agreed at session 1" is derived: the agreement's date on or before session 1's held date.
        assert slots_state(agreement=agreement, session_1_held_on=session_1.held_on) == SlotsState.AGREED_AT_SESSION_1
        assert agreement.agreed_on == session_1.held_on
        typed_in = {"Ward 22 nursing team": 0, "Pharmacy dispensary team": 3}[enrolment.team.name]
        assert agreement.recorded_on == session_1.held_on + dt.timedelta(days=typed_in)
        meeting = agreement.meeting
        for session in enrolment.sessions.filter(number__gt=1):
            local = session.agreed_start.astimezone(story.LONDON)
            assert (local.weekday(), local.time()) == (meeting.weekday, meeting.start_time)
            assert session.status(today) in {SessionStatus.HELD, SessionStatus.SCHEDULED}
        held_checklists = Checklist.objects.filter(session__enrolment=enrolment).count()
        assert held_checklists == enrolment.sessions.filter(held_on__isnull=False, plan__checklist_due=True).count()
        assert held_checklists >= 3


@pytest.mark.django_db
def test_current_cohort_stable_when_today_moves():
    seed_demo(today=TODAY)
    counts = _row_counts()
    seed_demo(today=TODAY + dt.timedelta(days=10))
    later = _row_counts()
    # The reminder log (and its daily digests) and the huddle check-ins alone grow: the sweep runs for
    # the ten new days too, as the daily sweep would, and the teams go on huddling.
    assert later.pop("coaching.Reminder") >= counts.pop("coaching.Reminder")
    assert later.pop("programmes.HuddleCheckIn") >= counts.pop("programmes.HuddleCheckIn")
    assert later.pop("coaching.Digest", 0) >= counts.pop("coaching.Digest", 0)
    assert later == counts


@pytest.mark.django_db
def test_seed_demo_scale_1_adds_one_unit_with_progress_bar():
    call_command("seed_demo", "--today", "2026-11-26", stdout=StringIO(), stderr=StringIO())
    teams = Team.objects.count()
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--scale", "1", "--today", "2026-11-26", stdout=out, stderr=err)
    assert Team.objects.count() - teams == SCALE_TEAMS_PER_UNIT == 12
    scale = Enrolment.objects.filter(cohort__name=scale_cohort_name(0))
    per_unit = SCALE_PER_UNIT
    assert scale.count() == per_unit["enrolments"]
    assert Session.objects.filter(enrolment__in=scale).count() == per_unit["sessions"]
    assert Session.objects.filter(enrolment__in=scale, held_on__isnull=False).count() == per_unit["held sessions"]
    assert Checklist.objects.filter(session__enrolment__in=scale).count() == per_unit["checklists"]
    assert ToolRating.objects.filter(checklist__session__enrolment__in=scale).count() == per_unit["ratings"]
    responses = FeedbackResponse.objects.filter(link__session__enrolment__in=scale)
    assert responses.count() == per_unit["feedback responses"]
    assert "Scale teams" in err.getvalue()
    assert "12/12" in err.getvalue()
    assert out.getvalue().startswith("Demo data ready: 2 sites, 34 teams, 4 cohorts")


# --- The reminder log ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # committed as `manage.py seed_demo` commits: the sweep's sends run
def test_seed_demo_fills_the_reminder_log_from_the_sweep_without_printing_emails(settings, capsys, mailoutbox):
    """The real sweep, run for each day of the current cohort: the reminders page has entries, and the
    console backend prints none of them. (Run twice it adds nothing: test_seed_demo_twice_same_counts
    counts the Reminder rows too.)"""
    from coaching.models import Reminder, ReminderKind, ReminderStatus
    from coaching.services import reminders_sweep

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    seed_demo(today=TODAY)
    assert capsys.readouterr().out == ""
    reminders = list(Reminder.objects.all())
    assert reminders
    assert {r.status for r in reminders} == {ReminderStatus.SENT}
    assert ReminderKind.OVERDUE in {r.kind for r in reminders}
    # The pharmacy's huddles stopped two weeks before this week: its coach was told once, in a digest.
    stop = monday(TODAY) - dt.timedelta(weeks=2)
    huddles = [
        (r.session.enrolment.team.name, r.recipient.username, r.due_date)
        for r in reminders
        if r.kind == ReminderKind.HUDDLES_STOPPED
    ]
    assert huddles == [("Pharmacy dispensary team", "coach2", stop)]
    line = f"no huddle checked in at the board since the week of Monday {stop.day} November 2026"
    (told,) = [m for m in mailoutbox if line in m.body]
    assert told.to == [get_user_model().objects.get(username="coach2").email]
    assert "Pharmacy dispensary team" in told.body
    # Nothing left for today's real sweep to send: the log is the sweep's own.
    assert reminders_sweep(today=TODAY, dry_run=True).reminders == []
