"""AND-join: waits until every inbound branch has arrived, then passes the primary one on."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine.context import pass_through


@dataclass
class AndJoinConfig:
    primary: str | None = None  # source activity key of the population passed on; default: the first


@register
class AndJoin(ActivityType):
    """Synchronises branches; only the primary population continues."""

    key = "flow.and_join"
    label = _("AND-join")
    description = _("Synchronises branches; only the primary population continues.")
    category = "flow"
    Config = AndJoinConfig
    min_inputs = 2
    max_inputs = None
    join_all = True

    def validate(self, config, node):
        if config.primary is not None and config.primary not in node.inputs:
            return [("primary", _("The primary input must be one of the inbound activities."))]
        return []

    def output_dimension(self, config, node):
        if config.primary in node.inputs:
            return node.input_dimensions[node.inputs.index(config.primary)]
        return super().output_dimension(config, node)

    def execute(self, ctx, inputs, config):
        primary = next((i for i in inputs if i.source_key == config.primary), inputs[0] if inputs else None)
        pass_through(ctx, primary)
        return Outcome()
