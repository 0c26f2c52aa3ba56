"""The campaign graph: activities (nodes of a registered type) joined by transitions (edges).

The graph is edited as one document (``campaigns.services.graph``); these rows are its storage. An
activity's ``config`` is raw JSON here and is parsed into its type's typed ``Config`` at every boundary.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.names import DisplayNamed
from campaigns.models.campaign import Campaign

KEY_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]{0,62}$", _("Use lower-case letters, digits and underscores, starting with a letter.")
)


class Activity(DisplayNamed, models.Model):
    display_name_fields = ("label",)
    unique_looking_fields = ()
    """A node of a campaign's graph. ``key`` is stable across graph edits and names it in errors."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="activities"
    )
    key = models.CharField(_("key"), max_length=63, validators=[KEY_VALIDATOR])
    type = models.CharField(_("type"), max_length=100)
    label = models.CharField(_("label"), max_length=200, blank=True)
    x = models.FloatField(_("canvas x"), default=0)
    y = models.FloatField(_("canvas y"), default=0)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    breakpoint = models.BooleanField(
        _("breakpoint"), default=False, help_text=_("A run pauses before executing this activity.")
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="campaigns_activity_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label or self.key


class Transition(DisplayNamed, models.Model):
    display_name_fields = ("label",)
    unique_looking_fields = ()
    """An edge from one named output of ``source`` to ``target``; each output feeds at most one edge."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="transitions"
    )
    source = models.ForeignKey(
        Activity, verbose_name=_("source"), on_delete=models.CASCADE, related_name="outgoing"
    )
    output = models.CharField(_("output"), max_length=63, default="out")
    target = models.ForeignKey(
        Activity, verbose_name=_("target"), on_delete=models.CASCADE, related_name="incoming"
    )
    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "output"], name="campaigns_transition_one_per_output"),
        ]

    def __str__(self) -> str:
        return f"{self.source.key}.{self.output} -> {self.target.key}"
