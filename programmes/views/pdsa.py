"""The PDSA log: everyone with a role reads it; managers create and edit cycles."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.access import manager_required, staff_role_required
from core.views import posted, submit

from ..forms import PdsaCycleForm
from ..models import PdsaCycle
from ..selectors import pdsa_cycles
from ..services import pdsa_cycle_create, pdsa_cycle_update


@staff_role_required
@require_GET
def pdsa_list(request: HttpRequest) -> HttpResponse:
    return render(request, "programmes/pdsa_list.html", {"cycles": pdsa_cycles()})


@staff_role_required
@require_GET
def pdsa_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(pdsa_cycles(), pk=pk)
    # The Study figures (what the linked cohort's attendees said) are the feedback app's tag.
    return render(request, "programmes/pdsa_detail.html", {"cycle": cycle})


@manager_required
@require_http_methods(["GET", "POST"])
def pdsa_create(request: HttpRequest) -> HttpResponse:
    form = PdsaCycleForm(posted(request))
    done = submit(request, form, lambda data: pdsa_cycle_create(entry=form.entry(), created_by=request.user))
    if done.saved:
        messages.success(request, f"PDSA cycle “{done.result.title}” added to the log.")
        return redirect("programmes:pdsa_detail", pk=done.result.pk)
    return render(request, "programmes/pdsa_form.html", {"form": form, "cycle": None})


@manager_required
@require_http_methods(["GET", "POST"])
def pdsa_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(PdsaCycle, pk=pk)
    form = PdsaCycleForm(posted(request), instance=cycle)
    done = submit(
        request,
        form,
        lambda data: pdsa_cycle_update(cycle=cycle, version=data["version"], entry=form.entry()),
        latest=lambda: PdsaCycle.objects.select_related("cohort", "template").get(pk=cycle.pk),
    )
    if done.saved:
        messages.success(request, f"PDSA cycle “{cycle.title}” saved.")
        return redirect("programmes:pdsa_detail", pk=cycle.pk)
    context = {"form": form, "cycle": cycle, "meanwhile": done.meanwhile}
    return render(request, "programmes/pdsa_form.html", context)
