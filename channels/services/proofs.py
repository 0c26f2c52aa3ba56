"""Proofs: a channel activity's message rendered for chosen rows of a test run and sent to up to ten
reviewer addresses, subject prefixed with "[Proof]". Exclusions and capping do not apply (reviewers are
not recipients); proofs never count in reports.

Personal data (issue 12 §3, ADR 0004): a proof goes only to a ProofRecipient (a list Administrators
keep) or an active platform user's own address, and a sender without the personal-data preview
permission gets the chosen rows with every personal field masked (``•••``)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can, can_model, can_preview_personal_data
from audiences.catalog import database
from channels.delivery import audience
from channels.delivery.sender import send_delivery
from channels.delivery.sqlparts import CreateTableAs, drop_table
from channels.models import Delivery, LedgerEntry, ProofRecipient
from channels.services.configurations import normalize_address
from channels.services.deliveries import delivery_create, render_check

MAX_ADDRESSES = 10
MAX_ROWS = 10
MASK = "•••"


@transaction.atomic
def proof_recipient_add(*, actor, channel: str, address: str, label: str = "") -> ProofRecipient:
    """Add an address proofs may go to (Administrators)."""
    if not can_model(actor, "add", ProofRecipient):
        raise PermissionDenied(_("Only Administrators manage proof recipients."))
    recipient = ProofRecipient(channel=channel, address=normalize_address(channel, address), label=label)
    recipient.full_clean(validate_unique=False)
    if ProofRecipient.objects.filter(channel=recipient.channel, address=recipient.address).exists():
        raise ValidationError({"address": _("This address is already a proof recipient.")})
    recipient.save()
    return recipient


@transaction.atomic
def proof_recipient_remove(*, actor, recipient: ProofRecipient) -> None:
    if not can(actor, "delete", recipient):
        raise PermissionDenied(_("Only Administrators manage proof recipients."))
    recipient.delete()


def proof_addresses_allowed(channel: str) -> set[str]:
    """The addresses a proof of ``channel`` may go to: the proof recipients, and for e-mail the
    addresses of active platform users."""
    allowed = set(ProofRecipient.objects.filter(channel=channel).values_list("address", flat=True))
    if channel == "email":
        users = get_user_model().objects.filter(is_active=True).exclude(email="")
        allowed |= {normalize_address(channel, e) for e in users.values_list("email", flat=True)}
    return allowed


def _check_addresses(channel: str, addresses: list[str]) -> None:
    allowed = proof_addresses_allowed(channel)
    outside = [a for a in addresses if normalize_address(channel, a) not in allowed]
    if outside:
        raise ValidationError(
            {
                "addresses": _(
                    "Not a proof recipient: %(addresses)s. Proofs go to the proof recipients an "
                    "Administrator keeps or to platform users' addresses."
                )
                % {"addresses": ", ".join(outside)}
            }
        )


def _personal_names(delivery: Delivery, result) -> dict[str, set[str]]:
    """Per part of a ledger entry's data, the names of its personal values."""
    from audiences.catalog.selectors import schema_fields, schema_links

    dimension = delivery.configuration.dimension
    parts = {
        "recipient": {n for n, f in schema_fields(dimension.schema).items() if f.is_personal},
        "enrichment": {c["name"] for c in result.columns if c.get("personal")},
    }
    link = delivery.configuration.secondary_link
    if link:
        side = schema_links(dimension.schema).get(link)
        if side is not None:
            parts["secondary"] = {n for n, f in schema_fields(side.to_schema).items() if f.is_personal}
    return parts


def _masked(data: dict, personal: dict[str, set[str]]) -> dict:
    """``data`` with the value of every personal field replaced by the mask (empty values kept)."""
    out = dict(data)
    for part, names in personal.items():
        values = out.get(part)
        if isinstance(values, dict):
            out[part] = {k: (MASK if k in names and v not in (None, "") else v) for k, v in values.items()}
    return out


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
    _check_addresses(channel, addresses)
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
    personal = None if can_preview_personal_data(actor) else _personal_names(delivery, result)

    def entry_data(data) -> dict:
        data = json.loads(data) if isinstance(data, str) else data
        return _masked(data, personal) if personal is not None else data

    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            delivery=delivery,
            recipient_key=f"{rk}->{address}",
            profile_key=pk,
            channel=channel,
            category=config.category,
            address=normalize_address(channel, address),
            data=entry_data(data),
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
