"""The PDSA log: everyone with a role reads it; managers create and edit cycles."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from feedback.selectors import feedback_report

from ..access import manager_required, staff_role_required
from ..forms_versions import PdsaCycleForm
from ..models import PdsaCycle
from ..selectors_versions import pdsa_cycles
from ..services import StaleEdit, pdsa_cycle_create, pdsa_cycle_update, pdsa_fingerprint
from ..services.pdsa import PDSA_FIELDS


@staff_role_required
@require_GET
def pdsa_list(request: HttpRequest) -> HttpResponse:
    return render(request, "programmes/pdsa_list.html", {"cycles": pdsa_cycles()})


@staff_role_required
@require_GET
def pdsa_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(pdsa_cycles(), pk=pk)
    feedback = None
    if cycle.cohort_id is not None:
        # The Study figures: what the linked cohort's attendees said, as this user may see them.
        feedback = feedback_report(user=request.user).for_cohort(cycle.cohort_id)
    return render(request, "programmes/pdsa_detail.html", {"cycle": cycle, "feedback": feedback})


def _fields(form: PdsaCycleForm) -> dict:
    return {name: form.cleaned_data[name] for name in PDSA_FIELDS}


@manager_required
@require_http_methods(["GET", "POST"])
def pdsa_create(request: HttpRequest) -> HttpResponse:
    form = PdsaCycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = pdsa_cycle_create(created_by=request.user, **_fields(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"PDSA cycle “{cycle.title}” added to the log.")
            return redirect("programmes:pdsa_detail", pk=cycle.pk)
    return render(request, "programmes/pdsa_form.html", {"form": form, "cycle": None})


@manager_required
@require_http_methods(["GET", "POST"])
def pdsa_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(PdsaCycle, pk=pk)
    latest = None
    if request.method == "POST":
        form = PdsaCycleForm(request.POST, instance=cycle)
        if form.is_valid():
            try:
                pdsa_cycle_update(cycle=cycle, expected=form.cleaned_data["expected"], **_fields(form))
            except StaleEdit as error:
                latest = get_object_or_404(pdsa_cycles(), pk=pk)
                form.add_error(None, error)
                # Saving again, having seen the latest version, is a deliberate choice.
                form.data = form.data.copy()
                form.data["expected"] = pdsa_fingerprint(latest)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"PDSA cycle “{cycle.title}” saved.")
                return redirect("programmes:pdsa_detail", pk=cycle.pk)
    else:
        form = PdsaCycleForm(instance=cycle, initial={"expected": pdsa_fingerprint(cycle)})
    return render(request, "programmes/pdsa_form.html", {"form": form, "cycle": cycle, "latest": latest})
