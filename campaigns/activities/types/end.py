"""End: marks where a branch finishes; it can signal another campaign (lifecycle issue).

With ``signal``, a live run launches another published, signal-triggered campaign with parameters;
a missing or unpublished target fails the task with a clear error. A test run only checks that the
target exists and says what it would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register


@dataclass
class SignalTarget:
    campaign: int
    variables: dict = field(default_factory=dict)


@dataclass
class EndConfig:
    signal: SignalTarget | None = None


@register
class End(ActivityType):
    """A terminal activity; it reports the population that reached it."""

    key = "flow.end"
    label = gettext_lazy("End")
    description = gettext_lazy("A terminal activity; it reports the population that reached it.")
    category = "flow"
    Config = EndConfig
    max_inputs = None

    def outputs(self, config):
        return []

    def execute(self, ctx, inputs, config):
        if config.signal is None:
            return Outcome()
        from campaigns.lifecycle.launches import campaign_signal
        from campaigns.models import Campaign

        target_id = config.signal.campaign
        if ctx.is_test:
            target = Campaign.objects.filter(pk=target_id).first()
            if target is None:
                raise ValueError(_("Campaign %(id)s to signal does not exist.") % {"id": target_id})
            return Outcome(message=_("Test run: would signal %(name)s.") % {"name": target.name})
        launch = campaign_signal(
            source_run=ctx.run,
            activity_key=ctx.activity.key,
            target_id=target_id,
            variables=dict(config.signal.variables),
        )
        return Outcome(
            message=_("Signalled %(name)s: %(outcome)s.")
            % {"name": launch.campaign.name, "outcome": launch.get_outcome_display()}
        )
