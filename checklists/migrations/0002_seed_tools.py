"""The nine tools of the Trust's checklist, in the source document's order."""

from django.db import migrations

TOOLS = [
    ("Driver diagrams / aims", "The team has a driver diagram and aims it works towards."),
    ("Go and See", "Leaders go to where the work happens to see it for themselves."),
    ("Leader standard work", "Leaders follow a routine of checks and conversations."),
    ("Improvement board", "A visible board holds ideas, tests and measures."),
    ("Improvement huddle", "A short, regular huddle at the board."),
    ("Ideas generated", "Staff bring forward ideas for improvement."),
    ("Metrics discussed", "The team looks at its measures together."),
    ("Performance review meeting", "A regular meeting reviews performance against aims."),
    ("Performance review report", "A report supports the performance review meeting."),
]


def create_tools(apps, schema_editor):
    Tool = apps.get_model("checklists", "Tool")
    for order, (name, description) in enumerate(TOOLS, start=1):
        Tool.objects.get_or_create(name=name, defaults={"order": order, "description": description})


def remove_tools(apps, schema_editor):
    Tool = apps.get_model("checklists", "Tool")
    Tool.objects.filter(name__in=[name for name, _ in TOOLS], ratings__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_initial")]

    operations = [migrations.RunPython(create_tools, remove_tools)]
