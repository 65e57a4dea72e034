"""The audit page for improvement managers: who changed which session, enrolment, coaching
agreement, checklist, rating, team, programme version or content change, and when, filterable by
person, team and London day, and the same rows as CSV. Reads the history of every app, hence here
(dashboards reads across all) rather than in one of them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.access import manager_required
from core.exports import csv_response
from core.pagination import pagination
from programmes.models import Team

from .audit import AUDIT_CSV_HEADER, AuditFilters, audit_export_rows, audit_page
from .forms import AuditFilterForm


def _form(request: HttpRequest) -> AuditFilterForm:
    people = get_user_model().objects.order_by("first_name", "last_name", "username")
    return AuditFilterForm(request.GET, people=people, teams=Team.objects.select_related("site"))


def _filters(form: AuditFilterForm) -> AuditFilters:
    data = form.cleaned_data
    return AuditFilters(
        person_id=data["person"], team_id=data["team"], date_from=data["date_from"], date_to=data["date_to"]
    )


@require_safe
@manager_required
def audit(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():  # a filtered audit never shows unfiltered rows: the errors, and no rows
        return render(request, "dashboards/audit.html", {"form": form}, status=400)
    data = audit_page(filters=_filters(form), page=request.GET.get("page"))
    context = {
        "form": form,
        "rows": data.rows,
        "page": data.page,
        "pagination": pagination(data.page, query=lambda number: form.query(page=number)),
        "csv_query": form.query(page=None),
    }
    return render(request, "dashboards/audit.html", context)


@require_safe
@manager_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    """The page's rows (all of them, not one page), one line per changed field, streamed."""
    form = _form(request)
    if not form.is_valid():
        return render(request, "dashboards/audit.html", {"form": form}, status=400)
    return csv_response("audit.csv", AUDIT_CSV_HEADER, audit_export_rows(filters=_filters(form)))
