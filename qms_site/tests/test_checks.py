"""The site's system checks (qms_site.checks): qms.W001, a site address phones cannot reach."""

import pytest
from django.core import checks

from feedback.site_address import is_loopback_address


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://127.1.2.3", "http://localhost:8101", "http://app.localhost", "http://[::1]:8000"],
)
def test_loopback_site_address_is_warned_of_at_startup(settings, url):
    settings.SITE_URL = url
    warnings = [m for m in checks.run_checks() if m.id == "qms.W001"]
    assert len(warnings) == 1
    assert warnings[0].level == checks.WARNING
    assert url in warnings[0].msg
    assert warnings[0].hint.startswith("Set QMS_SITE_URL to the address staff and attendees use")


@pytest.mark.parametrize("url", ["https://qms.example.nhs.uk", "http://10.1.2.3:8000", "http://128.0.0.1", "not a url"])
def test_reachable_site_address_is_not_warned_of(settings, url):
    settings.SITE_URL = url
    assert [m for m in checks.run_checks() if m.id == "qms.W001"] == []


def test_loopback_rule():
    assert is_loopback_address("http://127.0.0.1:8000/feedback/x/") is True
    assert is_loopback_address("http://localhost.example.org") is False
    assert is_loopback_address("http://[::1") is False  # unreadable: not claimed to be loopback
