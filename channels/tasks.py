"""Job entry points (django-q2): ids in, one service call each."""

from __future__ import annotations


def send_delivery_task(delivery_id: int) -> dict:
    """Send a slice of a delivery; enqueue another slice while rows are left (a task stays short)."""
    from channels.delivery.sender import send_delivery
    from channels.models import Delivery
    from jobs.queue import enqueue_on_commit

    result = send_delivery(delivery_id)
    if result.get("status") == "more" and Delivery.objects.filter(pk=delivery_id).exists():
        from django.db import transaction

        with transaction.atomic():
            enqueue_on_commit(
                "channels.tasks.send_delivery_task", delivery_id, group=f"delivery-{delivery_id}"
            )
    return result


def recover_deliveries_task() -> int:
    """Scheduled every minute (migration 0003): settle the claims of dead senders (lease expired) and
    give a sender to every open delivery whose senders all stopped (no heartbeat within the lease), so a
    delivery resumes by itself. A delivery with a live sender gets none: senders never pile up.
    Returns the number of deliveries given a sender."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from channels.delivery.recovery import recover_expired
    from channels.models import Delivery, DeliveryStatus
    from channels.services.deliveries import enqueue_senders

    lease = getattr(settings, "OC_SEND_CLAIM_LEASE_SECONDS", 600)
    stale = timezone.now() - timedelta(seconds=lease)
    open_deliveries = Delivery.objects.filter(
        status__in=[DeliveryStatus.PREPARED, DeliveryStatus.SENDING]
    ).select_related("configuration")
    count = 0
    for delivery in open_deliveries:  # open deliveries: a handful, not a population
        recover_expired(delivery)
        orphaned = Q(sender_seen_at__lt=stale) | Q(sender_seen_at__isnull=True, created_at__lt=stale)
        with transaction.atomic():
            # Claim the restart on the row itself, so two overlapping schedule runs add one sender.
            if Delivery.objects.filter(orphaned, pk=delivery.pk).update(sender_seen_at=timezone.now()):
                enqueue_senders(delivery, workers=1)
                count += 1
    return count
