from django.urls import path  # noqa: F401

app_name = "programmes"

urlpatterns: list = [
    # --- Teams, meetings, cohorts, enrolments, sessions (scheduling) ---
    # --- Programme versions and the PDSA log ---
]
