"""The default programme: session 1 taught, coaching in weeks 2-10, the 12-week review,
then sustain checks about 30, 60 and 90 days after the review."""

import datetime

from django.db import migrations

NAME = "QMS programme"
VERSION = "0.9"

# (number, title, kind, week_offset from session 1, checklist due)
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


def create_default_template(apps, schema_editor):
    ProgrammeTemplate = apps.get_model("programmes", "ProgrammeTemplate")
    SessionPlan = apps.get_model("programmes", "SessionPlan")
    template, created = ProgrammeTemplate.objects.get_or_create(
        name=NAME,
        version=VERSION,
        defaults={
            "status": "published",
            "published_on": datetime.date(2025, 9, 1),
            "notes": "The version the autumn 2025 test bed (RSH and PRH education support teams) went through.",
        },
    )
    if created:
        SessionPlan.objects.bulk_create(
            SessionPlan(template=template, number=n, title=t, kind=k, week_offset=w, checklist_due=c)
            for n, t, k, w, c in PLANS
        )


def remove_default_template(apps, schema_editor):
    ProgrammeTemplate = apps.get_model("programmes", "ProgrammeTemplate")
    ProgrammeTemplate.objects.filter(name=NAME, version=VERSION, cohorts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]

    operations = [migrations.RunPython(create_default_template, remove_default_template)]
