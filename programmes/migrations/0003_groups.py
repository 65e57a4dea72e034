"""The three roles as groups, with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from programmes.reference_data import COACHES, LEADS, MANAGERS, groups_ensure


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so groups can use them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    groups_ensure(apps)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[MANAGERS, LEADS, COACHES]).delete()


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
