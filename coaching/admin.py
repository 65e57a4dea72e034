"""Admin for coaching: agreements, the logs of reminders, digests and invitations, calendar feeds."""

from __future__ import annotations

from django.contrib import admin

from core.admin_lists import LongListAdminMixin
from core.concurrency import VersionedAdminMixin

from .models import CalendarFeed, CoachingAgreement, Digest, Invitation, InvitationPreference, Reminder


# VersionedAdminMixin: an agreement page opened before an admin edit is then refused, not applied over it.
@admin.register(CoachingAgreement)
class CoachingAgreementAdmin(VersionedAdminMixin, admin.ModelAdmin):
    list_display = ["enrolment", "meeting", "agreed_at", "agreed_by"]
    list_filter = ["enrolment__cohort", "enrolment__team__site"]
    search_fields = ["enrolment__team__name", "enrolment__cohort__name", "meeting__name"]
    list_select_related = ["enrolment__team__site", "enrolment__cohort", "meeting", "agreed_by"]
    autocomplete_fields = ["enrolment", "meeting", "agreed_by"]
    date_hierarchy = "agreed_at"


@admin.register(Reminder)
class ReminderAdmin(LongListAdminMixin, admin.ModelAdmin):
    """The log of reminders sent. A row is the claim that stops a second email, so it is not
    written here; deleting a row lets the next sweep send that reminder again."""

    list_display = [
        "kind",
        "session",
        "recipient",
        "due_date",
        "status",
        "attempts",
        "created_at",
        "sending_since",
        "sent_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["recipient__username", "recipient__email", "session__enrolment__team__name"]
    list_select_related = ["session", "recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Digest)
class DigestAdmin(LongListAdminMixin, admin.ModelAdmin):
    """The log of digests (one email per person per day or week). A row is the claim that stops a
    second email that period, so it is not written here; a failed one is sent again from Reminders."""

    list_display = ["kind", "period", "recipient", "status", "attempts", "created_at", "sending_since", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["recipient__username", "recipient__email"]
    list_select_related = ["recipient"]
    date_hierarchy = "period"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(LongListAdminMixin, admin.ModelAdmin):
    """The log of calendar invitations (one per session, address and SEQUENCE). A row is the claim
    that stops a second email for that change, so it is not written here."""

    list_display = ["method", "session", "email", "sequence", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["method", "status"]
    search_fields = ["email", "name", "session__enrolment__team__name"]
    list_select_related = ["session"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InvitationPreference)
class InvitationPreferenceAdmin(admin.ModelAdmin):
    """Who turned calendar invitations off for themselves (each person sets it on their Invitations page)."""

    list_display = ["user", "send_invitations", "updated_at"]
    list_filter = ["send_invitations"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    # The token is a secret: shown on the change page only, never in lists or searches.
    list_display = ["__str__", "coach", "team", "created_at"]
    search_fields = ["coach__username", "coach__last_name", "team__name"]
    list_select_related = ["coach", "team__site"]
    autocomplete_fields = ["coach", "team"]
    readonly_fields = ["token", "created_at"]
