from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from coaching.selectors import my_team_rows
from core.roles import Role, primary_role
from programmes.selectors import cohorts_overview

from .celery import app as celery_app

# The home template lays the page out by these short names rather than by group names.
_HOME_FOR = {Role.MANAGER: "manager", Role.COACH: "coach", Role.LEAD: "lead"}


def home_context(*, user, role: Role | None, today) -> dict:
    """What each role's home page shows: cohorts for managers and leads, a coach's teams."""
    if role in (Role.MANAGER, Role.LEAD):
        return {"cohorts": list(cohorts_overview())}
    if role == Role.COACH:
        return {"team_rows": my_team_rows(user=user, today=today)}
    return {}


@require_safe  # a page to read: GET and HEAD only
@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(request.user)
    # Overdue depends on the date in London, not on the server's clock or UTC.
    today = timezone.localdate()
    context = home_context(user=request.user, role=role, today=today)
    context["role_name"] = role.value if role else None
    context["home_for"] = _HOME_FOR.get(role)
    context["today"] = today
    return render(request, "home.html", context)


def _broker_state() -> str:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return "eager"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # noqa: BLE001 - any failure to reach the broker means "down"
        return "down"
    return "ok"


@require_safe  # a page to read: GET and HEAD only
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker state; 503 when the database cannot answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is down
        database = "down"
    body = {"database": database, "broker": _broker_state()}
    return JsonResponse(body, status=200 if database == "ok" else 503)
