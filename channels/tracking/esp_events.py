"""ESP tracking webhooks through django-anymail: anymail checks the request (basic auth with
``ANYMAIL["WEBHOOK_SECRET"]``, and the ESP's signature where it signs, e.g. Mailgun) and normalises
the ESP's payload into ``AnymailTrackingEvent``s; each one reaches ``esp_event_record`` (via the thin
receiver in ``channels.tracking.views``), which records it on the message it is about through the same
path as our own provider webhook (``services.provider_event_record``: de-duplicated by event id, hard
bounces, complaints and unsubscribes suppress the address).

The webhook URLs are ``/t/anymail/<esp>/tracking/``, one per ESP the ``anymail`` provider sends with
(``channels.tracking.urls``); without a configured webhook secret they refuse every request.
"""

from __future__ import annotations

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason

from channels.models import EventKind, LedgerEntry
from channels.providers.anymail_esp import ESPS, Esp
from channels.tracking.services import provider_event_record

EVENT_KINDS = {
    EventType.DELIVERED: EventKind.DELIVERED,
    EventType.OPENED: EventKind.OPEN,
    EventType.CLICKED: EventKind.CLICK,
    EventType.COMPLAINED: EventKind.COMPLAINT,
    EventType.UNSUBSCRIBED: EventKind.UNSUBSCRIBE,
}
# queued, sent, deferred (a delay, followed by delivered or bounced), failed (the ESP's own error),
# autoresponded, subscribed and unknown events say nothing about the recipient: they are ignored.
KNOWN_BAD_ADDRESS = {RejectReason.INVALID, RejectReason.BOUNCED}
ESP_BY_NAME = {esp.label: key for key, esp in ESPS.items()}


def esp_event_kind(esp: Esp, event: AnymailTrackingEvent) -> str | None:
    """Our event kind for anymail's normalised one; None when we do not record it."""
    if event.event_type == EventType.BOUNCED:
        return EventKind.HARD_BOUNCE if esp.hard_bounce(event.esp_event) else EventKind.SOFT_BOUNCE
    if event.event_type == EventType.REJECTED:  # the ESP refused to send it
        return EventKind.HARD_BOUNCE if event.reject_reason in KNOWN_BAD_ADDRESS else EventKind.SOFT_BOUNCE
    return EVENT_KINDS.get(event.event_type)


def esp_event_record(*, esp_name: str, event: AnymailTrackingEvent) -> bool:
    """Record one ESP event on the message the ``anymail`` provider sent with that id. Events of other
    kinds, of unknown messages and repeated events are skipped (False), never an error: the ESP would
    only retry them."""
    key = ESP_BY_NAME.get(esp_name)
    kind = esp_event_kind(ESPS[key], event) if key else None
    if kind is None or not event.message_id:
        return False
    entry = LedgerEntry.objects.filter(
        provider_message_id=str(event.message_id), delivery__configuration__provider="anymail"
    ).first()
    if entry is None:
        return False
    return provider_event_record(
        entry,
        kind,
        event_id=_event_id(key, event),
        reason=str(event.mta_response or event.description or event.reject_reason or ""),
        url=str(event.click_url or "") if kind == EventKind.CLICK else "",
    )


def _event_id(key: str, event: AnymailTrackingEvent) -> str | None:
    """The ESP's event id; for ESPs without one (Brevo, Postmark's opens and clicks) the message, kind
    and time of the event, which a retried delivery of the same event repeats."""
    if event.event_id:
        name = str(event.event_id)
    elif event.timestamp:
        name = f"{event.message_id}:{event.event_type}:{event.timestamp.isoformat()}"
    else:
        return None
    return f"anymail:{key}:{name}"[:255]
