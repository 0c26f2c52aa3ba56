"""``manage.py demo_campaigns``: two ready-to-run demo campaigns on the demo data. Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.profiles import ProductProfile
from audiences.catalog.models import TargetingDimension
from campaigns.demo.campaigns import demo_campaigns_create


class Command(BaseCommand):
    help = "Create the demo campaigns (after demo_data); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=None, help="Owner (default: the first Administrator).")

    def handle(self, *args, **options):
        if not TargetingDimension.objects.filter(schema__name="customer").exists():
            raise CommandError("Run `manage.py demo_data` first: the customer dimension is missing.")
        users = get_user_model().objects.filter(is_active=True)
        owner = (
            users.filter(username=options["username"]).first()
            if options["username"]
            else users.filter(groups__name=ProductProfile.ADMINISTRATOR.value).order_by("pk").first()
            or users.filter(is_superuser=True).order_by("pk").first()
        )
        if owner is None:
            raise CommandError("No administrator to own the demo campaigns; run demo_setup.")
        for campaign in demo_campaigns_create(actor=owner):
            self.stdout.write(
                f"campaign #{campaign.pk}: {campaign.name} ({campaign.activities.count()} activities)"
            )
