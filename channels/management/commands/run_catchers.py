"""Run the demo's SMTP catcher and HTTP receiver on loopback until interrupted."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from channels import catchers


class Command(BaseCommand):
    help = "Catch the demo's email (SMTP) and SMS/push (HTTP) on 127.0.0.1; the admin lists what arrived."

    def add_arguments(self, parser):
        parser.add_argument("--smtp-port", type=int, default=getattr(settings, "OC_DEMO_SMTP_PORT", 2525))
        parser.add_argument("--http-port", type=int, default=getattr(settings, "OC_DEMO_HTTP_PORT", 8025))

    def handle(self, *args, smtp_port: int, http_port: int, **options):
        stop = catchers.start(smtp_port, http_port)
        self.stdout.write(
            f"catching SMTP on 127.0.0.1:{smtp_port}, HTTP on 127.0.0.1:{http_port}; Ctrl-C stops"
        )
        done = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: done.set())
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        try:
            done.wait()
        finally:
            stop()
