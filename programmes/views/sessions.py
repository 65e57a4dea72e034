"""A session: its page, and recording it as held, cancelling it or moving its agreed time.

Each form carries the session's version; a save over someone else's newer one is refused and the
form comes back with what was typed, the latest saved values beside it (core.concurrency).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.access import can_change
from core.views import posted, submit
from programmes.access import get_session_for_user

from ..forms import SessionCancelForm, SessionHeldForm, SessionMoveForm
from ..models import Session
from ..selectors import session_changes, session_page_queryset
from ..services.scheduling import session_cancel, session_move, session_record_held
from ..signals import next_step_after_held

# What the page shows as saved now after a refused stale save, whichever form it was.
SAVED_NOW = ("held_on", "attendees", "notes", "agreed_start", "cancelled", "cancelled_reason")


@require_safe  # a page to read: GET and HEAD only
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
        "can_write": can_change(request.user, session.enrolment.coach_id),
    }
    return render(request, "programmes/session_detail.html", context)


def _form_page(
    request: HttpRequest, session: Session, form_class, initial: dict, save, template: str, form_kwargs=None
):
    """A session's form through its service, save(cleaned_data): returns what submit() did, and the
    page to show unless it saved. form_kwargs: more arguments for the form."""
    form = form_class(posted(request), initial={"version": session.version, **initial}, **(form_kwargs or {}))
    done = submit(request, form, save, latest=lambda: Session.objects.get(pk=session.pk), also=SAVED_NOW)
    context = {"session": session, "enrolment": session.enrolment, "form": form, "meanwhile": done.meanwhile}
    return done, None if done.saved else render(request, template, context)


def _expected_day(session: Session) -> dt.date:
    if session.agreed_start is not None:
        return timezone.localdate(session.agreed_start)
    return max(session.due_date, session.enrolment.session1_date)


@login_required
def session_held(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, write=True, queryset=session_page_queryset())
    today = timezone.localdate()
    initial = {
        # Its agreed day if it has one, else its due date; never a day still to come.
        "held_on": session.held_on or min(today, _expected_day(session)),
        "attendees": session.attendees,
        "notes": session.notes,
    }
    done, page = _form_page(
        request,
        session,
        SessionHeldForm,
        initial,
        lambda data: session_record_held(session=session, today=today, **data),
        "programmes/session_held.html",
    )
    return _after_held(request, session) if done.saved else page


def _after_held(request: HttpRequest, session: Session) -> HttpResponse:
    for _receiver, step in next_step_after_held.send(sender=Session, session=session, request=request):
        if step:
            url, message = step
            messages.success(request, message)
            return redirect(url)
    # The session's page, whose first buttons are the coach's next steps: the checklist, the feedback link.
    messages.success(request, f"Session {session.number} is recorded as held on {session.held_on:%a %-d %b %Y}.")
    return redirect("programmes:session", session.pk)


@login_required
def session_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, write=True, queryset=session_page_queryset())
    done, page = _form_page(
        request,
        session,
        SessionCancelForm,
        {"reason": session.cancelled_reason},
        lambda data: session_cancel(session=session, **data),
        "programmes/session_cancel.html",
    )
    if not done.saved:
        return page
    messages.success(request, f"Session {session.number} is cancelled.")
    return redirect("programmes:enrolment", session.enrolment_id)


@login_required
def session_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request, pk, write=True, queryset=session_page_queryset())
    done, page = _form_page(
        request,
        session,
        SessionMoveForm,
        {"to_start": session.agreed_start},
        lambda data: session_move(
            session=session,
            user=request.user,
            version=data["version"],
            to_start=data["to_start"],
            reason=data["reason"],
            clash_override_reason=data["clash_override_reason"],
        ),
        "programmes/session_move.html",
        form_kwargs={"session": session},
    )
    if not done.saved:
        return page
    when = timezone.localtime(done.result.to_start)
    kept = " The clashes are overridden, with your reason." if done.result.clash_override_reason else ""
    messages.success(request, f"Session {session.number} is now on {when:%a %-d %b %Y, %H:%M}.{kept}")
    return redirect("programmes:enrolment", session.enrolment_id)
