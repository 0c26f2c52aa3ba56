"""Signed provider callbacks cannot be replayed (issue 12 §6) and a body of the wrong shape is a 400 in
the one error shape naming the field (issue 12 §5): the signature covers a timestamp checked against
``OC_WEBHOOK_TOLERANCE_SECONDS``, every event carries an id recorded once, and a hard bounce, a
complaint or an unsubscribe is recorded once per message whatever its event id."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from channels.delivery.sender import send_delivery
from channels.models import EventKind, LedgerEntry, SuppressionEntry, TrackingEvent
from channels.providers.base import sign_body, sign_webhook, webhook_headers
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(catalog, campaign, email_configuration, smtp_sink):
    """A delivery sent to Ann and Bob through a configuration whose callbacks are signed with "hook"."""
    from channels.services.configurations import configuration_update

    configuration_update(
        actor=catalog["admin"],
        configuration=email_configuration,
        data={"provider_settings": {"host": "127.0.0.1", "port": smtp_sink.port, "webhook_secret": "hook"}},
    )
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    send_delivery(delivery.pk)
    return {
        "url": f"/t/hooks/{email_configuration.pk}/",
        "ann": LedgerEntry.objects.get(delivery=delivery, recipient_key="1"),
        "bob": LedgerEntry.objects.get(delivery=delivery, recipient_key="2"),
    }


def _bounce(entry, event_id="ev-1"):
    return json.dumps(
        {"events": [{"id": event_id, "type": "hard_bounce", "message_id": entry.provider_message_id}]}
    ).encode()


def _post(url, body, headers):
    return Client().post(url, body, content_type="application/json", headers=headers)


def test_a_captured_callback_replayed_records_nothing_more(sent):
    # given: a genuine, signed callback, captured on the way
    body = _bounce(sent["ann"])
    headers = webhook_headers("hook", body)
    # when: it arrives, then is replayed as is
    first = _post(sent["url"], body, headers)
    replay = _post(sent["url"], body, headers)
    # then
    assert first.status_code == 200 and first.json() == {"accepted": 1}
    assert replay.status_code == 200 and replay.json() == {"accepted": 0}
    assert TrackingEvent.objects.filter(entry=sent["ann"], kind=EventKind.HARD_BOUNCE).count() == 1


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_an_old_or_future_timestamp_is_refused_even_when_well_signed(sent, age):
    # given: a correctly signed request whose timestamp is outside the 300 s tolerance
    body = _bounce(sent["ann"])
    headers = webhook_headers("hook", body, timestamp=int(time.time()) - age)
    # when
    response = _post(sent["url"], body, headers)
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and response.json()["errors"] == []
    assert not TrackingEvent.objects.filter(kind=EventKind.HARD_BOUNCE).exists()


def test_a_timestamp_inside_the_tolerance_is_accepted(sent, settings):
    # given
    settings.OC_WEBHOOK_TOLERANCE_SECONDS = 600
    body = _bounce(sent["ann"])
    # when
    response = _post(sent["url"], body, webhook_headers("hook", body, timestamp=int(time.time()) - 590))
    # then
    assert response.json() == {"accepted": 1}


@pytest.mark.parametrize(
    "forge",
    [
        # the old scheme: a signature over the body only
        lambda body, now: {"X-OC-Timestamp": str(now), "X-OC-Signature": sign_body("hook", body)},
        # an old captured signature with a fresh timestamp pasted in
        lambda body, now: {
            "X-OC-Timestamp": str(now),
            "X-OC-Signature": sign_webhook("hook", now - 900, body),
        },
        # no timestamp at all
        lambda body, now: {"X-OC-Signature": sign_webhook("hook", now, body)},
        # a timestamp that is not a number of seconds
        lambda body, now: {
            "X-OC-Timestamp": f"{now}.5",
            "X-OC-Signature": sign_webhook("hook", f"{now}.5", body),
        },
        # the wrong secret
        lambda body, now: webhook_headers("other", body, timestamp=now),
    ],
)
def test_a_forged_or_moved_signature_is_refused(sent, forge):
    # given
    body = _bounce(sent["ann"])
    # when
    response = _post(sent["url"], body, forge(body, int(time.time())))
    # then
    assert response.status_code == 403
    assert not TrackingEvent.objects.filter(kind=EventKind.HARD_BOUNCE).exists()


def test_three_hard_bounces_of_one_message_are_recorded_once(sent):
    # given: the provider (or someone replaying with fresh ids) reports the same bounce three times
    bodies = [_bounce(sent["ann"], event_id=f"ev-{n}") for n in range(3)]
    # when
    answers = [_post(sent["url"], body, webhook_headers("hook", body)).json() for body in bodies]
    # then
    assert answers == [{"accepted": 1}, {"accepted": 0}, {"accepted": 0}]
    assert TrackingEvent.objects.filter(entry=sent["ann"], kind=EventKind.HARD_BOUNCE).count() == 1
    assert SuppressionEntry.objects.filter(address="ann@example.test").count() == 1


def test_complaints_and_unsubscribes_are_once_per_message_and_deliveries_per_event(sent):
    # given: two events of each kind in one request, each with its own id
    bob = sent["bob"].provider_message_id
    events = [
        {"id": f"{kind}-{n}", "type": kind, "message_id": bob}
        for kind in ("complaint", "unsubscribe", "open")
        for n in range(2)
    ]
    body = json.dumps({"events": events}).encode()
    # when
    response = _post(sent["url"], body, webhook_headers("hook", body))
    # then: one complaint, one unsubscribe, both opens
    assert response.json() == {"accepted": 4}
    kinds = sorted(TrackingEvent.objects.filter(entry=sent["bob"]).values_list("kind", flat=True))
    assert kinds.count(EventKind.COMPLAINT) == 1 and kinds.count(EventKind.UNSUBSCRIBE) == 1
    assert kinds.count(EventKind.OPEN) == 2


DEEP = b'{"events": ' + b"[" * 5000 + b"]" * 5000 + b"}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", None),
        (b"\xff\xfe", None),
        (DEEP, None),
        (b"[1, 2]", None),
        (b'"events"', None),
        (b"{}", "events"),
        (b'{"events": {"id": "x"}}', "events"),
        (b'{"events": [1]}', "events.0"),
        (b'{"events": [{"type": "hard_bounce", "message_id": "m"}]}', "events.0.id"),
        (b'{"events": [{"id": "", "type": "hard_bounce", "message_id": "m"}]}', "events.0.id"),
        (b'{"events": [{"id": {"a": 1}, "type": "hard_bounce", "message_id": "m"}]}', "events.0.id"),
        (b'{"events": [{"id": "e", "type": ["hard_bounce"], "message_id": "m"}]}', "events.0.type"),
        (b'{"events": [{"id": "e", "type": "hard_bounce"}]}', "events.0.message_id"),
        (b'{"events": [{"id": "e", "type": "hard_bounce", "message_id": 7}]}', "events.0.message_id"),
        (b'{"events": [{"id": "e", "type": "open", "message_id": "m", "reason": 1}]}', "events.0.reason"),
        (b'{"events": [{"id": "e", "type": "click", "message_id": "m", "url": []}]}', "events.0.url"),
        (
            json.dumps({"events": [{"id": "x" * 201, "type": "open", "message_id": "m"}]}).encode(),
            "events.0.id",
        ),
        (
            json.dumps(
                {"events": [{"id": str(n), "type": "open", "message_id": "m"} for n in range(1001)]}
            ).encode(),
            "events",
        ),
    ],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400_naming_the_field(sent, body, field):
    # when
    response = Client(raise_request_exception=False).post(
        sent["url"], body, content_type="application/json", headers=webhook_headers("hook", body)
    )
    # then
    assert response.status_code == 400
    data = response.json()
    assert data["status"] == 400 and data["code"] == "invalid"
    assert [error["field"] for error in data["errors"]] == [field]
    assert not TrackingEvent.objects.filter(kind=EventKind.HARD_BOUNCE).exists()


def test_a_valid_event_beside_a_wrong_one_is_not_recorded_either(sent):
    # given: the whole request is refused, not half-applied
    events = [
        {"id": "ok", "type": "hard_bounce", "message_id": sent["ann"].provider_message_id},
        {"type": "complaint", "message_id": sent["bob"].provider_message_id},
    ]
    body = json.dumps({"events": events}).encode()
    # when
    response = _post(sent["url"], body, webhook_headers("hook", body))
    # then
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "events.1.id"
    assert not TrackingEvent.objects.filter(kind__in=[EventKind.HARD_BOUNCE, EventKind.COMPLAINT]).exists()


@pytest.fixture
def sms_url(catalog, httpserver):
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
    return f"/t/sms/{configuration.pk}/inbound/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[1]", None),
        (b"{", None),
        (b"[" * 5000 + b"]" * 5000, None),
        (b'{"text": "STOP"}', "from"),
        (b'{"from": 15550000001, "text": "STOP"}', "from"),
        (b'{"from": "+15550000001", "text": ["STOP"]}', "text"),
    ],
)
def test_an_inbound_sms_of_the_wrong_shape_is_a_400_naming_the_field(sms_url, body, field):
    # when
    response = Client(raise_request_exception=False).post(
        sms_url, body, content_type="application/json", headers=webhook_headers("k", body)
    )
    # then
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not SuppressionEntry.objects.exists()


def test_an_inbound_sms_replayed_late_is_refused(sms_url):
    # given
    body = json.dumps({"from": "+15550000001", "text": "STOP"}).encode()
    # when
    late = _post(sms_url, body, webhook_headers("k", body, timestamp=int(time.time()) - 301))
    fresh = _post(sms_url, body, webhook_headers("k", body))
    # then
    assert late.status_code == 403 and fresh.json() == {"unsubscribed": True}


ESP_GARBAGE = [b"[1]", b"not json", b'"x"', b"[" * 3000 + b"]" * 3000]


@pytest.mark.parametrize(
    ("esp", "body"),
    [
        *((esp, body) for esp in ("mailgun", "postmark", "brevo") for body in ESP_GARBAGE),
        ("mailgun", b'{"signature": 1, "event-data": 2}'),
        ("brevo", b'{"event": []}'),
    ],
)
def test_an_authenticated_esp_webhook_of_the_wrong_shape_is_a_400(esp, body):
    from django.test import override_settings

    from channels.tests.test_anymail import ANYMAIL, WEBHOOK_AUTH, _basic

    # when: the right basic auth, a body that is no event of that ESP
    with override_settings(ANYMAIL=ANYMAIL):
        response = Client(raise_request_exception=False).post(
            f"/t/anymail/{esp}/tracking/", body, content_type="application/json", headers=_basic(WEBHOOK_AUTH)
        )
    # then: a 4xx in the one error shape (anymail's own refusal goes through handler400), never a 500
    assert 400 <= response.status_code < 500
    if response.status_code == 400 and response["Content-Type"] == "application/json":
        assert response.json()["code"] in ("invalid", "parse_error", "bad_request")
    assert not TrackingEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_hard_bounces_of_one_message_are_recorded_once(sent):
    """Two callbacks about one message at the same moment (PostgreSQL: real concurrent transactions)."""
    import threading

    from django.db import connection, connections

    from channels.tracking.services import provider_event_record

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    # given
    barrier, results = threading.Barrier(4), []

    def report(n: int) -> None:
        try:
            barrier.wait()
            results.append(provider_event_record(sent["ann"], EventKind.HARD_BOUNCE, event_id=f"race-{n}"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(results) == [False, False, False, True]
    assert TrackingEvent.objects.filter(entry=sent["ann"], kind=EventKind.HARD_BOUNCE).count() == 1
