"""Writes and reads on a campaign's schedule: save (validated, voids an approval like any edit),
the next launch times, and the check a published schedule must pass."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.permissions import can
from campaigns import events
from campaigns.activities.config import ConfigError
from campaigns.lifecycle.parameters import parameters_check
from campaigns.models import Campaign, CampaignSchedule, ScheduleKind
from campaigns.schedules import rules

SCHEDULE_FIELDS = (
    "kind",
    "rule",
    "timezone",
    "valid_from",
    "valid_until",
    "parameters",
    "trigger_interval_seconds",
)


def _as_validation(exc: ConfigError) -> ValidationError:
    return ValidationError(
        {exc.path if exc.path in ("kind", "timezone", "rule") else f"rule.{exc.path}": exc.message}
    )


def _when(value):
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def schedule_rule_check(data: dict) -> list[dt.datetime]:
    """Validate a schedule document (kind, rule, zone, validity); returns its next 10 launch times."""
    kind = data.get("kind") or ScheduleKind.ASAP
    try:
        rule = rules.parse_rule(kind, data.get("rule") or {})
        rules.zone(data.get("timezone") or "UTC")
        valid_from, valid_until = _when(data.get("valid_from")), _when(data.get("valid_until"))
    except ConfigError as exc:
        raise _as_validation(exc) from None
    except ValueError:
        raise ValidationError({"valid_from": _("Expected a date and time.")}) from None
    if valid_from and valid_until and valid_until <= valid_from:
        raise ValidationError({"valid_until": _("The validity period ends before it starts.")})
    try:
        times = rules.next_times(
            count=50,
            kind=kind,
            rule=rule,
            timezone=data.get("timezone") or "UTC",
            after=max(timezone.now(), valid_from) if valid_from else timezone.now(),
            valid_from=valid_from,
            valid_until=valid_until,
        )
        rules.check_interval(times)
    except ConfigError as exc:
        raise _as_validation(exc) from None
    return times[:10]


def schedule_get(campaign: Campaign) -> CampaignSchedule:
    """The stored schedule, or the default (as soon as possible, UTC) unsaved."""
    return CampaignSchedule.objects.filter(campaign=campaign).first() or CampaignSchedule(campaign=campaign)


def schedule_as_dict(schedule: CampaignSchedule) -> dict:
    return {
        "kind": schedule.kind,
        "rule": schedule.rule or {},
        "timezone": schedule.timezone,
        "valid_from": schedule.valid_from,
        "valid_until": schedule.valid_until,
        "parameters": schedule.parameters or [],
        "trigger_interval_seconds": schedule.trigger_interval_seconds,
    }


@transaction.atomic
def schedule_save(*, actor, campaign: Campaign, data: dict) -> CampaignSchedule:
    """Replace the campaign's schedule. Like a graph edit, it voids an approval in progress."""
    from campaigns.lifecycle.services import campaign_edited

    if not can(actor, "change", campaign):
        raise PermissionDenied(_("You may not edit this campaign."))
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    schedule = schedule_get(locked)
    before = schedule_as_dict(schedule)
    merged = {**before, **{k: v for k, v in data.items() if k in SCHEDULE_FIELDS}}
    schedule_rule_check(merged)
    parameters_check(merged["parameters"])
    if int(merged["trigger_interval_seconds"] or 0) < 0:
        raise ValidationError({"trigger_interval_seconds": _("Expected zero or more seconds.")})
    for name in SCHEDULE_FIELDS:
        value = merged[name]
        setattr(schedule, name, _when(value) if name.startswith("valid_") else value)
    after = schedule_as_dict(schedule)
    changes = [
        {"field": k, "old": _plain(before[k]), "new": _plain(after[k])}
        for k in SCHEDULE_FIELDS
        if before[k] != after[k]
    ]
    if not changes and schedule.pk:
        return schedule
    campaign_edited(actor=actor, campaign=locked)
    schedule.full_clean()
    schedule.save()
    events.campaign_schedule_saved_event(campaign=locked, actor=actor, changes=changes)
    return schedule


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def schedule_preview(
    *, schedule: CampaignSchedule, now: dt.datetime | None = None, count: int = 10
) -> list[dict]:
    """The next ``count`` launch times, in UTC and in the campaign's time zone."""
    now = now or timezone.now()
    try:
        rule = rules.parse_rule(schedule.kind, schedule.rule or {})
        tz = rules.zone(schedule.timezone)
        times = rules.next_times(
            count=count,
            kind=schedule.kind,
            rule=rule,
            timezone=schedule.timezone,
            after=now,
            valid_from=schedule.valid_from,
            valid_until=schedule.valid_until,
        )
    except ConfigError as exc:
        raise _as_validation(exc) from None
    return [{"at": t, "local": t.astimezone(tz).isoformat()} for t in times]
