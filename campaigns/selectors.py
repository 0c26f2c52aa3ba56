"""Reads on campaigns; every one goes through restrict()."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.permissions import restrict
from campaigns.models import Campaign


def campaign_list(*, actor, action: str = "view") -> QuerySet[Campaign]:
    return restrict(actor, action, Campaign.objects.select_related("owner"))
