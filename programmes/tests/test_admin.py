"""The admin: who gets in, every page opens, lists do not query per row, published versions stay fixed.

Test data is built here with the ORM rather than with the shared factories, so that this file
stands on its own.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects
from simple_history.models import HistoricalChanges

from checklists.models import Checklist, EnrolmentStanding, Tool, ToolRating, UsageLevel
from coaching.models import (
    CalendarFeed,
    CoachingAgreement,
    Digest,
    DigestKind,
    Invitation,
    InvitationMethod,
    InvitationPreference,
    Reminder,
    ReminderKind,
)
from feedback.models import (
    ChangeKind,
    ContentChange,
    CouldImprove,
    EnrolmentFeedback,
    FeedbackLink,
    FeedbackResponse,
    FormTokenUse,
)
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentProgress,
    EnrolmentStatus,
    HuddleBoard,
    HuddleCheckIn,
    PdsaCycle,
    ProgrammeTemplate,
    Session,
    SessionChange,
    SessionPlan,
    Site,
    Team,
    TeamMeeting,
)

DOMAIN_APPS = ["programmes", "coaching", "checklists", "feedback"]
# Logs and anonymous answers: written by the app, never typed into the admin.
NO_ADD = {SessionChange, Reminder, FeedbackResponse, HuddleCheckIn}
NO_ADD |= {Digest, Invitation}  # logs too: the claim of one email per person per period, or per change
# Bookkeeping with nothing to read or change: the public feedback form's used one-time tokens (hashes).
# The last three: derived, kept by the writes.
NOT_IN_ADMIN = {FormTokenUse, EnrolmentStanding, EnrolmentFeedback, EnrolmentProgress}


def make_user(username: str, *groups: str, **extra) -> User:
    user = User.objects.create_user(username=username, password="correct horse", **extra)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def manager(db) -> User:
    return make_user("manager", "Improvement managers", is_staff=True)


@pytest.fixture
def coach(db) -> User:
    return make_user("coach", "Coaches", is_staff=True)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def draft(db) -> ProgrammeTemplate:
    """A draft version 1.0 with one session in its plan."""
    template = ProgrammeTemplate.objects.create(name="QMS programme", version="1.0")
    SessionPlan.objects.create(template=template, number=1, title="Session 1", kind="taught", week_offset=0)
    return template


def default_template() -> ProgrammeTemplate:
    return ProgrammeTemplate.objects.get(name="QMS programme", version="0.9")


def build_programme(n: int, *, manager: User, coach: User) -> Enrolment:
    """One of everything the admin lists, numbered n so that several sets can live side by side."""
    today = dt.date(2025, 9, 22)
    site = Site.objects.create(code=f"S{n}", name=f"Site {n}")
    team = Team.objects.create(name=f"Education support {n}", site=site)
    meeting = TeamMeeting.objects.create(
        team=team, name="Weekly huddle", weekday=0, start_time=dt.time(9, 30), first_date=today
    )
    template = default_template()
    cohort = Cohort.objects.create(
        name=f"Cohort {n}",
        template=template,
        owner=manager,
        start_date=today,
        target_end_date=today + dt.timedelta(weeks=12),
    )
    enrolment = Enrolment.objects.create(
        team=team, cohort=cohort, coach=coach, session1_date=today, status=EnrolmentStatus.ACTIVE
    )
    sessions = Session.objects.bulk_create(
        Session(
            enrolment=enrolment,
            plan=plan,
            number=plan.number,
            due_date=today + dt.timedelta(weeks=plan.week_offset),
        )
        for plan in template.plans.order_by("number")
    )
    first = sessions[0]
    first.held_on = today
    first.attendees = 6
    first.save()
    when = dt.datetime(2025, 9, 29, 9, 30, tzinfo=ZoneInfo("Europe/London"))
    SessionChange.objects.create(
        session=sessions[1], from_start=None, to_start=when, reason="Agreed at session 1", changed_by=coach
    )
    CoachingAgreement.objects.create(enrolment=enrolment, meeting=meeting, agreed_at=when, agreed_by=coach)
    Reminder.objects.create(session=sessions[2], recipient=coach, kind=ReminderKind.OVERDUE, due_date=today)
    Digest.objects.create(recipient=coach, kind=DigestKind.DAILY, period=today)
    Invitation.objects.create(
        session=sessions[1], recipient=coach, email="coach@example.nhs.uk", sequence=2, method=InvitationMethod.REQUEST
    )
    InvitationPreference.objects.create(user=coach, send_invitations=False)
    CalendarFeed.objects.create(team=team)
    checklist = Checklist.objects.create(session=first, coach=coach, completed_at=when)
    for tool in Tool.objects.all():
        ToolRating.objects.create(checklist=checklist, tool=tool, level=UsageLevel.SOMETIMES)
    link = FeedbackLink.objects.create(session=first)
    response = FeedbackResponse.objects.create(
        link=link, could_improve=CouldImprove.YES, rating=5, what_worked="The examples", submitted_on=today
    )
    change = ContentChange.objects.create(
        template=template, section="Huddles", kind=ChangeKind.NEW_CONTENT, description="More examples", made_on=today
    )
    change.responses.add(response)
    HuddleBoard.objects.create(team=team)
    HuddleCheckIn.objects.create(team=team, held_on=today, people=5, note="Ideas board")
    PdsaCycle.objects.create(title=f"Agree coaching times at session 1 ({n})", started_on=today, cohort=cohort)
    return enrolment


def domain_model_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in DOMAIN_APPS
    ]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def resubmitted(client, url: str, **changes) -> dict:
    """The admin change form's data as the page shows it (inlines included), with `changes` (name -> value)."""
    page = client.get(url)
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif isinstance(value, list):
                data[form.add_prefix(name)] = [getattr(item, "pk", item) for item in value]
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data | changes


def test_admin_registry_has_every_domain_model():
    wanted = {
        model
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
        if not issubclass(model, HistoricalChanges)  # reached through each model's History button
        and model not in NOT_IN_ADMIN
    }
    assert {model for model, _ in domain_model_admins()} == wanted


@pytest.mark.django_db
def test_admin_index_anonymous_redirects_to_admin_login(client):
    response = client.get("/admin/")
    assertRedirects(response, "/admin/login/?next=/admin/")


@pytest.mark.django_db
@pytest.mark.parametrize("group", ["Coaches", "Education leads"])
def test_admin_index_staff_without_manager_role_redirects_to_admin_login(client, group):
    client.force_login(make_user("staff", group, is_staff=True))
    response = client.get("/admin/")
    assertRedirects(response, "/admin/login/?next=/admin/")
    changelist = admin_url(Enrolment, "changelist")
    assertRedirects(client.get(changelist), f"/admin/login/?next={changelist}")


@pytest.mark.django_db
def test_admin_index_manager_who_is_not_staff_redirects_to_admin_login(client):
    client.force_login(make_user("manager", "Improvement managers"))
    assertRedirects(client.get("/admin/"), "/admin/login/?next=/admin/")


@pytest.mark.django_db
def test_admin_index_manager_allowed(manager_client):
    response = manager_client.get("/admin/")
    assertContains(response, "QMS Coach administration")
    assertContains(response, "Programme templates")


@pytest.mark.django_db
def test_admin_index_superuser_allowed(client):
    client.force_login(User.objects.create_superuser("root", password="correct horse"))
    response = client.get("/admin/")
    assertContains(response, "QMS Coach administration")
    assert client.get(admin_url(Enrolment, "changelist")).status_code == 200


@pytest.mark.django_db
def test_admin_pages_manager_can_open_every_list_add_and_change_page(manager_client, manager, coach):
    build_programme(1, manager=manager, coach=coach)
    for model, _ in domain_model_admins():
        assert manager_client.get(admin_url(model, "changelist")).status_code == 200, model
        expected_add = 403 if model in NO_ADD else 200
        assert manager_client.get(admin_url(model, "add")).status_code == expected_add, model
        obj = model.objects.first()
        assert manager_client.get(admin_url(model, "change", obj.pk)).status_code == 200, model


@pytest.mark.django_db
def test_admin_changelists_query_count_same_for_one_and_three_programmes(manager_client, manager, coach):
    build_programme(1, manager=manager, coach=coach)
    small = {}
    for model, _ in domain_model_admins():
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(admin_url(model, "changelist")).status_code == 200
        small[model] = len(queries)
    build_programme(2, manager=manager, coach=make_user("coach2", "Coaches"))
    build_programme(3, manager=manager, coach=make_user("coach3", "Coaches"))
    for model, _ in domain_model_admins():
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(admin_url(model, "changelist")).status_code == 200
        assert len(queries) == small[model], model


@pytest.mark.django_db
def test_session_changelist_lists_the_latest_due_first(manager_client, manager, coach):
    build_programme(1, manager=manager, coach=coach)
    build_programme(2, manager=manager, coach=make_user("coach2", "Coaches"))
    shown = list(manager_client.get(admin_url(Session, "changelist")).context["cl"].result_list)
    expected = list(Session.objects.order_by("-due_date", "-pk")[: len(shown)])
    assert shown == expected and len({s.enrolment_id for s in shown}) == 2


@pytest.mark.django_db
def test_programme_template_published_change_page_is_read_only(manager_client):
    template = default_template()
    response = manager_client.get(admin_url(ProgrammeTemplate, "change", template.pk))
    assertContains(response, "View programme template")
    assertNotContains(response, 'name="_save"')
    assertNotContains(response, 'name="plans-0-title"')
    assertContains(response, "Coaching: driver diagram and aims")


@pytest.mark.django_db
def test_programme_template_published_post_changes_nothing(manager_client):
    template = default_template()
    data = {
        "name": "QMS programme",
        "version": "0.9",
        "status": "draft",
        "published_on": "",
        "notes": "Edited",
        "plans-TOTAL_FORMS": "0",
        "plans-INITIAL_FORMS": "0",
        "plans-MIN_NUM_FORMS": "0",
        "plans-MAX_NUM_FORMS": "1000",
    }
    response = manager_client.post(admin_url(ProgrammeTemplate, "change", template.pk), data)
    assert response.status_code == 403
    template.refresh_from_db()
    assert (template.status, template.published_on, template.plans.count()) == ("published", dt.date(2025, 9, 1), 10)
    assert template.notes.startswith("The version the autumn 2025 test bed")


@pytest.mark.django_db
def test_programme_template_published_cannot_be_deleted(manager_client):
    template = default_template()
    response = manager_client.post(admin_url(ProgrammeTemplate, "delete", template.pk), {"post": "yes"})
    assert response.status_code == 403
    assert ProgrammeTemplate.objects.filter(pk=template.pk).exists()


@pytest.mark.django_db
def test_session_plan_of_published_template_post_changes_nothing(manager_client):
    plan = default_template().plans.get(number=2)
    data = {"template": plan.template_id, "number": 2, "title": "Renamed", "kind": "coaching", "week_offset": 1}
    response = manager_client.post(admin_url(SessionPlan, "change", plan.pk), data)
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.title == "Coaching: driver diagram and aims"


@pytest.mark.django_db
def test_programme_template_draft_is_editable(manager_client, draft):
    response = manager_client.get(admin_url(ProgrammeTemplate, "change", draft.pk))
    assertContains(response, 'name="_save"')
    assertContains(response, 'name="plans-0-title"')


@pytest.mark.django_db
def test_session_plan_add_offers_draft_templates_only(manager_client, draft):
    response = manager_client.get(admin_url(SessionPlan, "add"))
    assert list(response.context["adminform"].form.fields["template"].queryset) == [draft]


@pytest.mark.django_db
def test_enrolment_add_offers_coaches_only(manager_client, coach):
    make_user("lead", "Education leads")
    response = manager_client.get(admin_url(Enrolment, "add"))
    assert list(response.context["adminform"].form.fields["coach"].queryset) == [coach]


@pytest.mark.django_db
def test_session_admin_save_bumps_version(manager_client, manager, coach):
    session = build_programme(1, manager=manager, coach=coach).sessions.get(number=3)
    url = admin_url(Session, "change", session.pk)
    data = resubmitted(manager_client, url, held_on="2025-10-07", attendees="5", notes="Held a day late")
    response = manager_client.post(url, data)
    assertRedirects(response, admin_url(Session, "changelist"))
    session.refresh_from_db()
    assert (session.held_on, session.version) == (dt.date(2025, 10, 7), 2)


@pytest.mark.django_db
def test_session_admin_held_and_cancelled_is_a_form_error(manager_client, manager, coach):
    session = build_programme(1, manager=manager, coach=coach).sessions.get(number=3)
    url = admin_url(Session, "change", session.pk)
    data = resubmitted(manager_client, url, held_on="2025-10-07", cancelled="on", cancelled_reason="Ward closed")
    response = manager_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    session.refresh_from_db()
    assert (session.held_on, session.cancelled, session.version) == (None, False, 1)


@pytest.mark.django_db
def test_feedback_response_admin_post_changes_nothing(manager_client, manager, coach):
    build_programme(1, manager=manager, coach=coach)
    answer = FeedbackResponse.objects.get()
    data = {"link": answer.link_id, "could_improve": "no", "rating": 1, "submitted_on": "2025-09-22"}
    response = manager_client.post(admin_url(FeedbackResponse, "change", answer.pk), data)
    assert response.status_code == 403
    answer.refresh_from_db()
    assert (answer.could_improve, answer.rating) == ("yes", 5)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "change"),
    [
        (Team, {"department": "Education"}),
        (TeamMeeting, {"location": "Library"}),
        (Cohort, {"name": "Renamed cohort"}),
        (PdsaCycle, {"study": "Studied in the admin"}),
        (ContentChange, {"description": "Edited in the admin"}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_admin_change_bumps_the_version_so_app_forms_opened_before_are_refused(
    manager_client, manager, coach, model, change
):
    build_programme(1, manager=manager, coach=coach)
    obj = model.objects.get()
    url = admin_url(model, "change", obj.pk)
    response = manager_client.post(url, resubmitted(manager_client, url, **change))
    assertRedirects(response, admin_url(model, "changelist"), fetch_redirect_response=False)
    obj.refresh_from_db()
    name, value = next(iter(change.items()))
    assert (getattr(obj, name), obj.version) == (value, 2)


@pytest.mark.django_db
def test_admin_team_save_bumps_the_version_of_each_meeting_changed_inline(manager_client, manager, coach):
    team = build_programme(1, manager=manager, coach=coach).team
    TeamMeeting.objects.create(
        team=team, name="Monthly governance", weekday=0, start_time=dt.time(14, 0), first_date=dt.date(2025, 9, 22)
    )
    url = admin_url(Team, "change", team.pk)
    data = resubmitted(manager_client, url)
    changed = next(key for key, value in data.items() if value == "Weekly huddle").replace("-name", "-location")
    assertRedirects(manager_client.post(url, data | {changed: "Seminar room 2"}), admin_url(Team, "changelist"))
    assert dict(team.meetings.values_list("name", "version")) == {"Weekly huddle": 2, "Monthly governance": 1}
    assert Team.objects.get(pk=team.pk).version == 2


@pytest.mark.django_db
def test_admin_session_plan_change_bumps_its_drafts_revision(manager_client, draft):
    plan = draft.plans.get()
    url = admin_url(SessionPlan, "change", plan.pk)
    response = manager_client.post(url, resubmitted(manager_client, url, title="Welcome"))
    assertRedirects(response, admin_url(SessionPlan, "changelist"), fetch_redirect_response=False)
    draft.refresh_from_db()
    assert (draft.plans.get().title, draft.revision) == ("Welcome", 2)
    manager_client.post(admin_url(SessionPlan, "delete", plan.pk), {"post": "yes"})
    draft.refresh_from_db()
    assert (draft.plans.count(), draft.revision) == (0, 3)


@pytest.mark.django_db
def test_admin_draft_template_save_bumps_its_revision(manager_client, draft):
    url = admin_url(ProgrammeTemplate, "change", draft.pk)
    data = resubmitted(manager_client, url, notes="Edited in the admin")
    assertRedirects(manager_client.post(url, data), admin_url(ProgrammeTemplate, "changelist"))
    draft.refresh_from_db()
    assert (draft.notes, draft.revision) == ("Edited in the admin", 2)


@pytest.mark.django_db
def test_session_changelist_checkboxes_choose_what_an_action_acts_on(manager_client, manager, coach):
    # The rows' checkboxes are written by core.admin_lists: the ones ticked are what the action gets.
    build_programme(1, manager=manager, coach=coach)
    url = admin_url(Session, "changelist")
    page = manager_client.get(url)
    values = re.findall(
        r'<input type="checkbox" name="_selected_action" value="(\d+)" class="action-select"', page.text
    )
    shown = [str(s.pk) for s in page.context["cl"].result_list]
    assert values == shown and len(values) >= 2
    confirm = manager_client.post(url, {"action": "delete_selected", "_selected_action": values[:2]})
    assert confirm.status_code == 200
    assert {str(s.pk) for s in confirm.context["queryset"]} == set(values[:2])
