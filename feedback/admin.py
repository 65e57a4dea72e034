"""Admin for attendee feedback and the training package's change log.

Responses are anonymous: nothing that identifies a person is stored, and the admin adds
nothing that could (no user, no time of day, no editing of what an attendee wrote).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from core.admin_lists import LongListAdminMixin
from core.concurrency import VersionedAdminMixin
from programmes.models import HuddleBoard, HuddleCheckIn

from .models import ContentChange, FeedbackLink, FeedbackResponse

RESPONSE_FIELDS = ["could_improve", "rating", "what_worked", "what_better", "submitted_on"]


class FeedbackResponseInline(admin.TabularInline):
    model = FeedbackResponse
    extra = 0
    can_delete = False
    fields = RESPONSE_FIELDS
    readonly_fields = RESPONSE_FIELDS

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FeedbackLink)
class FeedbackLinkAdmin(LongListAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "team", "is_open", "response_count", "created_at"]
    list_filter = ["is_open", "session__enrolment__cohort"]
    search_fields = ["session__enrolment__team__name", "session__enrolment__cohort__name"]
    list_select_related = ["session__enrolment__team__site"]
    raw_id_fields = ["session"]
    readonly_fields = ["token", "created_at", "shared_device_until"]  # switched on the session's feedback panel
    inlines = [FeedbackResponseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(response_count=Count("responses"))

    @admin.display(description="Team", ordering="session__enrolment__team__name")
    def team(self, obj) -> str:
        return str(obj.session.enrolment.team)

    @admin.display(description="Responses", ordering="response_count")
    def response_count(self, obj) -> int:
        return obj.response_count


@admin.register(FeedbackResponse)
class FeedbackResponseAdmin(LongListAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "could_improve", "rating", "submitted_on"]
    list_filter = ["could_improve", "rating", "submitted_on"]
    search_fields = ["what_worked", "what_better"]
    fields = ["link", *RESPONSE_FIELDS]
    date_hierarchy = "submitted_on"

    def get_queryset(self, request):
        # FeedbackResponse.__str__ reads the link.
        return super().get_queryset(request).select_related("link")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContentChange)
class ContentChangeAdmin(VersionedAdminMixin, admin.ModelAdmin):
    list_display = ["section", "kind", "template", "made_on", "made_by", "response_count"]
    list_filter = ["kind", "template"]
    search_fields = ["section", "description"]
    list_select_related = ["template", "made_by"]
    autocomplete_fields = ["responses"]
    readonly_fields = ["made_by"]
    date_hierarchy = "made_on"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(response_count=Count("responses"))

    @admin.display(description="Linked responses", ordering="response_count")
    def response_count(self, obj) -> int:
        return obj.response_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.made_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(HuddleBoard)
class HuddleBoardAdmin(admin.ModelAdmin):
    """The token is reset from the board sheet (feedback:huddle_reset), never typed in."""

    list_display = ["team", "created_at", "token_reset_at"]
    search_fields = ["team__name", "team__site__code"]
    list_select_related = ["team__site"]
    raw_id_fields = ["team"]
    readonly_fields = ["token", "created_at", "token_reset_at"]


@admin.register(HuddleCheckIn)
class HuddleCheckInAdmin(LongListAdminMixin, admin.ModelAdmin):
    """Check-ins are what a team said from its board: read and deleted here, never written."""

    list_display = ["team", "held_on", "people", "note"]
    list_filter = ["held_on", "team__site"]
    search_fields = ["team__name", "note"]
    list_select_related = ["team__site"]
    fields = ["team", "held_on", "people", "note"]
    date_hierarchy = "held_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
