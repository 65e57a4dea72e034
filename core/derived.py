"""Figures stored per enrolment from other rows: which writes change them, and how they are written.

Which writes change figures stored from other rows (programmes' session progress, checklists'
standings, feedback's counts): the one implementation of "read the inputs before a save, refresh
after it only when one changed", used by each app's receivers.

A receiver module names the fields each model's rows contribute (its inputs) and makes one
InputWatch; the watch's pre_save receiver reads those fields as saved just before the save, and
changed() after the save says whether any of them moved (and what they were). A save whose
update_fields name none of the inputs is not read at all. deleted_through() tells a delete's own
row from the rows it cascades to, so that a cascade refreshes once, from the row deleted on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Model, QuerySet
from django.db.models.signals import pre_save

UNKNOWN = object()  # the row was not found before the save: refresh whatever it was
UNTOUCHED = object()  # a save that changes no input


def names(attnames: tuple[str, ...]) -> set[str]:
    """Both spellings a caller may use in update_fields or claim_version changes: plan and plan_id."""
    return {*attnames, *(name.removesuffix("_id") for name in attnames)}


def deleted_through(origin, models: tuple[type[Model], ...]) -> bool:
    """Whether a post_delete's row goes because a row of one of these models was deleted (its origin)."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return issubclass(model, models)


class InputWatch:
    """The inputs of one kind of stored figures, per model, and what a save did to them.

    skip_if: per model, a field read with the inputs and a test of its saved value that makes the
    save change nothing whatever it writes (feedback: a session without a feedback link).
    """

    def __init__(
        self,
        inputs: dict[type[Model], tuple[str, ...]],
        *,
        tag: str,
        skip_if: dict[type[Model], tuple[str, Callable[[object], bool]]] | None = None,
    ):
        self.inputs = inputs
        self.tag = tag  # the instance attribute that carries the inputs from pre_save to post_save
        self.skip_if = skip_if or {}

    def remember(self, sender, instance, raw=False, update_fields=None, **kwargs) -> None:
        """pre_save: the inputs as saved now (None for a new row or a raw save)."""
        inputs = self.inputs[sender]
        if raw or instance._state.adding:
            before = None
        elif update_fields is not None and not names(inputs) & set(update_fields):
            before = UNTOUCHED
        else:
            skip = self.skip_if.get(sender)
            read = (*inputs, skip[0]) if skip else inputs
            saved = sender._base_manager.filter(pk=instance.pk).values_list(*read).first()
            if saved is None:
                before = UNKNOWN
            elif skip and skip[1](saved[-1]):
                before = UNTOUCHED
            else:
                before = dict(zip(inputs, saved[: len(inputs)], strict=True))
        setattr(instance, self.tag, before)

    def changed(self, sender, instance) -> dict | None:
        """post_save: the inputs as saved before this save when any of them changed (else None); {}
        when they are not known."""
        before = instance.__dict__.pop(self.tag, None)
        if before is None or before is UNTOUCHED:
            return None
        if before is UNKNOWN:
            return {}
        after = {name: getattr(instance, name) for name in self.inputs[sender]}
        return before if before != after else None

    def touches(self, sender, changes) -> bool:
        """Whether claim_version's changes (field names) write any of the model's inputs."""
        return bool(names(self.inputs[sender]) & set(changes))

    def connect(self, uid: str) -> None:
        """Connects remember() as every input model's pre_save receiver."""
        for model in self.inputs:
            pre_save.connect(self.remember, sender=model, dispatch_uid=f"{uid}.pre_save.{model.__name__}")


STORE_BATCH = 500  # rows a statement, for the upserts and deletes below


def store_per_enrolment(model: type[Model], rows: dict[int, dict], *, absent: Iterable[int], fields: list[str]) -> None:
    """Writes stored per-enrolment figures: upserts a row of `model` (keyed by its `enrolment`) for
    each enrolment id in `rows` (field -> value) and deletes the rows of the `absent` ids (those with
    nothing to store). `fields`: the columns an upsert overwrites."""
    absent = list(absent)
    for start in range(0, len(absent), STORE_BATCH):
        model.objects.filter(enrolment_id__in=absent[start : start + STORE_BATCH]).delete()
    if rows:
        model.objects.bulk_create(
            [model(enrolment_id=pk, **values) for pk, values in rows.items()],
            batch_size=STORE_BATCH,
            update_conflicts=True,
            unique_fields=["enrolment"],
            update_fields=fields,
        )
