"""``channel.email``, ``channel.sms`` and ``channel.push``: activity types of the campaign engine.

In a test run the engine passes the population through (``live_only``): nothing is sent. In a live
run ``execute`` prepares the delivery (one statement for recipients and exclusions, then the ledger)
inside the task's transaction, render-checks the templates on real rows, and enqueues the senders
once the transaction commits. Re-running the task finds the prepared delivery and only re-enqueues.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, GraphNode, Outcome
from campaigns.activities.registry import get, register
from channels.activities.configs import (
    EmailActivityConfig,
    PushActivityConfig,
    SmsActivityConfig,
    config_errors,
)


class ChannelActivity(ActivityType):
    channel: str
    category = "channel"
    is_channel = True
    live_only = True
    needs_audience = True

    def validate(self, config, node: GraphNode):
        dimension = node.input_dimensions[0] if node.input_dimensions else None
        return config_errors(self.channel, config, dimension_name=dimension)

    def outputs(self, config):
        return ["out"]

    def execute(self, ctx, inputs, config):
        from campaigns.engine.context import pass_through
        from channels.services.deliveries import delivery_preview, delivery_run_activity

        inp = inputs[0]
        if ctx.is_test:  # no side effect: count who would receive it and who would be excluded, and why
            counts = delivery_preview(
                campaign=ctx.run.campaign,
                channel=self.channel,
                config=config,
                table=inp.name,
                key_columns=inp.key_columns,
                columns=inp.column_names,
            )
            pass_through(ctx, inp)
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            return Outcome(
                message=str(_("Test run, nothing sent. Would send to %(detail)s") % {"detail": detail})
            )
        delivery = delivery_run_activity(
            run=ctx.run,
            activity=ctx.activity,
            channel=self.channel,
            config=config,
            table=inp.name,
            key_columns=inp.key_columns,
            columns=inp.column_names,
        )
        pass_through(ctx, inp)
        return Outcome(
            message=str(
                _("%(sent)d recipients, %(excluded)d excluded")
                % {"sent": delivery.targeted - delivery.excluded, "excluded": delivery.excluded}
            )
        )


class EmailActivity(ChannelActivity):
    """An email to every recipient of the inbound population."""

    key = "channel.email"
    label = _("Email")
    description = _("An email to every recipient of the inbound population.")
    channel = "email"
    Config = EmailActivityConfig


class SmsActivity(ChannelActivity):
    """An SMS to every recipient of the inbound population."""

    key = "channel.sms"
    label = _("SMS")
    description = _("An SMS to every recipient of the inbound population.")
    channel = "sms"
    Config = SmsActivityConfig


class PushActivity(ChannelActivity):
    """A push notification to every recipient of the inbound population."""

    key = "channel.push"
    label = _("Push notification")
    description = _("A push notification to every recipient of the inbound population.")
    channel = "push"
    Config = PushActivityConfig


def register_all() -> None:
    """Register the three types once (idempotent: Django may call ready() again in some test setups)."""
    for cls in (EmailActivity, SmsActivity, PushActivity):
        if get(cls.key) is None:
            register(cls)
