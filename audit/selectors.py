"""Reads of the timeline. Every profile reads audit events, but an event about a private saved filter
or audience (name, rule difference) is shown only to users who may see that object."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Cast

from accounts.permissions import restrict
from audit.models import DomainEvent


def _private_models():
    from audiences.saved.models import Audience, SavedFilter

    return [SavedFilter, Audience]


def events_visible(user, queryset: models.QuerySet[DomainEvent] | None = None) -> models.QuerySet:
    """``queryset`` (all events by default) restricted for ``user``: the profile first, then events of
    owned objects narrowed to those objects the user may view (one subquery per such model)."""
    events = restrict(user, "view", queryset if queryset is not None else DomainEvent.objects.all())
    for model in _private_models():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        visible = (
            restrict(user, "view", model.objects.all())
            .annotate(oc_key=Cast("pk", models.CharField()))
            .values("oc_key")
        )
        events = events.exclude(models.Q(object_type=label) & ~models.Q(object_id__in=visible))
    from django.contrib.auth import get_user_model

    from accounts.events import TOKEN_TYPE, USER_TYPE
    from accounts.permissions import can_model

    if not can_model(user, "view", get_user_model()):  # accounts' events: only who may see users
        events = events.exclude(object_type__in=[USER_TYPE, TOKEN_TYPE])
    return events
