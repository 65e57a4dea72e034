"""The day the coaching slots were agreed (CoachingAgreement.agreed_on), apart from when they were
recorded (agreed_at). Existing agreements were agreed the day they were recorded, in London."""

from zoneinfo import ZoneInfo

from django.db import migrations, models

LONDON = ZoneInfo("Europe/London")


def fill_agreed_on(apps, schema_editor):
    CoachingAgreement = apps.get_model("coaching", "CoachingAgreement")
    rows = list(CoachingAgreement.objects.filter(agreed_on__isnull=True).only("pk", "agreed_at"))
    for row in rows:
        row.agreed_on = row.agreed_at.astimezone(LONDON).date()
    CoachingAgreement.objects.bulk_update(rows, ["agreed_on"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("coaching", "0003_agreement_version_reminder_sending"),
    ]

    operations = [
        migrations.AddField(
            model_name="coachingagreement",
            name="agreed_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(fill_agreed_on, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="coachingagreement",
            name="agreed_on",
            field=models.DateField(
                help_text="The day the slots were agreed with the team (London): the day it was recorded, or an "
                'earlier day the coach gave, not before session 1 was held. Decides "agreed at session 1".'
            ),
        ),
        migrations.AlterField(
            model_name="coachingagreement",
            name="agreed_at",
            field=models.DateTimeField(help_text="When the agreement was recorded here."),
        ),
    ]
