"""Recovery after a sender died, the sending window, and closing a finished delivery.

A row ``claimed`` whose lease expired was never handed to the provider: it goes back to pending.
A row ``sending`` whose lease expired may or may not have reached the provider. Where the provider
can be asked by idempotency key (``Provider.can_settle``) the answer settles it (sent, or pending to be
sent again with the same key, which the provider de-duplicates). Otherwise it is marked ``unknown`` and
never sent again: we prefer at most one message to a possible duplicate (channels/README.md).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audiences.catalog import database
from channels.delivery.sqlparts import db_datetime
from channels.models import Delivery, DeliveryStatus, EventKind, LedgerEntry, LedgerState, TrackingEvent
from channels.providers import hosts, registry


def recover_expired(delivery: Delivery, *, lease_seconds: float | None = None) -> dict:
    lease = (
        lease_seconds if lease_seconds is not None else getattr(settings, "OC_SEND_CLAIM_LEASE_SECONDS", 600)
    )
    expired = timezone.now() - timedelta(seconds=lease)
    released = LedgerEntry.objects.filter(
        delivery=delivery, state=LedgerState.CLAIMED, claimed_at__lt=expired
    ).update(state=LedgerState.PENDING, claim_token="")
    stuck = LedgerEntry.objects.filter(delivery=delivery, state=LedgerState.SENDING, claimed_at__lt=expired)
    configuration = delivery.configuration
    provider = registry.get(configuration.provider)
    provider_settings = provider.parse(configuration.provider_settings)
    settled = unknown = 0
    if provider.can_settle(provider_settings) and not hosts.refused_hosts(provider_settings):
        # Only the rows of dead senders: a handful per crash, never a population.
        for entry in stuck.only("id", "delivery_id"):
            answer = provider.settle(provider_settings, f"oc-{delivery.pk}-{entry.pk}")
            if answer is True:
                LedgerEntry.objects.filter(pk=entry.pk, state=LedgerState.SENDING).update(
                    state=LedgerState.SENT,
                    sent_at=timezone.now(),
                    provider_message_id=f"oc-{delivery.pk}-{entry.pk}",
                )
                settled += 1
            elif answer is False:
                LedgerEntry.objects.filter(pk=entry.pk, state=LedgerState.SENDING).update(
                    state=LedgerState.PENDING, claim_token=""
                )
                settled += 1
    now = timezone.now()
    with transaction.atomic():
        ids = list(stuck.values_list("id", flat=True))
        if ids:
            unknown = LedgerEntry.objects.filter(id__in=ids, state=LedgerState.SENDING).update(
                state=LedgerState.UNKNOWN, error="sender stopped during the provider call"
            )
            TrackingEvent.objects.bulk_create(
                TrackingEvent(
                    delivery=delivery,
                    entry_id=i,
                    kind=EventKind.ERROR,
                    reason="unknown_after_crash",
                    occurred_at=now,
                )
                for i in ids
            )
    return {"released": released, "settled": settled, "unknown": unknown}


def throttle_expired(delivery: Delivery) -> int:
    """Rows still pending after the sending window are excluded as throttled (set-based)."""
    if delivery.deadline_at is None or timezone.now() < delivery.deadline_at:
        return 0
    now = db_datetime(timezone.now())
    with transaction.atomic():
        ledger = sa.table(
            LedgerEntry._meta.db_table,
            *(
                sa.column(c)
                for c in ("id", "delivery_id", "state", "profile_key", "profile_id", "address", "claim_token")
            ),
        )
        events = sa.table(
            TrackingEvent._meta.db_table,
            *(
                sa.column(c)
                for c in (
                    "delivery_id",
                    "entry_id",
                    "kind",
                    "reason",
                    "url",
                    "profile_key",
                    "profile_id",
                    "address",
                    "occurred_at",
                )
            ),
        )
        pending = sa.and_(ledger.c.delivery_id == delivery.pk, ledger.c.state == LedgerState.PENDING.value)
        database.execute(
            sa.insert(events).from_select(
                [
                    "delivery_id",
                    "entry_id",
                    "kind",
                    "reason",
                    "url",
                    "profile_key",
                    "profile_id",
                    "address",
                    "occurred_at",
                ],
                sa.select(
                    ledger.c.delivery_id,
                    ledger.c.id,
                    sa.literal(EventKind.EXCLUDED.value),
                    sa.literal("throttled"),
                    sa.literal(""),
                    ledger.c.profile_key,
                    ledger.c.profile_id,
                    ledger.c.address,
                    sa.literal(now),
                ).where(pending),
            )
        )
        return database.execute(sa.update(ledger).where(pending).values(state=LedgerState.THROTTLED.value))


def finish_if_done(delivery: Delivery) -> bool:
    open_states = [LedgerState.PENDING, LedgerState.CLAIMED, LedgerState.SENDING]
    if LedgerEntry.objects.filter(delivery=delivery, state__in=open_states).exists():
        return False
    Delivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.DONE).update(
        status=DeliveryStatus.DONE, finished_at=timezone.now()
    )
    return True
