"""End to end on a real SMTP server: exclusions with reasons, exactly the expected messages, headers
and personalization, tracked links that lead only to the message's own URLs."""

from __future__ import annotations

import re

import pytest

from channels.delivery.sender import send_delivery
from channels.models import EventKind, LedgerEntry, LedgerState, SuppressionEntry, TrackingEvent
from channels.tests.conftest import email_config, prepared_delivery

pytestmark = pytest.mark.django_db


def _exclusions(delivery):
    return dict(
        TrackingEvent.objects.filter(delivery=delivery, kind=EventKind.EXCLUDED).values_list(
            "profile_key", "reason"
        )
    )


def test_marketing_email_reaches_exactly_the_consenting_valid_unsuppressed(
    catalog, campaign, email_configuration, smtp_sink
):
    # given
    SuppressionEntry.objects.create(channel="email", address="gus@example.test", reason="hard_bounce")
    # when
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3, 4, 5, 6, 7, 8])
    result = send_delivery(delivery.pk)
    # then
    assert result["status"] == "done"
    assert _exclusions(delivery) == {
        "4": "no_address",
        "5": "invalid_address",
        "6": "no_consent",
        "7": "suppressed_hard_bounce",
    }
    assert delivery.targeted == 8 and delivery.excluded == 4
    received = sorted(r for rcpts, _m in smtp_sink.messages for r in rcpts)
    assert received == ["ann@example.test", "bob@other.test", "cy@example.test", "hal@example.test"]
    assert set(LedgerEntry.objects.filter(delivery=delivery).values_list("state", flat=True)) == {
        LedgerState.SENT
    }
    ann = smtp_sink.to("ann@example.test")[0]
    assert ann["Subject"] == "Hello Ann"
    assert ann["From"] == "Shop <news@shop.test>"
    assert ann["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https://t\.shop\.test/t/u/[^>]+/>", ann["List-Unsubscribe"].strip())
    html = ann.get_body(("html",)).get_content()
    text = ann.get_body(("plain",)).get_content()
    assert "<p>Hi Ann</p>" in html and "https://shop.test/sale" not in html  # the link is tracked
    assert "/t/o/" in html  # open pixel
    assert text.startswith("Hi Ann, see https://t.shop.test/t/c/")
    # autoescaped HTML, plain subject
    cy = smtp_sink.to("cy@example.test")[0]
    assert "<p>Hi &lt;Cy&gt;</p>" in cy.get_body(("html",)).get_content()
    assert cy["Subject"] == "Hello <Cy>"


def test_transactional_email_ignores_consent_and_unsubscribes_but_not_hard_bounces(
    catalog, campaign, email_configuration, smtp_sink
):
    # given
    SuppressionEntry.objects.create(channel="email", address="gus@example.test", reason="unsubscribe")
    SuppressionEntry.objects.create(channel="email", address="bob@other.test", reason="hard_bounce")
    # when
    delivery = prepared_delivery(catalog, campaign, [2, 6, 7], email_config(category="transactional"))
    send_delivery(delivery.pk)
    # then
    assert _exclusions(delivery) == {"2": "suppressed_hard_bounce"}
    assert sorted(r for rcpts, _m in smtp_sink.messages for r in rcpts) == [
        "fay@example.test",
        "gus@example.test",
    ]
    assert "List-Unsubscribe" not in smtp_sink.to("fay@example.test")[0]


def test_hard_bounce_at_smtp_fails_the_row_and_suppresses_the_address(
    catalog, campaign, email_configuration, smtp_sink
):
    # given
    smtp_sink.refuse["bob@other.test"] = "550 5.1.1 No such user"
    # when
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    send_delivery(delivery.pk)
    # then
    bob = LedgerEntry.objects.get(delivery=delivery, recipient_key="2")
    assert bob.state == LedgerState.FAILED and bob.error.startswith("SMTP 550")
    assert SuppressionEntry.objects.filter(
        channel="email", address="bob@other.test", reason="hard_bounce"
    ).exists()
    assert TrackingEvent.objects.filter(entry=bob, kind=EventKind.HARD_BOUNCE).count() == 1
    assert [r for rcpts, _m in smtp_sink.messages for r in rcpts] == ["ann@example.test"]


def test_enrichment_columns_personalize_and_a_failing_template_stops_the_delivery_before_sending(
    catalog, campaign, email_configuration, smtp_sink
):
    # given
    config = email_config(
        content={"subject": "{{ enrichment.offer }} for {{ recipient.first_name }}", "text": "x"}
    )
    # when
    delivery = prepared_delivery(catalog, campaign, [1], config, extra={"offer": {1: "20% off"}})
    send_delivery(delivery.pk)
    # then
    assert smtp_sink.to("ann@example.test")[0]["Subject"] == "20% off for Ann"
    # given a template that only fails on real rows (no such enrichment column)
    from django.core.exceptions import ValidationError

    from channels.models import Delivery

    bad = email_config(content={"subject": "{{ enrichment.missing }}", "text": "x"})
    with pytest.raises(ValidationError):
        prepared_delivery(catalog, campaign, [2], bad)
    assert not LedgerEntry.objects.filter(address="bob@other.test").exists()
    assert Delivery.objects.count() == 2  # the failed one was created but holds no ledger
    assert smtp_sink.to("bob@other.test") == []


def test_the_ledger_is_written_once_per_recipient_even_if_preparation_runs_again(
    catalog, campaign, email_configuration, smtp_sink
):
    from channels.delivery import audience
    from channels.tests.conftest import make_source

    # given
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    # when the statement runs again on the same delivery
    audience.prepare(delivery, make_source(catalog, [1, 2, 3]))
    send_delivery(delivery.pk)
    # then
    assert LedgerEntry.objects.filter(delivery=delivery).count() == 3
    assert sorted(r for rcpts, _m in smtp_sink.messages for r in rcpts) == [
        "ann@example.test",
        "bob@other.test",
        "cy@example.test",
    ]
