"""The campaign timeline: one function per domain event (Saleor's ``events.py``).

Each writes one ``audit.DomainEvent`` row with who, when, the campaign and what changed. Field-level
changes of configuration rows reach the same table through the history recorder (``audit.recorder``).
"""

from __future__ import annotations

from audit.models import DomainEvent


def _event(kind: str, *, campaign, actor=None, message: str = "", data: dict | None = None, changes=None):
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    return DomainEvent.objects.create(
        kind=kind,
        actor=user,
        actor_name=user.get_username() if user else "",
        campaign_id=campaign.pk,
        campaign_name=campaign.name[:200],
        object_type="campaigns.campaign",
        object_id=str(campaign.pk),
        object_repr=str(campaign)[:300],
        message=str(message),
        data=data or {},
        changes=changes or [],
    )


def _status(before: str, campaign) -> list[dict]:
    return [] if before == campaign.status else [{"field": "status", "old": before, "new": campaign.status}]


def campaign_approval_requested_event(*, campaign, actor, version, before: str, comment: str = ""):
    return _event(
        "campaign.approval_requested",
        campaign=campaign,
        actor=actor,
        message=comment,
        data={"version": version.number, "hash": version.content_hash, "test_run": version.test_run_id},
        changes=_status(before, campaign),
    )


def campaign_approved_event(*, campaign, actor, version, before: str, comment: str = ""):
    return _event(
        "campaign.approved",
        campaign=campaign,
        actor=actor,
        message=comment,
        data={"version": version.number, "hash": version.content_hash},
        changes=_status(before, campaign),
    )


def campaign_changes_requested_event(*, campaign, actor, version, before: str, comment: str):
    return _event(
        "campaign.changes_requested",
        campaign=campaign,
        actor=actor,
        message=comment,
        data={"version": version.number},
        changes=_status(before, campaign),
    )


def campaign_version_voided_event(*, campaign, actor, version, before: str, reason: str):
    return _event(
        "campaign.version_voided",
        campaign=campaign,
        actor=actor,
        message=reason,
        data={"version": version.number},
        changes=_status(before, campaign),
    )


def campaign_published_event(*, campaign, actor, version, before: str):
    return _event(
        "campaign.published",
        campaign=campaign,
        actor=actor,
        data={"version": version.number, "hash": version.content_hash},
        changes=_status(before, campaign),
    )


def campaign_status_event(*, campaign, actor, action: str, before: str, message: str = ""):
    """Pause, resume, close, stop, back to draft, archive, run finished: a status move and nothing else."""
    return _event(
        f"campaign.{action}",
        campaign=campaign,
        actor=actor,
        message=message,
        changes=_status(before, campaign),
    )


def campaign_deleted_event(*, campaign, actor, purged: bool = False):
    return _event("campaign.purged" if purged else "campaign.deleted", campaign=campaign, actor=actor)


def campaign_duplicated_event(*, campaign, actor, source):
    return _event(
        "campaign.duplicated",
        campaign=campaign,
        actor=actor,
        data={"source": source.pk, "source_name": source.name},
    )


def campaign_schedule_saved_event(*, campaign, actor, changes: list[dict]):
    return _event("campaign.schedule_saved", campaign=campaign, actor=actor, changes=changes)


def campaign_launch_event(*, campaign, launch):
    """A launch: a run started, or a firing skipped (previous run still going) or failed (with why)."""
    return _event(
        f"launch.{launch.outcome}",
        campaign=campaign,
        actor=launch.actor,
        message=launch.message,
        data={
            "launch": launch.pk,
            "source": launch.source,
            "due_at": launch.due_at.isoformat() if launch.due_at else None,
            "run": launch.run_id,
            "version": launch.version.number,
        },
    )


def campaign_send_confirmed_event(*, campaign, actor, run, activity_key: str):
    return _event(
        "send.confirmed",
        campaign=campaign,
        actor=actor,
        data={"run": run.pk, "activity": activity_key},
    )
