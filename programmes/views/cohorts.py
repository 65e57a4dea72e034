"""Cohorts: managers create one from a published programme version and enrol teams in it;
managers and leads see every team's progress in it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from core.access import manager_or_lead_required, manager_required
from core.roles import is_manager
from core.views import posted, submit

from ..forms import CohortForm
from ..models import Cohort
from ..selectors import cohort_rows, cohorts_overview
from ..services.scheduling import cohort_create, cohort_update


@require_safe  # a page to read: GET and HEAD only
@manager_or_lead_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "programmes/cohort_list.html",
        {"cohorts": list(cohorts_overview()), "can_manage": is_manager(request.user)},
    )


@manager_required
def cohort_create_view(request: HttpRequest) -> HttpResponse:
    form = CohortForm(posted(request), initial={"owner": request.user.pk})
    done = submit(request, form, lambda data: cohort_create(**data))
    if done.saved:
        messages.success(request, f"Cohort {done.result.name} created. Now enrol its teams.")
        return redirect("programmes:cohort", done.result.pk)
    return render(request, "programmes/cohort_form.html", {"form": form, "cohort": None})


@manager_required
def cohort_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("template", "owner"), pk=pk)
    name = cohort.name  # the form writes what was typed onto the cohort as it checks it
    form = CohortForm(posted(request), instance=cohort)
    done = submit(
        request,
        form,
        lambda data: cohort_update(cohort=cohort, **data),
        latest=lambda: Cohort.objects.select_related("owner").get(pk=cohort.pk),
    )
    if done.saved:
        messages.success(request, f"Cohort {cohort.name} saved.")
        return redirect("programmes:cohort", cohort.pk)
    context = {"form": form, "cohort": cohort, "name": name, "meanwhile": done.meanwhile}
    return render(request, "programmes/cohort_form.html", context)


@require_safe  # a page to read: GET and HEAD only
@manager_or_lead_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("template", "owner"), pk=pk)
    today = timezone.localdate()
    context = {
        "cohort": cohort,
        # Lazy: the page's block is kept until the next write ({% kept %}); read from the cache, no query.
        "rows": SimpleLazyObject(lambda: cohort_rows(cohort=cohort, today=today)),
        "today": today,
        "can_manage": is_manager(request.user),
    }
    return render(request, "programmes/cohort_detail.html", context)
