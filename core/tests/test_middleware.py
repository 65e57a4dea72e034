"""core.middleware and core.sessions: the idle timeout, "no-store" on signed-in pages, and a person's
sessions ended when they are deactivated or reactivated. Time is moved with time_machine."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory

from core.models import UserSession
from core.sessions import LAST_ACTIVITY_KEY, session_activity_record
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401
from tests import factories

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 11, 10, 9, 0, tzinfo=dt.UTC)
HOME = "/"


@pytest.fixture
def cara(db):
    return factories.CoachFactory(username="cara")


@pytest.fixture
def signed_in(client, cara, time_machine):
    time_machine.move_to(START, tick=False)
    client.force_login(cara)
    return client


def at(time_machine, **delta) -> None:
    time_machine.move_to(START + dt.timedelta(**delta), tick=False)


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Idle timeout ----------------------------------------------------------------------------------


def test_eight_hours_without_a_request_signs_out(signed_in, time_machine, caplog):
    caplog.set_level(logging.INFO)
    at(time_machine, hours=8, seconds=1)
    response = signed_in.get(HOME, follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "You were signed out after 8 hours without activity. Please log in again."
    ]
    assert not is_signed_in(signed_in)
    assert [r.getMessage() for r in caplog.records if r.name == "qms.security"] == [
        "logout user='cara' ip=127.0.0.1 path='/' reason=idle"
    ]


def test_each_request_starts_the_idle_clock_again(signed_in, time_machine):
    for hours in (7, 14, 21):  # a request every 7 hours: never 8 hours idle
        at(time_machine, hours=hours, minutes=59)
        assert signed_in.get(HOME).status_code == 200
    assert is_signed_in(signed_in)
    at(time_machine, hours=29, minutes=59, seconds=1)  # 8 hours after the last one
    assert signed_in.get(HOME).status_code == 302


def test_idle_timeout_applies_to_a_kept_session_too(client, cara, time_machine):
    at(time_machine)
    client.post("/accounts/login/", {"username": "cara", "password": factories.DEFAULT_PASSWORD, "remember": "on"})
    assert client.session.get_expire_at_browser_close() is False
    at(time_machine, hours=8, seconds=1)
    assert client.get(HOME).status_code == 302
    assert not is_signed_in(client)


def test_idle_limit_is_a_setting(signed_in, time_machine, settings):
    settings.QMS_SESSION_IDLE_MINUTES = 30
    at(time_machine, minutes=29)
    assert signed_in.get(HOME).status_code == 200
    at(time_machine, minutes=59, seconds=1)
    response = signed_in.get(HOME, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You were signed out after 30 minutes without activity. Please log in again."
    ]


def test_activity_is_written_at_most_once_a_minute(signed_in, cara, time_machine, django_assert_num_queries):
    row = UserSession.objects.get(user=cara)
    assert row.last_seen == START
    at(time_machine, seconds=59)
    # The session, the user, their groups, their enrolments, the home page's two alerts: nothing written.
    with django_assert_num_queries(6):
        assert signed_in.get(HOME).status_code == 200
    assert signed_in.session[LAST_ACTIVITY_KEY] == int(START.timestamp())
    at(time_machine, minutes=1)
    # 4 more: the index row's UPDATE, and the session's own UPDATE in a savepoint.
    with django_assert_num_queries(10):
        assert signed_in.get(HOME).status_code == 200
    assert signed_in.session[LAST_ACTIVITY_KEY] == int(START.timestamp()) + 60
    assert UserSession.objects.get(user=cara).last_seen == START + dt.timedelta(minutes=1)


def test_session_expiry_in_the_database_follows_activity_a_day_past_the_idle_limit(signed_in, time_machine):
    key = signed_in.session.session_key
    assert Session.objects.get(session_key=key).expire_date == START + dt.timedelta(hours=8 + 24)
    at(time_machine, hours=3)
    signed_in.get(HOME)
    assert Session.objects.get(session_key=key).expire_date == START + dt.timedelta(hours=3 + 8 + 24)


def test_coming_back_after_the_database_forgot_the_session_is_the_login_page(signed_in, time_machine):
    at(time_machine, hours=8 + 24, seconds=1)
    response = signed_in.get(HOME, follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=/", 302)]
    assert list(response.context["messages"]) == []


# --- No-store --------------------------------------------------------------------------------------


def test_signed_in_pages_are_no_store_and_anonymous_ones_are_not(client, cara):
    anonymous = client.get("/healthz")
    assert "Cache-Control" not in anonymous
    client.force_login(cara)
    assert client.get("/healthz")["Cache-Control"] == "no-store, private"
    assert client.get("/coaching/my-teams/")["Cache-Control"] == "no-store, private"
    refused = client.get("/checklists/tools/")
    assert refused.status_code == 403
    assert refused["Cache-Control"] == "no-store, private"


def test_login_response_that_signs_in_is_no_store(client, cara):
    response = client.post("/accounts/login/", {"username": "cara", "password": factories.DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}


# --- Sessions ended --------------------------------------------------------------------------------


def test_deactivating_a_person_ends_every_session_they_have(cara, caplog):
    caplog.set_level(logging.INFO)
    laptop, phone, colleague = Client(), Client(), Client()
    laptop.force_login(cara)
    phone.force_login(cara)
    other = factories.CoachFactory(username="omar")
    colleague.force_login(other)
    assert UserSession.objects.filter(user=cara).count() == 2

    cara.is_active = False
    cara.save()

    assert not Session.objects.filter(session_key__in=[laptop.session.session_key, phone.session.session_key]).exists()
    assert UserSession.objects.filter(user=cara).count() == 0
    for device in (laptop, phone):
        assert device.get(HOME).status_code == 302
    assert colleague.get(HOME).status_code == 200  # nobody else's
    assert "sessions_ended user='cara' ip=- path='' reason=deactivated sessions=2" in [
        r.getMessage() for r in caplog.records if r.name == "qms.security"
    ]


def test_reactivating_a_person_ends_sessions_left_from_before(cara):
    """Deactivated without a save (a bulk update): their sessions survive, refused while inactive;
    reactivating must not bring them back."""
    laptop = Client()
    laptop.force_login(cara)
    type(cara).objects.filter(pk=cara.pk).update(is_active=False)
    cara.refresh_from_db()
    cara.is_active = True
    cara.save()
    assert laptop.get(HOME).status_code == 302
    assert UserSession.objects.count() == 0


def test_deactivating_through_the_admin_ends_sessions(cara):
    manager = Client()
    manager.force_login(factories.ManagerFactory(username="mina", is_superuser=True))
    laptop = Client()
    laptop.force_login(cara)
    page = manager.get(f"/admin/auth/user/{cara.pk}/change/")
    data = {
        field: page.context["adminform"].form.initial.get(field) or ""
        for field in ("username", "first_name", "last_name", "email")
    }
    data.update(
        {"date_joined_0": "2025-11-10", "date_joined_1": "09:00:00", "groups": [g.pk for g in cara.groups.all()]}
    )
    response = manager.post(f"/admin/auth/user/{cara.pk}/change/", data)  # is_active unticked
    assert response.status_code == 302, response.context["adminform"].form.errors
    cara.refresh_from_db()
    assert cara.is_active is False
    assert laptop.get(HOME).status_code == 302


def test_other_saves_of_a_person_cost_no_extra_query_and_end_nothing(cara, django_assert_num_queries):
    laptop = Client()
    laptop.force_login(cara)
    with django_assert_num_queries(1):  # the UPDATE alone
        cara.save(update_fields=["last_login"])
    cara.first_name = "Cara"
    cara.save()
    assert laptop.get(HOME).status_code == 200


def test_logging_out_removes_the_session_from_the_index(client, cara):
    client.force_login(cara)
    assert UserSession.objects.count() == 1
    client.post("/accounts/logout/")
    assert UserSession.objects.count() == 0


def test_a_changed_session_key_is_indexed_at_the_next_activity(cara, time_machine):
    """Django changes the key when a person changes their password; the index follows."""
    at(time_machine)
    client = Client()
    client.force_login(cara)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = cara
    update_session_auth_hash(request, cara)
    request.session.save()
    new_key = request.session.session_key
    at(time_machine, minutes=2)
    session_activity_record(request, now=START + dt.timedelta(minutes=2))
    assert UserSession.objects.get(session_key=new_key).user == cara


def test_login_prunes_index_rows_of_sessions_idle_past_the_limit(cara, time_machine):
    at(time_machine)
    Client().force_login(cara)
    at(time_machine, hours=8, seconds=1)
    Client().force_login(factories.CoachFactory(username="omar"))
    assert list(UserSession.objects.values_list("user__username", flat=True)) == ["omar"]
