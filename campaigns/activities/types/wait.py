"""Wait: continues after a duration or at a fixed time; a schedule resumes it, no worker waits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine.context import pass_through


@dataclass
class WaitConfig:
    minutes: int = 0
    until: str | None = None  # an ISO date and time; wins over ``minutes``


@register
class Wait(ActivityType):
    """Delays its branch; the population passes through unchanged at the due time."""

    key = "flow.wait"
    label = _("Wait")
    description = _("Delays its branch; the population passes through unchanged at the due time.")
    category = "flow"
    Config = WaitConfig

    def validate(self, config, node):
        if config.minutes < 0:
            return [("minutes", _("A wait cannot be negative."))]
        if config.until is not None and parse_datetime(config.until) is None:
            return [("until", _("Enter a date and time such as 2026-01-31T09:00:00+00:00."))]
        return []

    def due_at(self, config, task) -> dt.datetime:
        if config.until:
            due = parse_datetime(config.until)
            return due if timezone.is_aware(due) else timezone.make_aware(due)
        return (task.created_at or timezone.now()) + dt.timedelta(minutes=config.minutes)

    def execute(self, ctx, inputs, config):
        due = ctx.task.due_at or self.due_at(config, ctx.task)
        if due > timezone.now():
            return Outcome(
                wait_until=due, message=str(_("Waiting until %(due)s.") % {"due": due.isoformat()})
            )
        pass_through(ctx, inputs[0] if inputs else None)
        return Outcome()
