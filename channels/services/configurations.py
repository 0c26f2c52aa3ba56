"""Channel configurations, capping rules and the suppression list: writes by Administrators."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import can, can_model
from audiences.catalog.selectors import schema_fields, schema_links
from channels.models import CappingRule, ChannelConfiguration, DeliveryLevel, SuppressionEntry
from channels.providers import hosts, registry

CONFIGURATION_FIELDS = (
    "name",
    "channel",
    "marketing",
    "transactional",
    "provider",
    "provider_settings",
    "from_email",
    "from_name",
    "reply_to",
    "sms_sender_id",
    "rate_per_second",
    "throttle_window_hours",
    "dimension",
    "delivery_level",
    "secondary_link",
    "address_field",
    "tracking_base_url",
    "enabled",
)


def _require(actor, action: str, model=None, obj=None) -> None:
    allowed = can(actor, action, obj) if obj is not None else can_model(actor, action, model)
    if not allowed:
        raise PermissionDenied(_("You may not change channel settings."))


def configuration_check(configuration: ChannelConfiguration) -> None:
    """Everything the database cannot check: provider and its typed settings, address field, link."""
    configuration.full_clean()
    errors: dict[str, str] = {}
    provider = registry.get(configuration.provider)
    if provider is None or provider.channel != configuration.channel:
        errors["provider"] = _("Choose a provider of this channel: %(keys)s.") % {
            "keys": ", ".join(k for k, _label in registry.choices(configuration.channel))
        }
    else:
        parsed = provider.parse(configuration.provider_settings)  # raises with the setting's name
        refused = hosts.refused_hosts(parsed)
        if refused:
            errors["provider_settings"] = hosts.refusal_message(refused)
    if not (configuration.marketing or configuration.transactional):
        errors["marketing"] = _("A configuration serves marketing, transactional messages or both.")
    dimension = configuration.dimension
    target = dimension.schema
    if configuration.delivery_level == DeliveryLevel.SECONDARY:
        side = schema_links(dimension.schema).get(configuration.secondary_link)
        if side is None or not side.multiplies_rows:
            errors["secondary_link"] = _("Choose a 1-N link of the targeting dimension.")
        else:
            target = side.to_schema
    elif configuration.secondary_link:
        errors["secondary_link"] = _("Only a secondary-dimension delivery uses a link.")
    if configuration.address_field:
        names = set(schema_fields(dimension.schema)) | (set(schema_fields(target)) if target else set())
        if configuration.address_field not in names:
            errors["address_field"] = _("Unknown field %(name)s.") % {"name": configuration.address_field}
    elif not getattr(dimension, f"{configuration.channel}_field_id"):
        errors["address_field"] = _("The dimension has no address field for this channel; name one.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def configuration_create(*, actor, data: dict) -> ChannelConfiguration:
    _require(actor, "add", ChannelConfiguration)
    unknown = sorted(set(data) - set(CONFIGURATION_FIELDS))
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    configuration = ChannelConfiguration(**data)
    configuration_check(configuration)
    configuration.save()
    return configuration


@transaction.atomic
def configuration_update(*, actor, configuration: ChannelConfiguration, data: dict) -> ChannelConfiguration:
    _require(actor, "change", obj=configuration)
    configuration = ChannelConfiguration.objects.select_for_update().get(pk=configuration.pk)
    unknown = sorted(set(data) - set(CONFIGURATION_FIELDS))
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    for key, value in data.items():
        setattr(configuration, key, value)
    configuration_check(configuration)
    configuration.save()
    return configuration


@transaction.atomic
def configuration_delete(*, actor, configuration: ChannelConfiguration) -> None:
    _require(actor, "delete", obj=configuration)
    if configuration.deliveries.exists():
        raise ValidationError({"configuration": _("Deliveries used this configuration; disable it instead.")})
    configuration.delete()


@transaction.atomic
def capping_rule_save(*, actor, rule: CappingRule) -> CappingRule:
    _require(actor, "change" if rule.pk else "add", CappingRule)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def capping_rule_delete(*, actor, rule: CappingRule) -> None:
    _require(actor, "delete", obj=rule)
    rule.delete()


def normalize_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    return address.lower() if channel == "email" else address


@transaction.atomic
def suppression_add(
    *, actor, channel: str, address: str, reason: str = "manual", detail: str = ""
) -> SuppressionEntry:
    """Suppress an address by hand (Administrators). Tracking and bounces use ``suppress`` directly."""
    _require(actor, "add", SuppressionEntry)
    entry = SuppressionEntry(
        channel=channel, address=normalize_address(channel, address), reason=reason, detail=detail
    )
    entry.full_clean(validate_unique=False)
    if SuppressionEntry.objects.filter(channel=entry.channel, address=entry.address).exists():
        raise ValidationError({"address": _("This address is already suppressed.")})
    entry.save()
    return entry


@transaction.atomic
def suppression_remove(*, actor, entry: SuppressionEntry) -> None:
    _require(actor, "delete", obj=entry)
    entry.delete()


def suppress(*, channel: str, address: str, reason: str, detail: str = "") -> None:
    """The system's own suppression (bounce, complaint, unsubscribe, STOP); idempotent."""
    SuppressionEntry.objects.get_or_create(
        channel=channel,
        address=normalize_address(channel, address),
        defaults={"reason": reason, "detail": detail[:255]},
    )
