"""The demo: configurations that deliver to the local catchers, which keep what they receive."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from channels import catchers
from channels.delivery.sender import send_delivery
from channels.models import CaughtMessage, ChannelConfiguration
from channels.tests.conftest import free_port, prepared_delivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_channels_send_to_the_catchers(catalog, campaign, settings):
    # given
    settings.OC_DEMO_SMTP_PORT, settings.OC_DEMO_HTTP_PORT = free_port(), free_port()
    settings.OC_SENDERS_PER_DELIVERY = 0
    catalog["admin"].is_superuser = True
    catalog["admin"].save(update_fields=["is_superuser"])
    catalog["dimension"].is_default = True
    catalog["dimension"].save(update_fields=["is_default"])
    stop = catchers.start(settings.OC_DEMO_SMTP_PORT, settings.OC_DEMO_HTTP_PORT)
    try:
        # when
        call_command("demo_channels")
        call_command("demo_channels")  # idempotent
        from channels.activities.configs import parse_activity_config

        email = parse_activity_config(
            "email",
            {
                "configuration": "demo-email",
                "content": {"subject": "Hi {{ recipient.first_name }}", "text": "t"},
            },
        )
        sms = parse_activity_config(
            "sms", {"configuration": "demo-sms", "content": {"text": "Hi {{ recipient.first_name }}"}}
        )
        send_delivery(prepared_delivery(catalog, campaign, [1, 2], email).pk)
        send_delivery(prepared_delivery(catalog, campaign, [1], sms, channel="sms").pk)
    finally:
        stop()
    # then
    assert ChannelConfiguration.objects.filter(name__startswith="demo-").count() == 3
    caught = sorted(CaughtMessage.objects.values_list("channel", "recipient", "subject", "body"))
    assert caught == [
        ("email", "ann@example.test", "Hi Ann", "t\r\n"),
        ("email", "bob@other.test", "Hi Bob", "t\r\n"),
        ("sms", "+15550000001", "", "Hi Ann"),
    ]
