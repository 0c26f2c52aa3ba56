"""The live run's counts for the campaign page: the campaign's latest live run and, per channel
activity, the report figures of its deliveries (``figures.delivery_report``, the formulas of
docs/reporting.md; nothing is counted here).

The page's script refreshes the same numbers from the report API (``/api/v1/deliveries/report/`` with
``run`` and ``activity_key``) while the run is active or messages are still pending.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.permissions import can_model
from campaigns.models import Campaign, RunKind
from campaigns.models.runs import ACTIVE_RUN_STATUSES
from campaigns.selectors import run_list
from channels.models import Delivery
from channels.reporting import figures

# The figures shown per channel activity, in order: (key of delivery_report(), column label).
LIVE_COLUMNS = (
    ("targeted", _("targeted")),
    ("excluded", _("excluded")),
    ("sent", _("sent")),
    ("delivered", _("delivered")),
    ("hard_bounces", _("hard bounces")),
    ("soft_bounces", _("soft bounces")),
    ("errors", _("errors")),
    ("unique_opens", _("unique opens")),
    ("unique_clicks", _("unique clicks")),
    ("pending", _("pending")),
)


def campaign_live_run(*, actor, campaign: Campaign) -> dict | None:
    """``None`` when ``actor`` may not read delivery reports (the report page's own gate); otherwise
    ``{"run", "activities", "total", "active"}``: the latest live run ``actor`` may see (``None`` if
    there is none), one row per channel activity that has a delivery in that run, the run's total and
    whether the numbers can still move (the run is running or paused, or messages are pending)."""
    if not can_model(actor, "view", Delivery):
        return None
    run = (
        run_list(actor=actor, campaign=campaign)
        .filter(kind=RunKind.LIVE)
        .order_by("-created_at", "-pk")
        .first()
    )
    if run is None:
        return {"run": None, "activities": [], "total": None, "active": False}
    deliveries = figures.deliveries_for(actor=actor, run_id=run.pk)
    activities = []
    seen = set()
    for key, label, channel, status in deliveries.order_by("created_at", "pk").values_list(
        "activity_key", "activity_label", "channel", "status"
    ):
        if key in seen:
            continue
        seen.add(key)
        activities.append(
            {
                "key": key,
                "label": label or key,
                "channel": channel,
                "status": status,
                "figures": figures.delivery_report(deliveries.filter(activity_key=key)),
            }
        )
    total = figures.delivery_report(deliveries)
    return {
        "run": run,
        "activities": activities,
        "total": total,
        "active": run.status in ACTIVE_RUN_STATUSES or total["pending"] > 0,
    }
