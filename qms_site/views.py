from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Window
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_safe

from coaching.models import ReminderStatus
from coaching.selectors import my_team_rows, reminder_counts
from coaching.selectors.invitations import other_failed_emails
from core.roles import Role, primary_role
from dashboards.selectors import OVERDUE
from programmes.models import Enrolment, Session
from programmes.selectors import cohorts_overview

from .celery import app as celery_app

# The home template lays the page out by these short names rather than by group names.
_HOME_FOR = {Role.MANAGER: "manager", Role.COACH: "coach", Role.LEAD: "lead"}


# Teams named in the "slots not agreed" alert; the rest are counted.
ALERT_TEAMS_SHOWN = 5


@dataclass(frozen=True)
class HomeAlerts:
    """What needs a person's attention, for the home page's alerts panel (templates/_home_alerts.html):
    a manager's of every team still in the programme, a coach's of their own teams."""

    overdue_sessions: int
    overdue_teams: int
    slots_not_agreed: int  # teams with session 1 held and no coaching agreement
    slots_not_agreed_shown: list[Enrolment]  # the first ALERT_TEAMS_SHOWN of them, with team and site
    failed_reminders: int | None  # reminder emails that could not be sent; None: not this person's to see
    failed_other: int | None = None  # weekly digests and calendar invitations that could not be sent

    @property
    def any(self) -> bool:
        return bool(self.overdue_sessions or self.slots_not_agreed or self.failed_reminders or self.failed_other)

    @property
    def slots_not_agreed_more(self) -> int:
        return self.slots_not_agreed - len(self.slots_not_agreed_shown)


def home_alerts(*, user, role: Role | None, today: dt.date) -> HomeAlerts | None:
    """A manager's or a coach's alerts (None for anyone else), from the rules the other pages use:
    overdue is Session.objects.overdue(today), slots not agreed is coaching's SlotsState.NOT_AGREED
    (session 1 held, no agreement), failed emails are coaching's reminder counts. Of teams still in
    the programme (Enrolment.objects.current(), as the reminder sweep). Two queries for a coach,
    three for a manager, whatever the number of teams."""
    if role not in (Role.MANAGER, Role.COACH):
        return None
    enrolments = Enrolment.objects.current()
    if role == Role.COACH:
        enrolments = enrolments.filter(coach=user)
    overdue = (  # query 1
        Session.objects.overdue(today)
        .filter(enrolment__in=enrolments)
        .aggregate(sessions=Count("pk"), teams=Count("enrolment_id", distinct=True))
    )
    session_1_held = Session.objects.filter(enrolment=OuterRef("pk"), number=1, held_on__isnull=False)
    not_agreed = list(  # query 2: the first few, each with the count of all (a window over the whole set)
        enrolments.filter(Exists(session_1_held), agreement__isnull=True)
        .select_related("team__site", "cohort")
        .annotate(total=Window(Count("pk")))
        .order_by("team__name", "pk")[:ALERT_TEAMS_SHOWN]
    )
    failed = reminder_counts()[ReminderStatus.FAILED] if role == Role.MANAGER else None  # query 3
    failed_other = other_failed_emails(now=timezone.now()) if role == Role.MANAGER else None  # query 4
    return HomeAlerts(
        overdue_sessions=overdue["sessions"],
        overdue_teams=overdue["teams"],
        slots_not_agreed=not_agreed[0].total if not_agreed else 0,
        slots_not_agreed_shown=not_agreed,
        failed_reminders=failed,
        failed_other=failed_other,
    )


def home_context(*, user, role: Role | None, today) -> dict:
    """What each role's home page shows: cohorts for managers and leads, a coach's teams; the alerts
    of a manager or a coach."""
    context: dict = {"alerts": home_alerts(user=user, role=role, today=today)}
    if role in (Role.MANAGER, Role.LEAD):
        context["cohorts"] = list(cohorts_overview())
    elif role == Role.COACH:
        context["team_rows"] = my_team_rows(user=user, today=today)
    return context


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
    context["overdue_filter"] = OVERDUE  # the progress dashboard's status filter for overdue teams
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


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """/favicon.ico, which browsers ask for on every page that names no icon (the admin's among
    them): the site's icon, rather than a 404 on the log for each new visitor."""
    return HttpResponsePermanentRedirect(static("img/qms-icon.svg"))


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
