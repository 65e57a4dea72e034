"""Rows every installation starts with: the three role groups, the nine tools and the default
programme. The data migrations call these, and tests that empty the database call them again.

Each function takes an app registry (a migration's historical `apps`, or django.apps.apps) and is
safe to run twice.
"""

from __future__ import annotations

import datetime as dt

DOMAIN_APPS = ["programmes", "coaching", "checklists", "feedback"]

MANAGERS, COACHES, LEADS = "Improvement managers", "Coaches", "Education leads"

COACH_CAN = {
    "programmes": {"view": "*", "change": ["session", "teammeeting"], "add": ["teammeeting", "sessionchange"]},
    "coaching": {"view": "*", "add": ["coachingagreement"], "change": ["coachingagreement", "calendarfeed"]},
    "checklists": {"view": "*", "add": ["checklist", "toolrating"], "change": ["checklist", "toolrating"]},
    "feedback": {"view": "*", "add": ["feedbacklink"], "change": ["feedbacklink"]},
}

# The tool whose rating the checklist page sets beside the team's huddle check-ins at its board.
HUDDLE_TOOL = "Improvement huddle"
TOOLS = [
    ("Driver diagrams / aims", "The team has a driver diagram and aims it works towards."),
    ("Go and See", "Leaders go to where the work happens to see it for themselves."),
    ("Leader standard work", "Leaders follow a routine of checks and conversations."),
    ("Improvement board", "A visible board holds ideas, tests and measures."),
    (HUDDLE_TOOL, "A short, regular huddle at the board."),
    ("Ideas generated", "Staff bring forward ideas for improvement."),
    ("Metrics discussed", "The team looks at its measures together."),
    ("Performance review meeting", "A regular meeting reviews performance against aims."),
    ("Performance review report", "A report supports the performance review meeting."),
]

TEMPLATE_NAME = "QMS programme"
TEMPLATE_VERSION = "0.9"

# (number, title, kind, week_offset from session 1, checklist due): session 1 taught in week 1,
# coaching in weeks 2-10, the 12-week review, then sustain checks about 30, 60 and 90 days after it.
PLANS = [
    (1, "Session 1: introduction to QMS and agreeing coaching times", "taught", 0, False),
    (2, "Coaching: driver diagram and aims", "coaching", 1, True),
    (3, "Coaching: improvement board and huddle", "coaching", 3, True),
    (4, "Coaching: go and see, leader standard work", "coaching", 5, True),
    (5, "Coaching: metrics and ideas", "coaching", 7, True),
    (6, "Coaching: performance review", "coaching", 9, True),
    (7, "12-week review", "review", 11, True),
    (8, "Sustain check (30 days)", "sustain", 15, True),
    (9, "Sustain check (60 days)", "sustain", 19, True),
    (10, "Sustain check (90 days)", "sustain", 24, True),
]


def groups_ensure(apps) -> None:
    """The three roles with their model permissions (which must exist already)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    domain = Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)

    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    users = Permission.objects.filter(content_type__app_label="auth", content_type__model="user")
    # django-axes' login records, to lift a lockout in the admin (also core/migrations/0002).
    lockouts = Permission.objects.filter(content_type__app_label="axes", codename__regex=r"^(view|delete)_")
    managers.permissions.set(list(domain) + list(users) + list(lockouts))

    leads, _ = Group.objects.get_or_create(name=LEADS)
    leads.permissions.set(domain.filter(codename__startswith="view_"))

    coaches, _ = Group.objects.get_or_create(name=COACHES)
    wanted = []
    for app_label, actions in COACH_CAN.items():
        for action, models in actions.items():
            permissions = domain.filter(content_type__app_label=app_label, codename__startswith=f"{action}_")
            if models != "*":
                permissions = permissions.filter(content_type__model__in=models)
            wanted.extend(permissions)
    coaches.permissions.set(wanted)


def tools_ensure(apps) -> None:
    Tool = apps.get_model("checklists", "Tool")
    for order, (name, description) in enumerate(TOOLS, start=1):
        Tool.objects.get_or_create(name=name, defaults={"order": order, "description": description})


def default_template_ensure(apps) -> None:
    ProgrammeTemplate = apps.get_model("programmes", "ProgrammeTemplate")
    SessionPlan = apps.get_model("programmes", "SessionPlan")
    template, created = ProgrammeTemplate.objects.get_or_create(
        name=TEMPLATE_NAME,
        version=TEMPLATE_VERSION,
        defaults={
            "status": "published",
            "published_on": dt.date(2025, 9, 1),
            "notes": "The version the autumn 2025 test bed (RSH and PRH education support teams) went through.",
        },
    )
    if created:
        SessionPlan.objects.bulk_create(
            SessionPlan(template=template, number=n, title=t, kind=k, week_offset=w, checklist_due=c)
            for n, t, k, w, c in PLANS
        )


def reference_data_ensure(apps) -> None:
    default_template_ensure(apps)
    tools_ensure(apps)
    groups_ensure(apps)
