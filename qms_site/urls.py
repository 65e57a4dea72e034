from django.contrib import admin
from django.urls import include, path

import checklists.views
import core.login
import dashboards.views
import dashboards.views_audit
import feedback.views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),  # the site's icon, for pages that name none
    path("accounts/login/", core.login.LoginView.as_view(), name="login"),  # "keep me signed in"; axes counts failures
    path("accounts/logout/", core.login.LogoutView.as_view(), name="logout"),  # and the Trust's sign-in, if any
    path("oidc/", include("core.oidc_urls")),  # sign-in with the Trust's accounts (core/oidc.py)
    path("programmes/", include("programmes.urls")),
    path("coaching/", include("coaching.urls")),
    path("checklists/", include("checklists.urls")),
    path("feedback/", include("feedback.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("audit/", dashboards.views_audit.audit, name="audit"),
    path("audit/changes.csv", dashboards.views_audit.audit_csv, name="audit_csv"),
    # CSV exports (contract in DESIGN.md): one line each, the view lives with its data.
    path("exports/feedback.csv", feedback.views.feedback_csv, name="feedback_csv"),
    path("exports/ratings.csv", checklists.views.ratings_csv, name="ratings_csv"),
    path("exports/sessions.csv", dashboards.views.sessions_csv, name="sessions_csv"),
    path("admin/", admin.site.urls),
]
