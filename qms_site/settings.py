"""Settings for QMS Coach, read from environment variables.

A fresh checkout runs with no set-up: SQLite file database, eager Celery, console email.
Production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DATABASE_URL (PostgreSQL) and
CELERY_BROKER_URL (Redis).
"""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import xstatic.pkg.bootstrap
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

# With debug off and no DJANGO_SECRET_KEY the key stays empty: offline commands (makemigrations,
# migrate, collectstatic) still run, but the web app refuses to start (qms_site/startup.py) and
# Django refuses anything that signs. There is never a silent default outside debug.
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "qms_site.apps.QmsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "csp",
    # Before core: on a failed login, axes marks a lockout before core's security log reads the mark.
    "axes",
    "core",
    "programmes",
    "coaching",
    "checklists",
    "feedback",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Headers for every page (static files are served above, by WhiteNoise), README "Security".
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "core.middleware.PrivatePagesMiddleware",
    "core.middleware.RefusedRequestLogMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that its locked-out page gets the headers above.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qms_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.role",
            ],
        },
    },
]

WSGI_APPLICATION = "qms_site.wsgi.application"


def env_conn_max_age(name: str, engine: str) -> int:
    """Seconds a process keeps its database connection open for the next request (CONN_MAX_AGE).

    60 by default, so that a request does not pay for a new connection (TCP, TLS, authentication)
    to a database server. 0 (a connection per request) by default for SQLite: opening one is a file
    open, so there is nothing to save, and the development server, SQLite's usual home, closes each
    request thread's connection anyway. A whole number of seconds, 0 or more; anything else stops
    start-up with the variable's name.
    """
    seconds = env_int(name, 0 if engine == "django.db.backends.sqlite3" else 60)
    if seconds < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more seconds, not {seconds}")
    return seconds


DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DATABASES["default"]["CONN_MAX_AGE"] = env_conn_max_age("DATABASE_CONN_MAX_AGE", DATABASES["default"]["ENGINE"])
# A kept connection is checked before a request uses it, so a database restart or a dropped idle
# connection costs a reconnect rather than the request's error page.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, so that a double click waits rather than fails with "database is
    # locked": WAL lets pages read while another request writes; IMMEDIATE takes the write lock
    # when a transaction begins (a read that later writes cannot deadlock with another), and the
    # busy timeout waits up to 20 seconds for it. Options in DATABASE_URL's query string win.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The dashboard and admin lists join eight small tables (an enrolment, its team, site, cohort,
    # coach and stored figures): with PostgreSQL's default join_collapse_limit of 8 the planner
    # tries every join order, which took 12 ms to plan a query that runs in 1.4 ms. At 6 it plans
    # in 1.7 ms and runs as fast; queries of six tables or fewer are planned as before.
    DATABASES["default"]["OPTIONS"] = {
        "options": "-c join_collapse_limit=6 -c from_collapse_limit=6",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production may collect static files into DJANGO_STATIC_ROOT; otherwise WhiteNoise serves
# them straight from the apps and the Bootstrap package.
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = STATIC_ROOT is None
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Security (README "Security"): HTTPS, headers, sessions, login protection --------------------
# HTTPS: on by default with debug off. Behind a reverse proxy that ends TLS, set
# DJANGO_SECURE_PROXY_SSL_HEADER to the header it sets, e.g. "X-Forwarded-Proto: https" (only if the
# proxy always sets or strips it), or the redirect loops. /healthz stays reachable over plain HTTP
# for a load balancer's checks.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Consent only: a site is preloaded when its owner submits the domain, never by this header alone.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)


def _meta_key(header: str) -> str:
    """A request header's name as Django's request.META spells it; "" stays ""."""
    header = header.strip()
    return "HTTP_" + header.upper().replace("-", "_") if header else ""


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """ "X-Forwarded-Proto: https" -> ("HTTP_X_FORWARDED_PROTO", "https"); empty -> None."""
    if not value.strip():
        return None
    name, sep, expected = value.partition(":")
    if not sep or not name.strip() or not expected.strip():
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {value!r}"
        )
    return _meta_key(name), expected.strip()


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(env_str("DJANGO_SECURE_PROXY_SSL_HEADER"))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # a feedback form's token never leaves in a Referer
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4), in debug too: every script and style comes from a static
# file, and no page has an inline script, style element or style attribute (email aside). img-src
# allows data: for the small SVG images inside Bootstrap's CSS (select arrows, check marks).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Nothing here uses these; a page that tried would be refused by the browser.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "geolocation",
        "gyroscope", "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip
# Whatever a signed-in person is sent is Cache-Control: no-store (core.middleware); so are these
# public views, which carry a one-time token.
QMS_NO_STORE_VIEWS = ["feedback:form", "feedback:thanks"]

# Sessions (core/sessions.py): end at browser close unless "Keep me signed in on this device" was
# ticked at login (then QMS_SESSION_REMEMBER_DAYS); QMS_SESSION_IDLE_MINUTES without a request signs
# out either way (core.middleware). The database keeps an idle session one day past that limit, as a
# backstop and so that the middleware can tell the person why they were signed out.
QMS_SESSION_IDLE_MINUTES = max(1, env_int("QMS_SESSION_IDLE_MINUTES", 8 * 60))
QMS_SESSION_REMEMBER_DAYS = max(1, env_int("QMS_SESSION_REMEMBER_DAYS", 14))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = (QMS_SESSION_IDLE_MINUTES + 24 * 60) * 60

# Login protection (django-axes): 5 wrong passwords for one username from one IP address lock that
# pair for 15 minutes (never an address alone, never for ever); another person, or the same person
# from elsewhere, still logs in. Tries during the lockout do not extend it. A manager lifts it early
# by deleting the access attempt in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are lines of the security log instead
AXES_VERBOSE = False
# The client's address is REMOTE_ADDR unless the site sits behind its own reverse proxies: then name
# the header they set (QMS_CLIENT_IP_HEADER, e.g. X-Forwarded-For) and how many of them there are.
QMS_CLIENT_IP_HEADER = _meta_key(env_str("QMS_CLIENT_IP_HEADER"))  # "X-Forwarded-For" -> "HTTP_X_FORWARDED_FOR"
QMS_TRUSTED_PROXY_COUNT = max(1, env_int("QMS_TRUSTED_PROXY_COUNT", 1))


# Sign-in with the Trust's accounts (core/oidc.py, README "Sign-in with the Trust's accounts"): OpenID
# Connect, off unless QMS_OIDC_ISSUER is set. The endpoints come from the issuer's discovery document.
def _role_groups(value: str) -> dict[str, frozenset[str]]:
    """ "manager=<group id>,coach=<id>,coach=<id2>" -> {"manager": {...}, "coach": {...}}."""
    mapping: dict[str, set[str]] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        role, sep, group = (piece.strip() for piece in item.partition("="))
        if not sep or not group or role not in {"manager", "coach", "lead"}:  # core.oidc.ROLE_KEYS
            raise ImproperlyConfigured(
                f"QMS_OIDC_ROLE_GROUPS must look like 'manager=<group id>,coach=<id>,lead=<id>', not {item!r}"
            )
        mapping.setdefault(role, set()).add(group)
    return {role: frozenset(groups) for role, groups in mapping.items()}


QMS_OIDC_ISSUER = env_str("QMS_OIDC_ISSUER").strip().rstrip("/")
QMS_OIDC_CLIENT_ID = env_str("QMS_OIDC_CLIENT_ID").strip()
QMS_OIDC_CLIENT_SECRET = env_str("QMS_OIDC_CLIENT_SECRET")
QMS_OIDC_GROUPS_CLAIM = env_str("QMS_OIDC_GROUPS_CLAIM").strip()
QMS_OIDC_ROLE_GROUPS = _role_groups(env_str("QMS_OIDC_ROLE_GROUPS"))
if QMS_OIDC_ISSUER and not (QMS_OIDC_CLIENT_ID and QMS_OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("QMS_OIDC_ISSUER needs QMS_OIDC_CLIENT_ID and QMS_OIDC_CLIENT_SECRET too")
# Off: the password form is for these break-glass usernames only; everyone else signs in with the Trust.
QMS_LOCAL_LOGIN = env_bool("QMS_LOCAL_LOGIN", True)
QMS_LOCAL_LOGIN_USERS = env_list("QMS_LOCAL_LOGIN_USERS")
if not QMS_LOCAL_LOGIN and not QMS_OIDC_ISSUER:
    raise ImproperlyConfigured("QMS_LOCAL_LOGIN=0 needs QMS_OIDC_ISSUER: people would have no way to sign in")
AUTHENTICATION_BACKENDS.append("core.oidc.TrustAccountBackend")  # answers None unless configured
AXES_WHITELIST_CALLABLE = "core.oidc.axes_not_counted"  # the provider counts its own failures
# mozilla-django-oidc's own settings; the client and the endpoints are read from the QMS_ ones.
OIDC_RP_SIGN_ALGO = "RS256"  # the ID token's signature is checked with the provider's JWKS
OIDC_RP_SCOPES = "openid email profile"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's logout
OIDC_TIMEOUT = 10  # seconds for each call to the provider
if QMS_OIDC_ISSUER:
    # Log out posts a form that is redirected on to the provider's end-session page: form-action
    # must allow the provider's origin, or the browser stops the redirect.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        "{0.scheme}://{0.netloc}".format(urlsplit(QMS_OIDC_ISSUER))
    )

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: the console in development; SMTP or a file backend from the environment.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "QMS Coach <qms-coach@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production; with no broker configured, tasks run eagerly in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # no result backend: tasks record their outcome in the database
# Every task is safe to run twice (reminders are claimed in the database), so a message is
# acknowledged only once its task has finished, and requeued if the worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)  # no task has a longer one of its own
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged message out again after this long: when a whole worker dies
    # (a killed pool process is requeued at once). Just above the longest task time limit, so a
    # running task is never handed to a second worker; a send's retry wait plus the send stays
    # within it too (coaching.services.reminders.RETRY_BACKOFF_MAX_SECONDS).
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 60,
    # A broker that accepts connections but does not answer fails a publish after this many
    # seconds instead of hanging the page or the sweep for ever (the claim stays in the database
    # for the next sweep); a refused connection fails in under a second anyway.
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
}
CELERY_BEAT_SCHEDULE = {
    "daily-reminder-sweep": {"task": "coaching.sweep_reminders", "schedule": crontab(hour=8, minute=0)},
    "weekly-digest-sweep": {
        "task": "coaching.sweep_weekly_digests",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    "daily-invitations-requeue": {"task": "coaching.requeue_invitations", "schedule": crontab(hour=8, minute=5)},
    # core.figures_cache: the generation rows of ended database connections, at a quiet hour.
    "nightly-generation-prune": {"task": "core.prune_generations", "schedule": crontab(hour=3, minute=30)},
}

# Absolute address used in emails and calendar feeds (no request to read it from).
SITE_URL = env_str("QMS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Programme rules.
QMS_SESSION_GRACE_DAYS = env_int("QMS_SESSION_GRACE_DAYS", 7)
QMS_ESCALATION_DAYS = env_int("QMS_ESCALATION_DAYS", 14)
# A weekly digest lists at most this many rows per section (and counts the rest).
QMS_DIGEST_WEEKLY_ROWS = max(1, env_int("QMS_DIGEST_WEEKLY_ROWS", 50))
# Session 1 held this many days without a coaching session held -> the improvement manager hears of it.
QMS_FIRST_COACHING_WAIT_DAYS = max(1, env_int("QMS_FIRST_COACHING_WAIT_DAYS", 21))
QMS_SUSTAINED_RUN_LENGTH = env_int("QMS_SUSTAINED_RUN_LENGTH", 2)
# A team's huddles have stopped after this many weeks in a row of planned huddles with no check-in
# at its board (programmes.huddles.huddles_stopped_since); its coach is told in the daily digest.
QMS_HUDDLE_STOPPED_WEEKS = max(1, env_int("QMS_HUDDLE_STOPPED_WEEKS", 2))
QMS_FEEDBACK_MIN_GROUP = env_int("QMS_FEEDBACK_MIN_GROUP", 5)
# Proposed coaching slots keep at least the plan's gap between sessions less this many weeks,
# never under one week (coaching.recurrence.min_gap_weeks).
QMS_SLOT_MIN_GAP_WEEKS_LESS = max(0, env_int("QMS_SLOT_MIN_GAP_WEEKS_LESS", 1))
# A coaching slot clashes with another session of the same coach that starts or ends within
# this many minutes of it (coaching.selectors.clashes).
QMS_CLASH_BUFFER_MINUTES = max(0, env_int("QMS_CLASH_BUFFER_MINUTES", 15))
# The public feedback form takes at most this many answers per link per window (flood protection).
QMS_FEEDBACK_RATE_LIMIT = env_int("QMS_FEEDBACK_RATE_LIMIT", 100)
QMS_FEEDBACK_RATE_WINDOW_SECONDS = env_int("QMS_FEEDBACK_RATE_WINDOW_SECONDS", 600)

# Cache: shared by every server process. By default a table in the database (created after every
# migrate, feedback/apps.py); set QMS_CACHE_URL (redis://...) to use Redis instead.
QMS_CACHE_URL = env_str("QMS_CACHE_URL")
# Figures (the dashboard's rows, the aim page's series) kept in that cache under the data's
# generation, which every committed write to these apps' tables changes (core/figures_cache.py):
# PostgreSQL only; off, or on SQLite, every view computes them afresh.
QMS_FIGURES_CACHE = env_bool("QMS_FIGURES_CACHE", True)
QMS_FIGURES_CACHE_SECONDS = max(1, env_int("QMS_FIGURES_CACHE_SECONDS", 3600))
QMS_FIGURES_CACHE_APPS = ("programmes", "coaching", "checklists", "feedback")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": QMS_CACHE_URL}
        if QMS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "qms_cache"}
    )
}

# Every line says when. Authentication events and refused requests are one line each on
# "qms.security" (core/security.py); Django's request loggers lose the traceback of a plain 403 and
# any token in a path (core.security.RequestLogFilter); axes's own lines would repeat them. (runserver's
# "django.server" lines are Django's own configuration, left as they are: development only.)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"requests": {"()": "core.security.RequestLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["requests"]},
        "django.security.csrf": {"filters": ["requests"]},
        "axes": {"level": "ERROR"},
        # WeasyPrint logs each step of every PDF at INFO, and each CSS rule it skips at WARNING.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "qms.security": {"level": "INFO"},
    },
}
