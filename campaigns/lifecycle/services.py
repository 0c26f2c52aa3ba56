"""Lifecycle actions: request approval, approve, request changes, publish, pause, resume, close, stop,
back to draft, archive, duplicate; and the hook every graph save calls.

Each action locks the campaign row, asks the state machine, does its work and writes one timeline
event. Notifications leave after the commit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can, can_model
from campaigns import events
from campaigns.lifecycle import machine, notifications, pins
from campaigns.lifecycle.versions import campaign_document, canonical_text, content_hash, version_matches
from campaigns.models import (
    Campaign,
    CampaignSchedule,
    CampaignStatus,
    CampaignVersion,
    Run,
    RunKind,
    RunStatus,
    ScheduleKind,
    TaskStatus,
    VersionState,
)
from campaigns.models.lifecycle import ONE_TIME_KINDS, RECURRING_KINDS
from campaigns.models.runs import ACTIVE_RUN_STATUSES

S = CampaignStatus
OPEN_VERSION_STATES = (VersionState.PENDING, VersionState.APPROVED)


def _lock(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def self_approval_allowed() -> bool:
    return bool(getattr(settings, "OC_ALLOW_SELF_APPROVAL", False))


def latest_version(campaign: Campaign, *states: str) -> CampaignVersion | None:
    versions = CampaignVersion.objects.filter(campaign=campaign)
    if states:
        versions = versions.filter(state__in=states)
    return versions.order_by("-number").first()


def clean_test_run(campaign: Campaign) -> Run | None:
    """The latest test run of the current graph if it finished without any failed task."""
    run = (
        Run.objects.filter(campaign=campaign, kind=RunKind.TEST, graph_version=campaign.graph_version)
        .order_by("-created_at", "-id")
        .first()
    )
    if run is None or run.status != RunStatus.DONE or run.tasks.filter(status=TaskStatus.FAILED).exists():
        return None
    return run


@transaction.atomic
def campaign_request_approval(*, actor, campaign: Campaign, comment: str = "") -> CampaignVersion:
    """Freeze the graph, every configuration and content, and the schedule into a version for review."""
    from campaigns.services.graph import campaign_graph_check, graph_errors_as_validation

    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="request_approval")
    errors = campaign_graph_check(locked)
    if errors:
        raise graph_errors_as_validation(errors)
    if not locked.activities.exists():
        raise ValidationError({"graph": _("The campaign has no activity.")})
    test_run = clean_test_run(locked)
    if test_run is None:
        raise ValidationError(
            {"test_run": _("Run a test of the current graph without errors before requesting approval.")}
        )
    document = campaign_document(locked)
    pinned = pins.pins_collect(owner=locked.owner, graph=document["graph"])
    if pinned:
        pins.pins_check_fresh(pins=pinned, test_run=test_run)
        document[pins.PINS] = pinned
    text = canonical_text(document)
    previous = latest_version(locked)
    version = CampaignVersion(
        campaign=locked,
        number=(previous.number + 1) if previous else 1,
        graph_version=locked.graph_version,
        document=document,
        document_text=text,
        content_hash=content_hash(text),
        test_run=test_run,
        requested_by=actor,
        request_comment=comment,
    )
    version.full_clean()
    version.save()
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="request_approval")
    event = events.campaign_approval_requested_event(
        campaign=locked, actor=actor, version=version, before=before, comment=comment
    )
    notifications.notify_on_commit(event)
    return version


def _pending(campaign: Campaign) -> CampaignVersion:
    version = latest_version(campaign, VersionState.PENDING)
    if version is None:  # pragma: no cover - in review always has one (the table guarantees it)
        raise ValidationError({"version": _("No version is waiting for review.")})
    return version


@transaction.atomic
def campaign_approve(*, actor, campaign: Campaign, comment: str = "") -> CampaignVersion:
    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="approve")
    version = _pending(locked)
    if version.requested_by_id == actor.pk and not self_approval_allowed():
        raise PermissionDenied(_("You requested this approval; another approver must review it."))
    if not version_matches(locked, version):
        _void(locked, version, actor, _("The campaign changed after the approval was requested."))
        raise ValidationError({"version": _("The campaign changed since the request; it is back in draft.")})
    pins.pins_require_unchanged(version.document)
    version.state = VersionState.APPROVED
    version.reviewed_by, version.reviewed_at, version.review_comment = actor, timezone.now(), comment
    version.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="approve")
    event = events.campaign_approved_event(
        campaign=locked, actor=actor, version=version, before=before, comment=comment
    )
    notifications.notify_on_commit(event)
    return version


@transaction.atomic
def campaign_request_changes(*, actor, campaign: Campaign, comment: str) -> CampaignVersion:
    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="request_changes")
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what should change.")})
    version = _pending(locked)
    if version.requested_by_id == actor.pk and not self_approval_allowed():
        raise PermissionDenied(_("You requested this approval; another approver must review it."))
    version.state = VersionState.CHANGES_REQUESTED
    version.reviewed_by, version.reviewed_at, version.review_comment = actor, timezone.now(), comment
    version.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="request_changes")
    event = events.campaign_changes_requested_event(
        campaign=locked, actor=actor, version=version, before=before, comment=comment
    )
    notifications.notify_on_commit(event)
    return version


def _void(campaign: Campaign, version: CampaignVersion, actor, reason: str, action: str = "edit") -> None:
    version.state = VersionState.VOIDED
    version.voided_at, version.void_reason = timezone.now(), str(reason)[:300]
    version.save(update_fields=["state", "voided_at", "void_reason"])
    before = campaign.status
    if campaign.status != S.DRAFT:
        machine.transition(actor=actor, campaign=campaign, action=action)
    events.campaign_version_voided_event(
        campaign=campaign, actor=actor, version=version, before=before, reason=reason
    )


def campaign_edited(*, actor, campaign: Campaign) -> None:
    """Called (under the campaign's lock) before any save of the graph, a configuration, content or the
    schedule: an edit in review or after approval voids the version and returns to draft; a published
    campaign is not edited in place (back to draft, or duplicate it)."""
    if campaign.status == S.DRAFT:
        return
    if machine.allowed(campaign, "edit"):
        version = latest_version(campaign, *OPEN_VERSION_STATES)
        if version is not None:
            _void(campaign, version, actor, _("Edited after the approval was requested."))
        else:
            machine.transition(actor=actor, campaign=campaign, action="edit")
        return
    raise ValidationError(
        {
            "status": _("A %(status)s campaign cannot be edited; move it back to draft or duplicate it.")
            % {"status": campaign.get_status_display()}
        }
    )


def schedule_kind(version: CampaignVersion) -> str:
    return (version.document.get("schedule") or {}).get("kind", ScheduleKind.ASAP)


@transaction.atomic
def campaign_publish(*, actor, campaign: Campaign) -> Campaign:
    """Publish the approved version: ASAP launches it now; signal waits for triggers; others are scheduled."""
    from campaigns.lifecycle import launches
    from campaigns.schedules.services import schedule_rule_check

    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="publish")
    version = latest_version(locked, VersionState.APPROVED)
    if version is None or not version_matches(locked, version):
        if version is not None:
            _void(locked, version, actor, _("The campaign changed after approval."))
        raise ValidationError({"version": _("The stored campaign differs from the approved version.")})
    pins.pins_require_unchanged(version.document)
    kind = schedule_kind(version)
    schedule_rule_check(version.document["schedule"])
    version.state = VersionState.PUBLISHED
    version.published_by, version.published_at = actor, timezone.now()
    version.save(update_fields=["state", "published_by", "published_at"])
    before = locked.status
    target = S.SCHEDULED if kind in (ScheduleKind.ONCE, *RECURRING_KINDS) else S.LIVE
    machine.transition(actor=actor, campaign=locked, action="publish", target=target)
    event = events.campaign_published_event(campaign=locked, actor=actor, version=version, before=before)
    notifications.notify_on_commit(event)
    if kind == ScheduleKind.ASAP:
        launches.launch_start(campaign=locked, version=version, source="publish", actor=actor)
    return locked


def published_version(campaign: Campaign) -> CampaignVersion | None:
    return latest_version(campaign, VersionState.PUBLISHED)


def _active_live_runs(campaign: Campaign):
    return Run.objects.select_for_update().filter(
        campaign=campaign, kind=RunKind.LIVE, status__in=ACTIVE_RUN_STATUSES
    )


def _status_event(locked, actor, action, before, message=""):
    events.campaign_status_event(campaign=locked, actor=actor, action=action, before=before, message=message)


@transaction.atomic
def campaign_pause(*, actor, campaign: Campaign) -> Campaign:
    locked = _lock(campaign)
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="pause")
    _active_live_runs(locked).filter(status=RunStatus.RUNNING).update(status=RunStatus.PAUSED)
    _status_event(locked, actor, "pause", before)
    return locked


@transaction.atomic
def campaign_resume(*, actor, campaign: Campaign) -> Campaign:
    from campaigns.engine import scheduler

    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="resume")
    runs = list(_active_live_runs(locked))
    version = published_version(locked)
    kind = schedule_kind(version) if version else ScheduleKind.ASAP
    target = S.LIVE if runs or kind == ScheduleKind.SIGNAL else S.SCHEDULED
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="resume", target=target)
    for run in runs:
        if run.status == RunStatus.PAUSED:
            run.status = RunStatus.RUNNING
            run.save(update_fields=["status"])
            for task in run.tasks.filter(status__in=[TaskStatus.PAUSED, TaskStatus.QUEUED]):
                task.status = TaskStatus.QUEUED  # a held send pauses again until confirmed
                task.save(update_fields=["status"])
                scheduler.enqueue(task)
            scheduler.advance(run)
    _status_event(locked, actor, "resume", before)
    return locked


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="close")
    version = published_version(locked)
    if version is None or schedule_kind(version) in ONE_TIME_KINDS:
        raise ValidationError({"status": _("Only a recurring or signal-triggered campaign can be closed.")})
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="close")
    _status_event(locked, actor, "close", before)
    return locked


@transaction.atomic
def campaign_stop(*, actor, campaign: Campaign) -> Campaign:
    """Final: the run in progress is stopped (running SQL cancelled on PostgreSQL) and nothing launches."""
    from campaigns.engine.events import run_event
    from campaigns.services.runs import _halt

    locked = _lock(campaign)
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="stop")
    for run in _active_live_runs(locked):
        _halt(run)
        run.status, run.finished_at = RunStatus.STOPPED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        run_event(run, _("Stopped with the campaign by %(user)s.") % {"user": actor})
    _status_event(locked, actor, "stop", before)
    return locked


@transaction.atomic
def campaign_back_to_draft(*, actor, campaign: Campaign) -> Campaign:
    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="back_to_draft")
    live = Run.objects.filter(campaign=locked, kind=RunKind.LIVE)
    if live.filter(status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError({"status": _("A live run is in progress; stop or finish it first.")})
    never_ran = not live.exists()
    latest = live.order_by("-created_at", "-id").first()
    failed_first = latest is not None and latest.status == RunStatus.FAILED
    if not (never_ran and locked.status == S.SCHEDULED) and not (
        failed_first and not live.filter(status=RunStatus.DONE).exists()
    ):
        raise ValidationError(
            {
                "status": _(
                    "Back to draft only before the first run, or when a live run failed before any completed."
                )
            }
        )
    version = published_version(locked)
    if version is not None:
        _void(locked, version, actor, _("Moved back to draft."), action="back_to_draft")
    else:  # pragma: no cover - a published campaign has a published version
        machine.transition(actor=actor, campaign=locked, action="back_to_draft")
    return locked


@transaction.atomic
def campaign_archive(*, actor, campaign: Campaign) -> Campaign:
    locked = _lock(campaign)
    if Run.objects.filter(campaign=locked, status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError({"status": _("A run is in progress.")})
    before = locked.status
    machine.transition(actor=actor, campaign=locked, action="archive")
    _status_event(locked, actor, "archive", before)
    return locked


def campaign_delete_check(*, actor, campaign: Campaign) -> None:
    """Only drafts are deleted (the others are archived, then purged). Reads the stored status."""
    locked = _lock(campaign)
    machine.check(actor=actor, campaign=locked, action="delete")
    events.campaign_deleted_event(campaign=locked, actor=actor)


@transaction.atomic
def campaign_duplicate(*, actor, campaign: Campaign, name: str | None = None) -> Campaign:
    """A new draft with the same graph, configuration, content and schedule; no runs, logs or versions."""
    from campaigns.services import campaign_create
    from campaigns.services.graph import campaign_graph_replace, graph_document

    if not can(actor, "view", campaign) or not can_model(actor, "add", Campaign):
        raise PermissionDenied(_("You may not duplicate this campaign."))
    copy = campaign_create(
        actor=actor,
        name=(name or _("%(name)s (copy)") % {"name": campaign.name})[:200],
        description=campaign.description,
    )
    document = graph_document(campaign)
    if document["activities"]:
        copy = campaign_graph_replace(actor=actor, campaign=copy, document=document, version=0)
    schedule = CampaignSchedule.objects.filter(campaign=campaign).first()
    if schedule is not None:
        schedule.pk, schedule.id, schedule.campaign = None, None, copy
        schedule._state.adding = True
        schedule.save()
    events.campaign_duplicated_event(campaign=copy, actor=actor, source=campaign)
    return copy
