"""The managers' Reminders page: what was sent, to whom, when, and which failed. Reminders go out in
digests (one email per person per day, a weekly one per improvement manager): a failed reminder is
one whose digest failed, and sending it again sends that digest, with every reminder it carries."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core.access import manager_required

from ..forms import ReminderFilterForm
from ..models import Digest, Invitation, Reminder, ReminderStatus
from ..selectors import failed_digests, reminder_counts, reminders_for_page
from ..selectors.invitations import failed_invitations
from ..services import digest_retry as digest_retry_service
from ..services import reminder_retry as reminder_retry_service
from ..services.invitations import invitation_retry as invitation_retry_service

PER_PAGE = 50


@require_safe  # a page to read: GET and HEAD only
@manager_required
def reminder_list(request: HttpRequest) -> HttpResponse:
    form = ReminderFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(reminders_for_page(status=status), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "status": status,
        "page": page,
        "counts": reminder_counts(),
        "failed_digests": failed_digests(),
        "failed_invitations": failed_invitations(now=timezone.now()),
    }
    return render(request, "coaching/reminders.html", context)


def _retried(request: HttpRequest, *, queued: bool, what: str) -> HttpResponse:
    """After a manager's "Send again": says what happened, back to the failed ones."""
    if queued:
        messages.success(request, f"The {what} will be sent again.")
    else:
        messages.info(request, f"The {what} is not marked as failed, so it was left as it is.")
    return redirect(reverse("coaching:reminders") + f"?status={ReminderStatus.FAILED}")


@require_POST
@manager_required
def reminder_retry(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = get_object_or_404(Reminder.objects.select_related("recipient", "digest"), pk=pk)
    if reminder.digest is not None and reminder.status != ReminderStatus.SENT:
        return _retry_digest(request, reminder.digest)
    recipient = reminder.recipient.get_full_name() or reminder.recipient.get_username()
    return _retried(request, queued=reminder_retry_service(reminder=reminder), what=f"reminder to {recipient}")


@require_POST
@manager_required
def digest_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _retry_digest(request, get_object_or_404(Digest.objects.select_related("recipient"), pk=pk))


def _retry_digest(request: HttpRequest, digest: Digest) -> HttpResponse:
    recipient = digest.recipient.get_full_name() or digest.recipient.get_username()
    what = f"{digest.get_kind_display().lower()} email of {digest.period:%-d %b %Y} to {recipient}"
    return _retried(request, queued=digest_retry_service(digest=digest), what=what)


@require_POST
@manager_required
def invitation_retry(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("session__enrolment__team"), pk=pk)
    what = f"calendar invitation to {invitation.email} for {invitation.session.enrolment.team.name}"
    return _retried(request, queued=invitation_retry_service(invitation=invitation), what=what)
