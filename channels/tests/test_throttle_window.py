"""The sending window: rows still unsent when it closes (default 12 hours after preparing) are excluded
with reason "throttled", never sent late; before it closes they stay pending. Time moves with
time-machine; the SMTP server is real."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from channels.delivery.sender import send_delivery
from channels.models import Delivery, DeliveryStatus, EventKind, LedgerEntry, LedgerState, TrackingEvent
from channels.reporting import figures
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_rows_unsent_after_the_window_are_excluded_as_throttled(
    catalog, campaign, email_configuration, smtp_sink
):
    # given: prepared at 09:00 (default 12-hour window); Ann goes out, the provider made Bob and Cy
    # wait 13 hours (a long back-off), so they are still pending when the window closes
    with time_machine.travel(START, tick=True):
        delivery = prepared_delivery(catalog, campaign, [1, 2, 3])
        LedgerEntry.objects.filter(delivery=delivery).exclude(address="ann@example.test").update(
            next_attempt_at=START + dt.timedelta(hours=13)
        )
        first = send_delivery(delivery.pk, max_seconds=2)
    # when: a sender runs a minute before the window closes, then a minute after
    with time_machine.travel(START + dt.timedelta(hours=11, minutes=59), tick=True):
        before = send_delivery(delivery.pk, max_seconds=1)
        states_before = set(
            LedgerEntry.objects.filter(delivery=delivery)
            .exclude(address="ann@example.test")
            .values_list("state", flat=True)
        )
    with time_machine.travel(START + dt.timedelta(hours=12, minutes=1), tick=True):
        after = send_delivery(delivery.pk, max_seconds=1)
    # then
    deadline = Delivery.objects.get(pk=delivery.pk).deadline_at
    assert dt.timedelta(0) <= deadline - (START + dt.timedelta(hours=12)) < dt.timedelta(seconds=30)
    assert (first["status"], before["status"], after["status"]) == ("more", "more", "done")
    assert states_before == {LedgerState.PENDING}
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("address", "state"))
    assert states == {
        "ann@example.test": LedgerState.SENT,
        "bob@other.test": LedgerState.THROTTLED,
        "cy@example.test": LedgerState.THROTTLED,
    }
    throttled = TrackingEvent.objects.filter(delivery=delivery, kind=EventKind.EXCLUDED, reason="throttled")
    assert sorted(throttled.values_list("profile_key", flat=True)) == ["2", "3"]
    assert [r for rcpts, _m in smtp_sink.messages for r in rcpts] == ["ann@example.test"]
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DONE
    # and the report counts each throttled recipient once: targeted, and excluded with its reason
    report = figures.delivery_report(Delivery.objects.filter(pk=delivery.pk))
    assert (report["targeted"], report["sent"], report["pending"]) == (3, 1, 0)
    assert report["excluded_by_reason"] == {"throttled": 2}


def test_a_shorter_window_closes_sooner(catalog, campaign, email_configuration, smtp_sink):
    # given: a configuration with a 1-hour window and a delivery nobody could send yet
    email_configuration.throttle_window_hours = 1
    email_configuration.save(update_fields=["throttle_window_hours"])
    with time_machine.travel(START, tick=True):
        delivery = prepared_delivery(catalog, campaign, [1])
        LedgerEntry.objects.filter(delivery=delivery).update(next_attempt_at=START + dt.timedelta(hours=2))
    # when
    with time_machine.travel(START + dt.timedelta(minutes=61), tick=True):
        result = send_delivery(delivery.pk, max_seconds=1)
    # then
    assert result["status"] == "done"
    assert LedgerEntry.objects.get(delivery=delivery).state == LedgerState.THROTTLED
    assert smtp_sink.messages == []
