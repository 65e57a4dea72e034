"""The login page: Django's LoginView with a "Keep me signed in on this device" choice
(core.sessions.session_remember says what it means). Failed logins are counted by django-axes."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

from .sessions import idle_words, session_remember


class LoginForm(AuthenticationForm):
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
