"""The managers' Reminders page: what was sent, to whom, when, and which failed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from core.access import manager_required

from ..forms import ReminderFilterForm
from ..models import Reminder, ReminderStatus
from ..selectors import reminder_counts, reminders_for_page
from ..services import reminder_retry as reminder_retry_service

PER_PAGE = 50


@require_safe  # a page to read: GET and HEAD only
@manager_required
def reminder_list(request: HttpRequest) -> HttpResponse:
    form = ReminderFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(reminders_for_page(status=status), PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "status": status, "page": page, "counts": reminder_counts()}
    return render(request, "coaching/reminders.html", context)


@require_POST
@manager_required
def reminder_retry(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = get_object_or_404(Reminder.objects.select_related("recipient"), pk=pk)
    recipient = reminder.recipient.get_full_name() or reminder.recipient.get_username()
    if reminder_retry_service(reminder=reminder):
        messages.success(request, f"The reminder to {recipient} will be sent again.")
    else:
        messages.info(request, f"The reminder to {recipient} is not marked as failed, so it was left as it is.")
    return redirect(reverse("coaching:reminders") + f"?status={ReminderStatus.FAILED}")
