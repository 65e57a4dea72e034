"""A session: its page, and recording it as held, cancelling it or moving its agreed time.

Each form carries the session's version; a save over someone else's newer one is refused and the
form comes back with what was typed, the latest saved values beside it (StaleEdit).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from coaching.models import CoachingAgreement

from ..access import get_session_for_user
from ..forms import SessionCancelForm, SessionHeldForm, SessionMoveForm
from ..models import EnrolmentStatus, Session
from ..selectors import session_changes, session_page_queryset
from ..services.scheduling import StaleEdit, session_cancel, session_move, session_record_held
from .common import add_service_errors, data_with
from .hooks import may_change, session_feedback


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, queryset=session_page_queryset())
    today = timezone.localdate()
    context = {
        "session": session,
        "enrolment": session.enrolment,
        "status": session.status(today),
        "today": today,
        "changes": session_changes(session=session),
        "can_write": may_change(request.user, session.enrolment),
        "feedback": session_feedback(session=session, user=request.user),
    }
    return render(request, "programmes/session_detail.html", context)


def _form_page(request, session: Session, form, template: str, latest: Session | None = None) -> HttpResponse:
    return render(
        request,
        template,
        {"session": session, "enrolment": session.enrolment, "form": form, "latest": latest},
    )


def _refused_as_stale(form_class, form, exc: StaleEdit, session: Session):
    """The form again with what was typed and the version now saved, and the newest values."""
    latest = Session.objects.select_related("plan").get(pk=session.pk)
    again = form_class(data_with(form, version=latest.version))
    again.is_valid()
    again.add_error(None, exc)
    return again, latest


@login_required
def session_held(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, write=True, queryset=session_page_queryset())
    today = timezone.localdate()
    latest = None
    if request.method == "POST":
        form = SessionHeldForm(request.POST)
        if form.is_valid():
            try:
                session_record_held(session=session, today=today, **form.cleaned_data)
            except StaleEdit as exc:
                form, latest = _refused_as_stale(SessionHeldForm, form, exc, session)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _after_held(request, session)
    else:
        form = SessionHeldForm(
            initial={
                "version": session.version,
                "held_on": session.held_on or min(today, max(session.due_date, session.enrolment.session1_date)),
                "attendees": session.attendees,
                "notes": session.notes,
            }
        )
    return _form_page(request, session, form, "programmes/session_held.html", latest)


def _after_held(request: HttpRequest, session: Session) -> HttpResponse:
    enrolment = session.enrolment
    current = enrolment.status in (EnrolmentStatus.PLANNED, EnrolmentStatus.ACTIVE)
    if session.number == 1 and current and not CoachingAgreement.objects.filter(enrolment=enrolment).exists():
        messages.success(
            request,
            "Session 1 is recorded as held. Now agree the coaching slots with the team: choose the meeting "
            "they already hold, untick any dates that will not work, and confirm.",
        )
        return redirect("coaching:agreement", enrolment.pk)
    messages.success(request, f"Session {session.number} is recorded as held on {session.held_on:%a %-d %b %Y}.")
    return redirect("programmes:enrolment", enrolment.pk)


@login_required
def session_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, write=True, queryset=session_page_queryset())
    latest = None
    if request.method == "POST":
        form = SessionCancelForm(request.POST)
        if form.is_valid():
            try:
                session_cancel(session=session, **form.cleaned_data)
            except StaleEdit as exc:
                form, latest = _refused_as_stale(SessionCancelForm, form, exc, session)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Session {session.number} is cancelled.")
                return redirect("programmes:enrolment", session.enrolment_id)
    else:
        form = SessionCancelForm(initial={"version": session.version, "reason": session.cancelled_reason})
    return _form_page(request, session, form, "programmes/session_cancel.html", latest)


@login_required
def session_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, write=True, queryset=session_page_queryset())
    latest = None
    if request.method == "POST":
        form = SessionMoveForm(request.POST)
        if form.is_valid():
            try:
                change = session_move(session=session, user=request.user, **form.cleaned_data)
            except StaleEdit as exc:
                form, latest = _refused_as_stale(SessionMoveForm, form, exc, session)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                when = timezone.localtime(change.to_start)
                messages.success(request, f"Session {session.number} is now on {when:%a %-d %b %Y, %H:%M}.")
                return redirect("programmes:enrolment", session.enrolment_id)
    else:
        form = SessionMoveForm(initial={"version": session.version, "to_start": session.agreed_start})
    return _form_page(request, session, form, "programmes/session_move.html", latest)
