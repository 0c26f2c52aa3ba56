"""SMS through a Twilio-compatible Messages API: ``POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json``
with form fields To, From, Body and basic auth; the answer's ``sid`` is the provider id.
Twilio error 21211/21614 (invalid or non-mobile number) is permanent and suppresses the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from channels.providers.base import OutboundMessage, Provider, SendResult, http_status_result
from channels.providers.http_session import HttpSession
from channels.providers.registry import register

INVALID_NUMBER_CODES = {21211, 21614, 21610}


@dataclass
class TwilioSettings:
    account_sid: str
    auth_token: str
    base_url: str = "https://api.twilio.com"
    timeout: float = 10.0
    webhook_secret: str = ""


class TwilioSession(HttpSession):
    def __init__(self, settings: TwilioSettings):
        super().__init__(settings.timeout)
        self.settings = settings

    def send(self, message: OutboundMessage) -> SendResult:
        s = self.settings
        url = f"{s.base_url.rstrip('/')}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        response = self.post(
            url,
            data={"To": message.to, "From": message.sender_id, "Body": message.text},
            auth=(s.account_sid, s.auth_token),
            headers={"I-Twilio-Idempotency-Token": message.idempotency_key},
        )
        if isinstance(response, SendResult):
            return response
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 400 and body.get("code") in INVALID_NUMBER_CODES:
            return SendResult(
                "hard_bounce", error=f"Twilio {body.get('code')}: {body.get('message', '')}"[:255]
            )
        return http_status_result(
            response.status_code, response.text, str(body.get("sid", "")), response.headers.get("Retry-After")
        )


@register
class TwilioProvider(Provider):
    """Twilio or any gateway speaking its Messages API."""

    key = "twilio"
    label = _("SMS: Twilio-compatible API")
    channel = "sms"
    Settings = TwilioSettings

    def open(self, settings: TwilioSettings):
        return TwilioSession(settings)
