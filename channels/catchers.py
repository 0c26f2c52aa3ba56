"""Local catchers for the demo: an SMTP server and an HTTP receiver on loopback that keep what they
receive as ``CaughtMessage`` rows (shown in the admin). Never used for real sending."""

from __future__ import annotations

import json
import logging
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from asgiref.sync import sync_to_async

from channels.models import CaughtMessage

logger = logging.getLogger(__name__)

_SEEN_KEYS: set[str] = set()
_LOCK = threading.Lock()


def _save(channel: str, recipient: str, subject: str, body: str, raw: str) -> None:
    """Runs in a catcher thread: it opens its own connection and closes it (threads come and go)."""
    from django.db import connection

    try:
        CaughtMessage.objects.create(
            channel=channel, recipient=recipient[:254], subject=subject[:255], body=body, raw=raw[:100_000]
        )
    finally:
        connection.close()


class SmtpCatcher:
    """aiosmtpd handler: every accepted message becomes one row per recipient."""

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        part = message.get_body(("plain", "html"))
        body = part.get_content() if part is not None else ""
        subject = str(message["Subject"] or "")
        for rcpt in envelope.rcpt_tos:
            await sync_to_async(_save, thread_sensitive=False)(
                "email", rcpt, subject, body, envelope.content.decode(errors="replace")
            )
        logger.info("caught email to %s: %s", ", ".join(envelope.rcpt_tos), subject)
        return "250 Message accepted"


class HttpCatcher(BaseHTTPRequestHandler):
    """POST /sms and /push (JSON) are kept; GET /status?idempotency_key=... answers whether it was seen."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1_000_000))
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return self._answer(400, {"error": "invalid JSON"})
        channel = "sms" if self.path.startswith("/sms") else "push"
        key = str(data.get("idempotency_key", ""))
        with _LOCK:
            duplicate = key in _SEEN_KEYS
            _SEEN_KEYS.add(key)
        if not duplicate:
            logger.info("caught %s to %s", channel, data.get("to", ""))
            _save(
                channel,
                str(data.get("to", "")),
                str(data.get("title", "")),
                str(data.get("text") or data.get("body") or ""),
                raw.decode(errors="replace"),
            )
        return self._answer(200, {"id": key})

    def do_GET(self):
        key = parse_qs(urlparse(self.path).query).get("idempotency_key", [""])[0]
        with _LOCK:
            return self._answer(200, {"accepted": key in _SEEN_KEYS})

    def _answer(self, status: int, body: dict):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        pass


def start(smtp_port: int, http_port: int, host: str = "127.0.0.1"):
    """Start both catchers; returns a function that stops them."""
    from aiosmtpd.controller import Controller

    # aiosmtpd logs about seven INFO lines per SMTP session; the catcher logs one line per message.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(SmtpCatcher(), hostname=host, port=smtp_port)
    controller.start()
    server = ThreadingHTTPServer((host, http_port), HttpCatcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        controller.stop()

    return stop
