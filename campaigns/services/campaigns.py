"""Writes on campaigns. Every write takes the acting user and checks it through accounts.permissions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import can, can_model
from accounts.services import object_grant_owner
from campaigns.models import Campaign, CampaignStatus


@transaction.atomic
def campaign_create(*, actor, name: str, description: str = "") -> Campaign:
    """Create a draft campaign owned by ``actor``, who gets edit rights on it."""
    if not can_model(actor, "add", Campaign):
        raise PermissionDenied(_("You may not create campaigns."))
    campaign = Campaign(name=name, description=description, owner=actor, status=CampaignStatus.DRAFT)
    campaign.full_clean()
    campaign.save()
    object_grant_owner(owner=actor, obj=campaign)
    return campaign


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, data: dict) -> Campaign:
    if not can(actor, "change", campaign):
        raise PermissionDenied(_("You may not edit this campaign."))
    fields = [f for f in ("name", "description") if f in data and getattr(campaign, f) != data[f]]
    for field in fields:
        setattr(campaign, field, data[field])
    if fields:
        campaign.full_clean()
        campaign.save(update_fields=[*fields, "updated_at"])
    return campaign


@transaction.atomic
def campaign_delete(*, actor, campaign: Campaign) -> None:
    if not can(actor, "delete", campaign):
        raise PermissionDenied(_("You may not delete this campaign."))
    from campaigns.lifecycle.services import campaign_delete_check

    campaign_delete_check(actor=actor, campaign=campaign)  # drafts only; the others are archived
    campaign_tables_drop(campaign)
    campaign.delete()


def campaign_tables_drop(campaign: Campaign) -> None:
    """The database tables a campaign's rows name: its runs' working tables and its incremental
    queries' processed keys (dropped in the caller's transaction, before the rows go)."""
    from campaigns.activities.types.incremental_query import processed_tables_drop
    from campaigns.services.runs import _drop_tables

    for run in campaign.runs.filter(purged_at__isnull=True):
        _drop_tables(run)
    processed_tables_drop(campaign.activities.all())
