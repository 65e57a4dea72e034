"""The three roles as groups, with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ["programmes", "coaching", "checklists", "feedback"]

COACH_CAN = {
    "programmes": {"view": "*", "change": ["session", "teammeeting"], "add": ["teammeeting", "sessionchange"]},
    "coaching": {"view": "*", "add": ["coachingagreement"], "change": ["coachingagreement", "calendarfeed"]},
    "checklists": {"view": "*", "add": ["checklist", "toolrating"], "change": ["checklist", "toolrating"]},
    "feedback": {"view": "*", "add": ["feedbacklink"], "change": ["feedbacklink"]},
}


def _ensure_permissions(apps):
    # Permissions are normally created after migrate; create them now so groups can use them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    domain = Permission.objects.filter(content_type__app_label__in=APPS)

    managers, _ = Group.objects.get_or_create(name="Improvement managers")
    managers.permissions.set(
        list(domain) + list(Permission.objects.filter(content_type__app_label="auth", content_type__model="user"))
    )

    leads, _ = Group.objects.get_or_create(name="Education leads")
    leads.permissions.set(domain.filter(codename__startswith="view_"))

    coaches, _ = Group.objects.get_or_create(name="Coaches")
    wanted = []
    for app_label, actions in COACH_CAN.items():
        for action, models in actions.items():
            qs = domain.filter(content_type__app_label=app_label, codename__startswith=f"{action}_")
            if models != "*":
                qs = qs.filter(content_type__model__in=models)
            wanted.extend(qs)
    coaches.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=["Improvement managers", "Education leads", "Coaches"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("programmes", "0002_default_template"),
        ("coaching", "0001_initial"),
        ("checklists", "0002_seed_tools"),
        ("feedback", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
