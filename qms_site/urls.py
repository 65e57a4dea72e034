from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

import checklists.views
import core.login
import dashboards.views
import feedback.views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", core.login.LoginView.as_view(), name="login"),  # "keep me signed in"; axes counts failures
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("programmes/", include("programmes.urls")),
    path("coaching/", include("coaching.urls")),
    path("checklists/", include("checklists.urls")),
    path("feedback/", include("feedback.urls")),
    path("dashboard/", include("dashboards.urls")),
    # CSV exports (contract in DESIGN.md): one line each, the view lives with its data.
    path("exports/feedback.csv", feedback.views.feedback_csv, name="feedback_csv"),
    path("exports/ratings.csv", checklists.views.ratings_csv, name="ratings_csv"),
    path("exports/sessions.csv", dashboards.views.sessions_csv, name="sessions_csv"),
    path("admin/", admin.site.urls),
]
