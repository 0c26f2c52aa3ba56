"""Add the retargeting links (messages and events) to every targeting dimension. Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audiences.catalog.models import TargetingDimension
from channels.retargeting import retargeting_links_ensure


class Command(BaseCommand):
    help = "Make the delivery ledger and tracking events reachable from each targeting dimension (1-N links)."

    def add_arguments(self, parser):
        parser.add_argument("--username", help="An Administrator (default: the first superuser).")

    def handle(self, *args, username=None, **options):
        users = get_user_model().objects
        actor = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if actor is None:
            raise CommandError("No administrator to act as; pass --username.")
        for dimension in TargetingDimension.objects.select_related("schema", "identity_field"):
            made = retargeting_links_ensure(actor=actor, dimension=dimension)
            self.stdout.write(f"{dimension.schema.name}: {', '.join(made) or 'already linked'}")
