"""Every database rule of the programmes app, and the derived session status."""

import datetime as dt

import pytest

from core.dates import LONDON
from programmes.models import (
    Session,
    SessionStatus,
    TemplateStatus,
    session_status,
)
from tests import factories
from tests.helpers import assert_violates

pytestmark = pytest.mark.django_db


def test_team_name_unique_per_site():
    team = factories.TeamFactory(name="Ward 22")
    factories.TeamFactory(name="Ward 22")  # same name, another site: allowed
    assert_violates(lambda: factories.TeamFactory(name="Ward 22", site=team.site))


@pytest.mark.parametrize(
    ("field", "value"),
    [("weekday", 7), ("every_weeks", 3), ("duration_minutes", 0), ("duration_minutes", 24 * 60 + 1)],
)
def test_team_meeting_rejects_out_of_range(field, value):
    assert_violates(lambda: factories.TeamMeetingFactory(**{field: value}))


def test_template_version_unique_per_name():
    factories.ProgrammeTemplateFactory(name="QMS", version="1.0")
    assert_violates(lambda: factories.ProgrammeTemplateFactory(name="QMS", version="1.0"))


def test_published_template_needs_a_published_date():
    assert_violates(lambda: factories.ProgrammeTemplateFactory(status=TemplateStatus.PUBLISHED, published_on=None))
    draft = factories.ProgrammeTemplateFactory(status=TemplateStatus.DRAFT, published_on=None)
    assert draft.is_published is False


def test_session_plan_number_unique_per_template_and_positive():
    plan = factories.SessionPlanFactory(number=1)
    assert_violates(lambda: factories.SessionPlanFactory(template=plan.template, number=1))
    assert_violates(lambda: factories.SessionPlanFactory(number=0))


def test_cohort_name_unique_and_end_after_start():
    factories.CohortFactory(name="Spring")
    assert_violates(lambda: factories.CohortFactory(name="Spring"))
    assert_violates(
        lambda: factories.CohortFactory(start_date=dt.date(2026, 1, 10), target_end_date=dt.date(2026, 1, 9))
    )


def test_one_enrolment_per_team_per_cohort():
    enrolment = factories.EnrolmentFactory()
    assert_violates(lambda: factories.EnrolmentFactory(team=enrolment.team, cohort=enrolment.cohort))


def test_session_numbers_unique_per_enrolment():
    enrolment = factories.EnrolmentFactory()
    sessions = factories.make_sessions(enrolment)
    first = sessions[0]
    assert_violates(
        lambda: Session.objects.create(enrolment=enrolment, plan=sessions[1].plan, number=1, due_date=first.due_date)
    )
    assert_violates(
        lambda: Session.objects.create(enrolment=enrolment, plan=first.plan, number=99, due_date=first.due_date)
    )


def test_session_cannot_be_held_and_cancelled():
    assert_violates(lambda: factories.SessionFactory(held_on=dt.date(2025, 9, 22), cancelled=True))


def test_default_template_has_the_designed_sessions():
    template = factories.default_template()
    rows = list(template.plans.values_list("number", "kind", "week_offset", "checklist_due"))
    assert rows == [
        (1, "taught", 0, False),
        (2, "coaching", 1, True),
        (3, "coaching", 3, True),
        (4, "coaching", 5, True),
        (5, "coaching", 7, True),
        (6, "coaching", 9, True),
        (7, "review", 11, True),
        (8, "sustain", 15, True),
        (9, "sustain", 19, True),
        (10, "sustain", 24, True),
    ]
    assert template.status == TemplateStatus.PUBLISHED
    assert [p.week for p in template.plans.all()] == [1, 2, 4, 6, 8, 10, 12, 16, 20, 25]


# --- Derived status ---------------------------------------------------------------------------

DUE = dt.date(2025, 12, 8)  # PRH's 12-week review


def status(today, *, held_on=None, cancelled=False, agreed_start=None):
    return session_status(due_date=DUE, held_on=held_on, cancelled=cancelled, agreed_start=agreed_start, today=today)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (DUE - dt.timedelta(days=1), SessionStatus.PLANNED),
        (DUE, SessionStatus.PLANNED),  # due today
        (DUE + dt.timedelta(days=1), SessionStatus.PLANNED),  # due yesterday, within grace
        (DUE + dt.timedelta(days=7), SessionStatus.PLANNED),  # last day of grace
        (DUE + dt.timedelta(days=8), SessionStatus.OVERDUE),  # past grace
        (dt.date(2026, 1, 5), SessionStatus.OVERDUE),  # week 15 of PRH's programme
    ],
)
def test_session_status_around_due_date_and_grace(today, expected):
    assert status(today) == expected


def test_session_status_scheduled_when_agreed_and_not_overdue():
    agreed = dt.datetime(2025, 12, 9, 10, 0, tzinfo=LONDON)
    assert status(DUE, agreed_start=agreed) == SessionStatus.SCHEDULED
    # Agreed the day after its due date: the grace counts from the agreed day.
    assert status(DUE + dt.timedelta(days=8), agreed_start=agreed) == SessionStatus.SCHEDULED
    assert status(DUE + dt.timedelta(days=9), agreed_start=agreed) == SessionStatus.OVERDUE


def test_session_status_held_late_is_held():
    assert status(DUE + dt.timedelta(days=60), held_on=DUE + dt.timedelta(days=50)) == SessionStatus.HELD


def test_session_status_cancelled_wins():
    assert status(DUE + dt.timedelta(days=60), cancelled=True) == SessionStatus.CANCELLED


def test_session_status_grace_is_a_setting(settings):
    settings.QMS_SESSION_GRACE_DAYS = 0
    assert status(DUE + dt.timedelta(days=1)) == SessionStatus.OVERDUE
    assert status(DUE) == SessionStatus.PLANNED


def test_overdue_queryset_agrees_with_status():
    enrolment = factories.EnrolmentFactory(session1_date=dt.date(2025, 9, 22))
    sessions = factories.make_sessions(enrolment)
    Session.objects.filter(pk=sessions[0].pk).update(held_on=dt.date(2025, 9, 22))
    Session.objects.filter(pk=sessions[1].pk).update(cancelled=True, cancelled_reason="Ward closure")
    today = dt.date(2026, 1, 5)
    by_status = {s.pk for s in Session.objects.all() if s.status(today) == SessionStatus.OVERDUE}
    assert set(Session.objects.overdue(today).values_list("pk", flat=True)) == by_status
    # Sessions 3 to 7 (due up to 8 December) are overdue on 5 January; 8 (12 January) is not yet.
    assert sorted(Session.objects.overdue(today).values_list("number", flat=True)) == [3, 4, 5, 6, 7]


def test_days_overdue_counts_from_the_last_on_time_day():
    session = factories.SessionFactory(due_date=DUE)
    assert session.days_overdue(DUE + dt.timedelta(days=8)) == 1  # the first overdue day
    assert session.days_overdue(dt.date(2026, 1, 5)) == 21  # 28 days after the due date, 7 of them grace
    assert session.days_overdue(DUE + dt.timedelta(days=3)) == 0


def test_str_of_every_programmes_model_is_readable():
    enrolment = factories.EnrolmentFactory(team__name="Ward 9", cohort__name="Spring 2026")
    assert str(enrolment) == f"Ward 9 ({enrolment.team.site.code}) in Spring 2026"
    meeting = factories.TeamMeetingFactory(name="Huddle", weekday=1, every_weeks=2)
    assert str(meeting) == "Huddle: Tuesday 09:00, every 2 weeks"
    assert str(factories.PdsaCycleFactory(title="Test bed")) == "Test bed"
    assert str(factories.SessionFactory(due_date=DUE)) == "Session 1 due 08 Dec 2025"
