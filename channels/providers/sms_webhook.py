"""SMS through a generic JSON webhook: ``POST url`` with ``{to, from, text, idempotency_key}``, signed
with a shared secret (``X-OC-Signature: sha256=<hmac>``) and an ``Idempotency-Key`` header.

When ``status_url`` is set the provider can be asked whether a key was accepted
(``GET status_url?idempotency_key=...`` answering ``{"accepted": true|false}``), which lets recovery
settle a message whose sender died during the call instead of marking it unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
from django.utils.translation import gettext_lazy as _

from channels.providers.base import OutboundMessage, Provider, SendResult, http_status_result, sign_body
from channels.providers.http_session import HttpSession
from channels.providers.registry import register


@dataclass
class WebhookSettings:
    url: str
    secret: str = ""
    status_url: str = ""
    timeout: float = 10.0
    webhook_secret: str = ""  # signs the provider's delivery/bounce callbacks to us


class WebhookSession(HttpSession):
    def __init__(self, settings: WebhookSettings, payload):
        super().__init__(settings.timeout)
        self.settings = settings
        self.payload = payload

    def send(self, message: OutboundMessage) -> SendResult:
        body = json.dumps(self.payload(message), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key}
        if self.settings.secret:
            headers["X-OC-Signature"] = sign_body(self.settings.secret, body)
        response = self.post(self.settings.url, content=body, headers=headers)
        if isinstance(response, SendResult):
            return response
        provider_id = ""
        if 200 <= response.status_code < 300:
            try:
                provider_id = str(response.json().get("id", "")) or message.idempotency_key
            except (ValueError, AttributeError):
                provider_id = message.idempotency_key
        return http_status_result(
            response.status_code, response.text, provider_id, response.headers.get("Retry-After")
        )


def settle_by_status_url(settings: WebhookSettings, idempotency_key: str) -> bool | None:
    if not settings.status_url:
        return None
    try:
        response = httpx.get(
            settings.status_url, params={"idempotency_key": idempotency_key}, timeout=settings.timeout
        )
        if response.status_code == 200:
            return bool(response.json().get("accepted"))
    except (httpx.HTTPError, ValueError):
        return None
    return None


def sms_payload(message: OutboundMessage) -> dict:
    return {
        "to": message.to,
        "from": message.sender_id,
        "text": message.text,
        "idempotency_key": message.idempotency_key,
    }


@register
class SmsWebhookProvider(Provider):
    """Any SMS gateway reachable by a JSON webhook."""

    key = "sms_webhook"
    label = _("SMS: generic JSON webhook")
    channel = "sms"
    Settings = WebhookSettings

    def can_settle(self, settings: WebhookSettings) -> bool:
        return bool(settings.status_url)

    def open(self, settings: WebhookSettings):
        return WebhookSession(settings, sms_payload)

    def settle(self, settings: WebhookSettings, idempotency_key: str) -> bool | None:
        return settle_by_status_url(settings, idempotency_key)
