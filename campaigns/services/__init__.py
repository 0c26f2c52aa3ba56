"""Writes on campaigns, their graph and their runs. Entry points import from here."""

from campaigns.services.campaigns import campaign_create, campaign_delete, campaign_update  # noqa: F401
