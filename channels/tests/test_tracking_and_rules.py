"""Tracking endpoints (no open redirect, one-click unsubscribe, signed webhooks, STOP), the template
sandbox, frequency capping counted from the ledger, and the SMS segment counter."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
import time_machine
from django.test import Client

from audiences.catalog import database
from audiences.catalog.selectors import schema_table
from channels.delivery.sender import send_delivery
from channels.models import CappingRule, EventKind, LedgerEntry, SuppressionEntry, TrackingEvent
from channels.personalization import links
from channels.personalization.sms import sms_length
from channels.personalization.templates import TemplateProblem, render
from channels.providers.base import webhook_headers
from channels.tests.conftest import email_config, prepared_delivery

pytestmark = pytest.mark.django_db


def _html_of(sink, address):
    return sink.to(address)[0].get_body(("html",)).get_content()


def test_click_redirects_only_to_links_of_that_message(catalog, campaign, email_configuration, smtp_sink):
    # given
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    send_delivery(delivery.pk)
    html = _html_of(smtp_sink, "ann@example.test")
    tracked = re.search(r'href="https://t\.shop\.test(/t/c/[^"]+)"', html).group(1)
    client = Client()
    # when / then: the real link redirects (the &amp; in the HTML is a real & in the URL)
    response = client.get(tracked)
    assert response.status_code == 302 and response["Location"] == "https://shop.test/sale?a=1&b=2"
    ann = LedgerEntry.objects.get(delivery=delivery, recipient_key="1")
    assert TrackingEvent.objects.get(entry=ann, kind=EventKind.CLICK).url == "https://shop.test/sale?a=1&b=2"
    # a token for a URL we never wrote, or a tampered one, leads nowhere
    assert client.get(f"/t/c/{links.click_token(ann.pk, 'https://evil.test/')[:-2]}xx/").status_code == 404
    token = tracked.replace("/t/c/", "").rstrip("/")
    payload, rest = token.split(":", 1)
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(
        b"shop.test", b"evil.test"
    )
    forged = base64.urlsafe_b64encode(decoded).decode().rstrip("=")
    assert client.get(f"/t/c/{forged}:{rest}/").status_code == 404
    assert client.get("/t/c/https%3A%2F%2Fevil.test/").status_code == 404
    assert TrackingEvent.objects.filter(kind=EventKind.CLICK).count() == 1


def test_open_pixel_and_one_click_unsubscribe(catalog, campaign, email_configuration, smtp_sink):
    # given
    delivery = prepared_delivery(catalog, campaign, [1])
    send_delivery(delivery.pk)
    message = smtp_sink.to("ann@example.test")[0]
    pixel = re.search(
        r'src="https://t\.shop\.test(/t/o/[^"]+)"', _html_of(smtp_sink, "ann@example.test")
    ).group(1)
    unsubscribe = re.search(r"<https://t\.shop\.test(/t/u/[^>]+)>", message["List-Unsubscribe"]).group(1)
    client = Client(enforce_csrf_checks=True)
    # when
    assert client.get(pixel)["Content-Type"] == "image/gif"
    page = client.get(unsubscribe)
    one_click = client.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    client.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    # then: GET only shows the button; the RFC 8058 POST (no CSRF token) unsubscribes, once
    assert page.status_code == 200 and b'<form method="post">' in page.content
    assert one_click.status_code == 200
    assert SuppressionEntry.objects.get(address="ann@example.test").reason == "unsubscribe"
    kinds = list(
        TrackingEvent.objects.filter(delivery=delivery).exclude(kind="sent").values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["open", "unsubscribe"]
    # and the next marketing delivery excludes her
    again = prepared_delivery(catalog, campaign, [1])
    assert TrackingEvent.objects.get(delivery=again).reason == "suppressed_unsubscribe"


def test_provider_webhook_needs_the_signature_and_feeds_suppression(
    catalog, campaign, email_configuration, smtp_sink
):
    from channels.services.configurations import configuration_update

    # given
    configuration_update(
        actor=catalog["admin"],
        configuration=email_configuration,
        data={
            "provider_settings": {"host": "127.0.0.1", "port": smtp_sink.port, "webhook_secret": "hook"},
        },
    )
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    send_delivery(delivery.pk)
    ann = LedgerEntry.objects.get(delivery=delivery, recipient_key="1")
    bob = LedgerEntry.objects.get(delivery=delivery, recipient_key="2")
    body = json.dumps(
        {
            "events": [
                {
                    "id": "e1",
                    "type": "hard_bounce",
                    "message_id": ann.provider_message_id,
                    "reason": "550 unknown user",
                },
                {"id": "e2", "type": "complaint", "message_id": bob.provider_message_id},
                {"id": "e3", "type": "delivered", "message_id": bob.provider_message_id},
            ]
        }
    ).encode()
    url = f"/t/hooks/{email_configuration.pk}/"
    client = Client()
    # when
    unsigned = client.post(url, body, content_type="application/json")
    signed = client.post(url, body, content_type="application/json", headers=webhook_headers("hook", body))
    replay = client.post(url, body, content_type="application/json", headers=webhook_headers("hook", body))
    # then
    assert unsigned.status_code == 403
    assert signed.json() == {"accepted": 3} and replay.json() == {"accepted": 0}
    assert dict(SuppressionEntry.objects.values_list("address", "reason")) == {
        "ann@example.test": "hard_bounce",
        "bob@other.test": "complaint",
    }


def test_inbound_sms_stop_suppresses_the_number(catalog, httpserver):
    from channels.services.configurations import configuration_create

    configuration = configuration_create(
        actor=catalog["admin"],
        data={
            "name": "sms",
            "channel": "sms",
            "provider": "sms_webhook",
            "dimension": catalog["dimension"],
            "provider_settings": {"url": httpserver.url_for("/sms"), "webhook_secret": "k"},
        },
    )
    body = json.dumps({"from": "+15550000001", "text": " stop "}).encode()
    response = Client().post(
        f"/t/sms/{configuration.pk}/inbound/",
        body,
        content_type="application/json",
        headers=webhook_headers("k", body),
    )
    assert response.json() == {"unsubscribed": True}
    assert SuppressionEntry.objects.get(channel="sms").address == "+15550000001"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ recipient.__class__.__init__.__globals__ }}",
        "{{ recipient.items.__self__.__class__ }}",
        "{{ (recipient|attr('__class__')).__base__ }}",
        "{% set x = recipient.update({'a': 1}) %}{{ x }}",
        "{{ campaign.__init__.__globals__['os'] }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_the_sandbox_refuses_escapes(template):
    with pytest.raises(TemplateProblem):
        render(template, {"recipient": {"first_name": "Ann"}, "campaign": {"id": 1}})


def test_strict_undefined_and_html_escaping():
    with pytest.raises(TemplateProblem):
        render("{{ recipient.nope }}", {"recipient": {}})
    assert render("<b>{{ n }}</b>", {"n": "<i>"}, html=True) == "<b>&lt;i&gt;</b>"
    assert render("{{ n }}", {"n": "<i>"}) == "<i>"


def test_frequency_capping_counts_marketing_messages_across_campaigns(
    catalog, campaign, email_configuration, smtp_sink
):
    # given: at most one marketing email per day
    CappingRule.objects.create(rule_set="default", channel="email", max_messages=1, period="day")
    first = prepared_delivery(catalog, campaign, [1, 2])
    send_delivery(first.pk)
    # when
    second = prepared_delivery(catalog, campaign, [1, 2, 3])
    transactional = prepared_delivery(catalog, campaign, [1], email_config(category="transactional"))
    # then
    assert dict(
        TrackingEvent.objects.filter(delivery=second, kind="excluded").values_list("profile_key", "reason")
    ) == {
        "1": "capping",
        "2": "capping",
    }
    assert LedgerEntry.objects.filter(delivery=second).count() == 1
    assert LedgerEntry.objects.filter(delivery=transactional).count() == 1  # business rules bypassed


def test_each_capping_rule_counts_from_its_own_period_start(catalog, campaign, email_configuration):
    # given: at most 1 marketing email per day and 2 per week; it is Wednesday 2 December 2026
    database.execute(
        sa.insert(schema_table(catalog["customer"])).values(
            [
                {"id": i, "first_name": f"C{i}", "email": f"c{i}@example.test", "email_ok": True}
                for i in range(200, 206)
            ]
        )
    )
    CappingRule.objects.create(rule_set="default", channel="email", max_messages=1, period="day")
    CappingRule.objects.create(rule_set="default", channel="email", max_messages=2, period="week")
    earlier = prepared_delivery(catalog, campaign, list(range(200, 206)))
    utc = dt.UTC
    history = {
        "c200@example.test": [(dt.datetime(2026, 12, 1, 10, tzinfo=utc), "sent")],  # week 1, day 0
        "c201@example.test": [  # week 2
            (dt.datetime(2026, 11, 30, 9, tzinfo=utc), "sent"),
            (dt.datetime(2026, 12, 1, 9, tzinfo=utc), "unknown"),
        ],
        "c202@example.test": [(dt.datetime(2026, 12, 2, 8, tzinfo=utc), "sending")],  # today
        "c203@example.test": [(dt.datetime(2026, 11, 27, 9, tzinfo=utc), "sent")] * 3,  # last week
        "c204@example.test": [(dt.datetime(2026, 12, 2, 8, tzinfo=utc), "failed")],  # never went out
    }
    template = LedgerEntry.objects.filter(delivery=earlier).first()
    LedgerEntry.objects.filter(delivery=earlier).delete()
    for address, sends in history.items():
        for n, (created, state) in enumerate(sends):
            LedgerEntry.objects.create(
                created_at=created,
                delivery=earlier,
                recipient_key=f"{address}-{n}",
                profile_key=address,
                channel="email",
                category="marketing",
                address=address,
                domain="example.test",
                data=template.data,
                state=state,
            )
    # when: a new marketing delivery to all six at noon
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=utc), tick=False):
        delivery = prepared_delivery(catalog, campaign, list(range(200, 206)))
    # then: 201 is over the weekly limit, 202 over the daily one; the rest receive it
    excluded = dict(
        TrackingEvent.objects.filter(delivery=delivery, kind="excluded").values_list("address", "reason")
    )
    assert excluded == {"c201@example.test": "capping", "c202@example.test": "capping"}
    assert set(LedgerEntry.objects.filter(delivery=delivery).values_list("address", flat=True)) == {
        "c200@example.test",
        "c203@example.test",
        "c204@example.test",
        "c205@example.test",
    }


def test_content_variants_split_by_share(catalog, campaign, email_configuration, smtp_sink):
    config = email_config(
        variants=[{"name": "b", "share": 50, "content": {"subject": "B {{ recipient.first_name }}"}}]
    )
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3, 8], config)
    send_delivery(delivery.pk)
    variants = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("id", "variant"))
    assert {pk: ("b" if pk % 100 < 50 else "") for pk in variants} == variants
    subjects = {m["Subject"][0] for _r, m in smtp_sink.messages}
    assert subjects <= {"H", "B"}


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("€" * 80, "GSM-7", 160, 1),
        ("a" * 306, "GSM-7", 306, 2),
        ("é" * 70, "GSM-7", 70, 1),
        ("ç" * 70, "UCS-2", 70, 1),
        ("ç" * 71, "UCS-2", 71, 2),
        ("😀" * 35, "UCS-2", 70, 1),
    ],
)
def test_sms_segments(text, encoding, units, segments):
    result = sms_length(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)
