"""Email through Django's SMTP backend: one connection per sender batch.

SMTP answers with codes: 4xx is temporary (retry, slow down), 5xx permanent; a 5xx refusal of the
recipient (550, 551, 553) is a hard bounce that feeds the suppression list.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.utils.translation import gettext_lazy as _

from channels.providers import mime
from channels.providers.base import OutboundMessage, Provider, SendResult, Session
from channels.providers.registry import register

HARD_BOUNCE_CODES = {550, 551, 553}


@dataclass
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: int = 30
    message_id_domain: str = "oc.invalid"
    webhook_secret: str = ""  # signs bounce/complaint callbacks (an ESP's or a relay's) to /t/hooks/


def smtp_result(exc: Exception) -> SendResult:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, msg = next(iter(exc.recipients.values()))
        return _by_code(code, msg)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | OSError):
        return SendResult("transient", error=f"connection: {exc}"[:255])
    return SendResult("permanent", error=str(exc)[:255])


def _by_code(code: int, msg) -> SendResult:
    text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
    error = f"SMTP {code}: {text}"[:255]
    if 400 <= code < 500:
        return SendResult("transient", error=error)
    if code in HARD_BOUNCE_CODES:
        return SendResult("hard_bounce", error=error)
    return SendResult("permanent", error=error)


class _MaybeAccepted(Exception):
    """The connection failed after the message was handed over and before the server answered."""


def _transmit(connection: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """``smtplib.SMTP.sendmail`` for one recipient, telling apart a failure during DATA (the server
    may have accepted the message: it must not be sent again) from one before it (safe to retry)."""
    connection.ehlo_or_helo_if_needed()
    options = [f"size={len(raw)}"] if connection.does_esmtp and connection.has_extn("size") else []
    code, answer = connection.mail(sender, options)
    if code != 250:
        _reset(connection)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    code, answer = connection.rcpt(recipient)
    if code not in (250, 251):
        _reset(connection)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})
    try:
        code, answer = connection.data(raw)
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _MaybeAccepted() from exc
    if code != 250:
        _reset(connection)
        raise smtplib.SMTPDataError(code, answer)


def _reset(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPServerDisconnected, OSError):
        connection.rset()


class SmtpSession(Session):
    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection = None

    def _open(self):
        if self.connection is None:
            s = self.settings
            self.connection = get_connection(
                "django.core.mail.backends.smtp.EmailBackend",
                host=s.host,
                port=s.port,
                username=s.username or None,
                password=s.password or None,
                use_tls=s.use_tls,
                use_ssl=s.use_ssl,
                timeout=s.timeout,
                fail_silently=False,
            )
            self.connection.open()
        return self.connection

    def send(self, message: OutboundMessage) -> SendResult:
        """Write the message's bytes (``mime.build``: what Django's ``EmailMultiAlternatives`` would
        write, faster) and hand them to the SMTP connection Django's backend opened."""
        message_id = f"<{message.idempotency_key}@{self.settings.message_id_domain}>"
        from_email = message.from_email or settings.DEFAULT_FROM_EMAIL
        try:
            raw = mime.build(
                subject=message.subject,
                from_email=from_email,
                to=message.to,
                text=message.text,
                html=message.html,
                reply_to=message.reply_to,
                message_id=message_id,
                extra_headers=message.headers,
            )
        except Exception as exc:  # any message that cannot be written fails alone
            return SendResult("permanent", error=f"message: {exc}"[:255])
        try:
            _transmit(self._open().connection, mime.address(from_email), mime.recipient(message.to), raw)
        except _MaybeAccepted as exc:
            self.close()
            return SendResult("unknown", error=f"connection lost during DATA: {exc.__cause__}"[:255])
        except Exception as exc:
            self.close()
            return smtp_result(exc)
        return SendResult("sent", provider_id=message_id)

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.connection.close()
            self.connection = None


@register
class SmtpProvider(Provider):
    """Any SMTP server (relay, ESP submission port, the demo catcher)."""

    key = "smtp"
    label = _("SMTP server")
    channel = "email"
    Settings = SmtpSettings

    def open(self, settings: SmtpSettings) -> Session:
        return SmtpSession(settings)
