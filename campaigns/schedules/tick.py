"""The every-minute tick: fires due schedule occurrences, moves finished live campaigns on, and purges
archived campaigns past their retention. Every cluster may run it; a firing still happens once."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from campaigns import events
from campaigns.lifecycle import machine
from campaigns.models import Campaign, CampaignStatus, Run, RunKind, ScheduleKind
from campaigns.models.lifecycle import ONE_TIME_KINDS, RECURRING_KINDS
from campaigns.models.runs import ACTIVE_RUN_STATUSES
from campaigns.schedules import rules

logger = logging.getLogger(__name__)
S = CampaignStatus


def _published(campaign):
    from campaigns.lifecycle.services import published_version

    return published_version(campaign)


def _schedule_of(version) -> tuple[str, object, dict]:
    doc = version.document.get("schedule") or {}
    kind = doc.get("kind", ScheduleKind.ASAP)
    return kind, rules.parse_rule(kind, doc.get("rule") or {}), doc


def _window(doc: dict) -> dict:
    from campaigns.schedules.services import _when

    return {"valid_from": _when(doc.get("valid_from")), "valid_until": _when(doc.get("valid_until"))}


def due_occurrence(version, now: dt.datetime) -> dt.datetime | None:
    """The latest occurrence in (now - catch-up window, now], if any (older missed ones are not fired)."""
    kind, rule, doc = _schedule_of(version)
    if kind not in (ScheduleKind.ONCE, *RECURRING_KINDS):
        return None
    catch_up = dt.timedelta(minutes=getattr(settings, "OC_SCHEDULE_CATCH_UP_MINUTES", 10))
    since = max(now - catch_up, version.published_at or now - catch_up)
    found = None
    for when in rules.occurrences(
        kind=kind,
        rule=rule,
        timezone=doc.get("timezone") or "UTC",
        after=since - dt.timedelta(microseconds=1),
        **_window(doc),
    ):
        if when > now:
            break
        found = when
    return found


def fire_due_schedules(now: dt.datetime | None = None) -> list[int]:
    """Fire what is due; returns the ids of the launches this call made."""
    from campaigns.lifecycle.launches import fire_due

    now = now or timezone.now()
    made = []
    for campaign in Campaign.objects.filter(status__in=[S.SCHEDULED, S.LIVE]):
        version = _published(campaign)
        if version is None:
            continue
        due = due_occurrence(version, now)
        if due is None:
            continue
        try:
            launch = fire_due(campaign_id=campaign.pk, due_at=due)
        except DatabaseError:  # another cluster holds the row for too long: it is firing it
            logger.warning("Schedule firing of campaign %s at %s left to another cluster", campaign.pk, due)
            continue
        if launch is not None:
            made.append(launch.pk)
    return made


def settle_finished(now: dt.datetime | None = None) -> int:
    """Live campaigns whose live run ended: one-time or past validity -> completed; else scheduled."""
    now = now or timezone.now()
    moved = 0
    busy = Run.objects.filter(kind=RunKind.LIVE, status__in=ACTIVE_RUN_STATUSES).values("campaign_id")
    for campaign in Campaign.objects.filter(status=S.LIVE).exclude(pk__in=busy):
        version = _published(campaign)
        if version is None:
            continue
        kind, rule, doc = _schedule_of(version)
        if (
            kind == ScheduleKind.SIGNAL
            or not Run.objects.filter(campaign=campaign, kind=RunKind.LIVE).exists()
        ):
            continue
        target = S.COMPLETED
        if kind not in ONE_TIME_KINDS:
            upcoming = rules.next_times(
                count=1,
                kind=kind,
                rule=rule,
                timezone=doc.get("timezone") or "UTC",
                after=now,
                **_window(doc),
            )
            target = S.SCHEDULED if upcoming else S.COMPLETED
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if locked.status != S.LIVE:
                continue
            machine.transition(actor=None, campaign=locked, action="run_finished", target=target)
            events.campaign_status_event(campaign=locked, actor=None, action="run_finished", before=S.LIVE)
            moved += 1
    return moved


def purge_archived(now: dt.datetime | None = None) -> int:
    """Delete campaigns archived longer than ``OC_ARCHIVE_RETENTION_DAYS`` (their working tables first)."""
    from audit.models import DomainEvent
    from campaigns.activities.types.incremental_query import processed_tables_drop
    from campaigns.services.runs import _drop_tables

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=getattr(settings, "OC_ARCHIVE_RETENTION_DAYS", 30))
    archived_before = DomainEvent.objects.filter(kind="campaign.archive", at__lt=cutoff).values("campaign_id")
    purged = 0
    for campaign in Campaign.objects.filter(status=S.ARCHIVED, pk__in=archived_before):
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            machine.check(actor=None, campaign=locked, action="purge")
            for run in locked.runs.filter(purged_at__isnull=True):
                _drop_tables(run)
            processed_tables_drop(locked.activities.all())
            events.campaign_deleted_event(campaign=locked, actor=None, purged=True)
            locked.delete()
            purged += 1
    return purged


def schedules_tick(now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    return {"fired": len(fire_due_schedules(now)), "settled": settle_finished(now)}
