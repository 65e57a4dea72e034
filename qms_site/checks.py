"""System checks of the site's own settings, registered in qms_site.apps (run at startup:
runserver, migrate and every other management command; `manage.py check`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

from feedback.site_address import SETTING, is_loopback_address


@register()
def site_url_reachable(app_configs=None, **kwargs) -> list[Warning]:
    """qms.W001: the feedback link and QR poster print settings.SITE_URL, and a loopback address
    there reaches only this computer. Warned with debug on too: `make run` on a laptop is where a
    coach first shows the poster to a room of phones. Silence it with SILENCED_SYSTEM_CHECKS."""
    if not is_loopback_address(settings.SITE_URL):
        return []
    return [
        Warning(
            f"The site address {settings.SITE_URL} is a loopback address: the feedback links, QR posters and "
            "email links point at it, and phones cannot reach it.",
            hint=f"Set {SETTING} to the address staff and attendees use, e.g. https://qms.example.nhs.uk.",
            id="qms.W001",
        )
    ]
