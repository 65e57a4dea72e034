"""Dashboards and reports, all read-only: the progress dashboard (managers, coaches for their own
teams, leads), the programme's aim and a cohort's measures and heatmap and its printable PDSA
report (managers and leads) with its A4 PDF, and the sessions CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_safe

from checklists.sustainment import sustained_run_length
from core.access import manager_or_lead_required, staff_role_required
from core.exports import csv_response
from core.pagination import pagination
from feedback.selectors import min_group
from programmes.huddles import stopped_after_weeks
from programmes.models import Cohort, first_coaching_wait_limit
from programmes.selectors.huddles import BOARD_FINDING, RECENT_WEEKS

from .forms import ProgressFilterForm
from .measures import AIM, aim_page, cohort_page
from .pdf import pdf_document, pdf_response
from .selectors import OVERDUE, SESSIONS_CSV_HEADER, dashboard_page, filter_choices, sessions_export_rows


@staff_role_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    sites, cohorts = filter_choices(user=request.user)
    form = ProgressFilterForm(request.GET or None, sites=sites, cohorts=cohorts)
    filters = form.filters()
    data = dashboard_page(
        user=request.user,
        today=timezone.localdate(),
        site_id=filters["site_id"],
        cohort_id=filters["cohort_id"],
        status=filters["status"],
        sort=filters["sort"],
        page=request.GET.get("page"),
    )
    page = data.page
    context = {
        "form": form,
        "data": data,
        "rows": data.rows,
        "summary": data.summary,
        "page": page,
        "pagination": pagination(page, query=lambda number: form.query(page=number)),
        "overdue": OVERDUE,
        "columns": form.sort_columns(),
        "filtered": any(filters[key] for key in ("site_id", "cohort_id", "status")),
        "ignored": sorted(form.errors),
        "min_group": min_group(),
        "first_coaching_limit": first_coaching_wait_limit(),
        "board_finding": BOARD_FINDING,
        "huddle_weeks": RECENT_WEEKS,
        "huddle_stopped_weeks": stopped_after_weeks(),
    }
    return render(request, "dashboards/progress.html", context)


@manager_or_lead_required
@require_GET
def aim(request: HttpRequest) -> HttpResponse:
    page = aim_page(
        user=request.user, today=timezone.localdate(), run_length=sustained_run_length(), page=request.GET.get("page")
    )
    query = QueryDict(mutable=True)

    def page_query(number: int) -> str:
        query["page"] = str(number)
        return query.urlencode()

    return render(
        request, "dashboards/aim.html", {"page": page, "pagination": pagination(page.cohort_page, query=page_query)}
    )


def _cohort(pk: int) -> Cohort:
    return get_object_or_404(Cohort.objects.select_related("template", "owner"), pk=pk)


@manager_or_lead_required
@require_GET
def cohort(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    page = cohort_page(cohort=_cohort(pk), user=request.user, today=today, run_length=sustained_run_length())
    return render(request, "dashboards/cohort.html", {"page": page, "cohort": page.cohort, "today": today})


def _cohort_report_context(request: HttpRequest, pk: int) -> dict:
    """The report page's context, for the page and its PDF alike."""
    today = timezone.localdate()
    page = cohort_page(
        cohort=_cohort(pk), user=request.user, today=today, run_length=sustained_run_length(), report=True
    )
    return {"page": page, "cohort": page.cohort, "today": today, "aim": AIM}


@manager_or_lead_required
@require_GET
def cohort_report(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "dashboards/cohort_report.html", _cohort_report_context(request, pk))


@manager_or_lead_required
@require_safe
def cohort_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same page as a PDF download, laid out for A4 by its print stylesheet."""
    context = _cohort_report_context(request, pk)
    html = render_to_string("dashboards/cohort_report.html", context, request=request)
    pdf = pdf_document(html, base_url=request.build_absolute_uri("/")).write_pdf()
    return pdf_response(pdf, filename=f"{slugify(context['cohort'].name) or 'cohort'}-report.pdf")


@staff_role_required
@require_GET
def sessions_csv(request: HttpRequest) -> HttpResponse:
    """One row per session the user may see (a coach: only their own teams'), streamed."""
    rows = sessions_export_rows(user=request.user, today=timezone.localdate())
    return csv_response("sessions.csv", SESSIONS_CSV_HEADER, rows)
