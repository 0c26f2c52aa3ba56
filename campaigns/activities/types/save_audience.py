"""Save audience: replaces a static audience's members with the population (live runs only)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine import rules
from campaigns.engine.context import pass_through


@dataclass
class SaveAudienceConfig:
    audience: str  # the audience's unique name; created on the first live run when missing


@register
class SaveAudience(ActivityType):
    """Keeps a campaign's population for later campaigns; a test run passes it on without saving."""

    key = "targeting.save_audience"
    label = _("Save audience")
    description = _(
        "Keeps a campaign's population for later campaigns; a test run passes it on without saving."
    )
    Config = SaveAudienceConfig
    live_only = True
    needs_audience = True

    def validate(self, config, node):
        if not config.audience.strip():
            return [("audience", _("Name the audience."))]
        return []

    def execute(self, ctx, inputs, config):
        inp = inputs[0]
        pass_through(ctx, inp)
        if ctx.is_test:
            return Outcome(message=gettext("Test run: the audience is not saved."))
        select = sa.select(*(inp.table.c[k].label(k) for k in inp.key_columns))
        # A live run is launched by a publisher or a schedule (no user): the audience is the owner's.
        rules.audience_save(
            actor=ctx.run.campaign.owner or ctx.run.started_by,
            name=config.audience,
            dimension=inp.dimension,
            select=select,
        )
        return Outcome(message=gettext("Audience %(name)s saved.") % {"name": config.audience})
