"""Enrolments: a team in a cohort with its coach and sessions. Managers enrol, edit, withdraw and
complete; the enrolment page shows the sessions, the coaching agreement and every move."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..access import get_enrolment_for_user, manager_required
from ..forms import EnrolmentCreateForm, EnrolmentEditForm, EnrolmentStatusForm
from ..models import Cohort, Enrolment, EnrolmentStatus
from ..roles import is_manager
from ..selectors import enrolment_page, enrolment_page_queryset, has_agreement
from ..services.scheduling import StaleEdit, enrolment_create, enrolment_set_status, enrolment_update
from .common import add_service_errors, data_with
from .hooks import last_reminder_for, may_change

# What each status button says and the message after it.
STATUS_CHANGES = {
    EnrolmentStatus.WITHDRAWN: "{team} is withdrawn from {cohort}. Its sessions and records are kept.",
    EnrolmentStatus.COMPLETED: "{team} has completed {cohort}.",
    EnrolmentStatus.ACTIVE: "{team} is active in {cohort} again.",
    EnrolmentStatus.PLANNED: "{team} is planned in {cohort} again.",
}


@manager_required
def enrolment_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("template"), pk=pk)
    form = EnrolmentCreateForm(request.POST if request.method == "POST" else None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = enrolment_create(cohort=cohort, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            count = enrolment.sessions.count()
            messages.success(
                request,
                f"{enrolment.team.name} is enrolled in {cohort.name}, with {count} sessions due from "
                f"{enrolment.session1_date:%a %-d %b %Y}.",
            )
            return redirect("programmes:enrolment", enrolment.pk)
    return render(request, "programmes/enrolment_form.html", {"form": form, "cohort": cohort})


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_enrolment_for_user(request, pk, queryset=enrolment_page_queryset())
    today = timezone.localdate()
    user = request.user
    context = {
        "enrolment": enrolment,
        "page": enrolment_page(enrolment=enrolment, today=today),
        "today": today,
        "agreement": enrolment.agreement if has_agreement(enrolment) else None,
        "can_manage": is_manager(user),
        "can_write": may_change(user, enrolment),
        "last_reminder": last_reminder_for(enrolment=enrolment),
        "status_choices": [s for s in EnrolmentStatus if s != enrolment.status],
    }
    return render(request, "programmes/enrolment_detail.html", context)


@manager_required
def enrolment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(Enrolment.objects.select_related("team__site", "cohort", "coach"), pk=pk)
    latest = None
    if request.method == "POST":
        form = EnrolmentEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                enrolment_update(
                    enrolment=enrolment,
                    coach=data["coach"],
                    session1_date=data["session1_date"],
                    updated_at=data["updated_at"],
                )
            except StaleEdit as exc:
                latest = Enrolment.objects.select_related("coach").get(pk=enrolment.pk)
                form = EnrolmentEditForm(data_with(form, updated_at=latest.updated_at.isoformat()))
                form.is_valid()
                form.add_error(None, exc)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Enrolment of {enrolment.team.name} saved.")
                return redirect("programmes:enrolment", enrolment.pk)
    else:
        form = EnrolmentEditForm(
            initial={
                "coach": enrolment.coach_id,
                "session1_date": enrolment.session1_date,
                "updated_at": enrolment.updated_at.isoformat(),
            }
        )
    return render(request, "programmes/enrolment_edit.html", {"form": form, "enrolment": enrolment, "latest": latest})


@require_POST
@manager_required
def enrolment_status(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(Enrolment.objects.select_related("team", "cohort"), pk=pk)
    form = EnrolmentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose planned, active, completed or withdrawn.")
        return redirect("programmes:enrolment", enrolment.pk)
    status = EnrolmentStatus(form.cleaned_data["status"])
    enrolment_set_status(enrolment=enrolment, status=status)
    messages.success(request, STATUS_CHANGES[status].format(team=enrolment.team.name, cohort=enrolment.cohort.name))
    return redirect("programmes:enrolment", enrolment.pk)
