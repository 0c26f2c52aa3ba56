"""Proofs: a channel activity's message rendered for chosen rows of a test run and sent to up to ten
reviewer addresses, subject prefixed with "[Proof]". Exclusions and capping do not apply (reviewers are
not recipients); proofs never count in reports."""

from __future__ import annotations

import json

import sqlalchemy as sa
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from audiences.catalog import database
from channels.delivery import audience
from channels.delivery.sender import send_delivery
from channels.delivery.sqlparts import CreateTableAs, drop_table
from channels.models import Delivery, LedgerEntry
from channels.services.configurations import normalize_address
from channels.services.deliveries import delivery_create, render_check

MAX_ADDRESSES = 10
MAX_ROWS = 10


@transaction.atomic
def _proof_prepare(*, actor, run, activity_key: str, recipient_keys: list, addresses: list[str]) -> Delivery:
    from campaigns.activities import registry

    if not can(actor, "test_run", run.campaign):
        raise PermissionDenied(_("You may not send proofs of this campaign."))
    if not run.is_test:
        raise ValidationError({"run": _("Proofs use the rows of a test run.")})
    if not 1 <= len(addresses) <= MAX_ADDRESSES:
        raise ValidationError({"addresses": _("Between 1 and %(n)d addresses.") % {"n": MAX_ADDRESSES}})
    if not 1 <= len(recipient_keys) <= MAX_ROWS:
        raise ValidationError({"recipient_keys": _("Between 1 and %(n)d rows.") % {"n": MAX_ROWS}})
    activity = run.campaign.activities.filter(key=activity_key).first()
    activity_type = registry.get(activity.type) if activity else None
    if activity_type is None or not getattr(activity_type, "is_channel", False):
        raise ValidationError({"activity_key": _("Choose a channel activity of the campaign.")})
    result = run.results.filter(target_key=activity_key, activated=True).exclude(table_name="").first()
    if result is None:
        raise ValidationError({"run": _("The test run has not reached this activity yet.")})
    config = activity_type.parse(activity.config)
    channel = activity_type.channel
    delivery = delivery_create(
        campaign=run.campaign,
        run_id=run.pk,
        activity_key=activity.key,
        activity_label=activity.label,
        channel=channel,
        config=config,
        is_proof=True,
    )
    # The chosen rows of the activity's input, into a scratch table, through the delivery statement.
    key = result.key_columns[0]
    columns = [c["name"] for c in result.columns]
    src = sa.table(result.table_name, *(sa.column(c) for c in columns))
    scratch = f"oc_cs_p{delivery.pk}"
    database.execute(CreateTableAs(scratch, sa.select(*src.c).where(src.c[key].in_(recipient_keys))))
    source = audience.Source(table=scratch, key_columns=result.key_columns, columns=columns)
    sub = audience.recipients_select(
        delivery, source, rule_set=config.rule_set, now=timezone.now()
    ).subquery()
    rows = database.fetch_all(sa.select(sub.c.recipient_key, sub.c.profile_key, sub.c.data).limit(MAX_ROWS))
    drop_table(scratch)
    if not rows:
        raise ValidationError({"recipient_keys": _("None of these rows reached the activity in this run.")})
    now = timezone.now()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            delivery=delivery,
            recipient_key=f"{rk}->{address}",
            profile_key=pk,
            channel=channel,
            category=config.category,
            address=normalize_address(channel, address),
            data=json.loads(data) if isinstance(data, str) else data,
            created_at=now,
        )
        for rk, pk, data in rows
        for address in addresses
    )
    render_check(delivery)
    return delivery


def proof_send(*, actor, run, activity_key: str, recipient_keys: list, addresses: list[str]) -> Delivery:
    """Prepare the proof (atomic), then send it at once in this process (a hundred messages at most)."""
    delivery = _proof_prepare(
        actor=actor, run=run, activity_key=activity_key, recipient_keys=recipient_keys, addresses=addresses
    )
    send_delivery(delivery.pk, max_seconds=60)
    delivery.refresh_from_db()
    return delivery
