"""Checklist pages: fill in and edit a session's checklist, its history, the printable blank, the
team's checklist summary, tool management for managers and the ratings CSV."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from core.access import can_change, manager_required, staff_role_required
from core.concurrency import StaleEdit, refuse_stale
from core.exports import csv_response
from core.views import posted, safe_next, submit
from programmes.access import get_enrolment_for_user, get_session_for_user
from programmes.models import Enrolment
from programmes.reference_data import HUDDLE_TOOL
from programmes.selectors.huddles import team_huddles

from .forms import ChecklistForm, ToolForm
from .models import Tool, UsageLevel
from .selectors import (
    RATINGS_CSV_HEADER,
    ConflictReport,
    checklist_conflict_report,
    checklist_form_data,
    checklist_history,
    ratings_export_rows,
    session_checklist,
    sessions_for_checklists,
    team_checklist_summary,
    tools_for_management,
)
from .services import checklist_save, tool_create, tool_update
from .sustainment import sustained_run_length


@staff_role_required
@require_http_methods(["GET", "POST"])
def checklist_edit(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = get_session_for_user(request, session_pk, write=True, queryset=sessions_for_checklists())
    context = {"session": session, "enrolment": session.enrolment}
    if session.held_on is None or session.cancelled:
        return render(request, "checklists/checklist_form.html", {**context, "not_held": True})
    data = checklist_form_data(session=session)
    form = ChecklistForm(posted(request), data_for_form=data)

    def show_conflict(error: StaleEdit) -> ConflictReport:
        """What the others saved, row by row, beside the answers kept, and the version saved now."""
        conflict = checklist_conflict_report(session=session, version=form.cleaned_data["version"])
        form.show_conflict(current_version=conflict.current_version, current=conflict.current)
        return conflict

    done = submit(
        request,
        form,
        lambda data: checklist_save(
            session=session,
            user=request.user,
            version=data["version"],
            ratings=form.ratings(),
            culture_note=data["culture_note"],
        ),
        on_stale=show_conflict,
    )
    if done.saved:
        messages.success(request, f"Checklist for session {session.number} saved.")
        summary = reverse("checklists:enrolment_summary", args=[session.enrolment_id])
        # Back where the button was (the session page, whose next step is then the feedback link).
        return HttpResponseRedirect(safe_next(request, f"{summary}#session-{session.pk}"))
    return render(
        request,
        "checklists/checklist_form.html",
        {
            **context,
            "form": form,
            "form_data": data,
            "conflict": done.meanwhile,
            "levels": UsageLevel.choices,
            # What the board recorded in the weeks to the session, beside the coach's huddle rating.
            "huddle_tool": HUDDLE_TOOL,
            "huddles": team_huddles(team_ids=[session.enrolment.team_id], today=session.held_on).get(
                session.enrolment.team_id
            ),
            "back": safe_next(request, reverse("checklists:enrolment_summary", args=[session.enrolment_id])),
        },
    )


@require_safe  # a page to read: GET and HEAD only
@staff_role_required
def checklist_history_view(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = get_session_for_user(request, session_pk, queryset=sessions_for_checklists())
    checklist = session_checklist(session)
    if checklist is None:
        raise Http404("This session has no checklist yet.")
    return render(
        request,
        "checklists/checklist_history.html",
        {
            "session": session,
            "enrolment": session.enrolment,
            "checklist": checklist,
            "saves": checklist_history(checklist=checklist),
            "can_fill": can_change(request.user, session.enrolment.coach_id),
        },
    )


@require_safe  # a page to read: GET and HEAD only
@staff_role_required
def checklist_print(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = get_session_for_user(request, session_pk, queryset=sessions_for_checklists())
    return render(
        request,
        "checklists/checklist_print.html",
        {
            "session": session,
            "enrolment": session.enrolment,
            "tools": list(Tool.objects.active()),
            "levels": UsageLevel.choices,
        },
    )


@require_safe  # a page to read: GET and HEAD only
@staff_role_required
def enrolment_summary(request: HttpRequest, enrolment_pk: int) -> HttpResponse:
    enrolment = get_enrolment_for_user(
        request, enrolment_pk, queryset=Enrolment.objects.select_related("team__site", "cohort__template", "coach")
    )
    summary = team_checklist_summary(enrolment=enrolment, run_length=sustained_run_length())
    return render(
        request,
        "checklists/enrolment_summary.html",
        {
            "enrolment": enrolment,
            "summary": summary,
            # Session status depends on the date in London, not on the server's clock.
            "timeline": summary.timeline(timezone.localdate()),
            "can_fill_checklists": can_change(request.user, enrolment.coach_id),
        },
    )


@require_safe  # a page to read: GET and HEAD only
@manager_required
def tool_list(request: HttpRequest) -> HttpResponse:
    return render(request, "checklists/tool_list.html", {"tools": list(tools_for_management())})


@manager_required
@require_http_methods(["GET", "POST"])
def tool_add(request: HttpRequest) -> HttpResponse:
    form = ToolForm(posted(request))
    done = submit(request, form, lambda data: tool_create(**_tool_fields(data), user=request.user))
    if done.saved:
        messages.success(request, f"{done.result.name} added to the checklist.")
        return redirect("checklists:tool_list")
    return render(request, "checklists/tool_form.html", {"form": form, "tool": None})


@manager_required
@require_http_methods(["GET", "POST"])
def tool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tool = get_object_or_404(tools_for_management(), pk=pk)
    form = ToolForm(posted(request), tool=tool, rated=tool.rating_count > 0)

    def show_saved_now(error: StaleEdit) -> Tool:
        conflict = Tool.objects.get(pk=tool.pk)
        refuse_stale(form, conflict)  # the page says what is saved now itself
        return conflict

    done = submit(
        request,
        form,
        lambda data: tool_update(tool=tool, version=data["version"], **_tool_fields(data), user=request.user),
        on_stale=show_saved_now,
    )
    if done.saved:
        messages.success(request, f"{done.result.name} saved.")
        return redirect("checklists:tool_list")
    return render(request, "checklists/tool_form.html", {"form": form, "tool": tool, "conflict": done.meanwhile})


def _tool_fields(data: dict) -> dict:
    return {name: data[name] for name in ("name", "order", "description", "active")}


@require_safe  # a page to read: GET and HEAD only
@staff_role_required
def ratings_csv(request: HttpRequest) -> HttpResponse:
    """One row per rating the user may see (a coach: only their own teams'), streamed."""
    return csv_response("ratings.csv", RATINGS_CSV_HEADER, ratings_export_rows(user=request.user))
