"""Sign-in with the Trust's accounts (core/oidc.py) against a real OpenID Connect provider.

oidc-provider-mock runs a real provider (authlib) on 127.0.0.1, on a free port, in a thread: its
discovery document, its JWKS, RS256-signed ID tokens, the code exchange and an end-session page.
The test client plays the browser on our side; `requests` plays it on the provider's, posting the
subject on the provider's sign-in form as a person would. The claims of each subject are set
with the provider's PUT /users/<sub>.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from axes.models import AccessAttempt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from pytest_django.asserts import assertContains, assertNotContains

from conftest import PERSONAS_AND_NO_ROLE, require_service
from core import oidc
from core.roles import Role
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 - personas make six users
from tests import factories
from tests.html_checker import checker_missing, describe

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),  # inside the provider (authlib)
]

CLIENT_ID = "qms-coach"
LOGIN = "/accounts/login/"
CALLBACK = "/oidc/callback/"
AUTHENTICATE = "/oidc/authenticate/"


@contextlib.contextmanager
def serve(**options):
    """A provider on 127.0.0.1 at a free port; its issuer URL."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(**options), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture(scope="module")
def provider():
    with serve() as issuer:
        yield issuer


def trust_settings(settings, issuer: str) -> str:
    settings.QMS_OIDC_ISSUER = issuer
    settings.QMS_OIDC_CLIENT_ID = CLIENT_ID
    settings.QMS_OIDC_CLIENT_SECRET = "client-secret-for-tests"  # noqa: S105
    settings.QMS_OIDC_GROUPS_CLAIM = ""
    settings.QMS_OIDC_ROLE_GROUPS = {}
    settings.QMS_LOCAL_LOGIN = True
    settings.QMS_LOCAL_LOGIN_USERS = []
    return issuer


@pytest.fixture
def trust(settings, provider):
    """Sign-in with the Trust's accounts configured against the running provider."""
    oidc.forget_provider_metadata()
    yield trust_settings(settings, provider)
    oidc.forget_provider_metadata()


def person(issuer: str, sub: str, **claims) -> None:
    """What the provider will say about `sub` (the ID token carries these claims)."""
    requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()


def provider_sign_in(client, issuer: str, sub: str, *, start: str = AUTHENTICATE):
    """Our sign-in button, the provider's form posted as `sub`: the callback URL it sends us back to."""
    response = client.get(start)
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(f"{issuer}/oauth2/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"http://testserver{CALLBACK}"]
    assert {"state", "nonce"} <= set(query)  # the library's, kept in our session
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert (back.netloc, back.path) == ("testserver", CALLBACK)
    return f"{back.path}?{back.query}"


def sign_in(client, issuer: str, sub: str, *, start: str = AUTHENTICATE):
    return client.get(provider_sign_in(client, issuer, sub, start=start))


def signed_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "qms.security"]


def roles_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- First sign-in, matching, refusals ------------------------------------------------------------


def test_first_sign_in_creates_a_user_with_no_role(client, trust, caplog):
    person(trust, "n-1", email="Nia.Jones@nhs.net", email_verified=True, given_name="Nia", family_name="Jones")
    response = sign_in(client, trust, "n-1")
    assert (response.status_code, response["Location"]) == (302, "/")
    user = signed_in_user(client)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "nia.jones@nhs.net",
        "Nia.Jones@nhs.net",
        "Nia",
        "Jones",
    )
    assert roles_of(user) == set()
    assert user.has_usable_password() is False
    assertContains(client.get("/"), "Your account has no role yet")
    # The session ends with the browser, as after a password login without "Keep me signed in".
    assert client.session.get_expire_at_browser_close() is True
    assert "oidc_user_created user='nia.jones@nhs.net'" in security_lines(caplog)[0]
    assert any(line.startswith("login user='nia.jones@nhs.net'") for line in security_lines(caplog))


def test_second_sign_in_finds_the_same_user_by_email_in_any_case(client, trust):
    coach = factories.CoachFactory(username="cara", email="Cara.Coach@nhs.net")
    person(trust, "c-1", email="cara.coach@NHS.NET", email_verified=True)
    sign_in(client, trust, "c-1")
    assert signed_in_user(client) == coach
    assert User.objects.filter(email__iexact="cara.coach@nhs.net").count() == 1
    assert roles_of(coach) == {Role.COACH}  # no groups claim configured: roles untouched


def test_sign_in_goes_on_to_the_page_asked_for(client, trust):
    person(trust, "n-2", email="next@nhs.net", email_verified=True)
    response = sign_in(client, trust, "n-2", start=f"{AUTHENTICATE}?next=/programmes/teams/")
    assert response["Location"] == "/programmes/teams/"
    response = sign_in(client, trust, "n-2", start=f"{AUTHENTICATE}?next=https://evil.example/")
    assert response["Location"] == "/"  # only our own addresses


@pytest.mark.parametrize("verified", [False, "false", None])
def test_unverified_email_is_refused(client, trust, caplog, verified):
    claims = {"email": "unverified@nhs.net"} | ({} if verified is None else {"email_verified": verified})
    person(trust, f"u-{verified}", **claims)
    response = sign_in(client, trust, f"u-{verified}")
    assert (response.status_code, response["Location"]) == (302, LOGIN)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email__iexact="unverified@nhs.net").exists()
    assertContains(client.get(LOGIN), "Signing in with your Trust account did not work")
    assert "oidc_login_refused user='unverified@nhs.net'" in security_lines(caplog)[0]
    assert security_lines(caplog)[0].endswith("reason=email_not_verified")


def test_entra_domain_verified_claim_stands_for_email_verified(client, trust):
    """Entra ID sends no email_verified for work accounts; its optional claim xms_edov (the address's
    domain belongs to the tenant) does instead, but never against an explicit email_verified false."""
    person(trust, "e-2", email="entra@nhs.net", xms_edov=True)
    assert sign_in(client, trust, "e-2")["Location"] == "/"
    assert signed_in_user(client).email == "entra@nhs.net"
    client.logout()
    person(trust, "e-3", email="entra2@nhs.net", email_verified=False, xms_edov=True)
    assert sign_in(client, trust, "e-3")["Location"] == LOGIN
    assert signed_in_user(client) is None


def test_two_users_with_the_email_are_refused_never_guessed_between(client, trust, caplog):
    factories.CoachFactory(username="sam1", email="sam@nhs.net")
    factories.LeadFactory(username="sam2", email="SAM@nhs.net")
    person(trust, "s-1", email="sam@nhs.net", email_verified=True)
    response = sign_in(client, trust, "s-1")
    assert response["Location"] == LOGIN
    assert signed_in_user(client) is None
    assert User.objects.filter(email__iexact="sam@nhs.net").count() == 2
    assert security_lines(caplog)[0].endswith("reason=email_shared_by_two_users")


def test_deactivated_user_is_refused(client, trust, caplog):
    factories.CoachFactory(username="gone", email="gone@nhs.net", is_active=False)
    person(trust, "g-1", email="gone@nhs.net", email_verified=True)
    assert sign_in(client, trust, "g-1")["Location"] == LOGIN
    assert signed_in_user(client) is None
    assert security_lines(caplog)[0].endswith("reason=inactive")


def test_callback_with_a_state_we_never_sent_is_a_400(client, trust):
    callback = provider_sign_in(client, trust, "x-1")
    forged = callback.replace("state=", "state=forged")
    assert client.get(forged).status_code == 400
    assert signed_in_user(client) is None


def test_person_who_cancels_at_the_provider_comes_back_to_the_login_page(client, trust):
    start = client.get(AUTHENTICATE)["Location"]
    answer = requests.post(start, data={"action": "deny"}, allow_redirects=False, timeout=5)
    back = urlsplit(answer.headers["Location"])
    assert "error=access_denied" in back.query
    response = client.get(f"{back.path}?{back.query}")
    assert response["Location"] == LOGIN
    assert signed_in_user(client) is None


def test_provider_down_gives_a_message_not_an_error(client, settings):
    oidc.forget_provider_metadata()
    trust_settings(settings, "http://127.0.0.1:1")  # nothing listens there
    response = client.get(AUTHENTICATE)
    assert (response.status_code, response["Location"]) == (302, LOGIN)
    assertContains(client.get(LOGIN), "did not answer")


def test_discovery_is_fetched_once_and_kept(trust):
    first = oidc.provider_metadata()
    assert first["issuer"] == trust
    assert oidc.provider_metadata() is first


# --- Roles from the groups claim -----------------------------------------------------------------


def test_groups_claim_gives_the_role_it_maps_to_and_takes_it_away(client, trust, settings, caplog):
    settings.QMS_OIDC_GROUPS_CLAIM = "groups"
    settings.QMS_OIDC_ROLE_GROUPS = {"coach": frozenset({"g-coaches"}), "manager": frozenset({"g-managers"})}
    person(trust, "r-1", email="rhys@nhs.net", email_verified=True, groups=["g-other", "g-coaches"])
    sign_in(client, trust, "r-1")
    user = signed_in_user(client)
    assert roles_of(user) == {Role.COACH}
    assertNotContains(client.get("/"), "Your account has no role yet")

    # A manager also made Rhys a lead, a role the Trust's groups do not decide: it stays. Leaving
    # the coaches' group takes the coach role away at the next sign-in.
    user.groups.add(Group.objects.get(name=Role.LEAD))
    person(trust, "r-1", email="rhys@nhs.net", email_verified=True, groups=["g-managers"])
    client.logout()
    caplog.clear()
    sign_in(client, trust, "r-1")
    assert roles_of(user) == {Role.MANAGER, Role.LEAD}
    assert security_lines(caplog)[0] == (
        "oidc_roles_changed user='rhys@nhs.net' ip=127.0.0.1 path='/oidc/callback/' "
        "added='Improvement managers' removed='Coaches'"
    )


def test_sign_in_without_the_groups_claim_leaves_roles_as_they_are(client, trust, settings):
    settings.QMS_OIDC_GROUPS_CLAIM = "groups"
    settings.QMS_OIDC_ROLE_GROUPS = {"coach": frozenset({"g-coaches"})}
    coach = factories.CoachFactory(username="ola", email="ola@nhs.net")
    person(trust, "o-1", email="ola@nhs.net", email_verified=True)  # no "groups" in the token
    sign_in(client, trust, "o-1")
    assert signed_in_user(client) == coach
    assert roles_of(coach) == {Role.COACH}


# --- The ID token: audience, expiry, signature ----------------------------------------------------


def id_token_from(issuer: str, *, client_id: str, sub: str, nonce: str) -> str:
    """A real ID token from the provider, issued to `client_id` through its own code flow."""
    redirect_uri = "https://other-app.example/callback"
    authorize = requests.post(
        f"{issuer}/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email",
            "state": "s",
            "nonce": nonce,
        },
        data={"sub": sub},
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": "theirs",
        },
        timeout=5,
    )
    return token.json()["id_token"]


def backend_for_provider() -> oidc.TrustAccountBackend:
    backend = oidc.TrustAccountBackend()
    backend.provider_configure(oidc.provider_metadata())
    return backend


def test_id_token_for_another_application_is_refused(trust, settings):
    """The provider signs ID tokens for any client; ours must carry our client id as its audience.
    The callback always gets its token from our own code exchange, so the provider would have to
    misbehave for a token of another audience to arrive there: the check is tested on a real token,
    signed by the running provider for another application, through the backend's verify step
    (the library's signature check against the provider's JWKS, then ours)."""
    person(trust, "a-1", email="aud@nhs.net", email_verified=True)
    token = id_token_from(trust, client_id="another-app", sub="a-1", nonce="n-aud")
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == ["another-app"]
    with pytest.raises(oidc.SignInRefused) as refused:
        backend_for_provider().verify_token(token, nonce="n-aud")
    assert refused.value.reason == "wrong_audience"
    # The same token is good for the application it was issued to: audience is what refused it.
    settings.QMS_OIDC_CLIENT_ID = "another-app"
    assert backend_for_provider().verify_token(token, nonce="n-aud")["sub"] == "a-1"


def test_id_token_with_a_wrong_nonce_is_refused(trust):
    person(trust, "a-2", email="nonce@nhs.net", email_verified=True)
    token = id_token_from(trust, client_id=CLIENT_ID, sub="a-2", nonce="n-1")
    with pytest.raises(Exception, match="Nonce"):
        backend_for_provider().verify_token(token, nonce="n-2")


def test_id_token_signed_with_another_key_is_refused(trust):
    person(trust, "a-3", email="forged@nhs.net", email_verified=True)
    real = id_token_from(trust, client_id=CLIENT_ID, sub="a-3", nonce="n-3")
    claims = jwt.decode(real, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, key, algorithm="RS256", headers=jwt.get_unverified_header(real))
    with pytest.raises(Exception, match="verification failed"):
        backend_for_provider().verify_token(forged, nonce="n-3")


def test_expired_id_token_is_refused_at_the_callback(client, settings, caplog):
    """A provider whose tokens expired five minutes before they were issued (past the minute of
    clock skew allowed): the whole flow, refused at our callback."""
    with serve(access_token_max_age=dt.timedelta(minutes=-5)) as issuer:
        oidc.forget_provider_metadata()
        trust_settings(settings, issuer)
        person(issuer, "e-1", email="late@nhs.net", email_verified=True)
        callback = provider_sign_in(client, issuer, "e-1")
        response = client.get(callback)
    oidc.forget_provider_metadata()
    assert (response.status_code, response["Location"]) == (302, LOGIN)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="late@nhs.net").exists()
    assert security_lines(caplog)[0].endswith("reason=bad_token")


def test_id_token_claims_check():
    now = time.time()
    good = {"iss": "https://idp.example/t/v2.0", "aud": CLIENT_ID, "exp": now + 300}
    oidc.id_token_claims_check(good, issuer="https://idp.example/t/v2.0/", client_id=CLIENT_ID, now=now)
    refusals = {
        "wrong_issuer": {**good, "iss": "https://evil.example"},
        "wrong_audience": {**good, "aud": ["other", CLIENT_ID]},  # several audiences need azp = us
        "expired": {**good, "exp": now - 61},
    }
    for reason, payload in refusals.items():
        with pytest.raises(oidc.SignInRefused) as refused:
            oidc.id_token_claims_check(payload, issuer=good["iss"], client_id=CLIENT_ID, now=now)
        assert refused.value.reason == reason
    missing_exp = {key: value for key, value in good.items() if key != "exp"}
    with pytest.raises(oidc.SignInRefused):
        oidc.id_token_claims_check(missing_exp, issuer=good["iss"], client_id=CLIENT_ID, now=now)
    several = {**good, "aud": ["other", CLIENT_ID], "azp": CLIENT_ID}
    oidc.id_token_claims_check(several, issuer=good["iss"], client_id=CLIENT_ID, now=now)


# --- Logout --------------------------------------------------------------------------------------


def test_logout_ends_our_session_and_goes_on_to_the_providers(client, trust):
    person(trust, "l-1", email="leaving@nhs.net", email_verified=True)
    sign_in(client, trust, "l-1")
    id_token = client.session["oidc_id_token"]
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{trust}/oauth2/end_session"
    assert parse_qs(end_session.query) == {
        "id_token_hint": [id_token],
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": [f"http://testserver{LOGIN}"],
    }
    assert signed_in_user(client) is None
    # The provider's page takes the hint and offers the way back to our login page.
    page = requests.get(response["Location"], timeout=5)
    assert page.status_code == 200
    assert f"http://testserver{LOGIN}" in page.text


def test_logout_after_a_password_login_stays_here(client, trust):
    client.force_login(factories.CoachFactory())
    response = client.post("/accounts/logout/")
    assert (response.status_code, response["Location"]) == (302, LOGIN)


# --- The login page and local login ---------------------------------------------------------------


def test_login_page_offers_the_trust_sign_in_only_when_configured(client, settings, provider):
    settings.QMS_OIDC_ISSUER = ""
    assertNotContains(client.get(LOGIN), "Sign in with your Trust account")
    trust_settings(settings, provider)
    response = client.get(f"{LOGIN}?next=/programmes/teams/")
    assertContains(
        response, f'<a class="btn btn-primary btn-lg" href="{AUTHENTICATE}?next=/programmes/teams/">', html=False
    )


def test_login_page_with_the_trust_sign_in_is_valid_html(client, trust, settings, html_checker):
    require_service("Nu HTML checker", html_checker is not None, checker_missing())
    pages = {"on": client.get(f"{LOGIN}?next=/programmes/teams/").content.decode()}
    settings.QMS_LOCAL_LOGIN = False
    pages["off, refused"] = client.post(LOGIN, {"username": "cara", "password": "x"}).content.decode()
    assert "Emergency access accounts only" in pages["off, refused"]
    invalid = {label: errors for label, html in pages.items() if (errors := html_checker.errors(html))}
    assert not invalid, "\n".join(f"{label}:\n{describe(errors)}" for label, errors in invalid.items())


def test_local_login_off_refuses_the_password_form_except_for_break_glass_users(client, trust, settings, caplog):
    settings.QMS_LOCAL_LOGIN = False
    settings.QMS_LOCAL_LOGIN_USERS = ["admin"]
    factories.CoachFactory(username="cara")
    factories.ManagerFactory(username="admin")
    password = factories.DEFAULT_PASSWORD
    response = client.post(LOGIN, {"username": "cara", "password": password})
    assert response.status_code == 200
    assertContains(response, "Password login is turned off for this account. Use “Sign in with your Trust account”")
    assertContains(response, "Emergency access accounts only")
    assert signed_in_user(client) is None
    assert AccessAttempt.objects.count() == 0  # no password was tried, nothing for axes to count
    assert security_lines(caplog)[-1].startswith("login_refused user='cara'")
    assert client.post(LOGIN, {"username": "Admin", "password": password}).status_code == 200  # exact names
    response = client.post(LOGIN, {"username": "admin", "password": password})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user(client).username == "admin"


def test_local_login_on_by_default(client, trust):
    factories.CoachFactory(username="cara")
    response = client.post(LOGIN, {"username": "cara", "password": factories.DEFAULT_PASSWORD})
    assert response["Location"] == "/"


# --- Permissions: every persona -------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
def test_trust_sign_in_views_for_every_persona(persona, client, personas, login, trust):
    """Public views, as the login page is: anyone may start a sign-in (302 to the provider) or come
    back to the callback (without a code: back to the login page); neither takes a POST."""
    visitor = login(persona, personas)
    start = visitor.get(AUTHENTICATE)
    assert start.status_code == 302
    assert start["Location"].startswith(f"{trust}/oauth2/authorize?")
    callback = visitor.get(CALLBACK)
    assert (callback.status_code, callback["Location"]) == (302, LOGIN)
    assert visitor.post(AUTHENTICATE).status_code == 405
    assert visitor.post(CALLBACK).status_code == 405


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
def test_trust_sign_in_views_are_not_found_when_not_configured(persona, client, personas, login, settings):
    settings.QMS_OIDC_ISSUER = ""
    visitor = login(persona, personas)
    for url in (AUTHENTICATE, CALLBACK):
        assert visitor.get(url).status_code == 404
        assert visitor.post(url).status_code == 404


# --- Settings --------------------------------------------------------------------------------------


def test_settings_from_the_environment():
    from qms_site.tests.test_settings_and_health import run_django

    code = (
        "from django.conf import settings as s\n"
        "groups = sorted((k, sorted(v)) for k, v in s.QMS_OIDC_ROLE_GROUPS.items())\n"
        "print(s.QMS_OIDC_ISSUER, s.QMS_OIDC_CLIENT_ID, groups)\n"
        "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'], s.QMS_LOCAL_LOGIN, s.QMS_LOCAL_LOGIN_USERS)\n"
    )
    result = run_django(
        code,
        QMS_OIDC_ISSUER="https://login.microsoftonline.com/tenant-id/v2.0/",
        QMS_OIDC_CLIENT_ID="app-id",
        QMS_OIDC_CLIENT_SECRET="secret",
        QMS_OIDC_ROLE_GROUPS="manager=g1, coach=g2,coach=g3",
        QMS_LOCAL_LOGIN="0",
        QMS_LOCAL_LOGIN_USERS="admin, breakglass",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "https://login.microsoftonline.com/tenant-id/v2.0 app-id [('coach', ['g2', 'g3']), ('manager', ['g1'])]",
        "[\"'self'\", 'https://login.microsoftonline.com'] False ['admin', 'breakglass']",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QMS_OIDC_ISSUER": "https://idp.example", "QMS_OIDC_CLIENT_ID": "x"}, "QMS_OIDC_CLIENT_SECRET"),
        ({"QMS_OIDC_ROLE_GROUPS": "boss=g1"}, "QMS_OIDC_ROLE_GROUPS must look like"),
        ({"QMS_OIDC_ROLE_GROUPS": "coach"}, "QMS_OIDC_ROLE_GROUPS must look like"),
        ({"QMS_LOCAL_LOGIN": "0"}, "QMS_LOCAL_LOGIN=0 needs QMS_OIDC_ISSUER"),
    ],
)
def test_bad_settings_stop_start_up_with_the_variable_named(env, message):
    from qms_site.tests.test_settings_and_health import run_django

    result = run_django("", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_role_names_of_the_setting_are_the_roles():
    from qms_site.settings import _role_groups

    assert set(_role_groups("manager=a,coach=b,lead=c")) == set(oidc.ROLE_KEYS)


def test_failed_sign_ins_are_not_counted_against_the_address(client, trust):
    """Five refused sign-ins from one address do not lock the next person there out: the callback
    carries no username, so django-axes would lock the address alone (README: never)."""
    for attempt in range(django_settings.AXES_FAILURE_LIMIT + 1):
        person(trust, f"u-{attempt}", email="unverified@nhs.net")
        assert sign_in(client, trust, f"u-{attempt}")["Location"] == LOGIN
    assert AccessAttempt.objects.count() == 0
    person(trust, "ok-1", email="ok@nhs.net", email_verified=True)
    assert sign_in(client, trust, "ok-1")["Location"] == "/"
