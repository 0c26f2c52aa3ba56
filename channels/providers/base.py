"""The contract every provider fulfils, and the typed settings parser providers share.

A provider turns one rendered ``OutboundMessage`` into one call to a mail server or an HTTP API and
answers with a ``SendResult``: sent (with the provider's id), transient (retry later, slow down) or
permanent (fail the row; ``hard_bounce`` also suppresses the address). Sessions let a sender reuse a
connection for a whole batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_type_hints

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass
class OutboundMessage:
    to: str
    idempotency_key: str
    subject: str = ""
    preheader: str = ""
    text: str = ""
    html: str = ""
    title: str = ""
    link: str = ""
    data: dict = field(default_factory=dict)
    from_email: str = ""
    reply_to: str = ""
    sender_id: str = ""
    headers: dict = field(default_factory=dict)


# "unknown": the call failed where the provider may already have accepted the message (a connection
# lost during SMTP DATA): never sent again. "skipped": the sender did not call the provider (an
# earlier message on the same connection failed): back to pending, no attempt counted.
Status = Literal["sent", "transient", "permanent", "hard_bounce", "unknown", "skipped"]


@dataclass
class SendResult:
    status: Status
    provider_id: str = ""
    error: str = ""
    retry_after: float | None = None


class Session:
    """One open connection (or HTTP client) used for many sends."""

    def send(self, message: OutboundMessage) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Provider:
    key: ClassVar[str]
    label: ClassVar[str]
    channel: ClassVar[str]
    Settings: ClassVar[type]

    def parse(self, raw: Any) -> Any:
        return parse_settings(self.Settings, raw)

    def open(self, settings: Any) -> Session:  # pragma: no cover - interface
        raise NotImplementedError

    def can_settle(self, settings: Any) -> bool:
        """Whether ``settle`` can ask the provider if a message with an idempotency key went out."""
        return False

    def settle(self, settings: Any, idempotency_key: str) -> bool | None:
        """Whether the message was accepted (True), not (False), or cannot be known (None)."""
        return None


def parse_settings(cls: type, raw: Any) -> Any:
    """A provider's settings dataclass from stored JSON; errors name the setting."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationError({"provider_settings": _("Expected an object.")})
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    errors: dict[str, str] = {}
    for name in sorted(set(raw) - set(fields)):
        errors[f"provider_settings.{name}"] = _("Unknown setting.")
    values = {}
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                errors[f"provider_settings.{name}"] = _("This setting is required.")
            continue
        value, expected = raw[name], hints[name]
        ok = {
            str: isinstance(value, str),
            int: isinstance(value, int) and not isinstance(value, bool),
            float: isinstance(value, int | float) and not isinstance(value, bool),
            bool: isinstance(value, bool),
            dict: isinstance(value, dict),
        }.get(expected, True)
        if not ok:
            errors[f"provider_settings.{name}"] = _("Expected a value of type %(t)s.") % {
                "t": expected.__name__
            }
        values[name] = float(value) if expected is float and ok else value
    if errors:
        raise ValidationError(errors)
    return cls(**values)


def http_status_result(
    status: int, body: str, provider_id: str = "", retry_after: str | None = None
) -> SendResult:
    """The usual HTTP mapping: 2xx sent; 408/425/429 and 5xx transient; other 4xx permanent."""
    if 200 <= status < 300:
        return SendResult("sent", provider_id=provider_id)
    error = f"HTTP {status}: {body[:200]}"
    if status in (408, 425, 429) or status >= 500:
        try:
            after = float(retry_after) if retry_after else None
        except ValueError:
            after = None
        return SendResult("transient", error=error, retry_after=after)
    return SendResult("permanent", error=error)


def sign_body(secret: str, body: bytes) -> str:
    """The signature of a webhook body: ``sha256=<hex hmac>`` with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of a callback's signature header. Compared as bytes: ``compare_digest``
    raises TypeError on a str with non-ASCII characters, and a forged header must be a 403, not a 500."""
    if not secret or not header:
        return False
    try:
        return hmac.compare_digest(sign_body(secret, body).encode("ascii"), header.encode("utf-8"))
    except (TypeError, UnicodeError):
        return False


TIMESTAMP_HEADER = "X-OC-Timestamp"
SIGNATURE_HEADER = "X-OC-Signature"


def sign_webhook(secret: str, timestamp: str | int, body: bytes) -> str:
    """The signature of a callback to us: ``sha256=<hex hmac>`` of ``"<timestamp>.<body>"``, so a
    captured request cannot be replayed once its timestamp is older than the tolerance."""
    return sign_body(secret, str(timestamp).encode("ascii") + b"." + body)


def webhook_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers a provider (or a test) sends with a signed callback: timestamp and signature."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign_webhook(secret, stamp, body)}


def webhook_signature_ok(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, tolerance: int
) -> bool:
    """A signed callback is genuine and fresh: its timestamp (Unix seconds) within ``tolerance``
    seconds of now, either way, and its signature over ``"<timestamp>.<body>"`` right."""
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    return signature_ok(secret, timestamp.encode("ascii") + b"." + body, signature)


SECRET_NAME_PARTS = ("password", "secret", "token", "key")
SECRET_MASK = "•••"  # noqa: S105 (the placeholder, not a password)


def is_secret_setting(name: str) -> bool:
    """Whether a provider setting is a credential (SMTP password, Twilio auth_token, FCM access_token,
    webhook secrets): never shown back, only written."""
    lowered = name.lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


def masked_settings(raw: Any) -> Any:
    """``raw`` with every non-empty secret replaced by ``SECRET_MASK`` (so a client sees it is set)."""
    if not isinstance(raw, dict):
        return raw
    return {k: (SECRET_MASK if is_secret_setting(k) and v not in ("", None) else v) for k, v in raw.items()}


def keep_stored_secrets(stored: Any, incoming: Any) -> Any:
    """Settings sent back on an update: a secret that is omitted or still the mask keeps its stored
    value (clients only ever see the mask); an explicit new value, or "", replaces it."""
    if not isinstance(incoming, dict):
        return incoming
    stored = stored if isinstance(stored, dict) else {}
    merged = {k: v for k, v in incoming.items() if not (is_secret_setting(k) and v == SECRET_MASK)}
    for key, value in stored.items():
        if is_secret_setting(key) and key not in merged:
            merged[key] = value
    return merged
