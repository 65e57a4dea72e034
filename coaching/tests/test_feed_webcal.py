"""The calendar feed panel's one-click subscribe link: the feed's address as webcal://, on My teams
(the coach's feed) and on the team page (the team's), with the Outlook instructions beside it."""

import pytest
from django.test import override_settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML

from coaching.models import CalendarFeed
from coaching.templatetags.coaching_panels import webcal_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "webcal"),
    [
        (
            "https://qms.example.nhs.uk/coaching/calendar/abc.ics",
            "webcal://qms.example.nhs.uk/coaching/calendar/abc.ics",
        ),
        ("http://testserver/coaching/calendar/abc.ics", "webcal://testserver/coaching/calendar/abc.ics"),
    ],
)
def test_webcal_url_replaces_the_scheme_only(address, webcal):
    assert webcal_url(address) == webcal


def assert_subscribe_link(response, token: str, host: str = "testserver") -> None:
    html = response.content.decode()
    path = f"{host}/coaching/calendar/{token}.ics"
    scheme = "http" if host == "testserver" else "https"
    assertInHTML(f'<a class="btn btn-primary btn-sm" href="webcal://{path}">Subscribe in Outlook</a>', html)
    assertInHTML(f'<a href="{scheme}://{path}">download the calendar file (.ics)</a>', html)
    assertContains(response, "<em>Add calendar</em>, then <em>Subscribe from web</em>")
    assertContains(response, "<em>Add calendar</em>, then <em>From Internet</em>")
    assertContains(response, "Outlook refreshes a subscribed calendar only every few hours")


def test_my_teams_offers_the_coachs_feed_as_a_webcal_link(client, personas):
    client.force_login(personas.coach)
    response = client.get(reverse("coaching:my_teams"))
    assert_subscribe_link(response, CalendarFeed.objects.get(coach=personas.coach).token)


def test_team_page_offers_the_teams_feed_as_a_webcal_link(client, personas):
    team = personas.enrolment.team
    client.force_login(personas.coach)
    response = client.get(reverse("programmes:team", args=[team.pk]))
    assert_subscribe_link(response, CalendarFeed.objects.get(team=team).token)


@override_settings(ALLOWED_HOSTS=["qms.example.nhs.uk"])
def test_webcal_link_behind_https_keeps_the_host(client, personas):
    client.force_login(personas.coach)
    response = client.get(reverse("coaching:my_teams"), secure=True, HTTP_HOST="qms.example.nhs.uk")
    assert_subscribe_link(response, CalendarFeed.objects.get(coach=personas.coach).token, host="qms.example.nhs.uk")
