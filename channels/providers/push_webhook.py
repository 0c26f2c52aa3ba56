"""Push through a generic JSON webhook: ``{to, title, body, link, data, idempotency_key}``, signed like
the SMS webhook and able to settle by ``status_url``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from channels.providers.base import OutboundMessage, Provider
from channels.providers.registry import register
from channels.providers.sms_webhook import WebhookSession, WebhookSettings, settle_by_status_url


def push_payload(message: OutboundMessage) -> dict:
    return {
        "to": message.to,
        "title": message.title,
        "body": message.text,
        "link": message.link,
        "data": message.data,
        "idempotency_key": message.idempotency_key,
    }


@register
class PushWebhookProvider(Provider):
    """Any push gateway reachable by a JSON webhook."""

    key = "push_webhook"
    label = _("Push: generic JSON webhook")
    channel = "push"
    Settings = WebhookSettings

    def can_settle(self, settings: WebhookSettings) -> bool:
        return bool(settings.status_url)

    def open(self, settings: WebhookSettings):
        return WebhookSession(settings, push_payload)

    def settle(self, settings: WebhookSettings, idempotency_key: str) -> bool | None:
        return settle_by_status_url(settings, idempotency_key)
