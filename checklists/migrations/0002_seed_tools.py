"""The nine tools of the Trust's checklist, in the source document's order."""

from django.db import migrations

from programmes.reference_data import TOOLS, tools_ensure


def create_tools(apps, schema_editor):
    tools_ensure(apps)


def remove_tools(apps, schema_editor):
    Tool = apps.get_model("checklists", "Tool")
    Tool.objects.filter(name__in=[name for name, _ in TOOLS], ratings__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_initial")]

    operations = [migrations.RunPython(create_tools, remove_tools)]
