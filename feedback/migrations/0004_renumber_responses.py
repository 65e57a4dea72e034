"""Gives the responses saved before 0003 random ids (feedback.models.new_response_id), so that the old
counter no longer tells in what order people answered. Their links to content changes follow."""

from django.db import migrations

from feedback.models import new_response_id


def renumber(apps, schema_editor):
    db = schema_editor.connection.alias
    response_model = apps.get_model("feedback", "FeedbackResponse")
    through = apps.get_model("feedback", "ContentChange").responses.through
    # New ids are all at least 2**32 and the old ones far below, so no new id meets an old one.
    old_ids = list(response_model.objects.using(db).filter(id__lt=2**32).values_list("id", flat=True))
    for old in old_ids:
        new = new_response_id()
        response_model.objects.using(db).filter(id=old).update(id=new)
        through.objects.using(db).filter(feedbackresponse_id=old).update(feedbackresponse_id=new)


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0003_form_token_use_shared_device_random_ids"),
    ]

    # Nothing to undo: a random id is as good an id as a counted one.
    operations = [migrations.RunPython(renumber, migrations.RunPython.noop)]
