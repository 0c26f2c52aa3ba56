"""``python manage.py demo_data --customers N [--seed S] [--reset]``: the retail demo model. Idempotent."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audiences.demo.build import demo_build, demo_remove, demo_state


class Command(BaseCommand):
    help = "Build the retail demo model (customers, stores, products, purchases, ...) through the catalog."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--reset", action="store_true", help="Remove an existing demo model first.")
        parser.add_argument(
            "--user", default=None, help="Acting administrator (default: the first superuser)."
        )

    def handle(self, *args, customers, seed, reset, user, **options):
        if customers < 1 or seed < 0:
            raise CommandError("--customers must be at least 1 and --seed 0 or more")
        actor = self._actor(user)
        try:
            state = demo_state()
            if state is not None and not reset:
                if state == (customers, seed):
                    self.stdout.write(
                        f"demo data: already loaded ({customers} customers, seed {seed}); nothing to do"
                    )
                    return
                raise CommandError(
                    f"demo data ({state[0]} customers, seed {state[1]}) exists: pass --reset to replace it"
                )
            if state is not None:
                demo_remove(actor=actor)
            started = time.monotonic()
            counts = demo_build(actor=actor, customers=customers, seed=seed, log=self.stdout.write)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        total = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"demo data: {total} rows in {time.monotonic() - started:.1f} s ({counts})")
        )

    def _actor(self, username):
        users = get_user_model().objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if actor is None:
            raise CommandError("No acting user: create a superuser first (make demo does) or pass --user.")
        return actor
