"""The recovery schedule: created by a migration, and it resumes a delivery whose senders all died
(claims past their lease) without anybody starting a sender, never duplicating the in-flight message."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from django_q.models import Schedule

from channels.models import Delivery, DeliveryStatus, LedgerEntry, LedgerState
from channels.tasks import recover_deliveries_task
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db


def test_the_migration_schedules_recovery_every_minute_once():
    # given: the migrated test database
    migration = importlib.import_module("channels.migrations.0003_recovery_schedule")
    # when: the migration's step runs again (idempotent)
    migration.create(django_apps, None)
    # then
    schedule = Schedule.objects.get(func="channels.tasks.recover_deliveries_task")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats == -1
    assert Schedule.objects.filter(func="channels.tasks.recover_deliveries_task").count() == 1


def _died_an_hour_ago(delivery) -> dict[str, LedgerEntry]:
    """The state a sender killed mid-batch leaves: one row handed to the provider, one claimed."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    rows = {e.address: e for e in LedgerEntry.objects.filter(delivery=delivery)}
    LedgerEntry.objects.filter(pk=rows["ann@example.test"].pk).update(
        state=LedgerState.SENDING, claim_token="dead", claimed_at=an_hour_ago, attempts=1
    )
    LedgerEntry.objects.filter(pk=rows["bob@other.test"].pk).update(
        state=LedgerState.CLAIMED, claim_token="dead", claimed_at=an_hour_ago
    )
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, sender_seen_at=an_hour_ago)
    return rows


def test_recovery_resumes_a_delivery_whose_sender_died(
    catalog, campaign, email_configuration, smtp_sink, drive, settings
):
    # given: no sender was started at prepare time, and the one that ran died an hour ago
    settings.OC_SENDERS_PER_DELIVERY = 0
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3])
    _died_an_hour_ago(delivery)
    # when: the scheduled task runs (jobs run in-process in tests)
    resumed = drive(recover_deliveries_task)
    # then: the claimed and pending rows went out once; the in-flight one is unknown, never re-sent
    assert resumed == 1
    received = sorted(r for rcpts, _m in smtp_sink.messages for r in rcpts)
    assert received == ["bob@other.test", "cy@example.test"]
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("address", "state"))
    assert states == {
        "ann@example.test": LedgerState.UNKNOWN,
        "bob@other.test": LedgerState.SENT,
        "cy@example.test": LedgerState.SENT,
    }
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DONE
    # and a second run finds nothing left to do
    assert drive(recover_deliveries_task) == 0


def test_recovery_leaves_a_delivery_with_a_live_sender_alone(
    catalog, campaign, email_configuration, smtp_sink, drive, settings
):
    # given: a delivery whose sender was seen a moment ago (it is working through its batch)
    settings.OC_SENDERS_PER_DELIVERY = 0
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3])
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, sender_seen_at=timezone.now()
    )
    # when
    resumed = drive(recover_deliveries_task)
    # then: no second sender was started
    assert resumed == 0
    assert smtp_sink.messages == []
    assert set(LedgerEntry.objects.filter(delivery=delivery).values_list("state", flat=True)) == {
        LedgerState.PENDING
    }
