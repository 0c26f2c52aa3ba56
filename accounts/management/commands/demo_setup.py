"""Prepare a demo installation: an administrator, then each app's demo content. Idempotent."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.profiles import ProductProfile
from accounts.services import user_set_profiles

# Each app that has demo content provides a command; they run in this order when installed.
# (name, options builder)
DEMO_COMMANDS = (
    ("demo_data", lambda opts: {"customers": opts["customers"]}),
    ("demo_channels", lambda opts: {}),
    ("demo_campaigns", lambda opts: {}),
)


class Command(BaseCommand):
    help = "Create the demo administrator (DEMO_ADMIN_PASSWORD or a generated one) and load demo content."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--username", default=os.environ.get("DEMO_ADMIN_USERNAME", "admin"))

    def handle(self, *args, **options):
        self._administrator(options["username"])
        available = get_commands()
        for name, build in DEMO_COMMANDS:
            if name in available:
                self.stdout.write(f"demo: {name}")
                call_command(name, **build(options))

    @transaction.atomic
    def _administrator(self, username: str) -> None:
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        password = os.environ.get("DEMO_ADMIN_PASSWORD")
        if user is None:
            generated = password is None
            password = password or secrets.token_urlsafe(12)
            user = users.objects.create_superuser(
                username=username, email=f"{username}@localhost", password=password
            )
            shown = password if generated else "(from DEMO_ADMIN_PASSWORD)"
            self.stdout.write(self.style.SUCCESS(f"administrator: {username} / password: {shown}"))
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"administrator: {username} exists; password set from DEMO_ADMIN_PASSWORD")
        else:
            self.stdout.write(f"administrator: {username} exists; password unchanged")
        user_set_profiles(actor=user, user=user, profiles=[ProductProfile.ADMINISTRATOR])
