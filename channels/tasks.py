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
    """Scheduled: settle claims of dead senders and re-enqueue deliveries that still have work."""
    from django.db import transaction

    from channels.delivery.recovery import recover_expired
    from channels.models import Delivery, DeliveryStatus
    from channels.services.deliveries import enqueue_senders

    count = 0
    for delivery in Delivery.objects.filter(
        status__in=[DeliveryStatus.PREPARED, DeliveryStatus.SENDING]
    ).select_related("configuration"):
        recover_expired(delivery)
        with transaction.atomic():
            enqueue_senders(delivery, workers=1)
        count += 1
    return count
