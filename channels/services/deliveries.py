"""Deliveries: prepare one for a live run's channel activity, check its templates on real rows,
enqueue its senders; and proofs."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.activities.configs import config_errors
from channels.content import template_parts
from channels.delivery import audience
from channels.delivery.compose import base_context, compose, frozen_content
from channels.models import ChannelConfiguration, Delivery, DeliveryStatus, LedgerEntry
from channels.personalization.templates import TemplateProblem
from jobs.queue import enqueue_on_commit

SEND_TASK = "channels.tasks.send_delivery_task"


def _dump(config) -> dict:
    import dataclasses

    return dataclasses.asdict(config)


def render_check(delivery: Delivery) -> None:
    """Render the first recipient of each variant for real before anything is sent: a template that
    fails on the data raises here, and the caller's transaction rolls the whole delivery back."""
    frozen = frozen_content(delivery)
    base = base_context(delivery)
    variants = ["", *list(frozen.variants)]
    for variant in variants:
        entry = LedgerEntry.objects.filter(delivery=delivery, variant=variant).order_by("id").first()
        if entry is None:
            continue
        try:
            compose(delivery, frozen, entry, base)
        except TemplateProblem as exc:
            raise ValidationError(
                {"content": _("Variant %(v)s: %(error)s") % {"v": variant or "-", "error": exc.message}}
            ) from None


@transaction.atomic
def delivery_prepare(*, delivery: Delivery, source: audience.Source, config) -> Delivery:
    """Compute recipients and exclusions, write the ledger, check templates, enqueue senders. Idempotent:
    a delivery already prepared is only re-enqueued."""
    delivery = (
        Delivery.objects.select_for_update().select_related("configuration__dimension").get(pk=delivery.pk)
    )
    if delivery.targeted == 0 and not LedgerEntry.objects.filter(delivery=delivery).exists():
        recipients, excluded = audience.prepare(delivery, source, rule_set=config.rule_set)
        audience.assign_variants(delivery, [(v.name, v.share) for v in config.variants])
        render_check(delivery)
        delivery.targeted, delivery.excluded = recipients + excluded, excluded
        delivery.deadline_at = timezone.now() + timedelta(hours=delivery.configuration.throttle_window_hours)
        delivery.save(update_fields=["targeted", "excluded", "deadline_at"])
    if delivery.status not in (DeliveryStatus.DONE, DeliveryStatus.FAILED):
        enqueue_senders(delivery)
    return delivery


def enqueue_senders(delivery: Delivery, workers: int | None = None) -> None:
    from django.conf import settings

    workers = getattr(settings, "OC_SENDERS_PER_DELIVERY", 2) if workers is None else workers
    for _n in range(workers):
        enqueue_on_commit(SEND_TASK, delivery.pk, group=f"delivery-{delivery.pk}")


def delivery_create(
    *,
    campaign,
    run_id: int | None,
    activity_key: str,
    activity_label: str,
    channel: str,
    config,
    is_proof: bool = False,
) -> Delivery:
    errors = config_errors(channel, config, dimension_name=None)
    if errors:
        raise ValidationError({path: message for path, message in errors})
    configuration = ChannelConfiguration.objects.select_related("dimension").get(name=config.configuration)
    delivery = Delivery(
        campaign=campaign,
        campaign_name=getattr(campaign, "name", ""),
        run_id=run_id,
        activity_key=activity_key,
        activity_label=activity_label,
        channel=channel,
        category=config.category,
        configuration=configuration,
        dimension=configuration.dimension,
        content=_dump(config),
        is_proof=is_proof,
    )
    delivery.full_clean(validate_constraints=False)
    delivery.save()
    return delivery


@transaction.atomic
def delivery_run_activity(
    *, run, activity, channel: str, config, table: str, key_columns, columns
) -> Delivery:
    """The live run's channel activity: one delivery per (run, activity), prepared once."""
    delivery = Delivery.objects.filter(run_id=run.pk, activity_key=activity.key, is_proof=False).first()
    if delivery is None:
        delivery = delivery_create(
            campaign=run.campaign,
            run_id=run.pk,
            activity_key=activity.key,
            activity_label=activity.label or activity.key,
            channel=channel,
            config=config,
        )
    source = audience.Source(table=table, key_columns=list(key_columns), columns=list(columns))
    return delivery_prepare(delivery=delivery, source=source, config=config)


def delivery_preview(*, campaign, channel: str, config, table: str, key_columns, columns) -> dict[str, int]:
    """Counts a test run shows at a channel activity; writes nothing."""
    configuration = ChannelConfiguration.objects.select_related("dimension").get(name=config.configuration)
    unsaved = Delivery(
        campaign=campaign,
        channel=channel,
        category=config.category,
        configuration=configuration,
        dimension=configuration.dimension,
    )
    source = audience.Source(table=table, key_columns=list(key_columns), columns=list(columns))
    return audience.preview_counts(unsaved, source, rule_set=config.rule_set)


__all__ = [
    "delivery_create",
    "delivery_prepare",
    "delivery_run_activity",
    "enqueue_senders",
    "render_check",
    "template_parts",
]
