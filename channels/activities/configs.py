"""Typed configurations of the channel activities and their checks (shared by the three types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from channels.content import (
    CategoryKey,
    EmailContent,
    EmailVariant,
    PushContent,
    PushVariant,
    SmsContent,
    SmsVariant,
    template_parts,
)
from channels.personalization.templates import AnyValue, TemplateProblem, render


@dataclass
class EmailActivityConfig:
    configuration: str
    content: EmailContent
    category: CategoryKey = "marketing"
    variants: list[EmailVariant] = field(default_factory=list)
    rule_set: str = "default"
    track_opens: bool = True
    track_clicks: bool = True
    send_without_confirmation: bool = False  # a one-time live campaign holds sends otherwise


@dataclass
class SmsActivityConfig:
    configuration: str
    content: SmsContent
    category: CategoryKey = "marketing"
    variants: list[SmsVariant] = field(default_factory=list)
    rule_set: str = "default"
    track_clicks: bool = False
    send_without_confirmation: bool = False  # a one-time live campaign holds sends otherwise


@dataclass
class PushActivityConfig:
    configuration: str
    content: PushContent
    category: CategoryKey = "marketing"
    variants: list[PushVariant] = field(default_factory=list)
    rule_set: str = "default"
    track_clicks: bool = True
    send_without_confirmation: bool = False  # a one-time live campaign holds sends otherwise


CONFIG_CLASSES = {"email": EmailActivityConfig, "sms": SmsActivityConfig, "push": PushActivityConfig}


def parse_activity_config(channel: str, raw: Any):
    from campaigns.activities.config import parse_config

    return parse_config(CONFIG_CLASSES[channel], raw)


def sample_context(dimension) -> dict:
    """What a template sees at save time: every field of the dimension with a sample value, any
    enrichment column, the campaign context."""
    from audiences.catalog.selectors import schema_fields

    recipient = (
        {name: _sample(f.type) for name, f in schema_fields(dimension.schema).items()} if dimension else {}
    )
    return {
        "recipient": recipient,
        "enrichment": AnyValue(),
        "secondary": AnyValue(),
        "campaign": {"id": 1, "name": "Campaign"},
        "activity": {"key": "activity", "label": "Activity"},
        "run": {"id": 1},
        "channel": "email",
        "unsubscribe_url": "https://example.invalid/u/",
    }


def _sample(type_key: str):
    return {
        "integer": 1,
        "bigint": 1,
        "decimal": 1.5,
        "float": 1.5,
        "boolean": True,
        "date": "2024-01-31",
        "datetime": "2024-01-31T12:00:00Z",
    }.get(type_key, "sample")


def config_errors(channel: str, config, *, dimension_name: str | None) -> list[tuple[str, str]]:
    """Every problem of a parsed configuration: the configuration it names, the variants' shares and
    every template, render-checked against a sample recipient of the dimension."""
    from channels.models import Category, ChannelConfiguration

    errors: list[tuple[str, str]] = []
    configuration = (
        ChannelConfiguration.objects.select_related("dimension__schema")
        .filter(name=config.configuration)
        .first()
    )
    dimension = None
    if configuration is None:
        errors.append(
            (
                "configuration",
                _("There is no channel configuration named %(name)s.") % {"name": config.configuration},
            )
        )
    else:
        dimension = configuration.dimension
        if configuration.channel != channel:
            errors.append(("configuration", _("This configuration is for another channel.")))
        if not configuration.enabled:
            errors.append(("configuration", _("This configuration is disabled.")))
        if not configuration.serves(config.category):
            errors.append(("category", _("The configuration does not serve this category.")))
        if dimension_name and dimension.schema.name != dimension_name:
            errors.append(
                (
                    "configuration",
                    _("The configuration targets %(dim)s, the inbound population is %(other)s.")
                    % {"dim": dimension.schema.name, "other": dimension_name},
                )
            )
        if config.category == Category.MARKETING and not getattr(dimension, f"{channel}_consent_field_id"):
            errors.append(
                ("category", _("Marketing messages need the dimension's consent field for this channel."))
            )
        address = configuration.address_field or getattr(dimension, f"{channel}_field_id")
        if not address:
            errors.append(("configuration", _("The dimension has no address field for this channel.")))
    names = [v.name for v in config.variants]
    if len(set(names)) != len(names) or any(not n for n in names):
        errors.append(("variants", _("Each variant needs a unique, non-empty name.")))
    if any(not 1 <= v.share <= 99 for v in config.variants) or sum(v.share for v in config.variants) > 100:
        errors.append(("variants", _("Shares are percentages from 1 to 99 adding up to at most 100.")))
    context = sample_context(dimension)
    contents = [("content", config.content)] + [
        (f"variants.{i}.content", v.content) for i, v in enumerate(config.variants)
    ]
    for prefix, content in contents:
        for path, source, html in template_parts(channel, content):
            try:
                render(source, context, html=html)
            except TemplateProblem as exc:
                errors.append((f"{prefix}.{path}", exc.message))
    return errors
