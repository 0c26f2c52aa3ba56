"""The lifecycle state machine: one table says which action moves which status, who may do it and what
it checks. ``campaigns/README.md`` prints the same table (a test keeps them equal) and every row is
tested. Services call ``transition()`` under a lock on the campaign row; nothing else sets a status.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.permissions import can
from campaigns.models import Campaign, CampaignStatus

S = CampaignStatus
SYSTEM = "system"  # done by the platform itself (tick, run end, graph save, purge)


@dataclass(frozen=True)
class Row:
    action: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]  # empty: the campaign leaves the table (deleted)
    who: str  # the profile action needed on the campaign, or SYSTEM
    checks: str


TABLE: tuple[Row, ...] = (
    Row(
        "request_approval",
        (S.DRAFT,),
        (S.IN_REVIEW,),
        "request_approval",
        "graph valid; the latest test run of this graph finished without errors; freezes a version",
    ),
    Row(
        "approve",
        (S.IN_REVIEW,),
        (S.APPROVED,),
        "approve",
        "not the requester (unless OC_ALLOW_SELF_APPROVAL); the stored graph still hashes to the version",
    ),
    Row("request_changes", (S.IN_REVIEW,), (S.DRAFT,), "approve", "a comment"),
    Row(
        "edit",
        (S.IN_REVIEW, S.APPROVED),
        (S.DRAFT,),
        SYSTEM,
        "any graph, configuration, content or schedule save; voids the version",
    ),
    Row(
        "publish",
        (S.APPROVED,),
        (S.SCHEDULED, S.LIVE),
        "publish",
        "version hash matches the stored graph; ASAP starts a live run now (live), signal waits for "
        "triggers (live), other schedules wait for their first firing (scheduled)",
    ),
    Row(
        "launch",
        (S.SCHEDULED, S.LIVE),
        (S.LIVE,),
        SYSTEM,
        "a claimed firing, trigger or signal of the published version; no run in progress",
    ),
    Row(
        "run_finished",
        (S.LIVE,),
        (S.SCHEDULED, S.COMPLETED),
        SYSTEM,
        "the live run ended; one-time or past its validity: completed, else scheduled",
    ),
    Row("pause", (S.SCHEDULED, S.LIVE), (S.PAUSED,), "publish", "no new launch; a running run is paused"),
    Row("resume", (S.PAUSED,), (S.SCHEDULED, S.LIVE), "publish", "back to live when a run is in progress"),
    Row(
        "close",
        (S.SCHEDULED, S.LIVE, S.PAUSED),
        (S.CLOSED,),
        "publish",
        "recurring or signal campaigns only; a run in progress finishes, no new run",
    ),
    Row(
        "stop",
        (S.APPROVED, S.SCHEDULED, S.LIVE, S.PAUSED, S.CLOSED),
        (S.STOPPED,),
        "publish",
        "final; a run in progress is stopped; duplicate to run again",
    ),
    Row(
        "back_to_draft",
        (S.SCHEDULED, S.LIVE, S.PAUSED),
        (S.DRAFT,),
        "publish",
        "scheduled before its first run, or the live run failed before any run completed; voids the version",
    ),
    Row(
        "archive",
        (S.COMPLETED, S.CLOSED, S.STOPPED),
        (S.ARCHIVED,),
        "delete",
        "no run in progress; purged after OC_ARCHIVE_RETENTION_DAYS",
    ),
    Row("delete", (S.DRAFT,), (), "delete", "drafts only; others are archived"),
    Row("purge", (S.ARCHIVED,), (), SYSTEM, "archived for longer than OC_ARCHIVE_RETENTION_DAYS"),
)

ROWS = {row.action: row for row in TABLE}


def row(action: str) -> Row:
    return ROWS[action]


def allowed(campaign: Campaign, action: str) -> bool:
    """Whether the table lets ``action`` start from the campaign's status (not who: see ``check``)."""
    return campaign.status in ROWS[action].sources


def check(*, actor, campaign: Campaign, action: str) -> Row:
    """Refuse ``action`` unless the status and the actor fit its row."""
    entry = ROWS[action]
    if entry.who != SYSTEM and not can(actor, entry.who, campaign):
        raise PermissionDenied(_("You may not %(action)s this campaign.") % {"action": _label(action)})
    if campaign.status not in entry.sources:
        raise ValidationError(
            {
                "status": _("A campaign in status %(status)s cannot be moved by %(action)s.")
                % {"status": campaign.get_status_display(), "action": _label(action)}
            }
        )
    return entry


def transition(*, actor, campaign: Campaign, action: str, target: str | None = None) -> Campaign:
    """Move a locked campaign by ``action`` to ``target`` (the row's only target when omitted)."""
    entry = check(actor=actor, campaign=campaign, action=action)
    target = target or (entry.targets[0] if len(entry.targets) == 1 else None)
    if target not in entry.targets:
        raise ValueError(f"{action} cannot lead to {target}")  # a programming error, not user input
    if campaign.status != target:
        campaign.status = target
        campaign.save(update_fields=["status", "updated_at"])
    return campaign


def _label(action: str) -> str:
    return action.replace("_", " ")
