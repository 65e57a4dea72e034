"""Feedback pages: the public form (no login), a session's feedback for its coach and managers,
the figures for everyone with a role, the content change log and the CSV export; and the huddle
check-in from a team's improvement board (no login) with the board sheet for its coach and managers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import manager_required, staff_role_required
from core.exports import csv_response
from core.forms import ids_from
from core.roles import is_manager
from core.views import posted, safe_next, submit
from programmes.access import get_session_for_user, get_team_for_user
from programmes.models import Team

from .forms import ContentChangeForm, FeedbackForm, HuddleCheckInForm, ResponseFilterForm
from .guards import has_answered, mark_answered, rate_limit_hit, rate_limit_retry_after
from .models import ContentChange
from .selectors import (
    EXPORT_HEADER,
    can_manage_huddle_board,
    cohorts_with_comments,
    content_changes,
    feedback_export_rows,
    feedback_report,
    huddle_recorded_on,
    huddle_sheet,
    min_group,
    public_huddle_board,
    public_link,
    responses_to_link,
    session_feedback_panel,
    session_responses,
)
from .services import (
    content_change_create,
    content_change_update,
    feedback_link_close,
    feedback_link_open,
    feedback_response_create,
    feedback_shared_device_set,
    huddle_board_for_team,
    huddle_check_in_record,
    huddle_token_reset,
)
from .site_address import site_address_note

# --- The public form: no login ---------------------------------------------------------------


def _rate_limited(request: HttpRequest, template: str, context: dict, *, now) -> HttpResponse:
    """A public form posted too often: 429, the page saying so (with what was typed), and when to try again."""
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(rate_limit_retry_after(now))
    return response


@never_cache  # each rendering carries its own one-time token, and a shared device must not show the last answers
@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest, token: str) -> HttpResponse:
    link = public_link(token=token)
    if link is None:
        return render(request, "feedback/unknown.html", status=404)
    now = timezone.now()
    shared = link.shared_device_on(now)
    context = {"link": link, "session": link.session, "shared_device": shared}
    if not link.is_open:
        return render(request, "feedback/closed.html", context, status=410)
    if not shared and has_answered(request, link):
        return render(request, "feedback/answered.html", context, status=409 if request.method == "POST" else 200)
    if request.method == "GET":
        return render(request, "feedback/form.html", {**context, "form": FeedbackForm(link=link)})

    form = FeedbackForm(request.POST, link=link)
    if rate_limit_hit(link, now=now):
        return _rate_limited(request, "feedback/rate_limited.html", {**context, "form": form}, now=now)
    if not form.is_valid():
        return render(request, "feedback/form.html", {**context, "form": form})
    done = submit(
        request,
        form,
        lambda data: feedback_response_create(
            link=link,
            could_improve=data["could_improve"],
            rating=data["rating"],
            what_worked=data["what_worked"],
            what_better=data["what_better"],
            today=timezone.localdate(now),
            form_token=data["form_token"],
        ),
    )
    if not done.saved:
        if form.has_error(NON_FIELD_ERRORS, code="already_sent"):  # a replay, or the second of two at once
            return render(request, "feedback/answered.html", context, status=409)
        # Closed between showing the form and sending it (the form checked everything else).
        return render(request, "feedback/closed.html", context, status=410)
    response = redirect("feedback:thanks", token=link.token)
    if not shared:  # a shared device is not "this device has answered": the next person is to use it
        mark_answered(response, link)
    return response


@require_GET
def feedback_thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = public_link(token=token)
    if link is None:
        return render(request, "feedback/unknown.html", status=404)
    context = {"link": link, "session": link.session, "shared_device": link.shared_device_on(timezone.now())}
    return render(request, "feedback/thanks.html", context)


# --- The huddle check-in from a team's board: no login -----------------------------------------


@never_cache  # each rendering carries its own one-time token
@require_http_methods(["GET", "POST"])
def huddle_check_in(request: HttpRequest, token: str) -> HttpResponse:
    """One tap: "Huddle held today". Keeps the London date and what was typed, nothing about who."""
    board = public_huddle_board(token=token)
    if board is None:  # never issued, or reset: a QR code printed before the reset lands here
        return render(request, "feedback/huddle_unknown.html", status=404)
    now = timezone.now()
    today = timezone.localdate(now)
    context = {"board": board, "team": board.team, "today": today}
    if request.method == "GET":
        context["recorded"] = huddle_recorded_on(team=board.team, day=today) is not None
        return render(request, "feedback/huddle_check_in.html", {**context, "form": HuddleCheckInForm(board=board)})

    form = HuddleCheckInForm(request.POST, board=board)
    if rate_limit_hit(board, now=now):
        return _rate_limited(request, "feedback/huddle_rate_limited.html", {**context, "form": form}, now=now)
    done = submit(
        request,
        form,
        lambda data: huddle_check_in_record(
            board=board, people=data["people"], note=data["note"], today=today, form_token=data["form_token"]
        ),
    )
    if not done.saved:
        if form.has_error(NON_FIELD_ERRORS, code="already_sent"):  # a replay, or a double tap
            return render(request, "feedback/huddle_recorded.html", {**context, "already": True}, status=409)
        return render(request, "feedback/huddle_check_in.html", {**context, "form": form})
    address = reverse("feedback:huddle_recorded", kwargs={"token": board.token})
    return HttpResponseRedirect(address if done.result.recorded else f"{address}?already=1")


@never_cache
@require_GET
def huddle_recorded(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation after a check-in; back to the check-in page if today's huddle is not recorded."""
    board = public_huddle_board(token=token)
    if board is None:
        return render(request, "feedback/huddle_unknown.html", status=404)
    today = timezone.localdate()
    if huddle_recorded_on(team=board.team, day=today) is None:  # opened the day after, or typed in
        return redirect("feedback:huddle", token=board.token)
    context = {"board": board, "team": board.team, "today": today, "already": request.GET.get("already") == "1"}
    return render(request, "feedback/huddle_recorded.html", context)


# --- A team's board sheet: its coaches and managers -------------------------------------------


def _team_for_huddle_board(request: HttpRequest, team_pk: int) -> Team:
    """The team if this user coaches one of its enrolments or is a manager: 404 for other coaches
    (programmes.access.get_team_for_user), 403 for leads. The sheet carries the check-in address, so
    it is for those who may change the team's records, as a session's feedback poster is."""
    team = get_team_for_user(request, team_pk)
    coach_ids = team.enrolments.values_list("coach_id", flat=True)
    if not can_manage_huddle_board(request.user, coach_ids=coach_ids):
        raise PermissionDenied("Education leads can read but not change programme records.")
    return team


@staff_role_required
@require_GET
def team_huddle_sheet(request: HttpRequest, team_pk: int) -> HttpResponse:
    team = _team_for_huddle_board(request, team_pk)
    board = huddle_board_for_team(team=team)
    context = {"sheet": huddle_sheet(team=team, board=board), "team": team, "site_note": site_address_note(request)}
    return render(request, "feedback/huddle_sheet.html", context)


@staff_role_required
@require_POST
def team_huddle_reset(request: HttpRequest, team_pk: int) -> HttpResponse:
    team = _team_for_huddle_board(request, team_pk)
    huddle_token_reset(team=team, now=timezone.now())
    messages.success(
        request,
        f"New check-in code made for {team.name}: sheets printed before no longer work. Print this one and "
        "put it on the board.",
    )
    return redirect("feedback:huddle_sheet", team_pk=team.pk)


# --- A session's feedback: its coach and managers --------------------------------------------


def _session_for_feedback(request: HttpRequest, session_pk: int):
    """The session if this user coaches it or is a manager: 404 for other coaches, 403 for leads.

    write=True is the access rule for "coach of this session or manager", which is who manages
    a session's feedback link and reads its comments.
    """
    return get_session_for_user(request, session_pk, write=True)


@staff_role_required
@require_GET
def session_feedback(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = _session_for_feedback(request, session_pk)
    panel = session_feedback_panel(session=session, user=request.user)
    responses = list(session_responses(session=session)) if panel.link else []
    return render(
        request,
        "feedback/session.html",
        {
            "session": session,
            "panel": panel,
            "responses": responses,
            "today": timezone.localdate(),
            "site_note": site_address_note(request),
        },
    )


def _back(request: HttpRequest, session_pk: int) -> HttpResponseRedirect:
    """Back to the page the button was on (the session page or ours), never off this site."""
    return HttpResponseRedirect(safe_next(request, reverse("feedback:session", kwargs={"session_pk": session_pk})))


def _link_button(request: HttpRequest, session_pk: int, service, done: str) -> HttpResponse:
    """The open and close buttons: service(session=...), then `done` (with {number}) or the reason it could not."""
    session = _session_for_feedback(request, session_pk)
    try:
        service(session=session)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done.format(number=session.number))
    return _back(request, session.pk)


@staff_role_required
@require_POST
def session_feedback_open(request: HttpRequest, session_pk: int) -> HttpResponse:
    return _link_button(
        request, session_pk, feedback_link_open, "Feedback for session {number} is open: attendees can answer now."
    )


@staff_role_required
@require_POST
def session_feedback_close(request: HttpRequest, session_pk: int) -> HttpResponse:
    return _link_button(
        request,
        session_pk,
        feedback_link_close,
        "Feedback for session {number} is closed: the form takes no more answers.",
    )


SHARED_DEVICE_VALUES = {"on": True, "off": False}


@staff_role_required
@require_POST
def session_feedback_shared_device(request: HttpRequest, session_pk: int) -> HttpResponse:
    """Turns a session's shared device on (shared_device=on) or off: its coach and managers only.

    Back to `next` when it is a page of this site (core.views.safe_next), else to the session's page.
    """
    session = _session_for_feedback(request, session_pk)
    on = SHARED_DEVICE_VALUES.get(request.POST.get("shared_device", ""))
    if on is None:
        messages.error(request, "Choose whether to turn the shared device on or off.")
    else:
        try:
            link = feedback_shared_device_set(session=session, on=on, now=timezone.now())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if on:
                until = time_format(timezone.localtime(link.shared_device_until), "H:i")
                messages.success(
                    request,
                    f"Shared device on for session {session.number} until {until}: after each answer the "
                    "form offers the next person a fresh form.",
                )
            else:
                messages.success(request, f"Shared device off for session {session.number}.")
    return HttpResponseRedirect(safe_next(request, reverse("programmes:session", kwargs={"pk": session.pk})))


@staff_role_required
@require_GET
def session_feedback_poster(request: HttpRequest, session_pk: int) -> HttpResponse:
    session = _session_for_feedback(request, session_pk)
    panel = session_feedback_panel(session=session, user=request.user)
    if panel.link is None:
        messages.error(request, "Open the feedback link first; the poster shows its QR code.")
        return redirect("feedback:session", session_pk=session.pk)
    context = {"session": session, "panel": panel, "site_note": site_address_note(request)}
    return render(request, "feedback/poster.html", context)


# --- Figures for everyone with a role ---------------------------------------------------------


@staff_role_required
@require_GET
def feedback_overview(request: HttpRequest) -> HttpResponse:
    report = feedback_report(user=request.user)
    return render(request, "feedback/overview.html", {"report": report, "min_group": min_group()})


# --- The content change log ---------------------------------------------------------------------


@staff_role_required
@require_GET
def change_log(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/changes.html",
        {"changes": content_changes(), "show_comments": is_manager(request.user)},
    )


_CHANGE_FIELDS = ["template", "section", "kind", "description", "made_on", "version"]


def _change_form_page(request: HttpRequest, change: ContentChange | None) -> HttpResponse:
    """The change form for a new (change=None) or existing change.

    "List comments" posts the form too, so that choosing another cohort keeps what was typed.
    """
    cohorts = cohorts_with_comments()
    cohort_list = list(cohorts)
    source = request.POST if request.method == "POST" else request.GET
    filter_form = ResponseFilterForm(source if "cohort" in source else None, cohorts=cohorts)
    if filter_form.is_bound:
        cohort = filter_form.cleaned_data["cohort"] if filter_form.is_valid() else None
    else:
        cohort = cohort_list[0] if cohort_list else None
    chosen = [r.pk for r in change.responses.all()] if change is not None else []
    chosen += ids_from(request.POST.getlist("responses"))  # the form's own field says what is wrong with the rest
    choices = responses_to_link(cohort_id=cohort.pk if cohort else None, include_ids=chosen)
    today = timezone.localdate()

    def page(form: ContentChangeForm, latest: ContentChange | None = None) -> HttpResponse:
        context = {"form": form, "cohorts": cohort_list, "change": change, "cohort": cohort, "latest": latest}
        return render(request, "feedback/change_form.html", context)

    if request.method == "POST" and "list" in request.POST:
        initial = {name: request.POST.get(name) for name in _CHANGE_FIELDS if name in request.POST}
        initial["responses"] = request.POST.getlist("responses")
        return page(ContentChangeForm(instance=change, initial=initial, response_choices=choices))

    initial = {} if change else {"made_on": today}
    form = ContentChangeForm(posted(request), instance=change, initial=initial, response_choices=choices)

    def save(data: dict) -> ContentChange:
        fields = {name: data[name] for name in ("template", "section", "kind", "description", "made_on")}
        if change is None:
            return content_change_create(made_by=request.user, responses=data["responses"], today=today, **fields)
        return content_change_update(
            change=change, version=data["version"] or 0, responses=data["responses"], today=today, **fields
        )

    def saved_now() -> ContentChange:
        return ContentChange.objects.select_related("template").get(pk=change.pk)

    # The page shows the latest version itself (done.latest), beside the form kept as typed.
    done = submit(request, form, save, latest=saved_now if change is not None else None)
    if done.saved:
        verb = "recorded" if change is None else "saved"
        messages.success(request, f"Change {verb}: {done.result.section}.")
        return redirect("feedback:changes")
    return page(form, done.latest)


@manager_required
@require_http_methods(["GET", "POST"])
def change_create(request: HttpRequest) -> HttpResponse:
    return _change_form_page(request, None)


@manager_required
@require_http_methods(["GET", "POST"])
def change_edit(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(ContentChange.objects.select_related("template"), pk=pk)
    return _change_form_page(request, change)


# --- CSV export (contract: /exports/feedback.csv) ---------------------------------------------


@staff_role_required
@require_GET
def feedback_csv(request: HttpRequest) -> HttpResponse:
    """One row per response; a coach gets their sessions, a lead what the pages show a lead."""
    return csv_response("feedback.csv", EXPORT_HEADER, feedback_export_rows(user=request.user))
