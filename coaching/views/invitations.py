"""A person's own calendar invitations: on or off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.access import coach_or_manager_required

from ..forms.invitations import InvitationPreferenceForm
from ..selectors.invitations import invitations_on_for
from ..services.invitations import invitation_preference_set


@require_http_methods(["GET", "HEAD", "POST"])
@coach_or_manager_required  # the people sessions are coached by; leads coach no one
def invitation_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = InvitationPreferenceForm(request.POST)
        if form.is_valid():
            on = form.cleaned_data["send_invitations"]
            invitation_preference_set(user=request.user, send_invitations=on)
            messages.success(request, "Calendar invitations turned on." if on else "Calendar invitations turned off.")
            return redirect("coaching:invitations")
    else:
        form = InvitationPreferenceForm(initial={"send_invitations": invitations_on_for(request.user)})
    return render(request, "coaching/invitations.html", {"form": form, "email": request.user.email})
