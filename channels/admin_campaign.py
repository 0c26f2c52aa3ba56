"""The "Live run" section of the campaign change page: the latest live run's counts per channel
activity (``channels.reporting.live``), a link to the full report, and the configuration of the
script (``static/channels/live_run.js``) that refreshes the numbers from the report API while the run
is active.

Wired like the canvas and the lifecycle buttons: the registered campaign admin is wrapped by a mixin,
from one import at the end of ``channels/admin.py`` (channels load after campaigns).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext

from campaigns.models import Campaign, RunStatus
from channels.models import Channel, DeliveryStatus
from channels.reporting.live import LIVE_COLUMNS, campaign_live_run

POLL_SECONDS = 5


def live_run_script_config(campaign: Campaign, live: dict) -> dict:
    run = live["run"]
    return {
        "api": "/api/v1/",
        "campaign": campaign.pk,
        "run": run.pk,
        "active": live["active"],
        "pollSeconds": POLL_SECONDS,
        "columns": [key for key, _label in LIVE_COLUMNS],
        "reportUrl": reverse("admin:oc_channels_delivery_report"),
        "runStatuses": {value: str(label) for value, label in RunStatus.choices},
        "deliveryStatuses": {value: str(label) for value, label in DeliveryStatus.choices},
        "channels": {value: str(label) for value, label in Channel.choices},
        "messages": {"failed": gettext("The live counts could not be refreshed: %(error)s")},
    }


def _cells(report: dict) -> list[tuple[str, int]]:
    return [(key, report[key]) for key, _label in LIVE_COLUMNS]


def _label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


class CampaignLiveRunAdminMixin:
    """Adds ``live_run`` (and the script's configuration) to the change page's context."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            live = campaign_live_run(actor=request.user, campaign=campaign)
            if live is not None:
                for activity in live["activities"]:
                    activity["cells"] = _cells(activity["figures"])
                    activity["status_label"] = _label(DeliveryStatus, activity["status"])
                    activity["channel_label"] = _label(Channel, activity["channel"])
                extra_context = {
                    **(extra_context or {}),
                    "live_run": live,
                    "live_columns": LIVE_COLUMNS,
                    "live_total_cells": _cells(live["total"]) if live["total"] else [],
                    "live_run_config": live_run_script_config(campaign, live) if live["run"] else None,
                }
        return super().change_view(request, object_id, form_url, extra_context)


registered = admin.site._registry.get(Campaign)
base_admin = type(registered)
admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignLiveRunAdmin(CampaignLiveRunAdminMixin, base_admin):
    """The campaign admin with the live run's counts (see the module docstring)."""
