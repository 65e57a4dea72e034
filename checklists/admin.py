"""Admin for tool-usage checklists. Checklists and ratings keep their history."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_lists import LongListAdminMixin
from core.concurrency import VersionedAdminMixin

from .models import Checklist, Tool, ToolRating


# VersionedAdminMixin: a form in the app opened before an admin edit is then refused, not applied over it.
@admin.register(Tool)
class ToolAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["active"]
    search_fields = ["name", "description"]


class ToolRatingInline(admin.TabularInline):
    model = ToolRating
    extra = 0
    fields = ["tool", "discussed", "level", "comment"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tool")


@admin.register(Checklist)
class ChecklistAdmin(VersionedAdminMixin, LongListAdminMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "team", "coach", "completed_at", "version"]
    list_filter = ["session__enrolment__cohort", "session__enrolment__team__site", "session__plan__kind"]
    search_fields = ["session__enrolment__team__name", "coach__username", "coach__last_name", "culture_note"]
    list_select_related = ["session__enrolment__team__site", "coach"]
    raw_id_fields = ["session"]
    autocomplete_fields = ["coach"]
    readonly_fields = ["updated_at"]
    date_hierarchy = "completed_at"
    inlines = [ToolRatingInline]

    @admin.display(description="Team", ordering="session__enrolment__team__name")
    def team(self, obj) -> str:
        return str(obj.session.enrolment.team)


@admin.register(ToolRating)
class ToolRatingAdmin(LongListAdminMixin, SimpleHistoryAdmin):
    list_display = ["checklist", "tool", "discussed", "level"]
    list_filter = ["tool", "level", "discussed"]
    search_fields = ["tool__name", "comment", "checklist__session__enrolment__team__name"]
    list_select_related = ["checklist", "tool"]
    raw_id_fields = ["checklist"]
