"""A person's own choice about calendar invitations."""

from __future__ import annotations

from django import forms


class InvitationPreferenceForm(forms.Form):
    send_invitations = forms.BooleanField(
        required=False,
        label="Email me calendar invitations for my coaching sessions",
        help_text="An invitation when slots are agreed, and an update when a session is moved or cancelled.",
    )
