from django.urls import path

from . import views, views_week

app_name = "dashboards"

urlpatterns = [
    path("", views.progress, name="progress"),
    path("aim/", views.aim, name="aim"),
    path("cohorts/<int:pk>/", views.cohort, name="cohort"),
    path("cohorts/<int:pk>/report/", views.cohort_report, name="cohort_report"),
    path("cohorts/<int:pk>/report.pdf", views.cohort_report_pdf, name="cohort_report_pdf"),
    path("week/", views_week.week, name="week"),
]
