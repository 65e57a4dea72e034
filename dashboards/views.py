"""Dashboards and reports, all read-only: the progress dashboard (managers, coaches for their own
teams, leads), the programme's aim and a cohort's measures and heatmap and its printable PDSA
report (managers and leads) with its A4 PDF, and the sessions CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_safe

from checklists.sustainment import sustained_run_length
from core.access import manager_or_lead_required, staff_role_required
from core.exports import csv_response
from core.figures_cache import kept
from core.pagination import pagination
from feedback.selectors import min_group
from programmes.huddles import stopped_after_weeks
from programmes.models import Cohort, first_coaching_wait_limit
from programmes.selectors.huddles import BOARD_FINDING, RECENT_WEEKS

from .forms import ProgressFilterForm
from .measures import AIM, aim_page, cohort_page
from .pdf import pdf_document, pdf_response
from .selectors import OVERDUE, SESSIONS_CSV_HEADER, dashboard_page, filter_choices, sessions_export_rows
from .templatetags.progress_table import progress_rows


@staff_role_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    number = request.GET.get("page")
    # The address as asked (what the form reads), so that the filters' choices are kept with the rest.
    asked = (*(request.GET.get(name) for name in ProgressFilterForm.base_fields), number)

    def choices_page_and_rows():
        sites, cohorts = filter_choices(user=request.user)
        filters = ProgressFilterForm(request.GET or None, sites=sites, cohorts=cohorts).filters()
        data = dashboard_page(
            user=request.user,
            today=today,
            site_id=filters["site_id"],
            cohort_id=filters["cohort_id"],
            status=filters["status"],
            sort=filters["sort"],
            page=number,
        )
        return sites, cohorts, data, progress_rows(data.rows)

    # Kept until the next write (core.figures_cache): the same user, day and address read them again.
    sites, cohorts, data, rows_html = kept("dashboard", (request.user.pk, today, *asked), choices_page_and_rows)
    form = ProgressFilterForm(request.GET or None, sites=sites, cohorts=cohorts)
    filters = form.filters()
    page = data.page
    context = {
        "form": form,
        "data": data,
        "rows": data.rows,
        "rows_html": rows_html,
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
    today = timezone.localdate()
    number = request.GET.get("page")
    query = QueryDict(mutable=True)

    def page_query(number: int) -> str:
        query["page"] = str(number)
        return query.urlencode()

    # Lazy: the page's block is kept until the next write ({% kept %}), and read from the cache it
    # computes nothing.
    page = SimpleLazyObject(
        lambda: aim_page(user=request.user, today=today, run_length=sustained_run_length(), page=number)
    )
    context = {
        "page": page,
        "pagination": SimpleLazyObject(lambda: pagination(page.cohort_page, query=page_query)),
        "today": today,
        "page_number": number,
    }
    return render(request, "dashboards/aim.html", context)


def _cohort(pk: int) -> Cohort:
    return get_object_or_404(Cohort.objects.select_related("template", "owner"), pk=pk)


def _cohort_context(request: HttpRequest, pk: int, *, report: bool = False) -> dict:
    """A cohort page's context, for the page (its figures lazy, as the aim page's), the report and its PDF."""
    today = timezone.localdate()
    cohort = _cohort(pk)
    page = SimpleLazyObject(
        lambda: cohort_page(
            cohort=cohort, user=request.user, today=today, run_length=sustained_run_length(), report=report
        )
    )
    return {"page": page, "cohort": cohort, "today": today, "aim": AIM}


@manager_or_lead_required
@require_GET
def cohort(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "dashboards/cohort.html", _cohort_context(request, pk))


@manager_or_lead_required
@require_GET
def cohort_report(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "dashboards/cohort_report.html", _cohort_context(request, pk, report=True))


@manager_or_lead_required
@require_safe
def cohort_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same page as a PDF download, laid out for A4 by its print stylesheet."""
    context = _cohort_context(request, pk, report=True)
    html = render_to_string("dashboards/cohort_report.html", context, request=request)
    pdf = pdf_document(html, base_url=request.build_absolute_uri("/")).write_pdf()
    return pdf_response(pdf, filename=f"{slugify(context['cohort'].name) or 'cohort'}-report.pdf")


@staff_role_required
@require_GET
def sessions_csv(request: HttpRequest) -> HttpResponse:
    """One row per session the user may see (a coach: only their own teams'), streamed."""
    rows = sessions_export_rows(user=request.user, today=timezone.localdate())
    return csv_response("sessions.csv", SESSIONS_CSV_HEADER, rows)
