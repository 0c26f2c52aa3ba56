"""Turns each historical record simple-history writes into a line of the timeline, with its difference.

This is bookkeeping, not domain flow: nothing reacts to these rows. Run rows are tracked only for their
status (start, pause, resume, stop, finish), which is how run commands reach the trail.
"""

from __future__ import annotations

from django.utils.encoding import force_str
from simple_history.signals import post_create_historical_record

from audit.models import DomainEvent

HISTORY_KINDS = {"+": "created", "~": "changed", "-": "deleted"}
RUN_FIELDS = {"status"}


SHARING = ("campaigns.campaignuserobjectpermission", "campaigns.campaigngroupobjectpermission")


def _campaign_of(instance, label: str):
    """The campaign a tracked row belongs to, by id (no query)."""
    if label == "campaigns.campaign":
        return instance.pk
    if label in SHARING:
        return instance.content_object_id
    return getattr(instance, "campaign_id", None)


def _value(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return force_str(value)


def changes_between(new_record, old_record) -> list[dict]:
    if old_record is None:
        return []
    delta = new_record.diff_against(old_record)
    return [{"field": c.field, "old": _value(c.old), "new": _value(c.new)} for c in delta.changes]


def record(sender, instance, history_instance, history_user=None, **kwargs) -> None:
    kind = HISTORY_KINDS.get(history_instance.history_type, "changed")
    model = type(instance)
    label = f"{model._meta.app_label}.{model._meta.model_name}"
    changes = []
    if kind == "changed":
        changes = changes_between(history_instance, history_instance.prev_record)
        if label == "campaigns.run":
            changes = [c for c in changes if c["field"] in RUN_FIELDS]
        if not changes:
            return  # saved without a difference (e.g. a counter touched): nothing to tell
    elif label == "campaigns.run" and kind == "deleted":
        return
    campaign_id = _campaign_of(instance, label)
    user = history_user if history_user is not None and getattr(history_user, "pk", None) else None
    DomainEvent.objects.create(
        actor=user,
        actor_name=getattr(user, "username", "") if user else "",
        kind=f"{model._meta.model_name}.{kind}",
        campaign_id=campaign_id,
        object_type=label,
        object_id=str(instance.pk if instance.pk is not None else history_instance.id),
        object_repr=force_str(instance)[:300],
        changes=changes,
        data={"history_id": history_instance.history_id},
    )


def connect() -> None:
    post_create_historical_record.connect(record, dispatch_uid="audit.recorder")
