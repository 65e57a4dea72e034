"""safe_next(): a button's `next` is followed only to a page of this site."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from core.views import safe_next

BACK = "/programmes/sessions/4/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/feedback/session/4/", "/feedback/session/4/"),
        ("/programmes/enrolments/2/?tab=sessions#s4", "/programmes/enrolments/2/?tab=sessions#s4"),
        ("http://testserver/programmes/teams/", "http://testserver/programmes/teams/"),
        ("", BACK),
        ("oops", BACK),  # a relative address, or a view name redirect() would try to reverse
        ("home", BACK),
        ("feedback:session", BACK),
        ("../admin/", BACK),
        ("//evil.example/", BACK),
        ("https://evil.example/programmes/", BACK),
        ("http://testserver.evil.example/", BACK),
        ("/\\evil.example/", BACK),
        ("\\\\evil.example/", BACK),
        ("javascript:alert(1)", BACK),
        ("http:oops", BACK),
        ("\x01/programmes/", BACK),
    ],
)
def test_next_is_followed_only_to_a_page_of_this_site(target, expected):
    assert safe_next(RequestFactory().post("/x/", {"next": target}), BACK) == expected


def test_next_in_the_address_counts_when_nothing_is_posted():
    assert safe_next(RequestFactory().get("/x/", {"next": "/programmes/teams/"}), BACK) == "/programmes/teams/"
    assert safe_next(RequestFactory().get("/x/"), BACK) == BACK


def test_on_https_an_http_address_of_this_site_is_not_followed():
    factory = RequestFactory()
    plain = factory.post("/x/", {"next": "http://testserver/programmes/"}, secure=True)
    assert safe_next(plain, BACK) == BACK
    secure = factory.post("/x/", {"next": "https://testserver/programmes/"}, secure=True)
    assert safe_next(secure, BACK) == "https://testserver/programmes/"


@pytest.mark.django_db
def test_login_page_with_next_pointing_at_itself_sends_a_signed_in_person_home(client):
    client.force_login(User.objects.create_user("cara"))
    response = client.get("/accounts/login/?next=/accounts/login/")
    assert (response.status_code, response["Location"]) == (302, "/")
