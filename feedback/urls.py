from django.urls import path, re_path

from . import views

app_name = "feedback"

# A form token is token_urlsafe(24): 32 characters of A-Z a-z 0-9 - _. The pattern keeps the
# staff pages' words ("changes", "session", "team", "huddle") from ever being read as a token.
TOKEN = r"(?P<token>[A-Za-z0-9_-]{20,64})"  # noqa: S105 - a URL pattern, not a secret

urlpatterns = [
    path("", views.feedback_overview, name="overview"),
    path("session/<int:session_pk>/", views.session_feedback, name="session"),
    path("session/<int:session_pk>/open/", views.session_feedback_open, name="session_open"),
    path("session/<int:session_pk>/close/", views.session_feedback_close, name="session_close"),
    path("session/<int:session_pk>/shared-device/", views.session_feedback_shared_device, name="session_shared_device"),
    path("session/<int:session_pk>/poster/", views.session_feedback_poster, name="poster"),
    path("changes/", views.change_log, name="changes"),
    path("changes/new/", views.change_create, name="change_create"),
    path("changes/<int:pk>/edit/", views.change_edit, name="change_edit"),
    path("team/<int:team_pk>/huddle-sheet/", views.team_huddle_sheet, name="huddle_sheet"),
    path("team/<int:team_pk>/huddle-sheet/reset/", views.team_huddle_reset, name="huddle_reset"),
    # The huddle check-in from the team's board: no login.
    re_path(rf"^huddle/{TOKEN}/$", views.huddle_check_in, name="huddle"),
    re_path(rf"^huddle/{TOKEN}/recorded/$", views.huddle_recorded, name="huddle_recorded"),
    # The public form: no login.
    re_path(rf"^{TOKEN}/$", views.feedback_form, name="form"),
    re_path(rf"^{TOKEN}/thanks/$", views.feedback_thanks, name="thanks"),
]
