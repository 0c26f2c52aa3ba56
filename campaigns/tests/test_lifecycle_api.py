"""The lifecycle through the API and the admin: who may act, triggers (typed variables, idempotency,
429), End signals, held sends, the history and the audit list (with query counts)."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import DomainEvent
from campaigns.lifecycle import services
from campaigns.models import CampaignStatus, Launch, Run, RunKind, RunStatus, TaskStatus
from campaigns.schedules.services import schedule_save
from campaigns.services.runs import run_start
from campaigns.tests.lifecycle_helpers import (
    approved,
    execute_queued,
    gold_campaign,
    in_review,
    live_run_of,
    manager_and_approver,
)

pytestmark = pytest.mark.django_db
PARAMETERS = [{"name": "limit", "type": "integer", "required": True}, {"name": "tag", "type": "string"}]


def test_a_manager_cannot_approve_or_publish_through_the_api_nor_see_the_buttons(
    shop, manager, approver, api_as
):
    # given
    campaign = gold_campaign(manager)
    in_review(campaign, manager)
    url = f"/api/v1/campaigns/{campaign.pk}/"
    # when / then
    assert api_as(manager).post(url + "approve/", {}, format="json").status_code == 403
    assert api_as(approver).post(url + "approve/", {"comment": "ok"}, format="json").status_code == 200
    assert api_as(manager).post(url + "publish/", format="json").status_code == 403
    # the admin review page: no page (so no button) for the Manager, buttons for the Approver
    client = Client()
    client.force_login(manager)
    assert client.get(f"/admin/campaigns/campaignreview/{campaign.pk}/change/").status_code == 403
    client.force_login(approver)
    page = client.get(f"/admin/campaigns/campaignreview/{campaign.pk}/change/")
    assert page.status_code == 200 and b'name="publish"' in page.content
    # when: the Approver publishes through the admin button
    client.post(f"/admin/campaigns/campaignreview/{campaign.pk}/change/", {"publish": "1"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE


def test_the_review_page_shows_changes_counts_and_the_approver_cannot_approve_their_own(shop, approver):
    both = manager_and_approver()
    campaign = gold_campaign(both)
    in_review(campaign, both)
    client = Client()
    client.force_login(approver)
    page = client.get(f"/admin/campaigns/campaignreview/{campaign.pk}/change/")
    gold = sum(1 for c in shop.customers if c["tier"] == "gold")
    assert page.status_code == 200
    assert f"<td>{gold}</td>".encode() in page.content  # the test run's count on gold -> done
    # the changes name activities by label, not by internal path
    assert "Activity “".encode() in page.content and b"activity:gold" not in page.content
    assert b'name="approve"' in page.content
    # the requester (also an Approver) is refused through the API
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(both)
    response = api.post(f"/api/v1/campaigns/{campaign.pk}/approve/", {}, format="json")
    assert response.status_code == 403


def _signal_campaign(owner, approver, name="Signalled"):
    campaign = gold_campaign(owner, name=name)
    schedule_save(
        actor=owner,
        campaign=campaign,
        data={"kind": "signal", "parameters": PARAMETERS, "trigger_interval_seconds": 3600},
    )
    approved(campaign, owner, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE
    return campaign


def test_trigger_types_variables_is_idempotent_and_answers_429_inside_the_interval(
    shop, manager, approver, api_as
):
    # given
    campaign = _signal_campaign(manager, approver)
    url = f"/api/v1/campaigns/{campaign.pk}/trigger/"
    api = api_as(approver)
    # when / then: typed variables
    bad = api.post(url, {"variables": {"limit": "ten"}}, format="json", HTTP_IDEMPOTENCY_KEY="k0")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "variables.limit"
    assert api_as(manager).post(url, {"variables": {"limit": 1}}, format="json").status_code == 403
    # when: the first trigger
    first = api.post(url, {"variables": {"limit": 10}}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    # then
    assert first.status_code == 201, first.json()
    assert first.json()["variables"] == {"limit": 10}
    run = Run.objects.get(pk=first.json()["run"])
    assert run.kind == RunKind.LIVE and run.variables == {"limit": 10}
    # when: the same key again: the same answer, no second run
    same = api.post(url, {"variables": {"limit": 99}}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (same.status_code, same.json()) == (201, first.json())
    assert Run.objects.filter(campaign=campaign, kind=RunKind.LIVE).count() == 1
    # when: another trigger inside the interval (after the run finished)
    execute_queued(run)
    too_soon = api.post(url, {"variables": {"limit": 5}}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    # then
    assert too_soon.status_code == 429
    assert 3500 <= int(too_soon["Retry-After"]) <= 3600
    assert Run.objects.filter(campaign=campaign, kind=RunKind.LIVE).count() == 1


def test_end_signals_another_campaign_and_a_missing_target_fails_clearly(shop, manager, approver):
    # given: a published signal campaign, and a campaign whose End signals it
    target = _signal_campaign(manager, approver, name="Target")
    source = gold_campaign(
        manager, name="Source", end_config={"signal": {"campaign": target.pk, "variables": {"limit": 3}}}
    )
    approved(source, manager, approver)
    services.campaign_publish(actor=approver, campaign=source)
    # when
    execute_queued(live_run_of(source))
    # then: the target got a live run with the typed parameters
    launch = Launch.objects.get(campaign=target, source="signal")
    assert launch.outcome == "started" and launch.run.variables == {"limit": 3}
    # given: an End that signals a campaign that does not exist
    broken = gold_campaign(manager, name="Broken", end_config={"signal": {"campaign": 987654}})
    # when
    run = execute_queued(run_start(actor=manager, campaign=broken))
    # then
    assert run.status == RunStatus.FAILED
    assert "987654 to signal does not exist" in run.tasks.get(activity_key="done").error


def test_history_and_audit_events_record_who_and_the_difference(
    shop, manager, approver, administrator, api_as
):
    # given: a graph edit through the API, then a review
    campaign = gold_campaign(manager)
    api = api_as(manager)
    graph = api.get(f"/api/v1/campaigns/{campaign.pk}/graph/").json()
    graph["activities"][0]["label"] = "Gold tier"
    assert api.put(f"/api/v1/campaigns/{campaign.pk}/graph/", graph, format="json").status_code == 200
    in_review(campaign, manager)
    # when
    history = api_as(approver).get(f"/api/v1/campaigns/{campaign.pk}/history/").json()["results"]
    # then
    changed = [e for e in history if e["kind"] == "activity.changed"]
    assert changed and changed[0]["actor_name"] == manager.username
    assert {"field": "label", "old": "gold", "new": "Gold tier"} in changed[0]["changes"]
    assert any(e["kind"] == "campaign.approval_requested" for e in history)
    # the audit list filters and is not editable
    events = api_as(approver).get("/api/v1/audit-events/", {"kind": "campaign.approval_requested"}).json()
    assert [e["campaign"] for e in events["results"]] == [campaign.pk]
    assert api_as(approver).get("/api/v1/audit-events/", {"nope": 1}).status_code == 400
    first = events["results"][0]["id"]
    administrator_api = api_as(administrator)
    assert administrator_api.delete(f"/api/v1/audit-events/{first}/").status_code == 405
    assert DomainEvent.objects.filter(pk=first).exists()


def test_list_endpoints_do_not_grow_queries_with_rows(
    shop, manager, approver, api_as, django_assert_max_num_queries
):
    # given: several campaigns with runs and events
    campaigns = [gold_campaign(manager, name=f"c{i}") for i in range(4)]
    for campaign in campaigns:
        execute_queued(run_start(actor=manager, campaign=campaign))
    api = api_as(approver)
    # when / then
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/campaigns/").json()["results"]) == 4
    with django_assert_max_num_queries(8):
        assert len(api.get(f"/api/v1/campaigns/{campaigns[0].pk}/runs/").json()["results"]) == 1
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/audit-events/", {"limit": 200}).json()["results"]) > 10
    with django_assert_max_num_queries(8):
        api.get(f"/api/v1/campaigns/{campaigns[0].pk}/history/")


def test_schedule_and_versions_through_the_api(shop, manager, approver, api_as):
    campaign = gold_campaign(manager)
    url = f"/api/v1/campaigns/{campaign.pk}/"
    api = api_as(manager)
    saved = api.put(
        url + "schedule/",
        {"kind": "monthly", "timezone": "Europe/Paris", "rule": {"time": "09:00", "nth": 2, "weekday": 1}},
        format="json",
    )
    assert saved.status_code == 200, saved.json()
    assert len(api.get(url + "schedule/preview/").json()) == 10
    assert (
        api.put(
            url + "schedule/", {"kind": "intraday", "rule": {"every_minutes": 5}}, format="json"
        ).status_code
        == 400
    )
    in_review(campaign, manager)
    versions = api.get(url + "versions/").json()["results"]
    assert versions[0]["number"] == 1 and versions[0]["state"] == "pending"
    detail = api.get(url + "versions/1/").json()
    assert detail["document"]["schedule"]["kind"] == "monthly" and detail["changes"]
    copy = api.post(url + "duplicate/", {}, format="json")
    assert copy.status_code == 201 and copy.json()["status"] == "draft"


def test_held_sends_wait_for_a_confirmation(shop, manager, approver, api_as):
    """A one-time live run's channel task pauses until confirmed (the hold itself, without a provider:
    the task is paused by the hook before the channel's delivery starts)."""
    from campaigns.lifecycle import engine_hooks
    from campaigns.lifecycle.holds import held_tasks, send_confirm

    campaign = gold_campaign(manager)
    approved(campaign, manager, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    run = live_run_of(campaign)

    class ChannelLike:
        is_channel = True

    activity = campaign.activities.get(key="done")
    # then: held until confirmed, unless the configuration says otherwise
    assert engine_hooks.hold(run, activity, ChannelLike(), object()) is not None

    class NoConfirmation:
        send_without_confirmation = True

    assert engine_hooks.hold(run, activity, ChannelLike(), NoConfirmation()) is None
    # given: the task paused by the hold
    execute_queued(run)
    task = run.tasks.get(activity_key="done")
    task.status, task.type = TaskStatus.PAUSED, "channel.email"
    task.save()
    Run.objects.filter(pk=run.pk).update(status=RunStatus.PAUSED)  # what the engine's settle does
    assert list(held_tasks(campaign=campaign)) == [task]
    listed = api_as(manager).get(f"/api/v1/campaigns/{campaign.pk}/holds/").json()["results"]
    assert [h["activity_key"] for h in listed] == ["done"]
    # when: a Manager may not confirm, an Approver may
    confirm = f"/api/v1/campaigns/{campaign.pk}/holds/{task.pk}/confirm/"
    assert api_as(manager).post(confirm).status_code == 403
    assert api_as(approver).post(confirm).status_code == 204
    # then
    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED
    assert engine_hooks.hold(run, activity, ChannelLike(), object()) is None
    assert not held_tasks(campaign=campaign).exists()
    assert send_confirm  # the service the API called
