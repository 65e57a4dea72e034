"""Enrolments: a team in a cohort with its coach and sessions. Managers enrol, edit, withdraw and
complete; the enrolment page shows the sessions, the coaching agreement and every move."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core.access import can_change, manager_required
from core.roles import is_manager
from core.views import posted, submit
from programmes.access import get_enrolment_for_user

from ..forms import EnrolmentCreateForm, EnrolmentEditForm, EnrolmentStatusForm
from ..models import Cohort, Enrolment, EnrolmentStatus
from ..selectors import enrolment_page, enrolment_page_queryset
from ..services.scheduling import enrolment_create, enrolment_set_status, enrolment_update

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
    form = EnrolmentCreateForm(posted(request), cohort=cohort, today=timezone.localdate())

    def enrol(data: dict):
        return enrolment_create(
            cohort=cohort,
            team=data["team"],
            coach=data["coach"],
            session1_date=data["session1_date"],
            session1_start=data["session1_start"],
            session1_location=data["session1_location"],
        )

    done = submit(request, form, enrol)
    if done.saved:
        enrolment = done.result
        messages.success(
            request,
            f"{enrolment.team.name} is enrolled in {cohort.name}, with {enrolment.sessions.count()} sessions due "
            f"from {enrolment.session1_date:%a %-d %b %Y}.",
        )
        return redirect("programmes:enrolment", enrolment.pk)
    return render(request, "programmes/enrolment_form.html", {"form": form, "cohort": cohort})


@require_safe  # a page to read: GET and HEAD only
@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_enrolment_for_user(request, pk, queryset=enrolment_page_queryset())
    today = timezone.localdate()
    user = request.user
    context = {
        "enrolment": enrolment,
        "page": enrolment_page(enrolment=enrolment, today=today),
        "today": today,
        "can_manage": is_manager(user),
        "can_write": can_change(user, enrolment.coach_id),
        "status_choices": [s for s in EnrolmentStatus if s != enrolment.status],
    }
    return render(request, "programmes/enrolment_detail.html", context)


@manager_required
def enrolment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(Enrolment.objects.select_related("team__site", "cohort", "coach"), pk=pk)
    form = EnrolmentEditForm(
        posted(request),
        initial={"coach": enrolment.coach_id, "session1_date": enrolment.session1_date, "version": enrolment.version},
        cohort=enrolment.cohort,
        today=timezone.localdate(),
    )
    done = submit(
        request,
        form,
        lambda data: enrolment_update(
            enrolment=enrolment, version=data["version"], coach=data["coach"], session1_date=data["session1_date"]
        ),
        latest=lambda: Enrolment.objects.select_related("coach").get(pk=enrolment.pk),
    )
    if done.saved:
        messages.success(request, f"Enrolment of {enrolment.team.name} saved.")
        return redirect("programmes:enrolment", enrolment.pk)
    context = {"form": form, "enrolment": enrolment, "meanwhile": done.meanwhile}
    return render(request, "programmes/enrolment_edit.html", context)


@require_POST
@manager_required
def enrolment_status(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = get_object_or_404(Enrolment.objects.select_related("team", "cohort"), pk=pk)
    form = EnrolmentStatusForm(request.POST)

    def change(data: dict) -> None:
        enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus(data["status"]), version=data["version"])

    def refused(_error) -> None:
        now = Enrolment.objects.get(pk=enrolment.pk).get_status_display().lower()
        messages.error(
            request,
            f"Someone else changed this enrolment after you opened the page, so it has not been changed: "
            f"{enrolment.team.name} is {now} now. Check the page below, then choose again.",
        )

    done = submit(request, form, change, on_stale=refused)
    if done.saved:
        status = EnrolmentStatus(form.cleaned_data["status"])
        messages.success(request, STATUS_CHANGES[status].format(team=enrolment.team.name, cohort=enrolment.cohort.name))
    elif not done.stale:
        messages.error(request, " ".join([*form.errors.get("status", []), *form.non_field_errors()]))
    return redirect("programmes:enrolment", enrolment.pk)
