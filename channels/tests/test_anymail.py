"""Email through an ESP's API with django-anymail, against a real local HTTP server playing the ESP
(pytest-httpserver): what reaches the ESP, the ESP's ids in the ledger, its refusals; and anymail's
tracking webhooks (real URLs, real signatures) feeding tracking events and the suppression list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client, override_settings
from werkzeug import Response

from channels.delivery.sender import send_delivery
from channels.models import LedgerEntry, LedgerState, SuppressionEntry, TrackingEvent
from channels.providers import registry
from channels.providers.base import OutboundMessage
from channels.services.configurations import configuration_create
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mg-signing-key"
WEBHOOK_AUTH = "hooks:s3cret"
ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_AUTH, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def _configuration(catalog, settings: dict, name: str = "mail"):
    return configuration_create(
        actor=catalog["admin"],
        data={
            "name": name,
            "channel": "email",
            "provider": "anymail",
            "provider_settings": settings,
            "from_email": "news@shop.test",
            "from_name": "Shop",
            "marketing": True,
            "transactional": True,
            "rate_per_second": 2000,
            "dimension": catalog["dimension"],
            "tracking_base_url": "https://t.shop.test",
        },
    )


def _mailgun(httpserver) -> dict:
    return {
        "esp": "mailgun",
        "api_key": "key-1",
        "api_url": httpserver.url_for("/v3"),
        "sender_domain": "mg.shop.test",
        "timeout": 5.0,
    }


def _message(to: str = "ann@example.test") -> OutboundMessage:
    return OutboundMessage(
        to=to, idempotency_key="oc-7-42", subject="Hello", text="Hi", from_email="news@shop.test"
    )


def _send(settings: dict, message: OutboundMessage):
    provider = registry.get("anymail")
    with provider.open(provider.parse(settings)) as session:
        return session.send(message)


def _sent_through_mailgun(catalog, campaign, httpserver):
    """A marketing delivery to Ann and Bob through Mailgun; the ESP answers one id per recipient."""

    def handler(request):
        name = request.form["to"].split("@")[0]
        return Response(
            json.dumps({"id": f"<{name}.1@mg.shop.test>", "message": "Queued. Thank you."}),
            content_type="application/json",
        )

    httpserver.expect_request("/v3/mg.shop.test/messages", method="POST").respond_with_handler(handler)
    _configuration(catalog, _mailgun(httpserver))
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    send_delivery(delivery.pk)
    return delivery


def test_a_delivery_reaches_the_esp_personalised_with_the_unsubscribe_headers(catalog, campaign, httpserver):
    # when
    delivery = _sent_through_mailgun(catalog, campaign, httpserver)
    # then: one API call per recipient, authenticated, with the rendered message and RFC 8058 headers
    requests = {r.form["to"]: r for r, _response in httpserver.log}
    assert set(requests) == {"ann@example.test", "bob@other.test"}
    ann = requests["ann@example.test"]
    assert ann.headers["Authorization"] == "Basic " + base64.b64encode(b"api:key-1").decode()
    assert ann.form["from"] == "Shop <news@shop.test>"
    assert ann.form["subject"] == "Hello Ann"
    assert ann.form["text"].startswith("Hi Ann, see ")
    assert "<p>Hi Ann</p>" in ann.form["html"]
    entry = LedgerEntry.objects.get(delivery=delivery, recipient_key="1")
    assert ann.form["h:List-Unsubscribe"].startswith("<https://t.shop.test/t/u/")
    assert ann.form["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert requests["bob@other.test"].form["subject"] == "Hello Bob"
    # and the ESP's ids are the ledger's provider ids
    assert entry.state == LedgerState.SENT
    assert dict(
        LedgerEntry.objects.filter(delivery=delivery).values_list("recipient_key", "provider_message_id")
    ) == {"1": "<ann.1@mg.shop.test>", "2": "<bob.1@mg.shop.test>"}


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (Response("slow down", status=429, headers={"Retry-After": "3"}), "transient"),
        (Response("upstream down", status=503), "transient"),
        (Response(json.dumps({"message": "'to' parameter is not a valid address"}), status=400), "permanent"),
        (Response(json.dumps({"message": "Forbidden"}), status=401), "permanent"),
    ],
)
def test_mailgun_refusals_map_to_retry_or_failure(httpserver, answer, status):
    # given
    httpserver.expect_request("/v3/mg.shop.test/messages", method="POST").respond_with_response(answer)
    # when
    result = _send(_mailgun(httpserver), _message())
    # then
    assert result.status == status and result.provider_id == ""
    assert result.error.startswith(f"HTTP {answer.status_code}")
    if answer.status_code == 429:
        assert result.retry_after == 3.0


def test_postmark_inactive_recipient_is_a_hard_bounce_and_its_id_recorded_when_sent(httpserver):
    # given: Postmark's answers for an accepted message and for an inactive (bounced) recipient
    def handler(request):
        body = json.loads(request.data)
        if body["To"] == "gone@example.test":
            return Response(
                json.dumps(
                    {
                        "ErrorCode": 406,
                        "Message": "You tried to send to recipient(s) that have been marked as inactive.\n"
                        "Found inactive addresses: gone@example.test.\n"
                        "Inactive recipients are ones that have generated a hard bounce or a spam complaint.",
                    }
                ),
                status=422,
                content_type="application/json",
            )
        return Response(
            json.dumps(
                {
                    "To": body["To"],
                    "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d",
                    "ErrorCode": 0,
                    "Message": "OK",
                    "SubmittedAt": "2026-11-30T00:00:00Z",
                }
            ),
            content_type="application/json",
        )

    httpserver.expect_request("/email", method="POST").respond_with_handler(handler)
    settings = {
        "esp": "postmark",
        "api_key": "server-token",
        "api_url": httpserver.url_for("/"),
        "message_stream": "broadcast",
    }
    message = _message()
    message.headers = {"List-Unsubscribe": "<https://t.shop.test/t/u/x/>"}
    # when
    sent = _send(settings, message)
    bounced = _send(settings, _message("gone@example.test"))
    # then
    assert sent.status == "sent" and sent.provider_id == "0a129aee-e1cd-480d-b08d-4f48548ff48d"
    assert bounced.status == "hard_bounce" and "rejected" in bounced.error
    request = httpserver.log[0][0]
    body = json.loads(request.data)
    assert request.headers["X-Postmark-Server-Token"] == "server-token"
    assert body["MessageStream"] == "broadcast" and body["Subject"] == "Hello"
    assert {"Name": "List-Unsubscribe", "Value": "<https://t.shop.test/t/u/x/>"} in body["Headers"]


def test_brevo_sends_to_its_api_path_and_records_the_message_id(httpserver):
    # given
    httpserver.expect_request("/v3/smtp/email", method="POST").respond_with_json(
        {"messageId": "<202611300000.1@smtp-relay.brevo.test>"}, status=201
    )
    message = _message()
    message.headers = {"List-Unsubscribe": "<https://t.shop.test/t/u/x/>"}
    # when
    brevo = _send({"esp": "brevo", "api_key": "xkeysib", "api_url": httpserver.url_for("/v3/")}, message)
    # then
    request = httpserver.log[0][0]
    body = json.loads(request.data)
    assert request.headers["api-key"] == "xkeysib"
    assert body["to"] == [{"email": "ann@example.test"}] and body["subject"] == "Hello"
    assert body["headers"]["List-Unsubscribe"] == "<https://t.shop.test/t/u/x/>"
    assert brevo.status == "sent" and brevo.provider_id == "<202611300000.1@smtp-relay.brevo.test>"


def test_settings_are_checked_naming_the_setting(catalog):
    provider = registry.get("anymail")
    cases = {
        "provider_settings.esp": {"esp": "sendgrid", "api_key": "k"},
        "provider_settings.api_key": {"esp": "mailgun", "api_key": ""},
        "provider_settings.api_url": {"esp": "mailgun", "api_key": "k", "api_url": "ftp://x"},
        "provider_settings.sender_domain": {"esp": "postmark", "api_key": "k", "sender_domain": "mg.x"},
        "provider_settings.message_stream": {"esp": "mailgun", "api_key": "k", "message_stream": "b"},
        "provider_settings.timeout": {"esp": "mailgun", "api_key": "k", "timeout": 0},
    }
    for name, raw in cases.items():
        with pytest.raises(Exception) as refused:
            provider.parse(raw)
        assert set(refused.value.message_dict) == {name}, raw
    # and the configuration form's check offers it for email only (from the registry)
    assert ("anymail", "Email service provider API (anymail)") in registry.choices("email")
    assert "anymail" not in dict(registry.choices("sms"))


def test_the_api_key_is_write_only(catalog, api_as, administrator, httpserver):
    # given
    configuration = _configuration(catalog, _mailgun(httpserver))
    url = f"/api/v1/channel-configurations/{configuration.pk}/"
    # when
    shown = api_as(administrator).get(url).json()["provider_settings"]
    sent_back = api_as(administrator).patch(
        url, {"provider_settings": {**shown, "timeout": 9.0}}, format="json"
    )
    # then
    assert shown["api_key"] == "•••" and "key-1" not in json.dumps(shown)
    assert sent_back.status_code == 200, sent_back.content
    configuration.refresh_from_db()
    assert configuration.provider_settings["api_key"] == "key-1"
    assert configuration.provider_settings["timeout"] == 9.0


# --- Tracking webhooks ------------------------------------------------------------------------------
def _basic(auth: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def _mailgun_event(token: str, event: dict, key: str = SIGNING_KEY) -> str:
    timestamp = "1796000000"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": {"timestamp": 1796000000.5, **event},
        }
    )


def _delivered(message_id: str) -> dict:
    return {
        "event": "delivered",
        "recipient": "bob@other.test",
        "message": {"headers": {"message-id": message_id}},
        "delivery-status": {"code": 250, "message": "OK", "description": ""},
    }


def _hard_bounce(message_id: str) -> dict:
    return {
        "event": "failed",
        "severity": "permanent",
        "reason": "bounce",
        "recipient": "ann@example.test",
        "message": {"headers": {"message-id": message_id}},
        "delivery-status": {"code": 550, "message": "5.1.1 No such user", "description": "Not delivered"},
    }


MAILGUN_HOOK = "/t/anymail/mailgun/tracking/"


@override_settings(ANYMAIL=ANYMAIL)
def test_mailgun_webhooks_record_events_and_suppress_hard_bounces_once(catalog, campaign, httpserver):
    # given: a delivery sent through Mailgun
    delivery = _sent_through_mailgun(catalog, campaign, httpserver)
    client = Client()
    posts = [
        _mailgun_event("t-delivered", _delivered("bob.1@mg.shop.test")),  # Mailgun drops the brackets
        _mailgun_event("t-bounced", _hard_bounce("ann.1@mg.shop.test")),
        _mailgun_event("t-unknown", _delivered("someone-else@mg.shop.test")),
        _mailgun_event("t-bounced", _hard_bounce("ann.1@mg.shop.test")),  # the ESP retries
        _mailgun_event(
            "t-unsubscribed",
            {
                "event": "unsubscribed",
                "recipient": "bob@other.test",
                "message": {"headers": {"message-id": "bob.1@mg.shop.test"}},
            },
        ),
    ]
    # when
    answers = [
        client.post(MAILGUN_HOOK, body, content_type="application/json", headers=_basic(WEBHOOK_AUTH))
        for body in posts
    ]
    # then: all accepted (an unknown message is not an error); each event recorded once
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200]
    events = TrackingEvent.objects.filter(delivery=delivery).exclude(kind="sent")
    assert sorted((e.kind, e.address, e.reason) for e in events) == [
        ("delivered", "bob@other.test", "OK"),
        ("hard_bounce", "ann@example.test", "5.1.1 No such user"),
        ("unsubscribe", "bob@other.test", ""),
    ]
    assert dict(SuppressionEntry.objects.values_list("address", "reason")) == {
        "ann@example.test": "hard_bounce",
        "bob@other.test": "unsubscribe",
    }


@override_settings(ANYMAIL=ANYMAIL)
def test_mailgun_webhooks_refuse_wrong_auth_or_signature_and_write_nothing(catalog, campaign, httpserver):
    # given
    _sent_through_mailgun(catalog, campaign, httpserver)
    client = Client(raise_request_exception=False)
    body = _mailgun_event("t-1", _hard_bounce("ann.1@mg.shop.test"))
    forged = _mailgun_event("t-2", _hard_bounce("ann.1@mg.shop.test"), key="not-the-key")
    # when
    wrong_auth = client.post(MAILGUN_HOOK, body, content_type="application/json", headers=_basic("hooks:no"))
    no_auth = client.post(MAILGUN_HOOK, body, content_type="application/json")
    bad_signature = client.post(
        MAILGUN_HOOK, forged, content_type="application/json", headers=_basic(WEBHOOK_AUTH)
    )
    # then
    assert (wrong_auth.status_code, no_auth.status_code, bad_signature.status_code) == (400, 400, 400)
    assert not TrackingEvent.objects.filter(kind="hard_bounce").exists()
    assert not SuppressionEntry.objects.exists()


def test_webhooks_refuse_everything_without_a_configured_secret(catalog, campaign, httpserver):
    # given: no webhook secret (and, for the second, no Mailgun signing key)
    _sent_through_mailgun(catalog, campaign, httpserver)
    body = _mailgun_event("t-1", _hard_bounce("ann.1@mg.shop.test"))
    client = Client(raise_request_exception=False)
    # when
    with override_settings(ANYMAIL={}):
        no_secret = client.post(MAILGUN_HOOK, body, content_type="application/json")
    with override_settings(ANYMAIL={"WEBHOOK_SECRET": WEBHOOK_AUTH}):
        no_key = client.post(
            MAILGUN_HOOK, body, content_type="application/json", headers=_basic(WEBHOOK_AUTH)
        )
    # then: fail closed
    assert (no_secret.status_code, no_key.status_code) == (403, 403)
    assert not SuppressionEntry.objects.exists()


@override_settings(ANYMAIL=ANYMAIL)
def test_postmark_webhooks_tell_hard_from_soft_bounces_and_record_complaints_opens_and_clicks(
    catalog, campaign, httpserver
):
    # given: a delivery whose ledger holds Postmark ids
    delivery = _sent_through_mailgun(catalog, campaign, httpserver)
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="1").update(provider_message_id="pm-ann")
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="2").update(provider_message_id="pm-bob")
    payloads = [
        {
            "RecordType": "Bounce",
            "ID": 1,
            "Type": "SoftBounce",
            "MessageID": "pm-bob",
            "Email": "bob@other.test",
            "Description": "mailbox full",
            "BouncedAt": "2026-11-30T00:00:00Z",
        },
        {
            "RecordType": "Open",
            "MessageID": "pm-bob",
            "Recipient": "bob@other.test",
            "ReceivedAt": "2026-11-30T00:00:01Z",
        },
        {
            "RecordType": "Click",
            "MessageID": "pm-bob",
            "Recipient": "bob@other.test",
            "OriginalLink": "https://shop.test/sale",
            "ReceivedAt": "2026-11-30T00:00:02Z",
        },
        {
            "RecordType": "SpamComplaint",
            "ID": 2,
            "Type": "SpamComplaint",
            "MessageID": "pm-bob",
            "Email": "bob@other.test",
            "BouncedAt": "2026-11-30T00:00:03Z",
        },
        {
            "RecordType": "Bounce",
            "ID": 3,
            "Type": "HardBounce",
            "MessageID": "pm-ann",
            "Email": "ann@example.test",
            "Description": "unknown user",
            "Details": "smtp;550 5.1.1",
            "BouncedAt": "2026-11-30T00:00:04Z",
        },
    ]
    client = Client()
    # when
    answers = [
        client.post(
            "/t/anymail/postmark/tracking/",
            json.dumps(p),
            content_type="application/json",
            headers=_basic(WEBHOOK_AUTH),
        )
        for p in payloads
    ]
    # then
    assert {a.status_code for a in answers} == {200}
    kinds = (
        TrackingEvent.objects.filter(delivery=delivery)
        .exclude(kind="sent")
        .values_list("entry__recipient_key", "kind", "url")
    )
    assert sorted(kinds) == [
        ("1", "hard_bounce", ""),
        ("2", "click", "https://shop.test/sale"),
        ("2", "complaint", ""),
        ("2", "open", ""),
        ("2", "soft_bounce", ""),
    ]
    assert dict(SuppressionEntry.objects.values_list("address", "reason")) == {
        "ann@example.test": "hard_bounce",
        "bob@other.test": "complaint",
    }


@override_settings(ANYMAIL=ANYMAIL)
def test_brevo_webhooks_without_event_ids_are_still_recorded_once(catalog, campaign, httpserver):
    # given: Brevo ids in the ledger; Brevo sends no event id, and retries a hard bounce
    delivery = _sent_through_mailgun(catalog, campaign, httpserver)
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="1").update(
        provider_message_id="<b-ann@brevo>"
    )
    LedgerEntry.objects.filter(delivery=delivery, recipient_key="2").update(
        provider_message_id="<b-bob@brevo>"
    )

    def brevo(event: str, message_id: str, ts: int, **extra) -> str:
        return json.dumps({"event": event, "message-id": message_id, "ts_epoch": ts, **extra})

    posts = [
        brevo("hard_bounce", "<b-ann@brevo>", 1796000000000, reason="550 unknown user"),
        brevo("hard_bounce", "<b-ann@brevo>", 1796000000000, reason="550 unknown user"),
        brevo("soft_bounce", "<b-bob@brevo>", 1796000001000, reason="mailbox full"),
        brevo("click", "<b-bob@brevo>", 1796000002000, link="https://shop.test/sale"),
    ]
    client = Client()
    # when
    for body in posts:
        answer = client.post(
            "/t/anymail/brevo/tracking/", body, content_type="application/json", headers=_basic(WEBHOOK_AUTH)
        )
        assert answer.status_code == 200
    # then
    events = TrackingEvent.objects.filter(delivery=delivery).exclude(kind="sent")
    assert sorted(events.values_list("entry__recipient_key", "kind", "reason", "url")) == [
        ("1", "hard_bounce", "550 unknown user", ""),
        ("2", "click", "", "https://shop.test/sale"),
        ("2", "soft_bounce", "mailbox full", ""),
    ]
    assert list(SuppressionEntry.objects.values_list("address", "reason")) == [
        ("ann@example.test", "hard_bounce")
    ]


def test_the_admin_form_takes_the_provider_from_the_registry_and_names_a_bad_setting(catalog, administrator):
    from channels.models import ChannelConfiguration

    client = Client()
    client.force_login(administrator)
    form = {
        "name": "esp",
        "channel": "email",
        "marketing": "on",
        "provider": "anymail",
        "from_email": "news@shop.test",
        "rate_per_second": "50",
        "throttle_window_hours": "12",
        "dimension": str(catalog["dimension"].pk),
        "delivery_level": "target",
        "enabled": "on",
    }
    url = "/admin/oc_channels/channelconfiguration/add/"
    # when
    bad = client.post(url, {**form, "provider_settings": json.dumps({"esp": "sendgrid", "api_key": "k"})})
    good = client.post(url, {**form, "provider_settings": json.dumps({"esp": "postmark", "api_key": "k"})})
    # then
    assert bad.status_code == 200 and "Choose one of: mailgun, postmark, brevo." in bad.content.decode()
    assert good.status_code == 302, good.content.decode()[:2000]
    assert ChannelConfiguration.objects.get(name="esp").provider_settings == {
        "esp": "postmark",
        "api_key": "k",
    }
