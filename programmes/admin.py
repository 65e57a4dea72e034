"""Admin for the programme: what improvement managers set up and correct by hand.

Only managers and superusers reach the admin (qms_site.admin.QmsAdminSite). Every row with a
version has it bumped by an admin save (VersionedAdminMixin), so that a form in the app opened
before the admin edit is refused rather than applied over it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone

from core.admin_lists import LongListAdminMixin
from core.concurrency import VersionedAdminMixin, claim_version
from core.roles import Role

from .models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    PdsaCycle,
    ProgrammeTemplate,
    Session,
    SessionChange,
    SessionPlan,
    Site,
    Team,
    TeamMeeting,
    TemplateStatus,
)
from .selectors import users_in
from .services.scheduling import enrolment_create, enrolment_set_status, enrolment_update


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class TeamMeetingInline(admin.TabularInline):
    model = TeamMeeting
    extra = 0
    fields = ["name", "weekday", "start_time", "duration_minutes", "every_weeks", "first_date", "location", "is_huddle"]


@admin.register(Team)
class TeamAdmin(VersionedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "site", "department", "improvement_board"]
    list_filter = ["site", "improvement_board"]
    search_fields = ["name", "department", "site__code", "site__name"]
    list_select_related = ["site"]
    inlines = [TeamMeetingInline]

    def get_queryset(self, request):
        # Team.__str__ reads the site; autocomplete lists and pickers would query per team.
        return super().get_queryset(request).select_related("site")


@admin.register(TeamMeeting)
class TeamMeetingAdmin(VersionedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "team", "weekday", "start_time", "duration_minutes", "every_weeks", "location", "is_huddle"]
    list_filter = ["is_huddle", "weekday", "every_weeks", "team__site"]
    search_fields = ["name", "team__name", "location"]
    list_select_related = ["team__site"]
    autocomplete_fields = ["team"]


class SessionPlanInline(admin.TabularInline):
    model = SessionPlan
    extra = 0
    fields = ["number", "title", "kind", "week_offset", "checklist_due"]

    # A published version is never edited, its plan rows included; a new version is made instead.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_published)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)


@admin.register(ProgrammeTemplate)
class ProgrammeTemplateAdmin(VersionedAdminMixin, admin.ModelAdmin):
    """Saving the template, its session plan rows included, bumps its revision."""

    list_display = ["name", "version", "status", "published_on", "session_count", "created_at"]
    list_filter = ["status", "name"]
    search_fields = ["name", "version"]
    readonly_fields = ["created_at"]
    inlines = [SessionPlanInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(session_count=Count("plans"))

    @admin.display(description="Sessions", ordering="session_count")
    def session_count(self, obj) -> int:
        return obj.session_count

    # Cohorts, feedback and the change log point at a published version: it stays as published.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)


@admin.register(SessionPlan)
class SessionPlanAdmin(admin.ModelAdmin):
    list_display = ["template", "number", "title", "kind", "week", "checklist_due"]
    list_filter = ["template", "kind", "checklist_due"]
    search_fields = ["title", "template__name", "template__version"]
    list_select_related = ["template"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("template")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # New rows go into draft versions only; published ones are fixed.
        if db_field.name == "template":
            kwargs["queryset"] = ProgrammeTemplate.objects.exclude(status=TemplateStatus.PUBLISHED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.template.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.template.is_published)

    # A plan row is part of its draft: changing one bumps the draft's revision.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        claim_version(obj.template, None)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        claim_version(obj.template, None)

    def delete_queryset(self, request, queryset):
        templates = {plan.template for plan in queryset.select_related("template")}
        super().delete_queryset(request, queryset)
        for template in templates:
            claim_version(template, None)


@admin.register(Cohort)
class CohortAdmin(VersionedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "template", "owner", "start_date", "target_end_date", "team_count", "active_count"]
    list_filter = ["template"]
    search_fields = ["name"]
    list_select_related = ["template", "owner"]
    date_hierarchy = "start_date"
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                team_count=Count("enrolments", distinct=True),
                active_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE), distinct=True),
            )
        )

    @admin.display(description="Teams", ordering="team_count")
    def team_count(self, obj) -> int:
        return obj.team_count

    @admin.display(description="Active teams", ordering="active_count")
    def active_count(self, obj) -> int:
        return obj.active_count

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The owner receives escalations, so it must be an improvement manager.
        if db_field.name == "owner":
            kwargs["queryset"] = users_in(Role.MANAGER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SessionInline(admin.TabularInline):
    """Sessions are made from the template and recorded by the coach: read-mostly here."""

    model = Session
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["number", "plan", "due_date", "agreed_start", "held_on", "attendees", "cancelled", "status_today"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Status today")
    def status_today(self, obj) -> str:
        return obj.status(timezone.localdate()).label if obj.pk else ""


class EnrolmentAdminForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = ["team", "cohort", "coach", "session1_date", "status"]

    def clean(self):
        cleaned = super().clean()
        enrolment = self.instance
        session1_date = cleaned.get("session1_date")
        if enrolment.pk and session1_date and "session1_date" in self.changed_data:
            # The same rule enrolment_update applies, found here so that the admin shows it as a form error.
            if enrolment.sessions.filter(held_on__isnull=False).exists():
                self.add_error("session1_date", "Session 1's date cannot change once a session has been held.")
        return cleaned


@admin.register(Enrolment)
class EnrolmentAdmin(LongListAdminMixin, admin.ModelAdmin):
    list_display = ["team", "cohort", "coach", "session1_date", "status"]
    list_filter = ["status", "cohort", "team__site"]
    search_fields = ["team__name", "team__site__code", "cohort__name", "coach__username", "coach__last_name"]
    list_select_related = ["team__site", "cohort", "coach"]
    autocomplete_fields = ["team", "cohort"]
    readonly_fields = ["created_at", "updated_at", "version"]
    date_hierarchy = "session1_date"
    inlines = [SessionInline]
    form = EnrolmentAdminForm

    def get_readonly_fields(self, request, obj=None):
        # The sessions were made from this cohort's programme version for this team.
        if obj is not None:
            return [*self.readonly_fields, "team", "cohort"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the services, as the pages do: enrolling makes the team's sessions, moving
        session 1 moves the due dates of the sessions not yet held, and the version is bumped."""
        # The form has checked what these services refuse (a duplicate team, moving session 1 after a
        # session was held), so they do not raise here.
        if change:
            saved = enrolment_update(
                enrolment=Enrolment.objects.get(pk=obj.pk),
                version=None,
                coach=obj.coach,
                session1_date=obj.session1_date,
            )
        else:
            saved = enrolment_create(cohort=obj.cohort, team=obj.team, coach=obj.coach, session1_date=obj.session1_date)
        if saved.status != obj.status:
            enrolment_set_status(enrolment=saved, status=obj.status)
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db
        obj.refresh_from_db()

    def get_queryset(self, request):
        # Enrolment.__str__ reads the team, its site and the cohort, and autocomplete lists show it.
        # The changelist skips list_select_related once a queryset has select_related, so coach is here too.
        return super().get_queryset(request).select_related("team__site", "cohort", "coach")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "coach":
            kwargs["queryset"] = users_in(Role.COACH)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SessionStatusFilter(admin.SimpleListFilter):
    """Status is derived from today's date, so it is filtered with the model's own rules."""

    title = "status today"
    parameter_name = "status_today"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("overdue", "Overdue"), ("held", "Held")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
        if self.value() == "held":
            return queryset.held()
        return queryset


class SessionChangeInline(admin.TabularInline):
    model = SessionChange
    extra = 0
    can_delete = False
    fields = ["from_start", "to_start", "reason", "changed_by", "changed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Session)
class SessionAdmin(VersionedAdminMixin, LongListAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "enrolment", "plan_kind", "held_on", "cancelled", "status_today"]
    list_filter = [SessionStatusFilter, "plan__kind", "cancelled", "enrolment__cohort", "enrolment__team__site"]
    search_fields = ["enrolment__team__name", "enrolment__cohort__name", "plan__title"]
    list_select_related = ["enrolment__team__site", "enrolment__cohort", "plan"]
    autocomplete_fields = ["enrolment", "plan"]
    date_hierarchy = "due_date"
    # Latest due first, read down the due-date index: the model's order (by cohort, site, team and
    # number, over five tables) sorted every session in the Trust for each page.
    ordering = ["-due_date", "-pk"]
    # Moving an agreed time is recorded as a SessionChange by the coaching pages, so that
    # slippage can be counted; the admin does not move it silently.
    readonly_fields = ["agreed_start", "updated_at"]
    inlines = [SessionChangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("enrolment__team__site", "enrolment__cohort", "plan")

    @admin.display(description="Kind", ordering="plan__kind")
    def plan_kind(self, obj) -> str:
        return obj.plan.get_kind_display()

    @admin.display(description="Status today")
    def status_today(self, obj) -> str:
        return obj.status(timezone.localdate()).label


@admin.register(SessionChange)
class SessionChangeAdmin(LongListAdminMixin, admin.ModelAdmin):
    """The slippage log: read-only, so that the counts it feeds stay true."""

    list_display = ["session", "from_start", "to_start", "reason", "changed_by", "changed_at"]
    list_filter = ["session__enrolment__cohort"]
    search_fields = ["reason", "session__enrolment__team__name"]
    list_select_related = ["session", "changed_by"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PdsaCycle)
class PdsaCycleAdmin(VersionedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "decision", "started_on", "decided_on", "cohort", "template"]
    list_filter = ["decision", "cohort", "template"]
    search_fields = ["title", "aim", "plan", "study", "act"]
    list_select_related = ["cohort", "template"]
    readonly_fields = ["created_by", "created_at"]
    date_hierarchy = "started_on"
    fieldsets = [
        (None, {"fields": ["title", "aim", "cohort", "template", "started_on"]}),
        ("Plan, Do, Study, Act", {"fields": ["plan", "do", "study", "act"]}),
        ("Decision", {"fields": ["decision", "decided_on", "new_limits"]}),
        ("Record", {"fields": ["created_by", "created_at", "version"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
