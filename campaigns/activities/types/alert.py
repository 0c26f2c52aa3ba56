"""Alert: notifies chosen users or groups by email (live runs only; a test run only logs it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine.context import pass_through


@dataclass
class AlertConfig:
    users: list[str] = field(default_factory=list)  # usernames
    groups: list[str] = field(default_factory=list)  # group names
    subject: str = ""
    message: str = ""


@register
class Alert(ActivityType):
    """Tells people a campaign reached a point, with the population count; the population goes on."""

    key = "flow.alert"
    label = _("Alert")
    description = _(
        "Tells people a campaign reached a point, with the population count; the population goes on."
    )
    category = "flow"
    Config = AlertConfig

    def validate(self, config, node):
        errors = []
        if not config.users and not config.groups:
            errors.append(("users", _("Choose at least one user or group.")))
        known = set(
            get_user_model().objects.filter(username__in=config.users).values_list("username", flat=True)
        )
        errors += [
            ("users", _("Unknown user %(name)s.") % {"name": u}) for u in config.users if u not in known
        ]
        groups = set(Group.objects.filter(name__in=config.groups).values_list("name", flat=True))
        errors += [
            ("groups", _("Unknown group %(name)s.") % {"name": g}) for g in config.groups if g not in groups
        ]
        return errors

    def recipients(self, config) -> list[str]:
        users = get_user_model().objects.filter(is_active=True).exclude(email="")
        by_user = users.filter(username__in=config.users).values_list("email", flat=True)
        by_group = users.filter(groups__name__in=config.groups).values_list("email", flat=True)
        return sorted(set(by_user) | set(by_group))

    def execute(self, ctx, inputs, config):
        inp = inputs[0] if inputs else None
        pass_through(ctx, inp)
        count = inp.count if inp else 0
        subject = config.subject or gettext("Campaign %(name)s: alert") % {"name": ctx.run.campaign.name}
        body = f"{config.message}\n\n" + gettext("Population: %(count)s") % {"count": count}
        recipients = self.recipients(config)
        if ctx.is_test:
            return Outcome(
                message=gettext("Test run: %(n)s recipients would be alerted.") % {"n": len(recipients)}
            )
        # Sent once the task's transaction commits, so a rolled-back attempt sends nothing.
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients, fail_silently=False))
        return Outcome(message=gettext("Alert sent to %(n)s recipients.") % {"n": len(recipients)})
