"""/oidc/: sign-in with the Trust's accounts (core.oidc). Both answer 404 unless QMS_OIDC_ISSUER is set.
The callback's address is the redirect URI registered with the provider (README)."""

from django.urls import path

from . import oidc

app_name = "oidc"
urlpatterns = [
    path("authenticate/", oidc.SignInView.as_view(), name="authenticate"),
    path("callback/", oidc.CallbackView.as_view(), name="callback"),
]
