"""Run a sender for one delivery in the foreground (operations, and the crash test's victim)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from channels.delivery.sender import send_delivery


class Command(BaseCommand):
    help = "Send what is left of a delivery (the same loop a django-q2 worker runs)."

    def add_arguments(self, parser):
        parser.add_argument("delivery_id", type=int)
        parser.add_argument("--max-seconds", type=float, default=3600)

    def handle(self, *args, delivery_id: int, max_seconds: float, **options):
        result = send_delivery(delivery_id, max_seconds=max_seconds)
        self.stdout.write(str(result))
