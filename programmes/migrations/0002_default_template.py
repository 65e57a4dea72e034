"""The default programme (see programmes.reference_data.PLANS)."""

from django.db import migrations

from programmes.reference_data import TEMPLATE_NAME, TEMPLATE_VERSION, default_template_ensure


def create_default_template(apps, schema_editor):
    default_template_ensure(apps)


def remove_default_template(apps, schema_editor):
    ProgrammeTemplate = apps.get_model("programmes", "ProgrammeTemplate")
    ProgrammeTemplate.objects.filter(name=TEMPLATE_NAME, version=TEMPLATE_VERSION, cohorts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]

    operations = [migrations.RunPython(create_default_template, remove_default_template)]
