"""End: marks where a branch finishes (the lifecycle issue adds signalling another campaign)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register


@dataclass
class EndConfig:
    pass


@register
class End(ActivityType):
    """A terminal activity; it reports the population that reached it."""

    key = "flow.end"
    label = _("End")
    category = "flow"
    Config = EndConfig
    max_inputs = None

    def outputs(self, config):
        return []

    def execute(self, ctx, inputs, config):
        return Outcome()
