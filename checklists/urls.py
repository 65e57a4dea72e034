from django.urls import path

from . import views

app_name = "checklists"

urlpatterns = [
    path("session/<int:session_pk>/", views.checklist_edit, name="checklist"),
    path("session/<int:session_pk>/history/", views.checklist_history_view, name="checklist_history"),
    path("session/<int:session_pk>/print/", views.checklist_print, name="checklist_print"),
    path("enrolment/<int:enrolment_pk>/", views.enrolment_summary, name="enrolment_summary"),
    path("tools/", views.tool_list, name="tool_list"),
    path("tools/add/", views.tool_add, name="tool_add"),
    path("tools/<int:pk>/", views.tool_edit, name="tool_edit"),
]
