"""Reads on campaigns, runs and working tables; every list goes through restrict()."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.permissions import can_preview_personal_data, restrict
from campaigns.engine import worktables
from campaigns.models import Campaign, Run, TransitionResult


def campaign_list(*, actor, action: str = "view") -> QuerySet[Campaign]:
    return restrict(actor, action, Campaign.objects.select_related("owner"))


def run_list(*, actor, campaign: Campaign | None = None) -> QuerySet[Run]:
    """Runs of the campaigns ``actor`` may see."""
    runs = Run.objects.select_related("campaign", "started_by").filter(
        campaign__in=campaign_list(actor=actor).values("pk")
    )
    return runs.filter(campaign=campaign) if campaign is not None else runs


def run_get(*, actor, campaign: Campaign, run_id: int) -> Run:
    return (
        run_list(actor=actor, campaign=campaign).prefetch_related("tasks", "results", "events").get(pk=run_id)
    )


def transition_result_preview(*, actor, result: TransitionResult, limit: int | None = None) -> dict:
    """The columns and first rows of a transition's working table. Personal columns are left out
    (and listed in ``hidden``) for users without the personal-data preview permission."""
    if not result.activated or not result.table_name:
        raise ValidationError({"result": _("This transition carries no population.")})
    if result.run.purged_at is not None:
        raise ValidationError({"result": _("The working tables of this run were purged.")})
    limit = min(limit or 20, settings.OC_PREVIEW_ROWS_MAX)
    allowed = can_preview_personal_data(actor)
    shown = [c for c in result.columns if allowed or not c.get("personal", True)]  # unknown: personal
    hidden = [c["name"] for c in result.columns if c not in shown]
    names = [c["name"] for c in shown]
    rows = worktables.preview(result.table_name, names, limit) if names else []
    return {
        "columns": shown,
        "hidden": hidden,
        "rows": [[_json(v) for v in row] for row in rows],
        "row_count": result.row_count,
    }


def _json(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
