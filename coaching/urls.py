from django.urls import path  # noqa: F401

from .views import agreement as agreement_views  # Coaching agreement
from .views import calendar as calendar_views  # Calendar feeds
from .views import invitations as invitation_views  # Calendar invitations
from .views import my_teams as my_teams_views  # A coach's teams
from .views import reminders as reminder_views

app_name = "coaching"

urlpatterns: list = [
    path("my-teams/", my_teams_views.my_teams, name="my_teams"),
    # --- Coaching agreement and calendar feeds ---
    path("enrolments/<int:pk>/agreement/", agreement_views.agreement, name="agreement"),
    path("enrolments/<int:pk>/agreement/meeting/", agreement_views.agreement_meeting, name="agreement_meeting"),
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar"),
    path("calendar/reset/", calendar_views.calendar_reset_mine, name="calendar_reset"),
    path("teams/<int:pk>/calendar/reset/", calendar_views.calendar_reset_team, name="team_calendar_reset"),
    path("invitations/", invitation_views.invitation_settings, name="invitations"),
    # --- Reminders ---
    path("reminders/", reminder_views.reminder_list, name="reminders"),
    path("reminders/<int:pk>/retry/", reminder_views.reminder_retry, name="reminder_retry"),
    path("reminders/digests/<int:pk>/retry/", reminder_views.digest_retry, name="digest_retry"),
    path("reminders/invitations/<int:pk>/retry/", reminder_views.invitation_retry, name="invitation_retry"),
]
