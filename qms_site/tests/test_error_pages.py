"""Friendly error pages with debug off: plain words and a way home."""

import pytest

from tests import factories


@pytest.mark.django_db
def test_not_found_page_is_friendly(client, settings):
    settings.DEBUG = False
    client.force_login(factories.CoachFactory())
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert '<h1 class="h2">Page not found</h1>' in response.content.decode()


@pytest.mark.django_db
def test_forbidden_page_says_why(client, settings):
    settings.DEBUG = False
    lead = factories.LeadFactory()
    client.force_login(lead)
    response = client.get("/checklists/tools/")
    assert response.status_code == 403
    assert "Only improvement managers can do this." in response.content.decode()


def test_server_error_page_needs_no_database_or_context():
    from django.template.loader import get_template

    html = get_template("500.html").render()
    assert "Nothing you saved earlier has been lost." in html
