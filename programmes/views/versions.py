"""Programme versions: everyone with a role reads them; managers draft, edit and publish."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import manager_required, staff_role_required
from core.concurrency import StaleEdit
from core.roles import is_manager
from core.views import posted, submit

from ..forms import PlanFormSet, RevisionForm, VersionDraftForm, VersionNotesForm, plan_initial
from ..models import ProgrammeTemplate
from ..selectors import (
    TARGET_DEADLINE,
    TARGET_LABEL,
    pdsa_cycles_for_version,
    programme_version,
    programme_versions,
    published_versions,
)
from ..services import (
    programme_version_delete,
    programme_version_draft,
    programme_version_publish,
    programme_version_update,
)


def _list_page(request: HttpRequest, draft_form: VersionDraftForm | None = None, status: int = 200) -> HttpResponse:
    programmes = programme_versions(today=timezone.localdate())
    if draft_form is None and is_manager(request.user):
        current = next((p.current for p in programmes if p.current is not None), None)
        draft_form = VersionDraftForm(sources=published_versions(), initial={"source": current})
    context = {
        "programmes": programmes,
        "draft_form": draft_form,
        "target_label": TARGET_LABEL,
        "target_deadline": TARGET_DEADLINE,
    }
    return render(request, "programmes/versions.html", context, status=status)


@staff_role_required
@require_GET
def version_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


@manager_required
@require_POST
def version_draft(request: HttpRequest) -> HttpResponse:
    form = VersionDraftForm(request.POST, sources=published_versions())
    done = submit(request, form, lambda data: programme_version_draft(source=data["source"], version=data["version"]))
    if done.saved:
        draft = done.result
        messages.success(
            request, f"Version {draft.version} drafted from version {form.cleaned_data['source'].version}."
        )
        return redirect("programmes:version_detail", pk=draft.pk)
    return _list_page(request, form)


@staff_role_required
@require_GET
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get_version(pk)
    context = {
        "template": template,
        "cycles": pdsa_cycles_for_version(template),
    }
    return render(request, "programmes/versions_detail.html", context)


def _get_version(pk: int) -> ProgrammeTemplate:
    try:
        return programme_version(pk=pk)
    except ProgrammeTemplate.DoesNotExist as exc:
        raise Http404("No such programme version.") from exc


@manager_required
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get_version(pk)
    if template.is_published:
        messages.error(
            request, f"Version {template.version} is published, so it cannot be changed. Draft a new version."
        )
        return redirect("programmes:version_detail", pk=template.pk)
    notes_form = VersionNotesForm(posted(request), initial={"notes": template.notes, "revision": template.revision})
    formset = PlanFormSet(posted(request), initial=plan_initial(template))
    done = submit(
        request,
        notes_form,
        lambda data: programme_version_update(
            template=template, revision=data["revision"], notes=data["notes"], plans=formset.rows()
        ),
        formset=formset,
        latest=lambda: _get_version(pk),  # the page shows the latest plan itself
    )
    if done.saved:
        messages.success(request, f"Session plan of version {template.version} saved.")
        return redirect("programmes:version_detail", pk=template.pk)
    return render(
        request,
        "programmes/template_edit.html",
        {"template": template, "notes_form": notes_form, "formset": formset, "latest": done.latest},
    )


def _draft_action(request: HttpRequest, pk: int, act, verb: str) -> ProgrammeTemplate | None:
    """A button on a draft's page: act(template, revision) with the revision the page showed.
    Returns the template once done; else says why (changed meanwhile, or the service's reason)."""
    template = get_object_or_404(ProgrammeTemplate, pk=pk)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The page was out of date: reload it and try again.")
        return None

    def say_changed(error: StaleEdit) -> None:
        messages.error(
            request,
            f"Version {template.version} changed after you opened this page, so it has not been {verb}. "
            "Check it below, then try again.",
        )

    done = submit(request, form, lambda data: act(template, data["revision"]), on_stale=say_changed)
    if done.saved:
        return template
    if not done.stale:  # the service's reason, which add_service_errors put on the form
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return None


@manager_required
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    def publish(template, revision):
        programme_version_publish(template=template, revision=revision, today=timezone.localdate())

    template = _draft_action(request, pk, publish, "published")
    if template is not None:
        messages.success(request, f"Version {template.version} published: new cohorts can follow it.")
    return redirect("programmes:version_detail", pk=pk)


@manager_required
@require_POST
def version_delete(request: HttpRequest, pk: int) -> HttpResponse:
    def delete(template, revision):
        programme_version_delete(template=template, revision=revision)

    template = _draft_action(request, pk, delete, "deleted")
    if template is None:
        return redirect("programmes:version_detail", pk=pk)
    messages.success(request, f"Draft version {template.version} deleted.")
    return redirect("programmes:versions")
