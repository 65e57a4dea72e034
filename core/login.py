"""The login page: Django's LoginView with a "Keep me signed in on this device" choice
(core.sessions.session_remember says what it means). Failed logins are counted by django-axes.

With sign-in through the Trust's accounts configured (core.oidc), the page offers it first, and
QMS_LOCAL_LOGIN=0 keeps the password form for the break-glass accounts of QMS_LOCAL_LOGIN_USERS
only. Logging out of such a sign-in ends the provider's session too, where it can."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseRedirect

from . import oidc
from .security import security_event
from .sessions import idle_words, session_remember


def local_login_allowed(username: str) -> bool:
    """Whether this username may use the password form: anyone unless QMS_LOCAL_LOGIN is off, then
    only the break-glass accounts (exactly as typed: usernames are case-sensitive)."""
    return settings.QMS_LOCAL_LOGIN or username in settings.QMS_LOCAL_LOGIN_USERS


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "local_login_off": f"Password login is turned off for this account. Use “{oidc.BUTTON_LABEL}” instead.",
    }

    remember = forms.BooleanField(
        required=False,
        label="Keep me signed in on this device",
        help_text="",  # set in __init__ from the settings
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["remember"].help_text = (
            f"Only on a computer or phone that is yours: you stay signed in for up to "
            f"{settings.QMS_SESSION_REMEMBER_DAYS} days after closing the browser. Unticked, closing the browser "
            f"signs you out. Either way, {idle_words()} without using QMS Coach signs you out."
        )

    def clean(self):
        # Before the password is checked, so that django-axes counts nothing: no password was tried.
        username = self.cleaned_data.get("username")
        if username and not local_login_allowed(username):
            security_event("login_refused", self.request, username=username, reason="local_login_off")
            raise forms.ValidationError(self.error_messages["local_login_off"], code="local_login_off")
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        """The safe `next` address, but never the login page itself: a signed-in person sent back
        to it would loop (Django raises ValueError there), so they go to the home page instead."""
        url = super().get_redirect_url()
        return "" if url and urlsplit(url).path == self.request.path else url

    def form_valid(self, form):
        response = super().form_valid(form)
        session_remember(self.request, remember=form.cleaned_data["remember"])
        return response

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "trust_sign_in": oidc.oidc_enabled(),
            "trust_sign_in_label": oidc.BUTTON_LABEL,
            "local_login": settings.QMS_LOCAL_LOGIN,
        }


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView; after a sign-in through the Trust's account, on to the provider's
    end-session page, which sends the person back to the login page."""

    def post(self, request, *args, **kwargs):
        provider_logout = oidc.provider_logout_url(request)  # reads the ID token before the flush
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_logout) if provider_logout else response
