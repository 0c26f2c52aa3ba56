"""A connection lost during SMTP DATA leaves the message in doubt: the server may have it. Such a row
is "unknown" and never sent again (no duplicate); a failure before DATA is retried; a recipient or
sender that cannot be written safely is refused before anything is sent."""

from __future__ import annotations

from collections import Counter

import pytest

from channels.delivery.recovery import recover_expired
from channels.delivery.sender import send_delivery
from channels.models import LedgerEntry, TrackingEvent
from channels.providers import mime
from channels.providers.base import OutboundMessage
from channels.providers.email_smtp import SmtpSession, SmtpSettings
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db


def _message(to: str) -> OutboundMessage:
    return OutboundMessage(
        to=to, idempotency_key="oc-1-1", subject="Hi", text="Hello", from_email="a@shop.test"
    )


def test_a_connection_lost_during_data_makes_the_row_unknown_and_it_is_never_sent_again(
    catalog, campaign, email_configuration, smtp_sink
):
    # given: the server keeps Ann's message but drops the connection before answering
    smtp_sink.drop_after_data = {"ann@example.test"}
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    # when: the delivery is sent, then recovery and another sender run
    send_delivery(delivery.pk, max_seconds=30)
    recover_expired(delivery, lease_seconds=-1)
    send_delivery(delivery.pk, max_seconds=30)
    # then
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("address", "state"))
    assert states == {"ann@example.test": "unknown", "bob@other.test": "sent"}
    received = Counter(r for rcpts, _m in smtp_sink.messages for r in rcpts)
    assert received == {"ann@example.test": 1, "bob@other.test": 1}
    event = TrackingEvent.objects.get(delivery=delivery, address="ann@example.test", kind="error")
    assert event.reason == "unknown_after_error"


def test_a_refusal_before_data_is_not_in_doubt(smtp_sink):
    smtp_sink.refuse = {"gone@example.test": "450 mailbox busy"}
    session = SmtpSession(SmtpSettings(host="127.0.0.1", port=smtp_sink.port, timeout=5))
    try:
        assert session.send(_message("gone@example.test")).status == "transient"
        assert session.send(_message("ann@example.test")).status == "sent"
    finally:
        session.close()
    assert [rcpts for rcpts, _m in smtp_sink.messages] == [["ann@example.test"]]


@pytest.mark.parametrize(
    "to",
    ['"a\x1c\x1cX-Injected:1"@x.test', "ann@example.test\u2028Bcc: all@x.test", "a\x0bb@x.test"],
)
def test_an_address_with_a_control_character_is_refused_and_nothing_is_sent(smtp_sink, to):
    with pytest.raises(mime.HeaderInjection):
        mime.recipient(to)
    session = SmtpSession(SmtpSettings(host="127.0.0.1", port=smtp_sink.port, timeout=5))
    try:
        result = session.send(_message(to))
    finally:
        session.close()
    assert result.status == "permanent" and "control character" in result.error
    assert smtp_sink.messages == []
