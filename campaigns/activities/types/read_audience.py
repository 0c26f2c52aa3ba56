"""Read audience: the members of a saved audience (static or rule-based) as a population."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine import rules
from campaigns.engine.context import dimension_key_columns


@dataclass
class ReadAudienceConfig:
    audience: str  # the audience's name


@register
class ReadAudience(ActivityType):
    """Starts from an audience saved earlier (by a rule, an upload or a campaign)."""

    key = "targeting.read_audience"
    label = _("Read audience")
    description = _("Starts from an audience saved earlier (by a rule, an upload or a campaign).")
    Config = ReadAudienceConfig
    min_inputs = 0
    max_inputs = 0

    def _audience(self, config, reader):
        return rules.audience_get(config.audience, actor=reader)

    def validate(self, config, node):
        if self._audience(config, node.reader) is None:
            return [("audience", _("Unknown audience %(name)s.") % {"name": config.audience})]
        return []

    def output_dimension(self, config, node):
        audience = self._audience(config, node.reader)
        return audience.dimension.schema.name if audience else None

    def execute(self, ctx, inputs, config):
        audience = self._audience(config, ctx.reader)
        if audience is None:
            raise ValueError(_("Unknown audience %(name)s.") % {"name": config.audience})
        keys = dimension_key_columns(audience.dimension)
        ctx.emit(
            "out",
            rules.audience_members_select(audience, actor=ctx.reader),
            dimension=audience.dimension,
            key_columns=[k["name"] for k in keys],
            columns=keys,
        )
        return Outcome()
