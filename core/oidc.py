"""Sign-in with the Trust's accounts (NHSmail / Microsoft Entra ID) through OpenID Connect, README
"Sign-in with the Trust's accounts". Off unless QMS_OIDC_ISSUER is set.

mozilla-django-oidc does the protocol: state and nonce in the session, the code exchange, the ID
token's signature checked against the provider's published keys (RS256, JWKS). This module adds
what the library leaves out or reads from fixed settings:

- the provider's endpoints come from its discovery document (<issuer>/.well-known/openid-configuration),
  fetched on first use and kept for DISCOVERY_SECONDS, so only the issuer is configured;
- the ID token must be for this site (audience = QMS_OIDC_CLIENT_ID), from this issuer and not
  expired: the library checks the signature and the expiry, not the audience or the issuer;
- a person is matched by their email address, case-insensitively, and only once the provider says
  it is verified (email_verified, or Entra ID's xms_edov); two users with that address are
  refused, never guessed between;
- a new person starts with no role, unless QMS_OIDC_ROLE_GROUPS maps one of their groups to one.

Everything is read from the settings at request time. Each refusal is an `oidc_login_refused` line
on the security log (core.security) with a reason, never a token; Django's failed-login signal adds
its usual `login_failed` line.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, resolve_url
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .roles import Role
from .security import security_event
from .sessions import session_remember

logger = logging.getLogger(__name__)

# QMS_OIDC_ROLE_GROUPS's names (qms_site/settings.py accepts these and no others).
ROLE_KEYS = {"manager": Role.MANAGER, "coach": Role.COACH, "lead": Role.LEAD}
DISCOVERY_SECONDS = 3600  # a provider that moves its endpoints is followed within the hour
CLOCK_SKEW_SECONDS = 60  # between this server's clock and the provider's
BUTTON_LABEL = "Sign in with your Trust account"
FAILED_MESSAGE = (
    "Signing in with your Trust account did not work. Try again; if it keeps failing, ask an improvement manager."
)
UNAVAILABLE_MESSAGE = (
    "Signing in with your Trust account is not available just now: the Trust's sign-in service "
    "did not answer. Try again in a few minutes."
)


def oidc_enabled() -> bool:
    return bool(settings.QMS_OIDC_ISSUER)


class ProviderUnavailable(Exception):
    """The discovery document could not be fetched, or does not describe the configured issuer."""


class SignInRefused(Exception):
    """The provider answered, but this sign-in must not go ahead; `reason` goes to the security log."""

    def __init__(self, reason: str, *, email: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.email = email


def axes_not_counted(request, credentials) -> bool:
    """AXES_WHITELIST_CALLABLE: a sign-in coming back from the provider (the callback passes the
    nonce) is not a password guess here, and carries no username, so django-axes would count its
    failures against the address alone and lock everyone behind it out. The provider checks the
    password and keeps its own lockout."""
    return isinstance(credentials, dict) and "nonce" in credentials


# --- Discovery -------------------------------------------------------------------------------------

_discovered: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()


def _issuer() -> str:
    return settings.QMS_OIDC_ISSUER.rstrip("/")


def provider_metadata() -> dict:
    """The provider's discovery document, fetched once per DISCOVERY_SECONDS per process. A failure
    is not kept: the next sign-in tries again."""
    issuer = _issuer()
    with _discovery_lock:
        cached = _discovered.get(issuer)
        if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
            return cached[1]
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery failed: {exc.__class__.__name__}") from exc
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer asked for.
        raise ProviderUnavailable("discovery document is for another issuer")
    missing = {"authorization_endpoint", "token_endpoint", "jwks_uri"} - set(document)
    if missing:
        raise ProviderUnavailable(f"discovery document lacks {', '.join(sorted(missing))}")
    with _discovery_lock:
        _discovered[issuer] = (time.monotonic(), document)
    return document


def forget_provider_metadata() -> None:
    """For tests, and after the provider's configuration changed."""
    with _discovery_lock:
        _discovered.clear()


# --- Checks on what the provider says --------------------------------------------------------------


def id_token_claims_check(payload: dict, *, issuer: str, client_id: str, now: float) -> None:
    """Raises SignInRefused unless the ID token is from `issuer`, for `client_id` and not expired
    (OpenID Connect Core 1.0, 3.1.3.7). The signature is the library's check, done before this."""
    if str(payload.get("iss", "")).rstrip("/") != issuer.rstrip("/"):
        raise SignInRefused("wrong_issuer")
    audience = payload.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences:
        raise SignInRefused("wrong_audience")
    if len(audiences) > 1 and payload.get("azp") != client_id:
        raise SignInRefused("wrong_audience")
    expires = payload.get("exp")
    if not isinstance(expires, int | float) or expires + CLOCK_SKEW_SECONDS <= now:
        raise SignInRefused("expired")


def _true(value) -> bool:
    # Some providers send the JSON string "true" rather than the boolean.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def email_is_verified(claims: dict) -> bool:
    """The provider vouches for the address: `email_verified` true; or, from a token with no
    `email_verified` at all, Entra ID's `xms_edov` true (the address's domain is verified as the
    tenant's own: Entra never sends email_verified for work accounts)."""
    if "email_verified" in claims:
        return _true(claims["email_verified"])
    return _true(claims.get("xms_edov"))


def roles_from_claims(claims: dict) -> set[Role] | None:
    """The roles the person's groups give them (QMS_OIDC_GROUPS_CLAIM, QMS_OIDC_ROLE_GROUPS), or None
    when roles are not taken from the provider or this sign-in did not carry the groups claim
    (then the person's roles stay as they are)."""
    claim, mapping = settings.QMS_OIDC_GROUPS_CLAIM, settings.QMS_OIDC_ROLE_GROUPS
    if not claim or not mapping or claim not in claims:
        return None
    values = claims[claim]
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    groups = {str(value) for value in values}
    return {ROLE_KEYS[key] for key, ids in mapping.items() if groups & set(ids)}


def _roles_apply(request: HttpRequest, user, roles: set[Role]) -> None:
    """The person gets exactly `roles` among the roles the provider's groups decide; roles that
    QMS_OIDC_ROLE_GROUPS does not name are left as a manager set them."""
    decided = {ROLE_KEYS[key] for key in settings.QMS_OIDC_ROLE_GROUPS}
    current = set(user.groups.filter(name__in=decided).values_list("name", flat=True))
    wanted = {str(role) for role in roles}
    if wanted - current:
        user.groups.add(*Group.objects.filter(name__in=wanted - current))
    if current - wanted:
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    if wanted != current:
        added, removed = ",".join(sorted(wanted - current)) or "-", ",".join(sorted(current - wanted)) or "-"
        security_event(
            "oidc_roles_changed", request, username=user.get_username(), added=repr(added), removed=repr(removed)
        )
    user.__dict__.pop("_qms_group_names", None)  # core.roles' cache


# --- The authentication backend --------------------------------------------------------------------


class TrustAccountBackend(OIDCAuthenticationBackend):
    """Signs in a person coming back from the provider (the callback view passes `nonce`);
    answers None to everything else, password logins included, without touching the network."""

    def __init__(self, *args, **kwargs):
        # The library reads its endpoints here; Django builds a backend for every authenticate()
        # and get_user(), so they are read at sign-in instead (discovery may need the network).
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        try:
            provider = provider_metadata()
        except ProviderUnavailable as exc:
            logger.warning("OpenID Connect provider unavailable: %s", exc)
            security_event("oidc_login_refused", request, reason="provider_unavailable")
            return None
        self.provider_configure(provider)
        try:
            return super().authenticate(request, **kwargs)
        except SignInRefused as exc:
            security_event("oidc_login_refused", request, username=exc.email, reason=exc.reason)
        except (jwt.PyJWTError, SuspiciousOperation) as exc:
            # A bad signature, an expiry the library caught, or a nonce that does not match.
            security_event("oidc_login_refused", request, reason="bad_token")
            logger.warning("OpenID Connect ID token refused: %s", exc)
        except (requests.RequestException, KeyError, ValueError) as exc:
            security_event("oidc_login_refused", request, reason="provider_error")
            logger.warning("OpenID Connect token exchange failed: %s", exc.__class__.__name__)
        return None

    def provider_configure(self, provider: dict) -> None:
        """What the library reads from its settings, from the discovery document and QMS_OIDC_*."""
        self.OIDC_OP_TOKEN_ENDPOINT = provider["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = provider.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = provider["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.QMS_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.QMS_OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.issuer = str(provider["issuer"])

    def retrieve_matching_jwk(self, token):
        """The provider's key for this token: the one its `kid` names (the library's way), or the
        provider's only signing key when the token names none (OpenID Connect Core 1.0, 10.1:
        `kid` is required only when the provider publishes several)."""
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [key for key in response.json().get("keys", []) if key.get("use", "sig") == "sig"]
        if len(keys) != 1:
            raise SuspiciousOperation("ID token names no key and the provider has several")
        return jwt.PyJWK(keys[0])

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)  # signature (JWKS), expiry, nonce
        id_token_claims_check(payload, issuer=self.issuer, client_id=self.OIDC_RP_CLIENT_ID, now=time.time())
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The verified ID token's claims; the userinfo endpoint's too when the token carries no
        email (for the same subject, or the sign-in is refused). The signed token wins a conflict."""
        if "email" in payload or not self.OIDC_OP_USER_ENDPOINT:
            return dict(payload)
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise SignInRefused("userinfo_for_another_subject")
        return {**info, **payload}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        email = claims.get("email")
        if not isinstance(email, str) or not email.strip():
            raise SignInRefused("no_email")
        email = email.strip()
        if not email_is_verified(claims):
            raise SignInRefused("email_not_verified", email=email)
        roles = roles_from_claims(claims)
        try:
            with transaction.atomic():
                users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
                if len(users) > 1:
                    raise SignInRefused("email_shared_by_two_users", email=email)
                if users:
                    user = users[0]
                    if not user.is_active:
                        raise SignInRefused("inactive", email=email)
                else:
                    user = self._user_create(email=email, claims=claims)
                if roles is not None:
                    _roles_apply(self.request, user, roles)
        except IntegrityError as exc:  # the same person's first sign-in, twice at once
            raise SignInRefused("username_taken", email=email) from exc
        return user

    def _user_create(self, *, email: str, claims: dict):
        """A new person with no role and no password (they cannot use the password form). The
        username is the address in lower case, as people know it."""
        username = email.lower()[:150]
        if self.UserModel.objects.filter(username=username).exists():
            raise SignInRefused("username_taken", email=email)
        user = self.UserModel(
            username=username,
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        user.set_unusable_password()
        user.save()
        security_event("oidc_user_created", self.request, username=username)
        return user


# --- Views: /oidc/authenticate/ and /oidc/callback/ ------------------------------------------------


class _EnabledOnly(View):
    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404("Sign-in with the Trust's accounts is not configured")
        return super().dispatch(request, *args, **kwargs)


class SignInView(_EnabledOnly, OIDCAuthenticationRequestView):
    """Sends the person to the provider's sign-in page (the library adds state and nonce)."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library would read its endpoint from the settings here

    def get(self, request):
        try:
            provider = provider_metadata()
        except ProviderUnavailable as exc:
            logger.warning("OpenID Connect provider unavailable: %s", exc)
            security_event("oidc_login_refused", request, reason="provider_unavailable")
            messages.error(request, UNAVAILABLE_MESSAGE)
            return redirect(settings.LOGIN_URL)
        self.OIDC_OP_AUTH_ENDPOINT = provider["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.QMS_OIDC_CLIENT_ID
        return super().get(request)


class CallbackView(_EnabledOnly, OIDCAuthenticationCallbackView):
    """Where the provider sends the person back. An unknown `state` is a 400 (the library's
    SuspiciousOperation); any other failure goes back to the login page with a message."""

    def login_failure(self):
        messages.error(self.request, FAILED_MESSAGE)
        return redirect(settings.LOGIN_URL)

    def login_success(self):
        response = super().login_success()
        # As an unticked "Keep me signed in": the session ends when the browser closes.
        session_remember(self.request, remember=False)
        return response


# --- Logout ------------------------------------------------------------------------------------------


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where to send a person signing out so that the provider ends its session too (OpenID Connect
    RP-Initiated Logout), or None: signed in with a password, or the provider has no end-session
    endpoint. Read before the local session is flushed: the ID token is kept in it."""
    id_token = request.session.get("oidc_id_token")
    if not oidc_enabled() or not id_token:
        return None
    try:
        end_session = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not end_session:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.QMS_OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"
