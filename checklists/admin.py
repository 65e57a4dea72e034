"""Admin for tool-usage checklists. Checklists and ratings keep their history."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from simple_history.admin import SimpleHistoryAdmin

from .models import Checklist, Tool, ToolRating


def _bump_version(model, obj) -> None:
    model.objects.filter(pk=obj.pk).update(version=F("version") + 1)
    obj.version = model.objects.values_list("version", flat=True).get(pk=obj.pk)


@admin.register(Tool)
class ToolAdmin(SimpleHistoryAdmin):
    list_display = ["name", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["active"]
    search_fields = ["name", "description"]
    readonly_fields = ["version"]

    def save_model(self, request, obj, form, change):
        # As for checklists: a manager's tool form opened before this edit is then refused.
        if change:
            _bump_version(Tool, obj)
        super().save_model(request, obj, form, change)


class ToolRatingInline(admin.TabularInline):
    model = ToolRating
    extra = 0
    fields = ["tool", "discussed", "level", "comment"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tool")


@admin.register(Checklist)
class ChecklistAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "team", "coach", "completed_at", "version"]
    list_filter = ["session__enrolment__cohort", "session__enrolment__team__site", "session__plan__kind"]
    search_fields = ["session__enrolment__team__name", "coach__username", "coach__last_name", "culture_note"]
    list_select_related = ["session__enrolment__team__site", "coach"]
    raw_id_fields = ["session"]
    autocomplete_fields = ["coach"]
    readonly_fields = ["version", "updated_at"]
    date_hierarchy = "completed_at"
    inlines = [ToolRatingInline]

    @admin.display(description="Team", ordering="session__enrolment__team__name")
    def team(self, obj) -> str:
        return str(obj.session.enrolment.team)

    def save_model(self, request, obj, form, change):
        # Bump the version so that a coach's form opened before this edit is refused, not applied over it.
        # Bumped in the database first (not saved as an F() expression), so that the history record
        # written by the save holds the new version number.
        if change:
            _bump_version(Checklist, obj)
        super().save_model(request, obj, form, change)


@admin.register(ToolRating)
class ToolRatingAdmin(SimpleHistoryAdmin):
    list_display = ["checklist", "tool", "discussed", "level"]
    list_filter = ["tool", "level", "discussed"]
    search_fields = ["tool__name", "comment", "checklist__session__enrolment__team__name"]
    list_select_related = ["checklist", "tool"]
    raw_id_fields = ["checklist"]
