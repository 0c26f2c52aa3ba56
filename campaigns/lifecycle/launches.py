"""Launches: every live run starts here, from the published version and nothing else.

A launch is claimed by inserting its row: (campaign, due time) for a schedule firing, (campaign,
idempotency key) for a trigger or a signal. A second cluster, a retried job or a repeated request
hits the unique constraint and does nothing. A launch while a run is still going is recorded as
skipped. The live run's tasks read their configuration from the version's canonical text
(``engine_hooks.live_config``), so what runs is byte for byte what was approved.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from campaigns import events
from campaigns.lifecycle import machine
from campaigns.lifecycle.parameters import typed_variables
from campaigns.lifecycle.pins import pins_changes
from campaigns.lifecycle.versions import frozen_document, version_matches
from campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignVersion,
    Launch,
    LaunchOutcome,
    LaunchSource,
    Run,
    RunKind,
    ScheduleKind,
)
from campaigns.models.runs import ACTIVE_RUN_STATUSES

S = CampaignStatus


class TooSoon(Exception):
    """A live trigger inside the campaign's minimum interval (HTTP 429 with Retry-After)."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _record(launch: Launch, campaign: Campaign) -> Launch:
    launch.save()
    events.campaign_launch_event(campaign=campaign, launch=launch)
    return launch


def launch_start(
    *,
    campaign: Campaign,
    version: CampaignVersion,
    source: str,
    actor=None,
    variables: dict | None = None,
    due_at: dt.datetime | None = None,
    idempotency_key: str = "",
) -> Launch:
    """Start a live run of ``version`` (the campaign row must be locked by the caller's transaction)."""
    from campaigns.engine import scheduler
    from campaigns.engine.events import run_event

    launch = Launch(
        campaign=campaign,
        version=version,
        source=source,
        actor=actor if getattr(actor, "pk", None) else None,
        variables=variables or {},
        due_at=due_at,
        idempotency_key=idempotency_key,
    )
    if Run.objects.filter(campaign=campaign, status__in=ACTIVE_RUN_STATUSES).exists():
        launch.outcome = LaunchOutcome.SKIPPED
        launch.message = _("Skipped: the previous run is still going.")
        return _record(launch, campaign)
    try:
        document = frozen_document(version)
        if not version_matches(campaign, version):
            raise ValueError(_("The stored campaign differs from the published version."))
        changed = pins_changes(document)
        if changed:  # a pinned channel configuration or capping rule set differs: refused, not sent
            raise ValueError(" ".join(changed))
    except ValueError as exc:
        launch.outcome, launch.message = LaunchOutcome.FAILED, str(exc)
        return _record(launch, campaign)
    run = Run.objects.create(
        campaign=campaign,
        kind=RunKind.LIVE,
        started_by=launch.actor,
        trigger=f"{source}:{version.number}",
        variables=launch.variables,
        graph_version=version.graph_version,
        started_at=timezone.now(),
    )
    launch.run, launch.outcome = run, LaunchOutcome.STARTED
    launch.message = _("Live run #%(run)s of version %(version)s.") % {
        "run": run.pk,
        "version": version.number,
    }
    _record(launch, campaign)
    run_event(run, launch.message)
    machine.transition(actor=actor, campaign=campaign, action="launch")
    scheduler.advance(run)
    return launch


def fire_due(*, campaign_id: int, due_at: dt.datetime) -> Launch | None:
    """Fire one due occurrence of a schedule, exactly once across clusters: the campaign row is locked,
    then the launch row for (campaign, due time) is inserted under its unique constraint; whoever comes
    second finds it (or hits the constraint) and does nothing. Returns None when not fired here."""
    from campaigns.lifecycle.services import published_version

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status not in (S.SCHEDULED, S.LIVE):
            return None
        if Launch.objects.filter(campaign=campaign, due_at=due_at).exists():
            return None
        version = published_version(campaign)
        if version is None:
            return None
        try:
            with transaction.atomic():
                return launch_start(
                    campaign=campaign, version=version, source=LaunchSource.SCHEDULE, due_at=due_at
                )
        except IntegrityError:
            return None


@transaction.atomic
def campaign_trigger(
    *, actor, campaign: Campaign, variables: dict | None, idempotency_key: str = ""
) -> tuple[int, dict]:
    """An API trigger of a published, signal-triggered campaign: (HTTP status, body). The same
    idempotency key gives the same answer and never a second run."""
    from campaigns.lifecycle.services import published_version, schedule_kind

    if not can(actor, "publish", campaign):
        raise PermissionDenied(_("You may not trigger this campaign."))
    key = (idempotency_key or "").strip()[:200]
    if key:
        earlier = Launch.objects.filter(campaign=campaign, idempotency_key=key).first()
        if earlier is not None:
            return earlier.response_status or 200, earlier.response_body or {}
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    version = published_version(locked)
    if locked.status != S.LIVE or version is None or schedule_kind(version) != ScheduleKind.SIGNAL:
        raise ValidationError({"campaign": _("The campaign is not published to be triggered by a signal.")})
    values = typed_variables(version.document["schedule"].get("parameters") or [], variables)
    interval = int(version.document["schedule"].get("trigger_interval_seconds") or 0)
    interval = max(interval, int(getattr(settings, "OC_TRIGGER_MIN_INTERVAL_SECONDS", 0)))
    last = (
        Launch.objects.filter(campaign=locked, source=LaunchSource.TRIGGER, outcome=LaunchOutcome.STARTED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and interval:
        wait = (last + dt.timedelta(seconds=interval) - timezone.now()).total_seconds()
        if wait > 0:
            raise TooSoon(int(wait) + 1)
    try:
        with transaction.atomic():
            launch = launch_start(
                campaign=locked,
                version=version,
                source=LaunchSource.TRIGGER,
                actor=actor,
                variables=values,
                idempotency_key=key,
            )
    except IntegrityError:  # the same key raced in: answer what the first one answered
        earlier = Launch.objects.get(campaign=campaign, idempotency_key=key)
        return earlier.response_status or 200, earlier.response_body or {}
    status = {LaunchOutcome.STARTED: 201, LaunchOutcome.SKIPPED: 409}.get(launch.outcome, 400)
    body = {
        "launch": launch.pk,
        "outcome": launch.outcome,
        "run": launch.run_id,
        "version": version.number,
        "variables": values,
        "message": launch.message,
    }
    launch.response_status, launch.response_body = status, body
    launch.save(update_fields=["response_status", "response_body"])
    return status, body


def campaign_signal(*, source_run: Run, activity_key: str, target_id: int, variables: dict) -> Launch:
    """The End activity signals another published, signal-triggered campaign; anything else fails the
    task with a clear error. Re-running the task finds its launch by key instead of starting again."""
    from campaigns.lifecycle.services import published_version, schedule_kind

    target = Campaign.objects.select_for_update().filter(pk=target_id).first()
    if target is None:
        raise ValueError(_("Campaign %(id)s to signal does not exist.") % {"id": target_id})
    version = published_version(target)
    if target.status != S.LIVE or version is None or schedule_kind(version) != ScheduleKind.SIGNAL:
        raise ValueError(
            _("Campaign %(name)s is not published to be triggered by a signal.") % {"name": target.name}
        )
    key = f"signal:{source_run.pk}:{activity_key}"
    earlier = Launch.objects.filter(campaign=target, idempotency_key=key).first()
    if earlier is not None:
        return earlier
    try:
        values = typed_variables(version.document["schedule"].get("parameters") or [], variables)
    except ValidationError as exc:
        raise ValueError("; ".join(exc.messages)) from None
    return launch_start(
        campaign=target, version=version, source=LaunchSource.SIGNAL, variables=values, idempotency_key=key
    )
