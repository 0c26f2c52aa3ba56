"""SMS and push through a real local HTTP server (pytest-httpserver): request shapes, signatures,
a 429 that slows the send without failing it, hard bounces, and settling by idempotency key."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.utils import timezone
from werkzeug import Response

from channels.delivery.recovery import recover_expired
from channels.delivery.sender import send_delivery
from channels.models import LedgerEntry, LedgerState, RateBucket, SuppressionEntry
from channels.providers.base import sign_body
from channels.services.configurations import configuration_create
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db


def _config(catalog, name, channel, provider, settings, **extra):
    return configuration_create(
        actor=catalog["admin"],
        data={
            "name": name,
            "channel": channel,
            "provider": provider,
            "provider_settings": settings,
            "dimension": catalog["dimension"],
            "rate_per_second": 200,
            "sms_sender_id": "SHOP",
            "tracking_base_url": "https://t.shop.test",
            **extra,
        },
    )


def _parse(channel, raw):
    from channels.activities.configs import parse_activity_config

    return parse_activity_config(channel, raw)


def test_sms_webhook_posts_signed_json_once_per_recipient(catalog, campaign, httpserver):
    # given
    httpserver.expect_request("/sms", method="POST").respond_with_json({"id": "gw-1"})
    _config(catalog, "sms", "sms", "sms_webhook", {"url": httpserver.url_for("/sms"), "secret": "s3"})
    config = _parse(
        "sms", {"configuration": "sms", "content": {"text": "Hi {{ recipient.first_name }} 20% off"}}
    )
    # when
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3, 5], config, channel="sms")
    send_delivery(delivery.pk)
    # then: 3 has no SMS consent, 5 an invalid number
    requests = [r for r, _resp in httpserver.log]
    bodies = sorted((json.loads(r.data) for r in requests), key=lambda b: b["to"])
    assert [b["to"] for b in bodies] == ["+15550000001", "+15550000002"]
    assert bodies[0]["text"] == "Hi Ann 20% off" and bodies[0]["from"] == "SHOP"
    for r in requests:
        assert r.headers["X-OC-Signature"] == sign_body("s3", r.data)
        assert r.headers["Idempotency-Key"].startswith(f"oc-{delivery.pk}-")
    assert set(
        LedgerEntry.objects.filter(delivery=delivery).values_list("provider_message_id", flat=True)
    ) == {"gw-1"}


def test_twilio_compatible_form_post_and_invalid_number_is_a_hard_bounce(catalog, campaign, httpserver):
    # given
    path = "/2010-04-01/Accounts/AC1/Messages.json"

    def handler(request):
        if request.form["To"] == "+15550000002":
            return Response(json.dumps({"code": 21211, "message": "invalid To"}), status=400)
        return Response(json.dumps({"sid": "SM" + request.form["To"][-2:]}), status=201)

    httpserver.expect_request(path, method="POST").respond_with_handler(handler)
    _config(
        catalog,
        "sms",
        "sms",
        "twilio",
        {"account_sid": "AC1", "auth_token": "t", "base_url": httpserver.url_for("")},
    )
    config = _parse("sms", {"configuration": "sms", "content": {"text": "Hello"}})
    # when
    delivery = prepared_delivery(catalog, campaign, [1, 2], config, channel="sms")
    send_delivery(delivery.pk)
    # then
    rows = {e.recipient_key: e for e in LedgerEntry.objects.filter(delivery=delivery)}
    assert rows["1"].state == LedgerState.SENT and rows["1"].provider_message_id == "SM01"
    assert rows["2"].state == LedgerState.FAILED
    assert SuppressionEntry.objects.filter(
        channel="sms", address="+15550000002", reason="hard_bounce"
    ).exists()
    request = httpserver.log[0][0]
    assert request.authorization.username == "AC1" and request.form["Body"] == "Hello"


def test_fcm_v1_push_with_link_and_data(catalog, campaign, httpserver):
    # given
    httpserver.expect_request("/v1/projects/p1/messages:send", method="POST").respond_with_json(
        {"name": "projects/p1/messages/42"}
    )
    _config(
        catalog,
        "push",
        "push",
        "fcm",
        {"project_id": "p1", "access_token": "tok", "base_url": httpserver.url_for("")},
    )
    config = _parse(
        "push",
        {
            "configuration": "push",
            "content": {
                "title": "Hi {{ recipient.first_name }}",
                "body": "Sale",
                "link": "https://shop.test/p",
                "data": {"k": "{{ recipient.id }}"},
            },
        },
    )
    # when
    delivery = prepared_delivery(catalog, campaign, [1], config, channel="push")
    send_delivery(delivery.pk)
    # then
    request = httpserver.log[0][0]
    body = json.loads(request.data)["message"]
    assert request.headers["Authorization"] == "Bearer tok"
    assert body["token"] == "tok-ann-000001" and body["notification"] == {"title": "Hi Ann", "body": "Sale"}
    assert body["data"]["k"] == "1" and body["webpush"]["fcm_options"]["link"].startswith(
        "https://t.shop.test/t/c/"
    )
    assert LedgerEntry.objects.get(delivery=delivery).provider_message_id == "projects/p1/messages/42"


def test_a_provider_answering_429_slows_the_send_instead_of_failing_it(
    catalog, campaign, httpserver, settings
):
    # given: the gateway refuses the first three calls with 429 and asks to wait 0.3 s
    settings.OC_SEND_BACKOFF_SECONDS = 0.2
    calls: list[tuple[float, str, int]] = []  # (when, recipient, status)
    lock = threading.Lock()

    def handler(request):
        with lock:
            status = 429 if len(calls) < 3 else 200
            calls.append((time.monotonic(), json.loads(request.data)["to"], status))
        if status == 429:
            return Response("slow down", status=429, headers={"Retry-After": "0.3"})
        return Response(json.dumps({"id": f"m{len(calls)}"}), status=200, content_type="application/json")

    httpserver.expect_request("/push", method="POST").respond_with_handler(handler)
    configuration = _config(catalog, "push", "push", "push_webhook", {"url": httpserver.url_for("/push")})
    config = _parse("push", {"configuration": "push", "content": {"title": "t", "body": "b"}})
    # when
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3], config, channel="push")
    send_delivery(delivery.pk, max_seconds=30)
    # then: everything was sent, nothing failed, each refused message was tried again only after the
    # 0.3 s the gateway asked for, and the shared rate went down
    assert list(LedgerEntry.objects.filter(delivery=delivery).values_list("state", flat=True)) == ["sent"] * 3
    assert len(calls) == 6
    for when, to, status in calls:
        if status == 429:
            retry = next(w for w, t, s in calls if t == to and w > when)
            assert retry - when >= 0.3, (to, retry - when)
    assert sorted(to for _w, to, s in calls if s == 200) == sorted({to for _w, to, _s in calls})
    assert RateBucket.objects.get(configuration=configuration).slow_factor < 1.0


def test_a_claim_that_expired_during_the_call_is_settled_by_idempotency_key(catalog, campaign, httpserver):
    # given: a row left "sending" by a dead sender; the gateway can tell whether it got the key
    httpserver.expect_request("/status").respond_with_json({"accepted": True})
    _config(
        catalog,
        "sms",
        "sms",
        "sms_webhook",
        {"url": httpserver.url_for("/sms"), "status_url": httpserver.url_for("/status")},
    )
    config = _parse("sms", {"configuration": "sms", "content": {"text": "x"}})
    delivery = prepared_delivery(catalog, campaign, [1, 2], config, channel="sms")
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="1").update(
        state="sending", claim_token="dead", claimed_at=timezone.now()
    )
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="2").update(
        state="claimed", claim_token="dead", claimed_at=timezone.now()
    )
    # when
    result = recover_expired(delivery, lease_seconds=-1)
    # then
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("recipient_key", "state"))
    assert states == {"1": "sent", "2": "pending"} and result["settled"] == 1 and result["released"] == 1
    assert httpserver.log[0][0].args["idempotency_key"].startswith(f"oc-{delivery.pk}-")


def test_without_an_idempotency_lookup_a_row_in_flight_becomes_unknown_and_is_never_resent(
    catalog, campaign, email_configuration, smtp_sink
):
    # given
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="1").update(
        state="sending", claim_token="dead", claimed_at=timezone.now()
    )
    # when
    recover_expired(delivery, lease_seconds=-1)
    send_delivery(delivery.pk)
    # then
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("recipient_key", "state"))
    assert states == {"1": "unknown", "2": "sent"}
    assert [r for rcpts, _m in smtp_sink.messages for r in rcpts] == ["bob@other.test"]
