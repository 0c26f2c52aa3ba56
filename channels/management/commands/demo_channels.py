"""Demo channels: email, SMS and push configurations that deliver to the local catchers
(``manage.py run_catchers``), a capping rule, and the retargeting links. Idempotent."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from audiences.catalog.selectors import targeting_dimension_default
from channels.models import CappingRule, ChannelConfiguration
from channels.retargeting import retargeting_links_ensure
from channels.services.configurations import capping_rule_save, configuration_create


class Command(BaseCommand):
    help = "Create demo channel configurations that send to local catchers on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--tracking-base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, tracking_base_url: str, **options):
        actor = get_user_model().objects.filter(is_superuser=True).order_by("id").first()
        dimension = targeting_dimension_default()
        if actor is None or dimension is None:
            self.stdout.write("demo_channels: no administrator or default targeting dimension yet; skipped")
            return
        smtp_port = getattr(settings, "OC_DEMO_SMTP_PORT", 2525)
        http = f"http://127.0.0.1:{getattr(settings, 'OC_DEMO_HTTP_PORT', 8025)}"
        common = {
            "dimension": dimension,
            "tracking_base_url": tracking_base_url,
            "marketing": True,
            "transactional": True,
            "rate_per_second": 100,
        }
        wanted = [
            {
                "name": "demo-email",
                "channel": "email",
                "provider": "smtp",
                "from_email": "news@demo.test",
                "from_name": "Demo shop",
                "provider_settings": {"host": "127.0.0.1", "port": smtp_port},
            },
            {
                "name": "demo-sms",
                "channel": "sms",
                "provider": "sms_webhook",
                "sms_sender_id": "DEMO",
                "provider_settings": {"url": f"{http}/sms", "status_url": f"{http}/status"},
            },
            {
                "name": "demo-push",
                "channel": "push",
                "provider": "push_webhook",
                "provider_settings": {"url": f"{http}/push", "status_url": f"{http}/status"},
            },
        ]
        for data in wanted:
            if not ChannelConfiguration.objects.filter(name=data["name"]).exists():
                configuration_create(actor=actor, data={**common, **data})
                self.stdout.write(f"channel configuration {data['name']}")
        if not CappingRule.objects.filter(rule_set="default", channel="email").exists():
            capping_rule_save(actor=actor, rule=CappingRule(channel="email", max_messages=3, period="week"))
        made = retargeting_links_ensure(actor=actor, dimension=dimension)
        self.stdout.write(f"retargeting links: {', '.join(made) or 'already there'}")
