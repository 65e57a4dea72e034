"""Whether phones can reach the site address the feedback link and QR poster print (settings.SITE_URL).

One rule for the startup warning (qms_site.checks, qms.W001) and the note staff see beside the
link: a loopback address (127.0.0.0/8, ::1, localhost) works only on the computer serving the site.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

SETTING = "QMS_SITE_URL"


def is_loopback_address(url: str) -> bool:
    """True when the address's host is this computer only: localhost (and its subdomains), an IPv4
    address in 127.0.0.0/8, or ::1. An address that cannot be read counts as not loopback."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_and_port(url: str) -> str:
    """host:port of an address, with the scheme's default port made explicit (http -> 80)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{(parts.hostname or '').lower()}:{port}"


@dataclass(frozen=True)
class SiteAddressNote:
    """What staff are told about the printed address, for feedback/_site_address_note.html."""

    site_url: str
    loopback: bool  # phones cannot reach it
    request_address: str  # this page's own scheme://host:port, when it differs from site_url; else ""


def site_address_note(request: HttpRequest) -> SiteAddressNote | None:
    """None when the printed address looks right: not loopback, and the same host and port as the
    page being read. No query."""
    site_url = settings.SITE_URL
    loopback = is_loopback_address(site_url)
    here = f"{request.scheme}://{request.get_host()}"
    differs = _host_and_port(here) != _host_and_port(site_url)
    if not loopback and not differs:
        return None
    return SiteAddressNote(site_url=site_url, loopback=loopback, request_address=here if differs else "")
