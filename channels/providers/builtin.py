"""Importing this module registers every built-in provider (one module each)."""

from channels.providers import (  # noqa: F401
    anymail_esp,
    email_smtp,
    push_fcm,
    push_webhook,
    sms_twilio,
    sms_webhook,
)
