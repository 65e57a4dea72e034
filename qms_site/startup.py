"""Checks made when the web app starts (WSGI, ASGI, runserver), not for offline commands."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NO_KEY_MESSAGE = (
    "DJANGO_SECRET_KEY is not set. Set it to a long random value, or set DJANGO_DEBUG=1 for local development."
)


def require_secret_key() -> None:
    try:
        key = settings.SECRET_KEY  # Django itself refuses to read an empty key
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise ImproperlyConfigured(NO_KEY_MESSAGE)
