"""Plain factory_boy factories, one per model."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from checklists.models import Checklist, Tool, ToolRating, UsageLevel
from coaching.models import CalendarFeed, CoachingAgreement, Reminder, ReminderKind
from core.roles import Role
from feedback.models import ChangeKind, ContentChange, CouldImprove, FeedbackLink, FeedbackResponse
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    PdsaCycle,
    ProgrammeTemplate,
    Session,
    SessionChange,
    SessionKind,
    SessionPlan,
    Site,
    Team,
    TeamMeeting,
    TemplateStatus,
)
from programmes.services import sessions_for_enrolment_create

DEFAULT_PASSWORD = "test-password-1"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nhs.uk")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    role = factory.PostGeneration(lambda u, create, extracted, **kw: _assign_role(u, create, extracted))


def _assign_role(user: User, create: bool, role: Role | None) -> None:
    """role=Role.COACH puts the user in that group; managers are also staff, for the admin."""
    if not create:
        return
    if role:
        user.groups.add(Group.objects.get(name=Role(role).value))
        user.is_staff = role == Role.MANAGER
    user.save()


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    role = factory.PostGeneration(lambda u, create, extracted, **kw: _assign_role(u, create, extracted or Role.MANAGER))


class CoachFactory(UserFactory):
    username = factory.Sequence(lambda n: f"coach{n}")
    role = factory.PostGeneration(lambda u, create, extracted, **kw: _assign_role(u, create, extracted or Role.COACH))


class LeadFactory(UserFactory):
    username = factory.Sequence(lambda n: f"lead{n}")
    role = factory.PostGeneration(lambda u, create, extracted, **kw: _assign_role(u, create, extracted or Role.LEAD))


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:02d}")
    name = factory.LazyAttribute(lambda s: f"Hospital {s.code}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    site = factory.SubFactory(SiteFactory)
    department = "Education"


class TeamMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMeeting

    team = factory.SubFactory(TeamFactory)
    name = "Weekly team huddle"
    weekday = 1  # Tuesday
    start_time = dt.time(9, 0)
    duration_minutes = 30
    every_weeks = 1
    first_date = dt.date(2025, 9, 23)
    location = "Seminar room 2"


class ProgrammeTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeTemplate

    name = "Test programme"
    version = factory.Sequence(lambda n: f"0.{n}")
    status = TemplateStatus.PUBLISHED
    published_on = dt.date(2025, 9, 1)


class SessionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionPlan

    template = factory.SubFactory(ProgrammeTemplateFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda p: f"Session {p.number}")
    kind = SessionKind.COACHING
    week_offset = factory.LazyAttribute(lambda p: 2 * (p.number - 1))
    checklist_due = True


def default_template() -> ProgrammeTemplate:
    """The template the data migration creates: QMS programme v0.9 with ten sessions."""
    return ProgrammeTemplate.objects.get(name="QMS programme", version="0.9")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"Cohort {n}")
    template = factory.LazyFunction(default_template)
    owner = factory.SubFactory(ManagerFactory)
    start_date = dt.date(2025, 9, 1)
    target_end_date = dt.date(2026, 3, 31)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    team = factory.SubFactory(TeamFactory)
    cohort = factory.SubFactory(CohortFactory)
    coach = factory.SubFactory(CoachFactory)
    session1_date = dt.date(2025, 9, 22)
    status = EnrolmentStatus.ACTIVE


def make_sessions(enrolment: Enrolment) -> list[Session]:
    """The enrolment's sessions from its cohort's template, as enrolling a team makes them."""
    return sessions_for_enrolment_create(enrolment=enrolment)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    enrolment = factory.SubFactory(EnrolmentFactory)
    plan = factory.LazyAttribute(lambda s: s.enrolment.cohort.template.plans.order_by("number").first())
    number = factory.LazyAttribute(lambda s: s.plan.number)
    due_date = factory.LazyAttribute(lambda s: s.enrolment.session1_date + dt.timedelta(weeks=s.plan.week_offset))


class SessionChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionChange

    session = factory.SubFactory(SessionFactory)
    from_start = None
    to_start = factory.LazyFunction(timezone.now)
    reason = "Clashed with a ward round"
    changed_by = factory.SubFactory(CoachFactory)


class PdsaCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PdsaCycle

    title = factory.Sequence(lambda n: f"PDSA cycle {n}")
    plan = "Test a change."
    started_on = dt.date(2025, 9, 1)


class CoachingAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachingAgreement

    enrolment = factory.SubFactory(EnrolmentFactory)
    meeting = factory.SubFactory(TeamMeetingFactory, team=factory.SelfAttribute("..enrolment.team"))
    agreed_by = factory.LazyAttribute(lambda a: a.enrolment.coach)

    class Params:
        at_session_1 = True  # agreed on the day of session 1, or else a week after it

    @factory.lazy_attribute
    def agreed_at(self):
        """15:00 London on the day session 1 was held (or is due), plus a week unless at_session_1."""
        session_1 = self.enrolment.sessions.filter(number=1).first()
        day = session_1.held_on if session_1 is not None and session_1.held_on else self.enrolment.session1_date
        agreed = dt.datetime.combine(day, dt.time(15, 0), tzinfo=zoneinfo.ZoneInfo("Europe/London"))
        return agreed if self.at_session_1 else agreed + dt.timedelta(days=7)


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    session = factory.SubFactory(SessionFactory)
    recipient = factory.LazyAttribute(lambda r: r.session.enrolment.coach)
    kind = ReminderKind.OVERDUE
    due_date = factory.LazyAttribute(lambda r: r.session.due_date)


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    coach = factory.SubFactory(CoachFactory)
    team = None


class ToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tool

    name = factory.Sequence(lambda n: f"Tool {n}")
    order = factory.Sequence(lambda n: 100 + n)


class ChecklistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Checklist

    session = factory.SubFactory(SessionFactory, held_on=dt.date(2025, 10, 1))
    coach = factory.LazyAttribute(lambda c: c.session.enrolment.coach)
    completed_at = factory.LazyFunction(timezone.now)


class ToolRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolRating

    checklist = factory.SubFactory(ChecklistFactory)
    tool = factory.SubFactory(ToolFactory)
    discussed = True
    level = UsageLevel.SOMETIMES


class FeedbackLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackLink

    session = factory.SubFactory(SessionFactory, held_on=dt.date(2025, 9, 22))


class FeedbackResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackResponse

    link = factory.SubFactory(FeedbackLinkFactory)
    could_improve = CouldImprove.YES
    rating = 5
    submitted_on = dt.date(2025, 9, 22)


class ContentChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentChange

    template = factory.LazyFunction(default_template)
    section = "Session 1 slides"
    kind = ChangeKind.SPELLING_GRAMMAR
    description = "Corrected spelling."
    made_on = dt.date(2025, 10, 1)
