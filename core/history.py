"""History records (django-simple-history) for rows written without Model.save().

simple_history writes a record from post_save and post_delete; a queryset UPDATE (the conditional
UPDATE of core.concurrency, QuerySet.update) or bulk_update sends neither, so the writes that use
them call history_record_changed() with the rows as they now are. Knows no domain: a model without
HistoricalRecords is left alone.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from django.db import models
from simple_history.utils import get_history_manager_for_model


def has_history(model: type[models.Model]) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def history_record_changed(instances: Iterable[models.Model]) -> None:
    """A "changed" record of each row, as it is in memory (every tracked field must be as saved):
    one INSERT whatever the number of rows, none for a model without history. The person is the
    request's (HistoryRequestMiddleware), or the instance's `_history_user` when set."""
    rows = list(instances)
    if rows and has_history(type(rows[0])):
        get_history_manager_for_model(type(rows[0])).bulk_history_create(rows, update=True)


def history_record_update(instance: models.Model, changes: Mapping[str, object]) -> None:
    """After an UPDATE that wrote `changes` to this row (whose other fields in memory are as saved):
    its "changed" record. The instance itself is left as it was (its callers may still compare old
    and new). A change written as an SQL expression is read back from the row instead: one query more."""
    model = type(instance)
    if not has_history(model):
        return
    if any(hasattr(value, "resolve_expression") for value in changes.values()):
        saved = model._default_manager.get(pk=instance.pk)
        if hasattr(instance, "_history_user"):
            saved._history_user = instance._history_user
    else:
        saved = copy.copy(instance)
        for name, value in changes.items():
            setattr(saved, name, value)
    history_record_changed([saved])
