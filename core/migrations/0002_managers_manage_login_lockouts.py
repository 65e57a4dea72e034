"""Improvement managers see and delete django-axes' records in the admin, so that they can lift a
login lockout early (README "Security"). programmes.reference_data.groups_ensure grants the same
permissions whenever it sets up the groups; this migration grants them on databases whose groups
were set up before axes was installed."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "Improvement managers"


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; create axes' now so that they can be granted.
    axes = apps.get_app_config("axes")
    axes.models_module = True
    create_permissions(axes, verbosity=0)
    axes.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    wanted = Permission.objects.filter(content_type__app_label="axes", codename__regex=r"^(view|delete)_")
    managers.permissions.add(*wanted)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers = Group.objects.filter(name=MANAGERS).first()
    if managers is not None:
        managers.permissions.remove(*Permission.objects.filter(content_type__app_label="axes"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("core", "0001_user_sessions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
