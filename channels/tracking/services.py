"""Recording what happens after sending: one function per kind of event, each idempotent where the
source may repeat itself (provider webhooks carry an event id; unsubscribes happen once per message)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.models import ChannelConfiguration, EventKind, LedgerEntry, SuppressionReason, TrackingEvent
from channels.services.configurations import normalize_address, suppress

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET"}
WEBHOOK_KINDS = {
    "delivered": EventKind.DELIVERED,
    "soft_bounce": EventKind.SOFT_BOUNCE,
    "hard_bounce": EventKind.HARD_BOUNCE,
    "complaint": EventKind.COMPLAINT,
    "open": EventKind.OPEN,
    "click": EventKind.CLICK,
    "unsubscribe": EventKind.UNSUBSCRIBE,
}


def event_record(
    entry: LedgerEntry, kind: str, *, reason: str = "", url: str = "", provider_event_id=None
) -> bool:
    """Add one event for a message; False when the provider's event id was already recorded."""
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                delivery_id=entry.delivery_id,
                entry=entry,
                kind=kind,
                reason=reason[:255],
                url=url,
                profile_key=entry.profile_key,
                profile_id=entry.profile_id,
                address=entry.address,
                provider_event_id=provider_event_id,
                occurred_at=timezone.now(),
            )
    except IntegrityError:
        return False
    return True


def open_record(entry_id: int) -> None:
    entry = LedgerEntry.objects.filter(pk=entry_id).first()
    if entry is not None:
        event_record(entry, EventKind.OPEN)


def click_record(entry_id: int, url: str) -> bool:
    entry = LedgerEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return False
    event_record(entry, EventKind.CLICK, url=url)
    return True


@transaction.atomic
def unsubscribe_record(entry_id: int, *, how: str) -> LedgerEntry | None:
    """Suppress the message's address for its channel; one unsubscribe event per message."""
    entry = LedgerEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return None
    suppress(channel=entry.channel, address=entry.address, reason=SuppressionReason.UNSUBSCRIBE, detail=how)
    if not TrackingEvent.objects.filter(entry=entry, kind=EventKind.UNSUBSCRIBE).exists():
        event_record(entry, EventKind.UNSUBSCRIBE, reason=how)
    return entry


def webhook_events_record(configuration: ChannelConfiguration, events: list[dict]) -> int:
    """Provider callbacks, checked by the view: ``{"id", "type", "message_id", "reason", "url"}``
    each. Hard bounces and complaints suppress the address. Unknown types, unknown messages, repeated
    event ids and repeated once-per-message events are skipped; the count of recorded ones."""
    accepted = 0
    for item in events:
        kind = WEBHOOK_KINDS.get(item["type"])
        if kind is None:
            continue
        entry = LedgerEntry.objects.filter(
            provider_message_id=item["message_id"], delivery__configuration=configuration
        ).first()
        if entry is None:
            continue
        accepted += provider_event_record(
            entry,
            kind,
            event_id=f"{configuration.pk}:{item['id']}",
            reason=item.get("reason", ""),
            url=item.get("url", ""),
        )
    return accepted


# What happens to a recipient at most once per message, however many times a provider reports it.
ONCE_PER_MESSAGE = {EventKind.HARD_BOUNCE, EventKind.COMPLAINT, EventKind.UNSUBSCRIBE}


@transaction.atomic
def provider_event_record(
    entry: LedgerEntry, kind: str, *, event_id: str | None, reason: str = "", url: str = ""
) -> bool:
    """One event a provider reported about a message (its webhook, or anymail's for an ESP): recorded
    once per provider event id, and a hard bounce, a complaint or an unsubscribe once per message
    (the message's row is locked while checking, so concurrent callbacks cannot both add one); those
    also suppress the address. False when the event was already recorded."""
    if kind in ONCE_PER_MESSAGE:
        LedgerEntry.objects.select_for_update().filter(pk=entry.pk).first()
        if TrackingEvent.objects.filter(entry=entry, kind=kind).exists():
            return False
    if not event_record(entry, kind, reason=reason, url=url, provider_event_id=event_id):
        return False
    if kind == EventKind.HARD_BOUNCE:
        suppress(
            channel=entry.channel,
            address=entry.address,
            reason=SuppressionReason.HARD_BOUNCE,
            detail=reason,
        )
    elif kind == EventKind.COMPLAINT:
        suppress(channel=entry.channel, address=entry.address, reason=SuppressionReason.COMPLAINT)
    elif kind == EventKind.UNSUBSCRIBE:
        suppress(
            channel=entry.channel,
            address=entry.address,
            reason=SuppressionReason.UNSUBSCRIBE,
            detail="provider",
        )
    return True


def inbound_sms_record(configuration: ChannelConfiguration, *, sender: str, text: str) -> bool:
    """A reply to an SMS: a stop keyword suppresses the number and counts as an unsubscribe of the
    latest message sent to it through this configuration."""
    if (text or "").strip().upper() not in STOP_WORDS:
        return False
    address = normalize_address("sms", sender)
    suppress(channel="sms", address=address, reason=SuppressionReason.UNSUBSCRIBE, detail="inbound STOP")
    entry = (
        LedgerEntry.objects.filter(address=address, channel="sms", delivery__configuration=configuration)
        .order_by("-id")
        .first()
    )
    if (
        entry is not None
        and not TrackingEvent.objects.filter(entry=entry, kind=EventKind.UNSUBSCRIBE).exists()
    ):
        event_record(entry, EventKind.UNSUBSCRIBE, reason="inbound STOP")
    return True
