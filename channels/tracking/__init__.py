"""Tracking: open pixel, click redirect, unsubscribe (RFC 8058), provider webhooks, inbound SMS STOP."""
