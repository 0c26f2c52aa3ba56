"""What an approved campaign version pins of the channels app (``campaigns.lifecycle.pins``, ADR 0003).

* A channel configuration's content-relevant settings: who a message is from and replies to, which
  provider and channel carry it, which categories it serves, who receives it (dimension, delivery
  level, address source), where its links track, whether it is enabled. Not the provider settings
  (credentials and hosts: operational, and kept out of the trail) nor the rate and sending window.
* A capping rule set by name, with every rule in it.

Approve, publish and each launch refuse while one of these differs from the pinned copy.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.lifecycle.pins import PinKind, register_pin_kind

CONTENT_SETTINGS = (
    "channel",
    "provider",
    "marketing",
    "transactional",
    "from_email",
    "from_name",
    "reply_to",
    "sms_sender_id",
    "dimension",
    "delivery_level",
    "secondary_link",
    "address_field",
    "tracking_base_url",
    "enabled",
)


def _channel_activity(type_key: str) -> bool:
    return type_key.startswith("channel.")


def _configuration_names(type_key: str, config: dict) -> list[str]:
    name = config.get("configuration")
    return [name] if _channel_activity(type_key) and isinstance(name, str) else []


def _rule_set_names(type_key: str, config: dict) -> list[str]:
    if not _channel_activity(type_key):
        return []
    name = config.get("rule_set", "default")
    return [name] if isinstance(name, str) else []


def configuration_snapshot(name: str) -> dict | None:
    from channels.models import ChannelConfiguration

    configuration = ChannelConfiguration.objects.select_related("dimension__schema").filter(name=name).first()
    if configuration is None:
        return None
    out = {key: getattr(configuration, key) for key in CONTENT_SETTINGS if key != "dimension"}
    out["dimension"] = configuration.dimension.schema.name
    return out


def _configuration_setting_label(setting: str) -> str:
    from django.core.exceptions import FieldDoesNotExist

    from channels.models import ChannelConfiguration

    try:
        return str(ChannelConfiguration._meta.get_field(setting).verbose_name)
    except FieldDoesNotExist:  # a key from an older pin: show the key
        return setting


def rule_set_snapshot(name: str) -> dict | None:
    """``{"<channel>/<period>": "at most N[, disabled]"}`` for every rule of the set ({} when empty)."""
    from channels.models import CappingRule

    out: dict[str, str] = {}
    for rule in CappingRule.objects.filter(rule_set=name).order_by("channel", "period", "pk"):
        value = str(rule.max_messages) + ("" if rule.enabled else " (disabled)")
        key = f"{rule.channel}/{rule.period}"
        out[key] = f"{out[key]}; {value}" if key in out else value
    return out


def _rule_setting_label(setting: str) -> str:
    from channels.models import CappingPeriod, Channel

    channel, _sep, period = setting.partition("/")
    labels = {**dict(Channel.choices), **dict(CappingPeriod.choices)}
    return _("the %(channel)s rule per %(period)s (messages)") % {
        "channel": labels.get(channel, channel),
        "period": labels.get(period, period),
    }


CONFIGURATION = PinKind(
    key="channel_configurations",
    label=gettext_lazy("Channel configuration"),
    collect=_configuration_names,
    snapshot=configuration_snapshot,
    setting_label=_configuration_setting_label,
)
CAPPING = PinKind(
    key="capping_rule_sets",
    label=gettext_lazy("Capping rule set"),
    collect=_rule_set_names,
    snapshot=rule_set_snapshot,
    setting_label=_rule_setting_label,
)


def register_pins() -> None:
    register_pin_kind(CONFIGURATION)
    register_pin_kind(CAPPING)
