"""Fork: the same population on several branches, which then run concurrently."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine.context import pass_through


@dataclass
class ForkConfig:
    branches: list[str] = field(default_factory=lambda: ["branch1", "branch2"])


@register
class Fork(ActivityType):
    """Copies its input to every branch (a start activity when it has no input)."""

    key = "flow.fork"
    label = _("Fork")
    description = _("Copies its input to every branch (a start activity when it has no input).")
    category = "flow"
    Config = ForkConfig
    min_inputs = 0

    def outputs(self, config):
        return list(config.branches)

    def validate(self, config, node):
        errors = []
        if len(config.branches) < 1 or len(set(config.branches)) != len(config.branches):
            errors.append(("branches", _("Give each branch a distinct name.")))
        if any(not b.isidentifier() for b in config.branches):
            errors.append(("branches", _("Use letters, digits and underscores.")))
        return errors

    def execute(self, ctx, inputs, config):
        for branch in config.branches:
            pass_through(ctx, inputs[0] if inputs else None, branch)
        return Outcome()
