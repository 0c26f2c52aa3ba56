"""Email through an ESP's HTTP API with django-anymail (Mailgun, Postmark, Brevo).

The settings pick the ESP and carry its credentials; ``open`` builds anymail's EmailBackend for that
ESP with them as constructor keyword arguments (what they leave out comes from anymail's defaults;
the ``ANYMAIL`` setting only carries webhook secrets). The message is the same Django
``EmailMultiAlternatives`` the SMTP provider sent, so the List-Unsubscribe headers travel as ordinary
headers. The ESP's answer maps like every HTTP provider's: 2xx sent with the ESP's message id,
408/425/429/5xx and connection errors transient, other 4xx permanent; a recipient the ESP reports
``rejected`` or ``invalid`` (Postmark's inactive or malformed addresses) is a hard bounce. SendGrid is
left out: anymail 15 dropped official support for it. Delivery, bounce and complaint webhooks:
``channels/tracking/esp_events.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from anymail.exceptions import AnymailAPIError, AnymailError
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.providers.base import OutboundMessage, Provider, SendResult, Session, http_status_result
from channels.providers.base import parse_settings as parse_typed
from channels.providers.registry import register

HARD_BOUNCE_STATUSES = {"rejected", "invalid"}


@dataclass(frozen=True)
class Esp:
    """One ESP anymail can send through, with an API URL that can be pointed elsewhere."""

    label: str
    backend: str
    key_argument: str  # the backend's name for the API credential
    tracking_view: str  # anymail's tracking webhook view, mounted at /t/anymail/<esp>/tracking/
    # whether a normalised "bounced" webhook event is permanent, from the ESP's raw event
    hard_bounce: Callable[[Any], bool]
    options: tuple[str, ...] = ()  # ESP-only settings passed to the backend when set


def _field(esp_event: Any, name: str) -> str:
    return str(esp_event.get(name, "")) if hasattr(esp_event, "get") else ""


ESPS: dict[str, Esp] = {
    "mailgun": Esp(
        label="Mailgun",
        backend="anymail.backends.mailgun.EmailBackend",
        key_argument="api_key",
        tracking_view="anymail.webhooks.mailgun.MailgunTrackingWebhookView",
        hard_bounce=lambda raw: True,  # anymail turns Mailgun's temporary failures into "deferred"
        options=("sender_domain",),
    ),
    "postmark": Esp(
        label="Postmark",
        backend="anymail.backends.postmark.EmailBackend",
        key_argument="server_token",
        tracking_view="anymail.webhooks.postmark.PostmarkTrackingWebhookView",
        hard_bounce=lambda raw: _field(raw, "Type") in {"HardBounce", "BadEmailAddress"},
        options=("message_stream",),
    ),
    "brevo": Esp(
        label="Brevo",
        backend="anymail.backends.brevo.EmailBackend",
        key_argument="api_key",
        tracking_view="anymail.webhooks.brevo.BrevoTrackingWebhookView",
        hard_bounce=lambda raw: _field(raw, "event") in {"hard_bounce", "invalid_email"},
    ),
}
OPTION_OWNERS = {option: key for key, esp in ESPS.items() for option in esp.options}


@dataclass
class AnymailSettings:
    esp: str  # a key of ESPS
    api_key: str  # the ESP's API key (Postmark: the server token); write-only
    api_url: str = ""  # the API's base URL with its version path; empty: the ESP's public API
    sender_domain: str = ""  # Mailgun: the sending domain when it is not the From address's
    message_stream: str = ""  # Postmark: e.g. "broadcast" for marketing mail
    timeout: float = 30.0


def esp_result(exc: Exception) -> SendResult:
    """An exception from anymail's send as a result: HTTP answers by status, the rest by kind."""
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None)
    if isinstance(exc, AnymailAPIError) and response is not None and status is not None:
        if 200 <= status < 300:  # accepted, but the answer cannot be read: never send it again
            return SendResult("permanent", error=str(exc)[:255])
        return http_status_result(status, response.text, retry_after=response.headers.get("Retry-After"))
    # (requests' exceptions, anymail's API errors included, are OSErrors: name the connection ones)
    if isinstance(exc, requests.ConnectionError | requests.Timeout | ConnectionError | TimeoutError):
        return SendResult("transient", error=f"connection: {exc.__cause__ or exc}"[:255])
    return SendResult("permanent", error=str(exc)[:255])


class AnymailSession(Session):
    def __init__(self, settings: AnymailSettings):
        self.settings = settings
        self.connection = None

    def _open(self):
        if self.connection is None:
            s = self.settings
            esp = ESPS[s.esp]
            options = {name: getattr(s, name) for name in esp.options if getattr(s, name)}
            if s.api_url:
                options["api_url"] = s.api_url
            self.connection = get_connection(
                esp.backend,
                fail_silently=False,
                timeout=s.timeout,
                ignore_recipient_status=True,  # refused recipients are read below, not raised
                **{esp.key_argument: s.api_key},
                **options,
            )
            self.connection.open()
        return self.connection

    def send(self, message: OutboundMessage) -> SendResult:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=message.from_email or None,
            to=[message.to],
            reply_to=[message.reply_to] if message.reply_to else None,
            headers=dict(message.headers),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            self._open().send_messages([email])
        except (AnymailError, ImproperlyConfigured, requests.RequestException, OSError) as exc:
            return esp_result(exc)
        status = email.anymail_status
        recipient = next(iter(status.recipients.values()), None)
        if recipient is not None and recipient.status in HARD_BOUNCE_STATUSES:
            return SendResult("hard_bounce", error=f"{ESPS[self.settings.esp].label}: {recipient.status}")
        if recipient is not None and recipient.status == "failed":
            return SendResult("permanent", error=f"{ESPS[self.settings.esp].label}: failed")
        message_id = (recipient.message_id if recipient is not None else None) or status.message_id
        return SendResult("sent", provider_id=str(message_id or "")[:255])

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken session
                self.connection.close()
            self.connection = None


@register
class AnymailProvider(Provider):
    """An ESP's HTTP API through django-anymail; bounces and complaints come back via its webhooks."""

    key = "anymail"
    label = gettext_lazy("Email service provider API (anymail)")
    channel = "email"
    Settings = AnymailSettings

    def parse(self, raw: Any) -> AnymailSettings:
        settings = parse_typed(AnymailSettings, raw)
        errors: dict[str, str] = {}
        if settings.esp not in ESPS:
            errors["provider_settings.esp"] = _("Choose one of: %(keys)s.") % {"keys": ", ".join(ESPS)}
        if not settings.api_key:
            errors["provider_settings.api_key"] = _("This setting is required.")
        if settings.api_url and not settings.api_url.startswith(("http://", "https://")):
            errors["provider_settings.api_url"] = _("Enter an http:// or https:// URL.")
        for option, owner in OPTION_OWNERS.items():
            if getattr(settings, option) and settings.esp != owner:
                errors[f"provider_settings.{option}"] = _("Only %(esp)s uses this setting.") % {
                    "esp": ESPS[owner].label
                }
        if settings.timeout <= 0:
            errors["provider_settings.timeout"] = _("Enter a number of seconds above 0.")
        if errors:
            raise ValidationError(errors)
        return settings

    def open(self, settings: AnymailSettings) -> Session:
        return AnymailSession(settings)
