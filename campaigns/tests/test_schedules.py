"""Schedules: occurrences by kind in a time zone across daylight-saving changes, validation, the tick
firing once with two concurrent ticks, skipping while a run goes, and settling finished campaigns."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from audit.models import DomainEvent
from campaigns.activities.config import ConfigError
from campaigns.lifecycle import services
from campaigns.models import CampaignSchedule, CampaignStatus, Launch, Run, RunKind, RunStatus
from campaigns.schedules import rules
from campaigns.schedules.services import schedule_preview, schedule_save
from campaigns.schedules.tick import fire_due_schedules, settle_finished
from campaigns.tests.lifecycle_helpers import approved, execute_queued, gold_campaign

UTC = dt.UTC


def _times(kind, rule, tz="UTC", after=dt.datetime(2026, 1, 1, tzinfo=UTC), count=10, **window):
    return rules.next_times(
        count=count, kind=kind, rule=rules.parse_rule(kind, rule), timezone=tz, after=after, **window
    )


def test_second_tuesday_at_nine_in_paris_across_daylight_saving_changes():
    # when
    times = _times(
        "monthly",
        {"time": "09:00", "nth": 2, "weekday": 1},
        tz="Europe/Paris",
        after=dt.datetime(2026, 2, 1, tzinfo=UTC),
    )
    # then: 09:00 Paris is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST, 29 March - 25 October)
    assert times == [
        dt.datetime(2026, 2, 10, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 4, 14, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 5, 12, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 6, 9, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 7, 14, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 8, 11, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 9, 8, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 10, 13, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 10, 8, 0, tzinfo=UTC),
    ]


def test_daily_kinds_weekly_intraday_last_day_and_the_gap():
    monday = dt.datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
    assert [
        t.weekday() for t in _times("daily", {"time": "10:00", "days": "weekdays"}, after=monday, count=6)
    ] == [0, 1, 2, 3, 4, 0]
    chosen = _times("daily", {"time": "10:00", "days": "chosen", "weekdays": [2, 5]}, after=monday, count=4)
    assert [t.day for t in chosen] == [4, 7, 11, 14]
    weekly = _times(
        "weekly",
        {"time": "08:30", "weekdays": [0], "every_weeks": 2, "anchor": "2026-03-02"},
        after=monday - dt.timedelta(hours=1),
        count=3,
    )
    assert [t.date() for t in weekly] == [dt.date(2026, 3, 2), dt.date(2026, 3, 16), dt.date(2026, 3, 30)]
    hours = _times("intraday", {"hours": ["09:00", "17:30"]}, after=monday, count=3)
    assert [(t.day, t.hour, t.minute) for t in hours] == [(2, 9, 0), (2, 17, 30), (3, 9, 0)]
    window = _times(
        "intraday",
        {"every_minutes": 30, "window_start": "08:00", "window_end": "09:00"},
        after=monday,
        count=4,
    )
    assert [(t.day, t.hour, t.minute) for t in window] == [(2, 8, 0), (2, 8, 30), (2, 9, 0), (3, 8, 0)]
    last = _times("monthly", {"time": "12:00", "last_day": True, "months": [2, 4]}, count=2)
    assert [t.date() for t in last] == [dt.date(2026, 2, 28), dt.date(2026, 4, 30)]
    # 02:30 does not exist in Paris on 29 March 2026: moved forward by the gap (03:30 CEST = 01:30 UTC)
    gap = _times("once", {"at": "2026-03-29T02:30"}, tz="Europe/Paris")
    assert gap == [dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]
    # a validity period bounds the launches
    bounded = _times("daily", {"time": "10:00"}, after=monday, valid_until=monday + dt.timedelta(days=2))
    assert len(bounded) == 2


def test_invalid_schedules_name_the_problem():
    with pytest.raises(ConfigError):
        _times("monthly", {"time": "09:00", "day": 3, "last_day": True})
    with pytest.raises(ConfigError):
        rules.parse_rule("daily", {"time": "09:00", "every": 2})
    with pytest.raises(ConfigError):
        rules.zone("Mars/Olympus")


@pytest.mark.django_db
def test_save_refuses_launches_closer_than_fifteen_minutes_and_previews_ten(manager):
    from campaigns.services import campaign_create

    campaign = campaign_create(actor=manager, name="Often")
    with pytest.raises(ValidationError) as refused:
        schedule_save(
            actor=manager, campaign=campaign, data={"kind": "intraday", "rule": {"every_minutes": 10}}
        )
    assert "rule" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        schedule_save(actor=manager, campaign=campaign, data={"kind": "daily", "rule": {"time": "9h"}})
    assert "rule.time" in refused.value.message_dict
    schedule = schedule_save(
        actor=manager,
        campaign=campaign,
        data={"kind": "daily", "rule": {"time": "09:00"}, "timezone": "Europe/Paris"},
    )
    preview = schedule_preview(schedule=schedule, now=dt.datetime(2026, 3, 27, tzinfo=UTC))
    assert len(preview) == 10
    assert [p["at"].hour for p in preview[:4]] == [8, 8, 7, 7]  # 27, 28 March CET; 29, 30 March CEST
    assert preview[2]["local"].startswith("2026-03-29T09:00:00+02:00")
    assert DomainEvent.objects.filter(campaign_id=campaign.pk, kind="campaign.schedule_saved").count() == 1


def _published_daily(shop_owner, approver, when: dt.datetime, name="Daily"):
    campaign = gold_campaign(shop_owner, name=name)
    schedule_save(
        actor=shop_owner,
        campaign=campaign,
        data={"kind": "intraday", "rule": {"hours": [when.strftime("%H:%M")]}},
    )
    approved(campaign, shop_owner, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    return campaign


@pytest.mark.django_db
def test_the_tick_fires_a_due_occurrence_once_then_skips_while_the_run_goes(shop, manager, approver):
    # given
    soon = (timezone.now() + dt.timedelta(minutes=3)).replace(second=0, microsecond=0)
    campaign = _published_daily(manager, approver, soon)
    # when: nothing due yet, then due
    assert fire_due_schedules(now=soon - dt.timedelta(minutes=1)) == []
    first = fire_due_schedules(now=soon + dt.timedelta(minutes=1))
    again = fire_due_schedules(now=soon + dt.timedelta(minutes=2))
    # then
    assert len(first) == 1 and again == []
    launch = Launch.objects.get(pk=first[0])
    assert (launch.outcome, launch.due_at, launch.source) == ("started", soon, "schedule")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE
    # when: the next day's firing comes while that run still goes
    tomorrow = soon + dt.timedelta(days=1)
    skipped = fire_due_schedules(now=tomorrow)
    # then
    assert Launch.objects.get(pk=skipped[0]).outcome == "skipped"
    assert DomainEvent.objects.filter(campaign_id=campaign.pk, kind="launch.skipped").exists()
    # when: the run finishes, the campaign goes back to scheduled
    execute_queued(launch.run)
    assert settle_finished(now=tomorrow) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ticks_fire_a_schedule_once(shop, manager, approver, settings):
    # given: a due occurrence; jobs of the started run are not executed here
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    soon = (timezone.now() + dt.timedelta(minutes=3)).replace(second=0, microsecond=0)
    campaign = _published_daily(manager, approver, soon, name="Concurrent")
    barrier = threading.Barrier(2)
    made, errors = [], []

    def tick():
        try:
            barrier.wait(timeout=10)
            made.extend(fire_due_schedules(now=soon + dt.timedelta(minutes=1)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then: one launch, one live run, whoever won
    assert errors == []
    assert len(made) == 1
    assert Launch.objects.filter(campaign=campaign, due_at=soon).count() == 1
    assert Run.objects.filter(campaign=campaign, kind=RunKind.LIVE).count() == 1
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_schedule_kind_once_completes_after_its_run(shop, manager, approver):
    when = (timezone.now() + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    campaign = gold_campaign(manager)
    schedule_save(
        actor=manager,
        campaign=campaign,
        data={"kind": "once", "rule": {"at": when.strftime("%Y-%m-%dT%H:%M")}},
    )
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    [launch_id] = fire_due_schedules(now=when + dt.timedelta(seconds=30))
    run = Launch.objects.get(pk=launch_id).run
    execute_queued(run)
    assert run.status == RunStatus.DONE
    settle_finished(now=when + dt.timedelta(minutes=1))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert CampaignSchedule.objects.get(campaign=campaign).kind == "once"
