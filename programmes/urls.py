from django.urls import path  # noqa: F401

from .views import cohorts as cohort_views  # Scheduling: cohorts
from .views import enrolments as enrolment_views  # Scheduling: enrolments
from .views import pdsa, versions  # Programme versions and the PDSA log
from .views import sessions as session_views  # Scheduling: sessions
from .views import teams as team_views  # Scheduling: teams and meetings

app_name = "programmes"

urlpatterns: list = [
    # --- Teams, meetings, cohorts, enrolments, sessions (scheduling) ---
    path("teams/", team_views.team_list, name="teams"),
    path("teams/new/", team_views.team_create_view, name="team_create"),
    path("teams/<int:pk>/", team_views.team_detail, name="team"),
    path("teams/<int:pk>/edit/", team_views.team_edit, name="team_edit"),
    path("teams/<int:pk>/meetings/new/", team_views.meeting_create, name="meeting_create"),
    path("teams/<int:pk>/meetings/<int:meeting_pk>/edit/", team_views.meeting_edit, name="meeting_edit"),
    path("cohorts/", cohort_views.cohort_list, name="cohorts"),
    path("cohorts/new/", cohort_views.cohort_create_view, name="cohort_create"),
    path("cohorts/<int:pk>/", cohort_views.cohort_detail, name="cohort"),
    path("cohorts/<int:pk>/edit/", cohort_views.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/enrol/", enrolment_views.enrolment_create_view, name="enrolment_create"),
    path("enrolments/<int:pk>/", enrolment_views.enrolment_detail, name="enrolment"),
    path("enrolments/<int:pk>/edit/", enrolment_views.enrolment_edit, name="enrolment_edit"),
    path("enrolments/<int:pk>/status/", enrolment_views.enrolment_status, name="enrolment_status"),
    path("sessions/<int:pk>/", session_views.session_detail, name="session"),
    path("sessions/<int:pk>/held/", session_views.session_held, name="session_held"),
    path("sessions/<int:pk>/cancel/", session_views.session_cancel_view, name="session_cancel"),
    path("sessions/<int:pk>/move/", session_views.session_move_view, name="session_move"),
    # --- Programme versions and the PDSA log ---
    path("versions/", versions.version_list, name="versions"),
    path("versions/draft/", versions.version_draft, name="version_draft"),
    path("versions/<int:pk>/", versions.version_detail, name="version_detail"),
    path("versions/<int:pk>/edit/", versions.version_edit, name="version_edit"),
    path("versions/<int:pk>/publish/", versions.version_publish, name="version_publish"),
    path("versions/<int:pk>/delete/", versions.version_delete, name="version_delete"),
    path("pdsa/", pdsa.pdsa_list, name="pdsa_list"),
    path("pdsa/new/", pdsa.pdsa_create, name="pdsa_create"),
    path("pdsa/<int:pk>/", pdsa.pdsa_detail, name="pdsa_detail"),
    path("pdsa/<int:pk>/edit/", pdsa.pdsa_edit, name="pdsa_edit"),
]
