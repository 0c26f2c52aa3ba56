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


def test_the_catchers_log_one_line_per_message(caplog):
    # given: both catchers on free ports
    import json
    import logging
    import smtplib
    import urllib.request
    from email.message import EmailMessage

    smtp_port, http_port = free_port(), free_port()
    caplog.set_level(logging.INFO)
    stop = catchers.start(smtp_port, http_port)
    try:
        # when: one e-mail to two recipients over SMTP, one SMS over HTTP
        message = EmailMessage()
        message["Subject"], message["From"] = "Hello", "demo@example.test"
        message["To"] = "ann@example.test, bob@other.test"
        message.set_content("hi")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/sms",
            data=json.dumps({"to": "+15550000001", "text": "yo", "idempotency_key": "k-log"}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            assert response.status == 200
    finally:
        stop()
    # then: one log line per message, nothing else at INFO or above
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
        "caught email to ann@example.test, bob@other.test: Hello",
        "caught sms to +15550000001",
    ]
    assert CaughtMessage.objects.count() == 3
