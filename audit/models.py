"""The audit trail's storage.

* ``DomainEvent``: one row per thing that happened (a lifecycle action, a run command, a schedule firing,
  a change to a tracked configuration row), with who, when and the difference. Rows are written by one
  function per event (``campaigns.events``) or by the history recorder, never edited.
* Historical tables (django-simple-history) keep the full successive states of configuration models:
  campaigns and their graph, schedules, sharing, the data-model catalog, saved filters and audiences,
  channel configurations (without their provider secrets). They live in this app so
  the apps they watch need no change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register

from audit.context import history_user


class DomainEvent(models.Model):
    """One line of the timeline. ``changes`` lists ``{"field", "old", "new"}`` for changes of rows."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # the timeline outlives the campaign (purged campaigns keep their events)
    )
    campaign_name = models.CharField(_("campaign name"), max_length=200, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "at"], name="audit_event_campaign_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_repr}".strip()


def _tracked_models():
    """Configuration models whose every change is kept (who, when, the difference)."""
    from audiences.catalog.models import Field, Link, LinkKey, Schema, TargetingDimension
    from audiences.saved.models import Audience, SavedFilter
    from campaigns.models import (
        Activity,
        Campaign,
        CampaignGroupObjectPermission,
        CampaignSchedule,
        CampaignUserObjectPermission,
        Run,
        Transition,
    )

    return [
        Campaign,
        Activity,
        Transition,
        CampaignSchedule,
        CampaignUserObjectPermission,
        CampaignGroupObjectPermission,
        Run,
        Schema,
        Field,
        Link,
        LinkKey,
        TargetingDimension,
        SavedFilter,
        Audience,
    ]


def _channel_models():
    """Channel configurations, without ``provider_settings``: it holds passwords and API keys, which
    the trail (readable by every profile) must never copy."""
    from channels.models import ChannelConfiguration

    return [(ChannelConfiguration, ["provider_settings"])]


TRACKED = []
for _model in _tracked_models():
    if not hasattr(_model, "history"):
        register(_model, app="audit", get_user=history_user, user_related_name="+")
    TRACKED.append(_model)
for _model, _excluded in _channel_models():
    if not hasattr(_model, "history"):
        register(_model, app="audit", get_user=history_user, user_related_name="+", excluded_fields=_excluded)
    TRACKED.append(_model)
